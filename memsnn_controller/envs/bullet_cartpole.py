"""A cart-pole simulated by PyBullet on the URDF of ``cartpole_urdf``, force-controlled.

## The model

The body is loaded from the URDF that ``cartpole_urdf.cartpole_urdf`` generates for the plant's
pole length, pole mass and cart mass; with the defaults it is pybullet_data's cartpole.urdf, and
PyBullet simulates the two identically, bit for bit (test/envs/test_cartpole_urdf.py): a fixed
30 m slide bar, a 1 kg cart on the prismatic joint ``slider_to_cart`` (axis x, limits +-15 m)
and a 0.1 kg pole, a 0.05 x 0.05 x 1.0 m box whose centre of mass sits 0.5 m above the
continuous joint ``cart_to_pole`` (axis y). PyBullet ignores the URDF's inertia tensors unless
asked (URDF_USE_INERTIA_FROM_FILE, not used here) and computes them from the collision box, which
makes the pole a uniform rod, I = m L^2 / 12 about its centre, within 0.3 % of the rod that
gymnasium's CartPole-v1 equations assume (g 9.8, cart 1.0 kg, pole 0.1 kg, half-length 0.5 m).
PyBullet's default link damping (0.04) is switched off and the joints have no friction, as in
CartPole-v1. So this model is CartPole-v1's continuous-time system, integrated by PyBullet's
semi-implicit solver at a 4 ms step instead of one explicit Euler step per 20 ms. Over half a
second of random pushes it stays within 4 mrad and 1.2 mm of an exact (RK4) integration of
CartPole-v1's equations, while CartPole-v1's own Euler steps drift by 50 mrad (the test suite
checks the former); the two tasks are the same, the PyBullet one integrated more accurately.

## The plant's parameters

The config's plant fields (``plant.Plant``: pole_mass, pole_length, cart_mass, gravity, friction,
actuator_gain, sensor_offset) change the system for real: the masses and the pole's length are
the URDF's links (a new body is loaded, the joint state carried over), gravity is PyBullet's, the
cart's viscous friction -friction x_dot (x_dot at the start of each physics step) is applied
beside the motor's force, the motor applies actuator_gain times the clipped command, and
sensor_offset is added to what is observed. The rig's fields (end stops, delay, dry and pole
friction, encoders, a DC motor, position-only sensing, sensor signs) act through envs/rig.py,
the same functions gymnasium's equations use (plant_env.py): with any of the dynamic ones set,
each physics step reads the joint state, applies the command in effect (after the delay) through
the motor and the frictions as a cart force and a pole torque (a cart that sticks has its
velocity set to 0 before the step and is put back where it was, at rest, after it), and after the
step puts the cart on an end stop it passed (resetJointState).
``reconfigure`` changes any of them on a live model, effective from the next step;
``end_stop_hits`` counts the hits since the last reset.

## Observation

``np.ndarray`` of shape (4,), float64: (x [m], x_dot [m/s], theta [rad], theta_dot [rad/s]), the
joint positions and velocities of ``slider_to_cart`` and ``cart_to_pole``, plus optional Gaussian
sensor noise. Signs as CartPole-v1: theta = 0 upright, positive when the pole leans toward +x
(a rotation about +y takes +z toward +x); a positive force pushes the cart toward +x. theta is
not wrapped (the joint is continuous).

## Action

A force in newtons on the cart along x, clipped to +-``force_limit`` after optional Gaussian
actuator noise (drawn once per control period). It is held for one control period (zero-order
hold): the default velocity motors are disabled (VELOCITY_CONTROL, force 0) and the force is
applied with TORQUE_CONTROL before every physics step, because PyBullet forgets a torque command
after one step.

## Time

One ``step`` advances one control period (default 0.02 s) in ``substeps`` equal physics steps.
PyBullet's solver defaults are tuned for 1/240 s; 0.02 s is 4.8 such steps, so the step count is
rounded to the nearest whole number (5 steps of 4 ms, 250 Hz). A whole number keeps the force
hold aligned with physics steps and sim time exact (n control periods = n * control_period).

## Reward, termination, truncation

The model has none: it is a plant. The gymnasium environments (``gym_cartpole``) and the
simulator loop (``simulation``) apply CartPole-v1's rules from ``cartpole_spec``.

Each instance owns its PyBullet physics client, so several run side by side in one process
(only one of them may use the GUI, a PyBullet limit).
"""

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
import math
import os
import sys
import tempfile
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray
import pybullet as p

from memsnn_controller.common import checks
from memsnn_controller.envs import cartpole_spec, rig
from memsnn_controller.envs.cartpole_urdf import cartpole_urdf
from memsnn_controller.envs.plant import CHECKS as PLANT_CHECKS
from memsnn_controller.envs.plant import FIELDS as PLANT_FIELDS
from memsnn_controller.envs.plant import Plant

CART_JOINT = 'slider_to_cart'
POLE_JOINT = 'cart_to_pole'
# PyBullet's solver defaults (ERP, iterations) are tuned for this step rate.
TUNED_PHYSICS_HZ = 240.0

# Fields that shape the physics client; a live model cannot change them.
_STRUCTURAL = ('control_period', 'physics_substeps', 'gui')
# Plant fields that are the URDF's: changing one loads a new body.
_BODY = ('pole_mass', 'pole_length', 'cart_mass')


F64 = NDArray[np.float64]


def _have_display() -> bool:
    if not sys.platform.startswith('linux'):
        return True
    return bool(os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY'))


@dataclass(frozen=True)
class BulletCartPoleConfig:
    """Settings of a BulletCartPole; every field is validated (ValueError names the field).

    control_period: seconds per step() (the force is held that long), in [0.001, 1.0].
    physics_substeps: physics steps per control period; 0 picks the whole number nearest to
        control_period * 240 (at least 1).
    force_limit: largest force magnitude in newtons (> 0); CartPole-v1 pushes with 10 N.
    pole_mass, pole_length, cart_mass, gravity, friction, actuator_gain, sensor_offset and the
        rig's fields (track_limit, delay, coulomb_friction, pole_friction, encoder_counts,
        pinion_radius, motor, voltage_limit, k_force, k_emf, velocity_sensing, sensor_sign):
        the plant (plant.Plant, whose defaults are CartPole-v1's system; ``plant`` gives them
        as one); gravity in m/s^2, downward.
    start_range: reset() draws each state component from U(-start_range, start_range); in
        [0, 0.2] so the start never fails (CartPole-v1: 0.05).
    sensor_noise: standard deviation of Gaussian noise added to each observed component, one
        value for all four or four values (x, x_dot, theta, theta_dot); >= 0.
    actuator_noise: standard deviation in newtons of Gaussian noise added to each commanded force
        (before clipping); >= 0.
    gui: open PyBullet's GUI instead of the headless DIRECT client (needs a display).
    """

    control_period: float = cartpole_spec.TAU
    physics_substeps: int = 0
    force_limit: float = cartpole_spec.FORCE_MAG
    pole_mass: float = Plant.pole_mass
    pole_length: float = Plant.pole_length
    cart_mass: float = Plant.cart_mass
    gravity: float = Plant.gravity
    friction: float = Plant.friction
    actuator_gain: float = Plant.actuator_gain
    sensor_offset: float | tuple[float, ...] = (0.0, 0.0, 0.0, 0.0)   # 4 after __post_init__
    track_limit: float = Plant.track_limit
    delay: float = Plant.delay
    coulomb_friction: float = Plant.coulomb_friction
    pole_friction: float = Plant.pole_friction
    encoder_counts: int = Plant.encoder_counts
    pinion_radius: float = Plant.pinion_radius
    motor: str = Plant.motor
    voltage_limit: float = Plant.voltage_limit
    k_force: float = Plant.k_force
    k_emf: float = Plant.k_emf
    velocity_sensing: str = Plant.velocity_sensing
    sensor_sign: tuple[int, ...] = (1, 1)
    start_range: float = cartpole_spec.START_HIGH
    sensor_noise: float | tuple[float, ...] = 0.0   # a tuple of 4 after __post_init__
    actuator_noise: float = 0.0
    gui: bool = False

    def __post_init__(self) -> None:
        def require(name: str, *tests: checks.Check) -> None:
            checks.require(f'BulletCartPoleConfig.{name}', getattr(self, name), *tests)

        require('control_period', checks.in_range(0.001, 1.0, ' s'))
        require('physics_substeps', checks.integer(0, 1000))
        require('force_limit', checks.positive)
        offset: object = self.sensor_offset
        if checks.is_number(offset):
            offset = (offset,) * 4
        for name in PLANT_FIELDS:
            checks.require(f'BulletCartPoleConfig.{name}',
                           offset if name == 'sensor_offset' else getattr(self, name),
                           PLANT_CHECKS[name])
        object.__setattr__(self, 'sensor_offset',
                           tuple(float(v) for v in cast(Iterable[float], offset)))  # checked
        object.__setattr__(self, 'sensor_sign',
                           tuple(int(v) for v in cast(Iterable[int], self.sensor_sign)))
        require('start_range', checks.in_range(0, 0.2))
        noise: object = self.sensor_noise
        if checks.is_number(noise):
            noise = (noise,) * 4
        checks.require_that(checks.numbers(4)(noise) is None, 'BulletCartPoleConfig.sensor_noise',
                            'must be one non-negative standard deviation or four',
                            self.sensor_noise)
        object.__setattr__(self, 'sensor_noise',
                           tuple(float(v) for v in cast(Iterable[float], noise)))  # checked
        require('actuator_noise', checks.non_negative)
        require('gui', checks.boolean)

    @property
    def plant(self) -> Plant:
        """The plant fields as one Plant."""
        return Plant(**{name: getattr(self, name) for name in PLANT_FIELDS})

    @property
    def substeps(self) -> int:
        """Physics steps per control period (physics_substeps, or the automatic choice)."""
        if self.physics_substeps:
            return self.physics_substeps
        return max(1, round(self.control_period * TUNED_PHYSICS_HZ))

    @property
    def physics_dt(self) -> float:
        """Seconds per physics step."""
        return self.control_period / self.substeps


class BulletCartPole:
    """PyBullet cart-pole (see the module docstring for the model, observation and action).

    ``reset(seed=None, state=None)`` places the cart-pole and returns the observation;
    ``step(force)`` holds ``force`` for one control period and returns (observation, applied
    force). ``state`` is the true state (no sensor noise). Use as a context manager or call
    ``close()``.
    """

    def __init__(self, config: BulletCartPoleConfig | None = None,
                 seed: int | None = None) -> None:
        self.config = BulletCartPoleConfig() if config is None else config
        if not isinstance(self.config, BulletCartPoleConfig):
            raise TypeError('config must be a BulletCartPoleConfig')
        self.np_random = np.random.default_rng(seed)
        self._client = -1
        if self.config.gui and not _have_display():
            # PyBullet's GUI would exit the whole process ('cannot connect to X server').
            raise RuntimeError('gui=True needs a display, and DISPLAY is not set')
        self._client = p.connect(p.GUI if self.config.gui else p.DIRECT)
        if self._client < 0:
            raise RuntimeError('PyBullet could not start a physics client'
                               + (' (GUI needs a display)' if self.config.gui else ''))
        try:
            self._build()
        except Exception:
            self.close()
            raise
        self._state = np.zeros(4)
        self._observation = np.zeros(4)
        self.applied_force = 0.0
        self._time = 0.0
        self._configure_rig()
        self.end_stop_hits = 0

    def _configure_rig(self) -> None:
        """The rig's helpers for the config's plant (rig.py)."""
        plant = self.config.plant
        self._plant = plant
        self._rig = plant.rig_dynamics
        self._observed_effects = plant.observation_effects
        self._dynamics = rig.Dynamics(plant)
        if not hasattr(self, '_delay'):
            self._delay = rig.DelayLine(plant.delay)
            self._stops = rig.EndStops(plant.track_limit)
        self._delay.delay = plant.delay
        self._stops.limit = plant.track_limit

    # -- construction ---------------------------------------------------------------------------

    def _build(self) -> None:
        cfg, cid = self.config, self._client
        p.resetSimulation(physicsClientId=cid)
        p.setGravity(0.0, 0.0, -cfg.gravity, physicsClientId=cid)
        # numSubSteps=0: one stepSimulation call is exactly one physics step of physics_dt.
        p.setPhysicsEngineParameter(fixedTimeStep=cfg.physics_dt, numSubSteps=0,
                                    physicsClientId=cid)
        self._body = -1
        self._load_body()
        if cfg.gui:
            p.configureDebugVisualizer(p.COV_ENABLE_GUI, 0, physicsClientId=cid)
            p.resetDebugVisualizerCamera(cameraDistance=6.0, cameraYaw=0.0, cameraPitch=-5.0,
                                         cameraTargetPosition=[0.0, 0.0, 0.5],
                                         physicsClientId=cid)

    def _load_body(self) -> None:
        """Load the URDF of the config's pole and cart (replacing the body there is, if any)."""
        cfg, cid = self.config, self._client
        text = cartpole_urdf(pole_length=cfg.pole_length, pole_mass=cfg.pole_mass,
                             cart_mass=cfg.cart_mass)
        # loadURDF reads a file: a private temporary one, removed once loaded.
        handle, path = tempfile.mkstemp(suffix='.urdf', prefix='cartpole-')
        try:
            with os.fdopen(handle, 'w') as f:
                f.write(text)
            body = p.loadURDF(path, useFixedBase=True, physicsClientId=cid)
        finally:
            os.unlink(path)
        if self._body >= 0:
            p.removeBody(self._body, physicsClientId=cid)
        self._body = body
        joints = {}
        for index in range(p.getNumJoints(body, physicsClientId=cid)):
            info = p.getJointInfo(body, index, physicsClientId=cid)
            joints[info[1].decode()] = index
        self._cart = joints[CART_JOINT]
        self._pole = joints[POLE_JOINT]
        self._joints = [self._cart, self._pole]
        for link in (-1, self._cart, self._pole):
            p.changeDynamics(body, link, linearDamping=0.0, angularDamping=0.0,
                             jointDamping=0.0, physicsClientId=cid)
        # The default velocity motors would brake both joints: disable them.
        p.setJointMotorControlArray(body, self._joints, p.VELOCITY_CONTROL,
                                    forces=[0.0, 0.0], physicsClientId=cid)

    # -- public API ---------------------------------------------------------------------------

    @property
    def client_id(self) -> int:
        """The PyBullet physics client id (negative once closed)."""
        return self._client

    @property
    def state(self) -> F64:
        """The true state (x, x_dot, theta, theta_dot), a copy."""
        return self._state.copy()

    @property
    def observation(self) -> F64:
        """The last observation returned (true state plus sensor noise), a copy."""
        return self._observation.copy()

    def reset(self, seed: int | None = None, state: ArrayLike | None = None) -> F64:
        """Place the cart-pole and return the observation.

        seed: reseed the generator used for the start state and both noises.
        state: exact (x, x_dot, theta, theta_dot); if None, each component is drawn from
            U(-start_range, start_range).
        """
        self._check_open()
        if seed is not None:
            self.np_random = np.random.default_rng(seed)
        if state is None:
            r = self.config.start_range
            state = self.np_random.uniform(-r, r, size=4)
        state = np.asarray(state, dtype=np.float64).reshape(-1)
        if state.shape != (4,) or not np.all(np.isfinite(state)):
            raise ValueError(f'state must be four finite numbers, got {state!r}')
        cid = self._client
        p.resetJointState(self._body, self._cart, state[0], state[1], physicsClientId=cid)
        p.resetJointState(self._body, self._pole, state[2], state[3], physicsClientId=cid)
        self._state = state.copy()
        self.applied_force = 0.0
        self._delay.clear()
        self._stops.touching = abs(state[0]) >= self._stops.limit
        self._stops.hits = 0
        self.end_stop_hits = 0
        self._observation = self._observe()
        return self._observation.copy()

    def place(self, x: float | None = None, x_dot: float | None = None,
              theta: float | None = None, theta_dot: float | None = None) -> F64:
        """Set some of the joints' positions and velocities by hand, the others kept (an
        operator's hand on the rig: commands in flight and the hit count are kept, unlike
        ``reset``); returns the observation."""
        self._check_open()
        new = self.state
        for i, value in enumerate((x, x_dot, theta, theta_dot)):
            if value is not None:
                new[i] = float(value)
        if not np.all(np.isfinite(new)):
            raise ValueError(f'place: the state must be finite, got {new!r}')
        cid = self._client
        p.resetJointState(self._body, self._cart, new[0], new[1], physicsClientId=cid)
        p.resetJointState(self._body, self._pole, new[2], new[3], physicsClientId=cid)
        self._state = new
        self._stops.touching = abs(new[0]) >= self._stops.limit
        self._observation = self._observe()
        return self._observation.copy()

    def step(self, force: float) -> tuple[F64, float]:
        """Hold ``force`` (N) for one control period; return (observation, applied force)."""
        self._check_open()
        force = float(force)
        if not math.isfinite(force):
            raise ValueError(f'force must be finite, got {force!r}')
        cfg = self.config
        if cfg.actuator_noise:
            force += self.np_random.normal(0.0, cfg.actuator_noise)
        if self._rig:
            return self._rig_step(force)
        applied = min(max(force, -cfg.force_limit), cfg.force_limit)
        if cfg.actuator_gain != 1.0:
            applied *= cfg.actuator_gain
        body, cart, cid = self._body, self._cart, self._client
        friction = cfg.friction
        for _ in range(cfg.substeps):
            total = applied
            if friction:
                total -= friction * p.getJointState(body, cart, physicsClientId=cid)[1]
            # A TORQUE_CONTROL command lasts one physics step: re-apply it before each.
            p.setJointMotorControl2(body, cart, p.TORQUE_CONTROL, force=total,
                                    physicsClientId=cid)
            p.stepSimulation(physicsClientId=cid)
        (x, x_dot, *_), (theta, theta_dot, *_) = p.getJointStates(body, self._joints,
                                                                   physicsClientId=cid)
        self._state = np.array((x, x_dot, theta, theta_dot))
        self.applied_force = applied
        self._time += cfg.control_period
        self._observation = self._observe()
        return self._observation.copy(), applied

    def _rig_step(self, command: float) -> tuple[F64, float]:
        """One control period with the rig's dynamic effects (rig.py's order, per physics
        step); returns (observation, the motor's force in the last physics step)."""
        cfg, plant, dyn = self.config, self._plant, self._dynamics
        body, cart, pole, cid = self._body, self._cart, self._pole, self._client
        dt = cfg.physics_dt
        limited = plant.track_limit != math.inf
        self._delay.send(command, self._time)
        state = np.zeros(4)
        drive = 0.0
        for k in range(cfg.substeps):
            (x, x_dot, *_), (theta, theta_dot, *_) = p.getJointStates(
                body, self._joints, physicsClientId=cid)
            drive = rig.motor_force(plant, self._delay.at(self._time + k * dt), x_dot,
                                    cfg.force_limit)
            torque = -plant.pole_friction * theta_dot
            rub, stuck = rig.cart_friction(plant, dyn, x_dot, theta, theta_dot, drive, torque,
                                           dt)
            if stuck and x_dot != 0.0:
                p.resetJointState(body, cart, x, 0.0, physicsClientId=cid)
            p.setJointMotorControl2(body, cart, p.TORQUE_CONTROL, force=drive + rub,
                                    physicsClientId=cid)
            p.setJointMotorControl2(body, pole, p.TORQUE_CONTROL, force=torque,
                                    physicsClientId=cid)
            p.stepSimulation(physicsClientId=cid)
            if stuck:
                # The holding force is the equations' (rig.py); PyBullet's pole differs slightly
                # (a box, not a rod), which would leave the stuck cart creeping: it stays put.
                p.resetJointState(body, cart, x, 0.0, physicsClientId=cid)
            if limited:
                (state[0], state[1], *_), (state[2], state[3], *_) = p.getJointStates(
                    body, self._joints, physicsClientId=cid)
                self._stops.apply(state, dyn)
                if self._stops.touching:
                    p.resetJointState(body, cart, state[0], state[1], physicsClientId=cid)
                    p.resetJointState(body, pole, state[2], state[3], physicsClientId=cid)
        (x, x_dot, *_), (theta, theta_dot, *_) = p.getJointStates(body, self._joints,
                                                                   physicsClientId=cid)
        self._state = np.array((x, x_dot, theta, theta_dot))
        self.end_stop_hits = self._stops.hits
        self.applied_force = drive
        self._time += cfg.control_period
        self._observation = self._observe()
        return self._observation.copy(), drive

    @property
    def plant(self) -> Plant:
        """The plant simulated now."""
        return self.config.plant

    def set_plant(self, plant: Plant) -> None:
        """Simulate ``plant`` from the next step on (reconfigure with its fields)."""
        changed = plant.differences(self.config.plant)
        if changed:
            self.reconfigure(**{name: getattr(plant, name) for name in changed})

    def reconfigure(self, **changes: Any) -> None:
        """Change force_limit, start_range, the noises or the plant's fields of a live model,
        effective from the next step (a new pole or cart mass, or pole length, loads a new body
        in the same joint state)."""
        self._check_open()
        fixed = sorted(set(changes) & set(_STRUCTURAL))
        if fixed:
            raise ValueError(f'{", ".join(fixed)} cannot change on a live model; build a new one')
        unknown = sorted(set(changes) - {f.name for f in fields(BulletCartPoleConfig)})
        if unknown:
            raise ValueError(f'unknown BulletCartPoleConfig fields: {", ".join(unknown)}')
        old, self.config = self.config, replace(self.config, **changes)
        self._configure_rig()
        cid = self._client
        p.setGravity(0.0, 0.0, -self.config.gravity, physicsClientId=cid)
        if any(getattr(old, name) != getattr(self.config, name) for name in _BODY):
            states = p.getJointStates(self._body, self._joints, physicsClientId=cid)
            self._load_body()
            for joint, (position, velocity, *_) in zip(self._joints, states):
                p.resetJointState(self._body, joint, position, velocity, physicsClientId=cid)

    def render_rgb(self, width: int = 600, height: int = 400) -> NDArray[np.uint8]:
        """An RGB image (height, width, 3) uint8 from a fixed camera; works headless."""
        self._check_open()
        # Looking along +y from y = -6 m, so +x is to the right; about +-3.3 m of track visible.
        view = p.computeViewMatrix(cameraEyePosition=[0.0, -6.0, 0.5],
                                   cameraTargetPosition=[0.0, 0.0, 0.5],
                                   cameraUpVector=[0.0, 0.0, 1.0], physicsClientId=self._client)
        proj = p.computeProjectionMatrixFOV(fov=40.0, aspect=width / height, nearVal=0.1,
                                            farVal=20.0, physicsClientId=self._client)
        _, _, rgba, _, _ = p.getCameraImage(width, height, view, proj,
                                            renderer=p.ER_TINY_RENDERER,
                                            physicsClientId=self._client)
        return np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)[:, :, :3].copy()

    def close(self) -> None:
        """Disconnect the physics client (idempotent)."""
        client, self._client = getattr(self, '_client', -1), -1
        if client >= 0:
            try:
                p.disconnect(physicsClientId=client)
            except p.error:
                pass

    def __enter__(self) -> 'BulletCartPole':
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    # -- helpers --------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._client < 0:
            raise RuntimeError('this BulletCartPole is closed')

    def _observe(self) -> F64:
        if self._observed_effects:
            noise = cast('tuple[float, ...]', self.config.sensor_noise)
            return rig.observe(self._plant, self._state, np.zeros(4),
                               self.np_random.normal(0.0, noise) if any(noise) else None)
        observed = self._state.copy()
        offset = cast('tuple[float, ...]', self.config.sensor_offset)  # a tuple after init
        if any(offset):
            observed += offset
        noise = cast('tuple[float, ...]', self.config.sensor_noise)  # a tuple after __post_init__
        if any(noise):
            observed += self.np_random.normal(0.0, noise)
        return observed
