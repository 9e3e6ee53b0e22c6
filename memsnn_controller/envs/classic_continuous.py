"""CartPole-v1 with a continuous force: gymnasium's own dynamics, rules and rewards.

``memsnn/CartPoleContinuous-v1`` is gymnasium's CartPoleEnv (Euler integration, tau 0.02 s,
cart 1 kg, pole 0.1 kg of half-length 0.5 m, termination at |x| > 2.4 m or |theta| > 12 deg,
+1 reward per step, 500-step truncation by the TimeLimit wrapper) whose action is
``Box(-1, 1, (1,), float32)``: force = clip(action, -1, 1) * force_limit newtons (10 N as
CartPole-v1). With actions of +-1 it follows CartPole-v1's trajectory exactly: every step runs
gymnasium's own ``CartPoleEnv.step`` with the force magnitude set for that step.

Two plant fields that gymnasium's equations lack are fields here (``plant_env.PlantWrapper``
sets them, with the others): ``actuator_gain`` (the force is actuator_gain x clip(action) x
force_limit, default 1) and ``friction`` (the cart's viscous friction: -friction x_dot newtons
are added to the force of the step, x_dot the velocity at its start, default 0).

Rendering is gymnasium's classic-control renderer (render modes 'human' and 'rgb_array'), which
needs pygame: ``pip install 'memsnn_controller[render]'``.
"""

import math
from typing import Any

from gymnasium import spaces
from gymnasium.envs.classic_control.cartpole import CartPoleEnv
import numpy as np
from numpy.typing import NDArray

from memsnn_controller.common import checks


class ContinuousCartPoleEnv(CartPoleEnv):
    """CartPole-v1 dynamics with a continuous force (see the module docstring)."""

    def __init__(self, render_mode: str | None = None, force_limit: float = 10.0) -> None:
        checks.require('force_limit', force_limit, checks.positive)
        super().__init__(render_mode=render_mode)
        self.force_limit = float(force_limit)
        self.actuator_gain = 1.0
        self.friction = 0.0
        self._discrete_space = self.action_space
        self.action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)

    def step(self, action: Any) -> tuple[NDArray[np.float32], float, bool, bool, dict[str, Any]]:
        try:
            value = np.asarray(action, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            value = np.zeros(0)
        if value.shape != (1,) or not math.isfinite(value[0]):
            raise ValueError(f'action must be one finite value in [-1, 1], got {action!r}')
        force = min(max(float(value[0]), -1.0), 1.0) * self.force_limit
        if self.actuator_gain != 1.0:
            force *= self.actuator_gain
        if self.friction and self.state is not None:
            force -= self.friction * float(self.state[1])
        # gymnasium's step pushes with +-force_mag for the discrete action: set the magnitude,
        # and let its own equations and rules do the rest.
        self.force_mag = abs(force)
        continuous, self.action_space = self.action_space, self._discrete_space
        try:
            # gymnasium's CartPoleEnv.step is not annotated.
            return super().step(1 if force >= 0.0 else 0)  # type: ignore[no-untyped-call]
        finally:
            self.action_space = continuous
