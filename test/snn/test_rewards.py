"""Reward functions on hand-computed transitions."""

import math

import numpy as np
import pytest

from memsnn_controller.snn.config import RewardConfig
from memsnn_controller.snn.rewards import REWARDS, THETA_MAX, make_reward

S = (0.0, 0.0, 0.05, 0.0)


def reward(name, **kw):
    return make_reward(RewardConfig(name=name, **kw))


def test_registry_names():
    assert set(REWARDS) == {'sparse', 'alive', 'angle', 'angle_cos', 'angle_position', 'change'}


@pytest.mark.parametrize('name', sorted(REWARDS))
def test_failure_earns_the_failure_reward_and_truncation_is_not_failure(name):
    r = reward(name)
    if name == 'alive':
        assert r(S, S, True, False) == -1.0  # baseline starts at 0
    else:
        assert r(S, S, True, False) == -1.0
        assert r(S, S, False, True) == r(S, S, False, False)


def test_sparse():
    assert reward('sparse')(S, (1, 1, 0.1, 1), False, False) == 0.0


def test_alive_baseline_tracks_the_raw_reward():
    r = reward('alive', baseline_tau=4.0)
    assert r(S, S, False, False) == 1.0          # 1 - 0
    assert r(S, S, False, False) == 0.75         # baseline 0.25
    assert r(S, S, True, False) == pytest.approx(-1.0 - 0.4375)
    r.reset()  # the baseline spans episodes
    assert r.baseline == pytest.approx(0.4375 + (-1 - 0.4375) / 4)


def test_angle_rewards():
    half = (0.0, 0.0, THETA_MAX / 2, 0.0)
    assert reward('angle')(S, half, False, False) == pytest.approx(0.05 * 0.75)
    c_max = math.cos(THETA_MAX)
    assert reward('angle_cos')(S, half, False, False) == pytest.approx(
        0.05 * (math.cos(THETA_MAX / 2) - c_max) / (1 - c_max))
    assert reward('angle_cos')(S, (0, 0, 0, 0), False, False) == pytest.approx(0.05)


def test_angle_position_reward():
    s2 = (1.2, 0.0, THETA_MAX / 2, 0.0)
    expected = 0.1 * (1 - 0.5 * 0.25 - 0.5 * 0.25)
    assert reward('angle_position', scale=0.1)(S, s2, False, False) == pytest.approx(expected)


def test_change_reward():
    r = reward('change')
    # numpy inputs, as from gymnasium and the agent
    assert r(np.array([0, 0, 0.05, 0]), np.array([0, 0, 0.01, 0]), False, False) == 0.05
    assert r((0, 0, 0.05, 0), (0, 0, -0.04, 0), False, False) == 0.05
    assert r((0, 0, 0.05, 0), (0, 0, 0.06, 0), False, False) == -0.05
    assert r((0, 0, 0.05, 0), (0, 0, -0.05, 0), False, False) == 0.0
