"""Every environment this package registers passes gymnasium's checker, rendering included."""

import warnings

import gymnasium as gym
from gymnasium.utils.env_checker import check_env
import numpy as np
import pytest

import memsnn_controller.envs as envs

REGISTERED = sorted(envs.registered_ids())


def test_the_package_registers_its_three_ids():
    assert REGISTERED == sorted([envs.ENV_ID, envs.CONTINUOUS_ENV_ID,
                                 envs.CLASSIC_CONTINUOUS_ENV_ID])


@pytest.mark.parametrize('env_id', REGISTERED)
def test_check_env_passes_as_made_with_every_declared_render_mode(env_id):
    # check_env on the spec-made env also makes one env per declared render mode, resets and
    # renders it: a mode whose dependency is missing fails here.
    env = gym.make(env_id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        check_env(env.unwrapped)
    # The only warnings are the ones CartPole-v1 itself gets: its velocity bounds are infinite.
    messages = [str(w.message) for w in caught]
    assert all('infinity' in m for m in messages), messages
    env.close()


@pytest.mark.parametrize('env_id', REGISTERED)
def test_rgb_array_renders_a_frame_of_the_pole(env_id):
    env = gym.make(env_id, render_mode='rgb_array')
    assert 'rgb_array' in env.metadata['render_modes']
    env.reset(seed=0)
    frame = env.render()
    env.close()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert frame.shape[0] >= 64 and frame.shape[1] >= 64
    # Not a blank canvas: the cart and pole differ from the background.
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 2
