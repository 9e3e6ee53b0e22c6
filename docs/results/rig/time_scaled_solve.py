"""The rate study's "solved": a trailing-100 mean of at least 95 % of the episode's limit.

memsnn-compare's `first 475` counts 475 control periods, 9.5 s at 50 Hz but 4.75 s at 100 Hz and
2.4 s at 200 Hz. This reads the runs' episodes.csv and applies the same rule in seconds: the
trailing-100 mean reaches 0.95 x max_episode_steps (950 at 100 Hz, 1900 at 200 Hz).

    python docs/results/rig/time_scaled_solve.py runs/rig_100hz 1000 runs/rig_200hz 2000
"""

import csv
import os
import statistics
import sys

from memsnn_controller.experiments import metrics


def runs_of(folder):
    """(run name, episode lengths) of every run under FOLDER/runs."""
    runs_dir = os.path.join(folder, 'runs')
    for name in sorted(os.listdir(runs_dir)):
        with open(os.path.join(runs_dir, name, 'episodes.csv'), newline='') as f:
            yield name, [int(row['length']) for row in csv.DictReader(f)]


def report(folder, limit):
    level = 0.95 * limit
    firsts = []
    for name, lengths in runs_of(folder):
        first = metrics.first_reaching(lengths, level)
        best = max((sum(lengths[k - 99:k + 1]) / 100 for k in range(99, len(lengths))),
                   default=None)
        after = metrics.min_after(lengths, level)
        print(f'{name}: first {level:g} {first}, best trailing-100 {best}, '
              f'min after {after}, episodes {len(lengths)}')
        if first is not None:
            firsts.append(first)
    runs = len(list(runs_of(folder)))
    median = statistics.median(firsts) if firsts else None
    print(f'{folder}: solved {len(firsts)}/{runs} (trailing-100 >= {level:g}), median first '
          f'{median}, range {min(firsts, default=None)}-{max(firsts, default=None)}')


def main(argv):
    if len(argv) < 2 or len(argv) % 2:
        sys.exit(__doc__)
    for folder, limit in zip(argv[::2], argv[1::2]):
        report(folder, int(limit))


if __name__ == '__main__':
    main(sys.argv[1:])
