"""Two processes exchange sensor_msgs/JointState over ROS with LOCALHOST discovery."""

import os
import sys
import time

import rclpy
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import JointState

from memsnn_controller.ros.distro import SUPPORTED, ros_distribution

TALKER = """
import rclpy
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import JointState
rclpy.init()
node = rclpy.create_node('smoke_talker')
pub = node.create_publisher(JointState, 'joint_states', qos_profile_sensor_data)
count = 0
def tick():
    global count
    msg = JointState()
    msg.header.stamp = node.get_clock().now().to_msg()
    msg.name = ['slider_to_cart', 'cart_to_pole']
    msg.position = [0.1 * count, -0.2]
    msg.velocity = [1.0, 2.0]
    pub.publish(msg)
    count += 1
node.create_timer(0.02, tick)
rclpy.spin(node)
"""


def test_rclpy_is_from_a_supported_distribution():
    """`make test` runs the ROS tests on each supported distribution and says which one each run
    expects (MEMSNN_EXPECT_ROS_DISTRO); the venv must hold that distribution's rclpy."""
    found = ros_distribution()
    assert found in SUPPORTED
    expected = os.environ.get('MEMSNN_EXPECT_ROS_DISTRO')
    if expected:
        assert found == expected, f'this venv runs {found}, the test run expects {expected}'


def test_environment_keeps_discovery_local(ros_domain):
    assert os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] == 'LOCALHOST'
    assert os.environ['ROS_DOMAIN_ID'] == str(ros_domain)


def test_joint_states_cross_processes(spawn, rclpy_context):
    talker = spawn([sys.executable, '-c', TALKER], name='talker')
    node = rclpy.create_node('smoke_listener', context=rclpy_context)
    received = []
    node.create_subscription(JointState, 'joint_states', received.append,
                             qos_profile_sensor_data)
    executor = rclpy.executors.SingleThreadedExecutor(context=rclpy_context)
    executor.add_node(node)
    deadline = time.monotonic() + 30.0
    while len(received) < 3 and time.monotonic() < deadline and talker.running():
        executor.spin_once(timeout_sec=0.1)
    executor.shutdown()
    node.destroy_node()
    assert len(received) >= 3, f'no joint states arrived; talker log:\n{talker.log_text()}'
    msg = received[-1]
    assert list(msg.name) == ['slider_to_cart', 'cart_to_pole']
    assert list(msg.velocity) == [1.0, 2.0]
    assert msg.position[1] == -0.2
