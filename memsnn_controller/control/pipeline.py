"""The controller's side of a rig for offline runs, per tick, as the controller node does it: the
sensor front end (control/sensing.py: signs, offsets, the angle's wrap, velocities estimated
where they are not measured), the delay compensation (control/prediction.py), the safety layer
(control/safety.py) and, between episodes, the episode supervisor (control/supervisor.py).

    pipeline = Pipeline(front_end, predictor, safety, supervisor)
    pipeline.reset()                          # an episode starts
    state = pipeline.measure(reading, t)      # the measured state (failure checks use it)
    seen = pipeline.predict(state)            # what the learner acts on
    out = pipeline.command(force, state)      # the learner's force through the safety layer
    pipeline.commanded(out.command)           # the command sent, for the predictor
    ... after the episode: pipeline.between(reading, t) -> command, or None when homed

Every part may be absent: without a front end the reading is the state; without a predictor the
learner acts on the measured state; without a safety layer the force is the command; without a
supervisor nothing drives the rig between episodes. Offline, the first reading of an episode
(the operator has just set the rig down: a new history for the front end) has no velocity
estimate: the rig is at rest then (plant_env.py's and the simulator's operator release it at
rest), so its velocities are taken as 0.
"""

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from memsnn_controller.control.prediction import DelayCompensator
from memsnn_controller.control.safety import SafeCommand, SafetyLayer
from memsnn_controller.control.sensing import SensorFrontEnd
from memsnn_controller.control.supervisor import RUNNING, WAITING, Supervisor

F64 = NDArray[np.float64]


class Command(NamedTuple):
    """The command for the plant (N or V) and whether the safety layer changed the learner's
    action (control/safety.py; its transition is then not learned from)."""

    command: float
    changed: bool


class Pipeline:
    """The controller's side (module docstring)."""

    def __init__(self, front_end: SensorFrontEnd | None = None,
                 predictor: DelayCompensator | None = None, safety: SafetyLayer | None = None,
                 supervisor: Supervisor | None = None) -> None:
        self.front_end = front_end
        self.predictor = predictor if predictor is not None and predictor.active else None
        self.safety = safety
        self.supervisor = supervisor
        self._state = np.zeros(4)
        self._seen = np.zeros(4)
        self._fresh = True
        self.last_state: F64 | None = None   # the episode's last state, measured by between

    @property
    def active(self) -> bool:
        return any(part is not None for part in (self.front_end, self.predictor, self.safety,
                                                 self.supervisor))

    def reset(self) -> None:
        """An episode starts (the operator has set the rig down)."""
        if self.front_end is not None:
            self.front_end.reset()
        if self.predictor is not None:
            self.predictor.reset()
        if self.supervisor is not None:
            self.supervisor.episode_started()
        self._fresh = True
        self.last_state = None

    def measure(self, reading: F64, t: float) -> F64:
        """The measured state at time t (s) from a reading (module docstring)."""
        out = self._state
        front = self.front_end
        if front is None:
            out[:] = reading
            return out
        x, x_dot, theta, theta_dot = (float(v) for v in reading)
        state = front.observe(x, x_dot, theta, theta_dot, round(t * 1e9))
        if state is None and self._fresh:  # released at rest
            state = front.state(x, 0.0, theta, 0.0)
            front.last_estimated = False
        self._fresh = False
        if state is None:
            raise RuntimeError('the sensor front end lost the state within an episode')
        out[:] = state
        return out

    def predict(self, state: F64) -> F64:
        """What the learner acts on: ``state`` predicted ahead over the delay, its velocities
        first corrected for the front end's lag where they were estimated."""
        if self.predictor is None:
            return state
        front = self.front_end
        lag = front.lag if front is not None and front.last_estimated else 0.0
        return self.predictor.predict(state, self._seen, lag)

    def command(self, force: float, state: F64) -> Command:
        """The learner's ``force`` (N) through the safety layer."""
        if self.safety is None:
            return Command(force, False)
        safe = self.safety.filter(force, float(state[0]), float(state[1]))
        return Command(safe.command, safe.changed)

    def commanded(self, command: float) -> None:
        if self.predictor is not None:
            self.predictor.commanded(command)

    def between(self, reading: F64, t: float) -> float | None:
        """The supervisor's command between episodes (braking, homing), or None once it waits
        for the operator (or without a supervisor). Its first call after an episode gets the
        episode's last reading: it measures it (``last_state``: the front end has seen it, so
        the caller need not) and tells the supervisor how the episode ended: a failure (the
        state outside the failure bounds) starts the brake, a time limit nothing (the operator
        restarts the rig where it is)."""
        supervisor = self.supervisor
        if supervisor is None or supervisor.state == WAITING:
            return None
        if self.front_end is None:
            state = tuple(float(v) for v in reading)
        else:
            x, x_dot, theta, theta_dot = (float(v) for v in reading)
            measured = self.front_end.observe(x, x_dot, theta, theta_dot, round(t * 1e9))
            if measured is None:          # a velocity not estimated yet: hold
                return self._hold()
            state = measured
        x, x_dot, theta, theta_dot = state
        if supervisor.state == RUNNING:       # the episode's last reading
            self.last_state = np.array(state, dtype=np.float64)
            config = supervisor.config
            if abs(x) > config.x_threshold or abs(theta) > config.theta_threshold:
                supervisor.failed(t)
            else:
                return None
        directive = supervisor.tick((x, x_dot, theta, theta_dot), t)
        if supervisor.state == WAITING or directive.command is None:
            return None
        return directive.command.command

    def _hold(self) -> float:
        safety = self.safety
        command: SafeCommand | None = safety.hold() if safety is not None else None
        return command.command if command is not None else 0.0
