"""The episode supervisor through ROS on the simulated rig: memsnn-bringup --plant rig end to end
(braking, homing, the simulated operator, no end-stop hits), and the controller's services
~/start, ~/pause and ~/home with its ~/supervisor status topic."""

import json
import sys
import time

from controller_test_client import warm_kernels
from diagnostic_msgs.msg import DiagnosticStatus
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from std_srvs.srv import SetBool, Trigger

from memsnn_controller.control import supervisor as sv
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.ros import qos
from memsnn_controller.ros.controller_node import ControllerNode
from memsnn_controller.ros.sim_node import CartPoleSimNode


@pytest.fixture(scope='module', autouse=True)
def kernels():
    warm_kernels()


def test_bringup_on_the_rig_brakes_homes_and_never_hits_an_end_stop(spawn, tmp_path):
    out = tmp_path / 'run'
    proc = spawn([sys.executable, '-m', 'memsnn_controller.apps.bringup', '--no-progress',
                  '--plant', 'rig', '--episodes', '8', '--target', '0', '--out', str(out),
                  '--no-figures', '--no-video'], name='bringup')
    assert proc.wait(timeout=240) == 0, proc.log_text()
    log = proc.log_text()
    assert 'rig: 0 end-stop hits' in log and 'Traceback' not in log
    summary = json.loads((out / rf.SUMMARY_FILE).read_text())
    assert summary['episodes'] >= 8 and summary['end_stop_hits'] == 0
    assert summary['failures_braked'] >= summary['failures'] - 1 >= 6
    if summary['failures_braked'] < summary['failures']:  # the run ended mid-brake
        assert summary['supervisor_at_end'] == 'BRAKING'
        assert 'the last one still braking when the run ended' in log
    assert summary['brake_time_max_s'] <= 0.5 and summary['homing_time_max_s'] <= 5.0
    assert summary['started_by_operator'] >= 8 and summary['started_by_start'] == 0
    assert summary['largest_force_step'] <= 1000.0 * 0.02 + 1e-9     # the slew limit
    params = (out / 'params.yaml').read_text()
    assert 'operator: simulated' in params and 'supervisor: true' in params


def call(executor, client, request, timeout=10.0):
    assert client.wait_for_service(timeout_sec=timeout)
    future = client.call_async(request)
    deadline = time.monotonic() + timeout
    while not future.done() and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.02)
    assert future.done()
    return future.result()


def test_start_pause_and_home_services_and_the_status_topic(rclpy_context):
    executor = SingleThreadedExecutor(context=rclpy_context)
    sim = CartPoleSimNode(context=rclpy_context, parameter_overrides=[
        Parameter('plant', value='rig'), Parameter('operator_delay', value=0.2),
        Parameter('operator_hold', value=3.0), Parameter('seed', value=1)])
    controller = ControllerNode(context=rclpy_context, parameter_overrides=[
        Parameter('plant', value='rig'), Parameter('auto_start', value=False),
        Parameter('autostart', value=False), Parameter('use_sim_time', value=True)])
    client = rclpy.create_node('supervisor_client', context=rclpy_context)
    states = []
    client.create_subscription(DiagnosticStatus, '/memsnn_controller/supervisor',
                               lambda s: states.append(s.message), qos.EPISODES)
    start = client.create_client(Trigger, '/memsnn_controller/start')
    pause = client.create_client(SetBool, '/memsnn_controller/pause')
    home = client.create_client(Trigger, '/memsnn_controller/home')
    for node in (sim, controller, client):
        executor.add_node(node)

    def spin_until(predicate, timeout):
        deadline = time.monotonic() + timeout
        while not predicate() and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.02)
        return predicate()

    try:
        assert controller.start()
        loop = controller._loop
        # It brakes and homes first (the rig's state is unknown), then waits: auto_start is off,
        # so the operator's pole stays unarmed until ~/start.
        assert spin_until(lambda: sim._sim.phase == 'held', 60.0)
        assert loop.supervisor.state == sv.WAITING and sv.HOMING in states
        result = call(executor, start, Trigger.Request())
        assert result.success and 'armed' in result.message
        assert spin_until(lambda: loop.supervisor.state == sv.RUNNING, 10.0)
        assert loop.supervisor.stats.started_by_start == 1
        assert spin_until(lambda: states and states[-1] == sv.RUNNING, 5.0)
        # Pause: 0 N, the episode abandoned; resume: brake, then home.
        result = call(executor, pause, SetBool.Request(data=True))
        assert result.success and loop.supervisor.state == sv.PAUSED
        assert spin_until(lambda: sim._sim.applied_force == 0.0, 5.0)
        result = call(executor, home, Trigger.Request())
        assert result.success and loop.supervisor.state == sv.HOMING
        assert spin_until(lambda: loop.supervisor.state == sv.WAITING, 30.0)
        # The status topic followed every change, in order.
        assert spin_until(lambda: states[-1] == sv.WAITING, 5.0)
        tail = states[states.index(sv.PAUSED):]
        assert tail[:3] == [sv.PAUSED, sv.HOMING, sv.WAITING]
    finally:
        controller.destroy_node()
        sim.destroy_node()
        client.destroy_node()
        executor.shutdown()
