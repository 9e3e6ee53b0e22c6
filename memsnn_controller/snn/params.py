"""The tick's scalar parameters: one table from the configuration to the record the kernels read.

Each row of PARAMETERS is (name, type, how the value follows from the AgentConfig ``c`` and the
network ``net``, which knows its sizes and measures the critic's unit ``vbase``). The table is the
whole story: PARAMS, the record's dtype, is made from it, and ``build_params`` fills a record by
calling every row. The kernels read ``p.name``; the codes are in state.py.
"""

from collections.abc import Callable
import math
from typing import TYPE_CHECKING

from memsnn_controller.snn import state as S
from memsnn_controller.snn.neurons import decay_factor, refractory_steps
from memsnn_controller.snn.plasticity import RULES, default_pre_norm

if TYPE_CHECKING:
    from memsnn_controller.snn.config import AgentConfig
    from memsnn_controller.snn.network import Network

CODINGS = {'regular': S.CODING_REGULAR, 'poisson': S.CODING_POISSON,
           'latency': S.CODING_LATENCY}
MODULATORS = {'td': S.MOD_TD, 'reward': S.MOD_REWARD}
DECODERS = {'discrete': S.DECODER_DISCRETE, 'continuous': S.DECODER_CONTINUOUS}
STUCK = {'last': S.STUCK_LAST, 'low': S.STUCK_LOW, 'high': S.STUCK_HIGH}

F8, I8, BOOL = 'f8', 'i8', '?'

# (name, record type, rule(config, network) -> value)
Parameter = tuple[str, str, Callable[['AgentConfig', 'Network'], float]]

PARAMETERS: tuple[Parameter, ...] = (
    # Neurons and the tick (neurons.py).
    ('substeps', I8, lambda c, net: c.substeps),                 # K = reference_period / dt
    ('decay', F8, lambda c, net: decay_factor(c.neuron.dt_ms, c.neuron.tau_m_ms)),
    ('threshold', F8, lambda c, net: c.neuron.threshold),
    ('v_reset', F8, lambda c, net: c.neuron.reset),
    ('refractory', I8, lambda c, net: refractory_steps(c.neuron.refractory_ms, c.neuron.dt_ms)),
    # Encoding (encoding.py).
    ('coding', I8, lambda c, net: CODINGS[c.encoder.coding]),
    ('phase0', F8, lambda c, net: c.encoder.phase),
    ('phase_reset', BOOL, lambda c, net: c.encoder.phase_reset),
    ('rate_per_step', F8, lambda c, net: c.encoder.max_rate_hz * c.neuron.dt_ms / 1000.0),
    ('latency_steps', F8, lambda c, net: c.encoder.latency_max_ms / c.neuron.dt_ms),
    ('latency_min', F8, lambda c, net: c.encoder.latency_min_activation),
    # Read-out: action, force and the critic's V = value_scale (n+ - n-) / (n_critic vbase).
    ('n_actor', I8, lambda c, net: net.n_actor),                      # neurons per side
    ('n_critic', I8, lambda c, net: net.n_critic),                    # neurons per half
    ('decoder', I8, lambda c, net: DECODERS[c.actor.decoder]),
    ('force_limit', F8, lambda c, net: c.actor.force_limit),
    ('value_scale', F8, lambda c, net: c.critic.value_scale),
    ('vbase', F8, lambda c, net: net.vbase() if net.n_critic else 1.0),
    ('gamma', F8, lambda c, net: per_tick_gamma(c)),
    # Eligibility (plasticity.py).
    ('eligibility', I8, lambda c, net: RULES[c.learning.eligibility].code),
    ('role_sign', BOOL, lambda c, net: c.learning.role_sign),
    ('pre_norm', F8, lambda c, net: default_pre_norm(c)),
    ('trace_eps', F8, lambda c, net: c.learning.trace_eps),
    ('pair_span', F8,                                 # steps a silent row stays live for pairing
     lambda c, net: RULES[c.learning.eligibility].pair_span_steps(c.learning, c.neuron)),
    ('window_steps', I8, lambda c, net: math.ceil(c.learning.window_ms / c.neuron.dt_ms)),
    ('tick_gated', BOOL, lambda c, net: c.learning.tick_gated),
    ('pre_decay', F8, lambda c, net: math.exp(-c.neuron.dt_ms / c.learning.tau_plus_ms)),
    ('post_decay', F8, lambda c, net: math.exp(-c.neuron.dt_ms / c.learning.tau_minus_ms)),
    ('a_plus', F8, lambda c, net: c.learning.a_plus),
    ('a_minus', F8, lambda c, net: c.learning.a_minus),
    # Columns that pair pre and post spikes (window, local, MSTDPET): the local rule's actor
    # alone (its critic takes presynaptic counts), every column otherwise.
    ('paired_columns', I8, lambda c, net: (2 * net.n_actor if c.learning.eligibility == 'local'
                                           else net.n_post)),
    # Mutual inhibition between the actor populations: I <- inh_decay I + inhibition n_other.
    ('inhibition', F8, lambda c, net: c.actor.inhibition),
    ('inh_decay', F8, lambda c, net: (math.exp(-c.neuron.dt_ms / c.actor.inhibition_tau_ms)
                                      if c.actor.inhibition_tau_ms > 0.0 else 0.0)),
    # Modulator and the device write (devices.py, write_law.py).
    ('modulator', I8, lambda c, net: MODULATORS[c.learning.modulator]),
    ('dead_zone', F8, lambda c, net: c.learning.dead_zone * c.tick_ratio),
    ('actor_dead_zone', F8, lambda c, net: c.actor.dead_zone * c.tick_ratio),   # its own
    ('critic_dead_zone', F8, lambda c, net: c.critic.dead_zone * c.tick_ratio),
    ('actor_write_step', F8, lambda c, net: c.actor.write_step),    # 0: write each request
    ('critic_write_step', F8, lambda c, net: c.critic.write_step),
    # The step is taken with probability |x| / step (no register) instead of summed.
    ('actor_write_random', BOOL, lambda c, net: c.actor.write_mode == 'random'),
    ('critic_write_random', BOOL, lambda c, net: c.critic.write_mode == 'random'),
    ('levels', I8, lambda c, net: c.device.levels),                  # 0: analog
    ('stochastic', BOOL, lambda c, net: c.device.rounding == 'stochastic'),
    ('accumulate', BOOL, lambda c, net: c.device.rounding == 'accumulate'),
    ('c2c', F8, lambda c, net: c.device.c2c_noise),
    ('w_floor', F8, lambda c, net: c.device.floor),
    ('write_threshold', F8, lambda c, net: c.device.write_threshold),
    # Wear and time (devices.py): a device fails after its lifetime of writes (Synapses.life_*)
    # and then stays stuck; w relaxes toward retention_rest at retention_rate per neural step
    # (dt / tau, 0: no relaxation); every read of w has read_noise relative noise.
    ('endurance', BOOL, lambda c, net: c.device.endurance > 0),
    ('stuck', I8, lambda c, net: STUCK[c.device.stuck]),
    # A neural step lasts dt_ms x tick_ratio of real time (the devices relax in real time).
    ('retention_rate', F8, lambda c, net: (c.neuron.dt_ms * c.tick_ratio
                                           / (1000.0 * c.device.retention_tau_s)
                                           if c.device.retention_tau_s > 0 else 0.0)),
    ('retention_rest', F8, lambda c, net: c.device.rest),
    ('read_noise', F8, lambda c, net: c.device.read_noise),
    # The local rule's push-pull: depression of a fired input's synapses onto silent neurons.
    ('silent_depression', F8, lambda c, net: c.learning.silent_depression),
)

PARAMS = S.record_dtype((name, kind) for name, kind, _ in PARAMETERS)


def per_tick_gamma(config: 'AgentConfig') -> float:
    """critic.gamma (per reference tick) for a tick of control_period: gamma^r."""
    r = config.tick_ratio
    return config.critic.gamma if r == 1.0 else config.critic.gamma ** r


def build_params(config: 'AgentConfig', net: 'Network') -> S.Record:
    """The Params record of ``net`` (a Network) built from ``config`` by PARAMETERS."""
    params = S.record(PARAMS)
    params[()] = tuple(rule(config, net) for _, _, rule in PARAMETERS)
    return params
