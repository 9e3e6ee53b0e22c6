"""The plants: the PyBullet cart-pole model and gymnasium environments on it; no ROS.

Importing this package registers three gymnasium ids (idempotently):

- ``memsnn/BulletCartPole-v0``: CartPole-v1's interface (Discrete(2)) on PyBullet physics;
- ``memsnn/BulletCartPoleContinuous-v0``: the same with a Box(-1, 1) force;
- ``memsnn/CartPoleContinuous-v1``: gymnasium's own CartPole-v1 dynamics with a Box(-1, 1) force
  (``classic_continuous``).

Modules: ``cartpole_spec`` (CartPole-v1's thresholds and limits, standard library only),
``plant`` (the plant's physical parameters and schedules of changes, standard library only),
``cartpole_urdf`` (the URDF for a plant), ``bullet_cartpole`` (the PyBullet model),
``gym_cartpole`` (the environments), ``plant_env`` (PlantWrapper: the plant of any of these
environments, and of gymnasium's CartPole-v1, set while it runs), ``simulation`` (the episode
loop the simulator node drives). PyBullet is imported only by the modules that need it.
"""

import gymnasium

from memsnn_controller.envs import cartpole_spec

ENV_ID = 'memsnn/BulletCartPole-v0'
CONTINUOUS_ENV_ID = 'memsnn/BulletCartPoleContinuous-v0'
CLASSIC_CONTINUOUS_ENV_ID = 'memsnn/CartPoleContinuous-v1'

_ENTRY_POINTS = {
    ENV_ID: 'memsnn_controller.envs.gym_cartpole:BulletCartPoleEnv',
    CONTINUOUS_ENV_ID: 'memsnn_controller.envs.gym_cartpole:BulletCartPoleContinuousEnv',
    CLASSIC_CONTINUOUS_ENV_ID: 'memsnn_controller.envs.classic_continuous:ContinuousCartPoleEnv',
}


def registered_ids() -> tuple[str, ...]:
    """The gymnasium ids this package registers."""
    return tuple(_ENTRY_POINTS)


def register_envs() -> None:
    """Register the environments with gymnasium unless they already are."""
    for env_id, entry_point in _ENTRY_POINTS.items():
        if env_id not in gymnasium.envs.registry:
            gymnasium.register(id=env_id, entry_point=entry_point,
                               max_episode_steps=cartpole_spec.MAX_EPISODE_STEPS,
                               reward_threshold=cartpole_spec.SOLVED_MEAN_LENGTH)


register_envs()
