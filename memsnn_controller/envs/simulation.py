"""The simulator's episode loop: the PyBullet cart-pole plus CartPole-v1's episode rules, no ROS.

The simulator node drives this one tick (one control period) at a time, in lockstep with a
controller or at wall-clock rate; keeping the loop here lets it be tested and reused without ROS.

Episode rules per tick, with the force held over the tick:

- running: the model steps; if the true state fails (``cartpole_spec.failure_reason``) the
  episode ends as terminated; else if ``max_episode_steps`` (0 = unlimited) steps are done it ends
  as truncated. The tick that ends the episode shows the final state.
- after a failure, with ``after_failure='freeze'`` (CartPole-v1's way) the state is frozen and 0 N
  is reported as applied; with ``'coast'`` (a rig's way: nothing teleports) the physics goes on
  under the commands the controller sends, so the pole keeps falling and the cart moves on (into
  an end stop, if nothing brakes it). With ``auto_reset`` a new episode starts on the first tick
  after ``reset_pause`` seconds of sim time, without it only ``reset()`` starts one.
- after a truncation the next tick starts a new episode (the pole did not fail, so no pause).

Sim time starts at 0 and advances by exactly one control period per tick, also while frozen,
and by one period for a reset() (so distinct states never share a time stamp).

End-stop hits (a plant with ``track_limit``): each report counts the hits within its episode;
``end_stop_hits`` counts every hit so far, those while coasting after a failure included.

A simulated operator (``operator='simulated'``, a rig's way to start episodes; with it
``auto_reset`` and ``reset_pause`` are not used): after a failure the physics coasts under the
commands received (the controller's supervisor brakes and homes the cart), and once the cart has
been at rest (|x_dot| < ``OPERATOR_REST_SPEED``) for ``operator_delay`` seconds the operator
slides it to within +-``operator_x`` of the centre if it rests beyond, sets the pole upright
(theta drawn from U(-start_range, start_range), at rest) and holds it there for
``operator_hold`` seconds (phase 'held': the pole is put back every tick, the cart free), then
lets go: a new episode starts at the release. A truncation starts the next episode where the
state is (nothing teleports). ``operator_interventions`` counts the operator's restarts.
"""

from dataclasses import dataclass
import math

from memsnn_controller.envs import cartpole_spec
from memsnn_controller.envs.bullet_cartpole import F64, BulletCartPole, BulletCartPoleConfig

RUNNING = 'running'
FAILED = 'failed'
TRUNCATED = 'truncated'

HELD = 'held'

# What the physics does after a failure.
FREEZE = 'freeze'
COAST = 'coast'
AFTER_FAILURE = (FREEZE, COAST)
# Who starts the episodes after a failure.
OPERATOR_NONE = 'none'
OPERATOR_SIMULATED = 'simulated'
OPERATORS = (OPERATOR_NONE, OPERATOR_SIMULATED)
OPERATOR_REST_SPEED = 0.1    # m/s: slow enough for the operator to take the pole

# EpisodeReport.reason for episodes that did not fail.
REASON_TRUNCATED = 'truncated'
REASON_RESET = 'reset'


@dataclass(frozen=True)
class EpisodeReport:
    """One finished episode.

    reason: 'x_limit', 'theta_limit' or 'invalid' (failures, terminated=True), 'truncated' (the
    step limit) or 'reset' (ended by reset()).
    length: control steps taken in the episode. end_time: sim time of its last state, seconds.
    end_stop_hits: the cart's hits of an end stop within the episode.
    """

    episode: int
    length: int
    reason: str
    terminated: bool
    truncated: bool
    end_time: float
    end_stop_hits: int = 0


class CartPoleSimulation:
    """Ticks a BulletCartPole through CartPole-v1 episodes (rules in the module docstring)."""

    def __init__(self, config: BulletCartPoleConfig | None = None, *,
                 max_episode_steps: int = cartpole_spec.MAX_EPISODE_STEPS,
                 auto_reset: bool = True, reset_pause: float = 0.0, seed: int | None = None,
                 spec: cartpole_spec.CartPoleSpec = cartpole_spec.CARTPOLE_V1,
                 after_failure: str = FREEZE, operator: str = OPERATOR_NONE,
                 operator_delay: float = 1.0, operator_hold: float = 0.5,
                 operator_x: float = 0.0) -> None:
        if after_failure not in AFTER_FAILURE:
            raise ValueError(f'after_failure: must be one of {", ".join(AFTER_FAILURE)}, got '
                             f'{after_failure!r}')
        if operator not in OPERATORS:
            raise ValueError(f'operator: must be one of {", ".join(OPERATORS)}, got '
                             f'{operator!r}')
        self.operator = operator
        self.operator_delay = float(operator_delay)
        self.operator_hold = float(operator_hold)
        # 0: half the failure bound
        self.operator_x = float(operator_x) if operator_x > 0.0 else spec.x_threshold / 2.0
        self.operator_interventions = 0
        self._rest_ticks = 0
        self._held_ticks = 0
        self._held_theta = 0.0
        if operator == OPERATOR_SIMULATED:
            after_failure = COAST
        self.model = BulletCartPole(BulletCartPoleConfig() if config is None else config,
                                    seed=seed)
        self.spec = spec
        self.after_failure = after_failure
        self.end_stop_hits = 0
        self._hits_seen = 0
        self._episode_hits = 0
        self.max_episode_steps = max_episode_steps
        self.auto_reset = auto_reset
        self.reset_pause = reset_pause
        period = self.model.config.control_period
        self.period_ns = round(period * 1e9)
        self.ticks = 0
        self.episode = 0
        self.episode_steps = 0
        self.phase = RUNNING
        self._frozen_ticks = 0
        self._start_episode()

    # -- queries --------------------------------------------------------------------------------

    @property
    def time_ns(self) -> int:
        """Sim time in integer nanoseconds (ticks x control period, no float drift)."""
        return self.ticks * self.period_ns

    @property
    def time(self) -> float:
        """Sim time in seconds."""
        return self.time_ns * 1e-9

    @property
    def observation(self) -> F64:
        """What a sensor reports now: (x, x_dot, theta, theta_dot) with sensor noise."""
        return self.model.observation

    @property
    def applied_force(self) -> float:
        """The force (N) applied during the last tick (0 while frozen after a failure)."""
        return self.model.applied_force

    # -- stepping -------------------------------------------------------------------------------

    def tick(self, force: float) -> EpisodeReport | None:
        """Advance one control period holding ``force``; return an EpisodeReport if one ended."""
        self.ticks += 1
        if self.phase == RUNNING:
            self.model.step(force)
            self._count_hits()
            self.episode_steps += 1
            reason = cartpole_spec.failure_reason(self.model.state, self.spec)
            limit_reached = 0 < self.max_episode_steps <= self.episode_steps
            if reason is not None:
                self.phase = FAILED
                self._frozen_ticks = 0
                return self._report(reason, terminated=True, truncated=limit_reached)
            if limit_reached:
                self.phase = TRUNCATED
                return self._report(REASON_TRUNCATED, terminated=False, truncated=True)
            return None
        if self.operator == OPERATOR_SIMULATED:
            return self._operator_tick(force)
        if self.phase == FAILED and self.after_failure == COAST:
            self.model.step(force)
            self._count_hits()
        else:
            self.model.applied_force = 0.0
        pause_ticks = math.ceil(self.reset_pause * 1e9 / self.period_ns - 1e-9)
        if self.phase == TRUNCATED or (self.auto_reset and self._frozen_ticks >= pause_ticks):
            self._start_episode()
        else:
            self._frozen_ticks += 1
        return None

    def reset(self) -> EpisodeReport | None:
        """Start a new episode; return the report of the one it cut short, if any.

        Like an automatic reset, this takes one control period of sim time, so every distinct
        state carries a distinct time stamp.
        """
        report = None
        if self.phase == RUNNING and self.episode_steps > 0:
            report = self._report(REASON_RESET, terminated=False, truncated=False)
        self.ticks += 1
        self._start_episode()
        return report

    def close(self) -> None:
        self.model.close()

    def __enter__(self) -> 'CartPoleSimulation':
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers --------------------------------------------------------------------------------

    def _operator_tick(self, force: float) -> EpisodeReport | None:
        """A tick after an episode's end with the simulated operator (module docstring)."""
        model = self.model
        model.step(force)
        self._count_hits()
        if self.phase == TRUNCATED:       # the pole is up: go on where the state is
            self._begin(reset=False)
            return None
        if self.phase == HELD:
            self._held_ticks += 1
            if self._held_ticks >= self._ticks(self.operator_hold):
                self._begin(reset=False)  # let go
            else:
                model.place(theta=self._held_theta, theta_dot=0.0)
            return None
        # FAILED: coasting until the cart rests long enough for the operator
        self._rest_ticks = self._rest_ticks + 1 if abs(model.state[1]) < OPERATOR_REST_SPEED \
            else 0
        if self._rest_ticks >= self._ticks(self.operator_delay):
            limit = self.operator_x
            x = min(max(float(model.state[0]), -limit), limit)
            r = model.config.start_range
            self._held_theta = float(model.np_random.uniform(-r, r))
            model.place(x=x, x_dot=0.0, theta=self._held_theta, theta_dot=0.0)
            self.operator_interventions += 1
            self.phase = HELD
            self._held_ticks = 0
        return None

    def _ticks(self, seconds: float) -> int:
        """Control periods in ``seconds`` (rounded up)."""
        return math.ceil(seconds * 1e9 / self.period_ns - 1e-9)

    def _count_hits(self) -> None:
        hits = self.model.end_stop_hits
        new = hits - self._hits_seen
        self.end_stop_hits += new
        if self.phase == RUNNING:
            self._episode_hits += new
        self._hits_seen = hits

    def _start_episode(self) -> None:
        self._begin(reset=True)

    def _begin(self, reset: bool) -> None:
        """A new episode: from a new start state (``reset``), or from the state as it is."""
        if reset:
            self.model.reset()
            self._hits_seen = 0
        self._rest_ticks = 0
        self._episode_hits = 0
        self.episode += 1
        self.episode_steps = 0
        self.phase = RUNNING

    def _report(self, reason: str, terminated: bool, truncated: bool) -> EpisodeReport:
        return EpisodeReport(episode=self.episode, length=self.episode_steps, reason=reason,
                             terminated=terminated, truncated=truncated, end_time=self.time,
                             end_stop_hits=self._episode_hits)
