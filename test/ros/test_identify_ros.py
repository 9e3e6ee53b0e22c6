"""memsnn-identify through ROS: the simulator node on the rig preset (lockstep), an excitation
publisher that answers every joint state with memsnn-identify --excite's command (labelled as
the controller labels its answers), and the controller's recorder writing the bag; the fit on
that bag recovers the rig. About 1300 lockstep ticks (26 s of sim time)."""

import time

import pytest
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray

from memsnn_controller.control.excitation import Excitation
from memsnn_controller.envs.plant_file import load_plant_file
from memsnn_controller.experiments import identification as ident
from memsnn_controller.ros import conversions, qos
from memsnn_controller.ros.sim_node import CartPoleSimNode

pytest.importorskip('rosbags', reason='the record extra (rosbags) is not installed')

PHYSICS_STEP = 0.004   # the simulator's 5 steps per 20 ms period


def test_a_bag_recorded_through_ros_identifies_the_rig(rclpy_context, tmp_path):
    import rclpy

    from memsnn_controller.ros.recorder import BagRecorder, controller_topics

    rig = load_plant_file('rig')
    excitation = Excitation.for_motor('dc', rig.plant.voltage_limit)
    executor = SingleThreadedExecutor(context=rclpy_context)
    # No new episode after the first failure: the pole falls, then the excitation swings it.
    sim = CartPoleSimNode(context=rclpy_context, parameter_overrides=[
        Parameter('plant', value='rig'), Parameter('mode', value='lockstep'),
        Parameter('auto_reset', value=False), Parameter('operator', value='none'),
        Parameter('seed', value=0),
        Parameter('command_timeout', value=2.0), Parameter('publish_clock', value=True)])
    exciter = rclpy.create_node('exciter', context=rclpy_context)
    commands = exciter.create_publisher(Float64MultiArray, 'effort_controller/commands',
                                        qos.COMMANDS)
    last = []

    def answer(msg):
        stamp = conversions.ns_from_time(msg.header.stamp)
        commands.publish(conversions.command_from_force(
            excitation.command(stamp * 1e-9), answers_ns=stamp))
        last.append(stamp)

    recorder = BagRecorder(exciter, tmp_path / 'bag', controller_topics())
    exciter.create_subscription(JointState, 'joint_states', answer, qos.SENSOR_DATA)
    executor.add_node(sim)
    executor.add_node(exciter)
    deadline = time.monotonic() + 120.0
    end_ns = round((excitation.duration + 0.5) * 1e9)
    try:
        while (not last or last[-1] < end_ns) and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.05)
    finally:
        recorder.close()
        executor.shutdown()
        exciter.destroy_node()
        sim.destroy_node()
    assert last and last[-1] >= end_ns, 'the lockstep run did not finish in time'

    recording = ident.read_bag(tmp_path / 'bag')
    assert 'answers_stamp_ns' in recording.command_timing
    result = ident.identify(recording, ident.Settings(
        motor='dc', known={'cart_mass': rig.plant.cart_mass, 'k_emf': rig.plant.k_emf},
        physics_step=PHYSICS_STEP))
    print('\n'.join(result.lines()))   # shown when an assertion fails
    plant = rig.plant
    assert abs(result.plant.delay - plant.delay) <= PHYSICS_STEP
    for name in ('pole_mass', 'pole_length', 'k_force', 'friction', 'coulomb_friction',
                 'pole_friction'):
        assert result.estimate(name).value == pytest.approx(getattr(plant, name), rel=0.1), name
    assert result.plant.encoder_counts == 4096 and result.plant.velocity_sensing == 'none'
