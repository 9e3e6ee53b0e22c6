"""The Agent API: episodes, determinism, learning on/off, bad input, state export/import."""

import numpy as np
import pytest

from memsnn_controller.snn.agent import Agent
from memsnn_controller.snn.config import AgentConfig

SMALL = AgentConfig().with_overrides(['actor.neurons_per_side=8', 'critic.neurons_per_half=30'])


def _rollout(agent, steps, seed=0, episode_every=25):
    """Drive the agent with a toy random walk; return the forces it chose."""
    rng = np.random.default_rng(seed)
    forces = []
    state = np.zeros(4)
    agent.reset()
    for k in range(steps):
        state = state + rng.normal(0, 1, 4) * [0.02, 0.05, 0.01, 0.1]
        forces.append(agent.step(state).force)
        if k % episode_every == episode_every - 1:
            agent.end_episode(state, terminated=True)
            state = np.zeros(4)
            agent.reset()
    return np.array(forces)


def test_same_seed_same_behaviour_and_state():
    # Determinism: the same kernel on the same inputs must give the same bits.
    a, b = Agent(SMALL, seed=3), Agent(SMALL, seed=3)
    np.testing.assert_array_equal(_rollout(a, 120), _rollout(b, 120))
    for name, value in a.export_state().items():
        np.testing.assert_array_equal(value, b.export_state()[name], err_msg=name)


def test_different_seeds_differ():
    assert not np.array_equal(_rollout(Agent(SMALL, seed=1), 80), _rollout(Agent(SMALL, seed=2),
                                                                             80))


def test_decision_fields_and_discrete_force():
    agent = Agent(SMALL, seed=0)
    agent.reset()
    d = agent.step([0.0, 0.0, 0.01, 0.0])
    assert d.action in (0, 1)
    assert d.force == (10.0 if d.action == 1 else -10.0)
    assert d.modulator == 0.0  # no transition yet in this episode


def test_continuous_decoder_force_is_bounded():
    agent = Agent(SMALL.with_overrides(['actor.decoder=continuous', 'actor.force_limit=4.0']))
    forces = _rollout(agent, 60)
    assert np.all(np.abs(forces) <= 4.0)
    assert len(set(np.round(forces, 6))) > 2


def test_learning_changes_devices_and_freezing_stops_it():
    agent = Agent(SMALL, seed=0)
    syn = agent.network.synapses
    before = syn.w_pos.copy()
    _rollout(agent, 100)
    assert not np.array_equal(before, syn.w_pos)
    assert agent.total_writes > 0
    agent.set_learning(False)
    frozen = np.stack([syn.w_pos, syn.w_neg])
    writes = agent.total_writes
    _rollout(agent, 100, seed=1)
    # Frozen devices are not touched at all: exact.
    np.testing.assert_array_equal(frozen, np.stack([syn.w_pos, syn.w_neg]))
    assert agent.total_writes == writes


def test_episode_bookkeeping_and_trailing_mean():
    agent = Agent(SMALL, seed=0)
    for length in (3, 5):
        agent.reset()
        for _ in range(length):
            agent.step([0.0, 0.0, 0.0, 0.0])
        summary = agent.end_episode([0.0, 0.0, 0.0, 0.0], truncated=True)
        assert summary.length == length and summary.truncated
    assert agent.episode_lengths == [3, 5]
    assert agent.trailing_mean() == 4.0
    assert agent.trailing_mean(1) == 5.0


def test_annealing_scales_rates_by_performance():
    agent = Agent(SMALL, seed=0)
    agent.episode_lengths = [400] * 100          # perf 0.8
    agent.reset()
    eta = agent.network.neurons.eta
    cfg = SMALL
    assert eta[0] == pytest.approx(cfg.actor.eta * 0.2)
    assert eta[-1] == pytest.approx(cfg.critic.eta * 0.2)
    assert agent.network.neurons.noise[0] == pytest.approx(0.02 * 0.5)
    agent.episode_lengths = [500] * 100
    agent.reset()
    assert agent.network.neurons.eta[0] == pytest.approx(cfg.actor.eta * cfg.learning.eta_floor)


REOPEN = SMALL.with_overrides(['learning.reopen_window=10', 'learning.reopen_gain=1',
                               'learning.reopen_eta_max=1', 'learning.reopen_dead_zone_gain=1'])


def _scales(agent, lengths):
    """(actor eta scale, critic eta scale, actor noise scale, dead zone) after a reset."""
    agent.episode_lengths = list(lengths)
    agent.reset()
    net, cfg = agent.network, agent.config
    return (net.neurons.eta[0] / cfg.actor.eta, net.neurons.eta[-1] / cfg.critic.eta,
            net.neurons.noise[0] / cfg.actor.noise, float(net.params['dead_zone']))


def test_reopening_off_keeps_the_plain_annealing():
    agent = Agent(SMALL.with_overrides(['learning.reopen_window=0']), seed=0)
    eta, _, noise, dead_zone = _scales(agent, [500] * 100 + [100] * 10)
    perf = (90 * 500 + 10 * 100) / 100 / 500
    assert eta == pytest.approx(1 - perf) and noise == pytest.approx(0.5)
    assert dead_zone == SMALL.learning.dead_zone


def test_the_default_reopening():
    # d = 0.8: rates at their cap 2 x eta, noise 0.8, dead zone 0.
    assert _scales(Agent(SMALL, seed=0), [500] * 100 + [100] * 10) == pytest.approx(
        (2.0, 2.0, 0.8, 0.0))
    # One 300-step episode among ten at 500 (d = 0.04): a nudge, not a reopening.
    assert _scales(Agent(SMALL, seed=0), [500] * 109 + [300]) == pytest.approx(
        (0.16, 0.16, 0.5, 0.05 * 0.84))


def test_reopening_after_a_drop_raises_rates_noise_and_lowers_the_dead_zone():
    agent = Agent(REOPEN, seed=0)
    # Solved, then ten short episodes: the short window's shortfall d = 1 - 100/500 = 0.8.
    eta, critic_eta, noise, dead_zone = _scales(agent, [500] * 100 + [100] * 10)
    assert eta == pytest.approx(0.8) and critic_eta == pytest.approx(0.8)
    assert noise == pytest.approx(0.8)
    assert dead_zone == pytest.approx(0.05 * (1 - 0.8))
    # Back to 500: the short window no longer reopens; the long one still holds the drop.
    assert _scales(agent, [500] * 100 + [100] * 10 + [500] * 10) == pytest.approx(
        (0.08, 0.08, 0.5, 0.05))


def test_reopening_gain_cap_and_noise_switch():
    cfg = REOPEN.with_overrides(['learning.reopen_gain=4', 'learning.reopen_eta_max=2',
                                 'learning.reopen_noise=false',
                                 'learning.reopen_dead_zone_gain=4'])
    eta, _, noise, dead_zone = _scales(Agent(cfg, seed=0), [500] * 100 + [450] * 10)
    assert eta == pytest.approx(4 * 0.1)         # d = 0.1, below the cap
    assert noise == pytest.approx(0.5)           # the long window's noise scale
    assert dead_zone == pytest.approx(0.05 * 0.6)
    eta, _, _, dead_zone = _scales(Agent(cfg, seed=0), [500] * 100 + [100] * 10)
    assert eta == pytest.approx(2.0) and dead_zone == 0.0


def test_reopening_waits_for_the_first_solve_and_stays_armed():
    agent = Agent(REOPEN, seed=0)
    # Never solved: the plain annealing (first-time learning is the plain annealing's).
    assert _scales(agent, [400] * 100 + [100] * 10)[0] == pytest.approx(1 - 0.74)
    # Solved once long ago, now poor in both windows: the short one is not below the long one.
    fresh = Agent(REOPEN, seed=0)
    assert _scales(fresh, [500] * 100 + [100] * 100)[0] == pytest.approx(0.8)
    assert fresh._armed
    # Armed as episodes come in (not only by the scan of an imported history).
    agent.episode_lengths = [500] * 100
    agent.reset()
    agent.end_episode()
    assert agent._armed


def test_the_lowered_dead_zone_reaches_the_writes():
    # An episode with the dead zone reopened to 0 writes where the unlowered one would not.
    def writes(lengths):
        agent = Agent(SMALL.with_overrides(['learning.dead_zone=10']), seed=0)
        agent.episode_lengths = list(lengths)
        _rollout(agent, 60)
        return agent.total_writes

    assert writes([500] * 110) == 0               # |M| never reaches 10
    assert writes([500] * 100 + [50] * 10) > 0    # d = 0.9: the dead zone is 0


def test_reopening_state_follows_an_imported_history():
    a = Agent(REOPEN, seed=0)
    _scales(a, [500] * 100 + [200] * 10)
    b = Agent(REOPEN, seed=0)
    b.reset()            # armed = False for its own (empty) history
    b.import_state(a.export_state())
    b.reset()
    np.testing.assert_array_equal(a.network.neurons.eta, b.network.neurons.eta)
    np.testing.assert_array_equal(a.network.neurons.noise, b.network.neurons.noise)
    assert a.network.params['dead_zone'] == b.network.params['dead_zone'] < 0.05


@pytest.mark.parametrize('bad', [[0.0, 0.0, 0.0], [0, 0, float('nan'), 0], [0, 0, 0, float('inf')],
                                 'abcd', None, 5.0, [[0, 0, 0, 0]]])
def test_bad_observations_raise_clear_errors_and_change_nothing(bad):
    agent = Agent(SMALL, seed=0)
    agent.reset()
    agent.step([0.0, 0.0, 0.0, 0.0])
    state = agent.export_state()
    with pytest.raises(ValueError, match='observation'):
        agent.step(bad)
    for name, value in agent.export_state().items():
        np.testing.assert_array_equal(value, state[name], err_msg=name)


def test_end_episode_without_episode_is_an_error():
    agent = Agent(SMALL, seed=0)
    with pytest.raises(RuntimeError, match='no episode'):
        agent.end_episode(terminated=True)


def test_failure_on_the_time_limit_counts_as_failure():
    agent = Agent(SMALL, seed=0)
    agent.reset()
    agent.step([0.0, 0.0, 0.0, 0.0])
    value = float(agent.network.output['value'])
    summary = agent.end_episode([0.0, 0.0, 0.3, 0.0], terminated=True, truncated=True)
    assert summary.terminated and not summary.truncated
    assert agent.network.output['modulator'] == pytest.approx(-1.0 - value)


def test_failure_is_a_negative_td_error():
    agent = Agent(SMALL, seed=0)
    agent.reset()
    agent.step([0.0, 0.0, 0.0, 0.0])
    agent.step([0.0, 0.0, 0.01, 0.0])
    value = float(agent.network.output['value'])
    agent.end_episode([0.0, 0.0, 0.3, 0.0], terminated=True)
    assert agent.network.output['modulator'] == pytest.approx(-1.0 - value)


def test_export_import_continues_identically():
    a = Agent(SMALL, seed=4)
    _rollout(a, 70)
    b = Agent(SMALL, seed=99)
    b.import_state(a.export_state())
    # Determinism: the same kernel on the same state must give the same bits.
    np.testing.assert_array_equal(_rollout(a, 60, seed=5), _rollout(b, 60, seed=5))


def test_numpy_kernel_agent_matches_numba_agent():
    a = Agent(SMALL, seed=2)
    b = Agent(SMALL, seed=2, kernel='numpy')
    # Two code paths: equal up to rounding (forces are +-10 N, so any decision that differed
    # would fail by 20 N).
    np.testing.assert_allclose(_rollout(a, 40), _rollout(b, 40), rtol=1e-9)


def test_warm_up_leaves_state_untouched():
    agent = Agent(SMALL, seed=0)
    before = agent.export_state()
    agent.warm_up()
    for name, value in agent.export_state().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_invalid_constructor_arguments():
    with pytest.raises(ValueError, match='kernel'):
        Agent(SMALL, kernel='cuda')
    with pytest.raises(TypeError, match='AgentConfig'):
        Agent({'actor': {}})


def test_reopening_lowers_the_groups_own_dead_zones_too():
    cfg = REOPEN.with_overrides(['actor.dead_zone=0.02', 'critic.dead_zone=0.04'])
    agent = Agent(cfg, seed=0)
    _scales(agent, [500] * 100 + [100] * 10)           # d = 0.8, dead zones x (1 - 0.8)
    params = agent.network.params
    assert float(params['actor_dead_zone']) == pytest.approx(0.02 * 0.2)
    assert float(params['critic_dead_zone']) == pytest.approx(0.04 * 0.2)
    _scales(agent, [500] * 100 + [100] * 10 + [500] * 10)   # recovered: the configured values
    assert float(params['actor_dead_zone']) == 0.02 and float(params['critic_dead_zone']) == 0.04
