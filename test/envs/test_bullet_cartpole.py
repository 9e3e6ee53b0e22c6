"""The PyBullet cart-pole model: configuration, physics, force hold, signs, determinism."""

import math

import numpy as np
import pybullet
import pytest

from memsnn_controller.envs import bullet_cartpole
from memsnn_controller.envs.bullet_cartpole import BulletCartPole, BulletCartPoleConfig


def cartpole_v1_derivative(state, force):
    """CartPole-v1's equations of motion (gymnasium classic_control/cartpole.py)."""
    g, m_cart, m_pole, half_length = 9.8, 1.0, 0.1, 0.5
    total = m_cart + m_pole
    x, x_dot, theta, theta_dot = state
    sin, cos = math.sin(theta), math.cos(theta)
    temp = (force + m_pole * half_length * theta_dot ** 2 * sin) / total
    theta_acc = (g * sin - cos * temp) / (half_length * (4 / 3 - m_pole * cos ** 2 / total))
    x_acc = temp - m_pole * half_length * theta_acc * cos / total
    return np.array([x_dot, x_acc, theta_dot, theta_acc])


def exact_step(state, force, period=0.02, n=100):
    """Integrate CartPole-v1's equations over one period with RK4 (n steps): the true motion."""
    h, s = period / n, np.asarray(state, dtype=float)
    for _ in range(n):
        k1 = cartpole_v1_derivative(s, force)
        k2 = cartpole_v1_derivative(s + h / 2 * k1, force)
        k3 = cartpole_v1_derivative(s + h / 2 * k2, force)
        k4 = cartpole_v1_derivative(s + h * k3, force)
        s = s + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return s


@pytest.fixture
def model():
    with BulletCartPole(seed=0) as m:
        yield m


@pytest.mark.parametrize('field, value', [
    ('control_period', 0.0), ('control_period', 2.0), ('control_period', float('nan')),
    ('physics_substeps', -1), ('physics_substeps', 2.5), ('physics_substeps', True),
    ('force_limit', 0.0), ('force_limit', float('inf')), ('gravity', -9.8),
    ('start_range', 0.3), ('start_range', -0.1), ('sensor_noise', -0.1),
    ('sensor_noise', (0.1, 0.1)), ('sensor_noise', 'x'), ('actuator_noise', -1.0),
    ('gui', 'yes'), ('track_limit', 0.0), ('delay', 1.5), ('coulomb_friction', -1.0),
    ('pole_friction', -1.0), ('encoder_counts', 4096.5), ('motor', 'bldc'),
    ('voltage_limit', 0.0), ('velocity_sensing', 'estimated'), ('sensor_sign', (1, 2)),
])
def test_bad_config_field_is_named(field, value):
    with pytest.raises(ValueError, match=f'BulletCartPoleConfig.{field}'):
        BulletCartPoleConfig(**{field: value})


@pytest.mark.parametrize('period, substeps, expected', [
    (0.02, 0, 5), (1 / 240, 0, 1), (0.05, 0, 12), (0.01, 0, 2), (0.02, 10, 10),
])
def test_physics_step_is_a_whole_fraction_near_240_hz(period, substeps, expected):
    config = BulletCartPoleConfig(control_period=period, physics_substeps=substeps)
    assert config.substeps == expected
    assert config.physics_dt * config.substeps == pytest.approx(period)


def test_sensor_noise_broadcasts_to_four_components():
    assert BulletCartPoleConfig(sensor_noise=0.1).sensor_noise == (0.1,) * 4
    assert BulletCartPoleConfig(sensor_noise=[0, 1, 2, 3]).sensor_noise == (0.0, 1.0, 2.0, 3.0)


def test_signs_match_cartpole_v1(model):
    # A push toward +x moves the cart toward +x and swings the pole back, toward -x.
    model.reset(state=(0, 0, 0, 0))
    (x, x_dot, theta, theta_dot), applied = model.step(10.0)
    assert applied == 10.0
    assert x > 0 and x_dot > 0 and theta < 0 and theta_dot < 0
    # A pole leaning toward +x (theta > 0) falls further that way.
    model.reset(state=(0, 0, 0.05, 0))
    _, _, theta, theta_dot = model.step(0.0)[0]
    assert theta > 0.05 and theta_dot > 0


def test_trajectory_matches_cartpole_v1_equations(model):
    rng = np.random.default_rng(3)
    state = np.array([0.01, -0.02, 0.03, 0.01])
    model.reset(state=state)
    for _ in range(25):  # half a second
        force = float(rng.uniform(-10, 10))
        state = exact_step(state, force)
        observation, _ = model.step(force)
        # PyBullet's semi-implicit 4 ms steps against the exact solution.
        np.testing.assert_allclose(observation, state, rtol=0.03, atol=2e-3)


@pytest.mark.parametrize('substeps', [1, 5, 12])
def test_force_is_held_across_every_physics_substep(substeps):
    # The velocity gained in one period from rest is the force's full impulse only if the force
    # acts in every substep (held once, the cart would gain 1/substeps of it).
    config = BulletCartPoleConfig(physics_substeps=substeps)
    expected = exact_step((0, 0, 0, 0), 10.0)
    with BulletCartPole(config) as m:
        m.reset(state=(0, 0, 0, 0))
        observation, _ = m.step(10.0)
    assert observation[1] == pytest.approx(expected[1], rel=0.01)
    assert observation[3] == pytest.approx(expected[3], rel=0.01)


def test_torque_command_precedes_every_physics_step(monkeypatch, model):
    calls = []

    class Spy:
        def __getattr__(self, name):
            real = getattr(pybullet, name)
            if name not in ('setJointMotorControl2', 'stepSimulation'):
                return real

            def record(*args, **kwargs):
                calls.append((name, args, kwargs))
                return real(*args, **kwargs)
            return record

    model.reset(state=(0, 0, 0, 0))
    monkeypatch.setattr(bullet_cartpole, 'p', Spy())
    model.step(3.5)
    model.step(-2.0)
    names = [name for name, _, _ in calls]
    assert names == ['setJointMotorControl2', 'stepSimulation'] * 10
    forces = [kwargs['force'] for name, args, kwargs in calls if name == 'setJointMotorControl2']
    modes = [args[2] for name, args, _ in calls if name == 'setJointMotorControl2']
    assert forces == [3.5] * 5 + [-2.0] * 5
    assert modes == [pybullet.TORQUE_CONTROL] * 10


def test_default_motors_are_disabled_and_undamped(model):
    # Upright and coasting: a velocity motor or damping would slow the cart.
    model.reset(state=(0, 1.0, 0, 0))
    for _ in range(50):
        observation, _ = model.step(0.0)
    assert observation[1] == pytest.approx(1.0, abs=1e-6)
    assert observation[0] == pytest.approx(1.0, abs=1e-3)


def test_force_limit_clips_and_rejects_non_finite(model):
    model.reset(state=(0, 0, 0, 0))
    assert model.step(25.0)[1] == 10.0
    assert model.step(-25.0)[1] == -10.0
    assert model.applied_force == -10.0
    with pytest.raises(ValueError):
        model.step(float('nan'))


def test_start_distribution(model):
    starts = np.array([model.reset() for _ in range(300)])
    assert np.all(np.abs(starts) <= 0.05)
    assert np.all(starts.max(axis=0) > 0.04) and np.all(starts.min(axis=0) < -0.04)


def test_sensor_noise_changes_only_the_observation():
    config = BulletCartPoleConfig(sensor_noise=(0.0, 0.0, 0.1, 0.0))
    with BulletCartPole(config, seed=1) as m:
        errors = []
        for _ in range(400):
            observation = m.reset()
            errors.append(observation - m.state)
    errors = np.array(errors)
    assert np.all(errors[:, [0, 1, 3]] == 0)
    assert np.std(errors[:, 2]) == pytest.approx(0.1, rel=0.15)


def test_actuator_noise_is_added_then_clipped():
    config = BulletCartPoleConfig(actuator_noise=2.0)
    with BulletCartPole(config, seed=1) as m:
        m.reset(state=(0, 0, 0, 0))
        applied = np.array([m.step(9.0)[1] for _ in range(200)])
    assert np.all(np.abs(applied) <= 10.0)
    assert np.any(applied == 10.0) and np.any(applied < 9.0)


def test_same_seed_and_forces_give_the_same_trajectory():
    forces = np.random.default_rng(5).uniform(-10, 10, size=100)
    config = BulletCartPoleConfig(sensor_noise=0.01, actuator_noise=0.5)
    with BulletCartPole(config, seed=42) as a, BulletCartPole(config, seed=42) as b:
        assert a.client_id != b.client_id
        a.reset(), b.reset()
        # Interleaved stepping: each instance owns its physics client; neither disturbs the other.
        trajectory_a = [a.step(f)[0] for f in forces]
        trajectory_b = [b.step(f)[0] for f in forces]
    # Determinism: the same physics on the same inputs must give the same bits.
    np.testing.assert_array_equal(trajectory_a, trajectory_b)


def test_close_is_idempotent_and_final():
    m = BulletCartPole()
    other = BulletCartPole()
    m.close()
    m.close()
    with pytest.raises(RuntimeError):
        m.step(0.0)
    other.reset(state=(0, 0, 0, 0))
    assert other.step(1.0)[1] == 1.0  # unaffected by the other's disconnect
    other.close()


def test_reconfigure(model):
    model.reconfigure(force_limit=5.0, sensor_noise=0.0)
    model.reset(state=(0, 0, 0, 0))
    assert model.step(9.0)[1] == 5.0
    with pytest.raises(ValueError, match='control_period'):
        model.reconfigure(control_period=0.01)
    with pytest.raises(ValueError, match='force_limit'):
        model.reconfigure(force_limit=-1.0)


def test_gui_without_a_display_is_a_clear_error(monkeypatch):
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    with pytest.raises(RuntimeError, match='display'):
        BulletCartPole(BulletCartPoleConfig(gui=True))


def test_render_rgb_headless(model):
    model.reset(state=(1.0, 0, 0.1, 0))
    image = model.render_rgb(width=120, height=80)
    assert image.shape == (80, 120, 3) and image.dtype == np.uint8
    assert image.min() < 200  # something drawn on the white background
