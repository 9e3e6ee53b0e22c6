"""The controller's logic without ROS: joint state in, what to publish and why out.

``ControlLoop.process(names, positions, velocities, stamp_ns, receipt_ns)`` takes one
sensor_msgs/JointState's arrays, its header stamp and the steady-clock time it was received, and
returns an Outcome: whether to publish a force, which one, and why. The controller node is a thin
adapter around it, so everything here is tested without spinning a node.

Per message, in order:

1. Bad input (a missing or repeated joint, a NaN or inf, empty arrays, array lengths that
   disagree, a stamp before the previous one): counted, answered with 0 N, nothing else touched.
   A source whose stamps restart (a restarted simulator or driver) is accepted as a new time base
   once its stamps have run backwards for ``timebase_reset_s`` of receipt time; the episode in
   progress is then abandoned.
2. Time: the header stamp; a stamp of 0 means "unstamped", and the receipt time is used instead
   (a stream switching between stamped and unstamped starts a new time base). A message with the
   same stamp as the previous one is a duplicate: it gets the same answer again (the same force,
   or nothing if the original was between ticks) and the agent is not stepped twice.
3. Decimation: a message is a tick when its time is at least ``due - tolerance``, where ``due``
   is one control period after the previous due time (a fixed grid, so a 240 Hz stream decimated
   to 50 Hz still ticks 50 times a second on average; the grid re-anchors after a gap of more than
   a period, when messages were dropped or the stream is slower than the control rate).
   Messages between ticks are skipped: nothing is published (the last command is held).
4. Episodes (phases ``waiting``, ``running``, ``truncated``):
   - running: a state outside the failure thresholds ends the episode as terminated (checked on
     every message, ticks or not, so the answer is 0 N at once); at a tick, after
     ``max_episode_steps`` agent steps the episode ends as truncated (0 N); otherwise the agent
     steps and its force, clipped to +-force_limit, is published.
   - waiting (after a failure, at start, after deactivation): 0 N at every tick until the state
     has stayed in the ready region for ``ready_hold`` seconds (0: at once); then a new episode
     starts with an agent step at that tick.
   - truncated: the pole did not fall, so no reset is needed: the next tick starts a new episode
     if the state is within the failure thresholds (else the loop waits for the ready region).
     This one tick of 0 N is what keeps the episode counts equal to the simulator's in lockstep:
     the simulator ignores the answer to its truncated state and starts a new episode.

The agent computes its own reward; episode lengths count agent steps (ticks), so in lockstep they
equal the simulator's.
"""

from dataclasses import dataclass
import math
from typing import NamedTuple

import numpy as np

from memsnn_controller.envs import cartpole_spec
from memsnn_controller.ros.conversions import JointLookup

# Outcome kinds.
TICK = 'tick'                 # the agent stepped; publish its force
NEW_EPISODE = 'new_episode'   # a ready state: a new episode started with an agent step; publish
SKIP = 'skip'                 # between ticks (decimated): publish nothing
DUPLICATE = 'duplicate'       # the previous stamp again: repeat the previous answer
BAD_INPUT = 'bad_input'       # unusable message: publish 0 N
FAILED = 'failed'             # outside the failure thresholds: episode ended (terminated); 0 N
TRUNCATED = 'truncated'       # max_episode_steps reached: episode ended (truncated); 0 N
WAITING = 'waiting'           # no episode running and the state is not ready: 0 N

# Phases.
PHASE_WAITING = 'waiting'
PHASE_RUNNING = 'running'
PHASE_TRUNCATED = 'truncated'

# Bad-input reason codes added to conversions.BAD_*.
BAD_TIME_BACKWARDS = 'time_backwards'
BAD_NEGATIVE_STAMP = 'negative_stamp'

REASON_MAX_STEPS = 'max_episode_steps'
REASON_TIMEBASE = 'time_base_reset'


class Outcome(NamedTuple):
    """What to do with one joint state."""

    kind: str
    publish: bool
    force: float = 0.0
    reason: str = ''          # bad input: the reason code; failures: x_limit or theta_limit
    detail: str = ''          # bad input: a sentence for the log
    episode: object = None    # an EpisodeEnd when an episode ended with this message


class EpisodeEnd(NamedTuple):
    """A finished episode: the agent's summary plus what the loop knows about it."""

    summary: object           # snn.agent.EpisodeSummary
    reason: str               # x_limit, theta_limit, max_episode_steps or time_base_reset
    wall_s: float             # receipt time from its first tick to its end
    end_stamp_ns: int         # the time (stamp or receipt) of its last state
    writes_per_synapse: float


@dataclass
class LoopSettings:
    """The loop's parameters (the node's of the same names; times in seconds)."""

    control_period: float = 0.02
    tick_tolerance: float = 0.25
    force_limit: float = 10.0
    max_episode_steps: int = cartpole_spec.MAX_EPISODE_STEPS
    x_threshold: float = cartpole_spec.X_THRESHOLD
    theta_threshold: float = cartpole_spec.THETA_THRESHOLD
    ready_x: float = 0.5
    ready_x_dot: float = 0.5
    ready_theta: float = 0.1
    ready_theta_dot: float = 0.5
    ready_hold: float = 0.0
    timebase_reset_s: float = 0.5
    cart_joint: str = 'slider_to_cart'
    pole_joint: str = 'cart_to_pole'

    @classmethod
    def from_parameters(cls, p):
        """Settings from the node's parameter dict (timebase_reset_s = watchdog_timeout)."""
        names = [f for f in cls.__dataclass_fields__ if f != 'timebase_reset_s']
        return cls(timebase_reset_s=p['watchdog_timeout'], **{n: p[n] for n in names})


_SKIP = Outcome(SKIP, False)


class LatencyStats:
    """Receipt-to-publish latencies in a preallocated ring; percentiles per report window."""

    def __init__(self, capacity=8192):
        self._ring = np.zeros(capacity, dtype=np.int64)
        self._count = 0
        self.total = 0

    def record(self, latency_ns):
        self._ring[self._count % self._ring.size] = latency_ns
        self._count += 1
        self.total += 1

    def take(self):
        """(samples, p50_ms, p99_ms, max_ms) since the last take (up to ``capacity`` newest);
        zeros when there were none. Starts a new window."""
        n = min(self._count, self._ring.size)
        self._count = 0
        if n == 0:
            return 0, 0.0, 0.0, 0.0
        values = self._ring[:n] * 1e-6
        p50, p99 = np.percentile(values, (50, 99))
        return n, float(p50), float(p99), float(values.max())


class ControlLoop:
    """The controller's logic (module docstring): feed ``process``, publish what it says."""

    def __init__(self, agent, settings=None):
        self.agent = agent
        self.settings = LoopSettings() if settings is None else settings
        self.latency = LatencyStats()
        self.lookup = JointLookup()
        # counters
        self.messages = 0
        self.ticks = 0            # agent steps
        self.skipped = 0
        self.duplicates = 0
        self.bad_messages = 0
        self.bad_by_reason = {}
        self.last_bad = ''
        self.overruns = 0
        self.timebase_resets = 0
        self.abandoned = 0
        self.nonfinite_forces = 0
        self.apply_settings()
        self.restart()

    # -- configuration ----------------------------------------------------------------------------

    def apply_settings(self):
        """Take changed ``settings`` into account (call after changing any of them)."""
        s = self.settings
        self._period_ns = round(s.control_period * 1e9)
        self._tolerance_ns = round(s.tick_tolerance * self._period_ns)
        self._hold_ns = round(s.ready_hold * 1e9)
        self._timebase_reset_ns = round(s.timebase_reset_s * 1e9)
        self._spec = cartpole_spec.CartPoleSpec(x_threshold=s.x_threshold,
                                                theta_threshold=s.theta_threshold)
        if (s.cart_joint, s.pole_joint) != (self.lookup.cart_joint, self.lookup.pole_joint):
            self.lookup = JointLookup(s.cart_joint, s.pole_joint)
        # Synapses per device: for the episodes' writes per synapse.
        self._synapses = self.agent.n_synapses

    def restart(self):
        """Forget the time base and abandon the episode in progress (activation, deactivation):
        the next message starts a new time base and the loop waits for a ready state."""
        self._last_t = None
        self._stamped = None
        self._due = None
        self._backwards_since = None
        self._last_answer = _SKIP
        self._abandon()

    def replace_agent(self, agent):
        """Use a new agent (after ~/reset_learning); the loop waits for a ready state."""
        self.agent = agent
        self.phase = PHASE_WAITING
        self._ready_since = None
        self.apply_settings()

    def _abandon(self):
        # The partial episode is not recorded: the next episode start (agent.reset) discards it.
        if getattr(self, 'phase', PHASE_WAITING) == PHASE_RUNNING:
            self.abandoned += 1
        self.phase = PHASE_WAITING
        self._ready_since = None
        self.episode_steps = 0
        self._episode_start_ns = 0

    # -- the hot path -----------------------------------------------------------------------------

    def process(self, names, positions, velocities, stamp_ns, receipt_ns):
        """Decide what to answer to one joint state (module docstring); returns an Outcome."""
        self.messages += 1
        obs, code, detail = self.lookup.observation(names, positions, velocities)
        if obs is None:
            return self._bad(code, detail)
        if stamp_ns < 0:
            return self._bad(BAD_NEGATIVE_STAMP, f'negative stamp {stamp_ns} ns')
        stamped = stamp_ns != 0
        t = stamp_ns if stamped else receipt_ns
        last = self._last_t
        if last is None or stamped != self._stamped:
            self._due = None  # a new time base
            self._ready_since = None
        elif t == last:
            self.duplicates += 1
            answer = self._last_answer
            return Outcome(DUPLICATE, answer.publish, answer.force)
        elif t < last:
            if self._backwards_since is None:
                self._backwards_since = receipt_ns
            if receipt_ns - self._backwards_since < self._timebase_reset_ns:
                return self._bad(BAD_TIME_BACKWARDS,
                                 f'stamp {t * 1e-9:.6f} s is before the previous '
                                 f'{last * 1e-9:.6f} s')
            return self._new_timebase(obs, t, stamped, receipt_ns)
        self._backwards_since = None
        self._last_t = t
        self._stamped = stamped

        due = self._due
        period = self._period_ns
        if due is None:
            tick = True
            self._due = t + period
        elif t >= due - self._tolerance_ns:
            tick = True
            self._due = due + period if t - due < period else t + period
        else:
            tick = False

        outcome = self._episode_step(obs, t, tick, receipt_ns)
        self._last_answer = outcome
        return outcome

    def _episode_step(self, obs, t, tick, receipt_ns):
        if self.phase == PHASE_RUNNING:
            reason = cartpole_spec.failure_reason(obs, self._spec)
            if reason is not None:
                summary = self.agent.end_episode(obs, terminated=True)
                self.phase = PHASE_WAITING
                self._ready_since = None
                return Outcome(FAILED, True, 0.0, reason,
                               episode=self._episode_end(summary, reason, t, receipt_ns))
            if not tick:
                self.skipped += 1
                return _SKIP
            limit = self.settings.max_episode_steps
            if limit and self.episode_steps >= limit:
                summary = self.agent.end_episode(obs, truncated=True)
                self.phase = PHASE_TRUNCATED
                return Outcome(TRUNCATED, True, 0.0, REASON_MAX_STEPS,
                               episode=self._episode_end(summary, REASON_MAX_STEPS, t,
                                                         receipt_ns))
            return self._act(TICK, obs)
        if not tick:
            self.skipped += 1
            return _SKIP
        if self.phase == PHASE_TRUNCATED and cartpole_spec.failure_reason(obs, self._spec) is None:
            return self._start(obs, receipt_ns)
        self.phase = PHASE_WAITING
        if self._ready(obs):
            if self._ready_since is None:
                self._ready_since = t
            if t - self._ready_since >= self._hold_ns:
                return self._start(obs, receipt_ns)
        else:
            self._ready_since = None
        return Outcome(WAITING, True, 0.0)

    def _start(self, obs, receipt_ns):
        self.agent.reset()
        self.phase = PHASE_RUNNING
        self.episode_steps = 0
        self._ready_since = None
        self._episode_start_ns = receipt_ns
        return self._act(NEW_EPISODE, obs)

    def _act(self, kind, obs):
        decision = self.agent.step(obs)
        self.episode_steps += 1
        self.ticks += 1
        force = decision.force
        limit = self.settings.force_limit
        if not math.isfinite(force):  # never a non-finite command on the wire
            self.nonfinite_forces += 1
            force = 0.0
        elif force > limit:
            force = limit
        elif force < -limit:
            force = -limit
        return Outcome(kind, True, force)

    def _ready(self, obs):
        s = self.settings
        x, x_dot, theta, theta_dot = obs
        return (abs(x) <= s.ready_x and abs(x_dot) <= s.ready_x_dot
                and abs(theta) <= s.ready_theta and abs(theta_dot) <= s.ready_theta_dot)

    def _bad(self, code, detail):
        self.bad_messages += 1
        self.bad_by_reason[code] = self.bad_by_reason.get(code, 0) + 1
        self.last_bad = detail
        return Outcome(BAD_INPUT, True, 0.0, code, detail)

    def _new_timebase(self, obs, t, stamped, receipt_ns):
        """The stamps have run backwards for timebase_reset_s: the source restarted."""
        self.timebase_resets += 1
        self.restart()
        self._last_t = t
        self._stamped = stamped
        self._due = t + self._period_ns
        outcome = self._episode_step(obs, t, True, receipt_ns)
        self._last_answer = outcome
        return outcome

    def _episode_end(self, summary, reason, t, receipt_ns):
        wall = (receipt_ns - self._episode_start_ns) * 1e-9
        return EpisodeEnd(summary, reason, wall, t, summary.writes / self._synapses)

    # -- statistics -------------------------------------------------------------------------------

    def record_latency(self, latency_ns):
        """Record a state-receipt-to-publish latency; one above the control period is an
        overrun (the answer came later than the next state of a stream at the control rate
        would be due)."""
        self.latency.record(latency_ns)
        if latency_ns > self._period_ns:
            self.overruns += 1
