"""The CartPole-v1 task: thresholds, episode limits and start distribution, as plain constants.

This module depends on nothing outside the standard library, so a controller can import it to
detect episode ends itself. Values are gymnasium's ``CartPole-v1`` (classic_control/cartpole.py):

- failure (``terminated``) when ``x < -2.4 or x > 2.4`` (m) or ``theta < -12 deg or theta > 12 deg``
  (``12 * 2 * pi / 360`` rad), checked after every step;
- ``truncated`` after 500 steps (a time limit, not a failure);
- start state: each of (x, x_dot, theta, theta_dot) drawn from U(-0.05, 0.05);
- action: a push of +-10 N every 0.02 s; reward +1 per step;
- solved: mean episode length >= 475 over 100 consecutive episodes.

Observation order and signs everywhere in this package: (x, x_dot, theta, theta_dot), x positive
to the right, theta positive when the pole leans toward +x, positive force pushes the cart
toward +x.
"""

from collections.abc import Iterable
from dataclasses import dataclass
import math

X_THRESHOLD = 2.4
THETA_THRESHOLD = 12 * 2 * math.pi / 360
MAX_EPISODE_STEPS = 500
FORCE_MAG = 10.0
TAU = 0.02
START_LOW = -0.05
START_HIGH = 0.05
SOLVED_MEAN_LENGTH = 475.0
SOLVED_WINDOW = 100
# How a new episode starts: near the centre (CartPole-v1), or where the cart came to rest (a rig;
# envs/plant_env.py says how the operator restarts it).
RESTART_CENTER = 'center'
RESTART_IN_PLACE = 'in_place'
RESTARTS = (RESTART_CENTER, RESTART_IN_PLACE)

# Reasons returned by failure_reason(); 'invalid' (a NaN or infinite value) cannot happen in
# CartPole-v1 itself, but a controller fed by a real sensor should stop rather than learn from it.
X_LIMIT = 'x_limit'
THETA_LIMIT = 'theta_limit'
INVALID = 'invalid'


@dataclass(frozen=True)
class CartPoleSpec:
    """The task's constants; ``CARTPOLE_V1`` holds gymnasium's values."""

    x_threshold: float = X_THRESHOLD
    theta_threshold: float = THETA_THRESHOLD
    max_episode_steps: int = MAX_EPISODE_STEPS
    force_mag: float = FORCE_MAG
    tau: float = TAU
    start_low: float = START_LOW
    start_high: float = START_HIGH
    solved_mean_length: float = SOLVED_MEAN_LENGTH
    solved_window: int = SOLVED_WINDOW
    restart: str = RESTART_CENTER

    def __post_init__(self) -> None:
        if self.restart not in RESTARTS:
            raise ValueError(f'CartPoleSpec.restart: must be one of '
                             f'{", ".join(map(repr, RESTARTS))} (got {self.restart!r})')


CARTPOLE_V1 = CartPoleSpec()


def failure_reason(observation: Iterable[float], spec: CartPoleSpec = CARTPOLE_V1) -> str | None:
    """Return why ``observation`` (x, x_dot, theta, theta_dot) ends an episode, or None.

    'x_limit' when the cart is outside +-x_threshold, 'theta_limit' when the pole is outside
    +-theta_threshold (strict inequalities, as CartPole-v1), 'invalid' for a NaN or infinite
    component. The position limit is checked first, as CartPole-v1 lists it first.
    """
    x, x_dot, theta, theta_dot = observation
    isfinite = math.isfinite
    if not (isfinite(x) and isfinite(x_dot) and isfinite(theta) and isfinite(theta_dot)):
        return INVALID
    if x < -spec.x_threshold or x > spec.x_threshold:
        return X_LIMIT
    if theta < -spec.theta_threshold or theta > spec.theta_threshold:
        return THETA_LIMIT
    return None


def is_failure(observation: Iterable[float], spec: CartPoleSpec = CARTPOLE_V1) -> bool:
    """True when ``observation`` is outside the failure thresholds (CartPole-v1 ``terminated``)."""
    return failure_reason(observation, spec) is not None
