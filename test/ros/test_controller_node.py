"""The controller node in subprocesses: learning with the simulator, lifecycle, watchdog, bad
input, autosave and restore across a killed controller, bad parameters at start."""

import math
import signal
import statistics
import time

from controller_test_client import (
    ControllerClient,
    controller_argv,
    sim_argv,
    udp_only,
    warm_kernels,
)
import pytest
from rclpy.parameter import Parameter
from rclpy.parameter_client import AsyncParameterClient

from memsnn_controller.snn.checkpoint import load_checkpoint

RANDOM_POLICY_LENGTH = 22.0  # mean CartPole-v1 episode length of a uniformly random policy
UPRIGHT = (0.0, 0.0, 0.01, 0.0)


@pytest.fixture(scope='module', autouse=True)
def kernels():
    warm_kernels()


def logs(*procs):
    return '\n'.join(f'--- {p.name}:\n{p.log_text()[-3000:]}' for p in procs)


def assert_finite_commands(client, limit=10.0):
    assert client.commands
    assert all(len(c.data) == 1 and math.isfinite(c.data[0]) and abs(c.data[0]) <= limit
               for c in client.commands)


def test_simulator_and_controller_learn_over_ros(spawn, rclpy_context):
    # A long command_timeout keeps lockstep exact on a loaded machine.
    client = ControllerClient(rclpy_context)
    sim = spawn(sim_argv('command_timeout:=2.0', 'status_period:=0.5'), name='sim')
    ctl = spawn(controller_argv('use_sim_time:=true', 'diagnostics_period:=0.5',
                                'autostart:=false'), name='controller')
    client.bring_up((sim, ctl))
    budget = 60
    ok = client.spin_until(lambda: len(client.episodes) >= budget
                           and len(client.sim_episodes) >= budget, 240.0, (sim, ctl))
    assert ok, logs(sim, ctl)
    lengths = [int(e['length']) for e in client.episodes[:budget]]
    assert [int(e['index']) for e in client.episodes[:budget]] == list(range(budget))
    # The controller detects episode ends itself and agrees with the simulator exactly.
    assert lengths == [int(e['length']) for e in client.sim_episodes[:budget]]
    late = statistics.mean(lengths[-40:])
    print(f'episode lengths: first 25 {statistics.mean(lengths[:25]):.1f}, last 40 {late:.1f}')
    assert late > 2 * RANDOM_POLICY_LENGTH, lengths
    assert client.spin_until(lambda: client.statuses, 5.0)
    assert client.status_value('bad_messages') == 0
    assert_finite_commands(client)
    client.close()
    assert ctl.stop() == 0
    assert 'Traceback' not in ctl.log_text()


def test_lifecycle_transitions(spawn, rclpy_context):
    ctl = spawn(controller_argv('autostart:=false'), name='controller')
    client = ControllerClient(rclpy_context)
    assert client.state() == 'unconfigured', logs(ctl)
    params = AsyncParameterClient(client.node, 'memsnn_controller')
    assert params.wait_for_services(timeout_sec=10.0)

    def set_param(name, value):
        future = params.set_parameters([Parameter(name, value=value)])
        assert client.spin_until(future.done, 10.0)
        return future.result().results[0]

    assert client.transition('configure') and client.state() == 'inactive', logs(ctl)
    result = set_param('reward', 'angle')  # shapes the agent: not while configured
    assert not result.successful and 'unconfigured' in result.reason
    result = set_param('force_limit', -1.0)  # outside the descriptor's range: rclpy says so
    assert not result.successful and 'force_limit out of range' in result.reason
    result = set_param('force_limit', 0.0)  # the range's open end: the parameter's own check
    assert not result.successful and 'force_limit: must be in' in result.reason
    assert set_param('force_limit', 5.0).successful

    assert client.transition('activate') and client.state() == 'active'
    client.wait_for_listener(procs=(ctl,))
    client.stream(0.4)
    assert client.spin_until(lambda: len(client.commands) >= 5, 5.0), logs(ctl)
    assert_finite_commands(client, limit=5.0)

    assert client.transition('deactivate') and client.state() == 'inactive'
    assert client.spin_until(lambda: client.commands[-1].data == [0.0], 5.0)
    count = len(client.commands)
    client.stream(0.3)  # nobody listens while inactive
    client.spin_for(0.2)
    assert len(client.commands) == count

    assert client.transition('cleanup') and client.state() == 'unconfigured'
    assert set_param('reward', 'angle').successful
    assert client.transition('shutdown_unconfigured') and client.state() == 'finalized'
    client.close()
    assert 'Traceback' not in ctl.log_text()


def test_watchdog_and_bad_input(spawn, rclpy_context):
    # velocity_estimation off: an empty velocity array is bad input too (with the default,
    # auto, it means velocities absent, to estimate: test_controller_sensing_node.py).
    ctl = spawn(controller_argv('watchdog_timeout:=0.3', 'diagnostics_period:=0.2',
                                'log_throttle:=0.0', "velocity_estimation:='off'"),
                name='controller')
    client = ControllerClient(rclpy_context)
    client.wait_for_listener(timeout=60.0, procs=(ctl,))
    client.stream(0.5)
    assert client.spin_until(lambda: len(client.commands) >= 5, 5.0), logs(ctl)

    # The stream stops: one 0 N after watchdog_timeout, counted.
    stopped = client.commands[-1].received
    count = len(client.commands)
    assert client.spin_until(lambda: client.status_value('watchdog_trips') == 1, 5.0), logs(ctl)
    zero = client.commands[count:]
    assert len(zero) == 1 and zero[0].data == [0.0] and zero[0].received - stopped > 0.25
    assert client.status_value('watchdog_trips') == 1
    # It resumes when states return.
    client.stream(0.4)
    assert client.spin_until(lambda: client.latest_status().get('watchdog_tripped') == 'false',
                             5.0)
    assert 'joint states are back' in ctl.log_text()

    # Bad input: each answered with 0 N, counted, nothing crashes.
    names = ['slider_to_cart', 'cart_to_pole']
    bad = [(names + ['slider_to_cart'], [0.0] * 3, [0.0] * 3),
           (names, [math.nan, 0.0], [0.0, 0.0]),
           (names, [0.0, math.inf], [0.0, 0.0]), (names, [0.0], [0.0, 0.0]), ([], [], []),
           (names, [0.0, 0.0], [])]
    client.spin_for(0.1)
    base = time.time_ns()
    for k in range(len(bad) + 1):
        count = len(client.commands)
        if k < len(bad):
            client.publish_raw(*bad[k], base + k * 20_000_000)
        else:
            client.publish_state(UPRIGHT, base - 10**9)  # time going backwards
        assert client.spin_until(lambda: len(client.commands) > count, 5.0), logs(ctl)  # noqa: B023
        assert client.commands[-1].data == [0.0]
    assert client.spin_until(lambda: client.status_value('bad_messages') == len(bad) + 1, 5.0)
    status = client.latest_status()
    assert (status['bad_duplicate_joint'], status['bad_non_finite'], status['bad_empty'],
            status['bad_length_mismatch'], status['bad_time_backwards']) == (
        '1', '2', '2', '1', '1')
    assert 'bad joint state' in ctl.log_text()
    assert ctl.running()
    assert_finite_commands(client)

    # Ctrl-C: 0 N on the wire, a clean exit.
    client.stream(0.2)
    count = len(client.commands)
    ctl.send_signal(signal.SIGINT)
    assert client.spin_until(lambda: len(client.commands) > count
                             and client.commands[-1].data == [0.0], 10.0), logs(ctl)
    assert ctl.wait(timeout=20) == 0
    client.close()
    assert 'Traceback' not in ctl.log_text()


def test_autosave_and_restore_across_a_killed_controller(spawn, rclpy_context, tmp_path):
    path = tmp_path / 'checkpoint.npz'
    period = 0.5
    params = ('use_sim_time:=true', 'diagnostics_period:=0.2', f'checkpoint_path:={path}',
              f'autosave_period:={period}')
    client = ControllerClient(rclpy_context)
    env = udp_only()
    sim = spawn(sim_argv('command_timeout:=0.2', 'status_period:=0.5'), name='sim', env=env)
    ctl = spawn(controller_argv(*params, 'autostart:=false'), name='controller', env=env)
    client.bring_up((sim, ctl))
    ok = client.spin_until(lambda: len(client.episodes) >= 15 and client.status_value('saves')
                           >= 2, 120.0, (sim, ctl))
    assert ok, logs(sim, ctl)
    client.spin_for(0.3)
    killed_at = time.monotonic()
    ctl.send_signal(signal.SIGKILL)
    assert ctl.wait(timeout=10) is not None

    _, _, arrays = load_checkpoint(path)
    saved_episodes = len(arrays['episode_lengths'])
    saved_steps = int(arrays['counters'][0])
    # At most one autosave period is lost: every status older than that is covered.
    old = [s for s in client.statuses if s['_received'] < killed_at - period - 0.5
           and 'steps' in s]
    assert old and saved_steps >= int(old[-1]['steps'])
    assert saved_episodes >= 10

    # Reports the killed controller sent before it died may still wait in the client's queue:
    # take them now, so that everything received after the restart is the new controller's.
    client.spin_for(1.0)
    restarted = time.monotonic()
    ctl2 = spawn(controller_argv(*params), name='controller2', env=env)

    def new_episodes():
        return [int(e['index']) for e in client.episodes if e['_received'] > restarted]
    assert client.spin_until(lambda: len(new_episodes()) >= 3, 60.0, (sim, ctl2)), \
        logs(sim, ctl2)
    # The child's log reaches its file on its own schedule: wait for the line, do not race it.
    assert client.spin_until(lambda: 'restored' in ctl2.log_text(), 10.0, (sim, ctl2)), \
        logs(sim, ctl2)
    # The restored controller continues the episode count from the checkpoint.
    assert min(new_episodes()) >= saved_episodes
    # Episode reports are transient-local, status reports are not: under load the first
    # episodes can arrive before the first status that discovery lets through.
    def new_statuses():
        return [s for s in client.statuses if s['_received'] > restarted and 'episodes' in s]
    assert client.spin_until(lambda: new_statuses(), 30.0, (sim, ctl2)), logs(sim, ctl2)
    first_status = new_statuses()[0]
    assert int(first_status['episodes']) >= saved_episodes
    # Ctrl-C saves once more.
    ctl2.send_signal(signal.SIGINT)
    assert ctl2.wait(timeout=20) == 0, logs(ctl2)
    _, _, arrays = load_checkpoint(path)
    assert len(arrays['episode_lengths']) >= saved_episodes + 3
    client.close()


@pytest.mark.parametrize('param, words', [
    ('control_period:=0.0', 'control_period: must be in'),
    ('reward:=cookies', 'reward: must be'),
    ('force_limit:=10', 'force_limit'),  # an integer where a double is declared
    ('agent_overrides:=["actor.eta=-1"]', 'actor.eta'),
])
def test_bad_parameter_exits_with_one_line(spawn, param, words):
    ctl = spawn(controller_argv(param), name='controller')
    assert ctl.wait(timeout=60) == 2, ctl.log_text()
    log = ctl.log_text()
    errors = [line for line in log.splitlines() if line.startswith('memsnn_controller:')]
    assert len(errors) == 1 and words in errors[0], log
    assert 'Traceback' not in log


def test_unusable_checkpoint_exits_with_one_line(spawn, tmp_path):
    path = tmp_path / 'broken.npz'
    path.write_bytes(b'not a checkpoint')
    ctl = spawn(controller_argv(f'checkpoint_path:={path}'), name='controller')
    assert ctl.wait(timeout=60) == 2, ctl.log_text()
    log = ctl.log_text()
    errors = [line for line in log.splitlines() if line.startswith('memsnn_controller:')]
    assert len(errors) == 1 and 'not a readable checkpoint' in errors[0], log
    assert 'Traceback' not in log
