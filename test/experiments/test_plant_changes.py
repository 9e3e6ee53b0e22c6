"""memsnn-train's plant changes: each episode runs on the schedule's plant, resuming restores it,
run.json records it, and a bad change is a usage error naming the problem."""

import json

from exp_support import QUIET, TINY, TINY_ARGS, run_module, warm_numba
import pytest

from memsnn_controller.envs.plant import Plant
from memsnn_controller.envs.plant_env import PlantWrapper
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.experiments.training import TrainingError, train
from memsnn_controller.snn.config import AgentConfig

CONFIG = AgentConfig().with_overrides(list(TINY))
CHANGES = ['3:pole_length=x1.5,actuator_gain=0.6', '5:original']


@pytest.fixture(scope='module', autouse=True)
def _warm():
    warm_numba()


def _lengths(out):
    return rf.read_episodes(out / rf.EPISODES_FILE)['length']


def test_each_episode_runs_on_its_plant_and_a_resume_continues_exactly(tmp_path, monkeypatch):
    seen = []
    real = PlantWrapper.reset

    def reset(self, **kwargs):
        seen.append(self.plant)
        return real(self, **kwargs)

    monkeypatch.setattr(PlantWrapper, 'reset', reset)
    train(CONFIG, seed=1, episodes=7, out_dir=tmp_path / 'a', plant_changes=CHANGES, **QUIET)
    changed = Plant(pole_length=1.5, actuator_gain=0.6)
    assert seen == [Plant()] * 3 + [changed] * 2 + [Plant()] * 2
    assert json.loads((tmp_path / 'a' / rf.RUN_FILE).read_text())['plant_changes'] == CHANGES

    # The same run in two sessions: the resumed one starts on episode 4's plant (the changed
    # one) and continues bit for bit; without changes the runs part at episode 3.
    seen.clear()
    train(CONFIG, seed=1, episodes=4, out_dir=tmp_path / 'b', plant_changes=CHANGES, **QUIET)
    train(CONFIG, seed=1, episodes=7, out_dir=tmp_path / 'b', resume=True, **QUIET)
    assert seen[4] == changed
    assert _lengths(tmp_path / 'b') == _lengths(tmp_path / 'a')
    train(CONFIG, seed=1, episodes=7, out_dir=tmp_path / 'c', **QUIET)
    plain = _lengths(tmp_path / 'c')
    assert plain[:3] == _lengths(tmp_path / 'a')[:3] and plain != _lengths(tmp_path / 'a')

    with pytest.raises(rf.RunFolderError, match='run with the plant changes'):
        train(CONFIG, seed=1, episodes=8, out_dir=tmp_path / 'a', resume=True,
              plant_changes=['3:gravity=5'], **QUIET)


def test_changes_reach_the_pybullet_env(tmp_path):
    train(CONFIG, seed=0, episodes=2, env_id='memsnn/BulletCartPole-v0', out_dir=tmp_path,
          plant_changes=['1:cart_mass=2,friction=0.3'], **QUIET)
    assert len(_lengths(tmp_path)) == 2


def test_a_change_the_env_cannot_take_is_refused(tmp_path):
    with pytest.raises(TrainingError, match='not a cart-pole'):
        train(CONFIG, episodes=1, env_id='Acrobot-v1', out_dir=tmp_path / 'a',
              plant_changes=['0:gravity=5'], **QUIET)
    with pytest.raises(TrainingError, match="'2:pole_mass=x0'.*plant.pole_mass"):
        train(CONFIG, episodes=1, out_dir=tmp_path / 'b', plant_changes=['2:pole_mass=x0'],
              **QUIET)


@pytest.mark.parametrize('changes, message', [
    (['300:mass=2'], "unknown field 'mass'"),
    (['300:gravity=heavy'], 'expected a number or xF'),
    (['300:gravity=5', '100:gravity=6'], 'episodes must increase'),
])
def test_the_cli_names_a_bad_change(tmp_path, changes, message):
    args = [a for c in changes for a in ('--plant-change', c)]
    result = run_module('memsnn_controller.apps.train',
                        ['--episodes', 1, '--out', tmp_path / 'r', *TINY_ARGS, *args],
                        cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert result.stderr.startswith('memsnn-train: error: --plant-change')
    assert not (tmp_path / 'r').exists()
