"""The plant of a cart-pole gymnasium environment, settable while it runs: PlantWrapper.

    env = PlantWrapper(gymnasium.make('CartPole-v1'))
    env.set_plant(env.original.replace(pole_mass=0.2))     # from the next step on
    env.reset(seed=0, options={'plant': {'actuator_gain': 0.6}})   # or at a reset

It wraps gymnasium's CartPole-v1 (CartPoleEnv), ``memsnn/CartPoleContinuous-v1`` and the PyBullet
environments ``memsnn/BulletCartPole-v0`` and ``memsnn/BulletCartPoleContinuous-v0``, and sets
every field of plant.Plant on each:

- PyBullet: the model's own fields (bullet_cartpole.py: the URDF's masses and length, gravity,
  friction, actuator gain, sensor offset);
- gymnasium's equations (CartPoleEnv): ``masspole``, ``masscart``, ``length`` (half of
  pole_length), ``gravity`` and the derived ``total_mass`` and ``polemass_length``; the actuator
  gain scales the force (``force_mag`` of CartPole-v1, ``actuator_gain`` of the continuous
  env); the cart's viscous friction adds -friction x_dot (x_dot at the step's start) to the
  force of each Euler step (for CartPole-v1 through that step's ``force_mag``, for the
  continuous env through its ``friction``); the sensor offset is added to the observations this
  wrapper returns.

With the original plant (the environment's own values when wrapped) nothing is computed
differently: the trajectories are the unwrapped environment's, bit for bit. A plant set while an
episode runs acts from the next step; ``options={'plant': ...}`` of ``reset`` (a Plant or a
mapping of fields, changed from the original plant) from the episode it starts.

The rig's fields (envs/rig.py). For PyBullet the model applies them. For gymnasium's equations
the dynamic ones (end stops, delay, dry and pole friction, a DC motor) need smaller steps than
CartPole-v1's one Euler step per period: with any of them set, each step integrates CartPole-v1's
equations with the rig's effects in physics steps of 2 ms (rig.RigIntegrator), and then lets the
wrapped environment's own ``step`` run with its time step ``tau`` set to 0 on that state, so its
rules (termination at its thresholds, reward, the TimeLimit's truncation) apply unchanged. The
command of a step is the action's: a discrete action pushes with +-the full command, a Box action
in [-1, 1] with that fraction of it; the full command is the force limit (10 N) for a force motor
and ``voltage_limit`` for a DC motor. The observation effects (encoders, position-only sensing,
sensor signs) are applied to what this wrapper returns, for every environment. ``info`` of each
step holds ``end_stop_hits`` (of that step); ``episode_end_stop_hits`` counts the episode's,
including the coast after it ended (below).

The task (``set_task``, a cartpole_spec.CartPoleSpec): the failure thresholds the wrapped
environment ends episodes at, and how a new episode starts. ``restart='center'`` is
CartPole-v1's (the start state drawn near 0); ``restart='in_place'`` is a rig's: when an episode
ends, the cart coasts with the motor at 0 (commands still in flight arrive; the pole falls) until
it is at rest or ``SETTLE_TIME`` has passed, when the operator stops it; the operator then sets
the pole upright where the cart is, sliding the cart back to within +-``START_X_FRACTION``
x_threshold of the centre if it came to rest beyond: the next episode starts there with
x_dot = 0 and theta, theta_dot drawn as usual. ``carry`` and ``set_carry`` hand that position
over to a resumed run.
"""

from collections.abc import Callable, Mapping
import math
import sys
from typing import TYPE_CHECKING, Any, SupportsFloat

from gymnasium import Env, Wrapper
from gymnasium.envs.classic_control.cartpole import CartPoleEnv
from gymnasium.utils import RecordConstructorArgs
import numpy as np
from numpy.typing import NDArray

from memsnn_controller.envs import cartpole_spec, rig
from memsnn_controller.envs.cartpole_spec import CartPoleSpec
from memsnn_controller.envs.classic_continuous import ContinuousCartPoleEnv
from memsnn_controller.envs.plant import Plant

if TYPE_CHECKING:  # PyBullet loads only for the environments that need it
    from memsnn_controller.envs.gym_cartpole import BulletCartPoleEnv
    from memsnn_controller.envs.plant_file import PlantFile

StepResult = tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]
# The in-place restart: the longest coast after an episode (s), the speed below which the cart is
# at rest (m/s), and the start region the operator slides a cart back into (x_threshold x this).
SETTLE_TIME = 2.0
REST_SPEED = 1e-3
START_X_FRACTION = 0.5
BETWEEN_TIME = 30.0
# Between episodes: (observation, time s) -> the command (N or V, as the plant's motor takes it),
# or None when the rig is ready for the operator.
BetweenEpisodes = Callable[[NDArray[np.float64], float], float | None]


class PlantWrapper(Wrapper[Any, Any, Any, Any], RecordConstructorArgs):
    """A cart-pole environment whose plant can be set (see the module docstring). Its spec
    (``env.spec``) makes it again, with the original plant."""

    def __init__(self, env: Env[Any, Any]) -> None:
        RecordConstructorArgs.__init__(self)
        Wrapper.__init__(self, env)
        inner = env.unwrapped
        self._bullet: BulletCartPoleEnv | None = None
        self._classic: CartPoleEnv | None = None
        # A PyBullet environment exists only once its module is loaded: no import needed here.
        bullet = sys.modules.get('memsnn_controller.envs.gym_cartpole')
        if bullet is not None and isinstance(inner, bullet.BulletCartPoleEnv):
            self._bullet = inner
            self.original = inner.model.plant
        elif isinstance(inner, CartPoleEnv):
            self._classic = inner
            self.original = Plant(pole_mass=inner.masspole, pole_length=2.0 * inner.length,
                                  cart_mass=inner.masscart, gravity=inner.gravity)
            self._force = float(inner.force_limit if isinstance(inner, ContinuousCartPoleEnv)
                                else inner.force_mag)
        else:
            raise ValueError(f'{type(inner).__name__}: not a cart-pole environment whose plant '
                             f'can be set (CartPoleEnv or BulletCartPoleEnv)')
        self.plant = self.original
        self.task = cartpole_spec.CARTPOLE_V1
        self._offset: NDArray[np.float32] | None = None
        self._friction = 0.0
        self._integrator: rig.RigIntegrator | None = None
        self._settler: rig.RigIntegrator | None = None
        self._time = 0.0
        self._observed = np.zeros(4)
        self._rest_x: float | None = None
        self._between: BetweenEpisodes | None = None
        self._next_command: float | None = None
        self.episode_end_stop_hits = 0

    @property
    def control_period(self) -> float:
        """Seconds per step of the wrapped environment."""
        if self._bullet is not None:
            return float(self._bullet.config.control_period)
        assert self._classic is not None
        return float(self._classic.tau) if self._integrator is None \
            else self._integrator.control_period

    def set_plant(self, plant: Plant) -> None:
        """Simulate ``plant`` from the next step on."""
        if not isinstance(plant, Plant):
            raise TypeError(f'plant: expected a Plant, got {type(plant).__name__}')
        self.plant = plant
        offset = plant.offset
        self._offset = np.array(offset, dtype=np.float32) if any(offset) else None
        if self._bullet is not None:
            self._bullet.model.set_plant(plant)
            return
        env = self._classic
        assert env is not None
        env.masspole = plant.pole_mass
        env.masscart = plant.cart_mass
        env.length = plant.pole_length / 2.0
        env.gravity = plant.gravity
        # CartPoleEnv derives these two in __init__ and uses them in step().
        env.total_mass = env.masspole + env.masscart
        env.polemass_length = env.masspole * env.length
        if plant.rig_dynamics:
            period = self.control_period
            if self._integrator is None:
                self._integrator = rig.RigIntegrator(plant, period, self._force)
            else:
                self._integrator.set_plant(plant)
        else:
            self._integrator = None
        if isinstance(env, ContinuousCartPoleEnv):
            env.actuator_gain = plant.actuator_gain
            env.friction = plant.friction
        else:
            env.force_mag = self._force * plant.actuator_gain if plant.actuator_gain != 1.0 \
                else self._force
            self._friction = plant.friction

    def set_task(self, task: CartPoleSpec) -> None:
        """End episodes at ``task``'s thresholds and start them as its ``restart`` says (from the
        next step or reset on)."""
        if not isinstance(task, CartPoleSpec):
            raise TypeError(f'task: expected a CartPoleSpec, got {type(task).__name__}')
        self.task = task
        if self._bullet is not None:
            self._bullet.task = task
        else:
            assert self._classic is not None
            self._classic.x_threshold = task.x_threshold
            self._classic.theta_threshold_radians = task.theta_threshold

    def use_plant_file(self, plant_file: 'PlantFile') -> None:
        """Simulate a plant file's plant and task; its plant becomes the original that plant
        changes' factors refer to."""
        self.original = plant_file.plant
        self.set_plant(plant_file.plant)
        self.set_task(plant_file.task)

    def set_between(self, controller: BetweenEpisodes | None) -> None:
        """Drive the rig between episodes of an in-place restart with ``controller`` (module
        docstring); None: coast with the motor at 0."""
        self._between = controller

    def set_command(self, command: float) -> None:
        """The next step's command (N or V, as the plant's motor takes it) instead of its
        action's: for a controller that computes its own (through a safety layer). The action
        still goes to the wrapped environment for its rules. Only where this wrapper integrates
        the rig itself (gymnasium's equations with a dynamic rig field) or drives the PyBullet
        model (which simulates the rig's fields itself); on gymnasium's own CartPole-v1 step the
        command must be the action's own (ValueError otherwise)."""
        self._next_command = float(command)

    @property
    def time(self) -> float:
        """The rig's time (s): control periods stepped and coasted since the wrapper began."""
        return self._time

    @property
    def carry(self) -> dict[str, Any]:
        """What the episodes to come depend on: the in-place restart's position and the rig's
        time (the sensor front end's stamps: a resumed run must stamp as the whole run does, or
        its velocity estimates differ in the last bits and the runs part later)."""
        return {'rest_x': self._rest_x, 'time': self._time}

    def set_carry(self, carry: Mapping[str, Any]) -> None:
        """Restore ``carry`` (from a run being resumed; a carry without a time, written before
        it was kept, leaves the time as it is)."""
        rest = carry.get('rest_x')
        self._rest_x = None if rest is None else float(rest)
        if carry.get('time') is not None:
            self._time = float(carry['time'])

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        if options is not None and 'plant' in options:
            plant = options['plant']
            if isinstance(plant, Mapping):
                plant = self.original.replace(**plant)
            self.set_plant(plant)
            options = {k: v for k, v in options.items() if k != 'plant'} or None
        observation, info = self.env.reset(seed=seed, options=options)
        self.episode_end_stop_hits = 0
        if self._integrator is not None:
            self._integrator.delay.clear()
            self._integrator.stops.hits = 0
        if self.task.restart == cartpole_spec.RESTART_IN_PLACE and self._rest_x is not None \
                and not (options and 'state' in options):
            observation = self._start_in_place(self._rest_x)
        if self._integrator is not None:
            state = self._state()
            self._integrator.stops.touching = abs(state[0]) >= self.plant.track_limit
        return self._observe(observation), info

    def step(self, action: Any) -> StepResult:
        command, self._next_command = self._next_command, None
        if self._integrator is not None:
            observation, reward, terminated, truncated, info = self._rig_step(action, command)
        else:
            if command is not None and self._bullet is not None:
                self._bullet.set_next_command(command)
            elif command is not None and command != self.command_of(action):
                raise ValueError(f"set_command({command}) differs from the action's command "
                                 f'({self.command_of(action)}): only a rig integrated here '
                                 f'takes commands of its own')
            env = self._classic
            if self._friction and env is not None and env.state is not None:
                # CartPole-v1 pushes with +-force_mag: this step's magnitude carries the friction.
                base = self._force * self.plant.actuator_gain
                drag = self._friction * float(env.state[1])
                env.force_mag = base - drag if action == 1 else base + drag
            observation, reward, terminated, truncated, info = self.env.step(action)
            if self._bullet is not None:  # the model counts since its reset: this step's part
                hits = self._bullet.model.end_stop_hits
                info['end_stop_hits'] = hits - self.episode_end_stop_hits
                self.episode_end_stop_hits = hits
        self._time += self.control_period
        if (terminated or truncated) and self.task.restart == cartpole_spec.RESTART_IN_PLACE:
            self._settle()
        return self._observe(observation), reward, terminated, truncated, info

    # -- the rig's integrator for gymnasium's equations -----------------------------------------

    def command_of(self, action: Any) -> float:
        """The command of an action: +-full for a discrete one, a fraction of it for a Box; an
        action the environment refuses raises here, before anything moves."""
        full = self.plant.voltage_limit if self.plant.motor == 'dc' else self._force
        if isinstance(self._classic, ContinuousCartPoleEnv):
            value = np.asarray(action, dtype=np.float64).reshape(-1)
            if value.shape != (1,) or not math.isfinite(value[0]):
                raise ValueError(f'action must be one finite value in [-1, 1], got {action!r}')
            return min(max(float(value[0]), -1.0), 1.0) * full
        assert self.env.action_space.contains(action), f'{action!r} ({type(action)}) invalid'
        return full if action == 1 else -full

    def _state(self) -> NDArray[np.float64]:
        if self._bullet is not None:
            return self._bullet.model.state
        assert self._classic is not None and self._classic.state is not None
        return np.array(self._classic.state, dtype=np.float64)

    def _rig_step(self, action: Any, command: float | None = None) -> StepResult:
        env, integrator = self._classic, self._integrator
        assert env is not None and integrator is not None
        if env.state is not None:
            state = np.array(env.state, dtype=np.float64)
            action_command = self.command_of(action)  # refuses a bad action first
            integrator.command(action_command if command is None else command, self._time)
            hits = integrator.advance(state, self._time)
            self.episode_end_stop_hits += hits
            env.state = state
        else:
            hits = 0
        # The wrapped environment's rules on the new state: its Euler step moves nothing.
        tau = env.tau
        env.tau = 0.0
        try:
            observation, reward, terminated, truncated, info = self.env.step(action)
        finally:
            env.tau = tau
        info['end_stop_hits'] = hits
        return observation, reward, terminated, truncated, info

    # -- the in-place restart -------------------------------------------------------------------

    def _settle(self) -> None:
        """Coast with the motor at 0, or follow the between-episodes controller, until the cart
        rests or the controller is done (module docstring); keeps where."""
        period = self.control_period
        controller = self._between
        limit = math.ceil((BETWEEN_TIME if controller is not None else SETTLE_TIME) / period)
        if self._bullet is not None:
            model = self._bullet.model
            for _ in range(limit):
                command = 0.0
                if controller is not None:
                    reading = controller(model.observation, self._time)
                    if reading is None:
                        break
                    command = reading
                elif abs(model.state[1]) < REST_SPEED:
                    break
                model.step(command)
                self._time += period
            self.episode_end_stop_hits = model.end_stop_hits
            self._rest_x = float(model.state[0])
            return
        if self._integrator is not None:
            integrator = self._integrator
        else:  # CartPole-v1's own step cannot push with 0 N: coast through the rig's equations
            if self._settler is None or self._settler.plant is not self.plant:
                self._settler = rig.RigIntegrator(self.plant, period, self._force)
            integrator = self._settler
            integrator.delay.clear()
        state = self._state()
        integrator.command(0.0, self._time)
        for _ in range(limit):
            if controller is not None:
                wanted = controller(rig.observe(self.plant, state, self._observed), self._time)
                if wanted is None:
                    break
                integrator.command(wanted, self._time)
            elif abs(state[1]) < REST_SPEED:
                break
            self.episode_end_stop_hits += integrator.advance(state, self._time)
            self._time += period
        self._rest_x = float(state[0])

    def _start_in_place(self, rest_x: float) -> Any:
        """The operator's start: the cart at rest where it stopped (within the start region),
        the pole at rest at the angle the environment drew."""
        limit = START_X_FRACTION * self.task.x_threshold
        x = min(max(rest_x, -limit), limit)
        if self._bullet is not None:
            model = self._bullet.model
            drawn = model.state
            return model.reset(state=(x, 0.0, drawn[2], 0.0)).astype(np.float32)
        env = self._classic
        assert env is not None and env.state is not None
        state = np.array(env.state, dtype=np.float64)
        state[0], state[1], state[3] = x, 0.0, 0.0
        env.state = state
        return state.astype(np.float32)

    def _observe(self, observation: Any) -> Any:
        if self._bullet is not None:  # PyBullet observes with its own offset and effects
            return observation
        if self.plant.observation_effects:
            state = self._state()
            return rig.observe(self.plant, state, self._observed).astype(np.float32)
        if self._offset is None:
            return observation
        return observation + self._offset
