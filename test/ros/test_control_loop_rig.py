"""The control loop on a rig, without spinning: the safety layer below the learner (limits,
voltage commands, a changed command's transition not learned from), the delay compensation, and
the episode supervisor driving the simulated rig between episodes."""

import math

from loop_support import FakeAgent, feed, loop_with
import numpy as np
import pytest

from memsnn_controller.control import supervisor as sv
from memsnn_controller.envs.bullet_cartpole import BulletCartPoleConfig
from memsnn_controller.envs.plant_file import load_plant_file
from memsnn_controller.envs.simulation import CartPoleSimulation
from memsnn_controller.ros import control_loop as cl
from memsnn_controller.ros import controller_config as cc
from memsnn_controller.snn.agent import Agent
from memsnn_controller.snn.config import AgentConfig


class LearningAgent(FakeAgent):
    """Records whether each step was taken with learning on."""

    def __init__(self, force=None):
        super().__init__()
        self.learned = []
        self.force = force

    def step(self, obs):
        self.learned.append(self.learning)
        decision = super().step(obs)
        if self.force is not None:
            decision.force = self.force(len(self.steps))
        return decision


def test_by_default_the_safety_layer_changes_nothing_but_the_force_limit():
    agent = LearningAgent(force=lambda k: 7.0 if k % 2 else -7.0)
    loop, _ = loop_with(agent)
    forces = [feed(loop, t_ms=20.0 * k).force for k in range(6)]
    assert forces == [7.0, -7.0, 7.0, -7.0, 7.0, -7.0]
    assert all(agent.learned) and loop.excluded == 0 and loop.safety.limited == 0


def test_a_command_the_slew_limit_turned_is_not_learned_from():
    agent = LearningAgent(force=lambda k: 10.0 if k % 2 else -10.0)
    agent.learning = True
    loop, _ = loop_with(agent, max_force_rate=250.0)        # 5 N per 20 ms period
    forces = [feed(loop, t_ms=20.0 * k).force for k in range(5)]
    assert forces == [5.0, 0.0, 5.0, 0.0, 5.0]
    assert np.all(np.abs(np.diff([0.0] + forces)) <= 5.0 + 1e-12)
    # +10 asked, +5 sent: the chosen push, weaker, is learned from; -10 asked, 0 sent: not a
    # push left, so the step after it learns nothing.
    assert agent.learned == [True, True, False, True, False] and loop.excluded == 2
    assert agent.learning is True                            # restored after each step


def test_voltage_commands_carry_the_force_through_the_motor_law():
    agent = LearningAgent(force=lambda k: 3.0)
    loop, _ = loop_with(agent, command_unit='voltage', voltage_limit=6.0, k_force=1.5,
                        k_emf=2.0)
    out = feed(loop, obs=(0.0, 0.5, 0.02, 0.0))
    assert out.force == pytest.approx((3.0 + 2.0 * 0.5) / 1.5)


def test_the_agent_acts_on_the_predicted_state():
    rig = load_plant_file('rig')
    config = AgentConfig().with_overrides(['task.delay=0.02'])
    agent = LearningAgent(force=lambda k: 5.0)
    agent.config = config
    settings = cl.LoopSettings.from_parameters(dict(cc.defaults(), delay=0.02))
    loop = cl.ControlLoop(agent, settings, model=rig.plant)
    measured = (0.0, 0.2, 0.05, 0.3)
    feed(loop, obs=measured)
    feed(loop, obs=measured, t_ms=20.0)
    # The first state: nothing in flight yet, predicted 20 ms ahead with the motor at 0; the
    # second with the first answer in flight: both differ from what was measured.
    assert agent.steps[0] != measured and agent.steps[1] != agent.steps[0]
    assert agent.steps[0][0] == pytest.approx(0.2 * 0.02, abs=2e-3)


def test_estimated_velocities_are_corrected_for_their_lag_where_the_model_is_known():
    rig = load_plant_file('rig')
    agent = LearningAgent()
    agent.config = AgentConfig()   # no delay to compensate
    settings = cl.LoopSettings.from_parameters(cc.defaults())   # velocity_estimation: auto
    with_model = cl.ControlLoop(agent, settings, model=rig.plant)
    assert with_model.predictor is not None and with_model.predictor.max_lag > 0.0
    assert with_model.predictor.delay == 0.0
    # Without the plant's model (no plant parameter) nothing is predicted: the default model
    # is CartPole-v1's, which would be wrong on a rig.
    assert cl.ControlLoop(agent, settings).predictor is None
    off = cl.LoopSettings.from_parameters(dict(cc.defaults(), velocity_estimation='off'))
    assert cl.ControlLoop(agent, off, model=rig.plant).predictor is None


def rig_loop(**params):
    rig = load_plant_file('rig')
    values = dict(cc.defaults(), **cc.file_defaults(rig), **params)
    agent = Agent(cc.build_agent_config(values), seed=0)
    loop = cl.ControlLoop(agent, cl.LoopSettings.from_parameters(values), model=rig.plant)
    return rig, loop, agent


def test_the_supervisor_brakes_homes_and_starts_at_the_release_on_the_simulated_rig():
    """The loop and the rig simulator with its operator, message by message (lockstep): every
    failure is braked before the end stops and homed; no episode starts while braking or
    homing; every episode starts at a release."""
    rig, loop, agent = rig_loop()
    config = BulletCartPoleConfig(**rig.plant.values(), control_period=0.02)
    sim = CartPoleSimulation(config, spec=rig.task, seed=0, operator='simulated',
                             operator_delay=0.5, operator_hold=0.5)
    names = ['slider_to_cart', 'cart_to_pole']
    states = []
    try:
        for k in range(2500):
            obs = sim.observation
            out = loop.process(names, [obs[0], obs[2]], [obs[1], obs[3]], sim.time_ns + 1,
                               k * 20_000_000)
            states.append((loop.supervisor.state, loop.phase, out.kind))
            sim.tick(out.force if out.publish else 0.0)
            if agent.episodes >= 4:
                break
    finally:
        sim.close()
    stats = loop.supervisor.stats
    assert agent.episodes >= 4 and sim.end_stop_hits == 0
    assert stats.braked >= 3 and max(stats.brake_times) <= 0.5
    assert len(stats.homing_times) >= 3 and max(stats.homing_times) <= 5.0
    assert stats.started_by_operator == agent.episodes or \
        stats.started_by_operator == agent.episodes + 1     # the last may have just begun
    for (before, _, _), (_, _, kind) in zip(states, states[1:]):
        if kind == cl.NEW_EPISODE:
            assert before == sv.ARMED                          # never from BRAKING or HOMING


def test_start_home_and_pause_through_the_loop():
    _, loop, _ = rig_loop(auto_start=False)
    ok, why = loop.start_episode()      # a new loop brakes and homes first
    assert not ok and 'BRAKING' in why
    ok, why = loop.pause(True)
    assert ok and loop.supervisor.state == sv.PAUSED
    out = feed(loop, obs=(0.0, 0.0, 0.0, 0.0))
    assert out.kind == cl.SUPERVISED and out.reason == sv.PAUSED and out.force == 0.0
    loop.pause(False)
    assert loop.supervisor.state == sv.BRAKING
    plain, _ = loop_with()
    assert plain.home() == (False, 'no supervisor (the supervisor parameter is false)')


def test_a_plant_files_shadowed_learner_fields_are_parameter_defaults(tmp_path):
    # The rig preset's learner section picks the continuous decoder: the node's decoder
    # parameter defaults to it, and a decoder given explicitly wins over the file.
    rig = load_plant_file('rig')
    assert dict(rig.learner)['actor.decoder'] == 'continuous'
    values = dict(cc.defaults(), **cc.file_defaults(rig))
    assert values['decoder'] == 'continuous'
    assert cc.build_agent_config(values).actor.decoder == 'continuous'
    path = tmp_path / 'discrete.yaml'
    path.write_text('task: {x_threshold: 0.3}\nlearner: {actor.decoder: discrete, '
                    'critic.gamma: 0.98}\n')
    other = load_plant_file(str(path))
    values = dict(cc.defaults(), **cc.file_defaults(other))
    config = cc.build_agent_config(values)
    assert values['decoder'] == 'discrete' and config.actor.decoder == 'discrete'
    assert config.critic.gamma == 0.98          # the rest of the section applies as offline
    config = cc.build_agent_config(dict(values, decoder='continuous'))
    assert config.actor.decoder == 'continuous'


def test_a_checkpoint_for_another_rate_or_plant_scale_is_refused_naming_it(tmp_path):
    from memsnn_controller.snn.checkpoint import CheckpointError

    made = Agent(AgentConfig(), seed=0)
    path = tmp_path / 'cartpole.npz'
    made.save(path)
    rig_config = cc.build_agent_config(dict(cc.defaults(), x_threshold=0.3,
                                            control_period=0.01))
    with pytest.raises(CheckpointError, match=r'trained for 50 Hz, x_threshold 2\.4 m, '
                                              r'.*this agent is for 100 Hz, x_threshold 0\.3 m'):
        Agent(rig_config, seed=0).restore(path)
    assert math.isclose(rig_config.encoder.box_edges[0][1], 0.1)
