"""The public API of the learning core, shared by the ROS controller node and offline training.

    agent = Agent(AgentConfig(), seed=0)
    agent.reset()                              # a new episode
    decision = agent.step(observation)         # learn from the last transition, then act
    ... apply decision.force (N) or decision.action (gymnasium's discrete action) ...
    agent.end_episode(observation, terminated=True)   # or truncated=True at a time limit

An observation is (x, x_dot, theta, theta_dot) in CartPole-v1's units and sign conventions. The
agent computes its configured reward itself from consecutive observations, so the node and
offline training learn from exactly the same signal. ``step`` makes ONE compiled call.
"""

from collections.abc import Callable, Mapping, Sequence
import copy
from dataclasses import dataclass
import math
import os
import time
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from memsnn_controller.snn import state as S
from memsnn_controller.snn.config import AgentConfig
from memsnn_controller.snn.energy import Activity
from memsnn_controller.snn.kernels import tick as compiled_tick
from memsnn_controller.snn.network import Network
from memsnn_controller.snn.reference import tick_reference
from memsnn_controller.snn.rewards import make_reward

if TYPE_CHECKING:
    from memsnn_controller.snn.checkpoint import Snapshot

KernelName = Literal['numba', 'numpy']
KERNELS: dict[str, Callable[..., None]] = {'numba': compiled_tick, 'numpy': tick_reference}
# (x, x_dot, theta, theta_dot): a sequence of 4 numbers or a numpy array of them.
Observation = Sequence[float] | NDArray[np.floating[Any]]


class Decision(NamedTuple):
    """What the agent does in one control tick."""

    force: float       # N, in [-force_limit, force_limit]
    action: int        # gymnasium CartPole action: 1 = push right, 0 = push left
    value: float       # the critic's V(s) (0 without a critic)
    modulator: float   # M applied for the transition that ended here (0 when none)
    writes: int        # device writes made in this tick


@dataclass(frozen=True)
class EpisodeSummary:
    """One finished episode."""

    index: int
    length: int
    total_reward: float
    writes: int
    terminated: bool
    truncated: bool
    activity: Activity = Activity()   # the episode's ticks, spikes, updates, writes, tick time


class Agent:
    """A memristive SNN that learns online; see the module docstring for the call sequence."""

    def __init__(self, config: AgentConfig | None = None, seed: int = 0,
                 kernel: KernelName = 'numba') -> None:
        if kernel not in KERNELS:
            raise ValueError(f'kernel: must be one of {", ".join(KERNELS)}, got {kernel!r}')
        self.config = config if config is not None else AgentConfig()
        if not isinstance(self.config, AgentConfig):
            raise TypeError(f'config: expected an AgentConfig, got {type(self.config).__name__}')
        self.seed = int(seed)
        self.kernel = kernel
        self.network = Network(self.config, self.seed)
        self._tick = self.network.bind(KERNELS[kernel])
        self.reward_fn = make_reward(self.config.reward, self.config.task,
                                     self.config.tick_ratio)
        self.learning = bool(self.config.learning.enabled)
        self.episode_lengths: list[int] = []
        self.total_steps = 0
        self.total_writes = 0
        # Activity counters (energy.py): [ticks, input spikes, neuron updates, tick ns] of the
        # episodes before this one, and of this one (the ticks update only that; reset folds it
        # in); device writes are total_writes and _ep_writes. The measured tick time is not
        # learning state: it is not checkpointed, and restored ticks count as untimed.
        self._activity = [0, 0, 0, 0]
        self._ep_activity = [0, 0, 0, 0]
        self._untimed_ticks = 0
        self.modulator_baseline = 0.0
        self._armed: bool | None = None  # reopening armed (_reopen_armed); None: not yet known
        self.in_episode = False
        self._prev = np.zeros(4)
        self._obs_buffer = np.zeros(4)
        self._has_prev = False
        self._ep_length = 0
        self._ep_reward = 0.0
        self._ep_writes = 0

    # ------------------------------------------------------------------ episodes
    def reset(self) -> None:
        """Start a new episode (annealing, membranes, traces, the reward's episode state)."""
        learning = self.config.learning
        if learning.anneal:
            self._anneal()
        self.network.reset_state(clear_traces=learning.reset_traces_each_episode)
        self.reward_fn.reset()
        self.in_episode = True
        self._has_prev = False
        self._ep_length = 0
        self._ep_reward = 0.0
        self._ep_writes = 0
        self._activity = self._run_activity()
        self._ep_activity = [0, 0, 0, 0]

    def _anneal(self) -> None:
        """Set the rate and noise scales (and, when reopening, the dead zone) from the episode
        lengths so far (docs/science.md section 9):

            p_L = mean of the last anneal_window lengths / anneal_target_length
            eta_scale = max(eta_floor, 1 - p_L),  noise_scale = max(noise_floor, 1 - p_L)

        Reopening (reopen_window > 0), armed once p_L has reached reopen_after, looks at the
        short window's shortfall d = 1 - p_S (p_S: the mean of the last reopen_window lengths /
        anneal_target_length) whenever p_S < p_L:

            eta_scale   >= min(reopen_eta_max, reopen_gain d)
            noise_scale >= min(1, d)                                  (reopen_noise)
            dead zones   = configured x max(0, 1 - reopen_dead_zone_gain d)
                           (learning.dead_zone, actor.dead_zone and critic.dead_zone)

        A plant change shows first in the last few episodes: the long window keeps a solved
        policy's rates at their floor through one bad episode, the short one reopens them within
        reopen_window episodes of a lasting drop. It reads episode lengths only.
        """
        learning = self.config.learning
        target = self._anneal_target()
        perf = self.trailing_mean(learning.anneal_window) / target
        eta_scale = max(learning.eta_floor, 1.0 - perf)
        noise_scale = max(learning.noise_floor, 1.0 - perf)
        if learning.reopen_window:
            dead_zone_scale = 1.0
            if self._reopen_armed():
                short = self.trailing_mean(learning.reopen_window) / target
                if short < perf:
                    d = 1.0 - short
                    eta_scale = max(eta_scale, min(learning.reopen_eta_max,
                                                   learning.reopen_gain * d))
                    if learning.reopen_noise:
                        noise_scale = max(noise_scale, min(1.0, d))
                    dead_zone_scale = max(0.0, 1.0 - learning.reopen_dead_zone_gain * d)
            self.network.set_dead_zone_scale(dead_zone_scale)
        self.network.set_rate_scales(eta_scale, noise_scale)

    def _anneal_target(self) -> float:
        """learning.anneal_target_length in ticks of this control period (it is stated in
        reference ticks: AgentConfig's class doc)."""
        r = self.config.tick_ratio
        target = self.config.learning.anneal_target_length
        return target if r == 1.0 else target / r

    def _reopen_armed(self) -> bool:
        """Whether the trailing anneal_window mean has ever reached reopen_after (a fraction of
        anneal_target_length): the whole history is scanned once, then each new episode."""
        learning = self.config.learning
        window = learning.anneal_window
        level = learning.reopen_after * self._anneal_target() * window
        lengths = self.episode_lengths
        if self._armed is None:  # a new agent or an imported state: scan the history once
            sums = np.convolve(lengths, np.ones(window, dtype=np.int64), mode='valid') \
                if len(lengths) >= window else np.zeros(0)
            self._armed = bool(np.any(sums >= level))
        elif not self._armed and len(lengths) >= window:
            self._armed = sum(lengths[-window:]) >= level
        return self._armed

    def step(self, observation: Observation) -> Decision:
        """Learn from the transition into ``observation``, then choose this tick's action."""
        obs = self._observation(observation, self._obs_buffer)
        if not self.in_episode:
            self.reset()
        reward = 0.0
        if self._has_prev:
            reward = float(self.reward_fn(self._prev, obs, False, False))
            self._ep_reward += reward
        self._run(obs, S.PHASE_STEP, reward)
        self._prev, self._obs_buffer = obs, self._prev
        self._has_prev = True
        self._ep_length += 1
        self.total_steps += 1
        out = self.network.output
        return Decision(float(out['force']), int(out['action']), float(out['value']),
                        float(out['modulator']), int(out['writes']))

    def end_episode(self, observation: Observation | None = None, terminated: bool = False,
                    truncated: bool = False) -> EpisodeSummary:
        """Close the episode: a failure (terminated), a time limit (truncated), or neither (an
        interruption: no learning from the last transition). Returns its summary.

        A failure on the last allowed step reports both (as gymnasium does); it is a failure.
        """
        truncated = bool(truncated) and not terminated
        if not self.in_episode:
            raise RuntimeError('end_episode: no episode is running (call reset or step first)')
        if (terminated or truncated) and self._has_prev:
            obs = self._prev.copy() if observation is None and terminated \
                else self._observation(observation, np.zeros(4))
            reward = float(self.reward_fn(self._prev, obs, bool(terminated), bool(truncated)))
            self._ep_reward += reward
            self._run(obs, S.PHASE_TERMINAL if terminated else S.PHASE_TRUNCATED, reward)
        ticks, spikes, updates, tick_ns = self._ep_activity
        summary = EpisodeSummary(index=len(self.episode_lengths), length=self._ep_length,
                                 total_reward=self._ep_reward, writes=self._ep_writes,
                                 terminated=bool(terminated), truncated=bool(truncated),
                                 activity=Activity(ticks, spikes, updates, self._ep_writes,
                                                   ticks, tick_ns))
        self.episode_lengths.append(self._ep_length)
        self.in_episode = False
        self._has_prev = False
        return summary

    def _run(self, obs: S.F64, phase: int, reward: float) -> None:
        net = self.network
        net.obs[:] = obs
        cmd = net.command
        cmd['phase'] = phase
        cmd['reward'] = reward
        cmd['learn'] = self.learning
        cmd['has_prev'] = self._has_prev
        if self.config.learning.modulator == 'reward':
            # M = r - b: the reward's contrast against its own moving average.
            cmd['external_m'] = reward - self.modulator_baseline
            if self._has_prev:
                self.modulator_baseline += ((reward - self.modulator_baseline)
                                            * self.config.tick_ratio
                                            / self.config.learning.baseline_tau)
        started = time.perf_counter_ns()
        self._tick()
        elapsed = time.perf_counter_ns() - started
        out = net.output
        writes = int(out['writes'])
        self._ep_writes += writes
        self.total_writes += writes
        counters = self._ep_activity
        counters[0] += 1
        counters[1] += int(out['input_spikes'])
        counters[2] += int(out['neuron_updates'])
        counters[3] += elapsed

    @staticmethod
    def _observation(observation: Any, buffer: S.F64) -> S.F64:
        """Copy an observation into ``buffer``, or raise ValueError saying what is wrong."""
        try:
            if len(observation) != 4:
                raise ValueError
            buffer[:] = observation
        except (TypeError, ValueError):
            raise ValueError(f'observation: expected 4 numbers (x, x_dot, theta, theta_dot), '
                             f'got {observation!r}') from None
        if not (math.isfinite(buffer[0]) and math.isfinite(buffer[1])
                and math.isfinite(buffer[2]) and math.isfinite(buffer[3])):
            raise ValueError(f'observation: values must be finite, got {buffer.tolist()}')
        return buffer

    # ------------------------------------------------------------------ control and queries
    def set_learning(self, enabled: bool) -> None:
        """Freeze (False) or resume (True) learning; acting continues either way."""
        self.learning = bool(enabled)

    def trailing_mean(self, window: int = 100) -> float:
        """Mean length of the last ``window`` finished episodes (0 before the first)."""
        if not self.episode_lengths:
            return 0.0
        return float(np.mean(self.episode_lengths[-window:]))

    @property
    def episodes(self) -> int:
        return len(self.episode_lengths)

    @property
    def n_synapses(self) -> int:
        """Synapses of the network (inputs x neurons), each a pair of devices."""
        return self.network.n_in * self.network.n_post

    def writes_per_synapse(self) -> float:
        """Device writes per synapse so far (both devices of a pair counted)."""
        return self.total_writes / self.n_synapses

    def device_writes(self) -> NDArray[np.uint32]:
        """Writes of every device so far (w+ devices, then w- devices), flattened."""
        return S.device_writes(self.network.state_arrays())

    def failed_devices(self) -> int:
        """Devices past their endurance (device.endurance), stuck for good; 0 without a limit."""
        return self.network.failed_devices()

    def idle(self, seconds: float) -> None:
        """Let ``seconds`` pass with the network idle (no ticks): with retention
        (device.retention_tau_s) every device relaxes for that long (Network.idle). Call it
        between episodes."""
        if self.in_episode:
            raise RuntimeError('idle: an episode is running (end it first)')
        self.network.idle(seconds)

    @property
    def activity(self) -> Activity:
        """What the network did so far (energy.Activity: ticks, input spikes, neuron updates,
        device writes, measured tick time), checkpointed with the learning state."""
        ticks, spikes, updates, tick_ns = self._run_activity()
        return Activity(ticks, spikes, updates, self.total_writes, ticks - self._untimed_ticks,
                        tick_ns)

    def _run_activity(self) -> list[int]:
        return [a + b for a, b in zip(self._activity, self._ep_activity)]

    def record_spikes(self, on: bool = True) -> None:
        """Keep every neural step's spikes of each tick in ``network.scratch.raster_pre`` and
        ``raster_post`` (off by default; see Network.record_spikes)."""
        self.network.record_spikes(on)
        self._tick = self.network.bind(KERNELS[self.kernel])

    def warm_up(self) -> None:
        """Run a throwaway copy of the network through every kind of tick, so that the first
        real tick is not the first run of the compiled code (the kernel itself is compiled, or
        loaded from numba's cache, when the agent is built); the agent's own state is untouched."""
        net = copy.deepcopy(self.network)
        run = net.bind(KERNELS[self.kernel])
        net.command['learn'] = True
        for phase, has_prev in ((S.PHASE_STEP, False), (S.PHASE_STEP, True),
                                (S.PHASE_TRUNCATED, True), (S.PHASE_TERMINAL, True)):
            net.command['phase'] = phase
            net.command['has_prev'] = has_prev
            net.command['reward'] = -1.0
            run()

    # ------------------------------------------------------------------ state
    def export_state(self) -> dict[str, NDArray[Any]]:
        """Every array of the learning state, plus the agent's counters, as a dict of arrays."""
        state = self.network.export_arrays()
        state['episode_lengths'] = np.asarray(self.episode_lengths, dtype=np.int64)
        state['counters'] = np.array([self.total_steps, self.total_writes], dtype=np.int64)
        state['activity'] = np.array(self._run_activity()[:3], dtype=np.int64)
        reward_state = self.reward_fn.export_state()
        state['scalars'] = np.array([self.modulator_baseline, float(self.learning),
                                     reward_state.get('baseline', 0.0)])
        return state

    def import_state(self, state: Mapping[str, NDArray[Any]]) -> None:
        """Replace the learning state by ``state`` (as from export_state); the episode in
        progress, if any, is abandoned. Shapes must match this agent's network."""
        # The unscaled rates (network.base_*) come from the config, which the state shares.
        self.network.import_arrays(state)
        self.episode_lengths = [int(v) for v in state['episode_lengths']]
        self.total_steps, self.total_writes = (int(v) for v in state['counters'])
        # Checkpoints from before the activity counters have none: they count from here.
        activity = state.get('activity')
        counts = [int(v) for v in activity] if activity is not None and \
            np.shape(activity) == (3,) else [0, 0, 0]
        self._activity = counts + [0]
        self._untimed_ticks = counts[0]
        self._ep_activity = [0, 0, 0, 0]
        self.modulator_baseline = float(state['scalars'][0])
        self.learning = bool(state['scalars'][1])
        self.reward_fn.import_state({'baseline': float(state['scalars'][2])})
        self._armed = None
        self.in_episode = False
        self._has_prev = False

    def snapshot(self) -> 'Snapshot':
        """A copy of the learning state to write later (``snapshot.save(path)``), e.g. from a
        background thread while this agent keeps running."""
        from memsnn_controller.snn.checkpoint import Snapshot
        return Snapshot(self.config, self.seed, self.export_state())

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write a checkpoint atomically (see checkpoint.py)."""
        from memsnn_controller.snn.checkpoint import save_checkpoint
        save_checkpoint(self, path)

    def restore(self, path: str | os.PathLike[str]) -> None:
        """Load a checkpoint into this agent; on any problem raise CheckpointError and change
        nothing. The checkpoint's configuration must equal this agent's."""
        from memsnn_controller.snn.checkpoint import restore_checkpoint
        restore_checkpoint(self, path)

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike[str],
                        kernel: KernelName = 'numba') -> 'Agent':
        """A new agent with the checkpoint's configuration, seed and learning state."""
        from memsnn_controller.snn.checkpoint import load_checkpoint
        config, seed, state = load_checkpoint(path)
        agent = cls(config, seed, kernel=kernel)
        agent.import_state(state)
        return agent
