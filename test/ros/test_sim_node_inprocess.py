"""The simulator node in the test's own process: parameters, and a controller on one executor."""

from itertools import pairwise
import os

from balancing import lqr_force
from docs_tables import ROS_DOC, section, table_names
import numpy as np
import pytest
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from sim_test_client import SimClient, balance
import yaml

from memsnn_controller.envs.plant import Plant
from memsnn_controller.envs.simulation import CartPoleSimulation
from memsnn_controller.ros.sim_config import PARAMETERS, validate_parameter
from memsnn_controller.ros.sim_node import CartPoleSimNode, SimParameterError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_node(context, **overrides):
    params = [Parameter(name, value=value) for name, value in overrides.items()]
    return CartPoleSimNode(context=context, parameter_overrides=params)


def test_every_parameter_is_declared_described_and_valid_by_default(rclpy_context):
    node = make_node(rclpy_context)
    try:
        for spec in PARAMETERS:
            assert node.has_parameter(spec.name)
            assert node.describe_parameter(spec.name).description == spec.description
            assert validate_parameter(spec.name, spec.default) is None
    finally:
        node.destroy_node()


def test_yaml_and_docs_cover_every_parameter():
    with open(os.path.join(ROOT, 'config', 'simulator.yaml')) as f:
        values = yaml.safe_load(f)['/**']['ros__parameters']
    assert set(values) == {spec.name for spec in PARAMETERS}
    for spec in PARAMETERS:
        assert values[spec.name] == spec.default, spec.name
    # docs/ros.md's parameter table lists each parameter once, and nothing else.
    documented = table_names(section(ROS_DOC, '### 2.1 Simulator node parameters'))
    names = {spec.name for spec in PARAMETERS}
    assert sorted(documented) == sorted(names), (
        f'undocumented: {sorted(names - set(documented))}, '
        f'not parameters: {sorted(set(documented) - names)}, listed: {documented}')


@pytest.mark.parametrize('name, value', [
    ('mode', 'warp'), ('control_period', 0.0), ('physics_substeps', -1), ('seed', -2),
    ('force_limit', -1.0), ('command_timeout', 0.0), ('reset_pause', -0.1),
    ('max_episode_steps', -5), ('sensor_noise', [0.1, 0.1]), ('actuator_noise', float('nan')),
    ('start_range', 0.5), ('cart_joint', ' '), ('status_period', 0.0), ('pole_mass', 0.0),
    ('pole_length', 20.0), ('cart_mass', -1.0), ('gravity', -9.8), ('friction', -1.0),
    ('actuator_gain', 11.0), ('sensor_offset', [0.0, 0.0, 20.0, 0.0]),
])
def test_bad_values_are_rejected_at_start_with_the_name(rclpy_context, name, value):
    with pytest.raises(SimParameterError, match=name):
        make_node(rclpy_context, **{name: value})


def test_runtime_changes_are_validated_and_physics_is_read_only(rclpy_context):
    node = make_node(rclpy_context)
    try:
        bad = node.set_parameters([Parameter('force_limit', value=-3.0)])[0]
        assert not bad.successful and 'force_limit' in bad.reason
        assert not node.set_parameters([Parameter('mode', value='realtime')])[0].successful
        assert not node.set_parameters([Parameter('control_period', value=0.01)])[0].successful
        same = node.set_parameters([Parameter('pole_joint', value='slider_to_cart')])[0]
        assert not same.successful
        ok = node.set_parameters([Parameter('force_limit', value=4.0),
                                  Parameter('max_episode_steps', value=0),
                                  Parameter('sensor_noise', value=[0.0, 0.0, 0.01, 0.0])])
        assert all(result.successful for result in ok)
        assert node.get_parameter('force_limit').value == 4.0
    finally:
        node.destroy_node()


def test_plant_parameters_change_the_running_simulation_from_the_next_step(rclpy_context):
    node = make_node(rclpy_context, seed=3)
    try:
        model = node._sim.model
        node._advance()
        state = model.state
        bad = node.set_parameters([Parameter('pole_length', value=0.0)])[0]
        assert not bad.successful and 'pole_length' in bad.reason
        changes = {'pole_mass': 0.2, 'pole_length': 1.5, 'cart_mass': 2.0, 'gravity': 14.7,
                   'friction': 0.5, 'actuator_gain': 0.6, 'sensor_offset': [0.0, 0.0, 0.01, 0.0]}
        results = node.set_parameters([Parameter(k, value=v) for k, v in changes.items()])
        assert all(result.successful for result in results)
        # Applied at once, in the same state (the new body carries the joint state over).
        assert model.plant == Plant(**changes)
        np.testing.assert_allclose(model.state, state)
        node._held = 5.0
        node._advance()
        assert node._sim.applied_force == pytest.approx(3.0)      # the gain
        np.testing.assert_allclose(node._sim.observation - model.state, [0, 0, 0.01, 0])
        assert 'pole_length=1.5' in _status(node)['plant']
        node.set_parameters([Parameter(k, value=getattr(Plant(), k) if k != 'sensor_offset'
                                       else [0.0] * 4) for k in changes])
        assert model.plant == Plant() and _status(node)['plant'] == 'original'
    finally:
        node.destroy_node()


def _status(node):
    published = []
    node._diag_pub.publish = published.append
    node._publish_status()
    return {kv.key: kv.value for kv in published[-1].status[0].values}


def test_controller_on_the_same_executor_matches_the_plain_loop(rclpy_context):
    # Lockstep is event-driven, so the sim and a controller share one single-threaded executor.
    # Through ROS the trajectory is exactly the plain loop's with the same seed and answers:
    # both sides compute the force with the same function on the same (float64) observations,
    # and the simulator is deterministic, so bit equality is the right check here.
    executor = SingleThreadedExecutor(context=rclpy_context)
    client = SimClient(rclpy_context, answer=balance, executor=executor)
    node = make_node(rclpy_context, seed=11, max_episode_steps=40, command_timeout=10.0,
                     status_period=0.2, force_limit=6.0)
    executor.add_node(node)
    try:
        client.connect()
        assert client.spin_until(
            lambda: len(client.episodes) >= 2 and len(client.states) >= 85, 20.0)
        assert client.spin_until(lambda: client.statuses, 5.0)
    finally:
        node.destroy_node()
        client.close()
        executor.shutdown()

    assert [(e['reason'], e['length']) for e in client.episodes[:2]] == [('truncated', '40')] * 2
    assert client.latest_status()['command_timeouts'] == '0'
    assert client.states[0].stamp_ns == 0
    n = 85  # two 40-step episodes, the reset ticks after them, and a few more
    ros = np.array([s.observation + (s.effort[0],) for s in client.states[:n]])

    plain = []
    with CartPoleSimulation(seed=11, max_episode_steps=40) as sim:
        sim.model.reconfigure(force_limit=6.0)
        for _ in range(n):
            plain.append(tuple(sim.observation) + (sim.applied_force,))
            sim.tick(lqr_force(sim.observation))
    np.testing.assert_array_equal(ros, np.array(plain))


def test_realtime_mode_steps_at_wall_clock_rate_holding_the_latest_command(rclpy_context):
    executor = SingleThreadedExecutor(context=rclpy_context)
    client = SimClient(rclpy_context, answer=None, executor=executor)
    node = make_node(rclpy_context, mode='realtime', start_range=0.0)
    executor.add_node(node)
    try:
        client.connect()
        client.send([0.5])
        start = len(client.states)
        client.spin_for(0.5)
        states = client.states[start:]
    finally:
        node.destroy_node()
        client.close()
        executor.shutdown()
    assert 15 <= len(states) <= 30  # 25 at 50 Hz, with slack for a loaded machine
    assert all(b.stamp_ns - a.stamp_ns == 20_000_000 for a, b in pairwise(states))
    assert states[-1].effort[0] == 0.5  # held without being asked again


def test_lockstep_ignores_a_late_answer_to_an_earlier_state(rclpy_context):
    from memsnn_controller.ros.conversions import command_from_force

    node = make_node(rclpy_context)
    try:
        node._awaiting = True
        ticks = node._sim.ticks
        now = node._sim.time_ns
        node._on_command(command_from_force(5.0, answers_ns=now - 20_000_000))
        assert node._sim.ticks == ticks and node._stale == 1 and node._held == 0.0
        node._on_command(command_from_force(5.0, answers_ns=now))
        assert node._sim.ticks == ticks + 1 and node._held == 5.0
        node._awaiting = True
        node._on_command(command_from_force(-3.0))  # unlabelled: taken as the answer
        assert node._sim.ticks == ticks + 2 and node._held == -3.0
    finally:
        node.destroy_node()


def test_a_plant_file_gives_the_defaults_and_an_explicit_parameter_wins(rclpy_context, tmp_path):
    from memsnn_controller.envs.plant_file import load_plant_file

    rig = load_plant_file('rig')
    node = make_node(rclpy_context, plant='rig', cart_mass=0.9)
    try:
        plant = node._sim.model.plant
        assert plant == rig.plant.replace(cart_mass=0.9)   # the explicit value wins
        assert node.get_parameter('x_threshold').value == rig.task.x_threshold
        assert node._sim.spec.x_threshold == rig.task.x_threshold
        assert node.get_parameter('after_failure').value == 'coast'
        assert node.get_parameter('motor').value == 'dc'
        assert not node.set_parameters([Parameter('plant', value='')])[0].successful
    finally:
        node.destroy_node()
    bad = tmp_path / 'bad.yaml'
    bad.write_text('plant: {wheels: 4}\n')
    with pytest.raises(SimParameterError, match=r'plant: .*unknown plant fields wheels'):
        make_node(rclpy_context, plant=str(bad))
    with pytest.raises(SimParameterError, match='no such preset'):
        make_node(rclpy_context, plant='warp_drive')


def test_on_a_rig_a_failure_does_not_teleport_and_end_stop_hits_are_reported(rclpy_context):
    node = make_node(rclpy_context, plant='rig', velocity_sensing='measured', reset_pause=1.0,
                     start_range=0.0, seed=1)
    episodes = []
    node._episode_pub.publish = episodes.append
    try:
        sim = node._sim
        node._held = 6.0                          # full voltage toward the end stop
        while sim.phase == 'running':
            node._advance()
        assert sim.phase == 'failed'
        failed = sim.model.state
        for _ in range(40):                       # coasting, still pushed: into the stop
            node._advance()
        assert sim.phase == 'failed' and sim.model.state[0] > failed[0]
        assert sim.model.state[0] == pytest.approx(0.4)
        assert sim.end_stop_hits >= 1 and _status(node)['end_stop_hits'] == str(sim.end_stop_hits)
        values = {kv.key: kv.value for kv in episodes[0].values}
        assert values['reason'] == 'theta_limit' and values['end_stop_hits'] == '0'
    finally:
        node.destroy_node()


def test_the_simulated_operator_restarts_a_rested_cart_and_holds_the_pole(rclpy_context):
    node = make_node(rclpy_context, plant='rig', velocity_sensing='measured', encoder_counts=0,
                     operator_delay=0.2, operator_hold=0.1, start_range=0.0, seed=2)
    try:
        sim = node._sim
        assert sim.operator == 'simulated' and sim.after_failure == 'coast'
        node._held = 6.0
        while sim.phase == 'running':
            node._advance()
        node._held = 0.0                  # the motor at 0 V brakes through its back-EMF
        for _ in range(400):
            node._advance()
            if sim.phase == 'held':
                break
        assert sim.phase == 'held' and sim.operator_interventions == 1
        assert abs(sim.model.state[0]) <= 0.15 + 1e-9 and sim.model.state[1] == 0.0
        held = sim.model.state[2]
        node._advance()
        assert sim.model.state[2] == held and sim.model.state[3] == 0.0   # held still
        for _ in range(5):
            node._advance()
        assert sim.phase == 'running' and sim.episode == 2 and sim.episode_steps > 0
        assert _status(node)['operator_interventions'] == '1'
    finally:
        node.destroy_node()
