"""Writes per synapse per episode before the solve, after it, and in the episodes the reopening
of plasticity was active: from a memsnn-compare folder's runs (their episodes.csv and
config.yaml). The reopening's state is recomputed from the episode lengths exactly as
Agent._anneal computes it (docs/science.md section 9.1).

    python docs/results/wear/write_phases.py runs/frugal_defaults [--variant default]
"""

import argparse
import csv
import os
import statistics

import numpy as np
import yaml


def reopened(lengths, learning):
    """For each episode k: whether the reopening raised the rates at its start (armed, and the
    short window's mean below the long one's)."""
    window, short = learning['anneal_window'], learning['reopen_window']
    target = learning['anneal_target_length']
    level = learning['reopen_after'] * target * window
    out = np.zeros(len(lengths), dtype=bool)
    armed = False
    for k in range(len(lengths)):
        done = lengths[:k]
        if len(done) >= window and sum(done[-window:]) >= level:
            armed = True
        if armed and short and len(done):
            long_mean = np.mean(done[-window:]) / target
            short_mean = np.mean(done[-short:]) / target
            out[k] = short_mean < long_mean
    return out


def first_475(lengths):
    sums = np.convolve(lengths, np.ones(100), mode='valid')
    hits = np.flatnonzero(sums >= 475 * 100)
    return int(hits[0]) + 99 if hits.size else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('folder')
    parser.add_argument('--variant', default=None)
    args = parser.parse_args()
    runs = os.path.join(args.folder, 'runs')
    rows = {'before': [], 'after, reopening off': [], 'after, reopening on': []}
    share_on = []
    for name in sorted(os.listdir(runs)):
        if args.variant and f'__{args.variant}__' not in name:
            continue
        with open(os.path.join(runs, name, 'config.yaml')) as f:
            config = yaml.safe_load(f)
        n_syn = None
        with open(os.path.join(runs, name, 'episodes.csv')) as f:
            data = list(csv.DictReader(f))
        lengths = np.array([int(r['length']) for r in data])
        writes = np.array([int(r['writes']) for r in data])
        per_syn = np.array([float(r['writes_per_synapse']) for r in data])
        n_syn = writes.sum() / per_syn.sum() if per_syn.sum() else 1.0
        first = first_475(lengths)
        if first is None:
            continue
        on = reopened(lengths, config['learning'])
        after = np.arange(len(lengths)) > first
        rows['before'].append(writes[:first + 1].sum() / n_syn / (first + 1))
        for label, mask in (('after, reopening off', after & ~on),
                            ('after, reopening on', after & on)):
            if mask.any():
                rows[label].append(writes[mask].sum() / n_syn / mask.sum())
        share_on.append(float((after & on).sum() / max(after.sum(), 1)))
    print('| episodes | runs | writes/synapse/episode, median [min, max] |')
    print('|---|--:|--:|')
    for label, values in rows.items():
        if values:
            print(f'| {label} | {len(values)} | {statistics.median(values):.4g} '
                  f'[{min(values):.4g}, {max(values):.4g}] |')
    if share_on:
        print(f'\nshare of the episodes after the solve with the reopening on: median '
              f'{statistics.median(share_on):.3f} [{min(share_on):.3f}, {max(share_on):.3f}]')


if __name__ == '__main__':
    main()
