"""The controller node over ROS fed position-only joint states, as joint_state_broadcaster
publishes them without velocity interfaces (NaN velocities) and from an encoder zeroed hanging
down and counting the other way: it answers with the agent's forces, not with 0 N for bad input;
with velocity_estimation set to off the same stream is bad input."""

import math
import time

from controller_test_client import ControllerClient, controller_argv, warm_kernels
import pytest
from rclpy.parameter import Parameter
from rclpy.parameter_client import AsyncParameterClient

NAMES = ('slider_to_cart', 'cart_to_pole')


@pytest.fixture(scope='module', autouse=True)
def kernels():
    warm_kernels()


def logs(*procs):
    return '\n'.join(f'--- {p.name}:\n{p.log_text()[-3000:]}' for p in procs)


def stream_positions(client, seconds, rate_hz=50.0, empty_every=0):
    """Readings of a pole swaying 0.02 rad about upright on an encoder that reads pi upright and
    counts against theta, a cart drifting 5 mm/s; velocities NaN (every ``empty_every``-th
    message: an empty velocity array). Wall-clock stamps; spins between messages."""
    period = 1.0 / rate_hz
    start = next_time = time.monotonic()
    count = 0
    while time.monotonic() < start + seconds:
        now = time.monotonic()
        if now >= next_time:
            s = now - start
            positions = [0.005 * s, math.pi - 0.02 * math.sin(2 * math.pi * s)]
            velocities = [] if empty_every and count % empty_every == 0 else [math.nan] * 2
            client.publish_raw(NAMES, positions, velocities, time.time_ns())
            count += 1
            next_time += period
        client.executor.spin_once(timeout_sec=max(0.0, min(0.005, next_time - now)))
    return count


def test_nan_velocities_are_estimated_and_answered_with_forces(spawn, rclpy_context):
    ctl = spawn(controller_argv('pole_offset:=3.141592653589793', 'pole_sign:=-1',
                                'diagnostics_period:=0.2', 'max_episode_steps:=0'),
                name='controller')
    client = ControllerClient(rclpy_context)
    client.wait_for_listener(timeout=60.0, procs=(ctl,))
    sent = stream_positions(client, 1.5, empty_every=7)
    assert client.spin_until(lambda: client.status_value('estimated_states') >= sent - 5
                             and client.status_value('ticks') >= sent - 5, 5.0), logs(ctl)
    status = client.latest_status()
    assert status['bad_messages'] == '0' and status['phase'] == 'running', status
    assert status['velocity_estimation'] == 'auto' and status['estimator_waits'] == '1'
    assert status['episodes'] == '0'  # the observed angle stayed within 12 degrees
    forces = [c.data[0] for c in client.commands]
    assert len(forces) >= sent - 5 and all(math.isfinite(f) and abs(f) <= 10.0 for f in forces)
    assert sum(f != 0.0 for f in forces) > len(forces) / 2, forces  # the agent's, not 0 N

    # The same stream with velocity_estimation off: every message is bad input, 0 N.
    params = AsyncParameterClient(client.node, 'memsnn_controller')
    assert params.wait_for_services(timeout_sec=10.0)
    future = params.set_parameters([Parameter('velocity_estimation', value='off')])
    assert client.spin_until(future.done, 10.0) and future.result().results[0].successful
    count = len(client.commands)
    sent = stream_positions(client, 0.5)
    assert client.spin_until(lambda: client.status_value('bad_non_finite') >= sent - 2, 5.0), \
        logs(ctl)
    assert len(client.commands) > count and all(c.data == [0.0]
                                                 for c in client.commands[count + 1:])
    client.close()
    assert 'Traceback' not in ctl.log_text()


@pytest.mark.parametrize('param, words', [
    ('velocity_estimation:=off', 'YAML reads on and off unquoted as true and false: quote'),
    ('pole_sign:=0', 'pole_sign: must be the integer 1 or -1 (got 0)'),
    ('pole_offset:=12.0', 'pole_offset: must be in [-10.0, 10.0] rad (got 12.0)'),
])
def test_bad_sensing_parameters_exit_with_one_line(spawn, param, words):
    ctl = spawn(controller_argv(param), name='controller')
    assert ctl.wait(timeout=60) == 2, ctl.log_text()
    log = ctl.log_text()
    errors = [line for line in log.splitlines() if line.startswith('memsnn_controller:')]
    assert len(errors) == 1 and words in errors[0], log
    assert 'Traceback' not in log
