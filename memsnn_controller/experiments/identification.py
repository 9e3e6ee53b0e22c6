"""Identifying a cart-pole rig from a recording: the plant's delay, frictions, motor and masses.

    recording = read_bag('runs/rig/rosbag')                       # joint states and commands
    result = identify(recording, Settings(motor='dc', known={'cart_mass': 0.57}))
    result.plant, result.lines()                                  # a Plant, and the report

``memsnn-identify`` (apps/identify.py) is the command. No ROS: the bag is read with rosbags.

## The equations

The plant is envs/rig.py's: a uniform rod (mass m, half-length l, l = pole_length / 2) on a cart
(mass M), theta = 0 upright, positive toward +x, gravity g; the cart pushed by the motor's force
F_m and its friction, the pole's joint by a viscous torque:

    (M + m) x_acc + m l (cos theta theta_acc - sin theta theta_dot^2)
                                                          = F_m - c x_dot - F_c sgn(x_dot)
    (4/3) m l^2 theta_acc + m l cos theta x_acc - m g l sin theta = -c_p theta_dot
    F_m = k u(t - d)          k = actuator_gain k_force (dc, volts) or actuator_gain (force, N)
    c   = friction + actuator_gain k_emf   while a DC motor's amplifier drives (else friction)

with u the command, d the actuation delay, F_c the Coulomb friction, c_p the pole's friction.
The cart's equation is d^2/dt^2 [(M + m) x + m l sin theta] = F, so it holds exactly between
positions alone: with a hat kernel W of half-width h around a sample (W = 1 at its centre, 0 at
+-h; h = 3 samples at 50 Hz), integrating both sides against W gives

    (M + m) D[x] + m l D[sin theta] = k U(d) - c (x_r - x_l) - F_c sgn(x_dot) h

where D[f] = (f(t + h) - f(t)) / h - (f(t) - f(t - h)) / h is computed from the samples (no
velocities, no derivatives of noisy positions), U(d) = integral of W(s) u(s - d) ds is exact for
the held commands at any delay d (a fraction of a sample too), and x_r, x_l are the mean
positions over the kernel's right and left halves. The pole's equation, divided by m l and
integrated against W the same way (cos theta x_acc by parts), is

    (4/3) l D[theta] + I[cos theta x_acc] - g I[sin theta] = -(c_p / (m l)) (theta_r - theta_l)

## The fit

1. The delay: for each d on a 1 ms grid up to ``max_delay`` (then refined between grid points),
   the cart's equation is solved by least squares for (m l, k, c, F_c) / (M + m) and a reading
   offset of the pole; d is the one of least residual. Only windows in which the cart moves one
   way at more than a few encoder counts per sample are used (dry friction is Karnopp's: at rest
   the cart sticks, its friction unknown).
2. The pole's equation gives l (g known) and c_p / (m l), and the pole's reading convention (its
   offset, e.g. 0 when hanging, and its sign), by least squares over a scan of the offset.
3. The cart's equation again, with the pole's angle as found: (m l, k, c, F_c) / (M + m).
4. One reference sets the scale (below); then m = (m l) / l, M = (M + m) - m, c_p = m l x
   (c_p / (m l)).
5. Uncertainties: delete-one-block jackknife over 10 blocks of the recording (the windows
   overlap, so least squares' own standard errors would be too small).

## What the data cannot tell (identifiability)

- From motion and commands alone, the cart's equation is unchanged when every force (both masses,
  the motor's k, all frictions) is multiplied by one factor: one reference must set the scale:
  a known ``cart_mass`` (weighed) or ``pole_mass``, or the motor's ``k_force`` (dc, from its data
  sheet) or ``actuator_gain`` (force: 1 when the amplifier delivers the commanded newtons, the
  default). With a mass and k_force both known, the actuator gain is fitted.
- A DC motor's back-EMF (-actuator_gain k_emf x_dot) and the cart's viscous friction
  (-friction x_dot) act alike while the amplifier drives: only their sum is seen. Separate them
  with a known ``k_emf`` or ``friction``, or a coast: a stretch with the amplifier disabled
  (``coasts``), where only the friction acts. Without either the sum is reported as k_emf with
  friction 0, which simulates the same while the amplifier drives.
- gravity is taken as known (9.81 m/s^2 unless given); with it the pole's swing gives its length.
- The cart position's offset (where the track's middle reads) and the end stops are not in the
  data; the voltage limit only when given.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
import math
import os
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from memsnn_controller.envs import rig
from memsnn_controller.envs.plant import Plant

if TYPE_CHECKING:
    from memsnn_controller.control.excitation import Excitation

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Motor = Literal['dc', 'force']

CART_JOINT = 'slider_to_cart'
POLE_JOINT = 'cart_to_pole'
JOINT_STATE_TYPE = 'sensor_msgs/msg/JointState'
COMMAND_TYPE = 'std_msgs/msg/Float64MultiArray'
ANSWER_LABEL = 'answers_stamp_ns='   # ros/conversions.py's label (not imported: no rclpy here)
DEFAULT_GRAVITY = 9.81
# What --known takes, and their checks' units.
KNOWN_FIELDS = {'cart_mass': 'kg', 'pole_mass': 'kg', 'k_force': 'N/V', 'k_emf': 'N s/m',
                'friction': 'N s/m', 'actuator_gain': '', 'gravity': 'm/s^2',
                'voltage_limit': 'V', 'force_limit': 'N'}
# The kernel's half-width (s), rounded to whole samples.
KERNEL_SECONDS = 0.06
MIN_SECONDS = 4.0            # of usable joint states
MIN_MOVING_WINDOWS = 60      # windows of the cart moving one way
MIN_SPEED = 0.005            # m/s: slower counts as at rest (dry friction unknown there)
JACKKNIFE_BLOCKS = 10
DELAY_STEP = 0.001           # s, the delay grid
NS = 1_000_000_000
PREDICTION_STEP = 0.001      # s, the physics step of the fit-quality simulation
POOR_FIT = (0.98, 0.95)      # R^2 of the cart's and the pole's equations below which to warn


class IdentificationError(ValueError):
    """A recording or settings that cannot be identified from; the message says why."""


# -- the recording -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recording:
    """Joint states and commands on one timeline (s, the joint states' stamps from the first).

    t, x, theta, x_dot, theta_dot: per joint state (velocities NaN when not measured);
    command_t, command: the commands and when they were sent. ``command_timing`` says how the
    command times were found; ``source`` names the recording."""

    t: F64
    x: F64
    theta: F64
    x_dot: F64
    theta_dot: F64
    command_t: F64
    command: F64
    command_timing: str = 'given'
    source: str = ''
    clock: str = ''


def _topic(connections: Sequence[Any], msgtype: str, wanted: str | None, suffix: str,
           what: str, path: str) -> str:
    topics = sorted({c.topic for c in connections})
    if wanted is not None:
        if wanted not in topics:
            raise IdentificationError(f'{path}: no topic {wanted} (topics: '
                                      f'{", ".join(topics) or "none"})')
        return wanted
    typed = sorted({c.topic for c in connections if c.msgtype == msgtype})
    if not typed:
        raise IdentificationError(f'{path}: no {what} ({msgtype}) topic (topics: '
                                  f'{", ".join(topics) or "none"})')
    preferred = [name for name in typed if name.endswith(suffix)]
    return (preferred or typed)[0]


def read_bag(path: str | os.PathLike[str], cart_joint: str = CART_JOINT,
             pole_joint: str = POLE_JOINT, joint_topic: str | None = None,
             command_topic: str | None = None) -> Recording:
    """The joint states and commands of a rosbag2 folder (MCAP or SQLite storage).

    Each joint state is placed at its header stamp (at its receipt stamp if no header is
    stamped).
    A command that names the joint state it answers (``answers_stamp_ns=`` in its layout's
    label, as the controller node sends) is placed at that state's stamp; any other at its
    receipt stamp mapped onto the joint states' timeline: the stamp of the last joint state
    received before it, plus the time between the two receipts."""
    try:
        from rosbags.rosbag2 import Reader
        from rosbags.typesys import Stores, get_typestore
    except ImportError:
        raise IdentificationError('reading bags needs the rosbags library: pip install '
                                  '"memsnn_controller[record]" (or pip install rosbags)') from None
    name = os.fspath(path)
    if not os.path.exists(name):
        raise IdentificationError(f'{name}: no such bag')
    store = get_typestore(Stores.ROS2_KILTED)
    try:
        reader = Reader(name)
        reader.open()
    except Exception as exc:  # rosbags raises its own errors for a folder that is no bag
        raise IdentificationError(f'{name}: not a readable rosbag2 folder ({exc})') from None
    try:
        connections = list(reader.connections)
        joints = _topic(connections, JOINT_STATE_TYPE, joint_topic, 'joint_states',
                        'joint states', name)
        commands = _topic(connections, COMMAND_TYPE, command_topic, 'commands', 'commands',
                          name)
        wanted = [c for c in connections if c.topic in (joints, commands)]
        js: list[tuple[int, int, float, float, float, float]] = []
        cmd: list[tuple[int, float, int | None]] = []
        missing = 0
        for connection, receipt, data in reader.messages(connections=wanted):
            msg: Any = store.deserialize_cdr(data, connection.msgtype)
            if connection.topic == joints:
                names = list(msg.name)
                if cart_joint not in names or pole_joint not in names:
                    missing += 1
                    continue
                i, j = names.index(cart_joint), names.index(pole_joint)
                vel = list(msg.velocity)
                stamp = msg.header.stamp.sec * NS + msg.header.stamp.nanosec
                js.append((stamp, receipt, float(msg.position[i]),
                           float(msg.position[j]),
                           float(vel[i]) if len(vel) > i else math.nan,
                           float(vel[j]) if len(vel) > j else math.nan))
            else:
                values = list(msg.data)
                if len(values) != 1 or not math.isfinite(values[0]):
                    continue
                dims = list(msg.layout.dim)
                answers = None
                if len(dims) == 1 and dims[0].label.startswith(ANSWER_LABEL):
                    try:
                        answers = int(dims[0].label[len(ANSWER_LABEL):])
                    except ValueError:
                        answers = None
                cmd.append((receipt, float(values[0]), answers))
    finally:
        reader.close()
    if not js:
        detail = f' ({missing} name other joints)' if missing else ''
        raise IdentificationError(f'{name}: no joint state on {joints} names both '
                                  f'{cart_joint!r} and {pole_joint!r}{detail}')
    if not cmd:
        raise IdentificationError(f'{name}: no command on {commands} (one finite value each)')
    return _recording(js, cmd, f'{name} ({joints}, {commands})')


def _recording(js: Sequence[tuple[int, int, float, float, float, float]],
               cmd: Sequence[tuple[int, float, int | None]], source: str) -> Recording:
    if all(state[0] == 0 for state in js):   # a driver that leaves the header unstamped
        js = [(s[1], s[1], s[2], s[3], s[4], s[5]) for s in js]
    order = sorted(range(len(js)), key=lambda k: (js[k][0], js[k][1]))
    stamps = np.array([js[k][0] for k in order], dtype=np.int64)
    receipts = np.array([js[k][1] for k in order], dtype=np.int64)
    values = np.array([js[k][2:] for k in order], dtype=np.float64)
    keep = np.concatenate(([True], np.diff(stamps) > 0))   # a state published twice: once
    stamps, receipts, values = stamps[keep], receipts[keep], values[keep]
    origin = int(stamps[0])
    # A lockstep simulator steps with the first answer to a state and drops later ones.
    seen: set[int] = set()
    first: list[tuple[int, float, int | None]] = []
    for c in sorted(cmd, key=lambda c: c[0]):
        if c[2] is not None:
            if c[2] in seen:
                continue
            seen.add(c[2])
        first.append(c)
    cmd = first
    labelled = sum(1 for c in cmd if c[2] is not None)
    times = np.empty(len(cmd), dtype=np.int64)
    by_receipt = np.sort(receipts)
    header_by_receipt = stamps[np.argsort(receipts, kind='stable')]
    for k, (receipt, _, answers) in enumerate(cmd):
        if answers is not None:
            times[k] = answers
        else:
            i = int(np.searchsorted(by_receipt, receipt, side='right')) - 1
            i = max(i, 0)
            times[k] = header_by_receipt[i] + (receipt - by_receipt[i])
    order_c = np.argsort(times, kind='stable')
    timing = ("the answered joint state's stamp (answers_stamp_ns)" if labelled == len(cmd)
              else "receipt, mapped onto the joint states' stamps" if labelled == 0
              else f'answers_stamp_ns for {labelled} of {len(cmd)}, receipt for the others')
    offset = float(np.median(receipts - stamps)) * 1e-9
    clock = ("receipt stamps equal the joint states' (sim time, lockstep or realtime)"
             if abs(offset) < 0.5
             else f"receipt stamps on another clock ({offset:.3g} s after the joint states')")
    return Recording(
        t=(stamps - origin).astype(np.float64) * 1e-9, x=values[:, 0], theta=values[:, 1],
        x_dot=values[:, 2], theta_dot=values[:, 3],
        command_t=(times[order_c] - origin).astype(np.float64) * 1e-9,
        command=np.array([cmd[k][1] for k in order_c], dtype=np.float64),
        command_timing=timing, source=source, clock=clock)


# -- settings and results ------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """What the fit is told: the motor ('dc': commands in volts; 'force': in newtons), the known
    values (KNOWN_FIELDS; gravity defaults to 9.81, a force motor's actuator_gain to 1 when no
    mass is known), coasts ((start, end) s on the recording's timeline: the amplifier disabled,
    no motor force), the longest delay to consider (s)."""

    motor: Motor = 'dc'
    known: Mapping[str, float] = field(default_factory=dict)
    coasts: Sequence[tuple[float, float]] = ()
    max_delay: float = 0.2
    physics_step: float = 0.0

    def __post_init__(self) -> None:
        if self.motor not in ('dc', 'force'):
            raise IdentificationError(f"motor: 'dc' or 'force', not {self.motor!r}")
        for name, value in self.known.items():
            if name not in KNOWN_FIELDS:
                raise IdentificationError(
                    f'--known {name}: not a value the fit can take (known values: '
                    f'{", ".join(KNOWN_FIELDS)})')
            if not (isinstance(value, (int, float)) and math.isfinite(value) and (
                    value > 0 or (value == 0 and name in ('k_emf', 'friction')))):
                raise IdentificationError(f'--known {name}={value}: must be a number > 0')
        if self.motor == 'force' and {'k_force', 'k_emf', 'voltage_limit'} & set(self.known):
            raise IdentificationError('--known k_force, k_emf and voltage_limit are a DC '
                                      "motor's (--motor dc)")
        if self.motor == 'dc' and 'force_limit' in self.known:
            raise IdentificationError("--known force_limit is a force motor's (--motor force); "
                                      'a DC motor has voltage_limit')
        if 'k_emf' in self.known and 'friction' in self.known:
            raise IdentificationError('--known k_emf and friction: give one (the fit finds the '
                                      'other from their sum)')
        for start, end in self.coasts:
            if not end > start:
                raise IdentificationError(f'--coast {start:g}:{end:g}: must end after it starts')
        if not 0.0 < self.max_delay <= 1.0:
            raise IdentificationError('--max-delay: in (0, 1] s')
        if not 0.0 <= self.physics_step <= 0.1:
            raise IdentificationError('--physics-step: in [0, 0.1] s')

    @property
    def gravity(self) -> float:
        return float(self.known.get('gravity', DEFAULT_GRAVITY))

    @property
    def command_limit(self) -> float:
        name = 'voltage_limit' if self.motor == 'dc' else 'force_limit'
        return float(self.known.get(name, math.inf))


@dataclass(frozen=True)
class Estimate:
    """One value: ``how`` is 'fitted', 'known' (a reference), 'derived' (from a reference and
    fitted values), 'assumed' (a default reference) or 'not separated'; ``se`` its standard
    error (jackknife; nan when none)."""

    name: str
    value: float
    se: float
    unit: str
    how: str
    note: str = ''


@dataclass
class Result:
    """What identify found: ``plant`` (a Plant with every identified field), ``estimates`` (in
    report order), the sensing fields found, the fit's quality, and the trajectories for a
    figure (``prediction``)."""

    plant: Plant
    estimates: list[Estimate]
    control_period: float
    cart_r2: float
    pole_r2: float
    cart_windows: int
    pole_windows: int
    delay_curve: tuple[F64, F64]
    notes: list[str]
    sensing: list[str]
    prediction: dict[str, F64] = field(default_factory=dict)
    prediction_rms: tuple[float, float] = (math.nan, math.nan)
    horizon: float = 1.0

    def estimate(self, name: str) -> Estimate:
        for e in self.estimates:
            if e.name == name:
                return e
        raise KeyError(name)

    def lines(self) -> list[str]:
        """The report: every estimate with its uncertainty, the fit's quality, the notes."""
        out = [f'{"field":<18}{"value":>12}  {"+-":>10}  {"unit":<10}how']
        for e in self.estimates:
            se = f'{e.se:10.3g}' if math.isfinite(e.se) else f'{"":10}'
            out.append(f'{e.name:<18}{e.value:12.5g}  {se}  {e.unit:<10}{e.how}'
                       + (f' ({e.note})' if e.note else ''))
        out.append(f'fit: cart equation R^2 {self.cart_r2:.4f} over {self.cart_windows} windows '
                   f'(the cart moving), pole equation R^2 {self.pole_r2:.4f} over '
                   f'{self.pole_windows}')
        if self.prediction:
            out.append(f'prediction: the fitted plant simulated from the measured state over '
                       f'{self.horizon:g} s stretches: RMS error x {self.prediction_rms[0]:.4g}'
                       f' m, theta {self.prediction_rms[1]:.4g} rad')
        out.extend(self.sensing)
        out.extend(self.notes)
        return out


# -- the kernel integrals ------------------------------------------------------------------------

@dataclass(frozen=True)
class Windows:
    """The hat kernels: centre sample c, left and right ends c - n, c + n (indices into the
    recording), their times and half-widths."""

    centre: I64
    n: int
    t_left: F64
    t_centre: F64
    t_right: F64

    @property
    def h1(self) -> F64:
        return self.t_centre - self.t_left

    @property
    def h2(self) -> F64:
        return self.t_right - self.t_centre

    @property
    def area(self) -> F64:
        return 0.5 * (self.h1 + self.h2)

    def __len__(self) -> int:
        return len(self.centre)

    def subset(self, mask: NDArray[np.bool_]) -> 'Windows':
        return Windows(self.centre[mask], self.n, self.t_left[mask], self.t_centre[mask],
                       self.t_right[mask])


def _windows(t: F64, segments: Sequence[tuple[int, int]], n: int) -> Windows:
    # One sample more on each side: the slopes at the window's ends need their neighbours.
    centres = [np.arange(a + n + 1, b - n - 1, dtype=np.int64) for a, b in segments
               if b - a > 2 * n + 2]
    c = np.concatenate(centres) if centres else np.zeros(0, dtype=np.int64)
    return Windows(c, n, t[c - n], t[c], t[c + n])


def second_difference(f: F64, w: Windows) -> F64:
    """D[f] = integral of W f'' (exact from the samples)."""
    c, n = w.centre, w.n
    return (f[c + n] - f[c]) / w.h2 - (f[c] - f[c - n]) / w.h1


def _weight(w: Windows, s: F64) -> F64:
    """W at times s (one per window)."""
    left = (s - w.t_left) / w.h1
    right = (w.t_right - s) / w.h2
    return np.clip(np.where(s <= w.t_centre, left, right), 0.0, 1.0)


def coasting(times: F64, values: F64,
             coasts: Sequence[tuple[float, float]]) -> tuple[F64, F64]:
    """The motor's commands as they act (``times``: when each takes effect) with the
    amplifier disabled through each coast (start, end): 0 from its start, the command then in
    effect from its end."""
    for start, end in coasts:
        before = int(np.searchsorted(times, end, side='right'))
        resume = values[before - 1] if before > 0 else 0.0
        keep = (times < start) | (times >= end)
        times = np.concatenate((times[keep], [start, end]))
        values = np.concatenate((values[keep], [0.0, resume]))
        order = np.argsort(times, kind='stable')
        times, values = times[order], values[order]
    return times, values


def _antiderivative(w: Windows, s: F64) -> F64:
    """integral of W from -inf to s (one s per window)."""
    h1, h2 = w.h1, w.h2
    left = np.clip(s - w.t_left, 0.0, h1)
    right = np.clip(s - w.t_centre, 0.0, h2)
    return 0.5 * left * left / h1 + right - 0.5 * right * right / h2


def command_integral(w: Windows, command_t: F64, command: F64, delay: float) -> F64:
    """U(d) = integral of W(s) u(s - d) ds for commands held from their times (0 before the
    first): every command that takes effect within a window adds its step."""
    effective = command_t + delay
    steps = np.diff(np.concatenate(([0.0], command)))
    first = np.searchsorted(effective, w.t_left, side='right')
    last = np.searchsorted(effective, w.t_right, side='right')
    before = np.where(first > 0, command[np.maximum(first - 1, 0)], 0.0)
    out = before * w.area
    count = int(np.max(last - first)) if len(w) else 0
    for k in range(count):
        index = first + k
        inside = index < last
        j = np.minimum(index, len(command) - 1)
        out += np.where(inside, steps[j] * (w.area - _antiderivative(w, effective[j])), 0.0)
    return out


# Three-point Gauss-Legendre on [0, 1]: (node, weight).
_GAUSS = ((0.5 - math.sqrt(0.15), 5.0 / 18.0), (0.5, 8.0 / 18.0), (0.5 + math.sqrt(0.15),
                                                                     5.0 / 18.0))


def _slopes(f: F64, t: F64) -> F64:
    """Central-difference slopes (0 at the ends, which no window uses)."""
    m = np.zeros(len(f))
    m[1:-1] = (f[2:] - f[:-2]) / (t[2:] - t[:-2])
    return m


@dataclass(frozen=True)
class Nodes:
    """The integrals against W of anything smooth: for every sample interval within a window,
    the three Gauss points with the Hermite cubic through the samples (slopes by central
    differences): positions and velocities there, and the weights ``w`` (Gauss weight x
    interval x W) and ``dw`` (the same with -W' for W). One row per window."""

    x: F64
    x_dot: F64
    theta: F64
    theta_dot: F64
    w: F64
    dw: F64

    def subset(self, mask: NDArray[np.bool_]) -> 'Nodes':
        return Nodes(self.x[mask], self.x_dot[mask], self.theta[mask], self.theta_dot[mask],
                     self.w[mask], self.dw[mask])


def nodes(t: F64, x: F64, theta: F64, win: Windows) -> Nodes:
    """The Gauss points of every window (Nodes)."""
    mx, mth = _slopes(x, t), _slopes(theta, t)
    c, n = win.centre, win.n
    cols: dict[str, list[F64]] = {k: [] for k in ('x', 'xd', 'th', 'thd', 'w', 'dw')}
    for j in range(-n, n):
        a, b = c + j, c + j + 1
        h = t[b] - t[a]
        slope = np.where(j < 0, -1.0 / win.h1, 1.0 / win.h2)   # -W'
        for tau, weight in _GAUSS:
            h00, h10 = 2 * tau ** 3 - 3 * tau ** 2 + 1, tau ** 3 - 2 * tau ** 2 + tau
            h01, h11 = -2 * tau ** 3 + 3 * tau ** 2, tau ** 3 - tau ** 2
            d00, d10 = 6 * tau ** 2 - 6 * tau, 3 * tau ** 2 - 4 * tau + 1
            d01, d11 = -6 * tau ** 2 + 6 * tau, 3 * tau ** 2 - 2 * tau
            for f, m, value, rate in ((x, mx, 'x', 'xd'), (theta, mth, 'th', 'thd')):
                cols[value].append(h00 * f[a] + h10 * h * m[a] + h01 * f[b] + h11 * h * m[b])
                cols[rate].append((d00 * f[a] + d01 * f[b]) / h + d10 * m[a] + d11 * m[b])
            s = t[a] + tau * h
            cols['w'].append(weight * h * _weight(win, s))
            cols['dw'].append(weight * h * slope)
    stack = {k: np.column_stack(v) if v else np.zeros((len(c), 0)) for k, v in cols.items()}
    return Nodes(stack['x'], stack['xd'], stack['th'], stack['thd'], stack['w'], stack['dw'])


# -- preparing the recording ---------------------------------------------------------------------

@dataclass(frozen=True)
class Prepared:
    t: F64
    x: F64
    theta: F64
    segments: list[tuple[int, int]]
    period: float
    x_step: float
    theta_step: float


def encoder_step(values: F64) -> float:
    """The quantisation step of readings (0 if they are not quantised): the smallest spacing of
    distinct values, when every value is a whole multiple of it (within 1 %)."""
    distinct = np.unique(values[np.isfinite(values)])
    if len(distinct) < 3:
        return 0.0
    gaps = np.diff(distinct)
    step = float(np.min(gaps))
    if step <= 0.0:
        return 0.0
    # The step from the many small gaps (a single smallest one may be rounding noise).
    small = gaps[gaps < 1.5 * step]
    step = float(np.median(small))
    ratio = distinct / step
    if np.max(np.abs(ratio - np.round(ratio))) > 0.01 or len(small) < 0.05 * len(gaps):
        return 0.0
    return step


def prepare(rec: Recording) -> Prepared:
    """The samples in continuous segments: a gap in the stamps (> 1.5 periods) or a jump no
    cart-pole makes (the cart faster than 5 m/s, the pole than 60 rad/s: a reset) ends one."""
    t = rec.t
    if len(t) < 3:
        raise IdentificationError(f'too short: {len(t)} joint states')
    dt = np.diff(t)
    period = float(np.median(dt))
    if not period > 0.0:
        raise IdentificationError("the joint states' stamps do not advance")
    theta = rec.theta.copy()
    x = rec.x.copy()
    bad = ~(np.isfinite(x) & np.isfinite(theta))
    jumps = (dt > 1.5 * period) | (np.abs(np.diff(x)) > 5.0 * dt) | bad[1:] | bad[:-1]
    dth = np.diff(theta)
    wrapped = np.abs(dth) > math.pi   # an angle read in (-pi, pi]: unwrap it
    dth = np.where(wrapped, dth - 2.0 * math.pi * np.round(dth / (2.0 * math.pi)), dth)
    jumps |= np.abs(dth) > 60.0 * dt
    theta = np.concatenate(([theta[0]], theta[0] + np.cumsum(np.where(bad[1:], 0.0, dth))))
    cuts = np.flatnonzero(jumps) + 1
    bounds = np.concatenate(([0], cuts, [len(t)]))
    segments = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])
                if b - a >= 3 and not bad[a]]
    return Prepared(t, x, theta, segments, period, encoder_step(rec.x),
                    encoder_step(rec.theta))


# -- the fit -------------------------------------------------------------------------------------

@dataclass
class _CartDesign:
    y: F64
    fixed: F64          # columns that do not depend on the delay
    names: list[str]


def _lstsq(a: F64, y: F64) -> tuple[F64, float]:
    coef = np.asarray(np.linalg.lstsq(a, y, rcond=None)[0], dtype=np.float64)
    r = y - a @ coef
    return coef, float(r @ r)


def _r2(y: F64, rss: float) -> float:
    total = float(np.sum((y - np.mean(y)) ** 2))
    return 1.0 - rss / total if total > 0.0 else math.nan


class _Fitter:
    """The steps of the module docstring on one set of windows (the jackknife reruns them)."""

    def __init__(self, prep: Prepared, rec: Recording, settings: Settings) -> None:
        self.prep = prep
        self.settings = settings
        n = max(1, round(KERNEL_SECONDS / prep.period))
        self.windows = _windows(prep.t, prep.segments, n)
        w, t, x = self.windows, prep.t, prep.x
        if len(w) == 0:
            raise IdentificationError('too short: no stretch of joint states without a gap is '
                                      f'longer than {2 * n + 1} samples')
        self.command_t = rec.command_t
        limit = settings.command_limit
        self.command = np.clip(rec.command, -limit, limit)
        self.coast_mask = np.zeros(len(w), dtype=bool)
        straddle = np.zeros(len(w), dtype=bool)
        for start, end in settings.coasts:
            inside = (w.t_left >= start) & (w.t_right <= end)
            overlap = (w.t_right > start) & (w.t_left < end)
            self.coast_mask |= inside
            straddle |= overlap & ~inside
        # The cart moving one way through the whole window, faster than MIN_SPEED.
        dx = np.diff(x)
        dts = np.diff(t)
        speed_floor = np.maximum(MIN_SPEED * dts, 2.0 * prep.x_step)
        moving_pos = np.ones(len(w), dtype=bool)
        moving_neg = moving_pos.copy()
        for j in range(-n, n):
            d, floor = dx[w.centre + j], speed_floor[w.centre + j]
            moving_pos &= d > floor
            moving_neg &= d < -floor
        self.direction = np.where(moving_pos, 1.0, np.where(moving_neg, -1.0, 0.0))
        self.moving = (moving_pos | moving_neg) & ~straddle
        self.usable_pole = ~straddle
        self.x_sign = 1.0
        self.nodes = nodes(t, x, prep.theta, w)

    # The cart's equation, with the pole's angle given (theta_true) or as the observed angle
    # with an unknown offset (two columns, D[sin] and D[cos]).
    def cart_design(self, mask: NDArray[np.bool_], theta: F64 | None) -> _CartDesign:
        w = self.windows.subset(mask)
        x = self.x_sign * self.prep.x
        y = second_difference(x, w)
        cols: list[F64] = []
        names: list[str] = []
        if theta is None:
            cols += [-second_difference(np.sin(self.prep.theta), w),
                     -second_difference(np.cos(self.prep.theta), w)]
            names += ['ml_sin', 'ml_cos']
        else:
            cols.append(-second_difference(np.sin(theta), w))
            names.append('ml')
        v = -self.x_sign * np.sum(self.nodes.w[mask] * self.nodes.x_dot[mask], axis=1)
        # A simulator's step of dt taking the damping from the step's start: (M + m - c dt / 2)
        # x_acc = ... - c x_dot, so the damping's column gains dt / 2 D[x].
        v = v + 0.5 * self.settings.physics_step * y
        cols.append(v)
        names.append('c')
        if self.settings.motor == 'dc' and self.settings.coasts:
            cols.append(np.where(self.coast_mask[mask], 0.0, v))
            names.append('emf')
        cols.append(-self.direction[mask] * self.x_sign * w.area)
        names.append('fc')
        return _CartDesign(y, np.column_stack(cols), names)

    def command_column(self, mask: NDArray[np.bool_], delay: float) -> F64:
        """U at ``delay`` (less half a simulator's step: its forces act that much early)."""
        times = self.command_t + (delay - 0.5 * self.settings.physics_step)
        times, values = coasting(times, self.command, self.settings.coasts)
        return command_integral(self.windows.subset(mask), times, values, 0.0)

    def cart_rss(self, design: _CartDesign, mask: NDArray[np.bool_], delay: float) -> float:
        a = np.column_stack((design.fixed, self.command_column(mask, delay)))
        return _lstsq(a, design.y)[1]

    def delay_scan(self, mask: NDArray[np.bool_]) -> tuple[F64, F64]:
        design = self.cart_design(mask, None)
        delays = np.arange(0.0, self.settings.max_delay + 0.5 * DELAY_STEP, DELAY_STEP)
        return delays, np.array([self.cart_rss(design, mask, float(d)) for d in delays])

    def refine_delay(self, mask: NDArray[np.bool_], guess: float, span: float) -> float:
        """The delay of least residual within guess +- span (golden section)."""
        design = self.cart_design(mask, None)
        a, b = max(0.0, guess - span), min(self.settings.max_delay, guess + span)
        ratio = (math.sqrt(5.0) - 1.0) / 2.0
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        fc, fd = self.cart_rss(design, mask, c), self.cart_rss(design, mask, d)
        while b - a > 1e-5:
            if fc < fd:
                b, d, fd = d, c, fc
                c = b - ratio * (b - a)
                fc = self.cart_rss(design, mask, c)
            else:
                a, c, fc = c, d, fd
                d = a + ratio * (b - a)
                fd = self.cart_rss(design, mask, d)
        return 0.5 * (a + b)

    def cart_fit(self, mask: NDArray[np.bool_], delay: float,
                 theta: F64 | None) -> tuple[dict[str, float], float, F64]:
        """(coefficients per (M + m), rss, y)."""
        design = self.cart_design(mask, theta)
        a = np.column_stack((design.fixed, self.command_column(mask, delay)))
        coef, rss = _lstsq(a, design.y)
        return dict(zip(design.names + ['k'], map(float, coef))), rss, design.y

    def pole_fit(self, mask: NDArray[np.bool_], offset: float,
                 sign: float) -> tuple[float, float, float, F64]:
        """(l, c_p / (m l), rss, y) with theta = sign (observed - offset)."""
        w = self.windows.subset(mask)
        q = self.nodes.subset(mask)
        theta = sign * (q.theta - offset)
        theta_dot = sign * q.theta_dot
        x_dot = self.x_sign * q.x_dot
        sin = np.sin(theta)
        # integral of W cos(theta) x_acc, by parts: -W' cos(theta) x_dot + W sin(theta)
        # theta_dot x_dot.
        cos_acc = np.sum(q.dw * np.cos(theta) * x_dot + q.w * sin * theta_dot * x_dot, axis=1)
        y = self.settings.gravity * np.sum(q.w * sin, axis=1) - cos_acc
        a = np.column_stack((4.0 / 3.0 * sign * second_difference(self.prep.theta, w),
                             np.sum(q.w * theta_dot, axis=1)))
        coef, rss = _lstsq(a, y)
        return float(coef[0]), float(coef[1]), rss, y

    def pole_convention(self, mask: NDArray[np.bool_]) -> tuple[float, float]:
        """(offset, sign) of the pole's reading: least residual with l > 0."""
        best: tuple[float, float, float] | None = None
        for sign in (1.0, -1.0):
            grid = np.linspace(-math.pi, math.pi, 181)
            scores = []
            for offset in grid:
                length, _, rss, _ = self.pole_fit(mask, float(offset), sign)
                scores.append(rss if length > 0.0 else math.inf)
            k = int(np.argmin(scores))
            if not math.isfinite(scores[k]):
                continue
            a, b = grid[k] - 2 * math.pi / 180, grid[k] + 2 * math.pi / 180
            ratio = (math.sqrt(5.0) - 1.0) / 2.0
            for _ in range(40):
                c, d = b - ratio * (b - a), a + ratio * (b - a)
                if self.pole_fit(mask, c, sign)[2] < self.pole_fit(mask, d, sign)[2]:
                    b = d
                else:
                    a = c
            offset = 0.5 * (a + b)
            rss = self.pole_fit(mask, offset, sign)[2]
            if best is None or rss < best[2]:
                best = (offset, sign, rss)
        if best is None:
            raise IdentificationError("the pole's swing fits no pendulum (no positive length): "
                                      'are the joint names right?')
        return best[0], best[1]


def _wrap(angle: float) -> float:
    return math.pi - (math.pi - angle) % (2.0 * math.pi)


@dataclass
class _Solution:
    """One pass: the plant's values (SI), before the references' bookkeeping."""

    values: dict[str, float]
    cart_rss: float
    pole_rss: float


def _solve(f: _Fitter, mask: NDArray[np.bool_], pole_mask: NDArray[np.bool_], delay: float,
           offset: float, sign: float) -> tuple[_Solution, dict[str, float], F64, F64]:
    theta = sign * (f.prep.theta - offset)
    length, cp_ml, pole_rss, pole_y = f.pole_fit(pole_mask, offset, sign)
    coef, cart_rss, cart_y = f.cart_fit(mask, delay, theta)
    values = _scale(f.settings, coef, length, cp_ml)
    values['delay'] = delay
    return _Solution(values, cart_rss, pole_rss), coef, cart_y, pole_y


def _scale(settings: Settings, coef: Mapping[str, float], half: float,
           cp_ml: float) -> dict[str, float]:
    """The plant's values from the per-(M + m) coefficients and the references."""
    known = settings.known
    ml, k = coef['ml'], coef['k']
    # Per unit total mass: total = 1, m l = ml, so m = ml / half.
    m_unit = ml / half
    if 'cart_mass' in known:
        total = known['cart_mass'] / (1.0 - m_unit)
    elif 'pole_mass' in known:
        total = known['pole_mass'] / m_unit
    elif settings.motor == 'dc' and 'k_force' in known:
        total = known['k_force'] * known.get('actuator_gain', 1.0) / k
    elif settings.motor == 'force':
        total = known.get('actuator_gain', 1.0) / k
    else:
        raise IdentificationError(_NO_SCALE)
    out = {'total': total, 'pole_mass': m_unit * total, 'cart_mass': (1.0 - m_unit) * total,
           'pole_length': 2.0 * half, 'k': k * total, 'c': coef['c'] * total,
           'coulomb_friction': coef['fc'] * total, 'pole_friction': cp_ml * ml * total,
           'emf': coef.get('emf', math.nan) * total}
    return out


_NO_SCALE = ("the forces' scale cannot be told from motion and commands alone (every mass, "
             'the motor and the frictions could be twice as large): give one reference, '
             '--known cart_mass=KG (weigh the cart), --known pole_mass=KG, or --known '
             "k_force=N/V (the DC motor's data sheet)")


def _require_scale(settings: Settings) -> None:
    known = settings.known
    if settings.motor == 'dc' and not {'cart_mass', 'pole_mass', 'k_force'} & set(known):
        raise IdentificationError(_NO_SCALE)


def _finish(settings: Settings, v: Mapping[str, float]) -> dict[str, float]:
    """The plant's fields (motor split, frictions) from one solution's values."""
    known = settings.known
    out = {'cart_mass': v['cart_mass'], 'pole_mass': v['pole_mass'],
           'pole_length': v['pole_length'], 'coulomb_friction': v['coulomb_friction'],
           'pole_friction': v['pole_friction'], 'delay': v['delay']}
    has_mass = 'cart_mass' in known or 'pole_mass' in known
    if settings.motor == 'dc':
        if 'k_force' in known and has_mass:
            gain = v['k'] / known['k_force']
            k_force = known['k_force']
        else:
            gain = known.get('actuator_gain', 1.0)
            k_force = v['k'] / gain
        out['actuator_gain'], out['k_force'] = gain, k_force
        total_c = v['c'] + (v['emf'] if settings.coasts else 0.0)
        if settings.coasts:
            out['friction'] = v['c']
            out['k_emf'] = v['emf'] / gain
        elif 'k_emf' in known:
            out['k_emf'] = known['k_emf']
            out['friction'] = total_c - gain * known['k_emf']
        elif 'friction' in known:
            out['friction'] = known['friction']
            out['k_emf'] = (total_c - known['friction']) / gain
        else:
            out['friction'] = 0.0
            out['k_emf'] = total_c / gain
        out['damping'] = total_c
    else:
        out['actuator_gain'] = v['k'] if has_mass else known.get('actuator_gain', 1.0)
        out['friction'] = v['c']
        out['damping'] = v['c']
    return out


# The report's rows: (field, unit).
_ROWS_DC = [('delay', 's'), ('cart_mass', 'kg'), ('pole_mass', 'kg'), ('pole_length', 'm'),
            ('k_force', 'N/V'), ('actuator_gain', ''), ('k_emf', 'N s/m'),
            ('friction', 'N s/m'), ('damping', 'N s/m'), ('coulomb_friction', 'N'),
            ('pole_friction', 'N m s/rad'), ('gravity', 'm/s^2')]
_ROWS_FORCE = [('delay', 's'), ('cart_mass', 'kg'), ('pole_mass', 'kg'), ('pole_length', 'm'),
               ('actuator_gain', ''), ('friction', 'N s/m'), ('coulomb_friction', 'N'),
               ('pole_friction', 'N m s/rad'), ('gravity', 'm/s^2')]


def _how(settings: Settings, name: str) -> tuple[str, str]:
    known = settings.known
    has_mass = 'cart_mass' in known or 'pole_mass' in known
    if name in known:
        return 'known', 'a reference'
    if name == 'gravity':
        return 'assumed', 'standard gravity; --known gravity=G to change'
    if name == 'damping':
        return 'fitted', ('friction + actuator_gain k_emf: what the cart feels while the '
                          'amplifier drives')
    if name == 'actuator_gain':
        if settings.motor == 'dc':
            return ('fitted', "the force per volt over the data sheet's k_force") \
                if has_mass and 'k_force' in known else ('assumed', '1: the motor as k_force says')
        return ('fitted', 'newtons delivered per newton commanded') if has_mass \
            else ('assumed', '1: the amplifier delivers the commanded newtons; '
                  '--known cart_mass=KG to fit it')
    if name in ('k_emf', 'friction') and settings.motor == 'dc' and not settings.coasts \
            and 'k_emf' not in known and 'friction' not in known:
        return 'not separated', ('only friction + actuator_gain k_emf is seen: written as k_emf '
                                 'with friction 0; --known k_emf=, --known friction= or --coast '
                                 'separates them')
    if name in ('k_emf', 'friction') and settings.motor == 'dc' and not settings.coasts:
        return 'derived', 'damping minus the known one'
    if name == 'k_force' and not has_mass:
        return 'fitted', 'sets the scale with actuator_gain 1'
    return 'fitted', ''


def identify(rec: Recording, settings: Settings,
             progress: Callable[[str], None] | None = None) -> Result:
    """Fit the plant to the recording (module docstring); IdentificationError says why not."""
    say = progress or (lambda text: None)
    _require_scale(settings)
    prep = prepare(rec)
    usable = sum(prep.t[b - 1] - prep.t[a] for a, b in prep.segments)
    if usable < MIN_SECONDS:
        raise IdentificationError(f'too short: {usable:.1f} s of joint states without a gap or '
                                  f'a reset (at least {MIN_SECONDS:g} s; memsnn-identify '
                                  '--excite gives one of 25 s)')
    held = rec.command[(rec.command_t >= prep.t[0]) & (rec.command_t <= prep.t[-1])]
    if len(held) < 3 or float(np.ptp(held)) == 0.0:
        same = f'{held[0]:g}' if len(held) else 'none'
        raise IdentificationError(f"no excitation: the commands within the joint states' time "
                                  f'are all the same ({same}); record the rig driven by '
                                  'memsnn-identify --excite')
    f = _Fitter(prep, rec, settings)
    if int(np.sum(f.moving)) < MIN_MOVING_WINDOWS:
        raise IdentificationError(
            f'no excitation: the cart moved steadily in only {int(np.sum(f.moving))} windows of '
            f'{2 * f.windows.n + 1} samples (at least {MIN_MOVING_WINDOWS}); drive it harder or '
            'longer (memsnn-identify --excite)')
    if float(np.ptp(prep.theta)) <= 3.0 * max(prep.theta_step, 1e-6):
        raise IdentificationError('the pole did not swing (its angle stayed within '
                                  f'{float(np.ptp(prep.theta)):.3g} rad): its length and mass '
                                  'cannot be told; is the pole mounted and free?')
    say('scanning the delay')
    delays, rss = f.delay_scan(f.moving)
    best = int(np.argmin(rss))
    delay = f.refine_delay(f.moving, float(delays[best]), 2.0 * DELAY_STEP)
    coef, _, _ = f.cart_fit(f.moving, delay, None)
    if coef['k'] < 0.0:
        f.x_sign = -1.0   # the cart's reading runs against the motor's push
    say('fitting the pole')
    offset, sign = f.pole_convention(f.usable_pole)
    solution, coef, cart_y, pole_y = _solve(f, f.moving, f.usable_pole, delay, offset, sign)
    if coef['ml'] <= 0.0:
        raise IdentificationError("the cart's motion does not follow the pole's swing with "
                                  'a positive pole mass: check the joint names and that the '
                                  'commands drive this cart')
    fields_ = _finish(settings, solution.values)
    # The jackknife: drop one block of windows at a time.
    say('estimating the uncertainties')
    centres = f.windows.t_centre
    span = float(centres[-1] - centres[0]) + 1e-12
    blocks = np.minimum((centres - centres[0]) / span * JACKKNIFE_BLOCKS,
                        JACKKNIFE_BLOCKS - 1).astype(int)
    replicas: list[dict[str, float]] = []
    for b in range(JACKKNIFE_BLOCKS):
        keep = blocks != b
        if int(np.sum(f.moving & keep)) < MIN_MOVING_WINDOWS // 2:
            continue
        d_b = f.refine_delay(f.moving & keep, delay, 3.0 * DELAY_STEP)
        try:
            sol_b = _solve(f, f.moving & keep, f.usable_pole & keep, d_b, offset, sign)[0]
        except (IdentificationError, ZeroDivisionError):
            continue
        replicas.append(_finish(settings, sol_b.values))
    se: dict[str, float] = {}
    for name in fields_:
        values = np.array([r[name] for r in replicas])
        count = len(values)
        se[name] = float(math.sqrt((count - 1) / count * np.sum((values - values.mean()) ** 2))) \
            if count >= 3 else math.nan
    fields_['gravity'] = settings.gravity
    se['gravity'] = math.nan
    notes: list[str] = []
    for name in ('friction', 'coulomb_friction', 'pole_friction', 'k_emf'):
        if name in fields_ and fields_[name] < 0.0:
            notes.append(f'note: {name} came out {fields_[name]:.3g} < 0 (within its '
                         f'uncertainty of 0?): written as 0')
            fields_[name] = 0.0
    for name in ('cart_mass', 'pole_mass', 'pole_length'):
        if not fields_[name] > 0.0:
            raise IdentificationError(f'the fit gives {name} = {fields_[name]:.3g}: not a '
                                      'cart-pole this data could come from (too little '
                                      'excitation, or a wrong --motor or reference)')
    rows = _ROWS_DC if settings.motor == 'dc' else _ROWS_FORCE
    estimates = []
    for name, unit in rows:
        how, note = _how(settings, name)
        value = fields_[name]
        if how == 'known':
            value = settings.known[name]
        estimates.append(Estimate(name, value, se.get(name, math.nan) if how in (
            'fitted', 'derived', 'not separated') else math.nan, unit, how, note))
    if 'pole_mass' in settings.known and 'cart_mass' in settings.known:
        notes.append(f'note: pole_mass was known too; the fit with cart_mass as the scale says '
                     f'{solution.values["pole_mass"]:.4g} kg')
    # The sensing fields.
    sensing, plant_values = _sensing(rec, prep, f.x_sign, sign, offset)
    plant_values.update(
        cart_mass=fields_['cart_mass'], pole_mass=fields_['pole_mass'],
        pole_length=fields_['pole_length'], gravity=settings.gravity,
        friction=fields_['friction'], coulomb_friction=fields_['coulomb_friction'],
        pole_friction=fields_['pole_friction'], delay=min(max(delay, 0.0), 1.0),
        motor=settings.motor, actuator_gain=fields_['actuator_gain'])
    if settings.motor == 'dc':
        plant_values.update(k_force=fields_['k_force'], k_emf=fields_['k_emf'])
        if 'voltage_limit' in settings.known:
            plant_values['voltage_limit'] = settings.known['voltage_limit']
        else:
            notes.append(f'note: the voltage limit is not in the data (commands up to '
                         f'{float(np.max(np.abs(rec.command))):.3g} V were followed as sent); '
                         'the file keeps the default 10 V: --known voltage_limit=V')
    try:
        plant = Plant(**plant_values)
    except ValueError as exc:
        raise IdentificationError(f'the fitted plant is not valid: {exc}') from None
    cart_r2 = _r2(cart_y, solution.cart_rss)
    pole_r2 = _r2(pole_y, solution.pole_rss)
    if not cart_r2 >= POOR_FIT[0] or not pole_r2 >= POOR_FIT[1]:
        notes.append(f'warning: the equations explain the motion poorly (R^2 cart '
                     f'{cart_r2:.3f}, pole {pole_r2:.3f}; a good recording gives > '
                     f'{POOR_FIT[0]:g} and > {POOR_FIT[1]:g}): check --motor, --coast, the joint '
                     'names, and that nothing else pushed the cart (end stops, a hand, a '
                     'controller changing the plant)')
    result = Result(plant=plant, estimates=estimates, control_period=prep.period,
                    cart_r2=cart_r2, pole_r2=pole_r2, cart_windows=int(np.sum(f.moving)),
                    pole_windows=int(np.sum(f.usable_pole)), delay_curve=(delays, rss),
                    notes=notes, sensing=sensing)
    say('simulating the fitted plant')
    _predict(result, rec, prep, settings, f.x_sign, sign, offset)
    return result


def _sensing(rec: Recording, prep: Prepared, x_sign: float, sign: float,
             offset: float) -> tuple[list[str], dict[str, Any]]:
    """The observation fields the data shows, and lines that say so."""
    lines = []
    values: dict[str, Any] = {}
    measured = bool(np.any(np.isfinite(rec.x_dot)) and np.any(np.isfinite(rec.theta_dot)))
    values['velocity_sensing'] = 'measured' if measured else 'none'
    lines.append(f'sensing: velocities {"measured" if measured else "not measured (NaN)"}; '
                 f'the commands placed by {rec.command_timing}; {rec.clock}')
    x_step, theta_step = prep.x_step, prep.theta_step
    if theta_step > 0.0:
        counts = round(2.0 * math.pi / theta_step)
        radius = x_step * counts / (2.0 * math.pi) if x_step > 0.0 else math.nan
        lines.append(f'encoders: the pole in steps of {theta_step:.4g} rad ({counts} counts per '
                     f'revolution), the cart in steps of '
                     + (f'{x_step:.4g} m (pinion radius {radius:.4g} m)' if x_step > 0.0
                        else 'none found'))
        if x_step > 0.0:
            values['encoder_counts'] = int(counts)
            values['pinion_radius'] = float(radius)
    else:
        lines.append('encoders: the positions are not quantised (exact, or finer than the data '
                     'shows)')
    pole_sign = int(sign)
    # theta_true = sign (observed - offset)  =>  observed = sign theta_true + offset.
    pole_offset = _wrap(offset)
    if theta_step > 0.0:   # finer than the encoder's step is not in the data
        pole_offset = _wrap(round(pole_offset / theta_step) * theta_step)
    elif abs(pole_offset) < 1e-3:
        pole_offset = 0.0
    values['sensor_sign'] = [int(x_sign), pole_sign]
    values['sensor_offset'] = [0.0, 0.0, pole_offset, 0.0]
    lines.append(f"readings: cart sign {int(x_sign):+d} (+1: the motor's push raises the "
                 f'reading), pole sign {pole_sign:+d} and offset {pole_offset:.4g} rad (hanging, '
                 f"the pole reads {_wrap(pole_sign * math.pi + pole_offset):.4f} rad); the cart's "
                 'offset is not in the data (0)')
    return lines, values


def _predict(result: Result, rec: Recording, prep: Prepared, settings: Settings,
             x_sign: float, sign: float, offset: float, horizon: float = 1.0) -> None:
    """Simulate the fitted plant (envs/rig.py's integrator) from the measured state at the
    start of every ``horizon`` seconds under the recorded commands; the trajectories and the
    RMS errors go into ``result``."""
    plant = result.plant.replace(track_limit=math.inf)
    plant_off = plant.replace(actuator_gain=0.0)   # the amplifier disabled: no motor force
    period = prep.period
    limit = settings.command_limit if math.isfinite(settings.command_limit) else 1e6
    t, x = prep.t, x_sign * prep.x
    theta = sign * (prep.theta - offset)
    pred_x = np.full(len(t), np.nan)
    pred_th = np.full(len(t), np.nan)
    stride = max(1, round(horizon / period))
    commands_t, commands = rec.command_t, rec.command
    for a, b in prep.segments:
        for start in range(a + 1, b - 1, stride):
            end = min(start + stride, b - 1)
            integ = rig.RigIntegrator(plant, period, limit, physics_dt=PREDICTION_STEP)
            state = np.array([x[start], (x[start + 1] - x[start - 1]) / (t[start + 1]
                              - t[start - 1]), theta[start],
                              (theta[start + 1] - theta[start - 1]) / (t[start + 1]
                                                                       - t[start - 1])])
            # The command in effect at the start, those in flight, then each as it is sent.
            j = max(0, int(np.searchsorted(commands_t, t[start] - plant.delay,
                                           side='right')) - 1)
            pred_x[start], pred_th[start] = state[0], state[2]
            for k in range(start, end):
                coasting_now = any(a <= t[k] + 1e-9 < b for a, b in settings.coasts)
                integ.set_plant(plant_off if coasting_now else plant)
                while j < len(commands_t) and commands_t[j] < t[k + 1] - 1e-9:
                    integ.command(float(commands[j]), float(commands_t[j]))
                    j += 1
                integ.integrate(state, float(t[k]), integ.substeps)
                pred_x[k + 1], pred_th[k + 1] = state[0], state[2]
    ok = np.isfinite(pred_x)
    result.prediction = {'t': t, 'x': x, 'theta': theta, 'x_pred': pred_x,
                         'theta_pred': pred_th, 'command_t': commands_t, 'command': commands}
    result.horizon = horizon
    if np.any(ok):
        result.prediction_rms = (float(np.sqrt(np.mean((pred_x[ok] - x[ok]) ** 2))),
                                 float(np.sqrt(np.mean((pred_th[ok] - theta[ok]) ** 2))))


# -- the plant file and the figure ---------------------------------------------------------------

def plant_file_text(result: Result, settings: Settings, source: str = '') -> str:
    """The plant file (envs/plant_file.py reads it back): the identified plant's fields, the
    task's control period, and comments that say what was fitted and what was given."""
    p = result.plant
    how = {e.name: e.how for e in result.estimates}
    lines = ['# Identified by memsnn-identify' + (f' from {source}' if source else ''),
             '# (fitted: from the data; known: a reference given; assumed: a default '
             'reference;',
             '#  not separated: only a sum is in the data, see docs/experiments.md)',
             'plant:']

    def put(name: str, value: Any, comment: str = '') -> None:
        text = (f'{value:.6g}' if isinstance(value, float) else
                f'[{", ".join(_num(v) for v in value)}]' if isinstance(value, (list, tuple))
                else str(value))
        lines.append(f'  {name}: {text}' + (f'  # {comment}' if comment else ''))

    for name in ('cart_mass', 'pole_mass', 'pole_length', 'gravity', 'friction',
                 'coulomb_friction', 'pole_friction', 'delay'):
        put(name, float(getattr(p, name)), how.get(name, ''))
    put('motor', p.motor, 'given (--motor)')
    if p.motor == 'dc':
        put('k_force', float(p.k_force), how.get('k_force', ''))
        put('k_emf', float(p.k_emf), how.get('k_emf', ''))
        put('voltage_limit', float(p.voltage_limit),
            'known' if 'voltage_limit' in settings.known else 'not in the data: the default')
    put('actuator_gain', float(p.actuator_gain), how.get('actuator_gain', ''))
    if p.encoder_counts:
        put('encoder_counts', int(p.encoder_counts), "the readings' step")
        put('pinion_radius', float(p.pinion_radius), "the cart reading's step x counts / 2 pi")
    put('velocity_sensing', p.velocity_sensing)
    put('sensor_sign', list(p.sensor_sign))
    put('sensor_offset', list(p.offset), "the pole's; the cart's is not in the data")
    lines.append('  # track_limit: the end stops are not in the data; set them for your rig')
    lines.append('task:')
    lines.append(f'  control_period: {_num(round(result.control_period, 6))}  # the joint '
                 "states' period")
    if p.motor == 'force' and 'force_limit' in settings.known:
        lines.append(f'  force_limit: {_num(settings.known["force_limit"])}')
    lines.append('  # x_threshold and the rest of the task: set them for your rig')
    return '\n'.join(lines) + '\n'


def _num(value: Any) -> str:
    return f'{value:.6g}' if isinstance(value, float) else str(value)


def save_figure(result: Result, path: str | os.PathLike[str]) -> None:
    """The measured vs predicted trajectories, the commands and the delay scan, as a PNG."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    pr = result.prediction
    fig, axes = plt.subplots(4, 1, figsize=(10, 10), constrained_layout=True)
    t = pr['t']
    axes[0].plot(pr['command_t'], pr['command'], lw=0.8, color='k', drawstyle='steps-post')
    axes[0].set_ylabel('command (' + ('V' if result.plant.motor == 'dc' else 'N') + ')')
    axes[1].plot(t, pr['x'], lw=1.0, label='measured')
    axes[1].plot(t, pr['x_pred'], lw=1.0, ls='--', label=f'fitted plant, from the measured '
                 f'state every {result.horizon:g} s')
    axes[1].set_ylabel('x (m)')
    axes[1].legend(loc='upper right', fontsize=8)
    axes[2].plot(t, pr['theta'], lw=1.0)
    axes[2].plot(t, pr['theta_pred'], lw=1.0, ls='--')
    axes[2].set_ylabel('theta (rad)')
    axes[2].set_xlabel('time (s)')
    delays, rss = result.delay_curve
    axes[3].plot(delays * 1e3, rss / np.min(rss), lw=1.0)
    axes[3].axvline(result.plant.delay * 1e3, color='r', lw=0.8)
    axes[3].set_xlabel('delay (ms)')
    axes[3].set_ylabel('cart residual / min')
    axes[3].set_yscale('log')
    fig.suptitle(f'memsnn-identify: RMS error over {result.horizon:g} s x '
                 f'{result.prediction_rms[0]:.3g} m, theta {result.prediction_rms[1]:.3g} rad')
    fig.savefig(os.fspath(path), dpi=90)
    plt.close(fig)


def rehearse(plant: Plant, excitation: 'Excitation', period: float,
             force_limit: float) -> tuple[float, float, float]:
    """(lowest x, highest x, largest |theta - pi|) of ``plant`` under ``excitation`` (sent every
    ``period`` s) from hanging at rest, simulated by envs/rig.py's integrator without end stops."""
    model = rig.RigIntegrator(plant.replace(track_limit=math.inf), period, force_limit)
    times, commands = excitation.samples(period, extra=1.0)
    state = np.array([0.0, 0.0, math.pi, 0.0])
    lowest = highest = swing = 0.0
    for t, u in zip(times, commands):
        model.command(float(u), float(t))
        model.advance(state, float(t))
        lowest, highest = min(lowest, state[0]), max(highest, state[0])
        swing = max(swing, abs(_wrap(state[2] - math.pi)))
    return lowest, highest, swing
