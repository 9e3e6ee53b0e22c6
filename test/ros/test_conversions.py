"""Message conversions and QoS profiles, without spinning anything."""

import math

from diagnostic_msgs.msg import DiagnosticStatus
import pytest
from rclpy.qos import ReliabilityPolicy
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray

from memsnn_controller.envs.simulation import EpisodeReport
from memsnn_controller.ros import conversions, qos


def command(*values):
    msg = Float64MultiArray()
    msg.data = list(values)
    return msg


def test_time_round_trip():
    stamp = conversions.time_from_ns(3 * 10**9 + 20_000_000)
    assert (stamp.sec, stamp.nanosec) == (3, 20_000_000)
    assert conversions.ns_from_time(stamp) == 3_020_000_000
    clock = conversions.clock_from_ns(40_000_000)
    assert (clock.clock.sec, clock.clock.nanosec) == (0, 40_000_000)


def test_joint_state_from_observation():
    msg = conversions.joint_state_from((0.1, 0.2, -0.03, 0.4), 7.5, 60_000_000)
    assert list(msg.name) == ['slider_to_cart', 'cart_to_pole']
    assert list(msg.position) == [0.1, -0.03]
    assert list(msg.velocity) == [0.2, 0.4]
    assert list(msg.effort) == [7.5, 0.0]
    assert conversions.ns_from_time(msg.header.stamp) == 60_000_000


def test_joint_state_fills_a_given_message_in_place():
    msg = JointState()
    out = conversions.joint_state_from((1, 2, 3, 4), -1.0, 5, ('cart', 'pole'), msg=msg)
    assert out is msg and list(msg.name) == ['cart', 'pole'] and msg.header.stamp.nanosec == 5


@pytest.mark.parametrize('values, expected', [((1.5,), 1.5), ((-10.0,), -10.0), ((0.0,), 0.0)])
def test_force_from_a_good_command(values, expected):
    assert conversions.force_from_command(command(*values)) == (expected, '')


@pytest.mark.parametrize('values, reason', [
    ((), 'exactly one value, got 0'),
    ((1.0, 2.0), 'exactly one value, got 2'),
    ((math.nan,), 'not finite'),
    ((math.inf,), 'not finite'),
    ((-math.inf,), 'not finite'),
])
def test_force_from_a_malformed_command(values, reason):
    value, why = conversions.force_from_command(command(*values))
    assert value is None and reason in why


def test_episode_report_status():
    report = EpisodeReport(episode=4, length=37, reason='theta_limit', terminated=True,
                           truncated=False, end_time=12.34)
    status = conversions.episode_report_status(report, 'cartpole_sim: episode')
    assert status.level == DiagnosticStatus.OK and status.name == 'cartpole_sim: episode'
    assert conversions.diagnostic_values(status) == {
        'episode': '4', 'length': '37', 'reason': 'theta_limit', 'terminated': 'true',
        'truncated': 'false', 'end_time': '12.340000', 'end_stop_hits': '0'}
    assert '37 steps' in status.message


def test_qos_profiles():
    # Published reliable, so a best-effort (sensor data) subscriber matches too.
    assert qos.JOINT_STATES_PUB.reliability == ReliabilityPolicy.RELIABLE
    assert qos.SENSOR_DATA.reliability == ReliabilityPolicy.BEST_EFFORT
    assert qos.COMMANDS.reliability == ReliabilityPolicy.RELIABLE
    assert qos.CLOCK.reliability == ReliabilityPolicy.BEST_EFFORT and qos.CLOCK.depth == 1



def test_commands_can_name_the_state_they_answer():
    from std_msgs.msg import MultiArrayDimension

    from memsnn_controller.ros.conversions import answered_stamp_ns, command_from_force

    msg = command_from_force(2.5, answers_ns=1_234_000_000)
    assert list(msg.data) == [2.5] and answered_stamp_ns(msg) == 1_234_000_000
    assert answered_stamp_ns(command_from_force(2.5, msg)) is None  # refilled without a label
    odd = command_from_force(1.0)
    odd.layout.dim = [MultiArrayDimension(label='answers_stamp_ns=soon', size=1, stride=1)]
    assert answered_stamp_ns(odd) is None
