"""The network: inputs onto an actor (left, right) and a critic (V+, V-), as preallocated arrays.

Neurons are laid out as columns [left (A) | right (A) | V+ (C) | V- (C)]; every input-to-neuron
synapse is a differential pair of devices. ``Network`` builds every array from an AgentConfig and
a seed, and runs one control tick per call of the compiled kernel (or of its numpy reference).
"""

import math

import numpy as np

from memsnn_controller.snn import layout as L
from memsnn_controller.snn.devices import law_parameters
from memsnn_controller.snn.encoding import EncoderTables
from memsnn_controller.snn.kernels import tick as compiled_tick
from memsnn_controller.snn.neurons import decay_factor, refractory_steps, spontaneous_counts
from memsnn_controller.snn.plasticity import (
    RULES,
    default_pre_norm,
    in_tick_weights,
    pairing_tables,
    trace_decay,
)
from memsnn_controller.snn.rng import new_state

CODINGS = {'regular': L.CODING_REGULAR, 'poisson': L.CODING_POISSON,
           'latency': L.CODING_LATENCY}
MODULATORS = {'td': L.MOD_TD, 'reward': L.MOD_REWARD}
DECODERS = {'discrete': L.DECODER_DISCRETE, 'continuous': L.DECODER_CONTINUOUS}

# Arrays that make up the learning state (checkpointed); the rest is rebuilt from the config.
STATE_ARRAYS = ('syn', 'writes', 'npar', 'nst', 'ist', 'live', 'v', 'refr', 'count', 'hist_pre',
                'hist_post', 'S', 'rng')


class Network:
    """All arrays of one network and the tick that advances them."""

    def __init__(self, config, seed=0):
        self.config = config
        self.seed = int(seed)
        self.tables = EncoderTables(config.encoder)
        self.n_in = self.tables.n_inputs
        self.n_actor = config.actor.neurons_per_side
        self.n_critic = config.critic.neurons_per_half if config.critic.enabled else 0
        self.n_post = 2 * self.n_actor + 2 * self.n_critic
        build_rng = np.random.default_rng([self.seed, 0x5EED])
        self.npar = self._neuron_params(build_rng)
        self.P = self._scalar_params()
        self.law = law_parameters(config.device.model)
        self.kplus, self.kminus = pairing_tables(config)
        tau_e_ms = np.where(self.npar[L.GROUP] <= L.GROUP_RIGHT, config.actor.tau_e,
                            config.critic.tau_e) * 1000.0
        self.dpow = np.ascontiguousarray(
            in_tick_weights(config.substeps, config.neuron.dt_ms, tau_e_ms))
        self.syn = self._synapses(build_rng)
        self.writes = np.zeros((2, self.n_in, self.n_post), dtype=np.uint32)
        self.nst = np.zeros((L.N_NEURON_STATE, self.n_post))
        self.v = np.zeros(self.n_post)
        self.refr = np.zeros(self.n_post)
        self.count = np.zeros(self.n_post)
        self.ist = np.zeros((L.N_INPUT_STATE, self.n_in))
        self.ist[L.LAST_SPIKE] = -1e9
        self.live = np.zeros(self.n_in + 1, dtype=np.int64)
        history = config.learning.history if config.learning.eligibility == 'window' else 1
        self.hist_pre = np.zeros((self.n_in, history))
        self.hist_post = np.zeros((self.n_post, history))
        self.S = np.zeros(L.N_STATE)
        self.rng = new_state(self.seed)
        self.cmd = np.zeros(L.N_CMD)
        self.out = np.zeros(L.N_OUT)
        self.obs = np.zeros(4)
        # act_idx, act_a, act_cnt, cur, spiked, spk_pre, spk_post
        self._scratch = (np.zeros(self.n_in, dtype=np.int64), np.zeros(self.n_in),
                         np.zeros(self.n_in), np.zeros(self.n_post), np.zeros(self.n_post),
                         np.zeros(self.n_in, dtype=np.int64), np.zeros(self.n_post, dtype=np.int64))
        self.base_eta = self.npar[L.ETA].copy()
        self.base_noise = self.npar[L.NOISE].copy()
        self.reset_state()

    # ------------------------------------------------------------------ construction
    def _neuron_params(self, rng):
        cfg = self.config
        A, C = self.n_actor, self.n_critic
        npar = np.zeros((L.N_NEURON_PARAMS, self.n_post))
        actor = slice(0, 2 * A)
        critic = slice(2 * A, 2 * A + 2 * C)
        npar[L.GROUP, :A] = L.GROUP_LEFT
        npar[L.GROUP, A:2 * A] = L.GROUP_RIGHT
        npar[L.BIAS, actor] = cfg.actor.bias
        npar[L.NOISE, actor] = cfg.actor.noise
        npar[L.GAIN, actor] = cfg.actor.gain
        npar[L.ETA, actor] = cfg.actor.eta
        npar[L.TRACE_DECAY, actor] = trace_decay(cfg.control_period, cfg.actor.tau_e)
        npar[L.RESET_VALUE, actor] = cfg.neuron.reset
        npar[L.RESET_EACH_TICK, actor] = float(cfg.actor.reset_each_tick)
        if C:
            npar[L.GROUP, 2 * A:2 * A + C] = L.GROUP_V_POS
            npar[L.GROUP, 2 * A + C:] = L.GROUP_V_NEG
            # V+ and V- share biases and reset values: with equal weights V is exactly 0.
            bias = rng.uniform(*cfg.critic.bias_range, size=C)
            start = rng.uniform(*cfg.critic.reset_range, size=C)
            npar[L.BIAS, critic] = np.tile(bias, 2)
            npar[L.RESET_VALUE, critic] = np.tile(start, 2)
            npar[L.NOISE, critic] = cfg.critic.noise
            npar[L.GAIN, critic] = cfg.critic.gain
            npar[L.ETA, critic] = cfg.critic.eta
            npar[L.TRACE_DECAY, critic] = trace_decay(cfg.control_period, cfg.critic.tau_e)
            npar[L.RESET_EACH_TICK, critic] = float(cfg.critic.reset_each_tick)
        return npar

    def _scalar_params(self):
        cfg = self.config
        neuron, learning, device = cfg.neuron, cfg.learning, cfg.device
        P = np.zeros(L.N_PARAMS)
        P[L.P_SUBSTEPS] = cfg.substeps
        P[L.P_DECAY] = decay_factor(neuron.dt_ms, neuron.tau_m_ms)
        P[L.P_THRESHOLD] = neuron.threshold
        P[L.P_V_RESET] = neuron.reset
        P[L.P_REFRACTORY] = refractory_steps(neuron.refractory_ms, neuron.dt_ms)
        P[L.P_PHASE0] = cfg.encoder.phase
        P[L.P_PHASE_RESET] = float(cfg.encoder.phase_reset)
        P[L.P_CODING] = CODINGS[cfg.encoder.coding]
        P[L.P_RATE_PER_STEP] = cfg.encoder.max_rate_hz * neuron.dt_ms / 1000.0
        P[L.P_LATENCY_STEPS] = cfg.encoder.latency_max_ms / neuron.dt_ms
        P[L.P_LATENCY_MIN] = cfg.encoder.latency_min_activation
        P[L.P_N_ACTOR] = self.n_actor
        P[L.P_N_CRITIC] = self.n_critic
        P[L.P_GAMMA] = cfg.critic.gamma
        P[L.P_VALUE_SCALE] = cfg.critic.value_scale
        P[L.P_VBASE] = self._vbase() if self.n_critic else 1.0
        P[L.P_DEAD_ZONE] = learning.dead_zone
        P[L.P_PRE_NORM] = default_pre_norm(cfg)
        rule = RULES[learning.eligibility]
        P[L.P_ELIGIBILITY] = rule.code
        P[L.P_ROLE_SIGN] = float(learning.role_sign)
        P[L.P_MODULATOR] = MODULATORS[learning.modulator]
        P[L.P_DECODER] = DECODERS[cfg.actor.decoder]
        P[L.P_FORCE_LIMIT] = cfg.actor.force_limit
        P[L.P_TRACE_EPS] = learning.trace_eps
        P[L.P_LEVELS] = device.levels
        P[L.P_STOCHASTIC] = float(device.rounding == 'stochastic')
        P[L.P_ACCUMULATE] = float(device.rounding == 'accumulate')
        P[L.P_C2C] = device.c2c_noise
        P[L.P_W_FLOOR] = device.floor
        P[L.P_WRITE_THRESHOLD] = device.write_threshold
        P[L.P_PRE_DECAY] = math.exp(-neuron.dt_ms / learning.tau_plus_ms)
        P[L.P_POST_DECAY] = math.exp(-neuron.dt_ms / learning.tau_minus_ms)
        P[L.P_A_PLUS] = learning.a_plus
        P[L.P_A_MINUS] = learning.a_minus
        P[L.P_WINDOW_STEPS] = math.ceil(learning.window_ms / neuron.dt_ms)
        P[L.P_TICK_GATED] = float(learning.tick_gated)
        P[L.P_MAX_TRACE_DECAY] = float(self.npar[L.TRACE_DECAY].max())
        P[L.P_PAIR_SPAN] = rule.pair_span_steps(learning, neuron)
        return P

    def _vbase(self):
        """Spontaneous spikes per critic neuron per tick (the read-out's unit)."""
        C, A = self.n_critic, self.n_actor
        part = slice(2 * A, 2 * A + C)
        counts = spontaneous_counts(self.npar[L.BIAS, part], self.npar[L.RESET_VALUE, part],
                                    self.config.neuron, self.config.substeps, ticks=20,
                                    reset_each_tick=self.config.critic.reset_each_tick)
        vbase = float(counts.mean())
        if vbase <= 0.0:
            raise ValueError('critic.bias_range: critic neurons never fire spontaneously within a '
                             'tick, so their value read-out has no unit; raise the biases')
        return vbase

    def _synapses(self, rng):
        dev = self.config.device
        shape = (self.n_in, self.n_post)
        syn = np.zeros((L.N_SYN_PLANES,) + shape)
        for plane in (L.W_POS, L.W_NEG):
            w = np.clip(dev.init_mean + dev.init_std * rng.standard_normal(shape), dev.floor, 1)
            if dev.levels >= 2:
                w = np.clip(np.round(w * (dev.levels - 1)) / (dev.levels - 1), dev.floor, 1.0)
            syn[plane] = w
        for plane in (L.SCALE_POS, L.SCALE_NEG):
            syn[plane] = (np.exp(dev.d2d_spread * rng.standard_normal(shape))
                          if dev.d2d_spread > 0 else 1.0)
        self._refresh_effective(syn)
        return syn

    def _refresh_effective(self, syn=None):
        syn = self.syn if syn is None else syn
        syn[L.W_EFF] = self.npar[L.GAIN] * (syn[L.SCALE_POS] * syn[L.W_POS]
                                            - syn[L.SCALE_NEG] * syn[L.W_NEG])

    # ------------------------------------------------------------------ running
    @property
    def args(self):
        """The kernel's argument tuple (arrays are updated in place between calls)."""
        return (self.obs, self.cmd, self.out, self.P, self.law, self.S, self.rng,
                self.tables.ints, self.tables.floats, self.syn, self.writes, self.npar, self.nst,
                self.ist, self.live, self.v, self.refr, self.count, self.hist_pre,
                self.hist_post, self.kplus, self.kminus, self.dpow) + self._scratch

    def bind(self, kernel=compiled_tick):
        """Prebuild the argument tuple for ``kernel``; returns a no-argument tick function."""
        args = self.args

        def run():
            kernel(*args)
        return run

    def reset_state(self, clear_traces=True):
        """Start an episode: membranes, refractoriness, spike histories and (optionally) traces."""
        self.nst[:] = 0.0
        self.v[:] = self.npar[L.RESET_VALUE]
        self.refr[:] = 0.0
        self.count[:] = 0.0
        self.ist[L.PHASE] = 0.0
        self.ist[L.PRE_TRACE] = 0.0
        self.ist[L.PRE_COUNT] = 0.0
        self.ist[L.PRE_HEAD] = 0.0
        self.ist[L.PRE_FILL] = 0.0
        self.syn[L.TICK_ELIG] = 0.0
        if clear_traces:
            self.syn[L.TRACE] = 0.0
            self.ist[L.BOUND_ACTOR] = 0.0
            self.ist[L.BOUND_CRITIC] = 0.0
            self.ist[L.IS_LIVE] = 0.0
            self.ist[L.LAST_SPIKE] = -1e9
            self.live[:] = 0
        self.S[L.S_V_PREV] = 0.0
        self.S[L.S_N_LIVE] = self.live[0]

    def set_rate_scales(self, eta_scale, noise_scale):
        """Scale every learning rate and the actor's exploration noise (annealing)."""
        self.npar[L.ETA] = self.base_eta * eta_scale
        actor = self.npar[L.GROUP] <= L.GROUP_RIGHT
        self.npar[L.NOISE, actor] = self.base_noise[actor] * noise_scale

    @property
    def weights(self):
        """Signed effective weights (n_inputs x n_neurons)."""
        return self.syn[L.W_EFF]

    def export_arrays(self):
        return {name: getattr(self, name).copy() for name in STATE_ARRAYS}

    def import_arrays(self, arrays):
        """Copy checkpointed arrays in (shapes and dtypes must match; checked by the caller)."""
        for name in STATE_ARRAYS:
            getattr(self, name)[...] = arrays[name]
        # The effective weights are derived state: recompute them from the devices (and the
        # imported gains), never trust a stored copy that could disagree with its devices.
        self._refresh_effective()
        # vbase depends on the (imported) critic biases; refresh in place (the kernel holds P).
        self.P[:] = self._scalar_params()
