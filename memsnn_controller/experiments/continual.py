"""Continual learning: solve CartPole-v1 (or a plant file's rig), change the plant, learn on,
then change it back.

    python -m memsnn_controller.experiments.continual --seeds 0 1 2 --out runs/continual/a.json
    python -m memsnn_controller.experiments.continual --seeds 0 --changes force \\
        --set learning.reopen_window=0 --out runs/continual/plain.json
    python -m memsnn_controller.experiments.continual --plant rig --seeds 0 --changes force \\
        --out runs/continual/rig.json                      # the rig preset's motor weakening
    python -m memsnn_controller.experiments.continual --merge a.json b.json   # one table
    python -m memsnn_controller.experiments.continual --figure fig.png a.json --figure-change force

The schedule of one seed, learning on throughout (issue 16's probe, docs/science.md section 15):

1. Solve: train the agent on gymnasium's CartPole-v1 until the trailing-100 mean first reaches
   475 (``solve_budget`` episodes at most; an unsolved seed gets no changes).
2. For each plant change, from a copy of the solved agent: set the changed plant
   (``PLANT_CHANGES``, envs/plant.py's fields through envs/plant_env.PlantWrapper: pole mass x2,
   pole length x1.5, gravity x1.5, actuator gain 0.6, i.e. CartPole-v1's force_mag x0.6) and
   learn on for ``changed_episodes``, then restore the original plant for ``return_episodes``.
   The change 'none' keeps the plant: the stability of a solved agent over the same episodes.

Episode k of a seed (counted from the first episode of the solve) always starts from
``env.reset(seed=training.episode_seed(seed, k))``, as memsnn-train does: the solve is
memsnn-train's run, episode for episode, and each change is memsnn-train's run continued with
``--plant-change S:FIELD=VALUE --plant-change S+changed:original`` (S = the solve's episodes;
the result records these texts as ``plant_changes``). Every change of a seed continues from the
same solved agent with the same starting states. ``--env-seeds probe`` resets episode k with
seed + k instead, which reproduces section 10's probe for seed 0 (solved at episode 265;
recovery: mass 20, length 130, gravity 309, force 328).

Per phase (the changed plant, then the return), from its own episodes only:
- ``first20_mean``, ``first20_min``: the first 20 episodes;
- ``recovery``: the number of episodes until the trailing-20 mean is >= 450 (a full window of
  the phase's own episodes, so at least 20: 20 is the smallest value it can measure; None if it
  never is);
- ``dip``: the lowest trailing-20 mean of the phase;
- ``writes_recovery``: device writes per synapse in the episodes up to recovery (all of the
  phase if it never recovers);
- ``final100``: the mean of the phase's last 100 episodes; ``min100``: its lowest trailing-100
  mean (None when the phase is shorter than 100 episodes).
The change 'none' also gets ``min_after_475``: the lowest trailing-100 mean from the solving
episode to the end of its return phase (stability on the unchanged plant).
"""

import argparse
from collections.abc import Callable
import json
import math
import os
import statistics
import sys
import time
from typing import TYPE_CHECKING, Any
import warnings

import numpy as np

from memsnn_controller.envs.plant import parse_plant_change
from memsnn_controller.envs.plant_env import PlantWrapper
from memsnn_controller.experiments import metrics
from memsnn_controller.experiments.training import (
    ActionAdapter,
    control_pipeline,
    episode_seed,
    make_env,
    run_episode_pipeline,
)

if TYPE_CHECKING:
    import gymnasium
    from numpy.typing import NDArray

    from memsnn_controller.envs.plant_file import PlantFile
    from memsnn_controller.snn.agent import Agent
    from memsnn_controller.snn.config import AgentConfig

ENV_ID = 'CartPole-v1'
SOLVE_LEVEL = 475
RECOVERY_LEVEL = 450
RECOVERY_WINDOW = 20
# Each change as the fields of a --plant-change (the section-10 probe's factors; CartPole-v1's
# force_mag x0.6 is the actuator gain 0.6). 'none' keeps the plant.
PLANT_CHANGES = {
    'none': '',
    'mass': 'pole_mass=x2',
    'length': 'pole_length=x1.5',
    'gravity': 'gravity=x1.5',
    'force': 'actuator_gain=0.6',
}
DEFAULT_CHANGES = ('none', 'mass', 'length', 'gravity', 'force')


def schedule_texts(name, start, changed_episodes):
    """The change ``name`` as memsnn-train's --plant-change texts: from episode ``start`` the
    changed plant, from ``start + changed_episodes`` the original ([] for 'none')."""
    fields = PLANT_CHANGES[name]
    if not fields:
        return []
    return [f'{start}:{fields}', f'{start + changed_episodes}:original']


def changed_plant(name, original):
    """The plant of the change ``name``, factors taken from ``original``."""
    fields = PLANT_CHANGES[name]
    return parse_plant_change(f'0:{fields}').apply(original, original) if fields else original


def probe_seed(seed, episode):
    """The reset seed of section 10's probe: seed + episode (``--env-seeds probe``)."""
    return int(seed) + int(episode)


ENV_SEEDS = {'train': episode_seed, 'probe': probe_seed}


class Rig:
    """A plant file's rig for the harness: its PlantWrapper with the file's plant and task, and
    the controller's side that memsnn-train runs on it (training.control_pipeline: the sensor
    front end, the delay compensation, the safety layer and the supervisor between episodes)."""

    def __init__(self, config: 'AgentConfig', plant_file: 'PlantFile') -> None:
        self.plant_file = plant_file
        self.env = PlantWrapper(make_env(ENV_ID, plant_file.task))
        self.env.use_plant_file(plant_file)
        self.pipeline = control_pipeline(config, plant_file)
        self.adapter = ActionAdapter(self.env.action_space, config.actor.force_limit)
        if self.pipeline is not None and self.pipeline.supervisor is not None:
            self.env.set_between(self.pipeline.between)


def run_episodes(agent: 'Agent', env: 'gymnasium.Env[Any, Any]', seed: int, first: int,
                 count: int, env_seed: Callable[[int, int], int] = episode_seed,
                 rig: Rig | None = None
                 ) -> tuple['NDArray[np.int64]', 'NDArray[np.int64]', 'NDArray[np.float64]']:
    """Run ``count`` learning episodes, the first with index ``first``, episode k starting from
    ``env.reset(seed=env_seed(seed, k))``; returns per-episode (lengths, writes, mean |M|).
    With a ``rig`` whose controller's side is active, each episode runs through it as in
    memsnn-train (training.run_episode_pipeline), and mean |M| is not measured (NaN)."""
    lengths = np.zeros(count, dtype=np.int64)
    writes = np.zeros(count, dtype=np.int64)
    surprise = np.zeros(count)
    step, env_step = agent.step, env.step
    pipeline = rig.pipeline if rig is not None else None
    for i in range(count):
        obs, _ = env.reset(seed=env_seed(seed, first + i))
        agent.reset()
        total_m = math.nan
        if pipeline is not None:
            assert rig is not None
            obs, _, term, trunc = run_episode_pipeline(agent, env_step, obs, pipeline, rig.env,
                                                       rig.adapter)
        else:
            total_m = 0.0
            while True:
                decision = step(obs)
                total_m += abs(decision.modulator)
                obs, _, term, trunc, _ = env_step(decision.action)
                if term or trunc:
                    break
        # A failure on the time limit's last step is a failure (as memsnn-train).
        summary = agent.end_episode(obs, terminated=bool(term),
                                    truncated=bool(trunc and not term))
        lengths[i], writes[i] = summary.length, summary.writes
        surprise[i] = total_m / max(summary.length, 1)
    return lengths, writes, surprise


def solve(agent: 'Agent', env: 'gymnasium.Env[Any, Any]', seed: int, budget: int,
          env_seed: Callable[[int, int], int] = episode_seed, rig: Rig | None = None
          ) -> tuple['NDArray[Any]', 'NDArray[Any]', 'NDArray[Any]', int | None]:
    """Train until the trailing-100 mean first reaches 475 or ``budget`` episodes; returns
    (lengths, writes, surprise, first_475 index or None). The agent stops right after the
    solving episode."""
    parts: tuple[list[np.ndarray], ...] = ([], [], [])
    for k in range(budget):
        for part, values in zip(parts, run_episodes(agent, env, seed, k, 1, env_seed, rig)):
            part.append(values)
        if k + 1 >= metrics.WINDOW and agent.trailing_mean(metrics.WINDOW) >= SOLVE_LEVEL:
            break
    lengths, writes, surprise = (np.concatenate(p) if p else np.zeros(0) for p in parts)
    return lengths, writes, surprise, metrics.first_reaching(lengths, SOLVE_LEVEL)


def phase_metrics(lengths, writes, n_synapses):
    """The metrics of one phase (see the module docstring)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    writes = np.asarray(writes, dtype=np.int64)
    out = {'episodes': int(lengths.size),
           'first20_mean': float(lengths[:RECOVERY_WINDOW].mean()) if lengths.size else None,
           'first20_min': int(lengths[:RECOVERY_WINDOW].min()) if lengths.size else None}
    k = metrics.first_reaching(lengths, RECOVERY_LEVEL, RECOVERY_WINDOW)
    out['recovery'] = None if k is None else k + 1
    trailing = metrics.trailing_means(lengths, RECOVERY_WINDOW)
    out['dip'] = float(np.nanmin(trailing)) if lengths.size >= RECOVERY_WINDOW else None
    spent = writes[:out['recovery']] if out['recovery'] is not None else writes
    out['writes_recovery'] = float(spent.sum()) / n_synapses
    out['final100'] = metrics.final_trailing(lengths)
    t100 = metrics.trailing_means(lengths)
    out['min100'] = float(np.nanmin(t100)) if lengths.size >= metrics.WINDOW else None
    return out


def _surprise(values):
    """Mean |M| per episode for JSON: rounded, None where not measured (a rig's episodes)."""
    return [None if math.isnan(v) else v for v in np.round(values, 5).tolist()]


def run_seed(config, seed, changes=DEFAULT_CHANGES, changed_episodes=400, return_episodes=200,
             solve_budget=1000, env_seeds='train', log=None, plant_file=None):
    """The whole schedule of one seed; returns a JSON-able dict with the per-episode lengths
    and the metrics of every phase. ``plant_file`` (envs/plant_file.PlantFile): its plant and
    task instead of CartPole-v1's, run as memsnn-train --plant runs it (``config`` already sized
    for it: control/config.learner_for); each change starts where the solve left the rig."""
    from memsnn_controller.snn.agent import Agent

    log = log or (lambda message: None)
    env_seed = ENV_SEEDS[env_seeds]
    rig = Rig(config, plant_file) if plant_file is not None else None
    env = rig.env if rig is not None else PlantWrapper(make_env(ENV_ID))
    try:
        original = env.original
        agent = Agent(config, seed)
        agent.warm_up()
        n_syn = agent.n_synapses
        t0 = time.perf_counter()
        lengths, writes, surprise, first = solve(agent, env, seed, solve_budget, env_seed, rig)
        result = {'seed': seed, 'first_475': first, 'solve_episodes': int(lengths.size),
                  'solve_lengths': lengths.tolist(), 'solve_surprise': _surprise(surprise),
                  'solve_writes_per_synapse': float(writes.sum()) / n_syn, 'changes': {}}
        log(f'seed {seed}: first 475 at {first} ({time.perf_counter() - t0:.0f} s)')
        if first is None:
            return result
        solved = agent.export_state()
        carry = env.carry  # where the solve left the rig (an in-place restart starts there)
        start = int(lengths.size)  # the index of the first episode after the solve
        for name in changes:
            t0 = time.perf_counter()
            agent = Agent(config, seed)
            agent.import_state(solved)
            env.set_carry(carry)
            env.set_plant(changed_plant(name, original))
            a_len, a_wr, a_s = run_episodes(agent, env, seed, start, changed_episodes, env_seed,
                                            rig)
            env.set_plant(original)
            b_len, b_wr, b_s = run_episodes(agent, env, seed, start + changed_episodes,
                                            return_episodes, env_seed, rig)
            entry = {'plant_changes': schedule_texts(name, start, changed_episodes),
                     'changed': phase_metrics(a_len, a_wr, n_syn),
                     'returned': phase_metrics(b_len, b_wr, n_syn),
                     'lengths': np.concatenate([a_len, b_len]).tolist(),
                     'writes': np.concatenate([a_wr, b_wr]).tolist(),
                     'surprise': _surprise(np.concatenate([a_s, b_s]))}
            # Stability from the solving episode on, on the unchanged plant.
            if name == 'none':
                whole = np.concatenate([lengths, a_len, b_len])
                entry['min_after_475'] = metrics.min_after(whole, SOLVE_LEVEL)
            result['changes'][name] = entry
            c, r = entry['changed'], entry['returned']
            log(f'seed {seed} {name}: recovery {c["recovery"]} dip {c["dip"]} first20 '
                f'{c["first20_mean"]:.0f}/{c["first20_min"]} final100 {c["final100"]}; return '
                f'{r["recovery"]} dip {r["dip"]} ({time.perf_counter() - t0:.0f} s)')
        return result
    finally:
        env.close()


def _median_range(values):
    """'median [min, max]' of the values, with unrecovered (None) counted as infinite."""
    vals = [math.inf if v is None else v for v in values]
    if not vals:
        return '-'
    med = statistics.median(vals)

    def fmt(v):
        return 'never' if v == math.inf else f'{v:.4g}'

    never = sum(v is None for v in values)
    return f'{fmt(med)} [{fmt(min(vals))}, {fmt(max(vals))}]' + (f' ({never} never)' if never
                                                                 else '')


def table(results):
    """A markdown table over seeds: per change and phase, median [min, max] of each metric."""
    rows = ['| change | phase | recovery | dip (min trailing-20) | first 20 mean | first 20 min '
            '| writes/synapse to recover | final 100 | min trailing-100 |',
            '|---|---|---|---|---|---|---|---|---|']
    names: list[str] = []
    for r in results:
        names.extend(n for n in r['changes'] if n not in names)
    for name in names:
        for phase in ('changed', 'returned'):
            ms = [r['changes'][name][phase] for r in results if name in r['changes']]
            cells = [_median_range([m[key] for m in ms]) for key in
                     ('recovery', 'dip', 'first20_mean', 'first20_min', 'writes_recovery',
                      'final100', 'min100')]
            rows.append(f'| {name} | {phase} | ' + ' | '.join(cells) + ' |')
    firsts = [r['first_475'] for r in results]
    stab = [r['changes']['none']['min_after_475'] for r in results if 'none' in r['changes']]
    rows.append('')
    rows.append(f'first 475: {_median_range([None if f is None else f + 1 for f in firsts])} '
                f'episodes (index + 1) over {len(firsts)} seeds; '
                f'min trailing-100 after solving (no change): {_median_range(stab)}')
    return '\n'.join(rows)


def merge(paths):
    """The results of several output files, one entry per seed (sorted): a later file's changes
    are added to (or replace) an earlier file's for the same seed."""
    by_seed: dict[int, dict] = {}
    for path in paths:
        with open(path, encoding='utf-8') as f:
            for r in json.load(f)['results']:
                if r['seed'] in by_seed:
                    by_seed[r['seed']]['changes'].update(r['changes'])
                else:
                    by_seed[r['seed']] = r
    return [by_seed[k] for k in sorted(by_seed)]


def trailing_through_change(result, name, before=100):
    """(episodes relative to the change, trailing-20 mean) of one seed's change ``name``: the
    last ``before`` episodes of the solve, then the changed and the returned phases (the
    trailing mean runs across the boundaries; NaN until the first full window)."""
    solve_lengths = result['solve_lengths'][-before:]
    lengths = np.asarray(solve_lengths + result['changes'][name]['lengths'], dtype=np.int64)
    x = np.arange(lengths.size) - len(solve_lengths)
    return x, metrics.trailing_means(lengths, RECOVERY_WINDOW)


def plot_through_change(groups, path, changes=DEFAULT_CHANGES[1:], changed_episodes=400):
    """A figure of the trailing-20 mean through each change: one panel per change, each seed a
    thin line and the median over seeds a thick one, per group. ``groups``: {label: results}
    (e.g. plain annealing and reopening)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(changes), 1, figsize=(9, 2.3 * len(changes)), sharex=True,
                             squeeze=False)
    colors = ('tab:gray', 'tab:blue', 'tab:orange', 'tab:green')
    for ax, name in zip(axes[:, 0], changes):
        for color, (label, results) in zip(colors, groups.items()):
            curves = [trailing_through_change(r, name) for r in results if name in r['changes']]
            if not curves:
                continue
            size = min(len(y) for _, y in curves)
            for x, y in curves:
                ax.plot(x[:size], y[:size], color=color, lw=0.5, alpha=0.35)
            x = curves[0][0][:size]
            with warnings.catch_warnings():  # the first 19 episodes have no trailing mean
                warnings.simplefilter('ignore', RuntimeWarning)
                median = np.nanmedian(np.stack([y[:size] for _, y in curves]), axis=0)
            ax.plot(x, median, color=color, lw=2, label=f'{label} (median of {len(curves)})')
        ax.axvline(0, color='k', lw=0.8, ls='--')
        ax.axvline(changed_episodes, color='k', lw=0.8, ls=':')
        ax.axhline(RECOVERY_LEVEL, color='tab:red', lw=0.6)
        ax.set_ylim(0, 510)
        ax.set_ylabel('trailing-20')
        ax.set_title(f'{name} ({PLANT_CHANGES[name]}): changed at 0, original back at '
                     f'{changed_episodes}', fontsize=9)
        ax.legend(loc='lower right', fontsize=7)
    axes[-1, 0].set_xlabel('episodes after the change')
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def build_parser():
    p = argparse.ArgumentParser(prog='python -m memsnn_controller.experiments.continual',
                                description=__doc__.split('\n')[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0])
    p.add_argument('--changes', nargs='+', default=list(DEFAULT_CHANGES),
                   choices=sorted(PLANT_CHANGES))
    p.add_argument('--set', dest='overrides', action='append', default=[],
                   metavar='SECTION.FIELD=VALUE', help='a config override (repeatable)')
    p.add_argument('--changed-episodes', type=int, default=400)
    p.add_argument('--return-episodes', type=int, default=200)
    p.add_argument('--solve-budget', type=int, default=1000)
    p.add_argument('--env-seeds', choices=sorted(ENV_SEEDS), default='train',
                   help="episode k's reset seed: 'train' as memsnn-train (default), 'probe' "
                        "seed + k, as issue 16's probe")
    p.add_argument('--plant', metavar='NAME|YAML',
                   help="the plant and task (memsnn-train's --plant: a preset such as rig, or "
                        'a plant file); default CartPole-v1')
    p.add_argument('--out', help='JSON file of the results (table next to it)')
    p.add_argument('--merge', nargs='+', metavar='JSON',
                   help='only print the table of these output files (merged by seed)')
    p.add_argument('--figure', nargs='+', metavar=('PNG', 'LABEL=JSON'),
                   help='only draw the trailing-20 mean through the changes into PNG from '
                        'result files (LABEL=a.json,b.json: one group merged by seed)')
    return p


def _figure(args):
    path, *specs = args.figure
    groups = {}
    for spec in specs:
        label, sep, files = spec.partition('=')
        if not sep:
            label, files = os.path.basename(spec), spec
        groups[label] = merge(files.split(','))
    if not groups:
        raise SystemExit('--figure PNG LABEL=JSON[,JSON] ...: no result files')
    results = [r for rs in groups.values() for r in rs]
    names = [n for n in DEFAULT_CHANGES[1:] if any(n in r['changes'] for r in results)]
    changed = next((r['changes'][n]['changed']['episodes'] for r in results for n in names
                    if n in r['changes']), 400)
    plot_through_change(groups, path, names, changed)
    print(path)
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.merge:
        print(table(merge(args.merge)))
        return 0
    if args.figure:
        return _figure(args)
    if not args.out:
        parser.error('--out is required (unless --merge or --figure)')
    from memsnn_controller.snn.config import AgentConfig

    config = AgentConfig()
    plant_file = None
    if args.plant:
        from memsnn_controller.control.config import learner_for
        from memsnn_controller.envs.plant_file import PlantFileError, load_plant_file

        try:
            loaded = load_plant_file(args.plant)
        except PlantFileError as exc:
            parser.error(f'--plant: {exc}')
        # As memsnn-train: sized for the plant, then the overrides.
        config = learner_for(config, loaded)
        plant_file = loaded
    config = config.with_overrides(args.overrides)
    results = []
    header = {'overrides': args.overrides, 'plant': args.plant or 'cartpole_v1'}
    for seed in args.seeds:
        results.append(run_seed(config, seed, args.changes, args.changed_episodes,
                                args.return_episodes, args.solve_budget, args.env_seeds,
                                log=lambda m: print(m, file=sys.stderr, flush=True),
                                plant_file=plant_file))
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(dict(header, results=results), f)
    text = table(results)
    with open(os.path.splitext(args.out)[0] + '.md', 'w', encoding='utf-8') as f:
        f.write(f'plant: {header["plant"]}; overrides: {args.overrides}\n\n{text}\n')
    print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
