"""Reward functions of a transition (state, next_state, terminated, truncated).

States are (x, x_dot, theta, theta_dot). A failure (``terminated``) earns ``failure_reward``
(default -1) in every function except where stated; truncation (the time limit) is NOT a failure:
it earns the ordinary per-step reward. Per-step shaping terms are multiplied by ``scale`` (default
0.05 = 1 - gamma), which keeps the discounted return of a balanced pole near 1, inside the
critic's range. With the 'td' modulator the agent's learning signal is the critic's TD error
delta = r + gamma V(s') - V(s) for whichever reward is chosen; with the 'reward' modulator it is
r minus its moving average (no critic).

Registry (``REWARDS``), name -> r for a non-failing step:
    sparse          0
    alive           1 - b, b the exponential moving average of the raw reward (1 alive,
                    failure_reward at a failure) over ``baseline_tau`` steps; a failure earns
                    failure_reward - b
theta_max and x_max are the task's failure bounds (config.task: CartPole-v1's 12 deg and 2.4 m by
default), so the shaped rewards keep their scale on a rig's short track. The per-step quantities
are stated for reference ticks (AgentConfig's class doc): with r = control_period /
reference_period, ``scale`` is multiplied by r and ``baseline_tau`` (steps) divided by it.

    angle           scale * (1 - (theta' / theta_max)^2)
    angle_cos       scale * (cos theta' - cos theta_max) / (1 - cos theta_max)
    angle_position  scale * (1 - (1 - p) (theta' / theta_max)^2 - p (x' / x_max)^2),
                    p = position_weight
    change          scale * sign(|theta| - |theta'|): rewarded when the pole's tilt shrinks
"""

from collections.abc import Mapping
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from memsnn_controller.snn.config import RewardConfig, TaskConfig
    from memsnn_controller.snn.state import F64

THETA_MAX = 12 * 2 * math.pi / 360  # CartPole-v1's failure angle (rad)
X_MAX = 2.4                         # CartPole-v1's failure position (m)


class Reward:
    """Base: a failure earns failure_reward; subclasses give the per-step term. x_max and
    theta_max: the task's failure bounds."""

    def __init__(self, config: 'RewardConfig', x_max: float = X_MAX,
                 theta_max: float = THETA_MAX, tick_ratio: float = 1.0) -> None:
        self.config = config
        self.x_max = x_max
        self.theta_max = theta_max
        self.scale = config.scale if tick_ratio == 1.0 else config.scale * tick_ratio
        self.baseline_tau = (config.baseline_tau if tick_ratio == 1.0
                             else config.baseline_tau / tick_ratio)

    def reset(self) -> None:
        """Forget per-episode state (called at every episode start)."""

    def __call__(self, state: 'F64', next_state: 'F64', terminated: bool, truncated: bool) -> float:
        if terminated:
            return self.config.failure_reward
        return self.step_reward(state, next_state)

    def step_reward(self, state: 'F64', next_state: 'F64') -> float:
        raise NotImplementedError

    def export_state(self) -> dict[str, float]:
        return {}

    def import_state(self, values: Mapping[str, float]) -> None:
        pass


class SparseReward(Reward):
    """r = 0 per step, failure_reward at a failure."""

    def step_reward(self, state: 'F64', next_state: 'F64') -> float:
        return 0.0


class AliveReward(Reward):
    """r = raw - b with raw = 1 per step alive (failure_reward at a failure) and
    b <- b + (raw - b) / baseline_tau after every step (a constant +1 alone carries no contrast)."""

    def __init__(self, config: 'RewardConfig', x_max: float = X_MAX,
                 theta_max: float = THETA_MAX, tick_ratio: float = 1.0) -> None:
        super().__init__(config, x_max, theta_max, tick_ratio)
        self.baseline = 0.0

    def __call__(self, state: 'F64', next_state: 'F64', terminated: bool, truncated: bool) -> float:
        raw = self.config.failure_reward if terminated else 1.0
        r = raw - self.baseline
        self.baseline += (raw - self.baseline) / self.baseline_tau
        return r

    def export_state(self) -> dict[str, float]:
        return {'baseline': self.baseline}

    def import_state(self, values: Mapping[str, float]) -> None:
        self.baseline = float(values.get('baseline', 0.0))


class AngleReward(Reward):
    """r = scale * (1 - (theta' / theta_max)^2)."""

    def step_reward(self, state: 'F64', next_state: 'F64') -> float:
        return self.scale * (1.0 - (next_state[2] / self.theta_max) ** 2)


class AngleCosReward(Reward):
    """r = scale * (cos theta' - cos theta_max) / (1 - cos theta_max): 1 upright, 0 at the limit."""

    def step_reward(self, state: 'F64', next_state: 'F64') -> float:
        c_max = math.cos(self.theta_max)
        return self.scale * (math.cos(next_state[2]) - c_max) / (1.0 - c_max)


class AnglePositionReward(Reward):
    """r = scale * (1 - (1 - p) (theta' / theta_max)^2 - p (x' / x_max)^2), p = position_weight."""

    def step_reward(self, state: 'F64', next_state: 'F64') -> float:
        p = self.config.position_weight
        return self.scale * (1.0 - (1.0 - p) * (next_state[2] / self.theta_max) ** 2
                                    - p * (next_state[0] / self.x_max) ** 2)


class ChangeReward(Reward):
    """r = scale * sign(|theta| - |theta'|): + when the tilt shrinks, - when it grows."""

    def step_reward(self, state: 'F64', next_state: 'F64') -> float:
        diff = float(abs(state[2]) - abs(next_state[2]))
        return self.scale * (float(diff > 0.0) - float(diff < 0.0))


REWARDS: dict[str, type[Reward]] = {
    'sparse': SparseReward,
    'alive': AliveReward,
    'angle': AngleReward,
    'angle_cos': AngleCosReward,
    'angle_position': AnglePositionReward,
    'change': ChangeReward,
}


def make_reward(config: 'RewardConfig', task: 'TaskConfig | None' = None,
                tick_ratio: float = 1.0) -> Reward:
    """The reward function named by a RewardConfig, for the failure bounds of ``task``
    (CartPole-v1's without one) and ticks of ``tick_ratio`` reference ticks."""
    if task is None:
        return REWARDS[config.name](config, tick_ratio=tick_ratio)
    return REWARDS[config.name](config, task.x_threshold, task.theta_threshold, tick_ratio)
