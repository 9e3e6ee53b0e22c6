"""A laboratory rig's effects (envs/rig.py) in every model that reads a plant: the PyBullet model,
gymnasium's equations through PlantWrapper and RigIntegrator, and what is observed. Each effect
is checked against its closed form, the two models against each other, and the default plant
against the code paths it had before the rig existed."""

import math

from balancing import lqr_force
import gymnasium as gym
from gymnasium.utils.env_checker import check_env
import numpy as np
import pybullet as p
import pybullet_data
import pytest

import memsnn_controller.envs as envs
from memsnn_controller.envs import rig
from memsnn_controller.envs.bullet_cartpole import BulletCartPole, BulletCartPoleConfig
from memsnn_controller.envs.cartpole_spec import CartPoleSpec
from memsnn_controller.envs.plant import Plant
from memsnn_controller.envs.plant_env import REST_SPEED, SETTLE_TIME, PlantWrapper

PERIOD = 0.02
FORCE = 10.0
HANGING = math.pi
LIGHT_POLE = 1e-4      # kg: the massless-pole limit of the cart's closed forms
START = (0.01, -0.02, 0.03, 0.01)
MODELS = ('integrator', 'bullet')
GYM_IDS = ('CartPole-v1', envs.CLASSIC_CONTINUOUS_ENV_ID, envs.ENV_ID)


# -- helpers ----------------------------------------------------------------------------------

def integrate(plant, commands, start, period=PERIOD, physics_dt=rig.RIG_PHYSICS_DT):
    """The true states after each control period of RigIntegrator, and the integrator."""
    integrator = rig.RigIntegrator(plant, period, FORCE, physics_dt)
    state = np.array(start, dtype=np.float64)
    states = []
    for k, command in enumerate(commands):
        integrator.command(float(command), k * period)
        integrator.advance(state, k * period)
        states.append(state.copy())
    return np.array(states), integrator


def bullet_model(plant, **config):
    return BulletCartPole(BulletCartPoleConfig(**plant.values(), **config))


def bullet_run(plant, commands, start, **config):
    """The true states after each control period of the PyBullet model, and its hit count."""
    with bullet_model(plant, **config) as model:
        model.reset(state=start)
        states = []
        for command in commands:
            model.step(float(command))
            states.append(model.state)
        return np.array(states), model.end_stop_hits


def run(kind, plant, commands, start, period=PERIOD):
    """(states, end-stop hits) of ``kind`` ('integrator' in 2 ms steps, 'bullet' in 4 ms)."""
    if kind == 'integrator':
        states, integrator = integrate(plant, commands, start, period)
        return states, integrator.stops.hits
    return bullet_run(plant, commands, start, control_period=period)


def one_physics_step(kind):
    """A control period of exactly one physics step of ``kind``: 2 ms or 4 ms."""
    return rig.RIG_PHYSICS_DT if kind == 'integrator' else 0.004


def derivative(state, force, plant, torque=0.0):
    """CartPole-v1's equations (gymnasium's cartpole.py) with a torque on the pole's joint,
    written out here independently of rig.Dynamics."""
    m, half, total, g = plant.pole_mass, plant.pole_length / 2, \
        plant.pole_mass + plant.cart_mass, plant.gravity
    x, x_dot, theta, theta_dot = state
    sin, cos = math.sin(theta), math.cos(theta)
    temp = (force + m * half * theta_dot ** 2 * sin) / total
    theta_acc = (g * sin - cos * temp + torque / (m * half)) / (
        half * (4 / 3 - m * cos ** 2 / total))
    x_acc = temp - m * half * theta_acc * cos / total
    return np.array([x_dot, x_acc, theta_dot, theta_acc])


def rk4(state, force, plant, period=PERIOD, n=100):
    h, s = period / n, np.asarray(state, dtype=np.float64)
    for _ in range(n):
        k1 = derivative(s, force, plant)
        k2 = derivative(s + h / 2 * k1, force, plant)
        k3 = derivative(s + h / 2 * k2, force, plant)
        k4 = derivative(s + h * k3, force, plant)
        s = s + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return s


def momentum(plant, state):
    """The system's horizontal momentum: (M + m) x_dot + m l cos(theta) theta_dot."""
    half = plant.pole_length / 2
    return (plant.cart_mass + plant.pole_mass) * state[1] + \
        plant.pole_mass * half * math.cos(state[2]) * state[3]


def pole_momentum(plant, state):
    """The momentum conjugate to theta: m l cos(theta) x_dot + 4/3 m l^2 theta_dot."""
    m, half = plant.pole_mass, plant.pole_length / 2
    return m * half * math.cos(state[2]) * state[1] + 4 / 3 * m * half * half * state[3]


@pytest.fixture
def motor_commands(monkeypatch):
    """The command each physics step hands the motor (rig.motor_force), in order."""
    commands = []
    original = rig.motor_force

    def record(plant, command, x_dot, force_limit):
        commands.append(command)
        return original(plant, command, x_dot, force_limit)
    monkeypatch.setattr(rig, 'motor_force', record)
    return commands


def wrapped(env_id, plant=None, task=None):
    env = PlantWrapper(gym.make(env_id))
    if task is not None:
        env.set_task(task)
    if plant is not None:
        env.set_plant(plant)
    return env


def action(env, push):
    """A full push toward +x (push > 0) or -x in the env's action space."""
    if isinstance(env.action_space, gym.spaces.Box):
        return np.array([1.0 if push > 0 else -1.0], dtype=np.float32)
    return 1 if push > 0 else 0


def true_state(env):
    inner = env.unwrapped
    return inner.model.state if hasattr(inner, 'model') else np.array(inner.state, np.float64)


# -- the default plant is untouched -----------------------------------------------------------

def _raw_pybullet(forces, start):
    """What BulletCartPole did for the default plant before the rig: pybullet_data's cart-pole,
    undamped, velocity motors off, the force re-applied before each of 5 physics steps."""
    cid = p.connect(p.DIRECT)
    try:
        p.setGravity(0, 0, -9.8, physicsClientId=cid)
        p.setPhysicsEngineParameter(fixedTimeStep=0.004, numSubSteps=0, physicsClientId=cid)
        body = p.loadURDF(pybullet_data.getDataPath() + '/cartpole.urdf', useFixedBase=True,
                          physicsClientId=cid)
        names = {p.getJointInfo(body, j, physicsClientId=cid)[1].decode(): j
                 for j in range(p.getNumJoints(body, physicsClientId=cid))}
        cart, pole = names['slider_to_cart'], names['cart_to_pole']
        for link in (-1, cart, pole):
            p.changeDynamics(body, link, linearDamping=0.0, angularDamping=0.0,
                             jointDamping=0.0, physicsClientId=cid)
        p.setJointMotorControlArray(body, [cart, pole], p.VELOCITY_CONTROL, forces=[0.0, 0.0],
                                    physicsClientId=cid)
        p.resetJointState(body, cart, start[0], start[1], physicsClientId=cid)
        p.resetJointState(body, pole, start[2], start[3], physicsClientId=cid)
        states = []
        for force in forces:
            for _ in range(5):
                p.setJointMotorControl2(body, cart, p.TORQUE_CONTROL,
                                        force=min(max(force, -10.0), 10.0), physicsClientId=cid)
                p.stepSimulation(physicsClientId=cid)
            (x, x_dot, *_), (theta, theta_dot, *_) = p.getJointStates(body, [cart, pole],
                                                                       physicsClientId=cid)
            states.append((x, x_dot, theta, theta_dot))
        return np.array(states)
    finally:
        p.disconnect(physicsClientId=cid)


def test_the_default_bullet_model_is_raw_pybullet_bit_for_bit():
    forces = np.random.default_rng(5).uniform(-14, 14, 40)
    with BulletCartPole() as model:
        model.reset(state=START)
        observed = np.array([model.step(f)[0] for f in forces])
    np.testing.assert_array_equal(observed, _raw_pybullet(forces, START))


def _episodes(env, seeds, steps=600):
    """Observations, rewards, ends and infos of one episode per seed under a fixed policy."""
    out = []
    for seed in seeds:
        observation, info = env.reset(seed=seed)
        out.append(('reset', observation.tolist(), info))
        for k in range(steps):
            push = lqr_force(observation) + (3.0 if k % 7 == 0 else 0.0)
            observation, reward, terminated, truncated, info = env.step(action(env, push))
            info = {key: value for key, value in info.items() if key != 'end_stop_hits'}
            out.append((observation.tolist(), reward, terminated, truncated, info))
            if terminated or truncated:
                break
    return out


@pytest.mark.parametrize('env_id', GYM_IDS + (envs.CONTINUOUS_ENV_ID,))
def test_the_default_plant_takes_no_rig_code_path(monkeypatch, env_id):
    plain = _episodes(gym.make(env_id), seeds=(0, 1, 2))

    def forbidden(*args, **kwargs):
        raise AssertionError('the default plant reached the rig code')
    for name in ('motor_force', 'cart_friction', 'observe', 'quantise'):
        monkeypatch.setattr(rig, name, forbidden)
    for cls, name in ((rig.RigIntegrator, 'advance'), (rig.EndStops, 'apply'),
                      (rig.DelayLine, 'send'), (rig.DelayLine, 'at')):
        monkeypatch.setattr(cls, name, forbidden)
    env = PlantWrapper(gym.make(env_id))
    env.set_plant(Plant())
    env.set_task(CartPoleSpec())
    assert env.plant == env.original == Plant()
    assert _episodes(env, seeds=(0, 1, 2)) == plain
    assert env.episode_end_stop_hits == 0


def test_a_rig_plant_without_an_active_effect_is_the_plain_model():
    # The rig's per-step code with a far stop reproduces PyBullet's plain step bit for bit, and
    # RigIntegrator in one step per period reproduces CartPole-v1's own Euler step.
    forces = np.random.default_rng(0).uniform(-12, 12, 50)
    base = Plant(friction=0.7, actuator_gain=0.8)
    plain, _ = bullet_run(base, forces, START)
    far, hits = bullet_run(base.replace(track_limit=10.0), forces, START)
    np.testing.assert_array_equal(far, plain)
    assert hits == 0
    env = gym.make('CartPole-v1').unwrapped
    env.x_threshold = env.theta_threshold_radians = 100.0    # no episode end to warn about
    env.reset(seed=0)
    actions = np.random.default_rng(1).integers(0, 2, 30)
    states, _ = integrate(Plant(), [FORCE if a else -FORCE for a in actions], env.state,
                          physics_dt=PERIOD)
    for a, state in zip(actions, states):
        env.step(int(a))
        np.testing.assert_allclose(state, env.state, rtol=0, atol=1e-15)


# -- RigIntegrator: CartPole-v1's equations, momentum -----------------------------------------

def test_the_integrator_converges_to_cartpole_v1s_equations():
    # Explicit Euler is first order: halving the step halves the error against RK4.
    forces = np.random.default_rng(3).uniform(-10, 10, 25)
    reference, state = [], np.array(START)
    for force in forces:
        state = rk4(state, force, Plant())
        reference.append(state)
    errors = {}
    for dt in (0.002, 0.001):
        states, _ = integrate(Plant(), forces, START, physics_dt=dt)
        errors[dt] = np.max(np.abs(states - reference), axis=0)
    # 2 ms over half a second of pushes: 0.6 mm, 0.5 mm/s, 5 mrad, 21 mrad/s measured.
    assert np.all(errors[0.002] < (1.5e-3, 1.5e-3, 0.01, 0.04))
    np.testing.assert_allclose(errors[0.001] / errors[0.002], 0.5, atol=0.1)


def test_momentum_is_conserved_without_friction_or_motor():
    # d/dt [(M + m) x_dot + m l cos(theta) theta_dot] = F = 0: only the integrator's error moves
    # it, to first order in the step. A falling, swinging pole trades momentum with the cart.
    plant = Plant(pole_mass=0.5)
    start = (0.0, 0.3, 2.5, 1.0)
    p0 = momentum(plant, start)
    deviation = {}
    for dt in (0.002, 0.0002):
        states, _ = integrate(plant, [0.0] * 100, start, physics_dt=dt)
        deviation[dt] = max(abs(momentum(plant, s) - p0) for s in states)
    cart = (plant.cart_mass + plant.pole_mass) * states[:, 1]
    assert np.ptp(cart) > 0.5                       # the cart's share swings by > 0.5 kg m/s
    assert deviation[0.002] < 2e-3 * np.ptp(cart)
    assert deviation[0.0002] < deviation[0.002] / 5


def test_momentum_is_conserved_between_impacts():
    plant = Plant(track_limit=0.05)
    integrator = rig.RigIntegrator(plant, rig.RIG_PHYSICS_DT, FORCE)
    state = np.array([0.0, 0.4, 0.2, -1.0])
    p0, before = momentum(plant, state), state.copy()
    for k in range(200):
        hits = integrator.advance(state, k * rig.RIG_PHYSICS_DT)
        if hits:
            break
        assert momentum(plant, state) == pytest.approx(p0, abs=1e-3)
        before = state.copy()
    assert hits == 1 and state[0] == 0.05 and state[1] == 0.0
    # The stop's impulse changes the momentum by -(M + m - 3/4 m cos^2 theta) v, v the speed
    # the Euler step would have ended with.
    v = before[1] + rig.RIG_PHYSICS_DT * derivative(before, 0.0, plant)[1]
    jump = -(plant.cart_mass + plant.pole_mass
             - 0.75 * plant.pole_mass * math.cos(state[2]) ** 2) * v
    after_free = before + rig.RIG_PHYSICS_DT * derivative(before, 0.0, plant)
    assert momentum(plant, state) - momentum(plant, after_free) == pytest.approx(jump, rel=1e-9)


# -- the delay ------------------------------------------------------------------------------

def test_the_delay_line():
    line = rig.DelayLine(0.03)
    assert line.at(0.0) == 0.0                      # 0 before the first command arrives
    line.send(2.0, 0.0)
    line.send(-1.0, 0.02)
    assert line.in_flight() == [(0.03, 2.0), (0.05, -1.0)]
    assert line.at(0.0299) == 0.0
    assert line.at(0.03 - 1e-12) == 2.0             # within TIME_TOLERANCE of the grid
    assert line.at(0.049) == 2.0 and line.at(0.05) == -1.0 and line.at(1.0) == -1.0
    line.send(5.0, 1.0)
    line.clear()
    assert line.in_flight() == [] and line.at(2.0) == 0.0
    line.send(5.0, 2.0)
    line.clear(3.0)                                 # the command in effect after clearing
    assert line.at(10.0) == 3.0
    # No delay: a command is in effect at once and replaces any in flight.
    line = rig.DelayLine(0.0)
    line.send(4.0, 0.0)
    assert line.at(0.0) == 4.0 and line.in_flight() == []


def _expected_commands(commands, delay, substeps, period=PERIOD):
    """The command in effect at each physics step: the latest sent at or before t - delay."""
    dt = period / substeps
    out = []
    for n in range(len(commands)):
        for j in range(substeps):
            t = n * period + j * dt
            due = [u for i, u in enumerate(commands) if i * period + delay <= t + 1e-9]
            out.append(due[-1] if due else 0.0)
    return out


@pytest.mark.parametrize('kind', MODELS)
@pytest.mark.parametrize('delay', [0.0, 0.004, 0.005, 0.01, 0.02, 0.03, 0.05])
def test_a_command_reaches_the_motor_delay_later(motor_commands, kind, delay):
    commands = [1.0, 2.0, 3.0, 4.0]
    run(kind, Plant(delay=delay, pole_friction=1e-6), commands, START)
    substeps = 10 if kind == 'integrator' else 5
    assert motor_commands == _expected_commands(commands, delay, substeps)


@pytest.mark.parametrize('kind', MODELS)
def test_half_a_period_of_delay_arrives_at_the_next_physics_step(motor_commands, kind):
    # 0.01 s at 50 Hz: in 2 ms steps the 6th step of the period starts exactly then; in 4 ms
    # steps none does, and the command waits for the step at 12 ms.
    run(kind, Plant(delay=0.01), [1.0, 2.0], START)
    if kind == 'integrator':
        assert motor_commands == [0.0] * 5 + [1.0] * 10 + [2.0] * 5
    else:
        assert motor_commands == [0.0] * 3 + [1.0] * 5 + [2.0] * 2


def test_a_delayed_command_is_the_undelayed_one_a_period_later():
    plant = Plant(delay=PERIOD, coulomb_friction=0.5, pole_friction=0.01)
    env = wrapped('CartPole-v1', plant)
    actions = [1, 1, 0, 1, 0, 0, 1, 0]
    env.reset(seed=3)
    start = true_state(env)
    states = []
    for a in actions:
        env.step(a)
        states.append(true_state(env))
    shifted = [0.0] + [FORCE if a else -FORCE for a in actions[:-1]]
    expected, _ = integrate(plant.replace(delay=0.0), shifted, start)
    np.testing.assert_array_equal(states, expected)
    # A reset drops the commands in flight: the first period after it coasts again.
    env.reset(seed=4)
    start = true_state(env)
    env.step(1)
    np.testing.assert_array_equal(true_state(env),
                                  integrate(plant.replace(delay=0.0), [0.0], start)[0][0])


# -- the DC motor -----------------------------------------------------------------------------

def test_the_motor_force():
    force = Plant()
    assert rig.motor_force(force, 3.0, 5.0, 10.0) == 3.0
    assert rig.motor_force(force, 30.0, 0.0, 10.0) == 10.0
    assert rig.motor_force(force, -30.0, 0.0, 10.0) == -10.0
    assert rig.motor_force(force.replace(actuator_gain=0.6), 30.0, 0.0, 10.0) == \
        pytest.approx(6.0)
    dc = Plant(motor='dc', voltage_limit=6.0, k_force=0.8, k_emf=1.5, actuator_gain=0.9)
    assert rig.motor_force(dc, 4.0, 0.5, 10.0) == pytest.approx(0.9 * (0.8 * 4.0 - 1.5 * 0.5))
    assert rig.motor_force(dc, 100.0, 0.5, 10.0) == pytest.approx(0.9 * (0.8 * 6.0 - 0.75))
    assert rig.motor_force(dc, -100.0, -0.5, 10.0) == pytest.approx(0.9 * (-0.8 * 6.0 + 0.75))
    # At 0 V the back-EMF brakes; the force limit is a force motor's, not a DC motor's.
    assert rig.motor_force(dc, 0.0, 2.0, 10.0) == pytest.approx(-0.9 * 1.5 * 2.0)
    assert rig.motor_force(dc.replace(k_force=5.0), 6.0, 0.0, 1.0) == pytest.approx(27.0)


@pytest.mark.parametrize('kind', MODELS)
def test_a_dc_motor_settles_at_its_steady_speed(kind):
    # Force balance at constant speed: gain (k_force V - k_emf v) = friction v. The hanging pole
    # (damped by its joint's friction) settles with it; the time constant is 0.34 s.
    plant = Plant(motor='dc', voltage_limit=6.0, k_force=0.8, k_emf=3.0, friction=0.5,
                  actuator_gain=0.9, pole_friction=0.2)
    gain = plant.actuator_gain

    def steady(volts):
        return gain * plant.k_force * volts / (gain * plant.k_emf + plant.friction)
    start = (-10.0, 0.0, HANGING, 0.0)          # room on the URDF's +-15 m slide
    states, _ = run(kind, plant, [4.0] * 150, start)
    assert states[-1, 1] == pytest.approx(steady(4.0), rel=1e-3)
    states, _ = run(kind, plant, [-100.0] * 150, start)   # clipped to -6 V
    assert states[-1, 1] == pytest.approx(steady(-6.0), rel=1e-3)


# -- dry friction -----------------------------------------------------------------------------

@pytest.mark.parametrize('kind', MODELS)
def test_a_push_below_coulomb_friction_leaves_the_cart_at_rest(kind):
    plant = Plant(coulomb_friction=5.0)
    states, _ = run(kind, plant, [3.0] * 20, (0.1, 0.0, 0.1, 0.0))
    # The pole falls on a cart that sticks: exactly at rest, no creep and no chatter.
    assert np.all(states[:, 0] == 0.1) and np.all(states[:, 1] == 0.0)
    assert states[-1, 2] > 0.2
    # A push above it breaks the cart loose.
    states, _ = run(kind, plant, [6.0] * 15, (0.1, 0.0, 0.1, 0.0))
    assert states[-1, 0] > 0.11 and states[-1, 1] > 0.1


@pytest.mark.parametrize('kind', MODELS)
def test_a_push_above_coulomb_friction_accelerates_with_the_difference(kind):
    plant = Plant(coulomb_friction=2.0, pole_mass=LIGHT_POLE)
    total = plant.cart_mass + plant.pole_mass
    states, _ = run(kind, plant, [5.0] * 25, (0.0, 0.0, HANGING, 0.0))
    times = PERIOD * np.arange(1, 26)
    np.testing.assert_allclose(states[:, 1], (5.0 - 2.0) / total * times, rtol=1e-3)


@pytest.mark.parametrize('kind', MODELS)
def test_a_sliding_cart_stops_as_coulomb_friction_says(kind):
    # v(t) = v0 - coulomb t / M: it stops at v0 M / coulomb, after v0^2 M / (2 coulomb).
    plant = Plant(coulomb_friction=2.0, pole_mass=LIGHT_POLE)
    total = plant.cart_mass + plant.pole_mass
    v0 = 1.0
    states, _ = run(kind, plant, [0.0] * 75, (0.0, v0, HANGING, 0.0))
    stop = v0 * total / plant.coulomb_friction
    times = PERIOD * np.arange(1, 76)
    sliding = times < stop - PERIOD
    np.testing.assert_allclose(states[sliding, 1], v0 - plant.coulomb_friction / total
                               * times[sliding], atol=1e-3)
    at_rest = times > stop + PERIOD
    assert np.all(states[at_rest, 1] == 0.0)           # exactly, and it stays there
    assert np.all(states[at_rest, 0] == states[-1, 0])
    # The distance, to the Euler sum's bias of half a physics step's travel at v0.
    dt = 0.002 if kind == 'integrator' else 0.004
    assert states[-1, 0] == pytest.approx(v0 ** 2 * total / (2 * plant.coulomb_friction),
                                          abs=dt * v0)


@pytest.mark.parametrize('kind', MODELS)
def test_a_swinging_pole_cannot_shake_a_stuck_cart(kind):
    # A hanging pole swinging +-0.5 rad pushes the cart with well under 5 N.
    states, _ = run(kind, Plant(coulomb_friction=5.0), [0.0] * 100, (0.2, 0.0, HANGING + 0.5, 0.0))
    assert np.all(states[:, :2] == (0.2, 0.0))
    assert np.ptp(states[:, 2]) > 0.9


def test_karnopps_band_sticks_a_cart_within_one_steps_speed():
    plant = Plant(coulomb_friction=2.0)
    dyn = rig.Dynamics(plant)
    band = 0.002 * 2.0 / 1.1
    # Sliding: -coulomb sign(x_dot) beside the viscous friction.
    assert rig.cart_friction(plant, dyn, 1.2 * band, 0.0, 0.0, 0.0, 0.0, 0.002) == (-2.0, False)
    assert rig.cart_friction(plant.replace(friction=0.5), dyn, -1.0, 0.0, 0.0, 9.0, 0.0,
                             0.002) == (2.5, False)
    # Within the band and pushed below coulomb: the friction holds the cart (x_acc = 0).
    rub, stuck = rig.cart_friction(plant, dyn, 0.8 * band, 0.1, 0.0, 1.5, 0.0, 0.002)
    assert stuck and dyn.accelerations(0.1, 0.0, 1.5 + rub, 0.0)[0] == pytest.approx(0, abs=1e-12)
    # Pushed beyond it: coulomb against the push.
    assert rig.cart_friction(plant, dyn, 0.0, 0.0, 0.0, 3.0, 0.0, 0.002) == (-2.0, False)
    assert rig.cart_friction(plant, dyn, 0.0, 0.0, 0.0, -3.0, 0.0, 0.002) == (2.0, False)


# -- pole friction ----------------------------------------------------------------------------

def _swing(kind, plant, seconds):
    """theta of a hanging pole released at +0.05 rad, sampled every physics step."""
    steps = round(seconds / one_physics_step(kind))
    states, _ = run(kind, plant, [0.0] * steps, (0.0, 0.0, HANGING + 0.05, 0.0),
                    period=one_physics_step(kind))
    return states[:, 2] - HANGING


def _log_decrement(phi):
    peaks = [phi[i] for i in range(1, len(phi) - 1)
             if phi[i] > 0 and phi[i - 1] < phi[i] >= phi[i + 1]]
    assert len(peaks) >= 4
    return float(np.mean(np.log(np.array(peaks[:-1]) / np.array(peaks[1:]))))


@pytest.mark.parametrize('kind', MODELS)
def test_pole_friction_damps_the_swing_by_its_log_decrement(kind):
    # Linearised about hanging (free cart): phi'' + 2 beta phi' + w0^2 phi = 0 with
    # a = l (4/3 - m / (M + m)), w0^2 = g / a, beta = c / (2 m l a); the peaks of a swing fall by
    # beta T_d per period, T_d = 2 pi / sqrt(w0^2 - beta^2).
    plant = Plant(pole_friction=0.01)
    m, half, total = plant.pole_mass, plant.pole_length / 2, plant.pole_mass + plant.cart_mass
    a = half * (4 / 3 - m / total)
    beta = plant.pole_friction / (2 * m * half * a)
    expected = beta * 2 * math.pi / math.sqrt(plant.gravity / a - beta ** 2)
    undamped = _log_decrement(_swing(kind, Plant(track_limit=10.0), 8.0))
    damped = _log_decrement(_swing(kind, plant, 8.0))
    if kind == 'integrator':
        # Explicit Euler feeds an oscillator energy (0.025 per period here): compare the
        # damped swing with the undamped one integrated the same way.
        assert damped - undamped == pytest.approx(expected, rel=0.01)
    else:
        assert undamped == pytest.approx(0.0, abs=1e-3)
        assert damped == pytest.approx(expected, rel=0.01)


# -- end stops --------------------------------------------------------------------------------

def test_an_end_stop_stops_the_cart_and_kicks_the_pole():
    plant = Plant(track_limit=0.4)
    dyn, stops = rig.Dynamics(plant), rig.EndStops(0.4)
    state = np.array([0.41, 1.2, 0.3, -0.5])
    before = state.copy()
    assert stops.apply(state, dyn) and stops.hits == 1 and stops.touching
    assert (state[0], state[1], state[2]) == (0.4, 0.0, 0.3)
    # theta_dot jumps by -3 cos(theta) dv / (4 l), dv = -1.2: the pole pitches on toward +x;
    # the impulse acts on the cart only, so the pole's conjugate momentum is unchanged.
    assert state[3] == pytest.approx(-0.5 + 3 * math.cos(0.3) * 1.2 / (4 * 0.5), rel=1e-12)
    assert pole_momentum(plant, state) == pytest.approx(pole_momentum(plant, before), abs=1e-15)
    # Pressed on by the motor: put back on the stop, no new hit.
    state[0], state[1] = 0.4 + 1e-5, 0.3
    assert not stops.apply(state, dyn) and stops.hits == 1 and tuple(state[:2]) == (0.4, 0.0)
    state[1] = 0.1                                  # on the stop, moving outward
    assert not stops.apply(state, dyn) and state[1] == 0.0 and stops.hits == 1
    # Resting on it, pulled inward: still touching until it leaves; a new contact is a new hit.
    state[1] = -0.1
    assert not stops.apply(state, dyn) and stops.touching and state[1] == -0.1
    state[0] = 0.39
    assert not stops.apply(state, dyn) and not stops.touching
    state[0], state[1] = 0.4, 0.2
    assert stops.apply(state, dyn) and stops.hits == 2
    # The other stop: the pole pitches on toward -x.
    state[:] = (0.0, -1.0, -0.2, 0.0)
    assert not stops.apply(state, dyn) and not stops.touching
    state[:] = (-0.45, -1.0, -0.2, 0.0)
    assert stops.apply(state, dyn) and stops.hits == 3
    assert (state[0], state[1]) == (-0.4, 0.0)
    assert state[3] == pytest.approx(-3 * math.cos(-0.2) * 1.0 / (4 * 0.5), rel=1e-12)
    # Within the track nothing changes.
    state[:] = (0.1, 3.0, 0.2, 0.1)
    assert not stops.apply(state, dyn) and list(state) == [0.1, 3.0, 0.2, 0.1]


@pytest.mark.parametrize('kind', MODELS)
def test_the_models_apply_the_stops_impulse_at_the_physics_step(kind):
    # One physics step from just before the stop at 1 m/s, against the same step with no stop
    # in reach: the cart ends on the stop at rest, the pole with the impulse's reaction.
    start = (0.299, 1.0, 0.2, 0.3)
    step = one_physics_step(kind)
    hit, hits = run(kind, Plant(track_limit=0.3), [0.0], start, period=step)
    free, _ = run(kind, Plant(track_limit=10.0), [0.0], start, period=step)
    (x, x_dot, theta, theta_dot), free = hit[0], free[0]
    assert hits == 1 and free[0] > 0.3
    assert (x, x_dot) == (0.3, 0.0)
    assert theta == pytest.approx(free[2], abs=1e-12)
    assert theta_dot == pytest.approx(free[3] + 3 * math.cos(free[2]) * free[1] / (4 * 0.5),
                                      abs=1e-9)


@pytest.mark.parametrize('kind', MODELS)
def test_a_cart_driven_into_a_stop_rests_on_it_and_counts_one_hit(kind):
    plant = Plant(track_limit=0.3)
    states, hits = run(kind, plant, [FORCE] * 50, (0.0, 0.0, 0.0, 0.0))
    assert hits == 1
    pressed = states[states[:, 0] >= 0.3]
    assert len(pressed) > 30 and np.all(pressed[:, :2] == (0.3, 0.0))
    assert np.all(np.abs(states[:, 0]) <= 0.3)
    # Over to the other stop and back: one hit per contact.
    states, hits = run(kind, plant, [FORCE] * 50 + [-FORCE] * 50 + [FORCE] * 50,
                       (0.0, 0.0, 0.0, 0.0))
    assert hits == 3 and np.all(np.abs(states[:, 0]) <= 0.3)


@pytest.mark.parametrize('env_id', GYM_IDS)
def test_an_episode_that_starts_on_a_stop_has_not_hit_it(env_id):
    # The operator's start on the stop (in place, the start region reaching it), pushed on.
    env = wrapped(env_id, Plant(track_limit=0.3),
                  CartPoleSpec(x_threshold=0.6, theta_threshold=100.0, restart='in_place'))
    for side in (1, -1):
        env.set_carry({'rest_x': side * 0.3})
        env.reset(seed=0)
        for _ in range(5):
            *_, info = env.step(action(env, side))
            assert info['end_stop_hits'] == 0 and true_state(env)[0] == side * 0.3
        assert env.episode_end_stop_hits == 0


@pytest.mark.parametrize('env_id', GYM_IDS)
def test_the_wrapper_reports_hits_per_step_and_per_episode(env_id):
    env = wrapped(env_id, Plant(track_limit=0.3),
                  CartPoleSpec(x_threshold=10.0, theta_threshold=100.0))
    for seed in (0, 1):
        env.reset(seed=seed)
        assert env.episode_end_stop_hits == 0
        per_step = []
        for k in range(60):
            *_, info = env.step(action(env, 1 if k < 30 else -1))
            per_step.append(info['end_stop_hits'])
        # One hit on the +x stop, one on the -x stop, each in the step it happened.
        assert sorted(per_step) == [0] * 58 + [1, 1]
        assert env.episode_end_stop_hits == 2


@pytest.mark.parametrize('env_id', GYM_IDS)
def test_a_set_command_drives_the_plant_instead_of_the_action(env_id):
    # A safety layer's command (here a voltage against the action's push) is what the motor
    # gets, in gymnasium's equations and in the PyBullet model alike.
    plant = Plant(motor='dc', voltage_limit=6.0, k_force=2.0, delay=0.0, coulomb_friction=0.01)
    for command, push in ((-3.0, 1), (3.0, -1)):
        env = wrapped(env_id, plant)
        env.reset(seed=0)
        before = true_state(env)[1]
        env.set_command(command)
        env.step(action(env, push))
        # 6 N for 20 ms on about 1.1 kg: 0.1 m/s, against the action's direction.
        assert (true_state(env)[1] - before) * command > 0.05 * abs(command) / 3.0
        env.close()


def test_gymnasiums_own_step_refuses_a_command_it_cannot_apply():
    env = wrapped('CartPole-v1')
    env.reset(seed=0)
    env.set_command(10.0)
    env.step(1)  # the action's own command is accepted
    env.set_command(3.0)
    with pytest.raises(ValueError, match='differs from the action'):
        env.step(1)


# -- encoders and what is observed ------------------------------------------------------------

def test_the_encoders_quantise_after_sign_and_offset():
    plant = Plant(encoder_counts=4096, pinion_radius=0.01)
    x_step, theta_step = rig.encoder_steps(plant)
    assert (x_step, theta_step) == (2 * math.pi * 0.01 / 4096, 2 * math.pi / 4096)
    assert rig.encoder_steps(Plant()) == (0.0, 0.0)
    signed = plant.replace(sensor_sign=(-1, -1), sensor_offset=(0.01, 0.02, -0.03, 0.04))
    for state in np.random.default_rng(0).uniform(-1, 1, (300, 4)) * (0.4, 2.0, 3.0, 5.0):
        out = rig.observe(plant, state, np.zeros(4))
        assert abs(out[0] - state[0]) <= x_step / 2 * (1 + 1e-9)
        assert abs(out[2] - state[2]) <= theta_step / 2 * (1 + 1e-9)
        assert out[0] / x_step == pytest.approx(round(out[0] / x_step), abs=1e-6)
        assert out[2] / theta_step == pytest.approx(round(out[2] / theta_step), abs=1e-6)
        assert (out[1], out[3]) == (state[1], state[3])     # velocities are not quantised
        # Sign and offset first, then the encoder: whole counts of the signed, offset reading.
        out = rig.observe(signed, state, np.zeros(4))
        assert out[0] == rig.quantise(-state[0] + 0.01, x_step)
        assert out[2] == rig.quantise(-state[2] - 0.03, theta_step)
        assert (out[1], out[3]) == (-state[1] + 0.02, -state[3] + 0.04)
    # Position-only sensing: NaN velocities, positions as before.
    blind = signed.replace(velocity_sensing='none')
    out = rig.observe(blind, np.array(START), np.zeros(4))
    assert math.isnan(out[1]) and math.isnan(out[3])
    assert (out[0], out[2]) == (rig.quantise(-0.01 + 0.01, x_step),
                                rig.quantise(-0.03 - 0.03, theta_step))
    # No effect: the state itself (plus the offset).
    assert list(rig.observe(Plant(), np.array(START), np.zeros(4))) == list(START)


RIG_SENSING = Plant(encoder_counts=1024, pinion_radius=0.02, velocity_sensing='none',
                    sensor_sign=(1, -1), sensor_offset=(0.0, 0.0, 0.05, 0.0))


def test_the_bullet_model_observes_through_the_encoders():
    forces = np.random.default_rng(2).uniform(-10, 10, 20)
    truth, _ = bullet_run(Plant(), forces, START)
    with bullet_model(RIG_SENSING, sensor_noise=0.001) as model:
        model.reset(state=START)
        for force, state in zip(forces, truth):
            observation, _ = model.step(force)
            # The sensors change what is seen, never the motion.
            np.testing.assert_array_equal(model.state, state)
            x_step, theta_step = rig.encoder_steps(RIG_SENSING)
            assert np.isnan(observation[1]) and np.isnan(observation[3])
            # Noise is added before the encoders: still whole counts, near the truth.
            assert observation[0] / x_step == pytest.approx(round(observation[0] / x_step),
                                                            abs=1e-6)
            assert observation[0] == pytest.approx(state[0], abs=x_step / 2 + 0.005)
            assert observation[2] == pytest.approx(0.05 - state[2], abs=theta_step / 2 + 0.005)


@pytest.mark.parametrize('env_id', ['CartPole-v1', envs.CLASSIC_CONTINUOUS_ENV_ID])
def test_the_wrapper_observes_through_the_encoders(env_id):
    no_end = CartPoleSpec(x_threshold=100.0, theta_threshold=100.0)
    plain, env = gym.make(env_id), wrapped(env_id, RIG_SENSING, no_end)
    plain.unwrapped.x_threshold = plain.unwrapped.theta_threshold_radians = 100.0
    observation, _ = env.reset(seed=0)
    plain.reset(seed=0)
    for k in range(30):
        state = true_state(env)
        np.testing.assert_array_equal(state, np.array(plain.unwrapped.state, np.float64))
        expected = rig.observe(RIG_SENSING, state, np.zeros(4)).astype(np.float32)
        np.testing.assert_array_equal(observation, expected)
        push = action(env, 1 if k % 3 else -1)
        observation, *_ = env.step(push)
        plain.step(push)


# -- PyBullet against the integrator ----------------------------------------------------------

@pytest.mark.parametrize('seed', range(4))
def test_bullet_and_the_integrator_agree_on_a_rig_plant(seed):
    # Over half a second of random commands both follow CartPole-v1's equations with the rig's
    # effects. Without effects PyBullet's 4 ms steps stay within 1.2 mm and 4 mrad of RK4 and
    # the integrator's 2 ms Euler steps within 0.6 mm, 5 mrad and 21 mrad/s (tests above);
    # dry friction adds the Karnopp band of a 4 ms step, 4 ms x 1 N / 1.1 kg = 3.6 mm/s, to
    # the speed each time the cart sticks. The delay, 20 ms, is whole steps of both models (a
    # delay between their step times would start a command at different times).
    plant = Plant(delay=0.02, coulomb_friction=1.0, pole_friction=0.005, friction=0.2,
                  motor='dc', k_force=1.0, k_emf=0.5)
    commands = np.random.default_rng(seed).uniform(-10, 10, 25)
    euler, _ = run('integrator', plant, commands, START)
    bullet, _ = run('bullet', plant, commands, START)
    assert np.all(np.max(np.abs(bullet - euler), axis=0) < (5e-3, 0.015, 0.01, 0.03))
    # The effects matter: the plain plant is far from both.
    plain, _ = run('integrator', Plant(), commands, START)
    assert np.max(np.abs(plain - euler)[:, 1]) > 0.2


@pytest.mark.parametrize('seed', [2, 4, 7])
def test_bullet_and_the_integrator_hit_the_stops_alike(seed):
    # A hit's step differs by up to one physics step between the models, so the speed right
    # after it differs by up to the speed at impact: compare positions and hit counts.
    plant = Plant(track_limit=0.05, delay=0.02, coulomb_friction=1.0)
    commands = np.random.default_rng(seed).uniform(-10, 10, 25)
    euler, euler_hits = run('integrator', plant, commands, START)
    bullet, bullet_hits = run('bullet', plant, commands, START)
    assert euler_hits == bullet_hits >= 1
    assert np.max(np.abs(bullet - euler)[:, (0, 2)]) < 0.01
    assert np.max(np.abs(euler[:, 0])) <= 0.05 and np.max(np.abs(bullet[:, 0])) <= 0.05


# -- PlantWrapper with the rig ----------------------------------------------------------------

RIG = Plant(track_limit=0.5, delay=0.02, coulomb_friction=1.0, pole_friction=0.005)


@pytest.mark.parametrize('env_id', GYM_IDS)
def test_episodes_end_at_the_tasks_thresholds(env_id):
    env = wrapped(env_id, RIG, CartPoleSpec(x_threshold=0.3, theta_threshold=100.0))
    env.reset(seed=0)
    xs = []
    while True:
        _, _, terminated, truncated, _ = env.step(action(env, 1))
        xs.append(true_state(env)[0])
        if terminated:
            break
        assert not truncated and xs[-1] <= 0.3
    assert xs[-1] > 0.3 and len(xs) > 3
    env.set_task(CartPoleSpec(x_threshold=100.0, theta_threshold=0.1))
    env.reset(seed=0)
    thetas = []
    while True:
        _, _, terminated, _, _ = env.step(action(env, 1))
        thetas.append(true_state(env)[2])
        if terminated:
            break
        assert abs(thetas[-1]) <= 0.1
    assert abs(thetas[-1]) > 0.1


@pytest.mark.parametrize('env_id', ['CartPole-v1', envs.CLASSIC_CONTINUOUS_ENV_ID])
def test_the_time_limit_still_truncates_at_500_steps(env_id):
    env = wrapped(env_id, RIG, CartPoleSpec(x_threshold=100.0, theta_threshold=100.0))
    env.reset(seed=0)
    for k in range(500):
        _, reward, terminated, truncated, _ = env.step(action(env, 1 if k % 4 < 2 else -1))
        assert reward == 1.0 and not terminated
        assert truncated == (k == 499)
    assert abs(true_state(env)[2]) > 1.0        # the pole fell: the rig integrated each step


def test_set_plant_acts_from_the_next_step():
    env = wrapped('CartPole-v1')
    env.reset(seed=0)
    a, b = Plant(coulomb_friction=1.0), Plant(pole_friction=0.02, motor='dc', k_emf=1.0,
                                              voltage_limit=7.0)
    env.set_plant(a)
    for _ in range(3):
        before = true_state(env)
        env.step(1)
        np.testing.assert_array_equal(true_state(env), integrate(a, [FORCE], before)[0][0])
    env.set_plant(b)
    before = true_state(env)
    env.step(0)                                 # a DC motor's full command is -voltage_limit
    np.testing.assert_array_equal(true_state(env), integrate(b, [-7.0], before)[0][0])
    env.set_plant(Plant())                      # back to gymnasium's own Euler step
    before = true_state(env)
    env.step(1)
    np.testing.assert_allclose(true_state(env), before + PERIOD * derivative(before, FORCE,
                                                                             Plant()),
                               rtol=0, atol=1e-15)


def test_set_plant_on_a_running_pybullet_env_acts_from_the_next_step():
    env = wrapped(envs.ENV_ID)
    env.reset(seed=0)
    for _ in range(3):
        env.step(1)
    plant = Plant(coulomb_friction=1.0, pole_friction=0.01, delay=PERIOD)
    env.set_plant(plant)
    before = true_state(env)
    for _ in range(2):
        env.step(0)
    # The push sent before the change acts no more; the first after it waits a period.
    expected, _ = bullet_run(plant.replace(delay=0.0), [0.0, -FORCE], before)
    np.testing.assert_allclose(true_state(env), expected[-1], rtol=0, atol=1e-12)


def test_reset_options_set_the_plant_and_pass_the_rest_on():
    env = wrapped('CartPole-v1')
    observation, _ = env.reset(seed=0, options={'plant': {'coulomb_friction': 2.0,
                                                          'track_limit': 0.5},
                                                'low': -0.001, 'high': 0.001})
    assert env.plant == Plant(coulomb_friction=2.0, track_limit=0.5)
    assert np.all(np.abs(observation) <= 0.001)
    before = true_state(env)
    env.step(0)
    np.testing.assert_array_equal(true_state(env), integrate(env.plant, [-FORCE], before)[0][0])
    env.reset(seed=0, options={'plant': Plant()})
    assert env.plant == Plant() and env.control_period == PERIOD
    plain = gym.make('CartPole-v1')
    plain.reset(seed=0)
    for _ in range(5):
        np.testing.assert_array_equal(env.step(1)[0], plain.step(1)[0])


def _in_place_episode(monkeypatch, env, seed, push=1):
    """The true state an episode of full pushes ended in (before the restart's coast)."""
    ends = []
    settle = env._settle

    def record():
        ends.append(true_state(env))
        settle()
    monkeypatch.setattr(env, '_settle', record)
    env.reset(seed=seed)
    while True:
        _, _, terminated, truncated, _ = env.step(action(env, push))
        if terminated or truncated:
            assert len(ends) == 1
            return ends[0]


def _coast(kind, plant, state, last):
    """Where a cart left with the motor at 0 rests (or is stopped after SETTLE_TIME); a delay
    of one period still delivers the last command in the first period."""
    assert plant.delay in (0.0, PERIOD)
    commands = [last if plant.delay else 0.0] + [0.0] * math.ceil(SETTLE_TIME / PERIOD)
    plant = plant.replace(delay=0.0)
    state = np.array(state, dtype=np.float64)
    if kind == 'integrator':
        integrator = rig.RigIntegrator(plant, PERIOD, FORCE)
        for k in range(math.ceil(SETTLE_TIME / PERIOD)):
            if abs(state[1]) < REST_SPEED:
                break
            integrator.command(commands[k], k * PERIOD)
            integrator.advance(state, k * PERIOD)
        return state[0]
    with bullet_model(plant) as model:
        model.reset(state=state)
        for k in range(math.ceil(SETTLE_TIME / PERIOD)):
            if abs(model.state[1]) < REST_SPEED:
                break
            model.step(commands[k])
        return model.state[0]


@pytest.mark.parametrize('delay', [0.0, PERIOD])
@pytest.mark.parametrize('env_id', GYM_IDS)
def test_the_in_place_restart_starts_where_the_cart_came_to_rest(monkeypatch, env_id, delay):
    plant = Plant(coulomb_friction=4.0, track_limit=0.5, delay=delay)
    task = CartPoleSpec(x_threshold=0.3, restart='in_place')
    env, center = wrapped(env_id, plant, task), wrapped(env_id, plant)
    kind = 'bullet' if env_id == envs.ENV_ID else 'integrator'
    for seed, push in ((0, 1), (1, -1), (2, 1)):
        end = _in_place_episode(monkeypatch, env, seed, push)
        rest = env.carry['rest_x']
        assert rest == pytest.approx(_coast(kind, plant, end, push * FORCE), abs=1e-9)
        # It coasted, came to rest on the track (not at a stop) and beyond the start region.
        assert 0.15 < abs(rest) < 0.5 and abs(rest - end[0]) > 0.1
        observation, _ = env.reset(seed=10 + seed)
        drawn, _ = center.reset(seed=10 + seed)
        state = true_state(env)
        # The cart at rest, the pole at rest at the drawn angle.
        assert state[0] == min(max(rest, -0.15), 0.15) and state[1] == 0.0
        assert state[2] == true_state(center)[2] and state[3] == 0.0
        assert observation[2] == drawn[2] and observation[3] == 0.0
        assert observation[0] == np.float32(state[0]) and observation[1] == 0.0


@pytest.mark.parametrize('env_id', GYM_IDS)
def test_the_operator_slides_a_far_cart_into_the_start_region(env_id):
    env = wrapped(env_id, task=CartPoleSpec(x_threshold=0.3, restart='in_place'))
    for rest, start in ((0.45, 0.15), (-0.2, -0.15), (-0.05, -0.05)):
        env.set_carry({'rest_x': rest})
        env.reset(seed=0)
        assert tuple(true_state(env)[:2]) == (start, 0.0)
    if env_id == envs.ENV_ID:                       # an exact start is kept as it is
        env.set_carry({'rest_x': 0.1})
        env.reset(seed=0, options={'state': (0.2, 0.1, 0.0, 0.0)})
        assert tuple(true_state(env)) == (0.2, 0.1, 0.0, 0.0)
    env.set_carry({'rest_x': None})                 # no position yet: CartPole-v1's start
    env.reset(seed=0)
    plain = gym.make(env_id)
    plain.reset(seed=0)
    np.testing.assert_array_equal(true_state(env), true_state(plain))


def _policy_episode(env, seed):
    """An episode of a balancing policy biased toward +x (it fails at the track's end)."""
    observation, _ = env.reset(seed=seed)
    trajectory = [observation]
    while True:
        push = lqr_force(np.nan_to_num(observation)) + 4.0
        observation, _, terminated, truncated, _ = env.step(action(env, push))
        trajectory.append(observation)
        if terminated or truncated:
            return np.array(trajectory)


@pytest.mark.parametrize('env_id', ['CartPole-v1', envs.ENV_ID])
def test_carry_reproduces_a_run(env_id):
    plant = RIG.replace(encoder_counts=4096)
    task = CartPoleSpec(x_threshold=0.3, restart='in_place')
    first = wrapped(env_id, plant, task)
    for seed in (0, 1):
        _policy_episode(first, seed)
    carry = dict(first.carry)
    assert carry['rest_x'] is not None
    expected = _policy_episode(first, 2)
    resumed = wrapped(env_id, plant, task)
    resumed.set_carry(carry)
    np.testing.assert_array_equal(_policy_episode(resumed, 2), expected)
    fresh = wrapped(env_id, plant, task)            # without the carry it starts elsewhere
    assert _policy_episode(fresh, 2)[0][0] != expected[0][0]


def test_the_in_place_restart_counts_the_coasts_hits():
    env = wrapped('CartPole-v1', Plant(track_limit=0.35),
                  CartPoleSpec(x_threshold=0.3, theta_threshold=100.0, restart='in_place'))
    env.reset(seed=0)
    hits = 0
    while True:
        *_, terminated, _, info = env.step(1)
        hits += info['end_stop_hits']
        if terminated:
            break
    # Ended past 0.3 m at speed, it coasts into the stop at 0.35 m during the restart.
    assert hits == 0 and env.episode_end_stop_hits == 1
    assert env.carry['rest_x'] == 0.35


@pytest.mark.parametrize('env_id', GYM_IDS)
def test_gymnasiums_env_checker_passes_a_rig(env_id):
    env = wrapped(env_id, RIG.replace(encoder_counts=4096, motor='dc', sensor_sign=(-1, 1)),
                  CartPoleSpec(x_threshold=0.3, restart='in_place'))
    expected = ('is different from the unwrapped version',   # a wrapper, by design
                'observation space minimum value is -infinity',  # CartPole-v1's own space
                'observation space maximum value is infinity')
    with pytest.warns() as warnings:
        check_env(env, skip_render_check=True)
    unexpected = [str(w.message) for w in warnings
                  if not any(text in str(w.message) for text in expected)]
    assert unexpected == []


@pytest.mark.parametrize('env_id, bad', [
    ('CartPole-v1', 2), (envs.CLASSIC_CONTINUOUS_ENV_ID, np.array([np.nan], np.float32)),
])
def test_a_refused_action_changes_nothing(env_id, bad):
    env = wrapped(env_id, RIG)
    env.reset(seed=0)
    before = true_state(env)
    with pytest.raises((AssertionError, ValueError)):
        env.step(bad)
    np.testing.assert_array_equal(true_state(env), before)
    # Nothing refused is in flight: the next steps are a clean run's.
    clean = wrapped(env_id, RIG)
    clean.reset(seed=0)
    for _ in range(3):
        np.testing.assert_array_equal(env.step(action(env, 1))[0],
                                      clean.step(action(clean, 1))[0])


@pytest.mark.parametrize('env_id', GYM_IDS + (envs.CONTINUOUS_ENV_ID,))
def test_a_dc_motor_gets_the_same_voltage_in_every_env(motor_commands, env_id):
    env = wrapped(env_id)
    env.reset(seed=0, options={'plant': {'motor': 'dc', 'voltage_limit': 12.0}})
    env.step(action(env, 1))
    assert set(motor_commands) == {12.0}
