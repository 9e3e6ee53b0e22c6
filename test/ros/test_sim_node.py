"""The simulator node in a subprocess, driven over ROS by an in-test client."""

from itertools import pairwise
import math
import sys

import pytest
from sim_test_client import SimClient, balance, clipped

PERIOD_NS = 20_000_000


def start_sim(spawn, *params):
    argv = [sys.executable, '-m', 'memsnn_controller.apps.sim_node', '--ros-args']
    for param in params:
        argv += ['-p', param]
    return spawn(argv, name='sim')


def assert_consecutive(samples):
    stamps = [s.stamp_ns for s in samples]
    assert all(b - a == PERIOD_NS for a, b in pairwise(stamps)), stamps


def test_lockstep_answers_each_state_and_exits_cleanly(spawn, rclpy_context):
    sim = start_sim(spawn, 'command_timeout:=5.0', 'status_period:=0.2')

    def answer(sample):
        # Over the limit at first, to see the clipping, then balance.
        return [25.0] if len(client.states) <= 3 else balance(sample)

    client = SimClient(rclpy_context, answer=answer)
    client.connect(proc=sim)
    assert client.spin_until(lambda: len(client.states) >= 60, 20.0, sim), sim.log_text()
    assert client.spin_until(lambda: client.statuses, 5.0, sim)
    client.close()

    states = client.states[:60]
    assert states[0].stamp_ns == 0
    assert_consecutive(states)
    assert all(s.names == ['slider_to_cart', 'cart_to_pole'] for s in states)
    # Each state's effort is the force applied to reach it: the answer to the previous state.
    for previous_answer, state in zip(client.sent, states[1:], strict=False):
        assert state.effort == [pytest.approx(clipped(previous_answer[0])), 0.0]
    assert states[1].effort[0] == 10.0
    assert client.clock_ns and all(t % PERIOD_NS == 0 for t in client.clock_ns)
    status = client.latest_status()
    assert (status['mode'], status['command_timeouts'], status['rejected_commands']) == (
        'lockstep', '0', '0')
    assert sim.stop() == 0
    assert 'Traceback' not in sim.log_text()


def test_malformed_commands_are_rejected_and_the_last_good_one_held(spawn, rclpy_context):
    # Upright at rest and a gentle push, so the pole does not fall while we look.
    sim = start_sim(spawn, 'command_timeout:=0.05', 'status_period:=0.2', 'start_range:=0.0')
    malformed = [[], [1.0, 2.0], [math.nan], [math.inf]]

    def answer(sample):
        count = len(client.states)
        return [0.5] if count == 1 else malformed[count % len(malformed)]

    client = SimClient(rclpy_context, answer=answer)
    client.connect(proc=sim)
    assert client.spin_until(lambda: len(client.states) >= 14, 20.0, sim), sim.log_text()
    assert client.spin_until(
        lambda: int((client.latest_status() or {}).get('rejected_commands', 0)) >= 8, 5.0, sim)
    client.close()

    states = client.states[:14]
    assert_consecutive(states)
    assert all(s.effort[0] == 0.5 for s in states[1:])  # held through every rejection
    status = client.latest_status()
    assert int(status['command_timeouts']) >= 8  # rejected commands do not answer a state
    log = sim.log_text()
    assert 0 < log.count('rejected command') <= 3, log  # rate-limited: one per 2 s
    assert sim.running()


def test_silent_client_is_stepped_by_the_timeout(spawn, rclpy_context):
    sim = start_sim(spawn, 'command_timeout:=0.05', 'status_period:=0.2')
    client = SimClient(rclpy_context, answer=None)
    client.connect(proc=sim)
    assert client.spin_until(lambda: len(client.states) >= 8, 20.0, sim), sim.log_text()
    assert client.spin_until(
        lambda: int((client.latest_status() or {}).get('command_timeouts', 0)) >= 5, 5.0, sim)
    client.close()

    states = client.states[1:8]  # the first may be the initial state shown again
    assert_consecutive(states)
    assert all(s.effort[0] == 0.0 for s in states)
    # Paced by the 50 ms timeout, not free-running (averaged: a stalled client sees bursts).
    assert (states[-1].received - states[0].received) / (len(states) - 1) > 0.04
    assert 'no command within command_timeout' in sim.log_text()


def test_failure_pause_reset_and_services(spawn, rclpy_context):
    sim = start_sim(spawn, 'command_timeout:=5.0', 'reset_pause:=0.1', 'status_period:=0.2')
    client = SimClient(rclpy_context, answer=lambda sample: [10.0])
    client.connect(proc=sim)
    assert client.spin_until(lambda: client.episodes, 20.0, sim), sim.log_text()
    report = client.episodes[0]
    assert report['terminated'] == 'true' and report['reason'] in ('x_limit', 'theta_limit')
    length = int(report['length'])
    assert client.spin_until(lambda: len(client.states) >= length + 10, 5.0, sim)
    # States 0..length: the episode; the failed state is then held for 0.1 s (5 more ticks,
    # 0 N applied), and the next tick starts a fresh episode.
    start = next(i for i, s in enumerate(client.states) if s.stamp_ns == 0)
    failed = client.states[start + length]
    held = client.states[start + length + 1:start + length + 6]
    assert all(s.position == failed.position and s.effort[0] == 0.0 for s in held)
    fresh = client.states[start + length + 6]
    assert max(abs(v) for v in fresh.observation) <= 0.05

    assert client.pause(True).message == 'paused'
    client.spin_for(0.1)  # let in-flight states arrive
    count, last = len(client.states), client.states[-1].stamp_ns
    client.spin_for(0.3)
    assert len(client.states) == count
    assert client.pause(False).message == 'running'
    assert client.spin_until(lambda: len(client.states) >= count + 5, 5.0, sim)
    assert client.states[count].stamp_ns == last  # resumes where it stopped
    assert_consecutive(client.states[count:count + 5])

    client.answer = balance  # no more failures: the next report is the reset's
    client.spin_for(0.2)
    episodes = len(client.episodes)
    response = client.reset()
    assert response.success
    assert client.spin_until(lambda: len(client.episodes) > episodes, 5.0, sim)
    assert client.episodes[-1]['reason'] == 'reset'
    client.close()


@pytest.mark.parametrize('param, name', [
    ('mode:=warp', 'mode'),
    ('control_period:=-0.02', 'control_period'),
    ('sensor_noise:=[0.1]', 'sensor_noise'),
    ('force_limit:=10', 'force_limit'),  # an integer where a double is declared
])
def test_bad_parameter_exits_with_one_line(spawn, param, name):
    sim = start_sim(spawn, param)
    assert sim.wait(timeout=30) == 2
    log = sim.log_text()
    errors = [line for line in log.splitlines() if line.startswith('cartpole_sim:')]
    assert len(errors) == 1 and name in errors[0], log
    assert 'Traceback' not in log
