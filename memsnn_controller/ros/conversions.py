"""Pure conversions between plain values and ROS messages; testable without spinning a node.

Each function takes or fills one message. Functions that build a message on every control tick
accept an existing message to fill in place (``msg=``), which saves an allocation per tick.
"""

from collections.abc import Mapping, Sequence
import math
from typing import TYPE_CHECKING

from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray, MultiArrayDimension

if TYPE_CHECKING:
    from memsnn_controller.envs.simulation import EpisodeReport
    from memsnn_controller.ros.control_loop import EpisodeEnd

# (x, x_dot, theta, theta_dot), as read from a joint state.
Observation = tuple[float, ...]   # four values
# JointLookup.read: (what, values, detail); values are the joints' numbers (4, or 2 for one
# joint), None for NO_JOINT and bad input.
Reading = tuple[str, 'tuple[float, ...] | None', str]

CART_JOINT = 'slider_to_cart'
POLE_JOINT = 'cart_to_pole'

_NS_PER_S = 1_000_000_000


def time_from_ns(nanoseconds: int, msg: Time | None = None) -> Time:
    """builtin_interfaces/Time for a non-negative time in integer nanoseconds."""
    msg = Time() if msg is None else msg
    msg.sec, msg.nanosec = divmod(int(nanoseconds), _NS_PER_S)
    return msg


def ns_from_time(msg: Time) -> int:
    """Integer nanoseconds of a builtin_interfaces/Time."""
    return msg.sec * _NS_PER_S + msg.nanosec


def clock_from_ns(nanoseconds: int, msg: Clock | None = None) -> Clock:
    """rosgraph_msgs/Clock for a time in integer nanoseconds."""
    msg = Clock() if msg is None else msg
    time_from_ns(nanoseconds, msg.clock)
    return msg


def joint_state_from(observation: Sequence[float], effort: float, stamp_ns: int,
                     names: Sequence[str] = (CART_JOINT, POLE_JOINT),
                     msg: JointState | None = None) -> JointState:
    """sensor_msgs/JointState for a cart-pole observation.

    observation: (x, x_dot, theta, theta_dot); effort: the cart force applied (N); the pole joint
    is unactuated, so its effort is 0. names: (cart joint, pole joint). stamp_ns: integer ns.
    """
    x, x_dot, theta, theta_dot = observation
    msg = JointState() if msg is None else msg
    time_from_ns(stamp_ns, msg.header.stamp)
    msg.name = list(names)
    msg.position = [float(x), float(theta)]
    msg.velocity = [float(x_dot), float(theta_dot)]
    msg.effort = [float(effort), 0.0]
    return msg


def force_from_command(msg: Float64MultiArray) -> tuple[float, str] | tuple[None, str]:
    """The cart force from a std_msgs/Float64MultiArray command.

    Returns (value, '') for exactly one finite value, else (None, reason) with a short reason.
    """
    data = msg.data
    if len(data) != 1:
        return None, f'expected exactly one value, got {len(data)}'
    value = float(data[0])
    if not math.isfinite(value):
        return None, f'value is not finite ({value})'
    return value, ''


# Optional convention on effort_controller/commands: a command that answers a joint state names
# that state's stamp in its layout's single dimension label, 'answers_stamp_ns=<ns>'. Effort
# controllers ignore the layout; the simulator's lockstep mode uses it to tell a late answer to
# an earlier state from the answer to the state it waits for (Float64MultiArray has no header).
ANSWER_LABEL = 'answers_stamp_ns='


def command_from_force(force: float, msg: Float64MultiArray | None = None,
                       answers_ns: int | None = None) -> Float64MultiArray:
    """std_msgs/Float64MultiArray holding exactly one finite value, the cart force (N); with
    ``answers_ns``, labelled as the answer to the joint state stamped so (see ANSWER_LABEL).

    Raises ValueError for a non-finite force: nothing non-finite may go on the wire.
    """
    value = float(force)
    if not math.isfinite(value):
        raise ValueError(f'force must be finite, got {value}')
    msg = Float64MultiArray() if msg is None else msg
    msg.data = [value]
    if answers_ns is None:
        msg.layout.dim = []
    else:
        msg.layout.dim = [MultiArrayDimension(label=f'{ANSWER_LABEL}{int(answers_ns)}', size=1,
                                              stride=1)]
    return msg


def answered_stamp_ns(msg: Float64MultiArray) -> int | None:
    """The stamp (ns) of the joint state a command says it answers, or None if it says none."""
    dims = msg.layout.dim
    if len(dims) != 1 or not dims[0].label.startswith(ANSWER_LABEL):
        return None
    try:
        return int(dims[0].label[len(ANSWER_LABEL):])
    except ValueError:
        return None


# Why a joint state cannot be used (JointLookup's reason codes).
BAD_EMPTY = 'empty'
BAD_LENGTHS = 'length_mismatch'
BAD_MISSING_JOINT = 'missing_joint'
BAD_DUPLICATE_JOINT = 'duplicate_joint'
BAD_NON_FINITE = 'non_finite'
BAD_IMPLAUSIBLE = 'implausible'

# What a usable JointState holds (JointLookup.read).
WHOLE = 'whole'          # both joints: (x, x_dot, theta, theta_dot)
CART_ONLY = 'cart'       # the cart joint alone: (x, x_dot)
POLE_ONLY = 'pole'       # the pole joint alone: (theta, theta_dot)
NO_JOINT = 'no_joint'    # neither (another source publishing on the same topic)

STATE_NAMES = ('x', 'x_dot', 'theta', 'theta_dot')
# Largest plausible |x| (m), |x_dot| (m/s), |theta| (rad), |theta_dot| (rad/s): far beyond any
# cart-pole, so only nonsense (a unit error, a corrupted driver, 1e300) is refused.
DEFAULT_STATE_LIMITS = (100.0, 100.0, 1000.0, 1000.0)

# How JointLookup reads velocities (the controller's velocity_estimation 'off', 'auto', 'on').
VELOCITY_REQUIRED = 'required'   # finite, one per name (a NaN is bad input)
VELOCITY_OPTIONAL = 'optional'   # NaN, or an empty velocity array, reads as NaN (to estimate)
VELOCITY_IGNORED = 'ignored'     # not read: NaN (always estimated); only the lengths are checked
VELOCITY_MODES = (VELOCITY_REQUIRED, VELOCITY_OPTIONAL, VELOCITY_IGNORED)
_NAN = math.nan


class JointLookup:
    """Reads the cart-pole state out of sensor_msgs/JointState arrays, by joint name.

    The cart joint gives (x, x_dot), the pole joint (theta, theta_dot); the joints may come in
    any order and other joints are ignored. ``position`` must have one entry per name, and so
    must ``velocity``, except that with ``velocities`` VELOCITY_OPTIONAL or VELOCITY_IGNORED it
    may be empty (then the velocities read as NaN; ``effort`` is not used and not checked).
    Every value read must be finite and within ``limits`` (|x|, |x_dot|, |theta|, |theta_dot|),
    except the velocities: with VELOCITY_OPTIONAL a NaN one reads as NaN (the sensor front end
    estimates it; inf is still bad), with VELOCITY_IGNORED they are not read (NaN). The indices
    are cached while the name list stays the same, so the usual stream costs two list
    comparisons per message.
    """

    def __init__(self, cart_joint: str = CART_JOINT, pole_joint: str = POLE_JOINT,
                 limits: Sequence[float] = DEFAULT_STATE_LIMITS,
                 velocities: str = VELOCITY_REQUIRED) -> None:
        if velocities not in VELOCITY_MODES:
            raise ValueError(f'velocities: must be one of {", ".join(VELOCITY_MODES)} (got '
                             f'{velocities!r})')
        self.cart_joint = cart_joint
        self.pole_joint = pole_joint
        self.limits = tuple(float(v) for v in limits)
        self.velocities = velocities
        self._names: list[str] | None = None
        self._indices: tuple[int | None, ...] = ()   # set together with _names

    def read(self, names: Sequence[str], positions: Sequence[float],
             velocities: Sequence[float]) -> Reading:
        """(what, values, detail): WHOLE with (x, x_dot, theta, theta_dot), CART_ONLY or
        POLE_ONLY with (position, velocity), NO_JOINT with None; or a BAD_* code with None.
        detail: a short sentence for a log line ('' for WHOLE)."""
        count = len(names)
        required = self.velocities == VELOCITY_REQUIRED
        speeds = len(velocities)
        if count == 0 or len(positions) == 0 or (speeds == 0 and required):
            return BAD_EMPTY, None, (f'empty arrays (name {count}, position {len(positions)}, '
                                     f'velocity {speeds})')
        if len(positions) != count or (speeds != count and (speeds or required)):
            return BAD_LENGTHS, None, (f'array lengths disagree (name {count}, position '
                                       f'{len(positions)}, velocity {speeds})')
        if names != self._names:
            indices: list[int | None] = []
            for joint in (self.cart_joint, self.pole_joint):
                found = [i for i, name in enumerate(names) if name == joint]
                if len(found) > 1:
                    self._names = None
                    return BAD_DUPLICATE_JOINT, None, (f'joint {joint!r} listed {len(found)} '
                                                       'times')
                indices.append(found[0] if found else None)
            self._names = list(names)
            self._indices = tuple(indices)
        cart, pole = self._indices
        lx, lxd, lt, ltd = self.limits
        read = speeds > 0 and self.velocities != VELOCITY_IGNORED
        if cart is not None and pole is not None:
            x, theta = positions[cart], positions[pole]
            x_dot, theta_dot = (velocities[cart], velocities[pole]) if read else (_NAN, _NAN)
            # NaN fails every comparison, so one test catches non-finite and implausible values
            # (where a NaN velocity is allowed, it is let through first).
            if -lx <= x <= lx and -lt <= theta <= lt and \
                    (-lxd <= x_dot <= lxd or (x_dot != x_dot and not required)) and \
                    (-ltd <= theta_dot <= ltd or (theta_dot != theta_dot and not required)):
                return WHOLE, (x, x_dot, theta, theta_dot), ''
            return self._unusable((x, x_dot, theta, theta_dot), STATE_NAMES, self.limits,
                                  required)
        if cart is not None or pole is not None:
            index = cart if cart is not None else pole
            assert index is not None
            position = positions[index]
            velocity = velocities[index] if read else _NAN
            lp, lv = (lx, lxd) if cart is not None else (lt, ltd)
            if -lp <= position <= lp and (-lv <= velocity <= lv or (
                    velocity != velocity and not required)):
                return (CART_ONLY if cart is not None else POLE_ONLY), (position, velocity), ''
            shown = STATE_NAMES[:2] if cart is not None else STATE_NAMES[2:]
            return self._unusable((position, velocity), shown, (lp, lv), required)
        return NO_JOINT, None, (f'neither {self.cart_joint!r} nor {self.pole_joint!r} (names: '
                                f'{list(names)})')

    @staticmethod
    def _unusable(values: Sequence[float], names: Sequence[str], limits: Sequence[float],
                  required: bool = True) -> Reading:
        shown = ', '.join(f'{n} = {v}' for n, v in zip(names, values))
        # The velocities (odd places) may be NaN where they are estimated.
        if not all(math.isfinite(v) or (v != v and k % 2 and not required)
                   for k, v in enumerate(values)):
            return BAD_NON_FINITE, None, f'non-finite value in ({shown})'
        beyond = ', '.join(f'|{n}| > {limit:g}' for n, v, limit in zip(names, values, limits)
                           if abs(v) > limit)
        return BAD_IMPLAUSIBLE, None, f'implausible reading ({shown}: {beyond}; state_limits)'

    def observation(self, names: Sequence[str], positions: Sequence[float],
                    velocities: Sequence[float]) -> tuple[Observation | None, str | None, str]:
        """Return ((x, x_dot, theta, theta_dot), None, '') for a message holding both joints,
        else (None, code, reason): a BAD_* code, BAD_MISSING_JOINT when a joint is missing."""
        what, values, detail = self.read(names, positions, velocities)
        if what == WHOLE:
            return values, None, ''
        if what in (CART_ONLY, POLE_ONLY, NO_JOINT):
            joint = self.pole_joint if what == CART_ONLY else self.cart_joint
            return None, BAD_MISSING_JOINT, f'joint {joint!r} missing (names: {list(names)})'
        return None, what, detail


def diagnostic_status(name: str, message: str, values: Mapping[str, object],
                      level: bytes = DiagnosticStatus.OK,
                      hardware_id: str = '') -> DiagnosticStatus:
    """diagnostic_msgs/DiagnosticStatus with ``values`` (a dict) as string key-value pairs."""
    status = DiagnosticStatus()
    status.level = level
    status.name = name
    status.message = message
    status.hardware_id = hardware_id
    status.values = [KeyValue(key=str(k), value=_text(v)) for k, v in values.items()]
    return status


def episode_report_status(report: 'EpisodeReport', name: str,
                          hardware_id: str = '') -> DiagnosticStatus:
    """DiagnosticStatus for a finished episode (an envs.simulation.EpisodeReport)."""
    message = f'episode {report.episode} ended after {report.length} steps: {report.reason}'
    return diagnostic_status(name, message, {
        'episode': report.episode,
        'length': report.length,
        'reason': report.reason,
        'terminated': report.terminated,
        'truncated': report.truncated,
        'end_time': f'{report.end_time:.6f}',
        'end_stop_hits': report.end_stop_hits,
    }, hardware_id=hardware_id)


def episode_end_status(end: 'EpisodeEnd', name: str, hardware_id: str = '',
                       energy_values: dict[str, str] | None = None) -> DiagnosticStatus:
    """DiagnosticStatus for an episode finished by the controller (a control_loop.EpisodeEnd).

    Keys: index, length, total_reward (the agent's own reward), writes, writes_per_synapse,
    terminated, truncated, reason, wall_s (wall time from its first tick to its end), end_stamp
    (the stamp of its last state, seconds), and the episode's energy estimate (energy.py's
    SUMMARY_KEYS, given ``energy_values``).
    """
    s = end.summary
    ending = 'failed' if s.terminated else 'truncated' if s.truncated else 'ended'
    message = f'episode {s.index} {ending} after {s.length} steps ({end.reason})'
    return diagnostic_status(name, message, {
        'index': s.index,
        'length': s.length,
        'total_reward': f'{s.total_reward:.10g}',
        'writes': s.writes,
        'writes_per_synapse': f'{end.writes_per_synapse:.6g}',
        'terminated': s.terminated,
        'truncated': s.truncated,
        'reason': end.reason,
        'wall_s': f'{end.wall_s:.6f}',
        'end_stamp': f'{end.end_stamp_ns * 1e-9:.6f}',
        **(energy_values or {}),
    }, hardware_id=hardware_id)


def diagnostic_values(status: DiagnosticStatus) -> dict[str, str]:
    """The key-value pairs of a DiagnosticStatus as a dict of strings."""
    return {kv.key: kv.value for kv in status.values}


def _text(value: object) -> str:
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)
