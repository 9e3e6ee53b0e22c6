"""CartPole-v1's constants and failure rule, checked against gymnasium's own environment."""

import math
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

from memsnn_controller.envs import cartpole_spec
from memsnn_controller.envs.cartpole_spec import CARTPOLE_V1, failure_reason, is_failure


def test_constants_match_gymnasium_cartpole_v1():
    env = gym.make('CartPole-v1')
    raw = env.unwrapped
    assert CARTPOLE_V1.x_threshold == raw.x_threshold == 2.4
    assert CARTPOLE_V1.theta_threshold == raw.theta_threshold_radians
    assert CARTPOLE_V1.theta_threshold == pytest.approx(math.radians(12))
    assert CARTPOLE_V1.force_mag == raw.force_mag
    assert CARTPOLE_V1.tau == raw.tau
    assert CARTPOLE_V1.max_episode_steps == env.spec.max_episode_steps == 500
    assert CARTPOLE_V1.solved_mean_length == env.spec.reward_threshold == 475.0
    env.close()


@pytest.mark.parametrize('observation, reason', [
    ((0.0, 0.0, 0.0, 0.0), None),
    ((2.4, 9.0, 0.0, -9.0), None),  # on the threshold is not beyond it (strict, as v1)
    ((2.4000001, 0.0, 0.0, 0.0), 'x_limit'),
    ((-2.4000001, 0.0, 0.0, 0.0), 'x_limit'),
    ((0.0, 0.0, CARTPOLE_V1.theta_threshold, 0.0), None),
    ((0.0, 0.0, 0.21, 0.0), 'theta_limit'),
    ((0.0, 0.0, -0.21, 0.0), 'theta_limit'),
    ((3.0, 0.0, 0.3, 0.0), 'x_limit'),
    ((0.0, float('nan'), 0.0, 0.0), 'invalid'),
    ((float('inf'), 0.0, 0.0, 0.0), 'invalid'),
])
def test_failure_reason(observation, reason):
    assert failure_reason(observation) == reason
    assert is_failure(np.array(observation)) == (reason is not None)


def test_failure_agrees_with_cartpole_v1_terminated():
    env = gym.make('CartPole-v1').unwrapped
    rng = np.random.default_rng(0)
    for state in rng.uniform([-3, -2, -0.3, -2], [3, 2, 0.3, 2], size=(300, 4)):
        env.reset(seed=0)
        env.state = state.copy()
        _, _, terminated, _, _ = env.step(1)
        assert is_failure(env.state) == terminated
    env.close()


def test_custom_spec():
    strict = cartpole_spec.CartPoleSpec(x_threshold=1.0)
    assert failure_reason((1.5, 0, 0, 0), strict) == 'x_limit'
    assert failure_reason((1.5, 0, 0, 0)) is None


def test_the_restart_is_one_of_the_named_ones():
    assert CARTPOLE_V1.restart == 'center'
    assert cartpole_spec.RESTARTS == ('center', 'in_place')
    assert cartpole_spec.CartPoleSpec(restart='in_place').restart == 'in_place'
    # A misspelt restart would silently be CartPole-v1's (PlantWrapper tests for 'in_place').
    with pytest.raises(ValueError, match="CartPoleSpec.restart: .*got 'in-place'"):
        cartpole_spec.CartPoleSpec(restart='in-place')


def test_spec_module_needs_only_the_standard_library():
    code = ('import importlib.util, sys; '
            "spec = importlib.util.spec_from_file_location('s', sys.argv[1]); "
            'm = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); '
            "bad = [n for n in ('numpy', 'gymnasium', 'pybullet', 'rclpy') if n in sys.modules]; "
            'sys.exit(1 if bad else 0)')
    result = subprocess.run([sys.executable, '-c', code, cartpole_spec.__file__])
    assert result.returncode == 0
