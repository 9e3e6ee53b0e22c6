"""memsnn-compare: train a grid of reward functions x device models x variants x seeds, in
parallel, and tabulate and plot the results.

    memsnn-compare --out runs/rewards                       # every reward, PPX, 10 seeds, 1000 ep.
    memsnn-compare --rewards sparse angle --devices ppx ideal --seeds 5 --jobs 2 --out runs/dev
    memsnn-compare --rewards sparse --seeds 5 --out runs/deadzone \\
        --variant dz0=learning.dead_zone=0 --variant dz0.05=learning.dead_zone=0.05 \\
        --variant dz0.1=learning.dead_zone=0.1          # the dead-zone (write threshold) study
    memsnn-compare --rewards sparse --seeds 10 --episodes 800 --out runs/plant \
        --plant-variant none= --plant-variant heavy=300:pole_mass=x2 \
        --plant-variant weak=300:actuator_gain=0.6 --plant-variant weak=600:original
    memsnn-compare --out runs/rewards --report-only     # regenerate results.md and the figures

Each run trains in DIR/runs/<reward>__<device>__<variant>__s<seed>/ with memsnn-train's files.
DIR/results.csv gets a row as each run finishes (report.py lists the files). Running the same
command again resumes: finished runs (summary.json present) are skipped, interrupted ones
continue from their checkpoints. A run that raises is recorded with its error (traceback in its
error.log) and the sweep goes on; it is retried by the next invocation.

Configuration of a run: the shipped default (or --config), reward.name and device.model from
the grid, every --set, then the variant's assignments. A --variant is NAME=KEY=VALUE[,KEY=VALUE]
(NAME= alone: no change); without --variant the grid has one variant, 'default'.

Plants (memsnn-train's --plant, docs/rig.md): one --plant applies to every run; several make the
plant a grid axis (variants named after the files, or VARIANT+PLANT with --variant). Plant
changes (memsnn-train's --plant-change, envs/plant.py): --plant-change applies to every
run; --plant-variant NAME=EPISODE:FIELD=VALUE[,...] makes the plant a grid axis (the same NAME
again adds a change to that schedule; NAME= is the unchanged plant). With both --variant and
--plant-variant the variants are their product, named VARIANT+PLANT.

Backends: the local process pool (default), or --backend ray: each run a Ray task on a new local
Ray instance (--jobs CPUs) or on the cluster at --ray-address, --cpus-per-trial CPUs each; a run
whose worker or node is lost is retried --max-retries times. Ray is an optional extra: pip install
'memsnn_controller[cluster]'. Both backends give the same results for the same grid and seeds.

Exit codes: 0 every run finished; 1 some runs failed (see results.md); 2 bad arguments or
configuration (nothing is run); 130 interrupted (Ctrl-C / SIGTERM: running runs finish their
episode and checkpoint; rerun the command to resume; a second Ctrl-C stops at once).
"""

import argparse
from collections.abc import Mapping, Sequence
import os
import sys
from typing import Any

from memsnn_controller.apps.cli import EXIT_FAILED, EXIT_INTERRUPTED, fail
from memsnn_controller.common.stop import StopSignals
from memsnn_controller.experiments import grid, report
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.experiments.training import (
    DEFAULT_CHECKPOINT_EVERY,
    DEFAULT_ENV,
    TrainingError,
)
from memsnn_controller.snn.config import ConfigError

PROG = 'memsnn-compare'
DEFAULT_SEEDS = 10
DEFAULT_EPISODES = 1000
DEFAULT_OUT = os.path.join('runs', 'compare')
SETTINGS_FILE = 'compare.json'


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def build_parser() -> argparse.ArgumentParser:
    from memsnn_controller.snn.devices import MODEL_CODES
    from memsnn_controller.snn.rewards import REWARDS

    p = argparse.ArgumentParser(prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
                                description=__doc__.split('\n\n')[0].split(': ', 1)[1],
                                epilog=__doc__.split('\n\n', 1)[1])
    p.add_argument('--rewards', nargs='+', metavar='NAME', default=list(REWARDS),
                   help=f'reward functions (default all: {", ".join(REWARDS)})')
    p.add_argument('--devices', nargs='+', metavar='MODEL', default=['ppx'],
                   help=f'device models among {", ".join(sorted(MODEL_CODES))} (default ppx)')
    p.add_argument('--seeds', nargs='+', default=[str(DEFAULT_SEEDS)], metavar='S',
                   help=f'N (seeds 0..N-1) or a list of seeds and ranges A-B '
                        f'(default {DEFAULT_SEEDS})')
    p.add_argument('--episodes', type=int, default=DEFAULT_EPISODES,
                   help=f'episodes per run (default {DEFAULT_EPISODES})')
    p.add_argument('--env', default=DEFAULT_ENV, help=f'gymnasium id (default {DEFAULT_ENV})')
    p.add_argument('--config', metavar='YAML', help='base configuration file')
    p.add_argument('--set', dest='overrides', action='append', default=[], metavar='KEY=VALUE',
                   help='override a config field in every run (repeatable)')
    p.add_argument('--variant', dest='variants', action='append', default=[],
                   metavar='NAME=KEY=VALUE[,KEY=VALUE...]',
                   help='add a named configuration variant to the grid (repeatable)')
    p.add_argument('--plant', dest='plants', nargs='+', default=[], metavar='NAME|YAML',
                   help="every run's plant and task (memsnn-train's --plant); several: a grid "
                        'axis, each variant named after its file')
    p.add_argument('--plant-change', dest='plant_changes', action='append', default=[],
                   metavar='EPISODE:FIELD=VALUE[,FIELD=VALUE]',
                   help="change every run's plant from EPISODE on, as memsnn-train's "
                        '--plant-change (repeatable)')
    p.add_argument('--plant-variant', dest='plant_variants', action='append', default=[],
                   metavar='NAME=EPISODE:FIELD=VALUE[,FIELD=VALUE]',
                   help='add a plant schedule NAME to the grid (repeatable; the same NAME adds '
                        'its changes to one schedule; NAME= for the unchanged plant)')
    p.add_argument('--jobs', type=int, default=None,
                   help='parallel runs (default: the number of CPUs); 1 runs in this process; '
                        'with --backend ray: the CPUs of the local Ray instance, or with '
                        '--ray-address the most runs in flight at once (default: no limit)')
    p.add_argument('--backend', choices=('local', 'ray'), default='local',
                   help='local: a pool of worker processes (default); ray: one Ray task per '
                        'run (needs the cluster extra)')
    p.add_argument('--ray-address', metavar='ADDRESS',
                   help="with --backend ray: the cluster to run on, HOST:6379, ray://HOST:10001 "
                        "or 'auto' (the one `ray start` started here, or $RAY_ADDRESS); "
                        'default: a new local Ray instance, shut down at the end')
    p.add_argument('--cpus-per-trial', type=float, default=None, metavar='N',
                   help='with --backend ray: CPUs Ray reserves for each run (default 1)')
    p.add_argument('--max-retries', type=int, default=None, metavar='N',
                   help='with --backend ray: retries of a run whose worker process or node is '
                        'lost (default 3)')
    p.add_argument('--out', metavar='DIR', default=DEFAULT_OUT,
                   help=f'output folder (default {DEFAULT_OUT})')
    p.add_argument('--checkpoint-every', type=int, default=DEFAULT_CHECKPOINT_EVERY,
                   metavar='N', help=f'checkpoint each run every N episodes '
                                     f'(default {DEFAULT_CHECKPOINT_EVERY})')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    p.add_argument('--report-only', action='store_true',
                   help='only regenerate results.md and the figures from results.csv')
    return p


def plan(args: argparse.Namespace) -> tuple[list[grid.RunSpec], dict[str, Any]]:
    """(specs, settings) from the arguments; every configuration is validated here."""
    from memsnn_controller.experiments.training import resolve_config
    from memsnn_controller.snn.devices import MODEL_CODES
    from memsnn_controller.snn.rewards import REWARDS

    rewards = grid.parse_names(args.rewards, list(REWARDS), '--rewards')
    devices = grid.parse_names(args.devices, sorted(MODEL_CODES), '--devices')
    seeds = grid.parse_seeds(args.seeds)
    variants: dict[str, list[str]] = {}
    for text in args.variants:
        name, assignments = grid.parse_variant(text)
        if name in variants:
            raise grid.GridError(f'--variant: {name!r} is given twice')
        variants[name] = assignments
    variants = variants or {grid.DEFAULT_VARIANT: []}
    variants, plant_changes = _with_plants(variants, bool(args.variants), args.plant_changes,
                                           grid.plant_variants(args.plant_variants))
    variants, plant_changes, plants = _with_plant_files(
        variants, bool(args.variants or args.plant_variants), plant_changes, args.plants)
    if args.episodes < 1:
        raise grid.GridError(f'--episodes: must be >= 1, got {args.episodes}')
    if args.checkpoint_every < 1:
        raise grid.GridError(f'--checkpoint-every: must be >= 1, got {args.checkpoint_every}')
    if args.jobs is not None and args.jobs < 1:
        raise grid.GridError(f'--jobs: must be >= 1, got {args.jobs}')
    if args.backend != 'ray':
        for option, value in (('--ray-address', args.ray_address),
                              ('--cpus-per-trial', args.cpus_per_trial),
                              ('--max-retries', args.max_retries)):
            if value is not None:
                raise grid.GridError(f'{option}: only with --backend ray')
    if args.cpus_per_trial is not None and not args.cpus_per_trial > 0:
        raise grid.GridError(f'--cpus-per-trial: must be > 0, got {args.cpus_per_trial:g}')
    if args.max_retries is not None and args.max_retries < 0:
        raise grid.GridError(f'--max-retries: must be >= 0, got {args.max_retries}')
    base = resolve_config(args.config).to_dict() if args.config else None
    specs = grid.build_specs(rewards, devices, seeds, args.episodes, args.env, args.out,
                             variants=variants, overrides=args.overrides, base_config=base,
                             checkpoint_every=args.checkpoint_every, plant_changes=plant_changes,
                             plants=plants)
    checked = set()
    for spec in specs:
        key = (spec['reward'], spec['device'], spec['variant'])
        if key not in checked:
            try:
                grid.spec_config(spec)
            except ConfigError as exc:
                where = f'variant {spec["variant"]!r}: ' if len(variants) > 1 or \
                    spec['variant'] != grid.DEFAULT_VARIANT else ''
                raise ConfigError(f'{where}{exc}') from None
            checked.add(key)
    settings = {'env': args.env, 'episodes': args.episodes, 'seeds': seeds,
                'rewards': rewards, 'devices': devices, 'variants': variants,
                'set': args.overrides, 'config': args.config}
    if any(plant_changes.values()):
        settings['plant_changes'] = plant_changes
    if plants:
        settings['plants'] = plants
    return specs, settings


def _with_plant_files(variants: dict[str, list[str]], named: bool,
                      changes: dict[str, list[str]], files: Sequence[str]
                      ) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, str]]:
    """The variants crossed with --plant's files (one file: every variant gets it), each
    variant's plant changes and plant file; every file is loaded and checked."""
    from memsnn_controller.envs.plant_file import PlantFileError, load_plant_file

    if not files:
        return variants, changes, {}
    stems: dict[str, str] = {}
    for path in files:
        try:
            load_plant_file(path)
        except PlantFileError as exc:
            raise grid.GridError(str(exc)) from None
        stem = os.path.splitext(os.path.basename(path))[0]
        if stem in stems:
            raise grid.GridError(f'--plant: two files named {stem!r}')
        stems[stem] = path
    if len(files) == 1:
        return variants, changes, {name: files[0] for name in variants}
    crossed: dict[str, list[str]] = {}
    crossed_changes: dict[str, list[str]] = {}
    plants: dict[str, str] = {}
    for variant, assignments in variants.items():
        for stem, path in stems.items():
            name = f'{variant}+{stem}' if named else stem
            crossed[name] = assignments
            crossed_changes[name] = changes.get(variant, [])
            plants[name] = path
    return crossed, crossed_changes, plants


def _with_plants(variants: dict[str, list[str]], named: bool, common: Sequence[str],
                 plants: dict[str, list[str]]
                 ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The variants crossed with the plant schedules, and each one's plant changes (the
    common --plant-change ones first); every schedule is checked."""
    from memsnn_controller.envs.plant import PlantChangeError, parse_plant_schedule

    crossed: dict[str, list[str]] = {}
    changes: dict[str, list[str]] = {}
    for variant, assignments in variants.items():
        for plant, own in (plants or {'': []}).items():
            name = variant if not plant else plant if not named else f'{variant}+{plant}'
            crossed[name] = assignments
            changes[name] = list(common) + own
            try:
                parse_plant_schedule(changes[name])
            except PlantChangeError as exc:
                where = f'--plant-variant {plant}: ' if plant else ''
                raise grid.GridError(f'{where}{exc}') from None
    return crossed, changes


def _check_env(env_id: str) -> None:
    from memsnn_controller.experiments.training import ActionAdapter, make_env

    env = make_env(env_id)
    try:
        ActionAdapter(env.action_space, 1.0)
    finally:
        env.close()


def _report_settings(settings: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not settings:
        return None
    shown = {'env': settings.get('env'), 'episodes': settings.get('episodes'),
             'seeds': len(settings.get('seeds', []))}
    if settings.get('set'):
        shown['--set'] = ' '.join(settings['set'])
    if settings.get('config'):
        shown['--config'] = settings['config']
    variants = settings.get('variants') or {}
    if variants and list(variants) != [grid.DEFAULT_VARIANT]:
        shown['variants'] = '; '.join(f'{k}: {",".join(v) or "(none)"}'
                                      for k, v in variants.items())
    plants = settings.get('plant_changes') or {}
    if plants:
        shown['plant changes'] = '; '.join(f'{k}: {" ".join(v) or "(none)"}'
                                           for k, v in plants.items())
    files = settings.get('plants') or {}
    if files:
        shown['plants'] = '; '.join(f'{k}: {v}' for k, v in files.items())
    return shown


def _read_settings(out: str) -> dict[str, Any] | None:
    path = os.path.join(out, SETTINGS_FILE)
    return rf.read_json(path) if os.path.exists(path) else None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = args.out
    if args.report_only:
        if not os.path.exists(os.path.join(out, report.RESULTS_CSV)):
            return fail(PROG, f'{out}: no {report.RESULTS_CSV} to report on')
        report.write_report(out, _report_settings(_read_settings(out)))
        print(f'{PROG}: wrote {os.path.join(out, report.RESULTS_MD)} and the figures')
        return 0
    if args.backend == 'ray':
        from memsnn_controller.experiments import ray_backend

        missing = ray_backend.missing_ray()
        if missing:
            return fail(PROG, missing)
    try:
        specs, settings = plan(args)
        _check_env(args.env)
    except (ConfigError, grid.GridError, TrainingError) as exc:
        return fail(PROG, exc)
    backend: grid.Backend | None = None
    if args.backend == 'ray':
        local = args.ray_address is None
        backend = ray_backend.RayBackend(
            address=args.ray_address, num_cpus=args.jobs if local else None,
            max_in_flight=None if local else args.jobs,
            cpus_per_trial=args.cpus_per_trial or ray_backend.DEFAULT_CPUS_PER_TRIAL,
            max_retries=(ray_backend.DEFAULT_MAX_RETRIES if args.max_retries is None
                         else args.max_retries))
    os.makedirs(out, exist_ok=True)
    rf.write_json(os.path.join(out, SETTINGS_FILE), settings)
    return run_grid(specs, out, args.jobs or _cpus(), progress=not args.no_progress,
                    settings=_report_settings(settings), backend=backend)


def run_grid(specs: Sequence[grid.RunSpec], out: str, jobs: int, progress: bool = True,
             settings: Mapping[str, Any] | None = None, backend: grid.Backend | None = None) -> int:
    """Run (or resume) the grid; returns the exit code. See the module docstring.

    backend: None for the local one (``jobs`` processes; 1: in this process), or an object with
    grid.py's backend interface (e.g. ray_backend.RayBackend)."""
    from tqdm import tqdm

    results_path = os.path.join(out, report.RESULTS_CSV)
    existing = report.read_results(results_path)
    have = {grid.run_key(r) for r in existing if not r['error']}
    pending: list[grid.RunSpec] = []
    new_rows: list[grid.Row] = []
    skipped = 0
    for spec in specs:
        try:
            summary = grid.finished_summary(spec)
        except (grid.GridError, ConfigError, OSError, ValueError) as exc:
            new_rows.append(grid.result_row(spec, error=' '.join(str(exc).split()),
                                            status='error'))
            continue
        if summary is None:
            pending.append(spec)
            continue
        skipped += 1
        if grid.run_key(spec) not in have:  # finished, but killed before its row was written
            new_rows.append(grid.result_row(spec, summary))
    for row in new_rows:
        report.append_result(results_path, row)
    if backend is None:
        backend = grid.make_backend(max(1, min(jobs, len(pending))))
    if pending:
        try:
            backend.start()
        except grid.BackendError as exc:
            backend.close()
            return fail(PROG, exc)
        except KeyboardInterrupt:  # Ctrl-C while a backend starts (Ray takes seconds)
            backend.close()
            print(f'{PROG}: interrupted before any run started', file=sys.stderr)
            return EXIT_INTERRUPTED
    print(f'{PROG}: {len(specs)} runs: {skipped} finished before, {len(pending)} to run'
          + (f' on {backend.describe()}' if pending else ''), file=sys.stderr)

    def on_stop(name: str) -> None:
        backend.request_stop()
        tqdm.write(f'{PROG}: {name}: running runs finish their episode and checkpoint; signal '
                   f'again to stop at once', file=sys.stderr)

    stop = StopSignals(on_stop, escalate=True).install()
    bar = tqdm(total=len(specs), initial=len(specs) - len(pending), unit='run',
               disable=not progress, dynamic_ncols=True, file=sys.stderr)
    failed = interrupted = 0
    aborted = False
    try:
        for _spec, row in backend.run(pending):
            if row['status'] == 'interrupted':
                interrupted += 1
                continue
            failed += row['status'] == 'error'
            report.append_result(results_path, row)
            new_rows.append(row)
            best = row['best_trailing100']
            bar.set_postfix_str(f'{grid.run_name(*(row[k] for k in grid.GRID_KEYS))}: '
                                + ('error' if row['error'] else
                                   f'best100 {best:.1f}' if best is not None else 'done'),
                                refresh=False)
            bar.update()
    except KeyboardInterrupt:
        aborted = True
        backend.abort()
    finally:
        bar.close()
        backend.close()
        stop.uninstall()
    _finalize(out, specs, existing + new_rows, settings)
    if aborted or stop():
        note = getattr(backend, 'abort_note', 'others at their last periodic checkpoint')
        print(f'{PROG}: interrupted ({interrupted} runs checkpointed'
              f'{", " + note if aborted else ""}); run the same command again to resume',
              file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f'{PROG}: wrote {os.path.join(out, report.RESULTS_MD)}'
          + (f'; {failed} runs failed' if failed else ''), file=sys.stderr)
    return EXIT_FAILED if any(r['error'] for r in report.latest_rows(existing + new_rows)
                              if grid.run_key(r) in {grid.run_key(s) for s in specs}) else 0


def _finalize(out: str, specs: Sequence[grid.RunSpec], rows: list[grid.Row],
              settings: Mapping[str, Any] | None) -> None:
    """Rewrite results.csv with one row per run (this grid's first, in grid order; rows of
    other runs kept after them) and regenerate the report."""
    rows = report.latest_rows(rows)
    order = {grid.run_key(s): i for i, s in enumerate(specs)}
    ours = sorted((r for r in rows if grid.run_key(r) in order), key=lambda r: order[
        grid.run_key(r)])
    others = [r for r in rows if grid.run_key(r) not in order]
    report.write_results(os.path.join(out, report.RESULTS_CSV), ours + others)
    report.write_report(out, settings)


if __name__ == '__main__':
    sys.exit(main())
