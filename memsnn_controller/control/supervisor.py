"""The episode supervisor: what a rig does between episodes, which is the supervisor's job and
never the learner's. A small state machine beside the safety layer (control/safety.py), whose
commands go through that layer like the learner's:

    RUNNING --failure--> BRAKING --at rest--> HOMING --homed--> WAITING --ready--> ARMED
       ^                                                                           |
       +------------------------------ released ----------------------------------+

- RUNNING: the learner acts (the controller's loop steps the agent). A failure (the loop's
  failure bounds) starts BRAKING; a truncation (the time limit) starts the next episode at once
  when the state is within the bounds, as before.
- BRAKING: the brake (-brake_gain x_dot) until |x_dot| < rest_speed has held for rest_time.
- HOMING: a velocity loop toward x = 0 with the pole hanging or held: the wanted speed
  v = clip(-home_gain x, +-home_speed), the force brake_gain (v - x_dot) through the safety
  layer, until |x| < home_tolerance and |x_dot| < rest_speed have held for rest_time.
- WAITING: 0 N until the operator sets the pole upright and holds it: the state inside the ready
  region (|x| <= ready_x, |x_dot| <= ready_x_dot, |theta| <= ready_theta, |theta_dot| <=
  ready_theta_dot) for ready_hold (with ``auto_start``), or a ``start`` call (the ``~/start``
  service) while the state is within the failure bounds.
- ARMED: 0 N while a hand may still be on the pole. The episode starts when the pole is released:
  |theta_dot| >= release_speed or |theta - theta_armed| >= release_angle, theta_armed the angle
  when it was armed (a held pole is still; a released one starts to fall). So the learner never
  acts on, nor learns from, a pole held by a hand. A state outside the failure bounds returns
  to WAITING.
- PAUSED (``pause(True)``, the ``~/pause`` service): 0 N, learning frozen; the episode in
  progress is abandoned (nothing learned from it, nothing of the learning state lost). ``pause(
  False)`` goes on with BRAKING (the cart may have been moved), then HOMING, WAITING.
- ``home()`` (``~/home``): HOMING from WAITING, ARMED or after a pause.

An episode never starts while braking or homing, nor before ARMED. The supervisor counts what a
rig's user wants to know: failures braked and how long each brake took, homing times, episodes
started by the operator (ready_hold) and by ``start``.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
import math
from typing import NamedTuple

from memsnn_controller.common import checks
from memsnn_controller.control.safety import SafeCommand, SafetyLayer

RUNNING = 'RUNNING'
BRAKING = 'BRAKING'
HOMING = 'HOMING'
WAITING = 'WAITING'
ARMED = 'ARMED'
PAUSED = 'PAUSED'
STATES = (RUNNING, BRAKING, HOMING, WAITING, ARMED, PAUSED)
# Levels of a supervisor state on /diagnostics (diagnostic_msgs: OK 0, WARN 1).
BY_OPERATOR = 'operator'
BY_START = 'start'


@dataclass(frozen=True)
class SupervisorConfig:
    """The supervisor's settings (module docstring); ValueError names a bad field. Positions in
    m, speeds in m/s, angles in rad, times in s."""

    x_threshold: float = 2.4
    theta_threshold: float = 12 * 2 * math.pi / 360
    rest_speed: float = 0.05
    rest_time: float = 0.1
    home_gain: float = 4.0
    home_speed: float = 0.25
    home_tolerance: float = 0.02
    ready_x: float = 0.05
    ready_x_dot: float = 0.05
    ready_theta: float = 0.05
    ready_theta_dot: float = 0.1
    ready_hold: float = 0.25
    auto_start: bool = True
    release_speed: float = 0.02
    release_angle: float = 0.02

    def __post_init__(self) -> None:
        positive = {'x_threshold': ' m', 'theta_threshold': ' rad', 'rest_speed': ' m/s',
                    'home_gain': ' 1/s', 'home_speed': ' m/s', 'home_tolerance': ' m',
                    'release_speed': ' rad/s', 'release_angle': ' rad'}
        for name, unit in positive.items():
            checks.require(f'supervisor.{name}', getattr(self, name),
                           checks.above_zero(1e6, unit))
        for name in ('rest_time', 'ready_x', 'ready_x_dot', 'ready_theta', 'ready_theta_dot',
                     'ready_hold'):
            checks.require(f'supervisor.{name}', getattr(self, name), checks.in_range(0.0, 1e6))
        checks.require('supervisor.auto_start', self.auto_start, checks.boolean)
        checks.require_that(self.ready_x < self.x_threshold, 'supervisor.ready_x',
                            f'must stay below x_threshold ({self.x_threshold})', self.ready_x)
        checks.require_that(self.ready_theta < self.theta_threshold, 'supervisor.ready_theta',
                            f'must stay below theta_threshold ({self.theta_threshold})',
                            self.ready_theta)


@dataclass
class SupervisorStats:
    """What the supervisor did, for the diagnostics and a run's summary."""

    failures: int = 0
    braked: int = 0
    brake_times: list[float] = field(default_factory=list)
    homing_times: list[float] = field(default_factory=list)
    started_by_operator: int = 0
    started_by_start: int = 0
    continued: int = 0          # episodes that followed a truncation at once
    refused_starts: int = 0


class Directive(NamedTuple):
    """One tick of the supervisor: the command to send (None in RUNNING: the learner's, through
    the safety layer) and whether an episode starts at this tick (the loop then resets the
    agent and lets it act)."""

    state: str
    command: SafeCommand | None
    start: bool = False


class Supervisor:
    """The state machine (module docstring). The controller's loop calls ``tick`` with every
    state it acts on; ``failed``, ``truncated``, ``start``, ``home`` and ``pause`` report events.
    Times are the loop's (s)."""

    def __init__(self, config: SupervisorConfig, safety: SafetyLayer) -> None:
        self.config = config
        self.safety = safety
        self.state = WAITING
        self.stats = SupervisorStats()
        self._since: float | None = None      # when the current condition began to hold
        self._entered = 0.0                   # when the current state began
        self._failed_at: float | None = None
        self._start_requested = False
        self._continuing = False
        self._armed_theta = 0.0
        self._t = 0.0

    # -- events --------------------------------------------------------------------------------

    def failed(self, t: float) -> None:
        """The loop saw a failure in RUNNING: brake."""
        self.stats.failures += 1
        self._failed_at = t
        self._enter(BRAKING, t)

    def truncated(self, t: float) -> None:
        """The episode reached its time limit with the pole up: the next tick starts the next
        one, if the state is within the failure bounds."""
        self._enter(ARMED, t)
        self._continuing = True

    def start(self, state: Sequence[float] | None) -> tuple[bool, str]:
        """The ``~/start`` request: arm now, if the supervisor waits and the state is within the
        failure bounds. Returns (accepted, why)."""
        if self.state not in (WAITING, ARMED):
            self.stats.refused_starts += 1
            return False, f'not waiting for an episode (the supervisor is {self.state})'
        if state is None or not self._within_bounds(state):
            self.stats.refused_starts += 1
            return False, 'the state is outside the failure bounds (set the pole upright first)'
        self._enter(ARMED, self._t)
        self._armed_theta = state[2]
        self._start_requested = True
        return True, 'armed: the episode starts when the pole is released'

    def restart(self, t: float) -> None:
        """The controller (re)starts on a rig in an unknown state: brake, home, wait."""
        self._failed_at = None
        self._enter(BRAKING, t)

    def home(self) -> tuple[bool, str]:
        """The ``~/home`` request."""
        if self.state in (RUNNING, BRAKING):
            return False, f'cannot home while {self.state}'
        self._enter(HOMING, self._t)
        return True, 'homing'

    def pause(self, on: bool) -> tuple[bool, str]:
        """The ``~/pause`` request: on (0 N, learning frozen) or off (brake, home, wait)."""
        if on:
            if self.state != PAUSED:
                self._enter(PAUSED, self._t)
            return True, 'paused: 0 N, learning frozen'
        if self.state == PAUSED:
            self._failed_at = None
            self._enter(BRAKING, self._t)
        return True, 'resumed: braking, then homing'

    def episode_started(self) -> None:
        """The loop started an episode (after a Directive with start)."""
        self._enter(RUNNING, self._t)

    # -- the tick ------------------------------------------------------------------------------

    def tick(self, state: Sequence[float], t: float) -> Directive:
        """What to do with this state (module docstring)."""
        self._t = t
        x, x_dot, theta, theta_dot = state
        cfg, safety = self.config, self.safety
        if self.state == RUNNING:
            return Directive(RUNNING, None)
        if self.state == PAUSED:
            return Directive(PAUSED, safety.hold())
        if self.state == BRAKING:
            if self._held(abs(x_dot) < cfg.rest_speed, t):
                if self._failed_at is not None:
                    self.stats.braked += 1
                    self.stats.brake_times.append(self._since_condition(t) - self._failed_at)
                    self._failed_at = None
                self._enter(HOMING, t)
            else:
                return Directive(BRAKING, safety.brake(x_dot))
        if self.state == HOMING:
            if self._held(abs(x) < cfg.home_tolerance and abs(x_dot) < cfg.rest_speed, t):
                self.stats.homing_times.append(t - self._entered)
                self._enter(WAITING, t)
            else:
                wanted = max(-cfg.home_speed, min(cfg.home_speed, -cfg.home_gain * x))
                force = safety.config.brake_gain * (wanted - x_dot)
                return Directive(HOMING, safety.drive(force, x_dot))
        if self.state == WAITING:
            if cfg.auto_start and self._held(self._ready(state), t, cfg.ready_hold):
                self._enter(ARMED, t)
                self._armed_theta = theta
            else:
                return Directive(WAITING, safety.hold())
        # ARMED
        if not self._within_bounds(state):
            self._enter(WAITING, t)
            return Directive(WAITING, safety.hold())
        if self._continuing:
            self._continuing = False
            self.stats.continued += 1
            return Directive(ARMED, None, start=True)
        if abs(theta_dot) >= cfg.release_speed or \
                abs(theta - self._armed_theta) >= cfg.release_angle:
            if self._start_requested:
                self.stats.started_by_start += 1
            else:
                self.stats.started_by_operator += 1
            self._start_requested = False
            return Directive(ARMED, None, start=True)
        return Directive(ARMED, safety.hold())

    # -- helpers -------------------------------------------------------------------------------

    def _enter(self, state: str, t: float) -> None:
        self.state = state
        self._entered = t
        self._since = None
        if state != ARMED:
            self._start_requested = self._continuing = False

    def _held(self, condition: bool, t: float, duration: float | None = None) -> bool:
        """Whether ``condition`` has held for ``duration`` (rest_time by default) up to t."""
        if not condition:
            self._since = None
            return False
        if self._since is None:
            self._since = t
        return t - self._since >= (self.config.rest_time if duration is None else duration) \
            - 1e-9

    def _since_condition(self, t: float) -> float:
        return self._since if self._since is not None else t

    def _ready(self, state: Sequence[float]) -> bool:
        cfg = self.config
        x, x_dot, theta, theta_dot = state
        return (abs(x) <= cfg.ready_x and abs(x_dot) <= cfg.ready_x_dot
                and abs(theta) <= cfg.ready_theta and abs(theta_dot) <= cfg.ready_theta_dot)

    def _within_bounds(self, state: Sequence[float]) -> bool:
        x, _, theta, _ = state
        return abs(x) <= self.config.x_threshold and abs(theta) <= self.config.theta_threshold
