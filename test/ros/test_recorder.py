"""The rosbag2 recorder: what is published on the recorded topics comes back from the bag, with
its type, in order, with non-decreasing stamps, and readable by rosbags' own Reader."""

import time

import pytest
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray

from memsnn_controller.ros import recorder as rec

pytest.importorskip('rosbags', reason='the record extra (rosbags) is not installed')
from bags import read_bag  # noqa: E402  (needs rosbags)


def test_recorded_messages_come_back(rclpy_context, tmp_path):
    import rclpy

    node = rclpy.create_node('recorder_test', context=rclpy_context)
    executor = SingleThreadedExecutor(context=rclpy_context)
    executor.add_node(node)
    reliable = QoSProfile(depth=50)
    path = tmp_path / 'bag'
    recorder = rec.BagRecorder(node, path, [rec.Topic('joint_states', JointState, rec.BEST_EFFORT),
                                            rec.Topic('commands', Float64MultiArray, rec.RELIABLE)])
    joints = node.create_publisher(JointState, 'joint_states', reliable)
    commands = node.create_publisher(Float64MultiArray, '/commands', reliable)
    deadline = time.monotonic() + 10
    while (joints.get_subscription_count() < 1 or commands.get_subscription_count() < 1) \
            and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)
    for k in range(30):
        msg = JointState(name=['slider_to_cart'], position=[0.01 * k], velocity=[0.0])
        joints.publish(msg)
        commands.publish(Float64MultiArray(data=[float(k)]))
        executor.spin_once(timeout_sec=0.01)
    deadline = time.monotonic() + 10
    while sum(recorder.counts.values()) < 60 and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)
    # The type hash a bag stores is the one the live publishers advertise (ros2 bag play and
    # Foxglove match types by it).
    advertised = {topic: str(node.get_publishers_info_by_topic(topic)[0].topic_type_hash)
                  for topic in ('/joint_states', '/commands')}
    recorder.close()
    recorder.close()  # idempotent
    executor.shutdown()
    node.destroy_node()
    from rosbags.rosbag2 import Reader

    with Reader(path) as reader:
        assert {c.topic: c.digest for c in reader.connections} == advertised

    bag = read_bag(path)
    assert set(bag) == {'/joint_states', '/commands'}
    joint_type, joint_msgs = bag['/joint_states']
    command_type, command_msgs = bag['/commands']
    assert (joint_type, command_type) == ('sensor_msgs/msg/JointState',
                                          'std_msgs/msg/Float64MultiArray')
    assert [m.data.tolist() for _, m in command_msgs] == [[float(k)] for k in range(30)]
    assert [round(float(m.position[0]), 6) for _, m in joint_msgs] == [
        round(0.01 * k, 6) for k in range(30)]
    assert all(stamp > 0 for stamp, _ in joint_msgs + command_msgs)
    for _, msgs in bag.values():
        assert all(a[0] <= b[0] for a, b in zip(msgs, msgs[1:]))
    assert (path / 'metadata.yaml').exists() and (path / 'bag.mcap').exists()


def test_an_existing_folder_is_never_overwritten(rclpy_context, tmp_path):
    import rclpy

    node = rclpy.create_node('recorder_test2', context=rclpy_context)
    (tmp_path / 'bag').mkdir()
    with pytest.raises(rec.RecorderError, match='exists'):
        rec.BagRecorder(node, tmp_path / 'bag', [rec.Topic('x', JointState, rec.RELIABLE)])
    node.destroy_node()


def test_type_names():
    assert rec.type_name(JointState) == 'sensor_msgs/msg/JointState'
    assert rec.type_name(Float64MultiArray) == 'std_msgs/msg/Float64MultiArray'
