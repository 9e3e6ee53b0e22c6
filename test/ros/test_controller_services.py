"""The controller node in this process: services and parameters changed at run time."""

from controller_test_client import ControllerClient, warm_kernels
import pytest
from rclpy.parameter import Parameter
from std_srvs.srv import SetBool, Trigger

from memsnn_controller.ros.controller_node import ControllerNode, ControllerParameterError
from memsnn_controller.snn.checkpoint import load_checkpoint


@pytest.fixture(scope='module', autouse=True)
def kernels():
    warm_kernels()


@pytest.fixture
def node_and_client(rclpy_context, tmp_path):
    node = ControllerNode(context=rclpy_context, parameter_overrides=[
        Parameter('checkpoint_path', value=str(tmp_path / 'ckpt.npz')),
        Parameter('autosave_period', value=0.0)])
    client = ControllerClient(rclpy_context)
    client.executor.add_node(node)
    assert node.start()
    yield node, client
    node.shutdown_safely()
    client.close()
    node.destroy_node()


def test_services(node_and_client, tmp_path):
    node, client = node_and_client
    client.wait_for_listener()
    client.stream(0.3, start_ns=10**9)
    agent = node._loop.agent
    assert agent.total_steps > 0

    response = client.call(client.save_client, Trigger.Request())
    assert response.success and 'saved' in response.message
    _, _, arrays = load_checkpoint(tmp_path / 'ckpt.npz')
    assert int(arrays['counters'][0]) == agent.total_steps

    response = client.call(client.learning_client, SetBool.Request(data=False))
    assert response.success and not agent.learning
    assert node.get_parameter('learning').value is False
    response = client.call(client.learning_client, SetBool.Request(data=True))
    assert response.success and agent.learning

    response = client.call(client.reset_client, Trigger.Request())
    assert response.success and node._loop.agent is not agent
    assert node._loop.agent.total_steps == 0 and node._loop.phase == 'waiting'


def test_an_episode_end_after_the_last_save_is_saved_at_shutdown(node_and_client, tmp_path):
    # An episode's end learns from its last transition without a step: the shutdown save must
    # not mistake the state for unchanged because the step count is.
    node, client = node_and_client
    client.wait_for_listener()
    client.stream(0.3, start_ns=10**9)
    agent = node._loop.agent
    assert node.save_checkpoint()[0]
    agent.end_episode(terminated=True)
    node.shutdown_safely()
    _, _, arrays = load_checkpoint(tmp_path / 'ckpt.npz')
    assert len(arrays['episode_lengths']) == agent.episodes
    assert int(arrays['counters'][0]) == agent.total_steps


def test_runtime_parameters_apply_or_are_rejected_with_a_reason(node_and_client):
    node, _ = node_and_client
    loop = node._loop
    assert node.set_parameters([Parameter('ready_x', value=0.3)])[0].successful
    assert loop.settings.ready_x == 0.3
    assert node.set_parameters([Parameter('pole_joint', value='hinge')])[0].successful
    assert loop.lookup.pole_joint == 'hinge'
    result = node.set_parameters([Parameter('ready_theta', value=0.5)])[0]
    assert not result.successful and 'below theta_threshold' in result.reason
    result = node.set_parameters([Parameter('device', value='nc')])[0]
    assert not result.successful and 'unconfigured' in result.reason
    result = node.set_parameters([Parameter('cart_joint', value='hinge')])[0]
    assert not result.successful and 'differ' in result.reason
    assert node.set_parameters([Parameter('checkpoint_path', value='')])[0].successful
    assert node.save_checkpoint() == (False, 'checkpoint_path is empty: nothing saved')


def test_bad_start_parameter_raises_a_one_line_error(rclpy_context):
    with pytest.raises(ControllerParameterError, match='watchdog_timeout: must be in'):
        ControllerNode(context=rclpy_context,
                       parameter_overrides=[Parameter('watchdog_timeout', value=-1.0)])
    with pytest.raises(ControllerParameterError, match='ready_x: must stay below'):
        ControllerNode(context=rclpy_context,
                       parameter_overrides=[Parameter('x_threshold', value=0.4)])


def test_a_1khz_stream_is_decimated_to_the_control_rate(node_and_client):
    node, client = node_and_client
    client.wait_for_listener()
    client.spin_for(0.2)
    sent = client.stream(0.6, rate_hz=1000.0, start_ns=10**9)  # stamps on an exact 1 ms grid
    client.spin_for(0.2)
    loop = node._loop
    # One tick per 20 ms of stamps, even if the best-effort reader dropped some states while
    # this single-threaded test fell behind.
    assert sent / 20 - 3 <= loop.ticks <= sent / 20 + 2, (loop.ticks, sent, loop.messages)
    assert loop.skipped == loop.messages - loop.ticks - loop.duplicates > 0
    assert len(client.commands) == loop.ticks
