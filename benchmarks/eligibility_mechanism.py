"""How the actor's eligibility assigns credit, measured per tick while an agent learns CartPole-v1.

Runs exactly the episodes ``memsnn-train`` runs for the same configuration and seed (the same
environment seeds, the same agent calls) and, around every tick, reads the actor's traces: the
tick's eligibility is z_ij = e_ij(after) - lambda_j e_ij(before) (role sign included; entries
whose trace was zeroed for falling below trace_eps are left out). Reported per block of episodes:

- share_chosen: of the tick's sum of |z| over the actor's synapses, the part on the chosen
  population's (the one with more spikes); mean over ticks with any z, and pooled over ticks.
- sign consistency: |z|-weighted fraction of z > 0 on the chosen population's synapses and of
  z < 0 on the other's; and the fraction of ticks whose net z (sum over the population's
  synapses) is > 0 on the chosen side, < 0 / = 0 on the other side.
- z_abs: mean |z| over the nonzero entries (per active synapse and tick).
- loser_silent: fraction of ticks in which the population not chosen fired no spike.
- device values at the end of the block, over the input rows whose actor devices were ever
  written: within-population spread (std over a population's neurons of w_eff = gain (w+ - w-),
  mean over rows and both populations), left-right contrast |mean_R - mean_L| and common mode
  (mean_L + mean_R) / 2 of w_eff, both as means over rows.
- M: mean TD error and fraction of ticks with M < 0.

Usage:
    python benchmarks/eligibility_mechanism.py --config config/agent_local.yaml --seed 0 \\
        --episodes 300 --block 100 [--set KEY=VALUE ...] [--json PATH]
"""

import argparse
import json
import math
import sys

import numpy as np

from memsnn_controller.experiments.training import episode_seed, make_env
from memsnn_controller.snn.agent import Agent
from memsnn_controller.snn.config import AgentConfig


class Block:
    """Sums over the ticks of one block of episodes."""

    def __init__(self):
        self.ticks = 0
        self.ticks_z = 0
        self.share_sum = 0.0
        self.abs_chosen = 0.0
        self.abs_other = 0.0
        self.pos_chosen = 0.0
        self.neg_other = 0.0
        self.net_chosen_pos = 0
        self.net_other_neg = 0
        self.net_other_zero = 0
        self.z_abs_sum = 0.0
        self.z_n = 0
        self.loser_silent = 0
        self.m_sum = 0.0
        self.m_neg = 0
        self.m_n = 0
        self.lengths = []

    def add_tick(self, z, chosen_cols, other_cols, n_other):
        self.ticks += 1
        self.loser_silent += n_other == 0
        zc = z[:, chosen_cols]
        zo = z[:, other_cols]
        ac = float(np.abs(zc).sum())
        ao = float(np.abs(zo).sum())
        if ac + ao == 0.0:
            return
        self.ticks_z += 1
        self.share_sum += ac / (ac + ao)
        self.abs_chosen += ac
        self.abs_other += ao
        self.pos_chosen += float(zc[zc > 0].sum())
        self.neg_other += float(-zo[zo < 0].sum())
        net_c = float(zc.sum())
        net_o = float(zo.sum())
        self.net_chosen_pos += net_c > 0
        self.net_other_neg += net_o < 0
        self.net_other_zero += net_o == 0
        nz = z[z != 0.0]
        self.z_abs_sum += float(np.abs(nz).sum())
        self.z_n += nz.size

    def add_modulator(self, m):
        self.m_sum += m
        self.m_neg += m < 0
        self.m_n += 1

    def report(self, agent):
        net = agent.network
        A = net.n_actor
        syn = net.synapses
        w = syn.w_eff[:, :2 * A]
        writes = syn.writes_pos[:, :2 * A].astype(np.int64) + syn.writes_neg[:, :2 * A]
        written = writes.sum(axis=1) > 0
        rows = w[written]
        spread = contrast = common = math.nan
        if rows.size:
            left, right = rows[:, :A], rows[:, A:]
            spread = float(np.mean([left.std(axis=1).mean(), right.std(axis=1).mean()]))
            contrast = float(np.abs(right.mean(axis=1) - left.mean(axis=1)).mean())
            common = float(((right.mean(axis=1) + left.mean(axis=1)) / 2).mean())
        pooled = self.abs_chosen + self.abs_other
        return {
            'episodes': len(self.lengths),
            'mean_length': float(np.mean(self.lengths)) if self.lengths else math.nan,
            'ticks': self.ticks,
            'ticks_with_z': self.ticks_z,
            'share_chosen_mean': self.share_sum / self.ticks_z if self.ticks_z else math.nan,
            'share_chosen_pooled': self.abs_chosen / pooled if pooled else math.nan,
            'pos_fraction_chosen': self.pos_chosen / self.abs_chosen if self.abs_chosen
            else math.nan,
            'neg_fraction_other': self.neg_other / self.abs_other if self.abs_other else math.nan,
            'ticks_net_chosen_pos': self.net_chosen_pos / self.ticks_z if self.ticks_z
            else math.nan,
            'ticks_net_other_neg': self.net_other_neg / self.ticks_z if self.ticks_z
            else math.nan,
            'ticks_net_other_zero': self.net_other_zero / self.ticks_z if self.ticks_z
            else math.nan,
            'z_abs': self.z_abs_sum / self.z_n if self.z_n else math.nan,
            'loser_silent': self.loser_silent / self.ticks if self.ticks else math.nan,
            'rows_written': int(written.sum()),
            'w_spread_within': spread,
            'w_contrast_lr': contrast,
            'w_common_mode': common,
            'M_mean': self.m_sum / self.m_n if self.m_n else math.nan,
            'M_neg_fraction': self.m_neg / self.m_n if self.m_n else math.nan,
        }


def measure(config, seed, episodes, block, env_id='CartPole-v1', log=None):
    """Train as memsnn-train does and return one report dict per block of episodes."""
    agent = Agent(config, seed)
    agent.warm_up()
    net = agent.network
    A = net.n_actor
    actor = slice(0, 2 * A)
    decay = net.neurons.trace_decay[actor].copy()
    left, right = np.arange(A), np.arange(A, 2 * A)
    trace = net.synapses.trace
    count = net.neurons.count
    env = make_env(env_id)
    reports, current = [], Block()
    try:
        for k in range(episodes):
            obs, _ = env.reset(seed=episode_seed(seed, k))
            agent.reset()
            terminated = truncated = False
            while True:
                before = trace[:, actor].copy()
                decision = agent.step(obs)
                after = trace[:, actor]
                z = np.where(after != 0.0, after - decay * before, 0.0)
                right_chosen = decision.action == 1
                n_left = count[:A].sum()
                n_right = count[A:2 * A].sum()
                current.add_tick(z, right if right_chosen else left,
                                 left if right_chosen else right,
                                 n_left if right_chosen else n_right)
                if agent.total_steps > 1 and net.command['has_prev']:
                    current.add_modulator(decision.modulator)
                obs, _, terminated, truncated, _ = env.step(decision.action)
                if terminated or truncated:
                    break
            summary = agent.end_episode(obs, terminated=bool(terminated),
                                        truncated=bool(truncated and not terminated))
            current.add_modulator(float(net.output['modulator']))
            current.lengths.append(summary.length)
            if (k + 1) % block == 0 or k + 1 == episodes:
                report = current.report(agent)
                report['last_episode'] = k
                report['trailing100'] = agent.trailing_mean(100)
                reports.append(report)
                if log:
                    log(report)
                current = Block()
    finally:
        env.close()
    return reports


COLUMNS = (('last_episode', 'episode', '{:d}'), ('mean_length', 'len', '{:.0f}'),
           ('share_chosen_mean', 'share', '{:.3f}'), ('share_chosen_pooled', 'pooled', '{:.3f}'),
           ('pos_fraction_chosen', 'z+ ch', '{:.3f}'), ('neg_fraction_other', 'z- oth', '{:.3f}'),
           ('ticks_net_chosen_pos', 'net+ ch', '{:.3f}'),
           ('ticks_net_other_neg', 'net- oth', '{:.3f}'),
           ('ticks_net_other_zero', 'net0 oth', '{:.3f}'), ('z_abs', '|z|', '{:.4f}'),
           ('loser_silent', 'silent', '{:.3f}'), ('w_spread_within', 'spread', '{:.4f}'),
           ('w_contrast_lr', 'contrast', '{:.4f}'), ('w_common_mode', 'common', '{:.4f}'),
           ('M_mean', 'M mean', '{:.4f}'), ('M_neg_fraction', 'M<0', '{:.3f}'))


def table(reports):
    head = '| ' + ' | '.join(name for _, name, _ in COLUMNS) + ' |'
    rule = '|' + '--:|' * len(COLUMNS)
    lines = [head, rule]
    for r in reports:
        cells = []
        for key, _, fmt in COLUMNS:
            value = r[key]
            cells.append('nan' if isinstance(value, float) and math.isnan(value)
                         else fmt.format(value))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--config', help='AgentConfig YAML (default: the shipped defaults)')
    p.add_argument('--set', dest='overrides', action='append', default=[], metavar='KEY=VALUE')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--episodes', type=int, default=300)
    p.add_argument('--block', type=int, default=100)
    p.add_argument('--json', help='write the reports here')
    args = p.parse_args(argv)
    config = AgentConfig.from_yaml(args.config) if args.config else AgentConfig()
    config = config.with_overrides(args.overrides)
    reports = measure(config, args.seed, args.episodes, args.block,
                      log=lambda r: print(f"episode {r['last_episode']}: trailing-100 "
                                          f"{r['trailing100']:.1f}", file=sys.stderr))
    print(table(reports))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'config': args.config, 'overrides': args.overrides, 'seed': args.seed,
                       'reports': reports}, f, indent=1)


if __name__ == '__main__':
    main()
