"""memsnn/CartPoleContinuous-v1: CartPole-v1's dynamics with a continuous force."""

import gymnasium as gym
import numpy as np
import pytest

import memsnn_controller.envs  # noqa: F401  (registers the ids)
from memsnn_controller.envs.classic_continuous import ContinuousCartPoleEnv


def test_full_force_follows_cartpole_v1_exactly():
    discrete = gym.make('CartPole-v1')
    continuous = gym.make('memsnn/CartPoleContinuous-v1')
    obs_d, _ = discrete.reset(seed=3)
    obs_c, _ = continuous.reset(seed=3)
    np.testing.assert_array_equal(obs_d, obs_c)  # the same reset code on the same seed
    rng = np.random.default_rng(0)
    for _ in range(40):
        a = int(rng.integers(2))
        out_d = discrete.step(a)
        out_c = continuous.step(np.array([1.0 if a else -1.0], dtype=np.float32))
        # Exact: both run gymnasium's own CartPoleEnv.step on the same state with a force of
        # exactly 10 N (1.0 * force_limit), the same code on the same inputs.
        np.testing.assert_array_equal(out_d[0], out_c[0])
        assert out_d[1:4] == out_c[1:4]
        if out_d[2]:
            break


def test_partial_force_and_clipping():
    env = ContinuousCartPoleEnv()
    env.reset(seed=0, options={'low': 0.0, 'high': 0.0})
    half = env.step(np.array([0.5], dtype=np.float32))[0]
    env.reset(seed=0, options={'low': 0.0, 'high': 0.0})
    clipped = env.step(np.array([2.0], dtype=np.float32))[0]
    env.reset(seed=0, options={'low': 0.0, 'high': 0.0})
    full = env.step(np.array([1.0], dtype=np.float32))[0]
    np.testing.assert_array_equal(clipped, full)  # both push with exactly 10 N: same code
    assert 0 < half[1] < full[1]
    assert half[1] == pytest.approx(full[1] / 2, rel=1e-3)


def test_truncates_at_500_steps_like_cartpole_v1():
    env = gym.make('memsnn/CartPoleContinuous-v1')
    assert env.spec.max_episode_steps == 500


@pytest.mark.parametrize('bad', [np.array([np.nan]), np.array([1.0, 2.0]), 'left'])
def test_bad_actions_raise(bad):
    env = ContinuousCartPoleEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match='action'):
        env.step(bad)


def test_bad_force_limit():
    with pytest.raises(ValueError, match='force_limit'):
        ContinuousCartPoleEnv(force_limit=-1)
