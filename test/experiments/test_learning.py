"""The shipped defaults learn CartPole-v1 online: the product's main claim, end to end.

One seed runs by default (about 10 s: it stops once solved); the must bar of the learning-result
issue on ten seeds is a long experiment (``pytest -m long``, several minutes on 2 cores).
"""

import os
import statistics

from exp_support import QUIET, warm_numba
import pytest

from memsnn_controller.experiments import metrics
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.experiments.training import TrainingInterrupted, train
from memsnn_controller.snn.config import AgentConfig


def train_until_solved(seed, out, budget):
    """Train the defaults on gymnasium's CartPole-v1 until the trailing-100 mean reaches 475
    (or ``budget`` episodes); returns the episode lengths."""
    episodes_csv = os.path.join(out, rf.EPISODES_FILE)

    def solved():
        lengths = rf.read_episodes(episodes_csv)['length']
        return metrics.first_reaching(lengths, 475) is not None

    try:
        train(AgentConfig(), seed, 'CartPole-v1', budget, out, should_stop=solved, **QUIET)
    except TrainingInterrupted:
        pass  # stopped because it solved
    return rf.read_episodes(episodes_csv)['length']


def test_the_defaults_solve_cartpole_online(tmp_path):
    warm_numba()
    lengths = train_until_solved(0, str(tmp_path / 's0'), budget=600)
    first = metrics.first_reaching(lengths, 475)
    assert first is not None, f'not solved in {len(lengths)} episodes; best trailing-100 ' \
                              f'{metrics.best_trailing(lengths):.1f}'
    # Learning, not luck: the first 20 episodes are near a random policy's ~22 steps.
    assert sum(lengths[:20]) / 20 < 100


@pytest.mark.long
def test_ten_seeds_solve_and_stay_solved(tmp_path):
    """Must bar: 10/10 seeds reach 475 within 1000 episodes, median <= 400, never below 400
    after first reaching 475."""
    firsts = []
    for seed in range(10):
        summary = train(AgentConfig(), seed, 'CartPole-v1', 1000, str(tmp_path / f's{seed}'),
                        **QUIET)
        assert summary['first_475'] is not None, f'seed {seed} not solved'
        assert summary['min_after_475'] >= 400, f'seed {seed} fell to {summary["min_after_475"]}'
        firsts.append(summary['first_475'])
    assert statistics.median(firsts) <= 400
