"""Per-step cost of the training loop against agent.step and env.step alone.

    python -m memsnn_controller.experiments.overhead --episodes 300 --repeat 3

Four timings of the same episodes (the agent and the environment are deterministic given the
seeds, so every pass does the same work):
1. ``train`` into a temporary folder: its per-step time is the training time of episodes.csv
   (per-episode bookkeeping included: CSV rows, progress bar, checkpoints every 100 episodes, stop
   checks) over the environment steps;
2. the bare loop: train's per-step loop (``run_episode_discrete``) with env.reset, agent.reset
   and agent.end_episode, nothing else;
3. ``agent.step`` alone, fed the recorded observations (and agent.reset/end_episode, separately);
4. ``env.step`` alone, fed the recorded actions (and env.reset, separately).
Plus (5) the per-step loop with trivial stand-ins for the agent and the environment: the loop's
own Python cost, an upper bound (it includes the stand-ins' calls).

Times are CPU times of this process (time.process_time), so experiments running beside the
measurement count less than in wall time; each figure is the minimum over ``--repeat`` passes.
Reported per environment step in microseconds.
"""

import argparse
import os
import sys
import tempfile
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.experiments import training
from memsnn_controller.experiments.training import (
    ActionAdapter,
    episode_seed,
    make_env,
    resolve_config,
    run_episode_discrete,
    train,
)


def _clock():
    # CPU time of this process: other processes on the machine do not count as in wall time.
    return time.process_time()


class _CpuClock:
    perf_counter = staticmethod(_clock)


def _record(config, seed, env_id, episodes):
    """Observations, actions and endings of the episodes ``train`` runs (untimed)."""
    from memsnn_controller.snn.agent import Agent

    agent = Agent(config, seed)
    env = make_env(env_id)
    adapter = ActionAdapter(env.action_space, config.actor.force_limit)
    if not adapter.discrete:
        raise SystemExit('overhead: written for Discrete action spaces')
    record = []
    for k in range(episodes):
        obs, _ = env.reset(seed=episode_seed(seed, k))
        agent.reset()
        observations, actions = [], []
        while True:
            observations.append(np.array(obs, dtype=np.float64))
            action = agent.step(obs).action
            actions.append(action)
            obs, _, term, trunc, _ = env.step(action)
            if term or trunc:
                break
        agent.end_episode(obs, terminated=bool(term), truncated=bool(trunc and not term))
        record.append((observations, actions, np.array(obs, dtype=np.float64), bool(term),
                       bool(trunc and not term)))
    env.close()
    return record, agent.episode_lengths


def _time_train(config, seed, env_id, episodes):
    saved = training.time
    training.time = _CpuClock  # type: ignore[assignment]  # train() stamps episodes.csv with it
    try:
        with tempfile.TemporaryDirectory() as tmp:
            train(config, seed, env_id, episodes, os.path.join(tmp, 'run'), progress=False,
                  handle_signals=False, log=lambda message: None)
            log = rf.read_episodes(os.path.join(tmp, 'run', rf.EPISODES_FILE))
    finally:
        training.time = saved
    return log['elapsed_s'][-1], log['length']


def _time_bare(config, seed, env_id, episodes):
    from memsnn_controller.snn.agent import Agent

    agent = Agent(config, seed)
    agent.warm_up()
    env = make_env(env_id)
    agent_step, env_step, env_reset = agent.step, env.step, env.reset
    t = _clock()
    for k in range(episodes):
        obs, _ = env_reset(seed=episode_seed(seed, k))
        agent.reset()
        obs, _, term, trunc = run_episode_discrete(agent_step, env_step, obs)
        agent.end_episode(obs, terminated=bool(term), truncated=bool(trunc and not term))
    total = _clock() - t
    env.close()
    return total, agent.episode_lengths


def _time_agent(config, seed, record):
    """(seconds in agent.step, seconds in agent.reset + agent.end_episode)."""
    from memsnn_controller.snn.agent import Agent

    agent = Agent(config, seed)
    agent.warm_up()
    step = agent.step
    stepping = bracketing = 0.0
    for observations, _, last, term, trunc in record:
        t0 = _clock()
        agent.reset()
        t1 = _clock()
        for obs in observations:
            step(obs)
        t2 = _clock()
        agent.end_episode(last, terminated=term, truncated=trunc)
        t3 = _clock()
        stepping += t2 - t1
        bracketing += (t1 - t0) + (t3 - t2)
    return stepping, bracketing


def _time_env(env_id, seed, record):
    """(seconds in env.step, seconds in env.reset with the episode's seed)."""
    env = make_env(env_id)
    step = env.step
    stepping = resetting = 0.0
    for k, (_, actions, _, _, _) in enumerate(record):
        t0 = _clock()
        env.reset(seed=episode_seed(seed, k))
        t1 = _clock()
        for a in actions:
            step(a)
        stepping += _clock() - t1
        resetting += t1 - t0
    env.close()
    return stepping, resetting


class _StubEnv:
    """Ends an episode every ``length`` steps; returns preallocated tuples."""

    def __init__(self, length):
        obs = np.zeros(4, dtype=np.float32)
        self.length = length
        self.count = 0
        self.going: tuple[NDArray[np.float32], float, bool, bool, dict[str, Any]] = (
            obs, 1.0, False, False, {})
        self.ending: tuple[NDArray[np.float32], float, bool, bool, dict[str, Any]] = (
            obs, 1.0, True, False, {})

    def step(self, action):
        self.count += 1
        return self.ending if self.count % self.length == 0 else self.going


def _time_stub_loop(steps=200_000, length=100):
    from memsnn_controller.snn.agent import Decision

    decision = Decision(10.0, 1, 0.0, 0.0, 0)

    def agent_step(obs):
        return decision

    env = _StubEnv(length)
    obs = np.zeros(4, dtype=np.float32)
    t = _clock()
    for _ in range(steps // length):
        run_episode_discrete(agent_step, env.step, obs)
    return (_clock() - t) / (steps // length * length)


def measure(config, seed=0, env_id='CartPole-v1', episodes=300, repeat=3):
    record, lengths = _record(config, seed, env_id, episodes)
    steps = int(sum(lengths))
    best: dict[str, float] = {}

    def keep(key, seconds):
        best[key] = min(best.get(key, float('inf')), seconds * 1e6 / steps)

    for _ in range(repeat):
        train_s, train_lengths = _time_train(config, seed, env_id, episodes)
        bare_s, bare_lengths = _time_bare(config, seed, env_id, episodes)
        if train_lengths != lengths or bare_lengths != lengths:
            raise RuntimeError('the passes did not reproduce the same episodes; cannot compare')
        agent_step_s, agent_episode_s = _time_agent(config, seed, record)
        env_step_s, env_reset_s = _time_env(env_id, seed, record)
        keep('train_us_per_step', train_s)
        keep('bare_loop_us_per_step', bare_s)
        keep('agent_step_us', agent_step_s)
        keep('agent_reset_end_us_per_step', agent_episode_s)
        keep('env_step_us', env_step_s)
        keep('env_reset_us_per_step', env_reset_s)
    best['stub_loop_us_per_step'] = min(_time_stub_loop() for _ in range(repeat)) * 1e6
    best['loop_minus_parts_us_per_step'] = best['bare_loop_us_per_step'] - sum(
        best[k] for k in ('agent_step_us', 'agent_reset_end_us_per_step', 'env_step_us',
                          'env_reset_us_per_step'))
    best['bookkeeping_us_per_step'] = best['train_us_per_step'] - best['bare_loop_us_per_step']
    return {'env': env_id, 'episodes': episodes, 'steps': steps, 'repeat': repeat, **best}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--episodes', type=int, default=300)
    p.add_argument('--repeat', type=int, default=3)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--env', default='CartPole-v1')
    p.add_argument('--set', dest='overrides', action='append', default=[])
    p.add_argument('--json', metavar='PATH')
    args = p.parse_args(argv)
    result = measure(resolve_config(overrides=args.overrides), args.seed, args.env,
                     args.episodes, args.repeat)
    print(f'{result["env"]}: {result["episodes"]} episodes, {result["steps"]} steps, min of '
          f'{result["repeat"]} passes, CPU us per step')
    for key, value in result.items():
        if key.endswith('_us_per_step') or key.endswith('_us'):
            print(f'  {key:30s} {value:8.2f}')
    if args.json:
        rf.write_json(args.json, result)
    return 0


if __name__ == '__main__':
    sys.exit(main())
