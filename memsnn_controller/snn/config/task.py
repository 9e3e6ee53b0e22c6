"""The task section: what the learner is sized for, and the delay its controller compensates."""

from dataclasses import dataclass
import math

from memsnn_controller.common import checks
from memsnn_controller.snn.config.base import _Section

CARTPOLE_V1_X_THRESHOLD = 2.4
CARTPOLE_V1_THETA_THRESHOLD = 12 * 2 * math.pi / 360


@dataclass(frozen=True)
class TaskConfig(_Section):
    """The task the learner is sized for (snn/config/sizing.py derives the encoder's edges and
    ranges from it) and the actuation delay its controller compensates.

    x_threshold (m), theta_threshold (rad): the failure bounds |x| <= x_threshold and
      |theta| <= theta_threshold (CartPole-v1: 2.4 m, 12 deg). A controller whose own bounds
      differ refuses a checkpoint made for these.
    delay (s): a known actuation delay D. The learner acts on the state D ahead, predicted from
      the measured one through a model of the plant under the commands still in flight (a Smith
      predictor, control/prediction.py); 0: the measured state as it is.
    """

    x_threshold: float = CARTPOLE_V1_X_THRESHOLD
    theta_threshold: float = CARTPOLE_V1_THETA_THRESHOLD
    delay: float = 0.0

    _path = 'task'

    def validate(self) -> None:
        self._require('x_threshold', checks.above_zero(100.0, ' m'))
        self._require('theta_threshold', checks.above_zero(math.pi, ' rad'))
        self._require('delay', checks.in_range(0.0, 1.0, ' s'))
