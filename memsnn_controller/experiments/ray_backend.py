"""RayBackend: the grid's trials as Ray tasks, on a local Ray instance or a Ray cluster.

    memsnn-compare --backend ray ...                          # a new local Ray instance
    memsnn-compare --backend ray --ray-address HEAD:6379 ...  # a cluster (or 'auto', ray://...)

Ray is an optional extra (``pip install 'memsnn_controller[cluster]'``) and is imported only
when this backend starts. The backend implements grid.py's interface (start, run, describe,
request_stop, abort, close) around grid.run_trial, so a trial trains, resumes and fails exactly
as with the local process pool, and the same spec gives the same result on either backend.

How a run folder's files travel: workers on a cluster need not share the driver's file system,
so every trial runs in a temporary folder on its worker. The driver ships the run folder's
current files with the task (nothing for a new run; the checkpoint, episodes.csv and the rest
for an interrupted or extended one, so it resumes), and the task returns its row together with
the folder's files as bytes (config.yaml, run.json, episodes.csv, checkpoint.npz, summary.json,
learning_curve.png, train.log, error.log). The driver writes them into DIR/runs/<name>/
(atomically, summary.json last) before the row goes to results.csv. The same path is taken on a
local instance and on a cluster (with or without a shared file system), so what the tests run
is what a cluster runs; the cost is a few MB per trial through Ray's object store (the
checkpoint of the default network is ~3.6 MB) and no live episodes.csv during a trial. The
driver holds each run folder's lock while its trial is in flight, as a local worker would.

A local instance listens on loopback only. Ray takes the node's address from
``ray._private.services.get_node_ip_address``: on Linux the machine's external address (even
``_node_ip_address='127.0.0.1'`` is "resolved" to it), and with a non-loopback node address its
GCS, raylet and worker gRPC servers bind every interface and the runtime-env agent the external
address: an unauthenticated Ray that anyone reaching the host could submit code to. Ray 2.60
takes 127.0.0.1 instead when ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (its single-machine mode,
read by every Ray process at import); ``init_local_ray`` sets it (and the constant it fixes in
this process) while the instance starts, passes ``_node_ip_address='127.0.0.1'``, and refuses an
instance whose node address is not loopback. Then every server binds and advertises 127.0.0.1
(``test/experiments/test_ray_loopback.py`` reads the listening sockets). A driver joining such an
instance from another process (``--ray-address 127.0.0.1:PORT``) uses the same addressing. A cluster
(``--ray-address``) is not affected: securing it is the cluster's business (docs/cluster.md).

Failures: run_trial returns an error row for anything the trial raises (recorded, the sweep goes
on). A task whose worker process or node is lost is retried by Ray up to ``max_retries`` times
(from the files the driver shipped), then recorded as an error. A graceful stop (first Ctrl-C)
sets a flag held by a small Ray actor that the trials poll after each episode: running trials
checkpoint and come back 'interrupted' with their files, trials not yet started return at once.
An abort (second Ctrl-C) cancels the tasks; their progress since they started is lost.
"""

from collections.abc import Callable
from contextlib import contextmanager
import ipaddress
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from typing import Any

from memsnn_controller.common.atomic import write_atomic
from memsnn_controller.experiments import grid
from memsnn_controller.experiments import runfolder as rf

INSTALL_HINT = "pip install 'memsnn_controller[cluster]' (or pip install 'ray[client]>=2.60')"
DEFAULT_CPUS_PER_TRIAL = 1.0
DEFAULT_MAX_RETRIES = 3
STOP_POLL_S = 1.0  # how often a running trial asks whether a stop was requested
_WAIT_S = 0.5      # the driver's wait slice (Ctrl-C is handled between slices)
STALE_STAGING_S = 600  # a worker's staging folder this old and unlocked was left by a dead task


def missing_ray() -> str | None:
    """None when Ray can be imported, else the one-line message saying how to install it."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return f'--backend ray needs Ray, an optional extra: {INSTALL_HINT}'
    return None


def _import_ray():
    message = missing_ray()
    if message:
        raise grid.BackendError(message)
    import ray

    return ray


# ---------------------------------------------------------------------------- files as bytes
def read_folder(folder):
    """{name: bytes} of the regular files of a run folder (not its lock, nor temporary files)."""
    files = {}
    if not os.path.isdir(folder):
        return files
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name == rf.LOCK_FILE or name.startswith('.') or not os.path.isfile(path):
            continue
        with open(path, 'rb') as f:
            files[name] = f.read()
    return files


def _write_order(name):
    # episodes.csv before the checkpoint (a resume drops rows beyond the checkpoint, but cannot
    # invent missing ones), summary.json (the mark of a finished run) last.
    return {rf.EPISODES_FILE: 0, rf.CHECKPOINT_FILE: 2, rf.SUMMARY_FILE: 3}.get(name, 1)


def write_folder(folder, files, before=()):
    """Make ``folder`` hold ``files`` ({name: bytes}), each written atomically, in an order that
    leaves a resumable folder wherever a crash interrupts it; names in ``before`` (what was
    shipped out) that the trial removed are removed here too."""
    os.makedirs(folder, exist_ok=True)
    for name in before:
        if name not in files and os.path.exists(os.path.join(folder, name)):
            os.unlink(os.path.join(folder, name))
    for name in sorted(files, key=_write_order):
        if os.path.basename(name) != name or name in ('', '.', '..'):
            continue  # only plain names come back; never write outside the run folder
        write_atomic(os.path.join(folder, name), files[name])


# ---------------------------------------------------------------------------- in the worker
class _StopPoll:
    """``should_stop`` for a trial: asks the driver's stop flag (an actor) at most every
    STOP_POLL_S without blocking the training loop; a flag that cannot be reached (the driver
    is gone) means stop."""

    def __init__(self, flag):
        self.flag = flag
        self.stop = False
        self._ref = None
        self._next = 0.0

    def initial(self):
        import ray

        try:
            self.stop = bool(ray.get(self.flag.is_set.remote(), timeout=60))
        except ray.exceptions.RayError:
            self.stop = True
        return self.stop

    def __call__(self):
        import ray

        if self.stop:
            return True
        if self._ref is not None:
            ready, _ = ray.wait([self._ref], timeout=0)
            if ready:
                try:
                    self.stop = bool(ray.get(self._ref))
                except ray.exceptions.RayError:
                    self.stop = True
                self._ref = None
        now = time.monotonic()
        if self._ref is None and not self.stop and now >= self._next:
            self._ref = self.flag.is_set.remote()
            self._next = now + STOP_POLL_S
        return self.stop


def _staging_folder():
    """A new temporary folder for one trial, under a per-user root on the worker's node, held
    (flock) while the task lives; folders left by dead tasks (a lost worker, an abort) are
    removed here once they are STALE_STAGING_S old and nobody holds them."""
    user = os.getuid() if hasattr(os, 'getuid') else 'user'
    root = os.path.join(tempfile.gettempdir(), f'memsnn-ray-{user}')
    os.makedirs(root, mode=0o700, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no sweeping
        return tempfile.mkdtemp(dir=root), None
    now = time.time()
    for entry in os.scandir(root):
        try:
            if not entry.is_dir() or now - entry.stat().st_mtime < STALE_STAGING_S:
                continue
            fd = os.open(os.path.join(entry.path, '.held'), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            pass  # held: its task is running
        finally:
            os.close(fd)
    folder = tempfile.mkdtemp(dir=root)
    fd = os.open(os.path.join(folder, '.held'), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return folder, fd


def _node():
    try:
        import ray

        return ray.util.get_node_ip_address()
    except Exception:  # noqa: BLE001 - only for the log line
        return '?'


def trial_task(spec, files, stop_flag=None, before_trial=None):
    """The Ray task (a plain function; RayBackend wraps it with ray.remote): run ``spec`` in a
    temporary folder seeded with ``files`` and return {'row', 'files', 'node'}.
    before_trial(name): called first, with the run's folder name (see RayBackend)."""
    name = os.path.basename(os.path.normpath(spec['out_dir']))
    if before_trial is not None:
        before_trial(name)
    poll = _StopPoll(stop_flag) if stop_flag is not None else None
    if poll is not None and poll.initial():
        return {'row': grid.result_row(spec, error='not started: stop requested',
                                       status='interrupted'), 'files': None, 'node': None}
    node = _node()
    staging, held = _staging_folder()
    try:
        folder = os.path.join(staging, name)
        write_folder(folder, files)
        with open(os.path.join(folder, 'train.log'), 'a', encoding='utf-8') as f:
            f.write(f'{time.strftime("%Y-%m-%d %H:%M:%S")} Ray worker on {node}, pid '
                    f'{os.getpid()}\n')
        row = grid.run_trial(dict(spec, out_dir=folder), should_stop=poll)
        row['error'] = row['error'].replace(folder, spec['out_dir'])
        out = read_folder(folder)
        for log in ('train.log', 'error.log'):  # paths as the driver sees them
            if log in out:
                out[log] = out[log].replace(folder.encode(), os.fsencode(spec['out_dir']))
        return {'row': row, 'files': out, 'node': node}
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if held is not None:
            os.close(held)


class _StopFlag:
    """Held by a Ray actor: the driver sets it, the trials poll it."""

    def __init__(self):
        self.value = False

    def set(self):
        self.value = True

    def is_set(self):
        return self.value


# ---------------------------------------------------------------------------- the driver
CONNECT_TIMEOUT_S = 10.0
LOOPBACK = '127.0.0.1'
# Ray's switch to its single-machine addressing (node address 127.0.0.1); see the docstring.
SINGLE_MACHINE_ENV = 'RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER'


@contextmanager
def loopback_addressing(ray):
    """While the block runs, Ray in this process and in the processes it starts takes 127.0.0.1
    as this node's address (module docstring)."""
    constants = getattr(getattr(ray, '_private', None), 'ray_constants', None)
    saved_env = os.environ.get(SINGLE_MACHINE_ENV)
    saved_flag = getattr(constants, 'ENABLE_RAY_CLUSTER', None)
    os.environ[SINGLE_MACHINE_ENV] = '0'  # for the GCS, raylet and workers started now
    if saved_flag is not None:
        constants.ENABLE_RAY_CLUSTER = False  # this process read the variable at import
    try:
        yield
    finally:
        if saved_env is None:
            os.environ.pop(SINGLE_MACHINE_ENV, None)
        else:
            os.environ[SINGLE_MACHINE_ENV] = saved_env
        if saved_flag is not None:
            constants.ENABLE_RAY_CLUSTER = saved_flag


def init_local_ray(ray, **kwargs):
    """``ray.init(address='local', **kwargs)`` bound and advertised on loopback only (module
    docstring); returns ray.init's context. BackendError if Ray took another node address."""
    with loopback_addressing(ray):
        context = ray.init(address='local', _node_ip_address=LOOPBACK, **kwargs)
    node_address = ray.util.get_node_ip_address()
    if not is_loopback(node_address):
        ray.shutdown()
        raise grid.BackendError(f'the local Ray instance took the node address {node_address}, '
                                f'not {LOOPBACK}: it would listen beyond this machine, so it '
                                f'was stopped (a Ray version that ignores '
                                f'{SINGLE_MACHINE_ENV}=0?)')
    return context


def is_loopback(host):
    """Whether ``host`` (an address or a name) is this machine's loopback."""
    host = host.strip('[]')
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _connects_to_loopback(address):
    """Whether a HOST:PORT address (not ray://, not 'auto') names a loopback host: an instance
    started by init_local_ray in another process, which a driver joins with the same addressing
    (else Ray looks for a raylet on the machine's external address and waits for minutes)."""
    if address.startswith('ray://') or address in ('auto', 'local'):
        return False
    return is_loopback(address.rpartition(':')[0])


def _check_reachable(address):
    """BackendError unless HOST:PORT (or ray://HOST:PORT) accepts a TCP connection: Ray itself
    keeps retrying an unreachable address for minutes."""
    text = address[len('ray://'):] if address.startswith('ray://') else address
    host, sep, port = text.rpartition(':')
    if address in ('auto', 'local') or not sep or not port.isdigit():
        return  # Ray's own forms ('auto'), or one Ray will reject with its own message
    host = host.strip('[]')
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise grid.BackendError(f'--ray-address {address}: cannot connect to {host}:{port} '
                                f'({exc.strerror or exc}); is the Ray head node running '
                                f'(ray start --head)?') from None


def _cpus_text(n):
    n = float(n)
    return f'{n:g} CPU{"" if n == 1 else "s"}'


class RayBackend:
    """grid.py's backend interface on Ray.

    address: None starts a new local Ray instance (``num_cpus`` CPUs, default all) and shuts it
    down at close; 'auto', 'HOST:PORT' or 'ray://HOST:PORT' connect to a cluster (Ray's own
    address forms). When Ray is already initialized in this process, that session is used and
    left running. cpus_per_trial: Ray's num_cpus for each task. max_retries: Ray's retries of a
    task whose worker process or node died. max_in_flight: at most that many trials submitted
    at a time (None: all; Ray queues them by the CPUs free). before_trial: a picklable
    callable that each task calls in its worker with the run's folder name before the trial
    starts (the tests inject one that kills the worker, to see a lost worker retried).
    """

    # What an abort leaves of the runs in flight (memsnn-compare's closing line).
    abort_note = 'the runs in flight start again'

    def __init__(self, address: str | None = None, num_cpus: int | None = None,
                 cpus_per_trial: float = DEFAULT_CPUS_PER_TRIAL,
                 max_retries: int = DEFAULT_MAX_RETRIES, max_in_flight: int | None = None,
                 before_trial: Callable[[str], object] | None = None) -> None:
        if cpus_per_trial <= 0:
            raise grid.GridError(f'--cpus-per-trial: must be > 0, got {cpus_per_trial}')
        if max_retries < 0:
            raise grid.GridError(f'--max-retries: must be >= 0, got {max_retries}')
        if address is not None and num_cpus is not None:
            raise grid.GridError('num_cpus: only for a local Ray instance (no address)')
        self.address = address
        self.num_cpus = num_cpus
        self.cpus_per_trial = float(cpus_per_trial)
        self.max_retries = int(max_retries)
        self.max_in_flight = max_in_flight
        self.before_trial = before_trial
        self._ray = None
        self._own = False
        self._flag = None
        self._task = None
        self._stopping = False
        # ObjectRef -> (spec, RunLock, names shipped)
        self._running: dict[Any, tuple[grid.RunSpec, rf.RunLock, tuple[str, ...]]] = {}
        self._cluster_cpus = None

    # -- lifecycle
    def start(self):
        """Start or connect to Ray (BackendError saying why when it cannot)."""
        if self._ray is not None:
            return
        ray = _import_ray()
        if not ray.is_initialized():
            if self.address is not None:
                _check_reachable(self.address)
            kwargs = {'include_dashboard': False, 'logging_level': logging.ERROR,
                      'log_to_driver': False}
            if self.address is None:
                kwargs['num_cpus'] = self.num_cpus
            else:
                kwargs['address'] = self.address
            # ray.init installs its own SIGTERM handler; this process keeps its own (the grid
            # runner's handlers stop the sweep gracefully, and close() shuts Ray down).
            main = threading.current_thread() is threading.main_thread()
            saved = signal.getsignal(signal.SIGTERM) if main else None
            try:
                if self.address is None:
                    init_local_ray(ray, **kwargs)
                elif _connects_to_loopback(self.address):
                    with loopback_addressing(ray):
                        ray.init(_node_ip_address=LOOPBACK, **kwargs)
                else:
                    ray.init(**kwargs)
            except grid.BackendError:
                raise
            except BaseException as exc:  # Ray raises many kinds here; Ctrl-C too
                if ray.is_initialized():
                    ray.shutdown()
                if not isinstance(exc, Exception):
                    raise
                where = f'--ray-address {self.address}' if self.address else 'local Ray instance'
                hint = ''
                if self.address not in (None, 'auto') and not os.environ.get('RAY_AUTH_MODE'):
                    hint = ('; if the cluster uses token authentication, set RAY_AUTH_MODE=token '
                            'and its token (ray get-auth-token on the head node)')
                raise grid.BackendError(f'{where}: Ray did not start: '
                                        f'{grid._one_line(exc)}{hint}') from None
            finally:
                if main and saved is not None:
                    signal.signal(signal.SIGTERM, saved)
            self._own = True
        self._ray = ray
        self._cluster_cpus = ray.cluster_resources().get('CPU', 0.0)
        biggest = max((n.get('Resources', {}).get('CPU', 0.0) for n in ray.nodes()
                       if n.get('Alive')), default=0.0)
        if biggest < self.cpus_per_trial:
            self.close()
            raise grid.BackendError(f'--cpus-per-trial {self.cpus_per_trial:g}: no Ray node has '
                                    f'that many CPUs (largest: {biggest:g})')
        self._task = ray.remote(trial_task).options(
            num_cpus=self.cpus_per_trial, max_retries=self.max_retries, retry_exceptions=False)
        self._flag = ray.remote(num_cpus=0)(_StopFlag).remote()

    def describe(self):
        where = 'a local Ray instance' if self.address is None and self._own else \
            f'the Ray cluster at {self.address}' if self.address else 'the Ray session'
        return (f'{where} ({_cpus_text(self._cluster_cpus or 0)}, '
                f'{_cpus_text(self.cpus_per_trial)} per trial)')

    def run(self, specs):
        pending = list(specs)
        if not pending:
            return
        self.start()
        ray = self._ray
        pending.reverse()
        while pending or self._running:
            while pending and not self._stopping and (
                    self.max_in_flight is None or len(self._running) < self.max_in_flight):
                spec = pending.pop()
                submitted = self._submit(spec)
                if submitted is not None:
                    yield spec, submitted
            if not self._running:
                return
            ready, _ = ray.wait(list(self._running), num_returns=1, timeout=_WAIT_S)
            for ref in ready:
                yield self._collect(ref)

    def _submit(self, spec):
        """Submit one trial; returns None, or an error row when its folder cannot be used."""
        out = spec['out_dir']
        lock = rf.RunLock(out)
        try:
            os.makedirs(out, exist_ok=True)
            lock.acquire()
            files = read_folder(out)
        except (OSError, rf.RunFolderError) as exc:
            lock.release()
            return grid.result_row(spec, error=grid._one_line(exc), status='error')
        ref = self._task.remote(spec, files, self._flag, self.before_trial)
        self._running[ref] = (spec, lock, tuple(files))
        return None

    def _collect(self, ref):
        ray = self._ray
        spec, lock, shipped = self._running.pop(ref)
        try:
            result = ray.get(ref)
            if result['files'] is not None:
                write_folder(spec['out_dir'], result['files'], before=shipped)
            row = result['row']
        except ray.exceptions.TaskCancelledError:
            row = grid.result_row(spec, error='cancelled', status='interrupted')
        except ray.exceptions.RayTaskError as exc:  # the task itself raised (not run_trial)
            cause = exc.cause if getattr(exc, 'cause', None) is not None else exc
            row = grid.result_row(spec, error=f'Ray task failed: {grid._one_line(cause)}',
                                  status='error')
        except ray.exceptions.RayError as exc:  # worker or node lost, retries spent
            row = grid.result_row(spec, error=f'Ray worker lost (after {self.max_retries} '
                                  f'retries): {grid._one_line(exc)}', status='error')
        except OSError as exc:  # writing the files here
            row = grid.result_row(spec, error=f'{spec["out_dir"]}: {grid._one_line(exc)}',
                                  status='error')
        finally:
            lock.release()
        return spec, row

    def request_stop(self):
        self._stopping = True
        if self._flag is not None:
            try:
                self._flag.set.remote()
            except Exception:  # noqa: BLE001 - Ray already gone: nothing to tell
                pass

    def abort(self):
        """Stop at once: cancel the tasks in flight (their progress since they began is lost;
        the run folders keep what they held before)."""
        self._stopping = True
        if self._ray is None:
            return
        for ref, (_spec, lock, _names) in list(self._running.items()):
            try:
                self._ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001
                pass
            lock.release()
        self._running.clear()

    def close(self):
        for _spec, lock, _names in self._running.values():
            lock.release()
        self._running.clear()
        if self._ray is None:
            return
        if self._flag is not None:
            try:
                self._ray.kill(self._flag)
            except Exception:  # noqa: BLE001
                pass
            self._flag = None
        if self._own:
            self._ray.shutdown()
            self._own = False
        self._ray = None
