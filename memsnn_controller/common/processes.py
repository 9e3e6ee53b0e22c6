"""Start helper processes (ROS nodes, bringups) and tear them down reliably.

Every child runs in its own session (process group), so stopping it also stops anything it
spawned, and on Linux it is told to die with its parent, so a killed test run leaves no strays.
"""

import atexit
from collections.abc import Iterable, Mapping
import ctypes
import os
import signal
import subprocess
import sys
import time
from typing import IO
import weakref

_PR_SET_PDEATHSIG = 1
_LIVE: 'weakref.WeakSet[ManagedProcess]' = weakref.WeakSet()


def _die_with_parent() -> None:
    """Ask the kernel to SIGTERM this child when its parent dies (Linux only)."""
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def ros_environment(domain_id: int | str | None = None,
                    base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return an environment for ROS processes that keeps DDS discovery on this machine."""
    env = dict(os.environ if base is None else base)
    env['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
    if domain_id is not None:
        env['ROS_DOMAIN_ID'] = str(int(domain_id))
    env.setdefault('PYTHONUNBUFFERED', '1')
    return env


class ManagedProcess:
    """A child process in its own process group, stopped by SIGINT, then SIGTERM, then SIGKILL.

    Use as a context manager; output goes to ``log_path`` (or is discarded).
    """

    def __init__(self, argv: Iterable[object], env: Mapping[str, str] | None = None,
                 log_path: str | os.PathLike[str] | None = None,
                 cwd: str | os.PathLike[str] | None = None, name: str | None = None) -> None:
        self.argv = [str(a) for a in argv]
        self.env = env
        self.log_path = None if log_path is None else str(log_path)
        self.cwd = cwd
        self.name = name or os.path.basename(self.argv[0])
        self.popen: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | int | None = None

    def start(self) -> 'ManagedProcess':
        if self.popen is not None:
            raise RuntimeError(f'{self.name} was already started')
        self._log = open(self.log_path, 'wb') if self.log_path else subprocess.DEVNULL
        preexec = _die_with_parent if sys.platform.startswith('linux') else None
        self.popen = subprocess.Popen(
            self.argv, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=preexec)
        _LIVE.add(self)
        return self

    @property
    def pid(self) -> int | None:
        return None if self.popen is None else self.popen.pid

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def returncode(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the process to end by itself; return its exit code (None on timeout)."""
        if self.popen is None:
            raise RuntimeError(f'{self.name} was not started')
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def send_signal(self, sig: int) -> None:
        if self.running():
            assert self.popen is not None  # running() says so
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, grace: float = 5.0) -> int | None:
        """Stop the process group (SIGINT, then SIGTERM, then SIGKILL); return the exit code."""
        if self.popen is None:
            return None
        for sig, wait_s in ((signal.SIGINT, grace), (signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
            if self.popen.poll() is not None:
                break
            self.send_signal(sig)
            deadline = time.monotonic() + wait_s
            while self.popen.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
        # Reap whatever else is left in the group (a grandchild that ignored SIGINT).
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        code = self.popen.wait()
        if self._log is not None and not isinstance(self._log, int):  # a file, not DEVNULL
            self._log.close()
        _LIVE.discard(self)
        return code

    def log_text(self) -> str:
        """Return what the process has written so far (empty without a log file)."""
        if not self.log_path or not os.path.exists(self.log_path):
            return ''
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def __enter__(self) -> 'ManagedProcess':
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@atexit.register
def _stop_all() -> None:
    for proc in list(_LIVE):
        proc.stop(grace=1.0)
