"""Trace-based plasticity: eligibility rules, traces, and the modulated device write.

Each synapse ij (input i onto neuron j) keeps an eligibility trace e_ij. Within a control tick of
period T the rule gathers a tick eligibility z_ij; at the end of the tick
    e_ij <- lambda_j e_ij + role_j z_ij,      lambda_j = exp(-T / tau_e_j),
with role_j = +1 onto the chosen action's population and onto V+, -1 onto the other action's
population and onto V- (all +1 when ``role_sign`` is off; for the local rule +1 onto both actor
populations and V+, -1 onto V-: a property of the postsynaptic neuron, never the action).
A global modulatory signal M (the TD error of the critic, or the reward minus its moving
average) programs the devices:
    if |M| >= dead_zone:  w+_ij <- program(w+_ij, +eta_j M e_ij),
                          w-_ij <- program(w-_ij, -eta_j M e_ij)
through the device's state-dependent SET/RESET law, bounded, quantized and noisy (devices.py);
the actor's (critic's) devices only when |M| also reaches actor.dead_zone (critic.dead_zone).
With a group's write_step the requests are summed per synapse, R_ij <- R_ij + eta_j M e_ij, and
programmed as one change x = R_ij (R_ij <- 0) once |R_ij| >= write_step.
Traces of rows whose magnitude fell below trace_eps (and whose input has been silent longer than
the rule can still pair) are zeroed and no longer visited.

Within a tick, contributions at step k (of K) are weighted by d_j^(K-1-k), d_j = exp(-dt/tau_e_j),
which makes the per-tick update identical to a per-step e <- d e + zeta for the spike-timing rules.
"""

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from memsnn_controller.snn import state as S
from memsnn_controller.snn.devices import timing_kernels

if TYPE_CHECKING:
    from memsnn_controller.snn.config import AgentConfig, LearningConfig, NeuronConfig


class RoleRule:
    """Presynaptic activity times the role sign (the ASE y * x analogue; docs/science.md
    section 6.1).

        z_ij = n_pre_i / pre_norm,   e_ij <- lambda_j e_ij + role_j z_ij,
    n_pre_i the input's spikes in the tick and pre_norm the count of a fully active input
    (max_rate * T unless set), so a tick at full rate adds +-1.
    """

    code = S.ELIG_ROLE

    def pair_span_steps(self, learning: 'LearningConfig', neuron: 'NeuronConfig') -> float:
        return 0.0


class WindowRule:
    """The device's own pre/post pairing window as the eligibility (docs/science.md sections 5.6
    and 6.2).

    Every pre/post spike pair at lag dt = t_post - t_pre with 0 < |dt| <= window_ms adds the
    candidate change of the device's fitted window, state factor left for the write:
        z_ij += F0 h_+(dt) for dt > 0,   z_ij -= F0 h_-(-dt) for dt < 0  (devices.timing_kernels),
    so that the programmed change F(w)/F0 * eta M e is the window's own change at the current w.
    Pairing is all-to-all over the last ``history`` spikes of each neuron; ``tick_gated`` pairs only
    spikes of the same tick.
    """

    code = S.ELIG_WINDOW

    def pair_span_steps(self, learning: 'LearningConfig', neuron: 'NeuronConfig') -> float:
        return math.ceil(learning.window_ms / neuron.dt_ms)


class MstdpetRule:
    """Reward-modulated STDP with eligibility trace (Florian 2007; BindsNET's MSTDPET).

        P+_i <- P+_i exp(-dt/tau_plus) + a_plus s_pre_i
        P-_j <- P-_j exp(-dt/tau_minus) - a_minus s_post_j
        zeta_ij = P+_i s_post_j + s_pre_i P-_j
        e_ij <- e_ij exp(-dt/tau_e) + zeta_ij
    (per neural step; folded per tick as described in the module docstring).
    """

    code = S.ELIG_MSTDPET

    def pair_span_steps(self, learning: 'LearningConfig', neuron: 'NeuronConfig') -> float:
        return math.ceil(5.0 * learning.tau_plus_ms / neuron.dt_ms)


class LocalRule:
    """Device-local eligibility: each actor synapse's own pre/post pairs, no action sign.

    Actor synapses (onto the left and right populations): the pairing window of WindowRule,
        z_ij = sum over pairs of F0 h_+(dt) (dt > 0) - F0 h_-(-dt) (dt < 0),
        e_ij <- lambda_j e_ij + z_ij,
    so nothing tells a synapse which action was chosen; with mutual inhibition between the
    populations (actor.inhibition) the losing population falls silent and its synapses pair
    little or only post-before-pre. Critic synapses: presynaptic spikes with the fixed sign of
    the postsynaptic population (+1 onto V+, -1 onto V-),
        z_ij = +-n_pre_i / pre_norm.
    """

    code = S.ELIG_LOCAL

    def pair_span_steps(self, learning: 'LearningConfig', neuron: 'NeuronConfig') -> float:
        return math.ceil(learning.window_ms / neuron.dt_ms)


RULES: dict[str, RoleRule | WindowRule | MstdpetRule | LocalRule] = {
    'role': RoleRule(), 'window': WindowRule(), 'mstdpet': MstdpetRule(), 'local': LocalRule()}


def trace_decay(control_period: float, tau_e: float) -> float:
    """lambda = exp(-T / tau_e): a trace's decay per control tick."""
    return math.exp(-control_period / tau_e)


def in_tick_weights(substeps: int, dt_ms: float, tau_e_ms: ArrayLike) -> S.F64:
    """d^(K-1-k) for k = 0..K-1: how much of a step-k contribution is left at the tick's end."""
    k = np.arange(substeps)
    return np.exp(-(substeps - 1 - k) * dt_ms / np.asarray(tau_e_ms, dtype=float)[..., None]).T


def pairing_tables(config: 'AgentConfig') -> tuple[S.F64, S.F64]:
    """Timing kernels (plus, minus) for the window rule, indexed by lag in neural steps; the
    depression half scaled by learning.ltd_scale (1: the device's own window)."""
    steps = math.ceil(config.learning.window_ms / config.neuron.dt_ms)
    plus, minus = timing_kernels(config.device.model, steps, config.neuron.dt_ms)
    if config.learning.ltd_scale != 1.0:
        minus = minus * config.learning.ltd_scale
    return plus, minus


def default_pre_norm(config: 'AgentConfig') -> float:
    """The role rule's unit of activity per tick: the spikes a fully active input fires in one
    reference tick (or learning.pre_norm), divided by r = control_period / reference_period so
    that learning per second is the same at any control rate (AgentConfig's class doc)."""
    if config.learning.pre_norm > 0.0:
        unit = config.learning.pre_norm
    elif config.encoder.coding == 'latency':
        unit = 1.0
    else:
        unit = max(1.0, config.encoder.max_rate_hz * config.reference_period)
    r = config.tick_ratio
    return unit if r == 1.0 else unit / r
