"""train(): exact resume, stops, killed runs, refusals, action spaces (in this process)."""

import os
import shutil

from exp_support import QUIET, TINY, warm_numba
from gymnasium import spaces
import numpy as np
import pytest

from memsnn_controller.experiments import metrics
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.experiments.training import (
    ActionAdapter,
    TrainingError,
    TrainingInterrupted,
    config_differences,
    episode_seed,
    make_env,
    resolve_config,
    train,
)
from memsnn_controller.snn.agent import Agent, Decision

ENV = 'CartPole-v1'


@pytest.fixture(scope='module', autouse=True)
def _warm():
    warm_numba()


@pytest.fixture(scope='module')
def config():
    return resolve_config(overrides=TINY)


@pytest.fixture(scope='module')
def reference(config, tmp_path_factory):
    """An uninterrupted 6-episode run (seed 1)."""
    out = tmp_path_factory.mktemp('reference') / 'run'
    summary = train(config, 1, ENV, 6, out, checkpoint_every=2, **QUIET)
    return out, summary


def _deterministic(path):
    """episodes.csv without its wall-clock columns."""
    log = rf.read_episodes(path)
    return {k: v for k, v in log.items() if k not in ('wall_s', 'elapsed_s')}


def test_a_run_writes_every_file(reference, config):
    out, summary = reference
    for name in (rf.CONFIG_FILE, rf.RUN_FILE, rf.EPISODES_FILE, rf.CHECKPOINT_FILE,
                 rf.SUMMARY_FILE, rf.CURVE_FILE):
        assert (out / name).is_file(), name
    assert tuple(summary) == metrics.SUMMARY_KEYS
    assert rf.read_json(out / rf.SUMMARY_FILE) == summary
    log = rf.read_episodes(out / rf.EPISODES_FILE)
    assert log['episode'] == list(range(6))
    assert summary['env_steps'] == sum(log['length'])
    assert log['return'] == [float(n) for n in log['length']]   # CartPole: +1 per step
    assert all(t + u == 1 for t, u in zip(log['terminated'], log['truncated']))
    agent = Agent.from_checkpoint(out / rf.CHECKPOINT_FILE)
    assert agent.episode_lengths == log['length']
    n_syn = agent.network.n_in * agent.network.n_post
    assert log['writes_per_synapse'] == pytest.approx([w / n_syn for w in log['writes']],
                                                      rel=1e-5)
    assert summary['writes_per_synapse'] == pytest.approx(agent.writes_per_synapse())
    assert sum(log['writes']) == agent.total_writes
    wear = agent.device_writes()
    assert int(wear.sum()) == agent.total_writes       # every write lands on one device
    assert summary['device_writes_max'] == int(wear.max()) > 0
    assert log['elapsed_s'] == pytest.approx(list(np.cumsum(log['wall_s'])), abs=1e-5)
    from memsnn_controller.snn.config import AgentConfig
    assert AgentConfig.from_yaml(out / rf.CONFIG_FILE) == config
    assert rf.read_json(out / rf.RUN_FILE)['env'] == ENV


def test_three_plus_three_equals_six(reference, config, tmp_path):
    out_a, summary_a = reference
    out = tmp_path / 'run'
    first = train(config, 1, ENV, 3, out, **QUIET)
    assert first['episodes'] == 3
    summary = train(config, 1, ENV, 6, out, resume=True, **QUIET)
    assert _deterministic(out / rf.EPISODES_FILE) == _deterministic(out_a / rf.EPISODES_FILE)
    for key in metrics.SUMMARY_KEYS:
        if key not in ('wall_s', 'tick_us'):  # measured times
            assert summary[key] == summary_a[key], key
    assert summary['wall_s'] >= first['wall_s']


def test_a_stop_request_checkpoints_and_resumes_exactly(reference, config, tmp_path):
    out_a, _ = reference
    out = tmp_path / 'run'
    done = []

    def stop_after_two():
        done.append(1)
        return len(done) >= 2

    with pytest.raises(TrainingInterrupted) as info:
        train(config, 1, ENV, 6, out, checkpoint_every=100, should_stop=stop_after_two, **QUIET)
    assert info.value.episodes == 2 and info.value.checkpointed
    assert not (out / rf.SUMMARY_FILE).exists()
    assert Agent.from_checkpoint(out / rf.CHECKPOINT_FILE).episodes == 2
    assert len(rf.read_episodes(out / rf.EPISODES_FILE)['length']) == 2
    train(config, 1, ENV, 6, out, resume=True, **QUIET)
    assert _deterministic(out / rf.EPISODES_FILE) == _deterministic(out_a / rf.EPISODES_FILE)


def test_rows_after_the_last_checkpoint_are_redone(reference, config, tmp_path):
    """A process killed after writing episodes 2 and 3 but before checkpointing them."""
    out_a, _ = reference
    out = tmp_path / 'run'
    train(config, 1, ENV, 2, out, **QUIET)
    shutil.copy(out / rf.CHECKPOINT_FILE, tmp_path / 'after2.npz')
    train(config, 1, ENV, 4, out, resume=True, **QUIET)
    with open(out / rf.EPISODES_FILE, 'a') as f:
        f.write('4,17,17,-1,3')            # a torn last line
    shutil.copy(tmp_path / 'after2.npz', out / rf.CHECKPOINT_FILE)
    os.unlink(out / rf.SUMMARY_FILE)
    train(config, 1, ENV, 6, out, resume=True, **QUIET)
    assert _deterministic(out / rf.EPISODES_FILE) == _deterministic(out_a / rf.EPISODES_FILE)


def test_extending_a_finished_run_and_asking_for_no_more(reference, config, tmp_path):
    out = tmp_path / 'run'
    shutil.copytree(reference[0], out)
    same = train(config, 1, ENV, 6, out, resume=True, **QUIET)
    assert same['episodes'] == 6
    longer = train(config, 1, ENV, 8, out, resume=True, **QUIET)
    assert longer['episodes'] == 8
    assert rf.read_episodes(out / rf.EPISODES_FILE)['episode'] == list(range(8))


def test_refusals(reference, config, tmp_path):
    out_a = reference[0]
    with pytest.raises(rf.RunFolderError, match='already holds a run'):
        train(config, 1, ENV, 6, out_a, **QUIET)
    with pytest.raises(rf.RunFolderError, match='no checkpoint.npz'):
        train(config, 1, ENV, 6, tmp_path / 'empty', resume=True, **QUIET)
    other = config.with_overrides(['actor.eta=0.01'])
    with pytest.raises(TrainingError, match='actor.eta'):
        train(other, 1, ENV, 6, out_a, resume=True, **QUIET)
    with pytest.raises(TrainingError, match='seed 1'):
        train(config, 2, ENV, 6, out_a, resume=True, **QUIET)
    with pytest.raises(TrainingError, match='NoSuchEnv'):
        train(config, 1, 'NoSuchEnv-v0', 6, tmp_path / 'x', **QUIET)
    with pytest.raises(ValueError, match='episodes'):
        train(config, 1, ENV, -1, tmp_path / 'y', **QUIET)


def test_make_env_errors_are_readable():
    with pytest.raises(TrainingError, match="env 'memsnn/NoSuch-v0'"):
        make_env('memsnn/NoSuch-v0')


def test_episode_seeds_are_fixed_and_distinct():
    assert episode_seed(3, 7) == episode_seed(3, 7)
    seeds = {episode_seed(s, k) for s in range(5) for k in range(100)}
    assert len(seeds) == 500


def test_action_adapter():
    d = Decision(force=-7.5, action=0, value=0.0, modulator=0.0, writes=0)
    discrete = ActionAdapter(spaces.Discrete(2), 10.0)
    assert discrete.discrete and discrete(d) == 0
    unit = ActionAdapter(spaces.Box(-1.0, 1.0, (1,), np.float32), 10.0)
    assert unit(d).tolist() == [-0.75] and unit(d).dtype == np.float32
    newtons = ActionAdapter(spaces.Box(-5.0, 5.0, (1,), np.float32), 10.0)
    assert newtons(d).tolist() == [-5.0]   # clipped to the space
    for bad in (spaces.Discrete(3), spaces.Box(-1.0, 1.0, (2,)), spaces.MultiBinary(2)):
        with pytest.raises(TrainingError, match='action space'):
            ActionAdapter(bad, 10.0)


def test_a_box_environment_trains(config, tmp_path):
    pytest.importorskip('pybullet')
    pytest.importorskip('memsnn_controller.envs')
    env_id = 'memsnn/BulletCartPoleContinuous-v0'
    summary = train(config, 0, env_id, 2, tmp_path / 'box', **QUIET)
    assert summary['episodes'] == 2
    log = rf.read_episodes(tmp_path / 'box' / rf.EPISODES_FILE)
    assert len(log['length']) == 2 and all(n > 0 for n in log['length'])


def test_config_differences():
    a = {'actor': {'eta': 0.1, 'bias': 1.0}, 'seed': 1}
    b = {'actor': {'eta': 0.2, 'bias': 1.0}, 'seed': 2}
    assert config_differences(a, b) == ['actor.eta', 'seed']
