"""Stop requests from SIGINT and SIGTERM, the one way every long-running command stops.

A handler only records the request (so no callback, episode or file write is cut short); the
command's loop polls it between units of work (a spin, an episode, a finished run) and stops
cleanly. With ``escalate``, a second signal raises KeyboardInterrupt at once, for loops whose
unit of work can take long. Used as a context manager it restores the previous handlers.

Stop flags that cross process boundaries (a worker pool's Event, Ray's stop actor) are polled
the same way, through a ``should_stop()`` callable: a StopSignals is one (call it).
"""

from collections.abc import Callable, Iterable
import signal
from types import FrameType
from typing import Any

# What signal.signal takes and returns: a handler, SIG_DFL, SIG_IGN, or None (not set from Python).
_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class StopSignals:
    """Records SIGINT/SIGTERM as a stop request.

    requested: the name of the first signal ('SIGINT'), or None.
    on_request(name): called at the first signal (e.g. to log what happens now).
    escalate: a later signal raises KeyboardInterrupt.
    """

    def __init__(self, on_request: Callable[[str], object] | None = None, escalate: bool = False,
                 signals: Iterable[signal.Signals] = (signal.SIGINT, signal.SIGTERM)) -> None:
        self.requested: str | None = None
        self.on_request = on_request
        self.escalate = escalate
        self.signals = tuple(signals)
        self._saved: dict[signal.Signals, _Handler] = {}

    def install(self) -> 'StopSignals':
        """Handle the signals from now on (main thread only, as Python's signal module)."""
        for sig in self.signals:
            self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def uninstall(self) -> None:
        """Restore the handlers that were there before ``install``."""
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)
        self._saved.clear()

    def __call__(self) -> bool:
        return self.requested is not None

    def __enter__(self) -> 'StopSignals':
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested is not None:
            if self.escalate:
                raise KeyboardInterrupt
            return
        self.requested = signal.Signals(signum).name
        if self.on_request is not None:
            self.on_request(self.requested)
