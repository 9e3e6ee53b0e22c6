"""The controller node against what real robot stacks do: a stuck driver, per-joint sources, a
fault in the loop, checkpoints under kill -9, the episode-report topic, saving off the control
thread, parameter descriptors and files under a namespace, ``ros2 param load``."""

import os
import re
import signal
import threading
import time

from controller_test_client import ControllerClient, controller_argv, udp_only, warm_kernels
import pytest
from rclpy.parameter import Parameter
from rclpy.parameter_client import AsyncParameterClient
from rclpy.qos import DurabilityPolicy, ReliabilityPolicy
from std_srvs.srv import Trigger

from memsnn_controller.ros import controller_config, sim_config
from memsnn_controller.ros.controller_node import ControllerNode
from memsnn_controller.ros.sim_node import CartPoleSimNode
from memsnn_controller.snn import checkpoint
from memsnn_controller.snn.checkpoint import load_checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, 'config')
CART, POLE = 'slider_to_cart', 'cart_to_pole'
UPRIGHT = (0.0, 0.0, 0.01, 0.0)
OK, WARN, ERROR, STALE = 0, 1, 2, 3
WATCHDOG_S = 0.1


@pytest.fixture(scope='module', autouse=True)
def kernels():
    warm_kernels()


@pytest.fixture
def node_and_client(rclpy_context, tmp_path):
    # The discrete decoder commands +-force_limit at every tick: a 0 N is never the agent's.
    node = ControllerNode(context=rclpy_context, parameter_overrides=[
        Parameter('checkpoint_path', value=str(tmp_path / 'ckpt.npz')),
        Parameter('autosave_period', value=0.0), Parameter('decoder', value='discrete'),
        Parameter('watchdog_timeout', value=WATCHDOG_S),
        Parameter('diagnostics_period', value=0.1)])
    client = ControllerClient(rclpy_context)
    client.executor.add_node(node)
    assert node.start()
    client.wait_for_listener()
    yield node, client
    node.shutdown_safely()
    client.close()
    node.destroy_node()


def publish_for(client, seconds, publish, rate_hz=50.0):
    """Call ``publish(k)`` at ``rate_hz`` for ``seconds``, spinning between."""
    period = 1.0 / rate_hz
    start = time.monotonic()
    k = 0
    while time.monotonic() - start < seconds:
        if time.monotonic() >= start + k * period:
            publish(k)
            k += 1
        client.executor.spin_once(timeout_sec=0.002)
    return k


def statuses_since(client, since):
    return [s for s in client.statuses if s['_received'] > since]


def test_a_stuck_driver_trips_the_watchdog_and_gets_zero(node_and_client):
    node, client = node_and_client
    base = 10**9
    publish_for(client, 0.4, lambda k: client.publish_state(UPRIGHT, base + k * 20_000_000))
    assert client.spin_until(lambda: len(client.commands) >= 10, 5.0)
    assert all(c.data != [0.0] for c in client.commands)  # the agent's +-10 N
    # The driver freezes: the same reading with the same stamp, at 50 Hz, for a second.
    frozen = base + 40 * 20_000_000
    count = len(client.commands)
    froze_at = time.monotonic()
    publish_for(client, 1.0, lambda k: client.publish_state(UPRIGHT, frozen))
    client.spin_for(0.1)
    answers = client.commands[count:]
    late = [c for c in answers if c.received - froze_at > WATCHDOG_S + 0.1]
    assert len(late) >= 20 and all(c.data == [0.0] for c in late), [c.data for c in answers]
    assert node._loop.watchdog_trips == 1 and node._loop.stale_messages >= 20
    stuck = [s for s in statuses_since(client, froze_at + WATCHDOG_S + 0.15)
             if s['_received'] < froze_at + 1.0]
    assert stuck and all(s['_level'] == WARN and s['watchdog_tripped'] == 'true' for s in stuck)
    # The stamps move again: the agent commands again.
    count = len(client.commands)
    publish_for(client, 0.3, lambda k: client.publish_state(UPRIGHT, frozen + (k + 1) * 20_000_000))
    assert client.spin_until(lambda: len(client.commands) > count + 5, 5.0)
    assert client.commands[-1].data != [0.0] and not node._loop.watchdog_tripped


def test_per_joint_sources_are_merged_without_zero_pulses(node_and_client):
    node, client = node_and_client
    base = 10**9

    def publish(k):  # a cart driver and a pole driver, each 50 Hz, 7 ms apart
        client.publish_raw([CART], [0.0], [0.0], base + (k // 2) * 20_000_000)
        if k % 2:
            client.publish_raw([POLE], [0.01], [0.0], base + (k // 2) * 20_000_000 + 7_000_000)
    publish_for(client, 1.0, publish, rate_hz=100.0)
    stopped = time.monotonic()
    client.spin_for(0.3)
    loop = node._loop
    assert loop.bad_messages == 0 and loop.merged_states > 40, loop.bad_by_reason
    # Every command is the agent's, but the last: when both drivers stop, the watchdog answers
    # the silence with one 0 N.
    data = [c.data for c in client.commands]
    assert len(data) >= 35 and data[-1] == [0.0] and [0.0] not in data[:-1], data
    assert loop.watchdog_trips == 1 and client.commands[-1].received > stopped


def test_a_loop_error_ends_in_zero_error_diagnostics_and_an_untouched_checkpoint(
        node_and_client, tmp_path):
    node, client = node_and_client
    path = tmp_path / 'ckpt.npz'
    client.stream(0.3, start_ns=10**9)
    response = client.call(client.save_client, Trigger.Request())
    assert response.success, response.message
    saved = path.read_bytes()
    client.stream(0.3, start_ns=2 * 10**9)  # more learning after the save
    agent = node._loop.agent
    assert agent.total_steps > int(load_checkpoint(path)[2]['counters'][0])

    def broken(obs):
        raise FloatingPointError('injected fault')
    agent.step = broken
    count = len(client.commands)
    faulted_at = time.monotonic()
    client.stream(0.2, start_ns=3 * 10**9)
    assert client.spin_until(lambda: node.lifecycle_state() == 'inactive', 5.0)
    assert client.commands[count:] and client.commands[-1].data == [0.0]
    assert client.spin_until(lambda: any(s['_level'] == ERROR
                                         for s in statuses_since(client, faulted_at)), 5.0)
    error = next(s for s in statuses_since(client, faulted_at) if s['_level'] == ERROR)
    assert 'injected fault' in error['fault']
    # Nothing is saved from a faulted agent, and it is not used again until cleanup.
    response = client.call(client.save_client, Trigger.Request())
    assert not response.success and 'fault' in response.message
    node.trigger_activate()
    assert node.lifecycle_state() == 'inactive'
    node.shutdown_safely()
    assert path.read_bytes() == saved
    assert not [n for n in os.listdir(tmp_path) if n.endswith('.tmp')]


def test_episode_reports_travel_on_their_own_reliable_topic(node_and_client):
    node, client = node_and_client
    base = 10**9
    for k, theta in enumerate((0.01, 0.01, 0.3)):  # a start, a tick, a failure
        client.publish_state((0.0, 0.0, theta, 0.0), base + k * 20_000_000)
        client.spin_for(0.05)
    assert client.spin_until(lambda: client.episodes, 5.0)
    assert client.episodes[0]['index'] == '0' and client.episodes[0]['reason'] == 'theta_limit'
    assert client.spin_until(lambda: len(client.statuses) >= 3, 5.0)
    assert set(client.diagnostics_names) == {'memsnn_controller: status'}
    [info] = client.node.get_publishers_info_by_topic('/memsnn_controller/episodes')
    assert info.qos_profile.reliability == ReliabilityPolicy.RELIABLE
    assert info.qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL
    # A listener that joins later still gets the report (what memsnn-bringup must not lose).
    late = ControllerClient(client.node.context, node_name='late_client')
    try:
        assert late.spin_until(lambda: late.episodes, 5.0)
        assert late.episodes[0]['index'] == '0'
    finally:
        late.close()


def test_saving_runs_off_the_control_thread(node_and_client, monkeypatch, tmp_path):
    node, client = node_and_client
    slow_write = checkpoint.write_checkpoint

    def write_slowly(*args, **kwargs):
        time.sleep(0.6)
        slow_write(*args, **kwargs)
    monkeypatch.setattr(checkpoint, 'write_checkpoint', write_slowly)
    client.stream(0.2, start_ns=10**9)
    future = client.save_client.call_async(Trigger.Request())
    count = len(client.commands)
    client.stream(0.8, start_ns=2 * 10**9)
    assert client.spin_until(future.done, 5.0) and future.result().success
    received = [c.received for c in client.commands[count:]]
    gaps = [b - a for a, b in zip(received, received[1:])]
    assert len(received) >= 30 and max(gaps) < 0.2, gaps  # no 0.6 s stall during the write
    assert (tmp_path / 'ckpt.npz').exists()


def test_descriptors_carry_the_ranges_the_specs_know(rclpy_context):
    nodes = [(ControllerNode(context=rclpy_context), controller_config.PARAMETERS),
             (CartPoleSimNode(context=rclpy_context), sim_config.PARAMETERS)]
    try:
        for node, specs in nodes:
            ranged = 0
            for spec in specs:
                descriptor = node.describe_parameter(spec.name)
                ranges = list(descriptor.floating_point_range) + list(descriptor.integer_range)
                if spec.bounds is None or isinstance(spec.default, bool):
                    assert not ranges, spec.name
                    continue
                ranged += 1
                [rng] = ranges
                assert (rng.from_value, rng.to_value) == spec.bounds, spec.name
            assert ranged >= 8
        controller = nodes[0][0]
        result = controller.set_parameters([Parameter('force_limit', value=2e6)])[0]
        assert not result.successful and 'force_limit' in result.reason
    finally:
        for node, _ in nodes:
            node.destroy_node()


def _file_with(tmp_path, name, **values):
    text = open(os.path.join(CONFIG, name)).read()
    for key, value in values.items():
        text, n = re.subn(rf'^(\s+{key}:) [^ #\n]+', rf'\1 {value}', text, flags=re.M)
        assert n == 1, key
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_the_parameter_files_apply_under_a_namespace(rclpy_context, tmp_path):
    args = ['--ros-args', '-r', '__ns:=/robot1', '--params-file']
    controller = ControllerNode(context=rclpy_context, cli_args=args + [
        _file_with(tmp_path, 'controller.yaml', force_limit='7.5')])
    sim = CartPoleSimNode(context=rclpy_context, cli_args=args + [
        _file_with(tmp_path, 'simulator.yaml', force_limit='7.5')])
    try:
        for node in (controller, sim):
            assert node.get_namespace() == '/robot1'
            assert node.get_parameter('force_limit').value == 7.5
    finally:
        controller.destroy_node()
        sim.destroy_node()


def test_ros2_param_load_of_the_start_file_is_accepted_on_a_configured_node(rclpy_context):
    client = ControllerClient(rclpy_context)
    nodes = []
    try:
        for node_type, name in ((ControllerNode, 'controller.yaml'),
                                (CartPoleSimNode, 'simulator.yaml')):
            path = os.path.join(CONFIG, name)
            node = node_type(context=rclpy_context, cli_args=['--ros-args', '--params-file',
                                                              path])
            nodes.append(node)
            client.executor.add_node(node)
            if node_type is ControllerNode:
                assert node.trigger_configure() is not None and node._loop is not None
            params = AsyncParameterClient(client.node, node.get_name())
            assert params.wait_for_services(timeout_sec=10.0)
            future = params.load_parameter_file(path, use_wildcard=True)
            assert client.spin_until(future.done, 10.0)
            results = future.result().results
            assert results and all(r.successful for r in results), [r.reason for r in results]
        # A changed value is still refused.
        result = nodes[0].set_parameters([Parameter('control_period', value=0.04)])[0]
        assert not result.successful and 'unconfigured' in result.reason
        result = nodes[1].set_parameters([Parameter('mode', value='realtime')])[0]
        assert not result.successful and 'read-only' in result.reason
    finally:
        client.close()
        for node in nodes:
            node.destroy_node()


def test_kill_during_autosave_leaves_a_loadable_checkpoint_and_no_temp_file(
        spawn, rclpy_context, tmp_path):
    path = tmp_path / 'checkpoint.npz'
    params = (f'checkpoint_path:={path}', 'autosave_period:=0.05')
    client = ControllerClient(rclpy_context)
    left = []
    for attempt in range(6):
        ctl = spawn(controller_argv(*params), name=f'controller{attempt}', env=udp_only())
        client.wait_for_listener(timeout=60.0, procs=(ctl,))
        killed = threading.Event()
        before = set(os.listdir(tmp_path))

        def kill_while_writing(proc=ctl, done=killed, before=before):
            while not done.is_set():
                names = set(os.listdir(tmp_path)) - before
                # a write that replaces a checkpoint (the first one only creates it)
                if path.exists() and any(name.endswith('.tmp') for name in names):
                    proc.send_signal(signal.SIGKILL)
                    done.set()
                    return
        watcher = threading.Thread(target=kill_while_writing, daemon=True)
        watcher.start()
        client.stream(5.0, rate_hz=100.0)  # the agent learns, so every autosave writes
        killed.set()
        watcher.join()
        assert ctl.wait(timeout=10) is not None
        temps = [name for name in set(os.listdir(tmp_path)) - before if name.endswith('.tmp')]
        if temps:
            left.append(temps)
        if len(left) >= 2:
            break
    assert left, 'no kill landed during a write'
    load_checkpoint(path)  # the kill left the previous checkpoint whole
    ctl = spawn(controller_argv(*params, 'autosave_period:=0.0'), name='restarted')
    client.wait_for_listener(timeout=60.0, procs=(ctl,))
    assert client.spin_until(lambda: 'restored' in ctl.log_text(), 10.0, ctl), ctl.log_text()
    assert 'left by a save that was killed' in ctl.log_text()
    assert not [name for name in os.listdir(tmp_path) if name.endswith('.tmp')], \
        os.listdir(tmp_path)
    client.close()


def test_an_unusable_checkpoint_names_the_backup_to_fall_back_to(rclpy_context, tmp_path):
    path = tmp_path / 'ckpt.npz'
    path.write_bytes(b'torn by a disk error')
    (tmp_path / 'ckpt.npz.bak').write_bytes(b'the previous checkpoint')
    node = ControllerNode(context=rclpy_context, parameter_overrides=[
        Parameter('checkpoint_path', value=str(path))])
    try:
        assert not node.start()
        assert 'not a readable checkpoint' in node.last_error
        assert f'kept as {path}.bak' in node.last_error
    finally:
        node.destroy_node()
