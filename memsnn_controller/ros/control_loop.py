"""The controller's logic without ROS: joint state in, what to publish and why out.

``ControlLoop.process(names, positions, velocities, stamp_ns, receipt_ns)`` takes one
sensor_msgs/JointState's arrays, its header stamp and the steady-clock time it was received, and
returns an Outcome: whether to publish a force, which one, and why. The controller node is a thin
adapter around it, so everything here is tested without spinning a node.

Per message, in order:

1. Reading (``conversions.JointLookup``): bad input (a repeated joint, a NaN or inf, a value
   beyond ``state_limits``, empty arrays, array lengths that disagree, a negative stamp, a stamp
   before the previous one) is counted, answered with 0 N, nothing else touched. Velocities
   follow ``velocity_estimation``: 'off' needs them finite; 'auto' takes a NaN velocity, or an
   empty velocity array, as absent (estimated in step 3); 'on' does not read them. A source whose
   stamps restart (a restarted simulator or driver) is accepted as a new time base once its
   stamps have run backwards for ``watchdog_timeout`` of receipt time; the episode in progress
   is then abandoned. A message holding one of the two joints only (stacks with one driver or
   broadcaster per joint) is merged with the other joint's latest reading when the two are at
   most ``merge_window`` apart (the state's time is the newer of the two); without a partner,
   with ``merge_joints`` off, or holding neither joint (another source on the topic) it is
   ignored: not answered, counted. Partial messages are never answered with 0 N.
2. Time: the header stamp; a stamp of 0 means "unstamped", and the receipt time is used instead
   (a stream switching between stamped and unstamped starts a new time base). A message with the
   same stamp as the previous one is a duplicate: it gets the same answer again (the same force,
   or nothing if the original was between ticks) and the agent is not stepped twice. A stamp that
   has not advanced for ``watchdog_timeout`` (a stuck driver repeating its last reading) trips
   the watchdog: each such message is answered with 0 N (``STALE``) until the stamps move.
   Silence trips it too (``check_watchdog``, called by the node's timer): only states with an
   advancing stamp count as alive.
3. Sensing (``control.sensing.SensorFrontEnd``): each joint's position is kept at its own
   stamp for the velocity estimator (the least-squares slope over ``velocity_window``), the
   velocities to estimate are estimated, and the offsets, signs and the angle's wrap to (-pi,
   pi] (``cart_offset``, ``cart_sign``, ``pole_offset``, ``pole_sign``) make the readings the
   state everything below sees. A velocity to estimate that has no estimate yet (the first
   reading after a restart, a new time base or more than ``velocity_max_gap`` without one) is
   answered with 0 N (``ESTIMATING``) and nothing else happens; the next reading has one. An
   estimate beyond ``state_limits`` is a jump of the readings (an encoder glitch, a simulator's
   reset moving the plant), not a velocity: that joint's history starts afresh at its newest
   reading, and the state waits (``ESTIMATING``) like the first one.
4. Decimation: a message is a tick when its time is at least ``due - tolerance``, where ``due``
   is one control period after the previous due time (a fixed grid, so a 240 Hz stream decimated
   to 50 Hz still ticks 50 times a second on average; the grid re-anchors after a gap of more than
   a period, when messages were dropped or the stream is slower than the control rate).
   Messages between ticks are skipped: nothing is published (the last command is held).
5. Episodes (phases ``waiting``, ``running``, ``truncated``):
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

6. Below the learner (control/safety.py, always): the agent's force goes through the safety
   layer: the force limit, the soft track limits (``soft_limit``: outward pushes near the ends
   replaced by the brake), the slew limit (``max_force_rate``) and the command's unit
   (``command_unit`` 'voltage': the voltage a DC motor needs for the force at the cart's speed,
   from ``k_force``, ``k_emf``, ``voltage_limit``). A transition whose action the layer changed
   (control/safety.py: braked, or not pushing the chosen way) is not learned from: the agent's
   next step runs with learning off (its eligibility holds the action it chose, not the one
   executed). A delay the agent's configuration compensates
   (``task.delay``) is predicted away first (control/prediction.py, with the model plant):
   the agent acts on the state predicted for when its command arrives.
7. With ``supervisor`` on (control/supervisor.py: a rig's episode supervisor), what happens
   between episodes is the supervisor's, not the loop's ready region: a failure starts the brake
   (its command is the answer to the failing state), then homing, then waiting for the operator
   to set the pole upright (the ready region for ``ready_hold``, or ``start``), ARMED, and the
   episode starts when the pole is released. ``pause`` (0 N, learning frozen: the episode in
   progress is abandoned) and ``home`` are the node's services. A restart (activation, a new
   time base) brakes and homes first: the rig's state is unknown.

The agent computes its own reward; episode lengths count agent steps (ticks), so in lockstep they
equal the simulator's. A non-finite force from the agent raises AgentFault: the agent is broken,
and the node stops commanding (0 N) and saves nothing from it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from memsnn_controller.control import sensing
from memsnn_controller.control.prediction import DelayCompensator
from memsnn_controller.control.safety import CommandUnit, SafetyConfig, SafetyLayer
from memsnn_controller.control.sensing import SensingConfig, SensorFrontEnd
from memsnn_controller.control.supervisor import Supervisor, SupervisorConfig
from memsnn_controller.envs import cartpole_spec
from memsnn_controller.envs.plant import Plant
from memsnn_controller.ros import conversions
from memsnn_controller.ros.conversions import CART_ONLY, NO_JOINT, WHOLE, JointLookup, Observation

if TYPE_CHECKING:
    from memsnn_controller.snn.agent import Agent, EpisodeSummary

# One joint's latest reading: (position, velocity, time ns, stamped).
JointReading = tuple[float, float, int, bool]

# Outcome kinds.
TICK = 'tick'                 # the agent stepped; publish its force
NEW_EPISODE = 'new_episode'   # a ready state: a new episode started with an agent step; publish
SKIP = 'skip'                 # between ticks (decimated): publish nothing
DUPLICATE = 'duplicate'       # the previous stamp again: repeat the previous answer
STALE = 'stale'               # the stamp has not advanced for watchdog_timeout: 0 N
ESTIMATING = 'estimating'     # a velocity to estimate has too few readings yet: 0 N
SUPERVISED = 'supervised'     # between episodes with the supervisor: its command (Outcome.reason
                              # says its state: BRAKING, HOMING, WAITING, ARMED, PAUSED)
IGNORED = 'ignored'           # a partial message without a partner, or none of our joints: nothing
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
REASON_STALE = 'stale_stamp'

# Why a message was ignored (Outcome.reason of IGNORED).
IGNORED_NO_JOINT = 'no_joint'    # neither joint: another source on the topic
IGNORED_PARTIAL = 'partial'      # one joint only, merge_joints off
IGNORED_UNMATCHED = 'unmatched'  # one joint only, no reading of the other within merge_window


class AgentFault(RuntimeError):
    """The agent produced something unusable (a non-finite force): it must not be used on."""


class Outcome(NamedTuple):
    """What to do with one joint state."""

    kind: str
    publish: bool
    force: float = 0.0
    reason: str = ''          # bad input: the reason code; failures: x_limit or theta_limit
    detail: str = ''          # bad input: a sentence for the log
    episode: 'EpisodeEnd | None' = None   # when an episode ended with this message


class EpisodeEnd(NamedTuple):
    """A finished episode: the agent's summary plus what the loop knows about it."""

    summary: 'EpisodeSummary'
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
    watchdog_timeout: float = 0.5
    cart_joint: str = conversions.CART_JOINT
    pole_joint: str = conversions.POLE_JOINT
    merge_joints: bool = True
    merge_window: float = 0.02
    state_limits: tuple[float, ...] = conversions.DEFAULT_STATE_LIMITS
    # the sensor front end (control/sensing.py)
    velocity_estimation: sensing.Estimation = sensing.AUTO
    velocity_window: float = 0.02
    velocity_max_gap: float = 0.1
    cart_offset: float = 0.0
    cart_sign: int = 1
    pole_offset: float = 0.0
    pole_sign: int = 1
    # the safety layer (control/safety.py)
    command_unit: CommandUnit = 'force'
    voltage_limit: float = 10.0
    k_force: float = 1.0
    k_emf: float = 0.0
    soft_limit: float = 0.0          # 0: none (ROS parameter files avoid inf, which
                                     # `ros2 param load` reads as the text 'inf')
    brake_gain: float = 25.0
    max_force_rate: float = 0.0      # 0: none
    # the episode supervisor (control/supervisor.py); ready_* above are its ready region
    supervisor: bool = False
    auto_start: bool = True
    rest_speed: float = 0.05
    home_gain: float = 4.0
    home_speed: float = 0.25
    home_tolerance: float = 0.02
    release_speed: float = 0.02
    release_angle: float = 0.02

    @property
    def sensing(self) -> SensingConfig:
        """The sensor front end's settings (ValueError names a bad one)."""
        return SensingConfig.from_values(vars(self))

    @property
    def safety(self) -> SafetyConfig:
        """The safety layer's settings (ValueError names a bad one)."""
        return SafetyConfig(force_limit=self.force_limit,
                            soft_limit=self.soft_limit or math.inf, brake_gain=self.brake_gain,
                            max_force_rate=self.max_force_rate or math.inf,
                            control_period=self.control_period, command_unit=self.command_unit,
                            voltage_limit=self.voltage_limit, k_force=self.k_force,
                            k_emf=self.k_emf)

    @property
    def supervision(self) -> SupervisorConfig:
        """The supervisor's settings (ValueError names a bad one)."""
        return SupervisorConfig(
            x_threshold=self.x_threshold, theta_threshold=self.theta_threshold,
            rest_speed=self.rest_speed, home_gain=self.home_gain, home_speed=self.home_speed,
            home_tolerance=self.home_tolerance, ready_x=self.ready_x,
            ready_x_dot=self.ready_x_dot, ready_theta=self.ready_theta,
            ready_theta_dot=self.ready_theta_dot, ready_hold=self.ready_hold,
            auto_start=self.auto_start, release_speed=self.release_speed,
            release_angle=self.release_angle)

    @classmethod
    def from_parameters(cls, p: Mapping[str, Any]) -> 'LoopSettings':
        """Settings from the node's parameter dict (the parameters of the same names)."""
        values = {name: p[name] for name in cls.__dataclass_fields__}
        values['state_limits'] = tuple(values['state_limits'])
        return cls(**values)


_SKIP = Outcome(SKIP, False)
_STALE = Outcome(STALE, True, 0.0, REASON_STALE)
_ESTIMATING = Outcome(ESTIMATING, True, 0.0)
# How JointLookup reads velocities for each velocity_estimation.
_VELOCITY_READING = {sensing.OFF: conversions.VELOCITY_REQUIRED,
                     sensing.AUTO: conversions.VELOCITY_OPTIONAL,
                     sensing.ON: conversions.VELOCITY_IGNORED}


class LatencyStats:
    """Receipt-to-publish latencies in a preallocated ring; percentiles per report window."""

    def __init__(self, capacity: int = 8192) -> None:
        self._ring = np.zeros(capacity, dtype=np.int64)
        self._count = 0
        self.total = 0

    def record(self, latency_ns: int) -> None:
        self._ring[self._count % self._ring.size] = latency_ns
        self._count += 1
        self.total += 1

    def take(self) -> tuple[int, float, float, float]:
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

    # Set by restart (None: not yet since then) and the message handling.
    phase: str
    _last_t: int | None
    _stamped: bool | None
    _due: int | None
    _backwards_since: int | None
    _ready_since: int | None
    _fresh_ns: int | None
    _cart: JointReading | None
    _pole: JointReading | None

    def __init__(self, agent: 'Agent', settings: LoopSettings | None = None,
                 model: Plant | None = None) -> None:
        self.agent = agent
        self.settings = LoopSettings() if settings is None else settings
        self.model = Plant() if model is None else model   # the predictor's
        self._model_given = model is not None
        self.latency = LatencyStats()
        self.lookup = JointLookup()
        self.front = SensorFrontEnd()
        self.safety = SafetyLayer()
        self.supervisor: Supervisor | None = None
        self.predictor: DelayCompensator | None = None
        self._exclude = False     # the safety layer changed the last command: no learning
        self.excluded = 0         # transitions not learned from for that reason
        self._restarts = 0  # estimator_restarts of front ends replaced by new settings
        # counters
        self.messages = 0
        self.ticks = 0            # agent steps
        self.skipped = 0
        self.duplicates = 0
        self.bad_messages = 0
        self.bad_by_reason: dict[str, int] = {}
        self.last_bad = ''
        self.overruns = 0
        self.timebase_resets = 0
        self.abandoned = 0
        self.ignored_messages = 0
        self.last_ignored = ''
        self.merged_states = 0
        self.stale_messages = 0
        self.watchdog_trips = 0
        self.watchdog_tripped = False
        self.apply_settings()
        self.restart()

    # -- configuration ----------------------------------------------------------------------------

    def apply_settings(self) -> None:
        """Take changed ``settings`` into account (call after changing any of them)."""
        s = self.settings
        self._period_ns = round(s.control_period * 1e9)
        self._tolerance_ns = round(s.tick_tolerance * self._period_ns)
        self._hold_ns = round(s.ready_hold * 1e9)
        self._watchdog_ns = round(s.watchdog_timeout * 1e9)
        self._merge_ns = round(s.merge_window * 1e9)
        self._spec = cartpole_spec.CartPoleSpec(x_threshold=s.x_threshold,
                                                theta_threshold=s.theta_threshold)
        lookup = self.lookup
        velocities = _VELOCITY_READING[s.velocity_estimation]
        if (s.cart_joint, s.pole_joint, tuple(s.state_limits), velocities) != (
                lookup.cart_joint, lookup.pole_joint, lookup.limits, lookup.velocities):
            self.lookup = JointLookup(s.cart_joint, s.pole_joint, s.state_limits, velocities)
            self._cart = self._pole = None
        sensing_config = s.sensing
        limits = (float(s.state_limits[1]), float(s.state_limits[3]))
        front = self.front
        if (sensing_config, limits) != (front.config, front.limits):
            # New settings: a fresh history (the next state waits for a second reading where a
            # velocity is estimated); the counters go on.
            self.front = SensorFrontEnd(sensing_config, limits)
            self.front.estimated, self.front.not_ready = front.estimated, front.not_ready
            self._restarts += front.restarts
        safety = s.safety
        if safety != self.safety.config:
            old = self.safety
            self.safety = SafetyLayer(safety)
            self.safety.limited, self.safety.braked_ticks = old.limited, old.braked_ticks
            self.safety.largest_step = old.largest_step
        if s.supervisor:
            supervision = s.supervision
            if self.supervisor is None:
                self.supervisor = Supervisor(supervision, self.safety)
                self.supervisor.restart(0.0)
            else:
                self.supervisor.config = supervision
                self.supervisor.safety = self.safety
        else:
            self.supervisor = None
        delay = self.agent.config.task.delay
        # With estimated velocities it also corrects their lag (control/prediction.py): with a
        # delay to compensate, or without one where the plant's model was given (the node's
        # plant parameter), as offline runs on a plant file do.
        lag = self.front.lag if s.velocity_estimation != sensing.OFF else 0.0
        self.predictor = DelayCompensator(self.model, delay, s.control_period, s.force_limit,
                                          max_lag=lag) \
            if delay > 0.0 or (lag > 0.0 and self._model_given) else None
        # Synapses per device: for the episodes' writes per synapse.
        self._synapses = self.agent.n_synapses

    def restart(self) -> None:
        """Forget the time base and abandon the episode in progress (activation, deactivation):
        the next message starts a new time base and the loop waits for a ready state."""
        self._last_t = None
        self._stamped = None
        self._due = None
        self._backwards_since = None
        self._last_answer = _SKIP
        self._fresh_ns = None        # receipt time of the last state whose stamp advanced
        self.watchdog_tripped = False
        self._cart = self._pole = None  # latest per-joint readings: (position, velocity, t,
        self.front.reset()              # stamped)
        self.safety.reset()
        self._exclude = False
        self._abandon()
        if self.supervisor is not None:
            self.supervisor.restart(0.0)

    def replace_agent(self, agent: 'Agent') -> None:
        """Use a new agent (after ~/reset_learning); the loop waits for a ready state."""
        self.agent = agent
        if self.phase == PHASE_RUNNING and self.supervisor is not None:
            self.supervisor.pause(True)
            self.supervisor.pause(False)   # brake and home, then the next episode
        self.phase = PHASE_WAITING
        self._ready_since = None
        self.apply_settings()

    # -- the supervisor's services ----------------------------------------------------------------

    def start_episode(self) -> tuple[bool, str]:
        """``~/start``: arm the supervisor for the next episode (module docstring, 7.)."""
        if self.supervisor is None:
            return False, 'no supervisor (the supervisor parameter is false)'
        return self.supervisor.start(self._last_state)

    def home(self) -> tuple[bool, str]:
        """``~/home``: home the cart now."""
        if self.supervisor is None:
            return False, 'no supervisor (the supervisor parameter is false)'
        return self.supervisor.home()

    def pause(self, on: bool) -> tuple[bool, str]:
        """``~/pause``: 0 N and learning frozen (on), or brake, home and wait (off); the episode
        in progress is abandoned (nothing learned from it)."""
        if self.supervisor is None:
            return False, 'no supervisor (the supervisor parameter is false)'
        if on and self.phase == PHASE_RUNNING:
            self._abandon()
        return self.supervisor.pause(on)

    def _abandon(self) -> None:
        # The partial episode is not recorded: the next episode start (agent.reset) discards it.
        if getattr(self, 'phase', PHASE_WAITING) == PHASE_RUNNING:
            self.abandoned += 1
        self.phase = PHASE_WAITING
        self._ready_since = None
        self.episode_steps = 0
        self._episode_start_ns = 0
        self._last_state: Observation | None = getattr(self, '_last_state', None)

    # -- the hot path -----------------------------------------------------------------------------

    def process(self, names: Sequence[str], positions: Sequence[float],
                velocities: Sequence[float], stamp_ns: int, receipt_ns: int) -> Outcome:
        """Decide what to answer to one joint state (module docstring); returns an Outcome."""
        self.messages += 1
        what, values, detail = self.lookup.read(names, positions, velocities)
        if values is None and what != NO_JOINT:
            return self._bad(what, detail)
        if stamp_ns < 0:
            return self._bad(BAD_NEGATIVE_STAMP, f'negative stamp {stamp_ns} ns')
        stamped = stamp_ns != 0
        t = stamp_ns if stamped else receipt_ns
        cart: JointReading | None
        pole: JointReading | None
        if what == WHOLE:
            assert values is not None  # read() gives WHOLE with the four values
            cart = (values[0], values[1], t, stamped)
            pole = (values[2], values[3], t, stamped)
            if self.settings.merge_joints:  # a later partial message may pair with these
                self._cart, self._pole = cart, pole
        else:
            cart, pole, t, why = self._merge(what, values, t, stamped)
            if cart is None or pole is None:
                return self._ignore(why, detail)
        last = self._last_t
        if last is None or stamped != self._stamped:
            self._due = None  # a new time base
            self._ready_since = None
            self.front.reset()
        elif t == last:
            assert self._fresh_ns is not None  # set with _last_t
            if receipt_ns - self._fresh_ns > self._watchdog_ns:
                return self._stale()
            self.duplicates += 1
            answer = self._last_answer
            return Outcome(DUPLICATE, answer.publish, answer.force)
        elif t < last:
            if self._backwards_since is None:
                self._backwards_since = receipt_ns
            if receipt_ns - self._backwards_since < self._watchdog_ns:
                return self._bad(BAD_TIME_BACKWARDS,
                                 f'stamp {t * 1e-9:.6f} s is before the previous '
                                 f'{last * 1e-9:.6f} s')
            return self._new_timebase(cart, pole, t, stamped, receipt_ns)
        self._backwards_since = None
        self._last_t = t
        self._stamped = stamped
        self._fresh_ns = receipt_ns
        self.watchdog_tripped = False

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

        outcome = self._sensed_step(cart, pole, t, tick, receipt_ns)
        self._last_answer = outcome
        return outcome

    def _sensed_step(self, cart: JointReading, pole: JointReading, t: int, tick: bool,
                     receipt_ns: int) -> Outcome:
        """The sensor front end on an accepted state's readings (each joint's at its own
        stamp), then the episode's step; ESTIMATING (0 N) while a velocity to estimate has no
        estimate."""
        front = self.front
        if front.keeps_readings:
            front.add_cart(cart[0], cart[2])
            front.add_pole(pole[0], pole[2])
        obs = front.state(cart[0], cart[1], pole[0], pole[1])
        if obs is None:
            return _ESTIMATING
        return self._episode_step(obs, t, tick, receipt_ns)

    def _merge(self, what: str, values: tuple[float, ...] | None, t: int,
               stamped: bool) -> tuple[JointReading | None, JointReading | None, int, str]:
        """(cart, pole, time, '') from a one-joint reading and the other joint's latest
        (the state's time is the newer of the two), or (None, None, t, why) when they cannot
        make a state."""
        if what == NO_JOINT:
            return None, None, t, IGNORED_NO_JOINT
        assert values is not None  # read() gives CART_ONLY and POLE_ONLY with two values
        reading = (values[0], values[1], t, stamped)
        if what == CART_ONLY:
            self._cart = reading
            other = self._pole
        else:
            self._pole = reading
            other = self._cart
        if not self.settings.merge_joints:
            return None, None, t, IGNORED_PARTIAL
        if other is None or other[3] != stamped or abs(t - other[2]) > self._merge_ns:
            return None, None, t, IGNORED_UNMATCHED
        self.merged_states += 1
        if what == CART_ONLY:
            return reading, other, max(t, other[2]), ''
        return other, reading, max(t, other[2]), ''

    def _ignore(self, why: str, detail: str) -> Outcome:
        self.ignored_messages += 1
        if why == IGNORED_PARTIAL:
            detail = 'one joint only and merge_joints is off'
        elif why == IGNORED_UNMATCHED:
            detail = 'one joint only, and no reading of the other within merge_window'
        self.last_ignored = detail
        return Outcome(IGNORED, False, 0.0, why, detail)

    def _stale(self) -> Outcome:
        self.stale_messages += 1
        if not self.watchdog_tripped:
            self.watchdog_tripped = True
            self.watchdog_trips += 1
        return _STALE

    @property
    def estimated_states(self) -> int:
        """States given to the episode logic with at least one estimated velocity."""
        return self.front.estimated

    @property
    def estimator_restarts(self) -> int:
        """Velocity estimator histories started afresh after a gap of more than
        velocity_max_gap or a jump (an estimate beyond state_limits), both joints."""
        return self._restarts + self.front.restarts

    @property
    def estimator_waits(self) -> int:
        """States answered 0 N (ESTIMATING) because a velocity to estimate had no estimate yet
        (the first reading after a restart, a new time base or a gap)."""
        return self.front.not_ready

    @property
    def receiving(self) -> bool:
        """Whether a state with an advancing stamp has arrived since the last restart."""
        return self._fresh_ns is not None

    def check_watchdog(self, now_ns: int) -> bool:
        """True when the watchdog trips now: no state with an advancing stamp for more than
        watchdog_timeout since the last one (steady-clock ns, as the receipt times). Armed by
        the first state after a restart; trips once until states are back. The caller
        publishes 0 N."""
        fresh = self._fresh_ns
        if fresh is None or self.watchdog_tripped or now_ns - fresh <= self._watchdog_ns:
            return False
        self.watchdog_tripped = True
        self.watchdog_trips += 1
        return True

    def _episode_step(self, obs: Observation, t: int, tick: bool, receipt_ns: int) -> Outcome:
        self._last_state = obs
        supervisor = self.supervisor
        if self.phase == PHASE_RUNNING:
            reason = cartpole_spec.failure_reason(obs, self._spec)
            if reason is not None:
                summary = self.agent.end_episode(obs, terminated=True)
                self.phase = PHASE_WAITING
                self._ready_since = None
                answer = 0.0
                if supervisor is not None:
                    supervisor.failed(t * 1e-9)
                    directive = supervisor.tick(obs, t * 1e-9)   # the brake, at once
                    answer = directive.command.command if directive.command is not None else 0.0
                return Outcome(FAILED, True, answer, reason,
                               episode=self._episode_end(summary, reason, t, receipt_ns))
            if not tick:
                self.skipped += 1
                return _SKIP
            limit = self.settings.max_episode_steps
            if limit and self.episode_steps >= limit:
                summary = self.agent.end_episode(obs, truncated=True)
                self.phase = PHASE_TRUNCATED
                if supervisor is not None:
                    supervisor.truncated(t * 1e-9)
                return Outcome(TRUNCATED, True, self.safety.hold().command, REASON_MAX_STEPS,
                               episode=self._episode_end(summary, REASON_MAX_STEPS, t,
                                                         receipt_ns))
            return self._act(TICK, obs)
        if not tick:
            self.skipped += 1
            return _SKIP
        if supervisor is not None:
            directive = supervisor.tick(obs, t * 1e-9)
            if directive.start and cartpole_spec.failure_reason(obs, self._spec) is None:
                supervisor.episode_started()
                return self._start(obs, receipt_ns)
            command = directive.command.command if directive.command is not None else 0.0
            return Outcome(SUPERVISED, True, command, supervisor.state)
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

    def _start(self, obs: Observation, receipt_ns: int) -> Outcome:
        self.agent.reset()
        self.phase = PHASE_RUNNING
        self.episode_steps = 0
        self._ready_since = None
        self._episode_start_ns = receipt_ns
        self._exclude = False
        if self.predictor is not None:
            self.predictor.reset()
        return self._act(NEW_EPISODE, obs)

    def _act(self, kind: str, obs: Observation) -> Outcome:
        agent = self.agent
        seen = obs
        if self.predictor is not None:
            lag = self.front.lag if self.front.last_estimated else 0.0
            seen = tuple(self.predictor.predict(np.asarray(obs, dtype=np.float64),
                                                np.zeros(4), lag))
        if self._exclude:   # the previous command was changed: do not learn from its result
            learning = agent.learning
            agent.learning = False
            try:
                decision = agent.step(seen)
            finally:
                agent.learning = learning
            self.excluded += 1
        else:
            decision = agent.step(seen)
        self.episode_steps += 1
        self.ticks += 1
        force = decision.force
        if not math.isfinite(force):  # never a non-finite command on the wire
            raise AgentFault(f'the agent returned a non-finite force ({force}) for the state '
                             f'{tuple(obs)}')
        safe = self.safety.filter(force, obs[0], obs[1])
        self._exclude = safe.changed
        if self.predictor is not None:
            self.predictor.commanded(safe.command)
        return Outcome(kind, True, safe.command)

    def _ready(self, obs: Observation) -> bool:
        s = self.settings
        x, x_dot, theta, theta_dot = obs
        return (abs(x) <= s.ready_x and abs(x_dot) <= s.ready_x_dot
                and abs(theta) <= s.ready_theta and abs(theta_dot) <= s.ready_theta_dot)

    def _bad(self, code: str, detail: str) -> Outcome:
        self.bad_messages += 1
        self.bad_by_reason[code] = self.bad_by_reason.get(code, 0) + 1
        self.last_bad = detail
        return Outcome(BAD_INPUT, True, 0.0, code, detail)

    def _new_timebase(self, cart: JointReading, pole: JointReading, t: int, stamped: bool,
                      receipt_ns: int) -> Outcome:
        """The stamps have run backwards for watchdog_timeout: the source restarted."""
        self.timebase_resets += 1
        self.restart()
        self._last_t = t
        self._stamped = stamped
        self._fresh_ns = receipt_ns
        self._due = t + self._period_ns
        outcome = self._sensed_step(cart, pole, t, True, receipt_ns)
        self._last_answer = outcome
        return outcome

    def _episode_end(self, summary: 'EpisodeSummary', reason: str, t: int,
                     receipt_ns: int) -> EpisodeEnd:
        wall = (receipt_ns - self._episode_start_ns) * 1e-9
        return EpisodeEnd(summary, reason, wall, t, summary.writes / self._synapses)

    # -- statistics -------------------------------------------------------------------------------

    def record_latency(self, latency_ns: int) -> None:
        """Record a state-receipt-to-publish latency; one above the control period is an
        overrun (the answer came later than the next state of a stream at the control rate
        would be due)."""
        self.latency.record(latency_ns)
        if latency_ns > self._period_ns:
            self.overruns += 1
