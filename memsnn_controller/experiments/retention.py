"""Retention: solve CartPole-v1, let the devices relax for a while with the network idle, then
test the policy frozen and relearn with learning on.

    python -m memsnn_controller.experiments.retention --seeds 0-9 \\
        --set device.retention_tau_s=1e5 --idle 86400 --out runs/retention/tau1e5.json

The schedule of one seed (docs/science.md section 5.7; issue 23's retention target):

1. Solve: train on gymnasium's CartPole-v1 until the trailing-100 mean first reaches 475
   (``solve_budget`` episodes at most), exactly as experiments/continual.py's solve (memsnn-train's
   episodes, episode k starting from ``env.reset(seed=training.episode_seed(seed, k))``); with
   ``device.retention_tau_s`` the devices relax during training too, on the network's clock.
2. From a copy of the solved agent: the same ``test_episodes`` frozen (learning off) without
   idling, the reference ("frozen, no idle").
3. From another copy: ``Agent.idle(idle_s)`` (every device relaxes for that long), then the
   same episodes frozen ("frozen after idle").
4. From a third copy, idled the same way: ``relearn_episodes`` with learning on ("relearn"),
   and from a fourth, not idled, the same episodes with learning on ("learning on, no idle"):
   what learning on does to a solved agent by itself. Recovery: the episodes until the
   trailing-20 mean over the phase's own episodes is >= 450 (20 is the smallest value it can
   measure), None if it never is.
The test and relearn phases start at the same episode index (the first after the solve), so
they see the same starting states. Per phase: the mean length of its episodes
(``mean``), of its first 20 (``first20_mean``), its recovery, and for the solved agent the
drift of its devices (mean |w - w_before| over every device).
"""

import argparse
import json
import os
import statistics
import sys
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from memsnn_controller.experiments import metrics
from memsnn_controller.experiments.continual import ENV_ID, run_episodes, solve
from memsnn_controller.experiments.training import make_env

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from memsnn_controller.snn.agent import Agent
    from memsnn_controller.snn.config import AgentConfig

RECOVERY_LEVEL = 450
RECOVERY_WINDOW = 20
DAY_S = 86400.0


def _copy(config: 'AgentConfig', seed: int, state: dict[str, Any]) -> 'Agent':
    from memsnn_controller.snn.agent import Agent

    agent = Agent(config, seed)
    agent.import_state(state)
    return agent


def phase(lengths: 'NDArray[Any]') -> dict[str, Any]:
    """The metrics of one phase: mean, first20_mean, recovery (episodes to a trailing-20 mean
    >= 450, None if never), and the lengths themselves."""
    k = metrics.first_reaching(lengths, RECOVERY_LEVEL, RECOVERY_WINDOW)
    return {'mean': float(lengths.mean()) if lengths.size else None,
            'first20_mean': float(lengths[:RECOVERY_WINDOW].mean()) if lengths.size else None,
            'recovery': None if k is None else k + 1,
            'lengths': lengths.tolist()}


def run_seed(config: 'AgentConfig', seed: int, idle_s: float = DAY_S, test_episodes: int = 100,
             relearn_episodes: int = 100, solve_budget: int = 1000) -> dict[str, Any]:
    """The whole schedule of one seed (module docstring); a JSON-able dict."""
    from memsnn_controller.snn.agent import Agent

    env = make_env(ENV_ID)
    try:
        agent = Agent(config, seed)
        agent.warm_up()
        lengths, _writes, _surprise, first = solve(agent, env, seed, solve_budget)
        result: dict[str, Any] = {'seed': seed, 'first_475': first, 'idle_s': idle_s,
                                  'solve_episodes': int(lengths.size)}
        if first is None:
            return result
        solved = agent.export_state()
        start = int(lengths.size)
        reference = _copy(config, seed, solved)
        reference.set_learning(False)
        result['frozen'] = phase(run_episodes(reference, env, seed, start, test_episodes)[0])
        idled = _copy(config, seed, solved)
        before = np.concatenate((idled.network.synapses.w_pos.ravel(),
                                 idled.network.synapses.w_neg.ravel()))
        idled.idle(idle_s)
        after = np.concatenate((idled.network.synapses.w_pos.ravel(),
                                idled.network.synapses.w_neg.ravel()))
        result['device_drift'] = float(np.abs(after - before).mean())
        relearner = _copy(config, seed, idled.export_state())
        idled.set_learning(False)
        result['frozen_after_idle'] = phase(run_episodes(idled, env, seed, start,
                                                         test_episodes)[0])
        result['relearn'] = phase(run_episodes(relearner, env, seed, start,
                                               relearn_episodes)[0])
        learner = _copy(config, seed, solved)
        result['learning_no_idle'] = phase(run_episodes(learner, env, seed, start,
                                                        relearn_episodes)[0])
        return result
    finally:
        env.close()


def _cell(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return '-'
    never = len(values) - len(known)
    text = f'{statistics.median(known):.4g} [{min(known):.4g}, {max(known):.4g}]'
    return text + (f' ({never} never)' if never else '')


def table(results: list[dict[str, Any]]) -> str:
    """A markdown table over the seeds that solved: median [min, max] per phase."""
    solved = [r for r in results if r.get('first_475') is not None]
    rows = ['| phase | mean length | first 20 mean | recovery (episodes to trailing-20 >= 450) |',
            '|---|---|---|---|']
    for key, label in (('frozen', 'frozen, no idle'), ('frozen_after_idle', 'frozen after idle'),
                       ('learning_no_idle', 'learning on, no idle'),
                       ('relearn', 'learning on after idle')):
        ms = [r[key] for r in solved]
        rows.append(f'| {label} | {_cell([m["mean"] for m in ms])} | '
                    f'{_cell([m["first20_mean"] for m in ms])} | '
                    f'{_cell([m["recovery"] for m in ms])} |')
    firsts = [r['first_475'] for r in results]
    rows.append('')
    rows.append(f'solved {len(solved)}/{len(results)}; first 475 {_cell(firsts)}; mean device '
                f'drift over the idle time {_cell([r["device_drift"] for r in solved])}')
    return '\n'.join(rows)


def _seeds(texts: list[str]) -> list[int]:
    seeds: list[int] = []
    for text in texts:
        if '-' in text:
            low, high = text.split('-', 1)
            seeds.extend(range(int(low), int(high) + 1))
        else:
            seeds.append(int(text))
    return seeds


def main(argv: list[str] | None = None) -> int:
    from memsnn_controller.snn.config import AgentConfig, ConfigError

    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', nargs='+', default=['0'], help='seeds and ranges A-B')
    parser.add_argument('--config', help='base AgentConfig YAML (default: the defaults)')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                        help='override a config field (repeatable)')
    parser.add_argument('--idle', type=float, default=DAY_S,
                        help='idle time in seconds (default one day, 86400)')
    parser.add_argument('--test-episodes', type=int, default=100)
    parser.add_argument('--relearn-episodes', type=int, default=100)
    parser.add_argument('--solve-budget', type=int, default=1000)
    parser.add_argument('--out', help='write the results here (JSON)')
    args = parser.parse_args(argv)
    try:
        config = (AgentConfig.from_yaml(args.config) if args.config
                  else AgentConfig()).with_overrides(args.set)
    except ConfigError as exc:
        print(f'retention: {exc}', file=sys.stderr)
        return 2
    results = []
    for seed in _seeds(args.seeds):
        t0 = time.perf_counter()
        r = run_seed(config, seed, args.idle, args.test_episodes, args.relearn_episodes,
                     args.solve_budget)
        results.append(r)
        summary = (f'frozen {r["frozen"]["mean"]:.1f}, after idle '
                   f'{r["frozen_after_idle"]["mean"]:.1f}, relearn recovery '
                   f'{r["relearn"]["recovery"]}' if r.get('first_475') is not None
                   else 'not solved')
        print(f'seed {seed}: first 475 {r["first_475"]}: {summary} '
              f'({time.perf_counter() - t0:.0f} s)', flush=True)
        if args.out:
            os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
            with open(args.out, 'w', encoding='utf-8') as f:
                json.dump({'config': config.to_dict(), 'overrides': args.set, 'idle_s': args.idle,
                           'results': results}, f)
    print(table(results))
    return 0


if __name__ == '__main__':
    sys.exit(main())
