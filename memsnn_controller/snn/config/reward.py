"""The reward section: which reward function and its constants."""

from dataclasses import dataclass

from memsnn_controller.common import checks
from memsnn_controller.snn.config.base import _Section


@dataclass(frozen=True)
class RewardConfig(_Section):
    """Which reward function (snn/rewards.py) and its constants.

    Per-step shaping terms are multiplied by ``scale`` so that discounted returns stay within the
    critic's range; a failure (termination) earns ``failure_reward``.
    """

    name: str = 'sparse'
    scale: float = 0.05
    failure_reward: float = -1.0
    baseline_tau: float = 100.0
    position_weight: float = 0.5

    _path = 'reward'

    def validate(self) -> None:
        from memsnn_controller.snn.rewards import REWARDS

        self._require('name', checks.one_of(*REWARDS))
        self._require('scale', checks.number)
        self._require('failure_reward', checks.number)
        self._require('baseline_tau', checks.positive)
        self._require('position_weight', checks.in_range(0, 1))
