"""The figures of a look inside: the box grid they are drawn on is the encoder's, the policy is
the actor's weight difference, the read-outs leave the agent alone, and every figure is drawn."""

import copy

from exp_support import is_png
import numpy as np
import pytest

from memsnn_controller.experiments import inside
from memsnn_controller.snn.agent import Agent
from memsnn_controller.snn.config import AgentConfig
from memsnn_controller.snn.encoding import EncoderTables
from memsnn_controller.snn.reference import encode_reference

SMALL = ['actor.neurons_per_side=4', 'critic.neurons_per_half=8']


def _trained(overrides=()):
    agent = Agent(AgentConfig().with_overrides(SMALL + list(overrides)), seed=0)
    rng = np.random.default_rng(1)
    for _ in range(3):
        agent.reset()
        for _ in range(30):
            agent.step(rng.normal(0, 0.08, 4))
        agent.end_episode(rng.normal(0, 0.08, 4), terminated=True)
    return agent


def test_box_states_follow_the_encoder_order():
    config = AgentConfig()
    tables = EncoderTables(config.encoder)
    states = inside.box_states(config.encoder.box_edges)
    assert len(states) == tables.n_inputs == 162
    for k, state in enumerate(states):
        index, _ = encode_reference(state, tables.ints, tables.floats)
        assert index.tolist() == [k]


def test_policy_is_the_right_minus_left_weight_difference():
    agent = Agent(AgentConfig().with_overrides(SMALL), seed=0)
    net = agent.network
    a = net.n_actor
    net.synapses.w_pos[7, a:2 * a] = 0.9    # input 7 drives the right population harder
    net.synapses.w_neg[9, a:2 * a] = 0.9    # input 9 inhibits it
    net._refresh_effective()
    policy = inside.policy_per_input(net)
    assert policy[7] > 0 > policy[9]
    assert np.allclose(np.delete(policy, [7, 9]), 0.0)


def test_read_outs_leave_the_agent_alone():
    agent = _trained()
    before = copy.deepcopy(agent.export_state())
    pre, post, out = inside.tick_spikes(agent)
    values = inside.values_per_input(agent, inside.box_states(agent.config.encoder.box_edges))
    after = agent.export_state()
    for name, array in before.items():
        np.testing.assert_array_equal(array, after[name], err_msg=name)
    assert pre.shape == (agent.config.substeps, agent.network.n_in) and pre.sum() > 0
    assert post.shape == (agent.config.substeps, agent.network.n_post) and post.sum() > 0
    assert values.shape == (162,) and np.all(np.isfinite(values))


@pytest.mark.parametrize('overrides', [[], ['encoder.segments=[gaussian]'],
                                       ['critic.enabled=false', 'learning.modulator=reward']])
def test_every_figure_is_drawn(tmp_path, overrides):
    agent = _trained(overrides)
    paths = inside.write_network_figures(agent, tmp_path, title='test')
    assert [p.rsplit('/', 1)[-1] for p in map(str, paths)] == list(inside.FIGURES)
    for path in paths:
        assert is_png(path)
