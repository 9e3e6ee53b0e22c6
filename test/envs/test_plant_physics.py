"""The plant's fields change the physics for real: in the PyBullet model (the URDF's links,
gravity, friction, gain, offset) and in gymnasium's equations through PlantWrapper; with the
original plant nothing changes, bit for bit."""

import math
import os

import gymnasium as gym
import numpy as np
import pybullet_data
import pytest

import memsnn_controller.envs  # noqa: F401  (registers the memsnn/ ids)
from memsnn_controller.envs import bullet_cartpole
from memsnn_controller.envs.bullet_cartpole import BulletCartPole, BulletCartPoleConfig
from memsnn_controller.envs.plant import Plant
from memsnn_controller.envs.plant_env import PlantWrapper

CHANGED = Plant(pole_mass=0.2, pole_length=1.5, cart_mass=2.0, gravity=14.7, friction=0.5,
                actuator_gain=0.6, sensor_offset=(0.01, 0.0, -0.02, 0.0))


def derivative(state, force, plant):
    """CartPole-v1's equations of motion for ``plant``: the motor's gain x force and the cart's
    viscous friction -friction x_dot act on the cart."""
    g, m_cart, m_pole, half = plant.gravity, plant.cart_mass, plant.pole_mass, \
        plant.pole_length / 2
    total = m_cart + m_pole
    x, x_dot, theta, theta_dot = state
    f = plant.actuator_gain * force - plant.friction * x_dot
    sin, cos = math.sin(theta), math.cos(theta)
    temp = (f + m_pole * half * theta_dot ** 2 * sin) / total
    theta_acc = (g * sin - cos * temp) / (half * (4 / 3 - m_pole * cos ** 2 / total))
    x_acc = temp - m_pole * half * theta_acc * cos / total
    return np.array([x_dot, x_acc, theta_dot, theta_acc])


def exact_step(state, force, plant, period=0.02, n=100):
    h, s = period / n, np.asarray(state, dtype=float)
    for _ in range(n):
        k1 = derivative(s, force, plant)
        k2 = derivative(s + h / 2 * k1, force, plant)
        k3 = derivative(s + h / 2 * k2, force, plant)
        k4 = derivative(s + h * k3, force, plant)
        s = s + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return s


def euler_step(state, force, plant):
    """One of gymnasium's Euler steps (tau 0.02) of the same equations."""
    return np.asarray(state) + 0.02 * derivative(state, force, plant)


def _bullet_run(config, forces, start=(0.01, -0.02, 0.03, 0.01)):
    with BulletCartPole(config) as model:
        model.reset(state=start)
        return np.array([model.step(f)[0] for f in forces]), model


FORCES = np.random.default_rng(3).uniform(-10, 10, 25)


def test_the_default_model_is_pybullet_datas_cartpole_bit_for_bit(monkeypatch):
    generated, _ = _bullet_run(BulletCartPoleConfig(), FORCES)
    with open(os.path.join(pybullet_data.getDataPath(), 'cartpole.urdf')) as f:
        original = f.read()
    monkeypatch.setattr(bullet_cartpole, 'cartpole_urdf', lambda **kwargs: original)
    reference, _ = _bullet_run(BulletCartPoleConfig(), FORCES)
    np.testing.assert_array_equal(generated, reference)


@pytest.mark.parametrize('plant', [CHANGED, Plant(pole_length=0.5, pole_mass=0.05),
                                   Plant(friction=2.0, actuator_gain=1.5, gravity=5.0)])
def test_bullet_follows_the_equations_of_the_changed_plant(plant):
    config = BulletCartPoleConfig(**{name: getattr(plant, name) for name in plant.values()})
    observed, model = _bullet_run(config, FORCES)
    assert model.plant == plant
    state = np.array([0.01, -0.02, 0.03, 0.01])
    default = state.copy()
    far = 0.0
    for force, observation in zip(FORCES, observed):
        state = exact_step(state, force, plant)
        default = exact_step(default, force, Plant())
        np.testing.assert_allclose(observation - plant.offset, state, rtol=0.03, atol=2e-3)
        far = max(far, np.max(np.abs(state - default)))
    assert far > 0.02   # the change matters: the default plant would be elsewhere


def test_bullet_reconfigures_a_live_model_keeping_its_state():
    with BulletCartPole() as model:
        model.reset(state=(0.1, 0.2, 0.03, -0.1))
        model.step(3.0)
        before = model.state
        model.set_plant(CHANGED)
        np.testing.assert_allclose(model.state, before)
        after, applied = model.step(5.0)
        assert applied == pytest.approx(3.0)    # the gain: 0.6 x 5 N
        np.testing.assert_allclose(after - CHANGED.offset, exact_step(before, 5.0, CHANGED),
                                   rtol=0.03, atol=2e-3)
        model.reconfigure(gravity=9.8, pole_mass=0.1)
        assert model.plant == CHANGED.replace(gravity=9.8, pole_mass=0.1)


def test_friction_slows_a_coasting_cart():
    plant = Plant(friction=1.0)
    with BulletCartPole(BulletCartPoleConfig(friction=1.0)) as model:
        model.reset(state=(0, 1.0, 0, 0))
        state = np.array([0, 1.0, 0, 0])
        for _ in range(50):
            observation, _ = model.step(0.0)
            state = exact_step(state, 0.0, plant)
    assert observation[1] == pytest.approx(state[1], rel=0.01)
    assert state[1] < 0.5   # from 1 m/s: without friction the cart would coast on at 1 m/s


def _gym_run(env, actions, seed=0):
    observations = [env.reset(seed=seed)[0]]
    for action in actions:
        observation, _, terminated, truncated, _ = env.step(action)
        observations.append(observation)
        if terminated or truncated:
            break
    return np.array(observations)


@pytest.mark.parametrize('env_id, actions', [
    ('CartPole-v1', np.random.default_rng(0).integers(0, 2, 60).tolist()),
    ('memsnn/CartPoleContinuous-v1',
     [np.array([a], dtype=np.float32) for a in np.random.default_rng(0).uniform(-1, 1, 60)]),
])
def test_the_original_plant_changes_nothing(env_id, actions):
    plain = _gym_run(gym.make(env_id), actions)
    wrapped = PlantWrapper(gym.make(env_id))
    assert wrapped.original == Plant()
    wrapped.set_plant(Plant())
    np.testing.assert_array_equal(_gym_run(wrapped, actions), plain)


@pytest.mark.parametrize('env_id', ['CartPole-v1', 'memsnn/CartPoleContinuous-v1'])
def test_gymnasium_steps_the_changed_equations(env_id):
    env = PlantWrapper(gym.make(env_id))
    env.set_plant(CHANGED)
    observation, _ = env.reset(seed=1)
    state = np.array(env.unwrapped.state)
    np.testing.assert_allclose(observation, state + CHANGED.offset, atol=1e-6)
    continuous = env_id != 'CartPole-v1'
    for k in range(20):
        push = 1 if k % 3 else 0
        action = np.array([0.7 if push else -0.4], dtype=np.float32) if continuous else push
        force = float(action[0]) * 10.0 if continuous else (10.0 if push else -10.0)
        expected = euler_step(state, force, CHANGED)
        observation, *_ = env.step(action)
        state = np.array(env.unwrapped.state)
        np.testing.assert_allclose(state, expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(observation, state + CHANGED.offset, atol=1e-6)


def test_reset_options_and_the_pybullet_env():
    env = PlantWrapper(gym.make('memsnn/BulletCartPole-v0'))
    env.reset(seed=0, options={'plant': {'pole_length': 0.8, 'sensor_offset': 0.01}})
    model = env.unwrapped.model
    assert model.plant == Plant(pole_length=0.8, sensor_offset=0.01)
    observation, *_ = env.step(1)
    np.testing.assert_allclose(observation, (model.state + 0.01).astype(np.float32))
    env.reset(seed=0, options={'plant': Plant()})
    assert model.plant == Plant()
    env.close()
    with pytest.raises(ValueError, match='not a cart-pole'):
        PlantWrapper(gym.make('MountainCar-v0'))
