"""Devices that wear out, relax and read noisily (device.endurance, retention, read_noise), the
write step's two forms (register and random) and the local rule's push-pull term."""

import math

import gymnasium as gym
import numpy as np
import pytest

from memsnn_controller.snn import state as S
from memsnn_controller.snn.agent import Agent
from memsnn_controller.snn.config import AgentConfig
from memsnn_controller.snn.devices import timing_kernels
from memsnn_controller.snn.kernels import tick
from memsnn_controller.snn.network import Network
from memsnn_controller.snn.plasticity import pairing_tables
from memsnn_controller.snn.reference import _noisy_row, tick_reference

SMALL = ['actor.neurons_per_side=6', 'critic.neurons_per_half=12']


def _command(net, phase=S.PHASE_STEP, reward=0.0, has_prev=True):
    cmd = net.command
    cmd['phase'], cmd['reward'], cmd['external_m'] = phase, reward, 0.0
    cmd['learn'], cmd['has_prev'] = True, has_prev


def _walk(net, ticks, seed=0, kernel=tick):
    """Drive a network through a random walk of states with a failure every 15 ticks."""
    run = net.bind(kernel)
    rng = np.random.default_rng(seed)
    state = np.zeros(4)
    for k in range(ticks):
        state = state + rng.normal(0, 1, 4) * np.array([0.05, 0.1, 0.02, 0.2])
        fail = k % 15 == 14
        net.obs[:] = state
        _command(net, S.PHASE_TERMINAL if fail else S.PHASE_STEP, -1.0 if fail else 0.0,
                 has_prev=k % 15 != 0)
        run()
        if fail:
            net.reset_state()
            state = np.zeros(4)


def _episodes(config, episodes, seed=0):
    agent = Agent(config, seed=seed)
    env = gym.make('CartPole-v1')
    lengths = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=episode)
        agent.reset()
        while True:
            obs, _, terminated, truncated, _ = env.step(agent.step(obs).action)
            if terminated or truncated:
                lengths.append(agent.end_episode(obs, terminated, truncated).length)
                break
    return agent, lengths


# ---------------------------------------------------------------------------- endurance
def test_lifetimes_are_lognormal_around_the_endurance_from_a_stream_of_their_own():
    plain = Network(AgentConfig(), seed=4)
    worn = Network(AgentConfig().with_overrides(['device.endurance=300',
                                                 'device.endurance_spread=0.5']), seed=4)
    life = np.concatenate((worn.synapses.life_pos.ravel(), worn.synapses.life_neg.ravel()))
    assert life.size == 2 * worn.n_in * worn.n_post
    assert abs(np.median(life) / 300 - 1) < 0.02
    assert abs(np.std(np.log(life)) / 0.5 - 1) < 0.03
    assert plain.synapses.life_pos.min() == S.NEVER_FAILS
    # The lifetimes' draws change nothing else that is built.
    for name in ('w_pos', 'w_neg', 'scale_pos', 'scale_neg', 'w_eff'):
        np.testing.assert_array_equal(getattr(plain.synapses, name),
                                      getattr(worn.synapses, name), err_msg=name)


@pytest.mark.parametrize('stuck', ['last', 'low', 'high'])
def test_a_device_past_its_endurance_never_changes_again(stuck):
    config = AgentConfig().with_overrides(SMALL + [
        'device.endurance=3', f'device.stuck={stuck}', 'learning.dead_zone=0.0',
        'actor.eta=0.05', 'critic.eta=0.05'])
    net = Network(config, seed=1)
    _walk(net, 45)
    syn = net.synapses
    writes = np.stack((syn.writes_pos, syn.writes_neg))
    life = np.stack((syn.life_pos, syn.life_neg))
    w = np.stack((syn.w_pos, syn.w_neg)).copy()
    failed = writes >= life
    assert np.all(writes <= life)              # no write after the last one
    assert failed.sum() == net.failed_devices() > 10
    if stuck == 'low':
        assert np.all(w[failed] == config.device.floor)
    elif stuck == 'high':
        assert np.all(w[failed] == 1.0)
    else:
        assert np.all((w[failed] > 0.0) & (w[failed] < 1.0))
    # More learning: the failed devices keep their conductance and their count.
    _walk(net, 45, seed=1)
    after = np.stack((syn.w_pos, syn.w_neg))
    np.testing.assert_array_equal(after[failed], w[failed])
    np.testing.assert_array_equal(np.stack((syn.writes_pos, syn.writes_neg))[failed],
                                  writes[failed])
    # The effective weights follow the stuck devices.
    np.testing.assert_allclose(syn.w_eff, net.neurons.gain * (syn.w_pos - syn.w_neg))


def test_an_endurance_that_is_never_reached_changes_nothing():
    # The endurance checks are the only difference: with lifetimes beyond every count, the same
    # episodes, writes and states as without a limit.
    base = AgentConfig().with_overrides(['critic.neurons_per_half=30'])
    a, lengths_a = _episodes(base, 12)
    b, lengths_b = _episodes(base.with_overrides(['device.endurance=1e9']), 12)
    assert lengths_a == lengths_b and a.total_writes == b.total_writes > 0
    assert b.failed_devices() == 0
    for name in ('w_pos', 'w_neg', 'trace', 'writes_pos', 'writes_neg'):
        np.testing.assert_array_equal(getattr(a.network.synapses, name),
                                      getattr(b.network.synapses, name), err_msg=name)


# ---------------------------------------------------------------------------- retention
def test_idle_time_relaxes_every_device_toward_its_rest_value():
    config = AgentConfig().with_overrides(SMALL + ['device.retention_tau_s=100',
                                                   'device.retention_rest=0.2',
                                                   'learning.dead_zone=0.0', 'actor.eta=0.05'])
    net = Network(config, seed=2)
    _walk(net, 30)
    net.relax_all()
    syn = net.synapses
    before = syn.w_pos.copy(), syn.w_neg.copy()
    assert np.any(before[0] != 0.3)
    net.idle(100.0)                                    # one time constant
    assert net.carry['time'] >= 100_000
    factor = math.exp(-1.0)
    np.testing.assert_allclose(syn.w_pos - 0.2, (before[0] - 0.2) * factor, rtol=1e-12)
    np.testing.assert_allclose(syn.w_neg - 0.2, (before[1] - 0.2) * factor, rtol=1e-12)
    np.testing.assert_allclose(syn.w_eff, net.neurons.gain * (syn.w_pos - syn.w_neg))
    net.idle(1e7)                                      # long after: at rest
    np.testing.assert_allclose(syn.w_pos, 0.2, atol=1e-12)


def test_a_tick_relaxes_the_rows_it_reads_as_idle_time_would():
    config = AgentConfig().with_overrides(SMALL + ['device.retention_tau_s=50',
                                                   'learning.dead_zone=0.0', 'actor.eta=0.05'])
    lazy = Network(config, seed=3)
    _walk(lazy, 30)
    eager = Network(config, seed=3)
    _walk(eager, 30)
    eager.idle(20.0)
    lazy.carry['time'] = eager.carry['time']            # the same time, no relaxation yet
    obs = np.array([0.0, 0.0, 0.01, 0.0])
    for net in (lazy, eager):
        net.reset_state()
        net.obs[:] = obs
        _command(net, has_prev=False)
        net.bind(tick)()
    row = int(lazy.scratch.active[0])
    np.testing.assert_allclose(lazy.synapses.w_pos[row], eager.synapses.w_pos[row], rtol=1e-12)
    assert lazy.inputs.relaxed_at[row] == eager.inputs.relaxed_at[row]
    # A row that was neither read nor written has not been brought up to date yet.
    idle_rows = lazy.inputs.relaxed_at < lazy.inputs.relaxed_at[row]
    assert np.any(idle_rows)


def test_failed_devices_do_not_relax():
    config = AgentConfig().with_overrides(SMALL + ['device.retention_tau_s=10',
                                                   'device.endurance=2', 'learning.dead_zone=0.0',
                                                   'actor.eta=0.05', 'critic.eta=0.05'])
    net = Network(config, seed=5)
    _walk(net, 30)
    syn = net.synapses
    failed = syn.writes_pos >= syn.life_pos
    assert failed.sum() > 0
    w = syn.w_pos.copy()
    net.idle(1000.0)
    np.testing.assert_array_equal(syn.w_pos[failed], w[failed])
    assert np.all(np.abs(syn.w_pos[~failed] - 0.3) < 1e-12)


# ---------------------------------------------------------------------------- read noise
def test_a_noisy_read_has_the_devices_relative_noise():
    config = AgentConfig().with_overrides(SMALL + ['device.read_noise=0.05',
                                                   'device.d2d_spread=0.2'])
    net = Network(config, seed=1)
    syn = net.synapses
    syn.w_pos[0] = np.linspace(0.1, 0.9, net.n_post)
    net._refresh_effective()
    p = net.params.view(np.recarray)[()]
    reads = np.array([_noisy_row(p, net.rng, syn, net.neurons, 0) for _ in range(20000)])
    a, b = syn.scale_pos[0] * syn.w_pos[0], syn.scale_neg[0] * syn.w_neg[0]
    sigma = 0.05 * net.neurons.gain * np.sqrt(a ** 2 + b ** 2)
    np.testing.assert_allclose(reads.mean(axis=0), syn.w_eff[0], atol=4 * sigma.max() / 141)
    np.testing.assert_allclose(reads.std(axis=0), sigma, rtol=0.04)


def test_read_noise_changes_the_currents_not_the_devices():
    quiet = Network(AgentConfig().with_overrides(SMALL), seed=1)
    noisy = Network(AgentConfig().with_overrides(SMALL + ['device.read_noise=0.3']), seed=1)
    for net in (quiet, noisy):
        net.obs[:] = (0.0, 0.0, 0.01, 0.0)
        _command(net, has_prev=False)
        net.bind(tick)()
    assert int(noisy.rng[1]) > int(quiet.rng[1])          # the reads drew their noise
    assert not np.array_equal(quiet.neurons.count, noisy.neurons.count)
    np.testing.assert_array_equal(quiet.synapses.w_pos, noisy.synapses.w_pos)


# ---------------------------------------------------------------------------- write steps
def _one_live_row(config, trace_value, seed=0):
    net = Network(config, seed=seed)
    i = 7
    net.inputs.live[0] = i
    net.inputs.is_live[i] = True
    net.carry['n_live'] = 1
    net.inputs.bound[:, i] = abs(trace_value)
    net.synapses.trace[i] = trace_value
    return net, i


def _failures(net, count, kernel=tick):
    """Ticks at a failure: M = -1 - V(s) with V(s) = 0, the traces left as they are."""
    run = net.bind(kernel)
    for _ in range(count):
        net.carry['v_prev'] = 0.0
        _command(net, S.PHASE_TERMINAL, -1.0)
        run()


@pytest.mark.parametrize('kernel', [tick, tick_reference], ids=['numba', 'numpy'])
def test_a_random_write_step_is_a_whole_step_with_the_probability_of_the_request(kernel):
    step, eta, trace = 0.002, 0.0025, 0.2          # request x = eta M e = -5e-4 = step / 4
    config = AgentConfig().with_overrides([
        'device.model=ideal', f'actor.write_step={step}', 'actor.write_mode=random',
        f'actor.eta={eta}', 'critic.eta=0', 'learning.anneal=false'])
    net, i = _one_live_row(config, trace)
    ticks = 60 if kernel is tick else 15
    _failures(net, ticks, kernel)
    actor = slice(0, 2 * net.n_actor)
    syn = net.synapses
    moved = 0.3 - syn.w_pos[i, actor]                 # the ideal device moves by the step
    writes = syn.writes_pos[i, actor]
    np.testing.assert_allclose(moved, writes * step, rtol=1e-9, atol=1e-15)
    # Expected change = the request: a quarter of the columns per tick, on average.
    assert abs(writes.sum() / (ticks * writes.size) - 0.25) < 0.05
    assert np.all(syn.pending_pos[i] == 0.0)         # no register
    assert syn.writes_pos[i, 2 * net.n_actor:].sum() == 0   # critic rate 0


def test_a_register_write_step_programs_the_sum_once_it_reaches_the_step():
    config = AgentConfig().with_overrides([
        'device.model=ideal', 'actor.write_step=0.002', 'actor.eta=0.0025', 'critic.eta=0',
        'learning.anneal=false'])
    net, i = _one_live_row(config, 0.2)
    actor = slice(0, 2 * net.n_actor)
    syn = net.synapses
    _failures(net, 3)
    assert syn.writes_pos[i, actor].sum() == 0
    np.testing.assert_allclose(syn.pending_pos[i, actor], -0.0015)
    _failures(net, 1)                                  # the fourth request completes the step
    assert np.all(syn.writes_pos[i, actor] == 1) and np.all(syn.pending_pos[i, actor] == 0.0)
    np.testing.assert_allclose(syn.w_pos[i, actor], 0.3 - 0.002)


def test_a_write_step_on_quantized_devices_uses_the_register_with_stochastic_rounding():
    config = AgentConfig().with_overrides([
        'device.levels=16', 'actor.write_step=0.002', 'actor.eta=0.0025', 'critic.eta=0',
        'learning.anneal=false'])
    net, i = _one_live_row(config, 0.2)
    _failures(net, 3)
    np.testing.assert_allclose(net.synapses.pending_pos[i, :2 * net.n_actor], -0.0015)


# ---------------------------------------------------------------------------- local rule
def test_silent_depression_lowers_only_the_silent_neurons_synapses():
    local = SMALL + ['learning.eligibility=local', 'learning.tick_gated=true', 'actor.bias=1.2',
                     'actor.inhibition=0.25', 'actor.noise=0.05']
    plain = Network(AgentConfig().with_overrides(local), seed=3)
    pushed = Network(AgentConfig().with_overrides(local + ['learning.silent_depression=0.1']),
                     seed=3)
    for net in (plain, pushed):
        net.obs[:] = (0.0, 0.0, 0.01, 0.0)
        _command(net, has_prev=False)
        net.bind(tick)()
    A = plain.n_actor
    i = int(plain.scratch.active[0])
    silent = plain.neurons.count[:2 * A] == 0
    assert 0 < silent.sum() < 2 * A
    difference = pushed.synapses.trace[i, :2 * A] - plain.synapses.trace[i, :2 * A]
    n_pre = plain.scratch.active_spikes[0]
    np.testing.assert_allclose(difference[silent], -0.1 * n_pre / float(plain.params['pre_norm']))
    assert np.all(difference[~silent] == 0.0)
    np.testing.assert_array_equal(pushed.synapses.trace[:, 2 * A:], plain.synapses.trace[:, 2 * A:])


def test_ltd_scale_scales_the_depression_half_of_the_window():
    plus, minus = timing_kernels('ppx', 150, 1.0)
    scaled = AgentConfig().with_overrides(['learning.ltd_scale=0.4'])
    p, m = pairing_tables(scaled)
    np.testing.assert_array_equal(p, plus)
    np.testing.assert_allclose(m, 0.4 * minus)
    np.testing.assert_array_equal(pairing_tables(AgentConfig())[1], minus)


def test_with_half_the_depression_a_spike_in_the_middle_of_the_tick_earns_credit():
    # The shipped input phase fires a full box at steps 2, 7, 12 and 17; a neuron that fires
    # once, at step 8, pairs after 2 and 7 (potentiation) and before 12 and 17 (depression).
    # With the device's own window that nets negative: positive credit would need a second,
    # late spike. With the depression half at 0.5 the mid-tick spike earns credit itself.
    def z(ltd_scale):
        plus, minus = pairing_tables(AgentConfig().with_overrides(
            [f'learning.ltd_scale={ltd_scale}']))
        return plus[8 - 2] + plus[8 - 7] - minus[12 - 8] - minus[17 - 8]
    assert z(1.0) < 0.0 < z(0.5)
