"""Pure conversions between plain values and ROS messages; testable without spinning a node.

Each function takes or fills one message. Functions that build a message on every control tick
accept an existing message to fill in place (``msg=``), which saves an allocation per tick.
"""

import math

from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState

CART_JOINT = 'slider_to_cart'
POLE_JOINT = 'cart_to_pole'

_NS_PER_S = 1_000_000_000


def time_from_ns(nanoseconds, msg=None):
    """builtin_interfaces/Time for a non-negative time in integer nanoseconds."""
    msg = Time() if msg is None else msg
    msg.sec, msg.nanosec = divmod(int(nanoseconds), _NS_PER_S)
    return msg


def ns_from_time(msg):
    """Integer nanoseconds of a builtin_interfaces/Time."""
    return msg.sec * _NS_PER_S + msg.nanosec


def clock_from_ns(nanoseconds, msg=None):
    """rosgraph_msgs/Clock for a time in integer nanoseconds."""
    msg = Clock() if msg is None else msg
    time_from_ns(nanoseconds, msg.clock)
    return msg


def joint_state_from(observation, effort, stamp_ns, names=(CART_JOINT, POLE_JOINT), msg=None):
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


def force_from_command(msg):
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


def diagnostic_status(name, message, values, level=DiagnosticStatus.OK, hardware_id=''):
    """diagnostic_msgs/DiagnosticStatus with ``values`` (a dict) as string key-value pairs."""
    status = DiagnosticStatus()
    status.level = level
    status.name = name
    status.message = message
    status.hardware_id = hardware_id
    status.values = [KeyValue(key=str(k), value=_text(v)) for k, v in values.items()]
    return status


def episode_report_status(report, name, hardware_id=''):
    """DiagnosticStatus for a finished episode (an envs.simulation.EpisodeReport)."""
    message = f'episode {report.episode} ended after {report.length} steps: {report.reason}'
    return diagnostic_status(name, message, {
        'episode': report.episode,
        'length': report.length,
        'reason': report.reason,
        'terminated': report.terminated,
        'truncated': report.truncated,
        'end_time': f'{report.end_time:.6f}',
    }, hardware_id=hardware_id)


def diagnostic_values(status):
    """The key-value pairs of a DiagnosticStatus as a dict of strings."""
    return {kv.key: kv.value for kv in status.values}


def _text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)
