"""The network: inputs onto an actor (left, right) and a critic (V+, V-), as preallocated arrays.

Neurons are laid out as columns [left (A) | right (A) | V+ (C) | V- (C)]; every input-to-neuron
synapse is a differential pair of devices. ``Network`` builds the named state (state.py) from an
AgentConfig and a seed, and runs one control tick per call of the compiled kernel (or of its
numpy reference).
"""

from collections.abc import Callable, Mapping
import functools
import math
from typing import TYPE_CHECKING, Any

import numba
import numpy as np
from numpy.typing import NDArray

from memsnn_controller.snn import state as S
from memsnn_controller.snn.encoding import EncoderTables
from memsnn_controller.snn.kernels import tick as compiled_tick
from memsnn_controller.snn.neurons import spontaneous_counts
from memsnn_controller.snn.params import build_params
from memsnn_controller.snn.plasticity import in_tick_weights, pairing_tables, trace_decay
from memsnn_controller.snn.rng import new_state
from memsnn_controller.snn.write_law import write_law

if TYPE_CHECKING:
    from memsnn_controller.snn.config import AgentConfig

# The tick's arguments, in order (Network.kernel_args).
KernelArgs = tuple[S.F64, S.Record, S.Record, S.Record, S.Record, NDArray[np.uint64], S.Tables,
                   S.Inputs, S.Neurons, S.SynapseStore, S.Scratch]
# Per-population neuron constants copied from config.actor / config.critic.
POPULATION_FIELDS = ('noise', 'gain', 'eta', 'reset_each_tick')


class Network:
    """All arrays of one network and the tick that advances them."""

    def __init__(self, config: 'AgentConfig', seed: int = 0,
                 record_spikes: bool = False) -> None:
        self.config = config
        self.seed = int(seed)
        self.encoder = EncoderTables(config.encoder)
        self.n_in: int = self.encoder.n_inputs
        self.n_actor: int = config.actor.neurons_per_side
        self.n_critic: int = config.critic.neurons_per_half if config.critic.enabled else 0
        self.n_post: int = 2 * self.n_actor + 2 * self.n_critic
        # The build draws (critic biases, then devices) come from their own stream.
        build_rng = np.random.default_rng([self.seed, 0x5EED])
        history = (config.learning.history if config.learning.eligibility in ('window', 'local')
                   else 1)
        self.neurons = self._neurons(build_rng, history)
        self.params = build_params(config, self)
        self.synapse_store = self._synapses(build_rng)
        self.inputs = S.Inputs(
            phase=np.zeros(self.n_in), pre_trace=np.zeros(self.n_in),
            last_spike=np.full(self.n_in, S.NOT_YET),
            bound=np.zeros((2, self.n_in)), is_live=np.zeros(self.n_in, dtype=bool),
            live=np.zeros(self.n_in, dtype=np.int64), ring=_ring(self.n_in, history),
            relaxed_at=np.zeros(self.n_in))
        kplus, kminus = pairing_tables(config)
        tau_e_ms = np.where(self.neurons.group <= S.GROUP_RIGHT, config.actor.tau_e,
                            config.critic.tau_e) * 1000.0
        self.tables = S.Tables(
            encoder_ints=self.encoder.ints, encoder_floats=self.encoder.floats,
            law=write_law(config.device.model), kplus=kplus, kminus=kminus,
            in_tick_weight=np.ascontiguousarray(
                in_tick_weights(config.substeps, config.neuron.dt_ms * config.tick_ratio,
                                tau_e_ms)))
        raster_pre, raster_post = S.spike_raster(config.substeps, self.n_in, self.n_post,
                                                 record_spikes)
        self.scratch = S.Scratch(
            active=np.zeros(self.n_in, dtype=np.int64), activation=np.zeros(self.n_in),
            active_spikes=np.zeros(self.n_in), current=np.zeros(self.n_post),
            spiked=np.zeros(self.n_post), pre_spikes=np.zeros(self.n_in, dtype=np.int64),
            post_spikes=np.zeros(self.n_post, dtype=np.int64), inhibition=np.zeros(2),
            raster_pre=raster_pre, raster_post=raster_post)
        self.carry = S.record(S.CARRY)
        self.rng = new_state(self.seed)
        self.obs = np.zeros(4)
        self.command = S.record(S.COMMAND)
        self.output = S.record(S.OUTPUT)
        # The unannealed rates (set_rate_scales scales them).
        self.base_eta = self.neurons.eta.copy()
        self.base_noise = self.neurons.noise.copy()
        self.reset_state()

    # ------------------------------------------------------------------ construction
    def _neurons(self, rng: np.random.Generator, history: int) -> S.Neurons:
        cfg = self.config
        A, C = self.n_actor, self.n_critic
        n = self.n_post
        actor = slice(0, 2 * A)
        critic = slice(2 * A, n)
        group = np.empty(n, dtype=np.int64)
        group[:A] = S.GROUP_LEFT
        group[A:2 * A] = S.GROUP_RIGHT
        group[2 * A:2 * A + C] = S.GROUP_V_POS
        group[2 * A + C:] = S.GROUP_V_NEG
        constants: dict[str, NDArray[Any]]
        constants = {name: np.zeros(n) for name in POPULATION_FIELDS + ('bias', 'reset_value',
                                                                        'trace_decay')}
        constants['reset_each_tick'] = np.zeros(n, dtype=bool)
        for part, section in ((actor, cfg.actor), (critic, cfg.critic)):
            for name in POPULATION_FIELDS:
                constants[name][part] = getattr(section, name)
            constants['trace_decay'][part] = trace_decay(cfg.control_period, section.tau_e)
        constants['bias'][actor] = cfg.actor.bias
        if cfg.actor.bias_spread > 0.0:
            # A stream of its own, so that the other draws do not depend on this option.
            spread = np.random.default_rng([self.seed, 0x5EED, 1]).uniform(-1.0, 1.0, 2 * A)
            constants['bias'][actor] += cfg.actor.bias_spread * spread
        constants['reset_value'][actor] = cfg.neuron.reset
        if C:
            # V+ and V- share biases and reset values: with equal weights V is exactly 0.
            bias = rng.uniform(*cfg.critic.bias_range, size=C)
            start = rng.uniform(*cfg.critic.reset_range, size=C)
            constants['bias'][critic] = np.tile(bias, 2)
            constants['reset_value'][critic] = np.tile(start, 2)
        return S.Neurons(group=group, **constants, v=np.zeros(n), refractory=np.zeros(n),
                         count=np.zeros(n), post_trace=np.zeros(n), ring=_ring(n, history))

    def vbase(self) -> float:
        """Spontaneous spikes per critic neuron per tick (the read-out's unit)."""
        C, A = self.n_critic, self.n_actor
        part = slice(2 * A, 2 * A + C)
        counts = spontaneous_counts(self.neurons.bias[part], self.neurons.reset_value[part],
                                    self.config.neuron, self.config.substeps, ticks=20,
                                    reset_each_tick=self.config.critic.reset_each_tick)
        vbase = float(counts.mean())
        if vbase <= 0.0:
            raise ValueError('critic.bias_range: critic neurons never fire spontaneously within a '
                             'tick, so their value read-out has no unit; raise the biases')
        return vbase

    def _synapses(self, rng: np.random.Generator) -> S.SynapseStore:
        dev = self.config.device
        shape = (self.n_in, self.n_post)
        store = S.synapse_store(*shape)
        syn = S.synapses_of(store)
        for w in (syn.w_pos, syn.w_neg):
            draw = np.clip(dev.init_mean + dev.init_std * rng.standard_normal(shape), dev.floor, 1)
            if dev.levels >= 2:
                draw = np.clip(np.round(draw * (dev.levels - 1)) / (dev.levels - 1), dev.floor,
                               1.0)
            w[...] = draw
        for scale in (syn.scale_pos, syn.scale_neg):
            scale[...] = (np.exp(dev.d2d_spread * rng.standard_normal(shape))
                          if dev.d2d_spread > 0 else 1.0)
        for life in (syn.life_pos, syn.life_neg):
            life[...] = S.NEVER_FAILS
        if dev.endurance > 0:
            # Lognormal lifetimes around the median endurance, from a stream of their own (the
            # other draws do not depend on this option).
            life_rng = np.random.default_rng([self.seed, 0x5EED, 2])
            for life in (syn.life_pos, syn.life_neg):
                spread = dev.endurance_spread * life_rng.standard_normal(shape)
                draw = dev.endurance * np.exp(spread)
                life[...] = np.clip(np.round(draw), 1, S.NEVER_FAILS)
        self._refresh_effective(syn)
        return store

    @property
    def synapses(self) -> S.Synapses:
        """The named per-synapse planes (views of ``synapse_store``; a copied network's views
        follow its own store)."""
        return S.synapses_of(self.synapse_store)

    def _refresh_effective(self, syn: S.Synapses | None = None) -> None:
        """w_eff = gain_j (s+ w+ - s- w-): derived from the devices, recomputed, never loaded."""
        syn = self.synapses if syn is None else syn
        syn.w_eff[...] = self.neurons.gain * (syn.scale_pos * syn.w_pos
                                              - syn.scale_neg * syn.w_neg)

    # ------------------------------------------------------------------ running
    @property
    def kernel_args(self) -> KernelArgs:
        """The kernel's arguments (their arrays are updated in place between calls)."""
        return (self.obs, self.command, self.output, self.params, self.carry, self.rng,
                self.tables, self.inputs, self.neurons, self.synapse_store, self.scratch)

    def bind(self, kernel: Callable[..., None] = compiled_tick) -> Callable[[], None]:
        """Prebuild the call of ``kernel`` on this network; returns a no-argument tick function.

        A numba kernel is compiled (or loaded from numba's cache) here for these argument types,
        and its entry point is called directly: the arguments never change type, and numba's
        per-call type dispatch would cost more than 10 us on NamedTuple arguments.
        """
        args = self.kernel_args
        if isinstance(kernel, numba.core.dispatcher.Dispatcher):
            kernel = kernel.compile(tuple(numba.typeof(arg) for arg in args))
        return functools.partial(kernel, *args)

    def record_spikes(self, on: bool = True) -> None:
        """Record every step's spikes of each tick in ``scratch.raster_pre`` (K x inputs) and
        ``scratch.raster_post`` (K x neurons), or stop (the default: zero-row rasters, which the
        tick skips). This replaces the scratch: bind again afterwards."""
        pre, post = S.spike_raster(self.config.substeps, self.n_in, self.n_post, bool(on))
        self.scratch = self.scratch._replace(raster_pre=pre, raster_post=post)

    def reset_state(self, clear_traces: bool = True) -> None:
        """Start an episode: membranes, refractoriness, spike histories and (optionally) traces."""
        neurons, inputs = self.neurons, self.inputs
        neurons.v[:] = neurons.reset_value
        neurons.refractory[:] = 0.0
        neurons.count[:] = 0.0
        neurons.post_trace[:] = 0.0
        for ring in (neurons.ring, inputs.ring):
            ring.head[:] = 0
            ring.fill[:] = 0
        inputs.phase[:] = 0.0
        inputs.pre_trace[:] = 0.0
        self.synapses.tick_elig[:] = 0.0
        if clear_traces:
            self.synapses.trace[:] = 0.0
            inputs.bound[:] = 0.0
            inputs.is_live[:] = False
            inputs.last_spike[:] = S.NOT_YET
            inputs.live[:] = 0
            self.carry['n_live'] = 0
        self.carry['v_prev'] = 0.0

    def set_rate_scales(self, eta_scale: float, noise_scale: float) -> None:
        """Scale every learning rate and the actor's exploration noise (annealing)."""
        self.neurons.eta[:] = self.base_eta * eta_scale
        actor = self.neurons.group <= S.GROUP_RIGHT
        self.neurons.noise[actor] = self.base_noise[actor] * noise_scale

    def set_dead_zone_scale(self, scale: float) -> None:
        """Every write threshold on |M| (learning.dead_zone and the groups' actor.dead_zone and
        critic.dead_zone) at ``scale`` times its configured value from the next tick on (the
        annealing's reopening lowers them for an episode; per tick of this control period, as
        params.py converts them)."""
        config = self.config
        r = config.tick_ratio
        self.params['dead_zone'] = config.learning.dead_zone * r * scale
        self.params['actor_dead_zone'] = config.actor.dead_zone * r * scale
        self.params['critic_dead_zone'] = config.critic.dead_zone * r * scale

    def failed_devices(self) -> int:
        """Devices that have used their lifetime of writes (device.endurance) and are stuck."""
        if self.config.device.endurance <= 0:
            return 0
        return S.failed_devices(self.state_arrays())

    def idle(self, seconds: float) -> None:
        """Let ``seconds`` pass without ticks (the network's clock advances by whole neural
        steps) and relax every device to the new time (device.retention_tau_s; nothing changes
        without retention). Spike histories then lie beyond every pairing window."""
        if seconds < 0 or not math.isfinite(seconds):
            raise ValueError(f'seconds: must be a finite number >= 0, got {seconds!r}')
        # A neural step lasts dt_ms x tick_ratio of real time (AgentConfig's class doc).
        step_s = self.config.neuron.dt_ms * self.config.tick_ratio / 1000.0
        self.carry['time'] = float(self.carry['time']) + round(seconds / step_s)
        self.relax_all()

    def relax_all(self) -> None:
        """Bring every row's devices up to the network's clock (retention; the tick relaxes a
        row only when it reads or writes it): the kernel's law, w <- rest + (w - rest)
        exp(-elapsed retention_rate) for every device that has not failed."""
        rate = float(self.params['retention_rate'])
        if rate <= 0.0:
            return
        now = float(self.carry['time'])
        syn, relaxed_at = self.synapses, self.inputs.relaxed_at
        elapsed = now - relaxed_at
        behind = (elapsed > 0.0)[:, None]
        factor = np.exp(-np.maximum(elapsed, 0.0) * rate)[:, None]
        rest = float(self.params['retention_rest'])
        for w, writes, life in ((syn.w_pos, syn.writes_pos, syn.life_pos),
                                (syn.w_neg, syn.writes_neg, syn.life_neg)):
            w[...] = np.where(behind & (writes < life), rest + (w - rest) * factor, w)
        relaxed_at[:] = np.maximum(relaxed_at, now)
        self._refresh_effective(syn)

    @property
    def weights(self) -> S.F64:
        """Signed effective weights (n_inputs x n_neurons)."""
        return self.synapses.w_eff

    # ------------------------------------------------------------------ state
    def state_arrays(self) -> dict[str, NDArray[Any]]:
        """The learning state by name ('synapses.w_pos', 'carry.time', 'rng', ...): views of the
        live arrays. Everything else (params, tables, scratch, I/O) follows from the config."""
        arrays: dict[str, NDArray[Any]] = {}
        for prefix, group in (('inputs', self.inputs), ('neurons', self.neurons),
                              ('synapses', self.synapses)):
            arrays.update(S.named_arrays(prefix, group))
        for name in S.CARRY.names or ():
            arrays[f'carry.{name}'] = self.carry[name]
        arrays['rng'] = self.rng
        return arrays

    def export_arrays(self) -> dict[str, NDArray[Any]]:
        return {name: array.copy() for name, array in self.state_arrays().items()}

    def import_arrays(self, arrays: Mapping[str, NDArray[Any]]) -> None:
        """Copy checkpointed arrays in (shapes and dtypes must match; checked by the caller)."""
        for name, array in self.state_arrays().items():
            array[...] = arrays[name]
        # The effective weights are derived state: recompute them from the devices (and the
        # imported gains), never trust a stored copy that could disagree with its devices.
        self._refresh_effective()
        # vbase depends on the (imported) critic biases; refresh in place (the kernel holds it).
        self.params[...] = build_params(self.config, self)


def _ring(rows: int, history: int) -> S.SpikeRing:
    return S.SpikeRing(times=np.zeros((rows, history)), head=np.zeros(rows, dtype=np.int64),
                       fill=np.zeros(rows, dtype=np.int64))
