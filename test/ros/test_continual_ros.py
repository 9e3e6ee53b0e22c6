"""Continual learning through ROS (issue 16): the running simulator node's pole length is changed
by a parameter set call (rcl_interfaces/SetParameters, as ``ros2 param set`` does) while the
controller node, unchanged, learns on.

A controller trained offline in this process (the controller's own agent configuration on the
registered PyBullet env, the simulator node's model) is restored by the controller node from its
checkpoint; both nodes run on one executor as memsnn-bringup runs them; a third node only sets
the simulator's parameter and listens to the controller's episode reports.

The pole length x1.5: the change reaches the running plant (the model's plant, the pole's
collision shape in PyBullet, the simulator's status), and the controller, restored and never
reconfigured (its parameters are compared), has a trailing-20 mean >= 450 over the episodes
after the change within 60 of them, writing its devices all along. On this plant (PyBullet, the
continuous decoder) pole length changes hardly hurt a solved controller: offline, this
checkpoint kept most episodes at 500 with the pole x0.3 and x0.4 as well (trailing-20 >= 450
after 22-26 episodes), so the test shows the controller carrying on through the change over
ROS, not a deep dip and its repair (the hard change, the actuator gain, is measured offline by
experiments/continual.py).
"""

import time

import gymnasium
import pybullet as p
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from rclpy.parameter_client import AsyncParameterClient

from memsnn_controller.apps.bringup import SIM_NODE
from memsnn_controller.apps.bringup.monitor import Monitor
from memsnn_controller.envs import CONTINUOUS_ENV_ID
from memsnn_controller.experiments import metrics
from memsnn_controller.experiments.training import ActionAdapter, episode_seed
from memsnn_controller.ros import controller_config
from memsnn_controller.ros.controller_node import ControllerNode
from memsnn_controller.ros.sim_node import CartPoleSimNode
from memsnn_controller.snn.agent import Agent

SEED = 0
SOLVE_LEVEL = 475        # trailing-100 mean of the offline training
RECOVERED = 450          # trailing-20 mean after the change
WINDOW = 20


def _solve_offline(path, budget=800):
    """Train the controller's agent on the PyBullet env until the trailing-100 mean reaches
    475; save its checkpoint to ``path``."""
    config = controller_config.build_agent_config(controller_config.defaults())
    agent = Agent(config, seed=SEED)
    agent.warm_up()
    env = gymnasium.make(CONTINUOUS_ENV_ID)
    adapter = ActionAdapter(env.action_space, config.actor.force_limit)
    try:
        for k in range(budget):
            obs, _ = env.reset(seed=episode_seed(SEED, k))
            agent.reset()
            while True:
                obs, _, term, trunc, _ = env.step(adapter(agent.step(obs)))
                if term or trunc:
                    break
            agent.end_episode(obs, terminated=bool(term), truncated=bool(trunc and not term))
            if k + 1 >= metrics.WINDOW and agent.trailing_mean(metrics.WINDOW) >= SOLVE_LEVEL:
                break
    finally:
        env.close()
    assert agent.trailing_mean(metrics.WINDOW) >= SOLVE_LEVEL, 'the offline training did not solve'
    agent.save(path)
    return path


@pytest.fixture(scope='module')
def solved(tmp_path_factory):
    return _solve_offline(tmp_path_factory.mktemp('continual') / 'solved.npz')


def _pole_length_in_pybullet(model):
    """The pole's length as PyBullet holds it: its collision box's size along the pole."""
    (shape,) = p.getCollisionShapeData(model._body, model._pole, physicsClientId=model.client_id)
    return shape[3][2]


def _parameters(node):
    """Every parameter's value (None where unset, as agent_overrides by default)."""
    return {name: parameter.value for name, parameter in sorted(node._parameters.items())}


def _run(context, solved, factor, before, budget, tmp_path):
    """Run the loop over ROS: ``before`` episodes on the original plant, then the pole length x
    ``factor`` set on the simulator over ROS, then episodes until the trailing-20 mean of those
    after the change is >= 450 (``budget`` at most). Returns (lengths before, lengths after,
    writes before, writes after, the controller's parameters at start and at the end, the
    simulator's model and status, the pole's PyBullet lengths before and after)."""
    checkpoint = tmp_path / 'controller.npz'
    checkpoint.write_bytes(solved.read_bytes())
    executor = SingleThreadedExecutor(context=context)
    sim = CartPoleSimNode(context=context, parameter_overrides=[Parameter('seed', value=7)])
    controller = ControllerNode(context=context, parameter_overrides=[
        Parameter('checkpoint_path', value=str(checkpoint)), Parameter('seed', value=SEED),
        Parameter('autosave_period', value=0.0)])
    node = rclpy.create_node('continual_test', context=context)
    for n in (sim, controller, node):
        executor.add_node(n)
    monitor = Monitor(node)
    client = AsyncParameterClient(node, f'/{SIM_NODE}')

    def spin_until(predicate, timeout):
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, 'timed out'
            executor.spin_once(timeout_sec=0.05)

    def reports():
        return [monitor.episodes[k] for k in sorted(monitor.episodes)]

    try:
        assert controller.start(), controller.last_error
        restored = len(controller._loop.agent.episode_lengths)
        params_at_start = _parameters(controller)
        model = sim._sim.model
        length0 = _pole_length_in_pybullet(model)
        spin_until(lambda: len(monitor.episodes) >= before, 120)
        spin_until(client.services_are_ready, 10)
        changed_at = len(monitor.episodes)
        future = client.set_parameters([Parameter('pole_length',
                                                  value=model.plant.pole_length * factor)])
        spin_until(future.done, 10)
        assert all(r.successful for r in future.result().results)
        length1 = _pole_length_in_pybullet(model)

        def recovered():
            after = [int(r['length']) for r in reports()[changed_at + 1:]]
            return len(after) >= budget or (
                len(after) >= WINDOW and sum(after[-WINDOW:]) >= RECOVERED * WINDOW)

        spin_until(recovered, 600)
        spin_until(lambda: monitor.sim_status.get('plant', 'original') != 'original', 10)
        done = reports()
        # The episode running when the change came straddles both plants: left out.
        lengths = [int(r['length']) for r in done]
        writes = [int(r['writes']) for r in done]
        return {'before': lengths[:changed_at], 'after': lengths[changed_at + 1:],
                'writes_before': writes[:changed_at], 'writes_after': writes[changed_at + 1:],
                'params': (params_at_start, _parameters(controller)), 'restored': restored,
                'plant': model.plant, 'sim_status': dict(monitor.sim_status),
                'pybullet': (length0, length1), 'indices': [int(r['index']) for r in done]}
    finally:
        controller.shutdown_safely()
        for n in (controller, sim, node):
            executor.remove_node(n)
            n.destroy_node()
        executor.shutdown()


def _check_common(run, factor):
    # The change reached the running plant: the model's plant, PyBullet's pole, the status.
    assert run['plant'].pole_length == pytest.approx(factor)
    assert run['pybullet'] == (pytest.approx(1.0), pytest.approx(factor))
    assert f'pole_length={factor:g}' in run['sim_status']['plant']
    # The controller went on from the checkpoint (episode indices continue it) and was never
    # told anything: its parameters are the ones it started with.
    assert run['indices'][0] == run['restored']
    start, end = run['params']
    assert start == end
    # It kept learning after the change: the devices were written.
    assert sum(run['writes_after']) > 0


def test_a_longer_pole_set_over_ros_is_balanced_by_the_unchanged_controller(
        rclpy_context, solved, tmp_path):
    run = _run(rclpy_context, solved, 1.5, before=3, budget=60, tmp_path=tmp_path)
    _check_common(run, 1.5)
    assert sum(run['before']) >= 3 * RECOVERED       # it balanced the original plant
    after = run['after']
    assert len(after) < 60 and sum(after[-WINDOW:]) >= RECOVERED * WINDOW, after

