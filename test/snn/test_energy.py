"""The energy estimate: E = V^2 G t per device pulse, the counts it is made of, and the agent's
activity counters that feed it."""

import math

import numpy as np
import pytest

from memsnn_controller.snn import energy
from memsnn_controller.snn.agent import Agent
from memsnn_controller.snn.config import AgentConfig, ConfigError

SMALL = AgentConfig().with_overrides(['actor.neurons_per_side=4', 'critic.neurons_per_half=8'])


def test_a_device_pulse_is_v_squared_g_t():
    assert energy.device_pulse_j(1.0, 1.0, 1.0) == pytest.approx(1e-12)       # 1 V, 1 mS, 1 ns
    assert energy.device_pulse_j(0.1, 10.0, 10.0) == pytest.approx(1e-12)     # the read default
    assert energy.device_pulse_j(2.0, 1.0, 1.0) == pytest.approx(4e-12)


def test_the_estimate_adds_reads_writes_and_neuron_updates():
    config = AgentConfig().with_overrides([
        'energy.read_voltage_v=0.2', 'energy.read_pulse_ns=5', 'energy.write_voltage_v=1.5',
        'energy.write_pulse_ns=50', 'energy.neuron_update_pj=10', 'device.g_max_ms=2',
        'energy.digital_synop_pj=20', 'energy.digital_neuron_update_pj=30',
        'energy.digital_synapse_update_pj=100'])
    activity = energy.Activity(ticks=10, input_spikes=7, neuron_updates=1000, writes=40)
    est = energy.estimate(activity, 50, config)
    assert est.synaptic_events == 7 * 50
    assert est.read_j == pytest.approx(350 * 2 * 0.2 ** 2 * 2e-3 * 5e-9)
    assert est.write_j == pytest.approx(40 * 1.5 ** 2 * 2e-3 * 50e-9)
    assert est.neuron_j == pytest.approx(1000 * 10e-12)
    assert est.total_j == pytest.approx(est.read_j + est.write_j + est.neuron_j)
    assert est.digital_j == pytest.approx((350 * 20 + 1000 * 30 + 20 * 100) * 1e-12)
    s = energy.summary(activity, 2, 50, config)
    assert tuple(s) == energy.SUMMARY_KEYS
    assert s['energy_estimate_nj_per_tick'] == pytest.approx(est.total_j * 1e9 / 10)
    assert s['energy_estimate_uj_per_episode'] == pytest.approx(est.total_j * 1e6 / 2)
    assert s['tick_us'] is None  # nothing was timed
    assert all(v is None for v in energy.summary(energy.Activity(), 0, 50, config).values())


def test_constants_are_validated_by_name():
    with pytest.raises(ConfigError, match='energy.write_pulse_ns'):
        AgentConfig().with_overrides(['energy.write_pulse_ns=-1'])
    with pytest.raises(ConfigError, match='energy.read_voltage_v'):
        AgentConfig().with_overrides(['energy.read_voltage_v=.nan'])


def _episodes(agent, n, steps=25):
    rng = np.random.default_rng(0)
    summaries = []
    for _ in range(n):
        agent.reset()
        for _ in range(steps):
            agent.step(rng.normal(0, 0.05, 4))
        summaries.append(agent.end_episode(rng.normal(0, 0.05, 4), terminated=True))
    return summaries


def test_the_agent_counts_its_activity(tmp_path):
    agent = Agent(SMALL, seed=1)
    summaries = _episodes(agent, 3)
    run = agent.activity
    n_post = agent.network.n_post
    assert n_post == energy.network_neurons(SMALL)
    # Each episode: 25 steps and the failure's tick (which learns but runs no neuron).
    assert run.ticks == 3 * 26 and run.timed_ticks == run.ticks and run.tick_ns > 0
    assert run.neuron_updates == 3 * 25 * SMALL.substeps * n_post
    assert run.writes == agent.total_writes > 0
    assert run.input_spikes > 0
    total = energy.Activity()
    for s in summaries:
        total = total + s.activity
    assert total == run
    # A checkpoint keeps the counts, not the measured time, which is no learning state.
    path = tmp_path / 'a.npz'
    agent.save(path)
    restored = Agent.from_checkpoint(path)
    again = restored.activity
    assert again[:5] == (run.ticks, run.input_spikes, run.neuron_updates, run.writes, 0)
    assert again.tick_ns == 0
    from memsnn_controller.snn.checkpoint import load_checkpoint

    assert energy.activity_of_state(load_checkpoint(path)[2]) == run._replace(timed_ticks=0,
                                                                               tick_ns=0)
    _episodes(restored, 1)
    assert restored.activity.timed_ticks == 26
    assert math.isfinite(energy.summary(restored.activity, 4, n_post, SMALL)['tick_us'])
