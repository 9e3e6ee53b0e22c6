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
"""

from dataclasses import dataclass
import math

from memsnn_controller.envs import cartpole_spec
from memsnn_controller.envs.bullet_cartpole import F64, BulletCartPole, BulletCartPoleConfig

RUNNING = 'running'
FAILED = 'failed'
TRUNCATED = 'truncated'

# What the physics does after a failure.
FREEZE = 'freeze'
COAST = 'coast'
AFTER_FAILURE = (FREEZE, COAST)

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
                 after_failure: str = FREEZE) -> None:
        if after_failure not in AFTER_FAILURE:
            raise ValueError(f'after_failure: must be one of {", ".join(AFTER_FAILURE)}, got '
                             f'{after_failure!r}')
        self.model = BulletCartPole(BulletCartPoleConfig() if config is None else config,
                                    seed=seed)
        self.spec = spec
        self.after_failure = after_failure
        self.end_stop_hits = 0
        self._hits_seen = 0
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

    def _count_hits(self) -> None:
        hits = self.model.end_stop_hits
        self.end_stop_hits += hits - self._hits_seen
        self._hits_seen = hits

    def _start_episode(self) -> None:
        self.model.reset()
        self._hits_seen = 0
        self.episode += 1
        self.episode_steps = 0
        self.phase = RUNNING

    def _report(self, reason: str, terminated: bool, truncated: bool) -> EpisodeReport:
        return EpisodeReport(episode=self.episode, length=self.episode_steps, reason=reason,
                             terminated=terminated, truncated=truncated, end_time=self.time,
                             end_stop_hits=self._hits_seen)
