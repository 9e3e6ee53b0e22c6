"""What stands between a rig's sensors and the learner, per tick, offline and in the node alike:
the sensor front end (control/sensing.py: signs, offsets, the angle's wrap, velocities estimated
where they are not measured) and the delay compensation (control/prediction.py).

    pipeline = Pipeline(front_end=..., predictor=...)
    pipeline.reset()                         # an episode starts
    state = pipeline.measure(reading, t)     # the measured state (failure checks use it)
    seen = pipeline.predict(state)           # what the learner acts on
    pipeline.commanded(u)                    # the command sent, for the predictor

Either part may be absent: without a front end the reading is the state, without a predictor
the learner acts on the measured state.
"""

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from memsnn_controller.control.prediction import DelayCompensator

F64 = NDArray[np.float64]


class FrontEnd(Protocol):
    def reset(self) -> None: ...

    def measure(self, reading: F64, t: float, out: F64) -> F64 | None: ...


class Pipeline:
    """The sensor front end and the predictor of one controller (module docstring)."""

    def __init__(self, front_end: FrontEnd | None = None,
                 predictor: DelayCompensator | None = None) -> None:
        self.front_end = front_end
        self.predictor = predictor if predictor is not None and predictor.active else None
        self._state = np.zeros(4)
        self._seen = np.zeros(4)

    @property
    def active(self) -> bool:
        return self.front_end is not None or self.predictor is not None

    def reset(self) -> None:
        if self.front_end is not None:
            self.front_end.reset()
        if self.predictor is not None:
            self.predictor.reset()

    def measure(self, reading: F64, t: float) -> F64 | None:
        """The measured state at time t (s) from a reading; None while the front end cannot
        tell yet (e.g. the first reading, whose velocity has no history)."""
        if self.front_end is None:
            self._state[:] = reading
            return self._state
        return self.front_end.measure(reading, t, self._state)

    def predict(self, state: F64) -> F64:
        if self.predictor is None:
            return state
        return self.predictor.predict(state, self._seen)

    def commanded(self, command: float) -> None:
        if self.predictor is not None:
            self.predictor.commanded(command)
