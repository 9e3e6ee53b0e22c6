"""The compiled tick and its numpy reference agree on the same state and random stream."""

import copy

import numpy as np
import pytest

from memsnn_controller.snn import state as S
from memsnn_controller.snn.config import AgentConfig
from memsnn_controller.snn.kernels import tick
from memsnn_controller.snn.network import Network
from memsnn_controller.snn.reference import tick_reference

SMALL = ['actor.neurons_per_side=6', 'critic.neurons_per_half=12']

CASES = {
    'default': [],
    'window': ['learning.eligibility=window', 'learning.history=16'],
    'window_tick_gated_nc': ['learning.eligibility=window', 'learning.tick_gated=true',
                             'device.model=nc', 'device.w_floor=0.02'],
    'mstdpet_plain': ['learning.eligibility=mstdpet', 'learning.role_sign=false'],
    'poisson_gaussian_grid': ['encoder.coding=poisson', 'encoder.segments=[gaussian, grid]'],
    'latency': ['encoder.coding=latency', 'encoder.segments=[gaussian]'],
    'continuous_ideal': ['actor.decoder=continuous', 'device.model=ideal'],
    'nonideal': ['device.levels=16', 'device.c2c_noise=0.1', 'device.d2d_spread=0.1',
                 'device.write_threshold=0.0005', 'learning.dead_zone=0.0'],
    # Large rates, so that quantized devices do change level within the short plan.
    'nearest_levels': ['device.levels=8', 'device.rounding=nearest', 'actor.eta=0.2',
                       'critic.eta=0.2'],
    'accumulate_levels': ['device.levels=16', 'device.rounding=accumulate', 'device.c2c_noise=0.1',
                          'learning.dead_zone=0.0', 'actor.eta=0.05', 'critic.eta=0.05',
                          'actor.write_step=0', 'critic.write_step=0'],
    'reward_modulated': ['critic.enabled=false', 'learning.modulator=reward'],
    'carry_over': ['actor.reset_each_tick=false', 'critic.reset_each_tick=false',
                   'encoder.phase_reset=false', 'critic.noise=0.01'],
    'local_inhibition': ['learning.eligibility=local', 'learning.tick_gated=true',
                         'actor.bias=3.0', 'actor.inhibition=0.5', 'actor.bias_spread=0.5',
                         'learning.dead_zone=0.0', 'critic.dead_zone=0.05', 'actor.eta=0.08'],
    'local_slow_inhibition': ['learning.eligibility=local', 'learning.history=16',
                              'actor.bias=2.0', 'actor.inhibition=0.3',
                              'actor.inhibition_tau_ms=5', 'actor.dead_zone=0.02',
                              'critic.write_step=0.0005'],
    'write_steps_noisy': ['learning.eligibility=local', 'actor.inhibition=0.25',
                          'actor.eta=0.08', 'learning.dead_zone=0.0', 'actor.write_step=0.001',
                          'critic.write_step=0.0002', 'device.c2c_noise=0.1'],
    # Wear and time (large rates and short lifetimes, so that devices fail within the plan).
    'endurance_last': ['device.endurance=3', 'learning.dead_zone=0.0', 'actor.eta=0.05',
                       'critic.eta=0.05'],
    'endurance_low_levels': ['device.endurance=2', 'device.stuck=low', 'device.levels=16',
                             'device.c2c_noise=0.1', 'learning.dead_zone=0.0', 'actor.eta=0.2',
                             'critic.eta=0.2'],
    'endurance_high_accumulate': ['device.endurance=2', 'device.stuck=high',
                                  'device.levels=16', 'device.rounding=accumulate',
                                  'actor.write_step=0', 'critic.write_step=0',
                                  'learning.dead_zone=0.0', 'actor.eta=0.05', 'critic.eta=0.05'],
    'retention': ['device.retention_tau_s=0.05', 'device.retention_rest=0.2'],
    'retention_endurance_nc': ['device.model=nc', 'device.retention_tau_s=0.1',
                               'device.endurance=4', 'learning.dead_zone=0.0', 'actor.eta=0.05'],
    'read_noise': ['device.read_noise=0.05', 'device.d2d_spread=0.1'],
    'read_noise_poisson': ['device.read_noise=0.1', 'encoder.coding=poisson',
                           'encoder.segments=[gaussian, grid]'],
    'random_write_steps': ['actor.write_step=0.001', 'actor.write_mode=random',
                           'critic.write_step=0.0005', 'critic.write_mode=random',
                           'learning.dead_zone=0.0'],
    'random_write_levels': ['actor.write_step=0.002', 'actor.write_mode=random',
                            'critic.write_step=0.001', 'device.levels=16',
                            'device.c2c_noise=0.1', 'learning.dead_zone=0.0'],
    'local_push_pull': ['learning.eligibility=local', 'learning.tick_gated=true',
                        'actor.bias=3.0', 'actor.inhibition=0.25', 'learning.dead_zone=0.0',
                        'actor.eta=0.08', 'learning.silent_depression=0.1',
                        'learning.ltd_scale=0.5', 'actor.write_step=0.001',
                        'actor.write_mode=random', 'critic.write_step=0.0005'],
}


def _drive(net, kernel, plan, after_tick=None):
    run = net.bind(kernel)
    outs = []
    for obs, phase, reward, external, learn, has_prev in plan:
        net.obs[:] = obs
        cmd = net.command
        cmd['phase'], cmd['reward'], cmd['external_m'] = phase, reward, external
        cmd['learn'], cmd['has_prev'] = learn, has_prev
        run()
        outs.append([float(net.output[name]) for name in S.OUTPUT.names])
        if after_tick is not None:
            after_tick(net, phase)
        if phase != S.PHASE_STEP:
            net.reset_state()
    return outs


def _plan(seed, ticks=45):
    rng = np.random.default_rng(seed)
    plan, has_prev, state = [], False, rng.uniform(-0.05, 0.05, 4)
    for k in range(ticks):
        state = state + rng.normal(0, 1, 4) * np.array([0.05, 0.1, 0.02, 0.2])
        phase = S.PHASE_STEP
        if k % 15 == 14:
            phase = S.PHASE_TERMINAL if k % 30 == 14 else S.PHASE_TRUNCATED
        reward = -1.0 if phase == S.PHASE_TERMINAL else 0.0
        plan.append((state.copy(), phase, reward, rng.normal(0, 0.3), k % 7 != 3, has_prev))
        has_prev = phase == S.PHASE_STEP
        if phase != S.PHASE_STEP:
            state = rng.uniform(-0.05, 0.05, 4)
    return plan


@pytest.mark.parametrize('case', sorted(CASES))
def test_kernel_matches_reference(case):
    config = AgentConfig().with_overrides(SMALL + CASES[case])
    compiled = Network(config, seed=11)
    reference = copy.deepcopy(compiled)
    plan = _plan(3)
    outs_c = _drive(compiled, tick, plan)
    outs_r = _drive(reference, tick_reference, plan)
    np.testing.assert_allclose(outs_c, outs_r, rtol=1e-9, atol=1e-12)
    reference_state = reference.state_arrays()
    for name, array in compiled.state_arrays().items():
        np.testing.assert_allclose(array.astype(float), reference_state[name].astype(float),
                                   rtol=1e-9, atol=1e-12, err_msg=name)
    # The plan must have exercised learning: some device was written.
    assert compiled.synapses.writes_pos.sum() + compiled.synapses.writes_neg.sum() > 0


def test_default_network_agrees_over_a_longer_run():
    compiled = Network(AgentConfig(), seed=5)
    reference = copy.deepcopy(compiled)
    plan = _plan(8, ticks=60)
    np.testing.assert_allclose(_drive(compiled, tick, plan), _drive(reference, tick_reference,
                                                                     plan), rtol=1e-9)
    for plane, array in zip(S.Synapses._fields, compiled.synapses):
        np.testing.assert_allclose(array, getattr(reference.synapses, plane), rtol=1e-9,
                                   atol=1e-12, err_msg=plane)


@pytest.mark.parametrize('case', ['default', 'poisson_gaussian_grid'])
def test_spike_raster_agrees_with_reference_and_changes_nothing(case):
    config = AgentConfig().with_overrides(SMALL + CASES[case])
    plain = Network(config, seed=4)
    compiled = Network(config, seed=4, record_spikes=True)
    reference = copy.deepcopy(compiled)
    plan = _plan(5, ticks=30)
    rasters = {'compiled': [], 'reference': []}

    def keep(name):
        def after_tick(net, phase):
            if phase == S.PHASE_TERMINAL:
                return  # the network did not run
            pre, post = net.scratch.raster_pre, net.scratch.raster_post
            # The raster holds this tick's spikes: they add up to the counts it reports.
            assert post.sum(axis=0).tolist() == net.neurons.count.tolist()
            assert int(pre.sum()) == int(net.output['input_spikes'])
            rasters[name].append((pre.copy(), post.copy()))
        return after_tick

    outs_plain = _drive(plain, tick, plan)
    outs_c = _drive(compiled, tick, plan, keep('compiled'))
    _drive(reference, tick_reference, plan, keep('reference'))
    # Recording is observation only: the same code on the same inputs gives the same run.
    assert outs_c == outs_plain
    for name, array in plain.state_arrays().items():
        np.testing.assert_array_equal(array, compiled.state_arrays()[name], err_msg=name)
    assert len(rasters['compiled']) == len(rasters['reference']) > 0
    for (pre_c, post_c), (pre_r, post_r) in zip(rasters['compiled'], rasters['reference']):
        np.testing.assert_array_equal(pre_c, pre_r)
        np.testing.assert_array_equal(post_c, post_r)
    assert sum(int(pre.sum()) for pre, _ in rasters['compiled']) > 0
    assert plain.scratch.raster_post.shape == (0, plain.n_post)  # off by default


def test_activity_counts():
    net = Network(AgentConfig().with_overrides(SMALL), seed=2)
    outs = _drive(net, tick, _plan(1, ticks=15))
    names = list(S.OUTPUT.names)
    updates = [o[names.index('neuron_updates')] for o in outs]
    # Every neuron is updated in every neural step of a tick that runs the network; a failure's
    # tick (the 15th) does not run it.
    assert updates[:14] == [net.config.substeps * net.n_post] * 14 and updates[14] == 0
    assert all(o[names.index('input_spikes')] > 0 for o in outs[:14])
