"""The sensor front end: what a rig's joint readings become before the failure checks and the
learner see them. Shared by the controller node (ros/control_loop.py) and offline runs.

    front = SensorFrontEnd(SensingConfig(pole_offset=math.pi, pole_sign=-1))
    state = front.observe(x_reading, math.nan, theta_reading, math.nan, stamp_ns)
    # (x, x_dot, theta, theta_dot) in CartPole-v1's conventions, or None while the velocity
    # estimator has fewer than two readings of a joint whose velocity it must estimate

## Offsets, signs and the angle's wrap

Per joint an offset (the reading of the zero position: cart centred, pole upright) and a sign
(+1, or -1 for an encoder mounted the other way round). With r the readings and v the measured
velocities (or the estimates below):

    x         = s_c (r_x - o_c)            x_dot     = s_c v_x
    theta     = wrap(s_p (r_theta - o_p))  theta_dot = s_p v_theta
    wrap(a)   = a - 2 pi ceil((a - pi) / (2 pi)),  in (-pi, pi]

so theta is 0 upright and positive when the pole leans toward +x, whatever the encoder counts
from: an encoder that reads 0 hanging down (and pi upright) needs o_p = pi. This undoes the
simulator's sensor model (envs/rig.py: reading = s x state + sensor_offset) with o = that
sensor_offset and s = its sensor_sign.

## Velocities from positions

``velocity_estimation``: 'off' uses the measured velocities only (a NaN velocity is bad input
to the caller); 'auto' estimates a joint's velocity where the reading's is NaN or absent
(joint_state_broadcaster without velocity interfaces, the simulator's position-only sensing)
and uses the measured one otherwise; 'on' always estimates, ignoring measured velocities.

The estimator is filtered differencing: per joint, the least-squares slope of the position
readings against their stamps over the last ``velocity_window`` seconds. With the newest reading
n at time t_n, the readings used are n, n-1, ..., m, where m is the newest reading at least
``velocity_window`` older than n (or the oldest one kept), so two readings always suffice and
stamp jitter never empties the window. With tau_k = t_k - t_n and u_k the readings (the pole's
unwrapped, below):

    v = sum_k (tau_k - mean(tau)) (u_k - mean(u)) / sum_k (tau_k - mean(tau))^2

Why this one: it has one setting, a time (not a rate: 50 Hz and 240 Hz streams get the same
smoothing, each with all its readings); it uses the real stamps, so jittered or dropped messages
are fitted where they are; its memory is finite, so a jump (an encoder glitch, a simulator
reset) is forgotten after one window, where a recursive filter keeps a tail; and it needs no
model of the plant or of its noise, which a Kalman filter would (its process noise is the
plant's unknown acceleration; the agent's delay compensation is where a model belongs).
At 50 Hz with the default 0.02 s window it is plain differencing of consecutive readings.

Lag: the slope is exact for a trajectory linear over the window; for a smooth one it is the
velocity at the readings' mean time, -mean(tau) ago (to second order: exactly so under constant
acceleration): for evenly spaced readings half the fitted span, which is velocity_window rounded
up to whole reading intervals: 10 ms with the default window at 50 Hz, 10.4 ms at 240 Hz.
Noise: a quantisation step q (an encoder of N counts: q = 2 pi / N rad) makes each reading's
error uniform, standard deviation q / sqrt(12), and the slope's q / sqrt(12 sum_k (tau_k -
mean(tau))^2): q / (sqrt(6) h) for two readings h apart (4096 counts at 50 Hz: 0.031 rad/s);
more readings in the window average it down. Against the rig simulator's true state (4096-count
encoders, the pole kept up by a linear controller and pushed, test/ros/test_sensing_replay.py)
the angular velocity errs by 0.033 rad/s RMS, lag and quantisation together, at 50 and 240 Hz.

Unwrapping: the pole's readings are differenced continuously, u_k = u_(k-1) + wrap(r_k -
r_(k-1)), never through the wrapped angle, so a driver that wraps its readings (at +-pi or at 0
and 2 pi) gives no jump; this holds while the pole turns less than pi between two readings (157
rad/s at 50 Hz).

Readiness and resets: an estimate needs two readings of the joint. A reading stamped no later
than the joint's newest is not used (a duplicate or a late message); one more than
``velocity_max_gap`` after the newest starts the joint's history afresh (a velocity is not
estimated across a gap), and so does an estimate beyond the front end's ``limits`` (a jump of
the readings, an encoder glitch or a simulator's reset moving the plant, is not a velocity).
``reset()`` forgets everything: the caller resets at a new time base (stamps restarted, stamped
and unstamped switched), at activation and, offline, when an episode starts with the plant
moved (a reset that teleports it). So the first reading after a reset, a gap or a jump gives no
state (``observe`` returns None; the controller answers 0 N); the next one does. At most the
newest ``MAX_SAMPLES`` readings are fitted (a window longer than MAX_SAMPLES readings of the
stream is shortened to them).

Cost: the readings are kept in preallocated rings (no allocation per reading); a new reading is
O(1) and an estimate O(readings in the window), computed at most once per new reading and only
when asked for (about 1.3 us for six readings in CPython).
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields
import math
from typing import Any, Literal

from memsnn_controller.common import checks
from memsnn_controller.envs.plant import SENSOR_OFFSET_LIMIT, Plant

Estimation = Literal['auto', 'on', 'off']
ESTIMATION_MODES: tuple[Estimation, ...] = ('auto', 'on', 'off')
AUTO: Estimation = 'auto'
ON: Estimation = 'on'
OFF: Estimation = 'off'
# The most readings of one joint that an estimate fits.
MAX_SAMPLES = 64
TAU = 2.0 * math.pi
_NAN = math.nan

# (x, x_dot, theta, theta_dot)
State = tuple[float, float, float, float]


def wrap_angle(angle: float) -> float:
    """``angle`` (rad) wrapped to (-pi, pi]."""
    if -math.pi < angle <= math.pi:
        return angle
    wrapped = math.remainder(angle, TAU)
    return wrapped + TAU if wrapped <= -math.pi else wrapped


def _estimation(value: Any) -> str | None:
    if isinstance(value, bool):  # what YAML makes of an unquoted on or off
        return ("must be 'auto', 'on' or 'off' as text; YAML reads on and off unquoted as true "
                "and false: quote them ('off')")
    return None if value in ESTIMATION_MODES else "must be one of 'auto', 'on', 'off'"


def _sign(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value not in (1, -1):
        return 'must be the integer 1 or -1'
    return None


# Each field's check (shared with the controller node's parameters of the same names).
CHECKS: dict[str, checks.Check] = {
    'velocity_estimation': _estimation,
    'velocity_window': checks.above_zero(1.0, ' s'),
    'velocity_max_gap': checks.above_zero(60.0, ' s'),
    'cart_offset': checks.in_range(-SENSOR_OFFSET_LIMIT, SENSOR_OFFSET_LIMIT, ' m'),
    'cart_sign': _sign,
    'pole_offset': checks.in_range(-SENSOR_OFFSET_LIMIT, SENSOR_OFFSET_LIMIT, ' rad'),
    'pole_sign': _sign,
}


@dataclass(frozen=True)
class SensingConfig:
    """The front end's settings (module docstring); every field is validated (ValueError names
    it).

    velocity_estimation: 'auto', 'on' or 'off' (text: in YAML, quote 'on' and 'off', which
        unquoted are booleans).
    velocity_window: seconds of readings each velocity estimate fits, (0, 1].
    velocity_max_gap: seconds between two readings of a joint beyond which its history starts
        afresh, (0, 60].
    cart_offset (m), pole_offset (rad): the readings at the zero position, in [-10, 10].
    cart_sign, pole_sign: 1 or -1.
    """

    velocity_estimation: Estimation = AUTO
    velocity_window: float = 0.02
    velocity_max_gap: float = 0.1
    cart_offset: float = 0.0
    cart_sign: int = 1
    pole_offset: float = 0.0
    pole_sign: int = 1

    def __post_init__(self) -> None:
        for name, check in CHECKS.items():
            checks.require(f'SensingConfig.{name}', getattr(self, name), check)
        for name in ('velocity_window', 'velocity_max_gap', 'cart_offset', 'pole_offset'):
            object.__setattr__(self, name, float(getattr(self, name)))

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> 'SensingConfig':
        """A config from the fields found in ``values`` (e.g. a node's parameters)."""
        return cls(**{name: values[name] for name in FIELDS if name in values})

    @classmethod
    def for_plant(cls, plant: Plant, **changes: Any) -> 'SensingConfig':
        """The offsets and signs that undo ``plant``'s sensors (its sensor_offset's x and theta,
        its sensor_sign: a calibrated rig), with ``changes`` (other fields). The velocities'
        sensor_offset (a bias of measured velocities) is not undone."""
        x, _, theta, _ = plant.offset
        cart, pole = plant.sensor_sign
        return cls(**{'cart_offset': x, 'cart_sign': cart, 'pole_offset': theta,
                      'pole_sign': pole, **changes})


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(SensingConfig))
assert set(FIELDS) == set(CHECKS)


class VelocityEstimator:
    """One joint's velocity from its position readings (module docstring): ``add`` a reading,
    read ``velocity`` (NaN until two readings are kept). ``angular``: the readings are angles,
    unwrapped before differencing."""

    def __init__(self, window: float, max_gap: float, angular: bool = False,
                 capacity: int = MAX_SAMPLES, limit: float = math.inf) -> None:
        checks.require('window', window, CHECKS['velocity_window'])
        checks.require('max_gap', max_gap, CHECKS['velocity_max_gap'])
        checks.require('capacity', capacity, checks.integer(2))
        checks.require('limit', limit, lambda v: None if v > 0 else 'must be > 0')
        self.window_ns = round(window * 1e9)
        self.max_gap_ns = round(max_gap * 1e9)
        self.angular = angular
        self.limit = float(limit)
        self.capacity = capacity
        self._times: list[int] = [0] * capacity       # stamps, ns
        self._positions: list[float] = [0.0] * capacity  # unwrapped readings
        self._newest = capacity - 1
        self._count = 0
        self._raw = 0.0          # the newest reading as given (for unwrapping)
        self._velocity = _NAN    # the estimate at the newest reading (computed on demand)
        self._stale = False      # a reading came since _velocity was computed
        self.restarts = 0        # histories started afresh after a gap
        self.jumps = 0           # histories started afresh after an estimate beyond limit

    def reset(self) -> None:
        """Forget every reading."""
        self._count = 0
        self._velocity = _NAN
        self._stale = False

    @property
    def count(self) -> int:
        """Readings kept (at most ``capacity``)."""
        return self._count

    @property
    def ready(self) -> bool:
        """Whether an estimate exists (two readings kept)."""
        return self._count >= 2

    @property
    def newest_ns(self) -> int | None:
        """The newest reading's stamp (ns), None when none is kept."""
        return self._times[self._newest] if self._count else None

    def add(self, position: float, t_ns: int) -> bool:
        """Keep the reading ``position`` stamped ``t_ns``; False (nothing kept) when it is not
        later than the newest one kept."""
        count = self._count
        if count:
            newest = self._times[self._newest]
            if t_ns <= newest:
                return False
            if t_ns - newest > self.max_gap_ns:
                count = 0
                self.restarts += 1
        if count and self.angular:
            step = position - self._raw
            if not -math.pi < step <= math.pi:
                step = wrap_angle(step)
            unwrapped = self._positions[self._newest] + step
        else:
            unwrapped = position
        index = self._newest + 1
        if index == self.capacity:
            index = 0
        self._times[index] = t_ns
        self._positions[index] = unwrapped
        self._newest = index
        self._count = count + 1 if count < self.capacity else count
        self._raw = position
        self._stale = True
        return True

    @property
    def velocity(self) -> float:
        """The least-squares slope (per second) of the readings over the window; NaN with fewer
        than two readings, and when the slope is beyond ``limit`` (a jump): then the history
        starts afresh at the newest reading."""
        if self._stale:
            self._stale = False
            velocity = self._slope() if self._count >= 2 else _NAN
            limit = self.limit
            if velocity > limit or velocity < -limit:
                velocity = _NAN
                self._count = 1
                self.jumps += 1
            self._velocity = velocity
        return self._velocity

    def _slope(self) -> float:
        times, positions, capacity = self._times, self._positions, self.capacity
        index = self._newest
        t_newest, u_newest = times[index], positions[index]
        window = self.window_ns
        n = s_t = s_u = s_tt = s_tu = 0.0
        for _ in range(self._count):
            age = t_newest - times[index]
            tau = -age * 1e-9
            du = positions[index] - u_newest
            n += 1.0
            s_t += tau
            s_u += du
            s_tt += tau * tau
            s_tu += tau * du
            if age >= window:
                break
            index = index - 1 if index else capacity - 1
        return (n * s_tu - s_t * s_u) / (n * s_tt - s_t * s_t)


class SensorFrontEnd:
    """Readings in, CartPole-v1's state out (module docstring). Per reading: ``add_cart`` and
    ``add_pole`` keep the positions (each at its joint's own stamp), ``state`` turns readings
    into the observed state; ``observe`` does both for a reading of both joints.

    ``limits``: the largest plausible |x_dot| (m/s) and |theta_dot| (rad/s); an estimate beyond
    is a jump of the readings (an encoder glitch, a simulator's reset that moves the plant), not
    a velocity: that joint's history starts afresh at its newest reading (module docstring).

    Counters: ``estimated`` (states with at least one estimated velocity), ``not_ready``
    (states refused because an estimate was missing) and ``restarts`` (histories started afresh
    after a gap or a jump).
    """

    def __init__(self, config: SensingConfig | None = None,
                 limits: tuple[float, float] = (math.inf, math.inf)) -> None:
        self.config = SensingConfig() if config is None else config
        self.limits = limits
        c = self.config
        self.mode = c.velocity_estimation
        self.cart = VelocityEstimator(c.velocity_window, c.velocity_max_gap, limit=limits[0])
        self.pole = VelocityEstimator(c.velocity_window, c.velocity_max_gap, angular=True,
                                      limit=limits[1])
        self._keep = self.mode != OFF
        self._cart_offset, self._cart_sign = c.cart_offset, float(c.cart_sign)
        self._pole_offset, self._pole_sign = c.pole_offset, float(c.pole_sign)
        self.estimated = 0
        self.not_ready = 0
        self.last_estimated = False   # whether the last state's velocities were estimated

    @property
    def lag(self) -> float:
        """How old an estimated velocity is: half the fitted window (s; module docstring)."""
        return self.config.velocity_window / 2.0

    def reset(self) -> None:
        """Forget the readings (a new time base): the next state of a joint whose velocity is
        estimated waits for its second reading."""
        self.cart.reset()
        self.pole.reset()

    @property
    def restarts(self) -> int:
        """Histories started afresh after a gap or a jump, both joints together."""
        cart, pole = self.cart, self.pole
        return cart.restarts + cart.jumps + pole.restarts + pole.jumps

    @property
    def keeps_readings(self) -> bool:
        """Whether readings are kept (velocity_estimation is not 'off')."""
        return self._keep

    def add_cart(self, position: float, t_ns: int) -> None:
        """Keep a reading of the cart joint (nothing when estimation is off)."""
        if self._keep:
            self.cart.add(position, t_ns)

    def add_pole(self, position: float, t_ns: int) -> None:
        """Keep a reading of the pole joint (nothing when estimation is off)."""
        if self._keep:
            self.pole.add(position, t_ns)

    def state(self, x: float, x_dot: float, theta: float, theta_dot: float) -> State | None:
        """The observed state of the latest readings (positions as read, velocities as
        measured: NaN when absent), or None when a velocity to estimate has no estimate yet.
        The positions must have been added first."""
        mode = self.mode
        if mode != OFF:
            estimated = False
            if mode == ON or x_dot != x_dot:
                x_dot = self.cart.velocity
                estimated = True
            if mode == ON or theta_dot != theta_dot:
                theta_dot = self.pole.velocity
                estimated = True
            if estimated:
                if x_dot != x_dot or theta_dot != theta_dot:
                    self.not_ready += 1
                    return None
                self.estimated += 1
            self.last_estimated = estimated
        else:
            self.last_estimated = False
        cart_sign, pole_sign = self._cart_sign, self._pole_sign
        angle = pole_sign * (theta - self._pole_offset)
        if not -math.pi < angle <= math.pi:
            angle = wrap_angle(angle)
        return (cart_sign * (x - self._cart_offset), cart_sign * x_dot, angle,
                pole_sign * theta_dot)

    def observe(self, x: float, x_dot: float, theta: float, theta_dot: float,
                t_ns: int) -> State | None:
        """``add_cart``, ``add_pole`` and ``state`` for a reading of both joints stamped
        ``t_ns`` (integer ns; offline, the step's time)."""
        if self._keep:
            self.cart.add(x, t_ns)
            self.pole.add(theta, t_ns)
        return self.state(x, x_dot, theta, theta_dot)
