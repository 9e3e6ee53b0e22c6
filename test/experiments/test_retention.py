"""The retention harness: a solved agent idles (its devices relax), then plays frozen and
relearns; its phases, its table and its command line."""

import json

from exp_support import TINY
import numpy as np

from memsnn_controller.experiments import continual, retention
from memsnn_controller.snn.config import AgentConfig

CONFIG = AgentConfig().with_overrides(list(TINY))


def _solve_quickly(monkeypatch):
    """A 'solve' of three episodes, so that every phase after it runs in a test's time."""
    def solve(agent, env, seed, budget, env_seed=continual.episode_seed):
        lengths, writes, surprise = continual.run_episodes(agent, env, seed, 0, 3, env_seed)
        return lengths, writes, surprise, 2
    monkeypatch.setattr(retention, 'solve', solve)


def test_idling_relaxes_the_devices_only_with_retention(monkeypatch):
    _solve_quickly(monkeypatch)
    plain = retention.run_seed(CONFIG, 0, idle_s=3600.0, test_episodes=3, relearn_episodes=4)
    relaxing = retention.run_seed(CONFIG.with_overrides(['device.retention_tau_s=1000']), 0,
                                  idle_s=3600.0, test_episodes=3, relearn_episodes=4)
    for r in (plain, relaxing):
        assert r['first_475'] == 2 and r['solve_episodes'] == 3
        assert len(r['frozen']['lengths']) == len(r['frozen_after_idle']['lengths']) == 3
        assert len(r['relearn']['lengths']) == 4 and r['relearn']['recovery'] is None
        assert len(r['learning_no_idle']['lengths']) == 4
    assert plain['device_drift'] == 0.0 and relaxing['device_drift'] > 0.0
    # Without retention the idle changes nothing: the frozen phases are the same episodes.
    assert plain['frozen']['lengths'] == plain['frozen_after_idle']['lengths']


def test_phase_metrics_and_table():
    lengths = np.array([500] * 25, dtype=np.int64)
    m = retention.phase(lengths)
    assert (m['mean'], m['first20_mean'], m['recovery']) == (500.0, 500.0, 20)
    assert retention.phase(np.array([10] * 30, dtype=np.int64))['recovery'] is None
    solved = {'first_475': 200, 'device_drift': 0.01, 'frozen': m, 'frozen_after_idle': m,
              'relearn': m, 'learning_no_idle': m}
    text = retention.table([solved, {'first_475': None}])
    assert 'solved 1/2' in text and '| learning on after idle | 500 [500, 500]' in text


def test_the_command_line_writes_its_results(tmp_path, monkeypatch, capsys):
    _solve_quickly(monkeypatch)
    out = tmp_path / 'r.json'
    assert retention.main(['--seeds', '0', '--set', 'actor.neurons_per_side=4', '--set',
                           'critic.neurons_per_half=6', '--idle', '60', '--test-episodes', '2',
                           '--relearn-episodes', '2', '--out', str(out)]) == 0
    data = json.loads(out.read_text())
    assert data['idle_s'] == 60.0 and data['results'][0]['seed'] == 0
    assert 'frozen after idle' in capsys.readouterr().out
    assert retention.main(['--set', 'device.read_noise=-1']) == 2
