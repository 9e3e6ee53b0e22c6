"""The gymnasium environments: API conformance and CartPole-v1's interface, signs and rules."""

from balancing import lqr_force
import gymnasium as gym
import numpy as np
import pytest

import memsnn_controller.envs as envs
from memsnn_controller.envs.cartpole_spec import is_failure
from memsnn_controller.envs.gym_cartpole import BulletCartPoleEnv

IDS = [envs.ENV_ID, envs.CONTINUOUS_ENV_ID]


def bang_bang(observation):
    return int(lqr_force(observation) > 0)


def test_registration_is_idempotent():
    envs.register_envs()
    envs.register_envs()
    for env_id in IDS:
        assert gym.spec(env_id).max_episode_steps == 500
    assert isinstance(gym.make(envs.ENV_ID).action_space, gym.spaces.Discrete)


def test_spaces_match_cartpole_v1():
    ours, theirs = gym.make(envs.ENV_ID), gym.make('CartPole-v1')
    assert ours.observation_space == theirs.observation_space
    assert ours.action_space == theirs.action_space
    continuous = gym.make(envs.CONTINUOUS_ENV_ID)
    assert continuous.action_space == gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    for env in (ours, theirs, continuous):
        env.close()


def test_same_push_gives_the_same_signs_as_cartpole_v1():
    start = np.array([0.01, -0.01, 0.02, -0.02])
    for action in (0, 1):
        ours, theirs = gym.make(envs.ENV_ID), gym.make('CartPole-v1')
        ours.reset(seed=0, options={'state': start})
        theirs.reset(seed=0)
        theirs.unwrapped.state = start.copy()
        for _ in range(5):
            observation, *_ = ours.step(action)
            reference, *_ = theirs.step(action)
        np.testing.assert_array_equal(np.sign(observation), np.sign(reference))
        # Not just the signs: the same system, integrated differently.
        np.testing.assert_allclose(observation, reference, atol=0.02)
        ours.close(), theirs.close()


def test_termination_and_rewards_as_cartpole_v1():
    env = gym.make(envs.ENV_ID)
    observation, info = env.reset(seed=1)
    assert observation.dtype == np.float32 and info == {}
    rewards, terminated = [], False
    while not terminated:
        observation, reward, terminated, truncated, info = env.step(1)
        rewards.append(reward)
        assert not truncated
        assert terminated == is_failure(env.unwrapped.model.state)
        assert info['applied_force'] == 10.0
    assert rewards == [1.0] * len(rewards) and 5 < len(rewards) < 100
    assert observation in env.observation_space
    with pytest.warns(UserWarning, match='terminated = True'):
        assert env.unwrapped.step(1)[1] == 0.0
    env.close()


def test_truncated_at_500_steps_not_terminated():
    env = gym.make(envs.ENV_ID)
    observation, _ = env.reset(seed=2)
    for step in range(1, 501):
        observation, reward, terminated, truncated, _ = env.step(bang_bang(observation))
        assert not terminated
        assert truncated == (step == 500)
    env.close()


def test_continuous_action_is_a_fraction_of_the_force_limit():
    env = gym.make(envs.CONTINUOUS_ENV_ID, force_limit=8.0)
    env.reset(seed=0)
    assert env.step(np.array([0.5], dtype=np.float32))[4]['applied_force'] == 4.0
    assert env.step(np.array([-3.0], dtype=np.float32))[4]['applied_force'] == -8.0
    with pytest.raises(ValueError):
        env.unwrapped.step(np.array([np.nan], dtype=np.float32))
    env.close()


def test_seeded_reset_and_options():
    env = gym.make(envs.ENV_ID)
    first, _ = env.reset(seed=7)
    again, _ = env.reset(seed=7)
    np.testing.assert_array_equal(first, again)  # determinism: same code, same seed
    assert np.all(np.abs(first) <= 0.05)
    wide, _ = env.reset(seed=7, options={'low': -0.2, 'high': 0.2})
    assert np.any(np.abs(wide) > 0.05)
    exact, _ = env.reset(options={'state': [0.1, 0.2, 0.03, 0.04]})
    np.testing.assert_allclose(exact, [0.1, 0.2, 0.03, 0.04], rtol=1e-6)
    env.close()


def test_render_rgb_array_headless_and_no_human_mode():
    env = gym.make(envs.ENV_ID, render_mode='rgb_array')
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (400, 600, 3) and frame.dtype == np.uint8
    env.close()
    # gymnasium.make would wrap 'human' in its pygame HumanRendering; the class itself only
    # renders arrays and points to the PyBullet GUI instead.
    with pytest.raises(ValueError, match='gui=True'):
        BulletCartPoleEnv(render_mode='human')
