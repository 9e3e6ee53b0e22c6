"""memsnn-train end to end, as a subprocess: outputs, resume, bad input, Ctrl-C."""

import json
import signal
import sys
import time

from exp_support import TINY, TINY_ARGS, cli_env, data_rows, header, is_png, run_module, warm_numba
import pytest

from memsnn_controller.common.processes import ManagedProcess
from memsnn_controller.experiments import metrics
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.snn.agent import Agent
from memsnn_controller.snn.config import AgentConfig

MODULE = 'memsnn_controller.apps.train'


@pytest.fixture(scope='module', autouse=True)
def _warm():
    warm_numba()


def test_train_writes_every_output_and_resumes(tmp_path):
    out = tmp_path / 'run'
    args = ['--env', 'CartPole-v1', '--episodes', 3, '--seed', 2, '--reward', 'angle',
            '--device', 'ideal', '--out', out, '--checkpoint-every', 2, *TINY_ARGS,
            '--set', 'learning.dead_zone=0.1']
    result = run_module(MODULE, args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'mean100' in result.stderr          # the progress bar
    assert '3 episodes' in result.stdout

    assert header(out / rf.EPISODES_FILE) == list(rf.EPISODE_COLUMNS)
    rows = data_rows(out / rf.EPISODES_FILE)
    assert [r.split(',')[0] for r in rows] == ['0', '1', '2']
    log = rf.read_episodes(out / rf.EPISODES_FILE)
    assert all(n > 0 for n in log['length']) and all(w >= 0 for w in log['wall_s'])

    summary = json.loads((out / rf.SUMMARY_FILE).read_text())
    assert list(summary) == list(metrics.SUMMARY_KEYS)
    assert summary['episodes'] == 3 and summary['env_steps'] == sum(log['length'])
    assert summary['first_195'] is None and summary['first_475'] is None
    assert summary['writes_per_synapse'] >= 0

    expected = AgentConfig().with_overrides(['reward.name=angle', 'device.model=ideal',
                                             *TINY, 'learning.dead_zone=0.1'])
    assert AgentConfig.from_yaml(out / rf.CONFIG_FILE) == expected
    run = json.loads((out / rf.RUN_FILE).read_text())
    assert (run['env'], run['seed'], run['episodes']) == ('CartPole-v1', 2, 3)
    agent = Agent.from_checkpoint(out / rf.CHECKPOINT_FILE)
    assert agent.episode_lengths == log['length'] and agent.seed == 2
    assert agent.config == expected
    assert is_png(out / rf.CURVE_FILE)
    from memsnn_controller.experiments.inside import FIGURES

    for name in FIGURES:  # the look inside the network
        assert is_png(out / name), name
    # The energy estimate per tick and the measured tick time.
    assert summary['energy_estimate_nj_per_tick'] > summary['energy_estimate_read_nj_per_tick'] > 0
    assert summary['tick_us'] > 0

    # --resume takes the configuration, seed and env from the folder; --episodes extends it.
    result = run_module(MODULE, ['--out', out, '--resume', '--episodes', 5, '--no-progress',
                                 '--no-figures'], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'mean100' not in result.stderr
    log5 = rf.read_episodes(out / rf.EPISODES_FILE)
    assert log5['episode'] == [0, 1, 2, 3, 4] and log5['length'][:3] == log['length']
    assert json.loads((out / rf.SUMMARY_FILE).read_text())['episodes'] == 5
    assert AgentConfig.from_yaml(out / rf.CONFIG_FILE) == expected

    # Without --resume an existing run is never overwritten.
    result = run_module(MODULE, ['--out', out, '--episodes', 1, *TINY_ARGS], cwd=tmp_path)
    assert result.returncode == 2 and 'already holds a run' in result.stderr


BAD_INPUT = [
    (['--set', 'actor.eta=-1'], 'actor.eta'),
    (['--set', 'actor.no_such_field=1'], 'actor.no_such_field'),
    (['--set', 'actor.eta'], 'override'),
    (['--reward', 'no_such_reward'], 'reward.name'),
    (['--device', 'memristor9000'], 'device.model'),
    (['--config', 'missing.yaml'], 'missing.yaml'),
    (['--env', 'NoSuchEnv-v0'], 'NoSuchEnv-v0'),
    (['--resume'], 'no checkpoint.npz'),
    (['--episodes', '-3'], '--episodes'),
]


@pytest.mark.parametrize('args, field', BAD_INPUT)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, capsys, args, field):
    from memsnn_controller.apps.train import main

    code = main(['--episodes', '1', '--out', str(tmp_path / 'run'), *args])
    assert code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('memsnn-train: error: ')
    assert field in lines[0]
    assert not (tmp_path / 'run' / rf.EPISODES_FILE).exists()


def test_overrides_in_exponent_form_are_accepted(tmp_path):
    from memsnn_controller.apps.train import main

    out = tmp_path / 'run'
    code = main(['--episodes', '1', '--out', str(out), '--no-progress', '--no-figures',
                 *TINY_ARGS, '--set', 'learning.trace_eps=1e-3', '--set', 'actor.eta=2.5E-3'])
    assert code == 0
    config = AgentConfig.from_yaml(out / rf.CONFIG_FILE)
    assert config.learning.trace_eps == 1e-3 and config.actor.eta == 2.5e-3


def test_a_bad_config_file_names_the_field(tmp_path, capsys):
    from memsnn_controller.apps.train import main

    (tmp_path / 'bad.yaml').write_text('actor:\n  eta: [1, 2]\n')
    assert main(['--config', str(tmp_path / 'bad.yaml'), '--out', str(tmp_path / 'run')]) == 2
    assert 'actor.eta' in capsys.readouterr().err
    (tmp_path / 'torn.yaml').write_text('actor: {eta: [1, 2\n')
    assert main(['--config', str(tmp_path / 'torn.yaml'), '--out', str(tmp_path / 'run')]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'not valid YAML' in err[0]


@pytest.mark.parametrize('args, field', [BAD_INPUT[0], BAD_INPUT[6]])
def test_bad_input_in_a_real_process_has_no_traceback(tmp_path, args, field):
    result = run_module(MODULE, ['--episodes', 1, '--out', tmp_path / 'run', *args],
                        cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0], result.stderr


def test_ctrl_c_finishes_the_episode_checkpoints_and_resumes(tmp_path):
    out = tmp_path / 'run'
    argv = [sys.executable, '-m', MODULE, '--episodes', 100000, '--out', out, *TINY_ARGS,
            '--checkpoint-every', 100000]
    proc = ManagedProcess(argv, env=cli_env(), cwd=tmp_path, log_path=tmp_path / 'train.log',
                          name='train')
    with proc:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.running():
            if (out / rf.EPISODES_FILE).exists() and len(data_rows(out / rf.EPISODES_FILE)) >= 5:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
    assert code == 130, proc.log_text()
    assert 'checkpoint saved' in proc.log_text()
    assert 'Traceback' not in proc.log_text()
    done = len(data_rows(out / rf.EPISODES_FILE))
    assert done >= 5
    assert Agent.from_checkpoint(out / rf.CHECKPOINT_FILE).episodes == done
    assert not (out / rf.SUMMARY_FILE).exists()
    result = run_module(MODULE, ['--out', out, '--resume', '--episodes', done + 2,
                                 '--no-progress', '--no-figures'], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert rf.read_episodes(out / rf.EPISODES_FILE)['episode'] == list(range(done + 2))
