"""Online training of one agent on one gymnasium environment, into a run folder.

    summary = train(config, seed=0, env_id='CartPole-v1', episodes=1000, out_dir='runs/a')

Every episode k starts from ``env.reset(seed=episode_seed(seed, k))``, and the agent's whole
learning state, random stream included, is checkpointed; so a run resumed from a checkpoint
(``resume=True``) continues exactly as the uninterrupted run would have, episode for episode.
Checkpoints are written atomically every ``checkpoint_every`` episodes and at the end.

Plant changes (``plant_changes``: texts ``EPISODE:FIELD=VALUE[,...]``, envs/plant.py): the
environment is wrapped in envs.plant_env.PlantWrapper and, before episode k resets, gets the plant
of the schedule at k (so a resumed run starts on the plant its episode had); run.json records
the schedule, and a resume must give the same one (or none: the recorded one is used).

A plant file (``plant``: a preset such as 'rig' or a path; envs/plant_file.py) sets the plant
and the task: the environment is made with the task's control period and episode limit,
wrapped in PlantWrapper with the file's plant (the original a schedule's factors refer to) and
task (failure thresholds, restart), and run.json records the file's values, which a resume
reuses. Where the plant needs the controller's side of a rig (position-only sensing, encoders,
sensor signs or offsets, a delay the configuration compensates: ``control_pipeline``), each
step goes through control/pipeline.py (the sensor front end, then the predictor) between the
environment and the agent, as in the controller node. A rig's in-place restart makes the next
episode's start depend on the last; env_state.json, written with every checkpoint, hands it to
a resumed run.

Stopping: the first SIGINT (Ctrl-C) or SIGTERM, or ``should_stop()`` returning true, lets the
running episode finish (at most 500 steps, a fraction of a second), saves a checkpoint and
raises TrainingInterrupted; a second signal aborts at once (KeyboardInterrupt inside the
episode, reported as TrainingInterrupted with ``checkpointed=False``: the last periodic
checkpoint stands and a resume drops the episodes.csv rows written after it). Signal handlers
are installed only in the main thread.

Actions: for a Discrete(2) action space the agent's ``Decision.action`` is passed (1 = push
right). For a Box action space of shape (1,), the force in newtons is passed as a float32
array: divided by ``config.actor.force_limit`` when the space is [-1, 1] (a fraction of the
force limit, as memsnn/BulletCartPoleContinuous-v0), otherwise as newtons, clipped to the
space's bounds (e.g. a Box in newtons such as [-10, 10]).

The per-step loop does nothing but ``agent.step``, ``env.step`` and a float addition (plus, for a
Box space, writing one float into a preallocated array): no allocation of its own, no logging,
no dicts. Bookkeeping (CSV row, progress bar, checkpoints, stop checks) runs once per episode.
"""

from collections.abc import Callable, Iterable, Sequence
import math
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from memsnn_controller import __version__
from memsnn_controller.common.stop import StopSignals
from memsnn_controller.experiments import metrics
from memsnn_controller.experiments import runfolder as rf

if TYPE_CHECKING:
    import gymnasium

    from memsnn_controller.control.pipeline import Pipeline
    from memsnn_controller.envs.cartpole_spec import CartPoleSpec
    from memsnn_controller.envs.plant_env import PlantWrapper
    from memsnn_controller.envs.plant_file import PlantFile
    from memsnn_controller.snn.agent import Agent, Decision
    from memsnn_controller.snn.config import AgentConfig

# The agent's step, and the environment's (gymnasium's Env.step, whose reward is SupportsFloat:
# Any here, as the loops add it to a float and so need a number, which gymnasium does not say).
AgentStep = Callable[[Any], 'Decision']
EnvStep = Callable[[Any], tuple[Any, Any, bool, bool, dict[str, Any]]]
# What a loop returns: the last observation, the summed reward, terminated, truncated.
EpisodeEnd = tuple[Any, float, bool, bool]

DEFAULT_ENV = 'CartPole-v1'
DEFAULT_CHECKPOINT_EVERY = 100  # a save (~3.6 MB, fsynced) costs ~40 ms
# Separates the environment's seed stream from anything else derived from a run's seed.
_ENV_SEED_TAG = 0xE5


class TrainingError(RuntimeError):
    """Training cannot start as asked (environment, resume, run folder); says why."""


class TrainingInterrupted(Exception):
    """Training stopped before its last episode (a signal or ``should_stop``).

    ``episodes``: episodes finished and recorded; ``checkpointed``: whether the checkpoint holds
    exactly those episodes (False after an abort inside an episode: the last periodic checkpoint
    stands).
    """

    def __init__(self, message: str, episodes: int, checkpointed: bool) -> None:
        super().__init__(message)
        self.episodes = episodes
        self.checkpointed = checkpointed


def episode_seed(seed: int, episode: int) -> int:
    """The environment's reset seed for episode ``episode`` of a run with seed ``seed``."""
    return int(np.random.SeedSequence([_ENV_SEED_TAG, int(seed), int(episode)])
               .generate_state(1, dtype=np.uint32)[0])


def make_env(env_id: str, task: 'CartPoleSpec | None' = None) -> 'gymnasium.Env[Any, Any]':
    """``gymnasium.make(env_id)``; ids starting with 'memsnn/' import memsnn_controller.envs
    first (which registers them). With a ``task`` other than CartPole-v1's, the environment
    gets its control period, episode limit, force limit and start range (gymnasium's
    CartPoleEnv: ``tau``, the TimeLimit, ``force_mag``/``force_limit``; the PyBullet ones: their
    config fields). Raises TrainingError with a readable message."""
    import gymnasium

    from memsnn_controller.envs import cartpole_spec

    if env_id.startswith('memsnn/'):
        try:
            import memsnn_controller.envs  # noqa: F401  (registers the memsnn/ ids)
        except ImportError as exc:
            raise TrainingError(f'env {env_id!r}: the memsnn environments cannot be imported '
                                f'(memsnn_controller.envs: {exc})') from None
    kwargs: dict[str, Any] = {}
    if task is not None and task != cartpole_spec.CARTPOLE_V1:
        kwargs['max_episode_steps'] = task.max_episode_steps or None
        if env_id.startswith('memsnn/Bullet'):
            kwargs.update(control_period=task.tau, force_limit=task.force_mag,
                          start_range=task.start_high)
    try:
        env = gymnasium.make(env_id, **kwargs)
    except (gymnasium.error.Error, ImportError, TypeError, ValueError) as exc:
        raise TrainingError(f'env {env_id!r}: {exc}') from None
    if kwargs and not env_id.startswith('memsnn/Bullet'):
        from gymnasium.envs.classic_control.cartpole import CartPoleEnv

        from memsnn_controller.envs.classic_continuous import ContinuousCartPoleEnv

        inner = env.unwrapped
        if not isinstance(inner, CartPoleEnv):
            raise TrainingError(f'env {env_id!r}: a plant file needs a cart-pole environment '
                                f'(CartPole-v1, memsnn/...)')
        inner.tau = task.tau  # type: ignore[union-attr]  # task is set with kwargs
        if isinstance(inner, ContinuousCartPoleEnv):
            inner.force_limit = task.force_mag  # type: ignore[union-attr]
        else:
            inner.force_mag = task.force_mag  # type: ignore[union-attr]
    return env


class ActionAdapter:
    """How a Decision becomes an action for ``action_space`` (see the module docstring)."""

    def __init__(self, action_space: 'gymnasium.Space[Any]', force_limit: float) -> None:
        from gymnasium import spaces

        self.discrete = isinstance(action_space, spaces.Discrete)
        if isinstance(action_space, spaces.Discrete):
            if action_space.n != 2 or int(action_space.start) != 0:
                raise TrainingError(f'action space {action_space}: a Discrete space must be '
                                    f'Discrete(2) (0 = push left, 1 = push right)')
            return
        if not (isinstance(action_space, spaces.Box) and action_space.shape == (1,)):
            raise TrainingError(f'action space {action_space}: expected Discrete(2) or a Box of '
                                f'shape (1,) (the cart force)')
        self.low = float(action_space.low[0])
        self.high = float(action_space.high[0])
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise TrainingError(f'action space {action_space}: the force bounds must be finite')
        normalized = math.isclose(self.high, 1.0) and math.isclose(self.low, -1.0)
        self.scale = 1.0 / force_limit if normalized else 1.0
        self.buffer = np.zeros(1, dtype=action_space.dtype)

    def __call__(self, decision: 'Decision') -> int | NDArray[Any]:
        """The action for one decision (not used by the training loop, which inlines it)."""
        if self.discrete:
            return decision.action
        f = decision.force * self.scale
        self.buffer[0] = self.low if f < self.low else (self.high if f > self.high else f)
        return self.buffer


def _check_observation_space(env: 'gymnasium.Env[Any, Any]', env_id: str) -> None:
    shape = getattr(env.observation_space, 'shape', None)
    if shape != (4,):
        raise TrainingError(f'env {env_id!r}: observations must be (x, x_dot, theta, '
                            f'theta_dot), got the space {env.observation_space}')


def config_differences(a: dict[str, Any], b: dict[str, Any], prefix: str = '') -> list[str]:
    """Dotted names of the fields in which two config dicts differ (sorted)."""
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            out.extend(config_differences(va, vb, f'{prefix}{key}.'))
        elif va != vb:
            out.append(f'{prefix}{key}')
    return out


def _stderr_log(message: str) -> None:
    from tqdm import tqdm

    tqdm.write(message, file=sys.stderr)


def run_episode_discrete(agent_step: AgentStep, env_step: EnvStep, obs: Any) -> EpisodeEnd:
    """The per-step loop for a Discrete(2) space, from the first observation to the episode's
    end; returns (last observation, summed env reward, terminated, truncated)."""
    ret = 0.0
    while True:
        obs, r, term, trunc, _ = env_step(agent_step(obs).action)
        ret += r
        if term or trunc:
            return obs, ret, term, trunc


def run_episode_box(agent_step: AgentStep, env_step: EnvStep, obs: Any, act: NDArray[Any],
                    scale: float, lo: float, hi: float) -> EpisodeEnd:
    """The per-step loop for a Box force space: ``act`` is the preallocated action array, the
    force is multiplied by ``scale`` and clipped to [lo, hi]; returns as run_episode_discrete."""
    ret = 0.0
    while True:
        f = agent_step(obs).force * scale
        act[0] = lo if f < lo else (hi if f > hi else f)
        obs, r, term, trunc, _ = env_step(act)
        ret += r
        if term or trunc:
            return obs, ret, term, trunc


def run_episode_pipeline(agent: 'Agent', env_step: EnvStep, obs: Any, pipeline: 'Pipeline',
                         wrapper: 'PlantWrapper', adapter: ActionAdapter) -> EpisodeEnd:
    """The per-step loop through the controller's side of a rig (control/pipeline.py), as the
    controller node runs it: the reading is measured (velocities estimated where the plant does
    not measure them), the agent acts on the prediction, its force goes through the safety layer
    to the plant (the wrapper's command; the action carries its sign), and a transition whose
    action the safety layer changed is not learned from. Returns as run_episode_discrete."""
    ret = 0.0
    pipeline.reset()
    learning = agent.learning
    changed = False
    force_limit = agent.config.actor.force_limit
    try:
        while True:
            state = pipeline.measure(np.asarray(obs, dtype=np.float64), wrapper.time)
            if changed:
                agent.set_learning(False)
            decision = agent.step(pipeline.predict(state))
            if changed:
                agent.set_learning(learning)
            command, changed = pipeline.command(decision.force, state)
            pipeline.commanded(command)
            if adapter.discrete:
                action: Any = 1 if command > 0.0 else 0
            else:
                adapter.buffer[0] = min(max(decision.force / force_limit, -1.0), 1.0)
                action = adapter.buffer
            if pipeline.safety is not None:
                wrapper.set_command(command)
            obs, r, term, trunc, _ = env_step(action)
            ret += r
            if term or trunc:
                # The last state as measured: by the supervisor between episodes, if it ran.
                last = pipeline.last_state
                if last is None:
                    last = pipeline.measure(np.asarray(obs, dtype=np.float64), wrapper.time)
                return last.copy(), ret, term, trunc
    finally:
        agent.set_learning(learning)


def _open_agent(config: 'AgentConfig', seed: int, env_id: str, out_dir: str,
                resume: bool) -> 'Agent':
    """A new agent, or the checkpointed one after checking it belongs to this run."""
    from memsnn_controller.snn.agent import Agent
    from memsnn_controller.snn.checkpoint import CheckpointError

    checkpoint = os.path.join(out_dir, rf.CHECKPOINT_FILE)
    rf.check_start(out_dir, resume)
    if not resume:
        return Agent(config, seed)
    try:
        agent = Agent.from_checkpoint(checkpoint)
    except CheckpointError as exc:
        raise TrainingError(str(exc)) from None
    if agent.config != config:
        diff = config_differences(agent.config.to_dict(), config.to_dict())
        raise TrainingError(f'{checkpoint}: made with a different configuration (differs in: '
                            f'{", ".join(diff)}); resume with the run\'s own configuration '
                            f'({rf.CONFIG_FILE})')
    if agent.seed != int(seed):
        raise TrainingError(f'{checkpoint}: made with seed {agent.seed}, not {seed}')
    run_file = os.path.join(out_dir, rf.RUN_FILE)
    if os.path.exists(run_file):
        previous = rf.read_json(run_file).get('env')
        if previous is not None and previous != env_id:
            raise TrainingError(f'{out_dir}: trained on {previous!r}, not {env_id!r}')
    return agent


def train(config: 'AgentConfig', seed: int = 0, env_id: str = DEFAULT_ENV, episodes: int = 1000,
          out_dir: rf.PathLike = 'runs/train', resume: bool = False, progress: bool = True,
          checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
          should_stop: Callable[[], bool] | None = None, handle_signals: bool | None = None,
          log: Callable[[str], object] | None = None,
          figures: bool = False, plant_changes: Sequence[str] | None = None,
          plant: str | None = None) -> metrics.Summary:
    """Train one agent online for ``episodes`` episodes (in total, counting a resumed run's
    earlier ones) and return the summary dict (metrics.SUMMARY_KEYS), also written to
    ``out_dir``/summary.json. See the module docstring and runfolder.py for the files.

    resume: continue from ``out_dir``/checkpoint.npz (its configuration, seed and env must be
    these); without it, a folder that already holds a run is refused (RunFolderError, as for a
    folder locked by another process).
    should_stop: called after every episode; true stops as a signal would.
    handle_signals: install the SIGINT/SIGTERM handlers (default: when in the main thread).
    log: a callable taking one message line (default: stderr, above the progress bar).
    figures: at the end, also write the look inside the network (inside.py: tick_raster.png,
    policy.png, value.png, wear.png; a few seconds).
    plant_changes: the schedule of plant changes (see the module docstring); None with resume
    takes the run's own.
    plant: a plant file, preset name or path (see the module docstring); None with resume takes
    the run's own, else CartPole-v1's plant and task.
    """
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 0:
        raise ValueError(f'episodes must be an integer >= 0, got {episodes!r}')
    if (isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int)
            or checkpoint_every < 1):
        raise ValueError(f'checkpoint_every must be an integer >= 1, got {checkpoint_every!r}')
    log = log or _stderr_log
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    if handle_signals is None:
        handle_signals = threading.current_thread() is threading.main_thread()
    with rf.RunLock(out_dir):
        from memsnn_controller.envs.plant_file import PlantFileError

        changes = rf.run_plant_changes(out_dir, resume, plant_changes)
        try:
            plant_file = rf.run_plant_file(out_dir, resume, plant)
        except PlantFileError as exc:
            raise TrainingError(str(exc)) from None
        env = make_env(env_id, plant_file.task if plant_file is not None else None)
        try:
            plants = PlantSchedulePlayer(env, env_id, changes, plant_file) \
                if changes or plant_file is not None else None
            summary = _train(config, int(seed), env_id, plants.env if plants else env, episodes,
                             out_dir, resume, progress, checkpoint_every, should_stop,
                             handle_signals, log, plants)
        finally:
            env.close()
        if figures:
            from memsnn_controller.experiments.inside import write_network_figures
            from memsnn_controller.snn.agent import Agent

            agent = Agent.from_checkpoint(os.path.join(out_dir, rf.CHECKPOINT_FILE))
            write_network_figures(agent, out_dir, title=f'{env_id}, seed {seed}')
        return summary


class PlantSchedulePlayer:
    """Wraps ``env`` in a PlantWrapper with a plant file's plant and task (if any) and sets the
    schedule's plant of each episode."""

    def __init__(self, env: 'gymnasium.Env[Any, Any]', env_id: str, texts: Sequence[str],
                 plant_file: 'PlantFile | None' = None) -> None:
        from memsnn_controller.envs.plant import PlantChangeError, parse_plant_schedule
        from memsnn_controller.envs.plant_env import PlantWrapper

        self.plant_file = plant_file
        try:
            self.schedule = parse_plant_schedule(texts)
            self.env: PlantWrapper = PlantWrapper(env)
            if plant_file is not None:
                self.env.use_plant_file(plant_file)
            self.schedule.check(self.env.original)
        except PlantChangeError as exc:
            raise TrainingError(str(exc)) from None
        except ValueError as exc:
            raise TrainingError(f'env {env_id!r}: --plant-change: {exc}') from None
        self._at = set(self.schedule.episodes())
        self._started = False

    def start(self, episode: int) -> str | None:
        """Set the plant of ``episode`` (the first of a session, or one a change starts);
        returns a line saying what changed, or None."""
        if episode in self._at or not self._started:
            self._started = True
            plant = self.schedule.plant_at(episode, self.env.original)
            changed = plant.differences(self.env.plant)
            self.env.set_plant(plant)
            if changed:
                values = plant.values()
                return f'episode {episode}: plant ' + ', '.join(
                    f'{name}={values[name]}' for name in changed)
        return None


def _train(config: 'AgentConfig', seed: int, env_id: str, env: 'gymnasium.Env[Any, Any]',
           episodes: int, out_dir: str, resume: bool, progress: bool, checkpoint_every: int,
           should_stop: Callable[[], bool] | None, handle_signals: bool,
           log: Callable[[str], object],
           plants: PlantSchedulePlayer | None = None) -> metrics.Summary:
    _check_observation_space(env, env_id)
    adapter = ActionAdapter(env.action_space, config.actor.force_limit)
    agent = _open_agent(config, seed, env_id, out_dir, resume)
    agent.warm_up()
    start = agent.episodes
    checkpoint = os.path.join(out_dir, rf.CHECKPOINT_FILE)
    summary_path = os.path.join(out_dir, rf.SUMMARY_FILE)
    rf.write_config(os.path.join(out_dir, rf.CONFIG_FILE), config)
    run_info: dict[str, Any] = {
        'env': env_id, 'seed': seed, 'episodes': episodes, 'checkpoint_every': checkpoint_every,
        'package_version': __version__}
    if plants is not None:
        run_info['plant_changes'] = plants.schedule.texts()
        if plants.plant_file is not None:
            run_info['plant'] = plants.plant_file.name
            run_info['plant_file'] = plants.plant_file.values()
    rf.write_json(os.path.join(out_dir, rf.RUN_FILE), run_info)
    wrapper = plants.env if plants is not None else None
    env_state = os.path.join(out_dir, rf.ENV_STATE_FILE)
    if resume and wrapper is not None and os.path.exists(env_state):
        wrapper.set_carry(rf.read_json(env_state))
    pipeline = control_pipeline(config, plants.plant_file if plants is not None else None)
    if resume:
        log(f'{out_dir}: resuming after episode {start - 1} ({start} done, {episodes} asked)')
    if start < episodes and os.path.exists(summary_path):
        os.unlink(summary_path)  # the run is being extended: no longer finished
    n_synapses = agent.n_synapses
    episode_log = rf.EpisodeLog(os.path.join(out_dir, rf.EPISODES_FILE),
                                keep=start if resume else None)
    stop = StopSignals(escalate=True, on_request=lambda name: log(
        f'{name}: finishing this episode, then saving a checkpoint (signal again to abort at '
        f'once)'))
    if handle_signals:
        stop.install()
    from tqdm import tqdm

    bar = tqdm(total=episodes, initial=min(start, episodes), disable=not progress, unit='ep',
               desc=f'seed {seed}', dynamic_ncols=True, file=sys.stderr)
    elapsed0 = episode_log.last_elapsed
    saved_at = start if resume else -1
    k = start
    try:
        agent_step = agent.step
        env_reset = env.reset
        env_step = env.step
        discrete = adapter.discrete
        if not discrete:
            act, scale, lo, hi = adapter.buffer, adapter.scale, adapter.low, adapter.high
        if pipeline is not None:
            assert wrapper is not None  # a pipeline comes with a plant file
            if pipeline.supervisor is not None:
                wrapper.set_between(pipeline.between)
        t0 = t_prev = time.perf_counter()
        while k < episodes:
            if plants is not None:
                change = plants.start(k)
                if change:
                    log(change)
            obs, _ = env_reset(seed=episode_seed(seed, k))
            agent.reset()
            if pipeline is not None:
                assert wrapper is not None  # a pipeline comes with a plant file
                obs, ret, term, trunc = run_episode_pipeline(agent, env_step, obs, pipeline,
                                                             wrapper, adapter)
            elif discrete:
                obs, ret, term, trunc = run_episode_discrete(agent_step, env_step, obs)
            else:
                obs, ret, term, trunc = run_episode_box(agent_step, env_step, obs, act, scale,
                                                        lo, hi)
            # A failure on the time limit's last step is a failure (the agent learns from it).
            s = agent.end_episode(obs, terminated=bool(term), truncated=bool(trunc and not term))
            now = time.perf_counter()
            hits = wrapper.episode_end_stop_hits if wrapper is not None else 0
            episode_log.append(k, s.length, ret, s.total_reward, s.writes,
                               s.writes / n_synapses, s.terminated, s.truncated, now - t_prev,
                               elapsed0 + now - t0, hits)
            t_prev = now
            k += 1
            bar.set_postfix_str(f'len {s.length} mean100 {agent.trailing_mean(100):.1f}',
                                refresh=False)
            bar.update()
            if k % checkpoint_every == 0 or k == episodes:
                _save(agent, checkpoint, episode_log, wrapper, env_state)
                saved_at = k
            if k < episodes and (stop() or (should_stop is not None and should_stop())):
                if saved_at != k:
                    _save(agent, checkpoint, episode_log, wrapper, env_state)
                    saved_at = k
                _plot(agent, env_id, seed, config, out_dir, plants)
                raise TrainingInterrupted(
                    f'{out_dir}: stopped after episode {k - 1}; checkpoint saved, resume to '
                    f'continue', episodes=k, checkpointed=True)
    except KeyboardInterrupt:
        raise TrainingInterrupted(
            f'{out_dir}: aborted in episode {k}; the checkpoint after episode {saved_at - 1} '
            f'stands (later episodes will be redone on resume)'
            if saved_at > 0 else f'{out_dir}: aborted in episode {k} before any checkpoint',
            episodes=k, checkpointed=False) from None
    finally:
        bar.close()
        episode_log.close()
        stop.uninstall()
    if saved_at != agent.episodes:  # nothing trained in this session (asked <= done)
        _save(agent, checkpoint, episode_log, wrapper, env_state)
    from memsnn_controller.snn import energy

    recorded = rf.read_episodes(os.path.join(out_dir, rf.EPISODES_FILE))
    summary = metrics.summarize(agent.episode_lengths, agent.total_writes, n_synapses,
                                wall_s=episode_log.last_elapsed,
                                end_stop_hits=int(sum(recorded['end_stop_hits'])),
                                device_writes=agent.device_writes(),
                                failed_devices=agent.failed_devices(),
                                energy=energy.summary(agent.activity, agent.episodes,
                                                      agent.network.n_post, config))
    _plot(agent, env_id, seed, config, out_dir, plants)
    rf.write_json(summary_path, summary)
    return summary


def _save(agent: 'Agent', checkpoint: str, episode_log: rf.EpisodeLog,
          wrapper: 'PlantWrapper | None', env_state: str) -> None:
    """A checkpoint, with the episodes it covers and the environment's carry on disk first."""
    episode_log.sync()
    if wrapper is not None:
        rf.write_json(env_state, wrapper.carry)
    agent.save(checkpoint)


def control_pipeline(config: 'AgentConfig',
                     plant_file: 'PlantFile | None') -> 'Pipeline | None':
    """The controller's side for an offline run on ``plant_file`` (None where the agent can take
    the environment's observations and give its actions as they are): a sensor front end where
    the plant does not observe the state directly (position-only sensing, encoders, signs,
    offsets: SensingConfig.for_plant, a calibrated rig), a predictor where the configuration
    compensates a delay (task.delay) or velocities are estimated (their lag is corrected), with
    the plant as its model, and for a rig's in-place
    restart the safety layer and the episode supervisor with the controller node's defaults
    (control_config: the force limit, the motor's unit and constants, the failure bounds)."""
    if plant_file is None:
        return None
    from memsnn_controller.control.config import offline_safety, offline_supervisor
    from memsnn_controller.control.pipeline import Pipeline
    from memsnn_controller.control.prediction import DelayCompensator
    from memsnn_controller.control.sensing import SensingConfig, SensorFrontEnd
    from memsnn_controller.envs.cartpole_spec import RESTART_IN_PLACE

    plant, task = plant_file.plant, plant_file.task
    front_end = None
    if plant.observation_effects or any(plant.offset):
        front_end = SensorFrontEnd(SensingConfig.for_plant(plant))
    predictor = None
    # With estimated velocities the model also corrects their lag (control/prediction.py),
    # with or without a delay to compensate.
    lag = front_end.lag if front_end is not None and plant.velocity_sensing == 'none' else 0.0
    if config.task.delay > 0.0 or lag > 0.0:
        predictor = DelayCompensator(plant, config.task.delay, plant_file.control_period,
                                     task.force_mag, max_lag=lag)
    safety = supervisor = None
    if task.restart == RESTART_IN_PLACE:
        safety = offline_safety(plant_file)
        supervisor = offline_supervisor(plant_file, safety)
    pipeline = Pipeline(front_end, predictor, safety, supervisor)
    return pipeline if pipeline.active else None


def _plot(agent: 'Agent', env_id: str, seed: int, config: 'AgentConfig', out_dir: str,
          plants: PlantSchedulePlayer | None = None) -> None:
    from memsnn_controller.experiments.plots import plot_learning_curve

    plot_learning_curve(agent.episode_lengths, os.path.join(out_dir, rf.CURVE_FILE),
                        title=f'{env_id}, seed {seed}, reward {config.reward.name}, '
                              f'device {config.device.model}',
                        marks=plants.schedule.marks() if plants is not None else None)


def resolve_config(config_path: rf.PathLike | None = None, reward: str | None = None,
                   device: str | None = None, overrides: Iterable[str] | None = (),
                   plant: 'PlantFile | None' = None) -> 'AgentConfig':
    """The AgentConfig of the defaults (or a YAML file), for ``plant`` (its learner section, then
    sized for its task's failure bounds and control period, its delay and a DC motor's top
    speed: control/config.py's learner_for; a file already sized for it is unchanged), then
    reward.name, device.model and the 'section.field=value' overrides in that order (later
    wins). Raises ConfigError naming the field, or TrainingError for an unreadable
    file."""
    import yaml

    from memsnn_controller.snn.config import AgentConfig

    if config_path is not None:
        try:
            config = AgentConfig.from_yaml(config_path)
        except OSError as exc:
            raise TrainingError(f'--config {config_path}: {exc.strerror or exc}') from None
        except yaml.YAMLError as exc:
            text = ' '.join(str(exc).split())
            raise TrainingError(f'--config {config_path}: not valid YAML: {text}') from None
    else:
        config = AgentConfig()
    if plant is not None:
        from memsnn_controller.control.config import learner_for

        config = learner_for(config, plant)
    assignments: list[str] = []
    if reward is not None:
        assignments.append(f'reward.name={reward}')
    if device is not None:
        assignments.append(f'device.model={device}')
    assignments.extend(overrides or ())
    return config.with_overrides(assignments) if assignments else config
