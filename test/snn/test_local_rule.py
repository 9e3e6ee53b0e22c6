"""The device-local rule (learning.eligibility=local): each actor synapse's eligibility is its
own pre/post pairs through the device's window, nothing else; the critic's is presynaptic
spikes with its population's fixed sign. Also the levers that came with it: mutual inhibition,
bias spread, per-group dead zones and write steps."""

import numpy as np
import pytest

from memsnn_controller.snn import state as S
from memsnn_controller.snn.config import AgentConfig
from memsnn_controller.snn.kernels import tick
from memsnn_controller.snn.network import Network
from memsnn_controller.snn.reference import tick_reference

LOCAL = ['learning.eligibility=local', 'learning.tick_gated=true', 'learning.history=32',
         'actor.neurons_per_side=6', 'critic.neurons_per_half=12', 'actor.bias=3.0',
         'actor.noise=0.05', 'actor.write_step=0', 'critic.write_step=0']


def _command(net, phase=S.PHASE_STEP, reward=0.0, learn=True, has_prev=False):
    cmd = net.command
    cmd['phase'], cmd['reward'], cmd['external_m'] = phase, reward, 0.0
    cmd['learn'], cmd['has_prev'] = learn, has_prev


def _one_tick(overrides, kernel, obs=(0.0, 0.0, 0.01, 0.0)):
    net = Network(AgentConfig().with_overrides(LOCAL + overrides), seed=2)
    net.obs[:] = obs
    _command(net)
    net.bind(kernel)()
    return net


def _pair_sum(net, i, j):
    """z_ij from the spike times the rings hold: LTP pairs weighted at the post spike's step,
    LTD pairs at the pre spike's step (d^(K-1-k) as in plasticity.in_tick_weights; the first tick
    starts at time 0, so a spike's time is its step)."""
    pre_ring, post_ring = net.inputs.ring, net.neurons.ring
    pre = pre_ring.times[i, :pre_ring.fill[i]]
    post = post_ring.times[j, :post_ring.fill[j]]
    window = int(net.params['window_steps'])
    kplus, kminus = net.tables.kplus, net.tables.kminus
    weight = net.tables.in_tick_weight
    z, n_ltd = 0.0, 0
    for tp in pre:
        for tq in post:
            lag = int(tq - tp)
            if 0 < lag <= window:
                z += kplus[lag] * weight[int(tq), j]
            elif 0 < -lag <= window:
                z -= kminus[-lag] * weight[int(tp), j]
                n_ltd += 1
    return z, n_ltd


@pytest.mark.parametrize('kernel', [tick, tick_reference], ids=['numba', 'numpy'])
def test_actor_eligibility_is_the_synapses_own_pairs(kernel):
    net = _one_tick([], kernel)
    A, C = net.n_actor, net.n_critic
    rows = np.nonzero(net.inputs.ring.fill > 0)[0]
    assert rows.size == 1  # the active box
    i = rows[0]
    assert net.inputs.ring.fill[i] == 4 and net.neurons.ring.fill[:2 * A].sum() > 0
    expected, n_ltd = np.array([_pair_sum(net, i, j) for j in range(2 * A)]).T
    trace = net.synapses.trace
    np.testing.assert_allclose(trace[i, :2 * A], expected, rtol=1e-12, atol=1e-15)
    assert np.any(expected > 0) and n_ltd.sum() > 0  # both halves of the window took part
    # Critic: +n_pre / pre_norm onto V+, -n_pre / pre_norm onto V-; no pairing on its columns.
    pre_norm = float(net.params['pre_norm'])
    np.testing.assert_allclose(trace[i, 2 * A:2 * A + C], 4 / pre_norm)
    np.testing.assert_allclose(trace[i, 2 * A + C:], -4 / pre_norm)
    assert net.neurons.ring.fill[2 * A:].sum() == 0


def test_the_action_sign_setting_does_not_reach_the_local_rule():
    with_sign = _one_tick(['learning.role_sign=true'], tick)
    without = _one_tick(['learning.role_sign=false'], tick)
    assert np.any(with_sign.synapses.trace != 0.0)
    np.testing.assert_array_equal(with_sign.synapses.trace, without.synapses.trace)


def test_inhibition_silences_the_population_that_loses():
    losers = {}
    for inhibition in (0.0, 2.0):
        net = Network(AgentConfig().with_overrides(
            LOCAL + [f'actor.inhibition={inhibition}', 'learning.enabled=false']), seed=4)
        A = net.n_actor
        run = net.bind(tick)
        counts = []
        for _ in range(200):
            net.obs[:] = (0.0, 0.0, 0.01, 0.0)
            _command(net, learn=False)
            run()
            left, right = net.neurons.count[:A].sum(), net.neurons.count[A:2 * A].sum()
            counts.append(min(left, right))
        losers[inhibition] = np.mean(counts)
    # Tonic populations both fire every tick alone; inhibition leaves the loser (nearly) silent.
    assert losers[0.0] >= 6 and losers[2.0] <= 0.2 * losers[0.0]


def test_bias_spread_makes_actor_neurons_differ_and_keeps_the_other_draws():
    plain = Network(AgentConfig().with_overrides(LOCAL), seed=3)
    spread = Network(AgentConfig().with_overrides(LOCAL + ['actor.bias_spread=0.5']), seed=3)
    A = plain.n_actor
    bias = spread.neurons.bias[:2 * A]
    assert np.all(np.abs(bias - 3.0) <= 0.5) and np.std(bias) > 0.1
    np.testing.assert_array_equal(plain.neurons.bias[2 * A:], spread.neurons.bias[2 * A:])
    np.testing.assert_array_equal(plain.synapse_store.planes, spread.synapse_store.planes)


def _three_ticks(net):
    """Two steps, then a failure: the failure's M = -1 - V(s) passes any small dead zone."""
    run = net.bind(tick)
    for k, phase in enumerate((S.PHASE_STEP, S.PHASE_STEP, S.PHASE_TERMINAL)):
        net.obs[:] = (0.0, 0.0, 0.01 * k, 0.0)
        _command(net, phase, -1.0 if phase == S.PHASE_TERMINAL else 0.0, has_prev=k > 0)
        run()


@pytest.mark.parametrize('group', ['actor', 'critic'])
def test_a_groups_dead_zone_keeps_only_its_devices_unwritten(group):
    net = Network(AgentConfig().with_overrides(LOCAL + [f'{group}.dead_zone=10',
                                                        'learning.dead_zone=0']), seed=1)
    _three_ticks(net)
    A = net.n_actor
    writes = net.synapses.writes_pos.astype(int) + net.synapses.writes_neg
    actor_writes, critic_writes = writes[:, :2 * A].sum(), writes[:, 2 * A:].sum()
    closed, open_ = ((actor_writes, critic_writes) if group == 'actor'
                     else (critic_writes, actor_writes))
    assert closed == 0 and open_ > 0


def test_below_the_write_step_the_register_holds_the_summed_request_and_nothing_is_written():
    net = Network(AgentConfig().with_overrides(LOCAL + ['learning.dead_zone=0',
                                                        'critic.write_step=1e9']), seed=1)
    A = net.n_actor
    syn = net.synapses
    w_pos, w_neg = syn.w_pos.copy(), syn.w_neg.copy()
    run = net.bind(tick)
    expected = np.zeros_like(syn.trace)
    for k, phase in enumerate((S.PHASE_STEP, S.PHASE_STEP, S.PHASE_STEP, S.PHASE_TERMINAL)):
        trace = syn.trace.copy()
        net.obs[:] = (0.0, 0.0, 0.01 * k, 0.0)
        _command(net, phase, -1.0 if phase == S.PHASE_TERMINAL else 0.0, has_prev=k > 0)
        run()
        if k > 0:
            # The writes of a tick use the traces left by the tick before.
            M = float(net.output['modulator'])
            expected += net.neurons.eta * M * trace
    critic = slice(2 * A, None)
    assert np.any(expected[:, critic] != 0.0)
    np.testing.assert_allclose(syn.pending_pos[:, critic], expected[:, critic], rtol=1e-12,
                               atol=1e-18)
    np.testing.assert_array_equal(syn.w_pos[:, critic], w_pos[:, critic])
    np.testing.assert_array_equal(syn.w_neg[:, critic], w_neg[:, critic])
    assert syn.writes_pos[:, critic].sum() == 0
    # The actor (no write step) was written as usual.
    assert syn.writes_pos[:, :2 * A].sum() > 0
