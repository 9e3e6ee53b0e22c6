"""A laboratory rig's effects on a cart-pole, implemented once for every model that reads a plant.

The PyBullet model (bullet_cartpole.py) and gymnasium's CartPole-v1 equations (plant_env.py,
through ``RigIntegrator``) call the same functions at every physics step, so a result measured
offline holds in the simulator node. The fields are plant.Plant's; each effect is off by default.

Per physics step of dt, starting at time t, in this order:

1. the command in effect (``DelayLine.at(t)``): the latest one sent at or before t - delay; 0
   before the first arrives;
2. the motor (``motor_force``): 'force': F_m = gain clip(u, +-force_limit); 'dc': u is a
   voltage, F_m = gain (k_force clip(u, +-voltage_limit) - k_emf x_dot);
3. the cart's friction (``cart_friction``): viscous -friction x_dot, and dry (Coulomb)
   friction after Karnopp's model (Karnopp 1985, "Computer simulation of stick-slip friction
   in mechanical dynamic systems", J. Dyn. Sys. Meas. Control 107(1)): -coulomb sign(x_dot)
   while |x_dot| exceeds the speed dry friction takes away in one step (dt coulomb / (M + m));
   within that band the cart is at rest: the force that keeps it at rest is applied as long as
   it is at most coulomb in size (the cart sticks: x_dot = 0 and x_acc = 0 for the step), else
   coulomb against the push; the pole's joint gets a torque -pole_friction theta_dot;
4. the model integrates the step;
5. the end stops (``EndStops.apply``): past +-track_limit the cart is put on the stop with
   x_dot = 0 (an inelastic hit), and the pole takes the reaction of the stop's impulse: with the
   mass matrix of a uniform rod on a cart, an impulse that changes x_dot by dv changes
   theta_dot by -3 cos(theta) dv / (4 l) (l the half-length); a hit is counted when the cart
   reaches a stop it was not touching.

What is observed (``observe``): s x state + sensor_offset (s the cart's sign for x and x_dot, the
pole's for theta and theta_dot), the positions quantised to the encoders' steps (rounded to the
nearest count: 2 pi / counts rad for theta, 2 pi pinion_radius / counts m for x), the velocities
NaN when velocity_sensing is 'none'.

The equations are CartPole-v1's (gymnasium classic_control/cartpole.py: a uniform rod of
half-length l on a cart, theta = 0 upright, positive toward +x) with a torque tau on the pole:

    temp        = (F + m l theta_dot^2 sin theta) / (M + m)
    theta_acc   = (g sin theta - cos theta temp + tau / (m l)) / (l (4/3 - m cos^2 theta / (M + m)))
    x_acc       = temp - m l theta_acc cos theta / (M + m)
"""

from collections import deque
import math

import numpy as np
from numpy.typing import NDArray

from memsnn_controller.envs.plant import Plant

# The physics step of the rig integrator for gymnasium's equations (s): fine enough for dry
# friction and end stops, a whole number of steps in 0.02, 0.01 and 0.005 s periods.
RIG_PHYSICS_DT = 0.002
# Times within this of each other are the same time (s): commands and physics steps are
# scheduled on float grids.
TIME_TOLERANCE = 1e-9
F64 = NDArray[np.float64]


class Dynamics:
    """CartPole-v1's equations for a plant (module docstring); scalars in, scalars out."""

    def __init__(self, plant: Plant) -> None:
        self.gravity = plant.gravity
        self.pole_mass = plant.pole_mass
        self.half_length = plant.pole_length / 2.0
        self.total_mass = plant.cart_mass + plant.pole_mass
        self.polemass_length = plant.pole_mass * self.half_length

    def accelerations(self, theta: float, theta_dot: float, force: float,
                      torque: float) -> tuple[float, float]:
        """(x_acc, theta_acc) under the cart force ``force`` (N) and the pole torque ``torque``
        (N m)."""
        cos, sin = math.cos(theta), math.sin(theta)
        temp = (force + self.polemass_length * theta_dot * theta_dot * sin) / self.total_mass
        theta_acc = (self.gravity * sin - cos * temp + torque / self.polemass_length) / (
            self.half_length * (4.0 / 3.0 - self.pole_mass * cos * cos / self.total_mass))
        x_acc = temp - self.polemass_length * theta_acc * cos / self.total_mass
        return x_acc, theta_acc

    def holding_force(self, theta: float, theta_dot: float, torque: float) -> float:
        """The cart force F for which x_acc = 0 (x_acc is affine in F)."""
        a0 = self.accelerations(theta, theta_dot, 0.0, torque)[0]
        a1 = self.accelerations(theta, theta_dot, 1.0, torque)[0]
        return -a0 / (a1 - a0)

    def impact(self, theta: float, dv: float) -> float:
        """The change of theta_dot when an impulse on the cart changes x_dot by ``dv``."""
        return -3.0 * math.cos(theta) * dv / (4.0 * self.half_length)


def top_speed(plant: Plant) -> float:
    """A DC-motor cart's no-load speed at full voltage, m/s: where the motor's force meets the
    viscous losses, gain k_force V = (gain k_emf + friction) v; inf for a force motor (and a
    motor without back-EMF or friction)."""
    if plant.motor != 'dc':
        return math.inf
    losses = plant.actuator_gain * plant.k_emf + plant.friction
    if losses <= 0.0:
        return math.inf
    return plant.actuator_gain * plant.k_force * plant.voltage_limit / losses


def motor_force(plant: Plant, command: float, x_dot: float, force_limit: float) -> float:
    """The motor's force (N) for ``command`` (N for a force motor, V for a DC motor)."""
    if plant.motor == 'dc':
        v = plant.voltage_limit
        volts = v if command > v else (-v if command < -v else command)
        force = plant.k_force * volts - plant.k_emf * x_dot
    else:
        force = force_limit if command > force_limit else (
            -force_limit if command < -force_limit else command)
    return force * plant.actuator_gain if plant.actuator_gain != 1.0 else force


def cart_friction(plant: Plant, dynamics: Dynamics, x_dot: float, theta: float,
                  theta_dot: float, drive: float, torque: float,
                  dt: float) -> tuple[float, bool]:
    """(the cart's friction force in N, whether it sticks) given the other cart forces
    ``drive``, the pole torque and the physics step ``dt`` (module docstring, step 3). When it
    sticks, the model sets x_dot = 0 for the step; the returned force then makes x_acc = 0."""
    force = -plant.friction * x_dot
    coulomb = plant.coulomb_friction
    if coulomb <= 0.0:
        return force, False
    if abs(x_dot) > dt * coulomb / dynamics.total_mass:
        return force - (coulomb if x_dot > 0.0 else -coulomb), False
    hold = dynamics.holding_force(theta, theta_dot, torque) - drive
    if -coulomb <= hold <= coulomb:
        return hold, True
    return (coulomb if hold > 0.0 else -coulomb), False


class DelayLine:
    """Commands in flight: ``send(command, t)`` at time t (s); ``at(t)`` the one in effect then
    (sent at or before t - delay; 0 before the first)."""

    def __init__(self, delay: float) -> None:
        self.delay = float(delay)
        self._pending: deque[tuple[float, float]] = deque()
        self.current = 0.0

    def send(self, command: float, t: float) -> None:
        if self.delay <= 0.0:
            self._pending.clear()
            self.current = float(command)
        else:
            self._pending.append((t + self.delay, float(command)))

    def at(self, t: float) -> float:
        pending = self._pending
        while pending and pending[0][0] <= t + TIME_TOLERANCE:
            self.current = pending.popleft()[1]
        return self.current

    def clear(self, command: float = 0.0) -> None:
        """Drop the commands in flight; ``command`` is in effect."""
        self._pending.clear()
        self.current = float(command)

    def in_flight(self) -> list[tuple[float, float]]:
        """(time it takes effect, command) of each command not yet in effect."""
        return list(self._pending)


class EndStops:
    """The stops at +-track_limit (module docstring, step 5); ``hits`` counts the hits."""

    def __init__(self, track_limit: float) -> None:
        self.limit = float(track_limit)
        self.hits = 0
        self.touching = False

    def apply(self, state: F64, dynamics: Dynamics) -> bool:
        """Put a cart that is past a stop, or on it and moving outward, on the stop at rest
        (``state`` changed in place); True when it hit (reached a stop it was not touching)."""
        x, x_dot = state[0], state[1]
        limit = self.limit
        if not (x > limit or x < -limit or (x == limit and x_dot > 0.0)
                or (x == -limit and x_dot < 0.0)):
            self.touching = self.touching and abs(x) >= limit
            return False
        state[0] = limit if x > 0.0 else -limit
        state[1] = 0.0
        state[3] += dynamics.impact(state[2], -x_dot)
        hit = not self.touching
        self.touching = True
        if hit:
            self.hits += 1
        return hit


def encoder_steps(plant: Plant) -> tuple[float, float]:
    """(x step m, theta step rad) of the encoders; (0, 0) when positions are exact."""
    counts = plant.encoder_counts
    if counts <= 0:
        return 0.0, 0.0
    return 2.0 * math.pi * plant.pinion_radius / counts, 2.0 * math.pi / counts


def quantise(value: float, step: float) -> float:
    """``value`` rounded to the nearest multiple of ``step`` (0: unchanged)."""
    return round(value / step) * step if step > 0.0 else value


def observe(plant: Plant, state: F64, out: F64, noise: F64 | None = None) -> F64:
    """What the sensors report of ``state`` (module docstring), written into ``out``;
    ``noise`` (a model's Gaussian sensor noise) is added before the encoders quantise."""
    out[:] = state
    cart, pole = plant.sensor_sign
    if cart != 1:
        out[0] = -out[0]
        out[1] = -out[1]
    if pole != 1:
        out[2] = -out[2]
        out[3] = -out[3]
    offset = plant.offset
    if any(offset):
        out += offset
    if noise is not None:
        out += noise
    x_step, theta_step = encoder_steps(plant)
    if x_step > 0.0:
        out[0] = quantise(out[0], x_step)
        out[2] = quantise(out[2], theta_step)
    if plant.velocity_sensing == 'none':
        out[1] = math.nan
        out[3] = math.nan
    return out


class RigIntegrator:
    """CartPole-v1's equations for a plant with the rig's effects, integrated by explicit Euler
    (as CartPole-v1 does, per physics step) in ``substeps`` steps of one control period.

    ``command(u, t)`` sends a command at time t; ``advance(state, t)`` integrates ``state`` (x,
    x_dot, theta, theta_dot; changed in place) over one control period starting at t and
    returns the end-stop hits in it. ``force_limit`` clips a force motor's commands.
    """

    def __init__(self, plant: Plant, control_period: float, force_limit: float,
                 physics_dt: float = RIG_PHYSICS_DT) -> None:
        self.plant = plant
        self.control_period = float(control_period)
        self.substeps = max(1, round(control_period / physics_dt))
        self.dt = self.control_period / self.substeps
        self.force_limit = float(force_limit)
        self.dynamics = Dynamics(plant)
        self.delay = DelayLine(plant.delay)
        self.stops = EndStops(plant.track_limit)

    def set_plant(self, plant: Plant) -> None:
        """Integrate ``plant`` from now on (commands in flight keep their times)."""
        self.plant = plant
        self.dynamics = Dynamics(plant)
        self.delay.delay = plant.delay
        self.stops.limit = plant.track_limit

    def command(self, value: float, t: float) -> None:
        self.delay.send(value, t)

    def advance(self, state: F64, t: float) -> int:
        return self.integrate(state, t, self.substeps)

    def integrate(self, state: F64, t: float, steps: int) -> int:
        """Integrate ``state`` over ``steps`` physics steps from time t; returns the hits."""
        plant, dyn, dt = self.plant, self.dynamics, self.dt
        hits = self.stops.hits
        limited = plant.track_limit != math.inf
        for k in range(steps):
            x, x_dot, theta, theta_dot = state
            drive = motor_force(plant, self.delay.at(t + k * dt), x_dot, self.force_limit)
            torque = -plant.pole_friction * theta_dot
            rub, stuck = cart_friction(plant, dyn, x_dot, theta, theta_dot, drive, torque, dt)
            x_acc, theta_acc = dyn.accelerations(theta, theta_dot, drive + rub, torque)
            if stuck:
                x_dot = x_acc = 0.0
            state[0] = x + dt * x_dot
            state[1] = x_dot + dt * x_acc
            state[2] = theta + dt * theta_dot
            state[3] = theta_dot + dt * theta_acc
            if limited:
                self.stops.apply(state, dyn)
        return self.stops.hits - hits
