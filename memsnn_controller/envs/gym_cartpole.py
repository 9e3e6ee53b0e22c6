"""Gymnasium environments on the PyBullet cart-pole, with CartPole-v1's interface and rules.

``memsnn/BulletCartPole-v0`` (BulletCartPoleEnv) is CartPole-v1 with PyBullet physics;
``memsnn/BulletCartPoleContinuous-v0`` (BulletCartPoleContinuousEnv) takes a continuous force.
Both are registered by ``import memsnn_controller.envs``.

## Action space

- Discrete: ``Discrete(2)``; 0 pushes the cart toward -x, 1 toward +x, with ``force_limit``
  newtons (10 N by default, as CartPole-v1).
- Continuous: ``Box(-1.0, 1.0, (1,), float32)``, a fraction of ``force_limit``:
  force = clip(action, -1, 1) * force_limit newtons. Values outside [-1, 1] are clipped;
  NaN or infinite values raise ValueError.

With a DC motor (the plant's ``motor`` 'dc') the command is a voltage: the full command is
``voltage_limit`` volts instead of ``force_limit`` newtons, as for gymnasium's equations in
``plant_env.PlantWrapper``.

## Observation space

``Box(-high, high, (4,), float32)`` with high = (4.8, inf, 24 deg, inf), as CartPole-v1:
(x [m], x_dot [m/s], theta [rad], theta_dot [rad/s]); theta > 0 when the pole leans toward +x.
Optional Gaussian sensor noise (``sensor_noise``) is added to what the agent observes only.

## Rewards

+1 for every step taken, including the step that terminates; a step after termination returns 0
and warns, exactly as CartPole-v1.

## Starting state

Each component of the true state drawn from U(-0.05, 0.05) (``start_range``). ``reset`` accepts
``options={'low': ..., 'high': ...}`` as CartPole-v1, or ``options={'state': (x, x_dot, theta,
theta_dot)}`` for an exact start.

## Episode end

- Termination: the true (noise-free) state has x < -2.4 or x > 2.4, or theta < -12 deg or
  theta > 12 deg (``cartpole_spec``).
- Truncation: 500 steps, by the TimeLimit wrapper that ``gymnasium.make`` adds
  (``max_episode_steps`` of the registration); the environment itself returns False.

## Arguments

``gymnasium.make(id, render_mode=None, config=None, **fields)``: ``config`` is a
BulletCartPoleConfig, ``fields`` override any of its fields (control_period, physics_substeps,
force_limit, start_range, sensor_noise, actuator_noise, gui, and the plant's: pole_mass,
pole_length, cart_mass, gravity, friction, actuator_gain, sensor_offset). ``render_mode`` may be
'rgb_array' (headless, PyBullet's TinyRenderer); for a live view pass ``gui=True``. To change the
plant while the environment runs, wrap it in ``plant_env.PlantWrapper`` (``set_plant``, or
``reset(options={'plant': ...})``).

``info`` holds ``applied_force``: the force in newtons applied during the step.
"""

from dataclasses import replace
import math
from typing import Any

import gymnasium as gym
from gymnasium import logger, spaces
from gymnasium.envs.classic_control import utils as classic_utils
import numpy as np
from numpy.typing import NDArray

from memsnn_controller.common import checks
from memsnn_controller.envs import cartpole_spec
from memsnn_controller.envs.bullet_cartpole import BulletCartPole, BulletCartPoleConfig

# What reset and step return: the observation as float32, and the info dict.
Obs = NDArray[np.float32]
StepResult = tuple[Obs, float, bool, bool, dict[str, Any]]


class BulletCartPoleEnv(gym.Env[Obs, Any]):
    """CartPole-v1 on PyBullet with a discrete action (see the module docstring)."""

    metadata = {'render_modes': ['rgb_array'], 'render_fps': 50}

    def __init__(self, render_mode: str | None = None, config: BulletCartPoleConfig | None = None,
                 **fields: Any) -> None:
        checks.require_that(render_mode is None or render_mode in self.metadata['render_modes'],
                            'render_mode', f'must be one of {self.metadata["render_modes"]} or '
                            f'None; pass gui=True for a live view', render_mode)
        config = BulletCartPoleConfig() if config is None else config
        self.config = replace(config, **fields) if fields else config
        self.render_mode = render_mode
        self.task = cartpole_spec.CARTPOLE_V1
        self.metadata = dict(self.metadata, render_fps=round(1.0 / self.config.control_period))

        high = np.array([self.task.x_threshold * 2, np.inf,
                         self.task.theta_threshold * 2, np.inf], dtype=np.float32)
        self.observation_space = spaces.Box(-high, high, dtype=np.float32)
        self.action_space = self._make_action_space()

        self._model = BulletCartPole(self.config)
        self._steps_beyond_terminated: int | None = None
        self._ready = False
        self._next_command: float | None = None

    def _make_action_space(self) -> spaces.Space[Any]:
        return spaces.Discrete(2)

    def _full_command(self) -> float:
        """A full push: force_limit newtons, or voltage_limit volts for a DC motor (the model's
        live plant)."""
        config = self._model.config
        return config.voltage_limit if config.motor == 'dc' else config.force_limit

    def _force(self, action: Any) -> float:
        assert self.action_space.contains(action), f'{action!r} ({type(action)}) invalid'
        return self._full_command() if action == 1 else -self._full_command()

    def set_next_command(self, command: float) -> None:
        """Drive the next step with ``command`` (N, or V for a DC motor) instead of its
        action's: for a controller whose safety layer changes what its learner asked
        (envs/plant_env.PlantWrapper.set_command). The action is still checked."""
        self._next_command = float(command)

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[Obs, dict[str, Any]]:
        super().reset(seed=seed)
        # One generator for the start state and the noises, so a seed fixes the whole episode.
        self._model.np_random = self.np_random
        if options is not None and 'state' in options:
            state = options['state']
        else:
            r = self.config.start_range
            low, high = classic_utils.maybe_parse_reset_bounds(options, -r, r)
            state = self.np_random.uniform(low=low, high=high, size=(4,))
        observation = self._model.reset(state=state)
        self._steps_beyond_terminated = None
        self._next_command = None
        self._ready = True
        return observation.astype(np.float32), {}

    def step(self, action: Any) -> StepResult:
        assert self._ready, 'Call reset before using step method.'
        force = self._force(action)
        if self._next_command is not None:
            force, self._next_command = self._next_command, None
        observation, applied = self._model.step(force)
        terminated = cartpole_spec.is_failure(self._model.state, self.task)

        if not terminated:
            reward = 1.0
        elif self._steps_beyond_terminated is None:
            self._steps_beyond_terminated = 0
            reward = 1.0
        else:
            if self._steps_beyond_terminated == 0:
                logger.warn(
                    "You are calling 'step()' even though this environment has already returned "
                    "terminated = True. You should always call 'reset()' once you receive "
                    "'terminated = True' -- any further steps are undefined behavior.")
            self._steps_beyond_terminated += 1
            reward = 0.0
        # truncated=False: the 500-step limit is the TimeLimit wrapper's job, as in CartPole-v1.
        return observation.astype(np.float32), reward, terminated, False, {'applied_force': applied}

    def render(self) -> NDArray[np.uint8] | None:
        if self.render_mode is None:
            logger.warn('You are calling render method without specifying any render mode; '
                        'pass render_mode="rgb_array" to gymnasium.make.')
            return None
        return self._model.render_rgb()

    def close(self) -> None:
        self._model.close()

    @property
    def model(self) -> BulletCartPole:
        """The underlying BulletCartPole (for tests and diagnostics)."""
        return self._model


class BulletCartPoleContinuousEnv(BulletCartPoleEnv):
    """The PyBullet cart-pole with a force in [-1, 1] x force_limit (see the module docstring)."""

    def _make_action_space(self) -> spaces.Space[Any]:
        return spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)

    def _force(self, action: Any) -> float:
        value = np.asarray(action, dtype=np.float64).reshape(-1)
        if value.shape != (1,):
            raise ValueError(f'action must hold one value, got {action!r}')
        force = float(value[0])
        if not math.isfinite(force):
            raise ValueError(f'action must be finite, got {action!r}')
        return min(max(force, -1.0), 1.0) * self._full_command()

