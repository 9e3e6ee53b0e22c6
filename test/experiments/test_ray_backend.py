"""memsnn-compare --backend ray on a local Ray instance (2 CPUs) that this module starts: the same
rows as the local process pool, files shipped back from the workers, resume, a failing trial, a
lost worker retried, a graceful stop, and the CLI connecting to a running instance.

Skipped when Ray (the 'cluster' extra) is not installed; `make test` installs it."""

import glob
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from types import SimpleNamespace

from exp_support import TINY, TINY_ARGS, run_module, warm_numba
import numpy as np
import pytest

from memsnn_controller.apps.compare import build_parser, main, plan, run_grid
from memsnn_controller.experiments import grid, ray_backend, report
from memsnn_controller.experiments import runfolder as rf

MODULE = 'memsnn_controller.apps.compare'
RUN_FILES = (rf.CONFIG_FILE, rf.RUN_FILE, rf.EPISODES_FILE, rf.CHECKPOINT_FILE, rf.SUMMARY_FILE,
             rf.CURVE_FILE)
WALL = ('wall_s', 'elapsed_s', 'tick_us')  # measured times
GRID = ('--rewards', 'sparse', 'angle', '--seeds', '2', '--episodes', '3', '--checkpoint-every',
        '2', '--no-progress', *TINY_ARGS)


class LoseWorker:
    """A RayBackend ``before_trial`` hook: the worker that starts a run whose marker file exists
    in ``folder`` deletes the marker and kills itself (a lost worker, which Ray retries)."""

    def __init__(self, folder):
        self.folder = str(folder)

    def __call__(self, name):
        try:
            os.unlink(os.path.join(self.folder, name))
        except OSError:
            return  # no marker for this run (or another attempt took it)
        os.kill(os.getpid(), signal.SIGKILL)


@pytest.fixture(scope='module')
def session(tmp_path_factory):
    """One local Ray instance for the module (the backend uses it and leaves it running)."""
    ray = pytest.importorskip('ray', reason="Ray is not installed (the 'cluster' extra: pip "
                                            "install -e '.[cluster]'; make test installs it)")
    warm_numba()  # the workers load the compiled kernels from numba's on-disk cache
    # The workers cannot import this test module: its hook travels by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    kill_dir = tmp_path_factory.mktemp('kill')
    saved = signal.getsignal(signal.SIGTERM)  # ray.init replaces it
    context = ray_backend.init_local_ray(ray, num_cpus=2, include_dashboard=False,
                                         logging_level=logging.ERROR, log_to_driver=False)
    signal.signal(signal.SIGTERM, saved)
    try:
        yield SimpleNamespace(address=context.address_info['address'], kill_dir=kill_dir)
    finally:
        ray.shutdown()


def compare(out, *args):
    return main([*GRID, '--out', str(out), *map(str, args)])


def compare_on(backend, out, *args):
    """memsnn-compare's grid run on a backend made by the test (main makes its own)."""
    specs, _ = plan(build_parser().parse_args([*GRID, '--out', str(out), '--backend', 'ray',
                                               *map(str, args)]))
    os.makedirs(out, exist_ok=True)
    return run_grid(specs, str(out), 1, progress=False, backend=backend)


def rows_of(out):
    return [{k: v for k, v in r.items() if k not in WALL}
            for r in report.read_results(os.path.join(out, report.RESULTS_CSV))]


def episodes_of(folder):
    log = rf.read_episodes(os.path.join(folder, rf.EPISODES_FILE))
    return {k: v for k, v in log.items() if k not in WALL}


def same_run(a, b):
    """Two run folders hold the same learning (timings aside). Bit equality is right here: both
    executors run the same training code on the same inputs on this machine (determinism)."""
    assert episodes_of(a) == episodes_of(b)
    for name in (rf.CONFIG_FILE, rf.RUN_FILE):
        with open(os.path.join(a, name), 'rb') as fa, open(os.path.join(b, name), 'rb') as fb:
            assert fa.read() == fb.read(), name
    sa, sb = (rf.read_json(os.path.join(f, rf.SUMMARY_FILE)) for f in (a, b))
    assert {k: v for k, v in sa.items() if k not in WALL} == \
        {k: v for k, v in sb.items() if k not in WALL}
    with np.load(os.path.join(a, rf.CHECKPOINT_FILE)) as ca, \
            np.load(os.path.join(b, rf.CHECKPOINT_FILE)) as cb:
        assert sorted(ca.files) == sorted(cb.files)
        for key in ca.files:
            assert np.array_equal(ca[key], cb[key]), key


@pytest.fixture(scope='module')
def both(session, tmp_path_factory):
    """The same grid run by the local process pool and by Ray."""
    base = tmp_path_factory.mktemp('both')
    assert compare(base / 'local', '--jobs', 2) == 0
    assert compare(base / 'ray', '--backend', 'ray') == 0
    return SimpleNamespace(local=base / 'local', ray=base / 'ray')


def test_ray_gives_the_local_pool_results_row_by_row(both, capsys):
    local, ray = rows_of(both.local), rows_of(both.ray)
    assert [grid.run_key(r) for r in ray] == [
        ('sparse', 'ppx', 'default', 0), ('angle', 'ppx', 'default', 0),
        ('sparse', 'ppx', 'default', 1), ('angle', 'ppx', 'default', 1)]
    assert ray == local
    assert all(r['error'] == '' and r['episodes'] == 3 and r['env_steps'] > 0 for r in ray)
    for r in ray:
        name = grid.run_name(*(r[k] for k in grid.GRID_KEYS))
        folder = both.ray / 'runs' / name
        for file in RUN_FILES:
            assert (folder / file).is_file(), (name, file)
        same_run(folder, both.local / 'runs' / name)
        log = (folder / 'train.log').read_text()
        assert 'Ray worker on' in log and 'memsnn-ray-' not in log
    assert (both.ray / report.RESULTS_MD).read_text().count('| ppx | default | 2 |') == 2


def test_a_rerun_redoes_only_the_missing_runs(both, tmp_path, capsys):
    out = tmp_path / 'ray'
    shutil.copytree(both.ray, out)
    lost_summary, lost_folder = 'angle__ppx__default__s1', 'sparse__ppx__default__s0'
    os.unlink(out / 'runs' / lost_summary / rf.SUMMARY_FILE)
    shutil.rmtree(out / 'runs' / lost_folder)
    results = out / report.RESULTS_CSV
    report.write_results(results, [r for r in report.read_results(results) if grid.run_name(
        *(r[k] for k in grid.GRID_KEYS)) not in (lost_summary, lost_folder)])
    kept = [out / 'runs' / n for n in ('angle__ppx__default__s0', 'sparse__ppx__default__s1')]
    stamps = {(f, n): (f / n).stat().st_mtime_ns for f in kept for n in RUN_FILES}
    capsys.readouterr()

    assert compare(out, '--backend', 'ray') == 0
    assert '4 runs: 2 finished before, 2 to run on the Ray session' in capsys.readouterr().err
    assert {(f, n): (f / n).stat().st_mtime_ns for f in kept for n in RUN_FILES} == stamps
    assert rows_of(out) == rows_of(both.local)
    for name in (lost_summary, lost_folder):
        same_run(out / 'runs' / name, both.local / 'runs' / name)


def test_a_failing_trial_is_recorded_and_the_others_finish(session, tmp_path, capsys):
    out = tmp_path / 'cmp'
    broken = out / 'runs' / 'sparse__ppx__default__s0'
    broken.mkdir(parents=True)
    (broken / rf.CHECKPOINT_FILE).write_bytes(b'not a checkpoint')  # the worker cannot resume
    assert compare(out, '--backend', 'ray', '--seeds', 1) == 1
    rows = {r['reward']: r for r in report.read_results(out / report.RESULTS_CSV)}
    assert rows['angle']['error'] == '' and rows['angle']['episodes'] == 3
    error = rows['sparse']['error']
    assert str(broken) in error and rf.CHECKPOINT_FILE in error, error
    assert 'memsnn-ray-' not in error
    log = (broken / 'error.log').read_text()  # shipped back from the worker
    assert 'Traceback' in log and 'memsnn-ray-' not in log
    assert '## Failed runs' in (out / report.RESULTS_MD).read_text()
    assert '1 runs failed' in capsys.readouterr().err


def test_a_lost_worker_is_retried(both, session, tmp_path, capsys):
    out = tmp_path / 'cmp'
    name = 'angle__ppx__default__s0'
    marker = session.kill_dir / name  # the worker that starts this run kills itself (once)
    marker.touch()
    backend = ray_backend.RayBackend(max_retries=0, before_trial=LoseWorker(session.kill_dir))
    assert compare_on(backend, out, '--seeds', 1) == 1
    assert not marker.exists()
    rows = {r['reward']: r for r in report.read_results(out / report.RESULTS_CSV)}
    assert rows['sparse']['error'] == ''
    assert rows['angle']['error'].startswith('Ray worker lost (after 0 retries)'), rows['angle']

    marker.touch()
    backend = ray_backend.RayBackend(before_trial=LoseWorker(session.kill_dir))  # 3 retries
    assert compare_on(backend, out, '--seeds', 1) == 0
    assert not marker.exists()
    assert '2 runs: 1 finished before, 1 to run' in capsys.readouterr().err
    assert rows_of(out) == rows_of(both.local)[:2]
    same_run(out / 'runs' / name, both.local / 'runs' / name)


def _started(name, timeout=60):
    """Wait until a worker of this machine trains ``name`` (its staging folder has episodes)."""
    pattern = os.path.join(tempfile.gettempdir(), f'memsnn-ray-{os.getuid()}', '*', name,
                           rf.EPISODES_FILE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in glob.glob(pattern):
            try:
                with open(path, encoding='utf-8') as f:
                    if len(f.read().splitlines()) > 2:
                        return True
            except OSError:
                pass
        time.sleep(0.05)
    return False


def test_a_stopped_trial_ships_its_checkpoint_and_resumes_exactly(session, tmp_path):
    spec = grid.build_specs(['sparse'], ['ppx'], [3], 100000, 'CartPole-v1', str(tmp_path / 'r'),
                            overrides=TINY)[0]
    backend = ray_backend.RayBackend()
    name = os.path.basename(spec['out_dir'])
    watcher = threading.Thread(target=lambda: (_started(name), backend.request_stop()))
    watcher.start()
    try:
        results = list(backend.run([spec]))
    finally:
        watcher.join()
        backend.close()
    [(_, row)] = results
    assert row['status'] == 'interrupted', row
    folder = tmp_path / 'r' / 'runs' / name
    done = len(rf.read_episodes(folder / rf.EPISODES_FILE)['episode'])
    assert done >= 2 and not (folder / rf.SUMMARY_FILE).exists()
    assert 'stopped after episode' in (folder / 'train.log').read_text()

    # Resumed on Ray to a few more episodes: the same run as trained in one go, in this process.
    longer = dict(spec, episodes=done + 3)
    backend = ray_backend.RayBackend()
    try:
        [(_, row)] = list(backend.run([longer]))
    finally:
        backend.close()
    assert row['status'] == 'done' and row['episodes'] == done + 3, row
    reference = dict(longer, out_dir=str(tmp_path / 'reference'))
    assert grid.run_trial(reference)['status'] == 'done'
    same_run(folder, reference['out_dir'])


def test_the_cli_connects_to_a_running_instance(session, tmp_path):
    out = tmp_path / 'cmp'
    args = ['--backend', 'ray', '--ray-address', session.address, '--jobs', 1,
            '--cpus-per-trial', 0.5, '--rewards', 'sparse', '--seeds', 1, '--episodes', 2,
            '--no-progress', '--out', out, *TINY_ARGS]
    result = run_module(MODULE, args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f'1 to run on the Ray cluster at {session.address} (2 CPUs, 0.5 CPUs per trial)' in \
        result.stderr
    [row] = report.read_results(out / report.RESULTS_CSV)
    assert row['error'] == '' and row['episodes'] == 2


def test_ray_options_need_the_ray_backend_and_a_missing_ray_says_how_to_install(
        tmp_path, monkeypatch, capsys):
    for args, text in ((['--ray-address', 'localhost:6379'], '--ray-address: only with'),
                       (['--cpus-per-trial', '2'], '--cpus-per-trial: only with'),
                       (['--max-retries', '1'], '--max-retries: only with')):
        assert compare(tmp_path / 'cmp', *args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and text in err[0], (args, err)
    with pytest.raises(grid.GridError, match='--cpus-per-trial'):
        ray_backend.RayBackend(cpus_per_trial=0)
    monkeypatch.setitem(sys.modules, 'ray', None)  # as if Ray were not installed
    assert compare(tmp_path / 'cmp', '--backend', 'ray') == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'memsnn_controller[cluster]'" in err[0], err
    assert not (tmp_path / 'cmp').exists()
