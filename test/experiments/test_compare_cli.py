"""memsnn-compare end to end (process pool), a killed sweep resumed, reports, grid parsing."""

import os
import signal
import sys
import time

from exp_support import TINY, TINY_ARGS, cli_env, data_rows, header, is_png, run_module, warm_numba
import pytest

from memsnn_controller.common.processes import ManagedProcess
from memsnn_controller.experiments import grid, report
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.snn.config import AgentConfig

MODULE = 'memsnn_controller.apps.compare'
RUN_FILES = (rf.CONFIG_FILE, rf.RUN_FILE, rf.EPISODES_FILE, rf.CHECKPOINT_FILE, rf.SUMMARY_FILE,
             rf.CURVE_FILE)


@pytest.fixture(scope='module', autouse=True)
def _warm():
    warm_numba()


def test_compare_grid_on_two_processes(tmp_path):
    out = tmp_path / 'cmp'
    args = ['--rewards', 'sparse', 'angle', '--seeds', 1, '--episodes', 3, '--jobs', 2,
            '--variant', 'base=', '--variant', 'dz=learning.dead_zone=0.2,critic.gamma=0.9',
            '--out', out, '--checkpoint-every', 2, *TINY_ARGS]
    result = run_module(MODULE, args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '4 to run on 2 processes' in result.stderr

    assert header(out / report.RESULTS_CSV) == list(grid.RESULT_COLUMNS)
    rows = report.read_results(out / report.RESULTS_CSV)
    assert [(r['reward'], r['variant']) for r in rows] == [
        ('sparse', 'base'), ('sparse', 'dz'), ('angle', 'base'), ('angle', 'dz')]
    for r in rows:
        assert r['device'] == 'ppx' and r['seed'] == 0 and r['error'] == ''
        assert r['episodes'] == 3 and r['env_steps'] > 0
        assert r['first_195'] is None and r['best_trailing100'] is None
        assert r['writes_per_synapse_per_episode'] == pytest.approx(r['writes_per_synapse'] / 3)
        folder = out / 'runs' / grid.run_name(r['reward'], r['device'], r['variant'], 0)
        for name in RUN_FILES:
            assert (folder / name).is_file(), (folder, name)
        assert rf.read_json(folder / rf.SUMMARY_FILE)['env_steps'] == r['env_steps']
    config = AgentConfig.from_yaml(out / 'runs' / 'angle__ppx__dz__s0' / rf.CONFIG_FILE)
    assert (config.reward.name, config.learning.dead_zone, config.critic.gamma) == \
        ('angle', 0.2, 0.9)
    assert config.critic.neurons_per_half == 10                  # --set reaches every run

    md = (out / report.RESULTS_MD).read_text()
    assert '| reward | device | variant | runs | solved |' in md
    assert '| sparse | ppx | dz | 1 | 0/1 |' in md
    assert is_png(out / report.CURVES_PNG) and is_png(out / report.TRADEOFF_PNG)

    # --report-only regenerates the report from results.csv and the runs.
    os.unlink(out / report.RESULTS_MD)
    os.unlink(out / report.CURVES_PNG)
    from memsnn_controller.apps.compare import main
    assert main(['--out', str(out), '--report-only']) == 0
    assert (out / report.RESULTS_MD).read_text() == md
    assert is_png(out / report.CURVES_PNG)



def test_a_killed_compare_resumes_without_redoing_finished_runs(tmp_path):
    out = tmp_path / 'cmp'
    args = ['--rewards', 'sparse', 'angle', 'angle_cos', '--seeds', '1', '--episodes', '60',
            '--jobs', '1', '--checkpoint-every', '10', '--out', str(out), *TINY_ARGS]
    proc = ManagedProcess([sys.executable, '-m', MODULE, *args], env=cli_env(), cwd=tmp_path,
                          log_path=tmp_path / 'compare.log', name='compare')
    results = out / report.RESULTS_CSV
    with proc:
        deadline = time.monotonic() + 90
        while proc.running() and time.monotonic() < deadline:
            if results.exists() and len(data_rows(results)) >= 1:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finished = [r['reward'] for r in report.read_results(results)]
    assert 1 <= len(finished) < 3, proc.log_text()
    first = out / 'runs' / 'sparse__ppx__default__s0'
    stamps = {name: (first / name).stat().st_mtime_ns for name in RUN_FILES}

    result = run_module(MODULE, args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f'{len(finished)} finished before, {3 - len(finished)} to run' in result.stderr
    assert {name: (first / name).stat().st_mtime_ns for name in RUN_FILES} == stamps
    rows = report.read_results(results)
    assert [r['reward'] for r in rows] == ['sparse', 'angle', 'angle_cos']
    for r in rows:
        folder = out / 'runs' / grid.run_name(r['reward'], 'ppx', 'default', 0)
        log = rf.read_episodes(folder / rf.EPISODES_FILE)
        assert log['episode'] == list(range(60)) and r['episodes'] == 60
        assert r['env_steps'] == sum(log['length']) and r['error'] == ''


def test_run_trial_records_an_error_instead_of_raising(tmp_path):
    spec = grid.build_specs(['sparse'], ['ppx'], [0], 2, 'NoSuchEnv-v0', str(tmp_path))[0]
    row = grid.run_trial(spec)
    assert row['status'] == 'error' and 'NoSuchEnv-v0' in row['error']
    assert '\n' not in row['error']
    assert 'Traceback' in (tmp_path / 'runs' / 'sparse__ppx__default__s0' / 'error.log').read_text()


def test_a_finished_run_of_another_configuration_is_not_reused(tmp_path):
    spec = grid.build_specs(['sparse'], ['ppx'], [0], 2, 'CartPole-v1', str(tmp_path))[0]
    folder = tmp_path / 'runs' / 'sparse__ppx__default__s0'
    folder.mkdir(parents=True)
    rf.write_json(folder / rf.SUMMARY_FILE, {'episodes': 2})
    rf.write_config(folder / rf.CONFIG_FILE, AgentConfig().with_overrides(['actor.eta=0.5']))
    with pytest.raises(grid.GridError, match='actor.eta'):
        grid.finished_summary(spec)
    row = grid.run_trial(spec)
    assert row['status'] == 'error' and 'actor.eta' in row['error']


def test_grid_arguments():
    assert grid.parse_variant('dz=learning.dead_zone=0.1') == ('dz', ['learning.dead_zone=0.1'])
    assert grid.parse_variant('wide=critic.bias_range=[2, 7],actor.eta=0.01') == \
        ('wide', ['critic.bias_range=[2, 7]', 'actor.eta=0.01'])
    assert grid.parse_variant('base=') == ('base', [])
    for bad in ('noequals', 'a__b=actor.eta=1', '=actor.eta=1', 'x=actor.eta'):
        with pytest.raises(grid.GridError):
            grid.parse_variant(bad)
    assert grid.parse_seeds(['3']) == [0, 1, 2]
    assert grid.parse_seeds(['4', '7']) == [4, 7]
    assert grid.parse_seeds(['1,3-5']) == [1, 3, 4, 5]
    assert grid.parse_seeds(['7,']) == [7]
    for bad in (['0'], ['a'], ['5-3'], ['1', '1']):
        with pytest.raises(grid.GridError):
            grid.parse_seeds(bad)
    assert grid.parse_names(['a,b', 'c'], ['a', 'b', 'c'], '--x') == ['a', 'b', 'c']
    with pytest.raises(grid.GridError, match="'d'"):
        grid.parse_names(['d'], ['a'], '--x')


def test_bad_compare_arguments_exit_2_before_running(tmp_path, capsys):
    from memsnn_controller.apps.compare import main

    for args, text in ((['--rewards', 'nope'], "'nope'"),
                       (['--variant', 'v=actor.eta=-1'], 'actor.eta'),
                       (['--set', 'device.levels=1'], 'device.levels'),
                       (['--seeds', '0'], '--seeds'),
                       (['--env', 'NoSuchEnv-v0'], 'NoSuchEnv-v0')):
        assert main(['--out', str(tmp_path / 'cmp'), '--episodes', '1', *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and text in err[0], (args, err)
    assert not (tmp_path / 'cmp').exists()
    assert main(['--out', str(tmp_path / 'none'), '--report-only']) == 2


def test_results_md_from_synthetic_rows():
    def row(seed, first_475, min_after, best, error=''):
        return {'reward': 'sparse', 'device': 'ppx', 'variant': 'default', 'seed': seed,
                'episodes': 1000, 'first_195': 50, 'first_475': first_475,
                'best_trailing100': best, 'final_trailing100': best,
                'min_after_475': min_after, 'env_steps': 1000, 'writes_per_synapse': 10.0,
                'writes_per_synapse_per_episode': 0.01, 'wall_s': 60.0, 'error': error}

    rows = [row(0, 100, 480.0, 490.0), row(1, None, None, 300.0), row(2, 300, 350.0, 500.0),
            row(3, None, None, None, error='RuntimeError: boom')]
    md = report.markdown(rows, {'env': 'CartPole-v1'})
    line = next(r for r in md.splitlines() if r.startswith('| sparse |'))
    cells = [c.strip() for c in line.strip('|').split('|')]
    assert cells[3:6] == ['3', '2/3', '1/2']             # runs, solved, kept >= 400
    assert cells[6] == '50 [50, 50]'                      # first 195
    assert cells[7] == '200 [100, 300] (2/3)'             # first 475
    assert cells[8] == '490.0 [300.0, 500.0]'             # best trailing-100
    assert '## Failed runs' in md and 'sparse__ppx__default__s3: RuntimeError: boom' in md
    assert 'env `CartPole-v1`' in md


def test_results_csv_round_trip(tmp_path):
    path = tmp_path / report.RESULTS_CSV
    a = grid.result_row({'reward': 'sparse', 'device': 'ppx', 'variant': 'v', 'seed': 1},
                        {'episodes': 3, 'first_195': None, 'wall_s': 1.5,
                         'writes_per_synapse': 0.25}, error='')
    b = dict(a, error='ValueError: a, "quoted" message')
    report.append_result(path, a)
    report.append_result(path, b)
    rows = report.read_results(path)
    assert len(rows) == 2 and rows[1]['error'] == 'ValueError: a, "quoted" message'
    assert rows[0]['episodes'] == 3 and rows[0]['first_195'] is None
    assert rows[0]['wall_s'] == 1.5
    assert report.latest_rows(rows) == [rows[1]]


def test_plant_variants_are_a_grid_axis(tmp_path, capsys):
    from memsnn_controller.apps.compare import build_parser, main, plan

    def specs(*args):
        return plan(build_parser().parse_args(['--rewards', 'sparse', '--seeds', '1',
                                               '--out', str(tmp_path / 'p'), *args]))

    runs, settings = specs('--plant-variant', 'none=', '--plant-variant',
                           'weak=3:actuator_gain=0.6', '--plant-variant', 'weak=5:original',
                           '--plant-change', '1:gravity=9')
    assert [(s['variant'], s['plant_changes']) for s in runs] == [
        ('none', ['1:gravity=9']), ('weak', ['1:gravity=9', '3:actuator_gain=0.6', '5:original'])]
    assert settings['plant_changes']['weak'][1] == '3:actuator_gain=0.6'
    runs, _ = specs('--variant', 'a=', '--variant', 'b=actor.eta=0.01',
                    '--plant-variant', 'heavy=2:pole_mass=x2')
    assert [(s['variant'], s['overrides'], s['plant_changes']) for s in runs] == [
        ('a+heavy', [], ['2:pole_mass=x2']),
        ('b+heavy', ['actor.eta=0.01'], ['2:pole_mass=x2'])]
    for args, text in ((['--plant-variant', 'w=3:gain=1'], "--plant-variant w: --plant-change "
                        "'3:gain=1': unknown field 'gain'"),
                       (['--plant-variant', 'w=3:gravity=1', '--plant-variant', 'w=2:gravity=2'],
                        'episodes must increase'),
                       (['--plant-change', '5:gravity=1', '--plant-variant', 'w=2:gravity=2'],
                        'episodes must increase'),
                       (['--plant-variant', 'a__b=1:gravity=2'], 'expected NAME=')):
        assert main(['--out', str(tmp_path / 'bad'), '--rewards', 'sparse', *args]) == 2
        assert text in capsys.readouterr().err, args
    assert not (tmp_path / 'bad').exists()

    # A run: the variant's plant changes reach memsnn-train's run.json; a finished run with
    # other changes is not reused.
    out = tmp_path / 'run'
    assert main(['--rewards', 'sparse', '--seeds', '1', '--episodes', '3', '--jobs', '1',
                 '--no-progress', '--out', str(out),
                 '--plant-variant', 'weak=1:actuator_gain=0.5', *TINY_ARGS]) == 0
    folder = out / 'runs' / 'sparse__ppx__weak__s0'
    assert rf.read_json(folder / rf.RUN_FILE)['plant_changes'] == ['1:actuator_gain=0.5']
    spec = dict(grid.build_specs(['sparse'], ['ppx'], [0], 3, 'CartPole-v1', str(out),
                                 variants={'weak': list(TINY)})[0])
    with pytest.raises(grid.GridError, match='plant changes'):
        grid.finished_summary(spec)
    assert 'plant changes `weak: 1:actuator_gain=0.5`' in (out / report.RESULTS_MD).read_text()
