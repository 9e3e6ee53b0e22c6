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
"""

from collections.abc import Mapping
import sys
from typing import TYPE_CHECKING, Any, SupportsFloat

from gymnasium import Env, Wrapper
from gymnasium.envs.classic_control.cartpole import CartPoleEnv
import numpy as np
from numpy.typing import NDArray

from memsnn_controller.envs.classic_continuous import ContinuousCartPoleEnv
from memsnn_controller.envs.plant import Plant

if TYPE_CHECKING:  # PyBullet loads only for the environments that need it
    from memsnn_controller.envs.gym_cartpole import BulletCartPoleEnv

StepResult = tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]


class PlantWrapper(Wrapper[Any, Any, Any, Any]):
    """A cart-pole environment whose plant can be set (see the module docstring)."""

    def __init__(self, env: Env[Any, Any]) -> None:
        super().__init__(env)
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
        self._offset: NDArray[np.float32] | None = None
        self._friction = 0.0

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
        if isinstance(env, ContinuousCartPoleEnv):
            env.actuator_gain = plant.actuator_gain
            env.friction = plant.friction
        else:
            env.force_mag = self._force * plant.actuator_gain if plant.actuator_gain != 1.0 \
                else self._force
            self._friction = plant.friction

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        if options is not None and 'plant' in options:
            plant = options['plant']
            if isinstance(plant, Mapping):
                plant = self.original.replace(**plant)
            self.set_plant(plant)
            options = {k: v for k, v in options.items() if k != 'plant'} or None
        observation, info = self.env.reset(seed=seed, options=options)
        return self._observe(observation), info

    def step(self, action: Any) -> StepResult:
        env = self._classic
        if self._friction and env is not None and env.state is not None:
            # CartPole-v1 pushes with +-force_mag: this step's magnitude carries the friction.
            base = self._force * self.plant.actuator_gain
            drag = self._friction * float(env.state[1])
            env.force_mag = base - drag if action == 1 else base + drag
        observation, reward, terminated, truncated, info = self.env.step(action)
        return self._observe(observation), reward, terminated, truncated, info

    def _observe(self, observation: Any) -> Any:
        if self._offset is None or self._bullet is not None:  # PyBullet adds its own offset
            return observation
        return observation + self._offset
