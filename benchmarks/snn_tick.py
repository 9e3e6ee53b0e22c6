"""Cost of one control tick of the learning core (not a test: it measures and reports).

- default_tick_us: median microseconds of Agent.step (one compiled tick with learning on, plus
  the API's Python work) for the shipped default network, while it learns CartPole-v1 through
  gymnasium (the environment's own time excluded); p99 and the kernel-only median alongside.
- tick_us_by_synapses: the median tick at about 1e3, 1e4 and 1e5 synapses, for a dense input
  (15 Gaussian fields per state variable, every input active each tick, learning on and a device
  write in every tick: the worst case for the trace and write loops).
- numpy_over_numba_1e4: how many times slower the numpy reference is than the kernel at 1e4.

Usage: python benchmarks/snn_tick.py [--json PATH] [--episodes N] [--config YAML] [--set K=V ...]
(--config and --set change the default network's configuration and are applied to the dense
ones too: e.g. --set device.read_noise=0.05 times the tick with noisy reads.)
"""

import argparse
import json
import math
import os
import sys
import time

import gymnasium as gym
import numpy as np

from memsnn_controller.snn import state as S
from memsnn_controller.snn.agent import Agent
from memsnn_controller.snn.config import AgentConfig
from memsnn_controller.snn.kernels import tick
from memsnn_controller.snn.network import Network
from memsnn_controller.snn.reference import tick_reference

FIELDS = 15
DENSE_INPUTS = 4 * FIELDS


def default_tick(episodes, base):
    """Time Agent.step over real CartPole-v1 episodes with learning on."""
    agent = Agent(base, seed=0)
    agent.warm_up()
    kernel_times = []
    run = agent._tick

    def timed_tick():
        t = time.perf_counter()
        run()
        kernel_times.append(time.perf_counter() - t)

    agent._tick = timed_tick
    env = gym.make('CartPole-v1')
    step_times = []
    wrote = 0
    for episode in range(episodes):
        obs, _ = env.reset(seed=episode)
        agent.reset()
        while True:
            t = time.perf_counter()
            decision = agent.step(obs)
            step_times.append(time.perf_counter() - t)
            wrote += bool(agent.network.output['wrote'])
            obs, _, terminated, truncated, _ = env.step(decision.action)
            if terminated or truncated:
                agent.end_episode(obs, terminated=terminated, truncated=truncated)
                break
    steps = np.array(step_times) * 1e6
    return {'median_us': float(np.median(steps)), 'p99_us': float(np.percentile(steps, 99)),
            'kernel_median_us': float(np.median(np.array(kernel_times) * 1e6)),
            'ticks': len(steps), 'write_fraction': wrote / len(steps),
            'mean_episode_length': float(np.mean(agent.episode_lengths))}


def dense_config(target_synapses, base):
    """A network with about ``target_synapses`` synapses and every input active each tick."""
    n_post = max(4, round(target_synapses / DENSE_INPUTS))
    actor = max(1, n_post // 10)
    critic = max(1, (n_post - 2 * actor) // 2)
    return base.with_overrides([
        'encoder.segments=[gaussian]', f'encoder.fields={FIELDS}', 'encoder.field_width=3.0',
        f'actor.neurons_per_side={actor}', f'critic.neurons_per_half={critic}',
        'learning.dead_zone=0.0'])


def time_kernel(config, kernel, ticks, seed=0):
    """Median microseconds of ``kernel`` ticks with learning on, on a slowly moving state."""
    net = Network(config, seed)
    run = net.bind(kernel)
    net.command['learn'] = True
    net.command['has_prev'] = True
    net.command['phase'] = S.PHASE_STEP
    times = []
    for k in range(ticks):
        net.obs[:] = 0.05 * np.sin(0.05 * k + np.arange(4))
        net.command['reward'] = -0.5 if k % 2 else 0.5  # a write in every tick
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    synapses = net.n_in * net.n_post
    # The first ticks fill the trace rows; they are not typical.
    return float(np.median(np.array(times[2:]) * 1e6)), synapses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--json', help='write the results to this JSON file')
    parser.add_argument('--episodes', type=int, default=60,
                        help='CartPole-v1 episodes for the default tick (default 60)')
    parser.add_argument('--config', help='an AgentConfig YAML file instead of the defaults')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                        help='override a config field (repeatable)')
    args = parser.parse_args(argv)
    base = AgentConfig.from_yaml(args.config) if args.config else AgentConfig()
    base = base.with_overrides(args.set)

    default = default_tick(args.episodes, base)
    by_synapses = {}
    actual = {}
    for target in (1_000, 10_000, 100_000):
        config = dense_config(target, base)
        time_kernel(config, tick, 5)  # compile outside the timing
        ticks = 2000 if target < 100_000 else 300
        median, synapses = time_kernel(config, tick, ticks)
        by_synapses[f'{target:.0e}'] = median
        actual[f'{target:.0e}'] = synapses
    config = dense_config(10_000, base)
    reference_us, _ = time_kernel(config, tick_reference, 60)
    ratio = reference_us / by_synapses['1e+04']

    results = {
        'default_tick_us': default['median_us'],
        'default_tick_p99_us': default['p99_us'],
        'default_kernel_us': default['kernel_median_us'],
        'default_write_fraction': default['write_fraction'],
        'tick_us_by_synapses': by_synapses,
        'synapses': actual,
        'numpy_over_numba_1e4': ratio,
        'control_period_us': base.control_period * 1e6,
        'config': args.config, 'overrides': args.set,
    }
    print('Control tick of the learning core (learning on)')
    print(f'  default network, Agent.step over {default["ticks"]} CartPole-v1 ticks '
          f'(mean episode {default["mean_episode_length"]:.0f} steps, '
          f'{100 * default["write_fraction"]:.0f} % of ticks write devices):')
    print(f'    median {default["median_us"]:8.1f} us   p99 {default["p99_us"]:8.1f} us   '
          f'kernel median {default["kernel_median_us"]:8.1f} us')
    print('  dense input, a device write every tick:')
    print(f'    {"synapses":>10} {"median us":>10} {"of 20 ms":>9}')
    for key, median in by_synapses.items():
        print(f'    {actual[key]:>10d} {median:10.1f} {100 * median / 20000:8.2f}%')
    print(f'  numpy reference / numba kernel at 1e4 synapses: {ratio:.0f}x '
          f'({reference_us:.0f} us vs {by_synapses["1e+04"]:.1f} us)')
    targets_met = (default['median_us'] <= 100.0 and ratio >= 10.0
                   and by_synapses['1e+05'] < 20000.0)
    print(f'  targets (default <= 100 us, ratio >= 10, 1e5 inside 20 ms): '
          f'{"met" if targets_met else "NOT met"}')
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=2)
    return 0 if all(math.isfinite(v) for v in (default['median_us'], ratio)) else 1


if __name__ == '__main__':
    sys.exit(main())
