"""Control steps per second: the PyBullet cart-pole against gymnasium's CartPole-v1, same run.

Each environment takes the same seeded random actions and is reset whenever an episode ends, so
resets are part of the cost, as in training. The cases run interleaved ``--repeats`` times and
the fastest run of each counts (timing noise from other load only ever slows a run down).
Prints a table; ``--json PATH`` also writes it.

    .venv/bin/python benchmarks/env_speed.py [--steps 20000] [--repeats 3] [--json out.json]
"""

import argparse
import json
import platform
import time

import gymnasium as gym
import numpy as np

import memsnn_controller.envs as envs
from memsnn_controller.envs.bullet_cartpole import BulletCartPole


def time_gym_env(env_id, steps, seed):
    """Steps per second of ``env_id`` under gymnasium.make (wrappers included)."""
    env = gym.make(env_id)
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(steps)]
    env.reset(seed=seed)
    episodes = 0
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
            episodes += 1
    elapsed = time.perf_counter() - start
    env.close()
    return elapsed, episodes


def time_model(steps, seed):
    """Steps per second of the bare BulletCartPole model (no gymnasium, no episode rules)."""
    forces = np.random.default_rng(seed).choice([-10.0, 10.0], size=steps).tolist()
    with BulletCartPole(seed=seed) as model:
        model.reset()
        start = time.perf_counter()
        for force in forces:
            model.step(force)
        return time.perf_counter() - start, 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=20000, help='control steps per environment')
    parser.add_argument('--repeats', type=int, default=3, help='runs per case; the best counts')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', metavar='PATH', help='also write the results as JSON')
    args = parser.parse_args()

    cases = [
        ('CartPole-v1 (gymnasium)', lambda: time_gym_env('CartPole-v1', args.steps, args.seed)),
        (envs.ENV_ID, lambda: time_gym_env(envs.ENV_ID, args.steps, args.seed)),
        (envs.CONTINUOUS_ENV_ID,
         lambda: time_gym_env(envs.CONTINUOUS_ENV_ID, args.steps, args.seed)),
        ('BulletCartPole model', lambda: time_model(args.steps, args.seed)),
    ]
    times = {name: [] for name, _ in cases}
    episodes = {}
    for _ in range(args.repeats):
        for name, run in cases:
            elapsed, episodes[name] = run()
            times[name].append(elapsed)
    rows = []
    for name, _ in cases:
        best = min(times[name])
        rows.append({'env': name, 'steps': args.steps, 'episodes': episodes[name],
                     'seconds_best': best, 'seconds_all': times[name],
                     'steps_per_second': args.steps / best})
    reference = rows[0]['steps_per_second']
    for row in rows:
        row['ratio_to_cartpole_v1'] = row['steps_per_second'] / reference
        # A 50 Hz control period is real time; this many times faster than that.
        row['realtime_factor_50hz'] = row['steps_per_second'] / 50.0

    print(f'{"environment":<36} {"steps/s":>10} {"vs CartPole-v1":>15} {"x real time":>12}')
    for row in rows:
        print(f'{row["env"]:<36} {row["steps_per_second"]:>10.0f} '
              f'{row["ratio_to_cartpole_v1"]:>15.3f} {row["realtime_factor_50hz"]:>12.0f}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'benchmark': 'env_speed', 'python': platform.python_version(),
                       'machine': platform.machine(), 'results': rows}, f, indent=2)


if __name__ == '__main__':
    main()
