"""The named state of the network, shared by the compiled tick (kernels.py) and its numpy twin.

Arrays are grouped by the index they run over, as NamedTuples of arrays:
    Inputs    per input i          phase, pre_trace, last_spike, bound[g, i], the live list, ring
    Neurons   per neuron j         constants (group, bias, noise, gain, eta, trace_decay, ...)
                                   and state (v, refractory, count, post_trace, ring)
    Synapses  per synapse (i, j)   w_pos, w_neg, scale_pos, scale_neg, w_eff, trace, ... (views
                                   of one SynapseStore)
    Tables    constant lookups     encoder, write law, pairing kernels, in-tick weights
    Scratch   per-tick buffers     active inputs, currents, spike lists, the optional raster
and the scalars as records (0-d numpy structured arrays; ``r['name']`` in Python, ``r.name`` in
compiled code after ``r = array[()]``):
    Params    what the tick reads, built from the config by one table (params.py)
    Carry     what a tick leaves to the next (time, V of the last tick, live rows)
    Command   what the caller passes for a tick (phase, reward, ...)
    Output    what a tick gives back (action, force, value, modulator, writes, wrote)

Why these types. numba compiles ``inputs.phase[i]`` and ``p.decay`` to the same loads as the index
constants they replace. A NamedTuple is immutable but its arrays are not, so the state is updated
in place. Scalars are records rather than NamedTuples of numbers because they must change in
place (Carry, Output; Params when a checkpoint brings other critic biases), and because a record
crosses into compiled code as one pointer where a NamedTuple of 37 numbers is unboxed number by
number on every call. The synapse planes are one stack per type (SynapseStore), not separate
arrays, because the write and trace loops index eight planes per row: rows of one stack stay in
registers, eleven separate arrays spill (the writes were 15 % slower, measured). numba's per-call
type dispatch costs more than 10 us for NamedTuple arguments, so Network.bind calls the compiled
overload's entry point; jit.py says how the kernels are compiled and why.
"""

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from memsnn_controller.snn.jit import kernel
from memsnn_controller.snn.write_law import WriteLaw

# Codes stored in Params, Neurons.group and Command.phase (the tick branches on them).
GROUP_LEFT = 0
GROUP_RIGHT = 1
GROUP_V_POS = 2
GROUP_V_NEG = 3

CODING_REGULAR = 0
CODING_POISSON = 1
CODING_LATENCY = 2
ELIG_ROLE = 0
ELIG_WINDOW = 1
ELIG_MSTDPET = 2
ELIG_LOCAL = 3
MOD_TD = 0
MOD_REWARD = 1
DECODER_DISCRETE = 0
DECODER_CONTINUOUS = 1

STUCK_LAST = 0        # what a failed device does (device.stuck): keeps its last conductance,
STUCK_LOW = 1         # falls to the floor,
STUCK_HIGH = 2        # rises to w = 1

NEVER_FAILS = np.iinfo(np.uint32).max   # Synapses.life_* without an endurance limit
# Retention: a row's devices are relaxed once their pending relaxation, elapsed x rate, reaches
# this (a relative change of the excursion w - rest of about 1e-6); smaller ones wait, exactly.
RELAX_MIN = 1e-6

PHASE_STEP = 0        # an ordinary tick
PHASE_TERMINAL = 1    # the episode failed: learn from the last transition (V(s_T) = 0), no action
PHASE_TRUNCATED = 2   # a time limit: learn from the last transition, then stop

NOT_YET = -1e9        # Inputs.last_spike of an input that has not spiked

# The arrays' types, as the kernels read them.
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
U32 = NDArray[np.uint32]
U8 = NDArray[np.uint8]
Bools = NDArray[np.bool_]
Record = NDArray[np.void]   # a 0-d structured array (record): Params, Carry, Command, Output


class SpikeRing(NamedTuple):
    """The last spike times of each row, newest at ``head - 1`` (the window rule pairs them)."""

    times: F64           # (rows, history): neural step of each held spike
    head: I64            # int64 (rows,): the slot the next spike goes to
    fill: I64            # int64 (rows,): spikes held (at most history)


class Inputs(NamedTuple):
    """Per-input state, indexed by input i."""

    phase: F64               # regular code's phase accumulator
    pre_trace: F64           # MSTDPET P+_i
    last_spike: F64          # neural step of the last spike (NOT_YET when none)
    bound: F64               # (2, n_inputs): max |e_ij| over the row's actor (0) and critic (1)
    #                          columns; 0 once that part of the row has been zeroed
    is_live: Bools           # bool: the row is in the live list
    live: I64                # int64: the live rows (Carry.n_live of them), in visiting order
    ring: SpikeRing          # presynaptic spike history
    relaxed_at: F64          # retention: the neural step up to which the row's devices have
    #                          relaxed (device.retention_tau_s; brought up to date when read or
    #                          written)


class Neurons(NamedTuple):
    """Per-neuron constants and state, indexed by column j: [left (A) | right (A) | V+ | V-]."""

    group: I64                   # int64: GROUP_LEFT, GROUP_RIGHT, GROUP_V_POS, GROUP_V_NEG
    bias: F64                    # constant drive (the membrane relaxes towards it)
    noise: F64                   # sigma of the exploration noise (annealed)
    gain: F64                    # w_eff = gain (s+ w+ - s- w-)
    eta: F64                     # learning rate (annealed)
    trace_decay: F64             # lambda_j = exp(-control_period / tau_e_j) per tick
    reset_value: F64             # membrane value at an episode's (or a tick's) start
    reset_each_tick: Bools       # bool: restart the membrane every tick
    v: F64                       # membrane potential
    refractory: F64              # silent steps left
    # Spikes in the current tick. The name shadows tuple.count (mypy says so); it stays, being
    # the state's (and the checkpoint's) name.
    count: F64  # type: ignore[assignment]
    post_trace: F64              # MSTDPET P-_j (<= 0)
    ring: SpikeRing              # postsynaptic spike history


class Synapses(NamedTuple):
    """Per-synapse planes (n_inputs, n_neurons); a synapse is a differential pair of devices."""

    w_pos: F64               # w+ in [w_floor, 1]
    w_neg: F64               # w-
    scale_pos: F64           # device-to-device window factor s+ of w+ (1 when off)
    scale_neg: F64           # s- of w-
    w_eff: F64               # gain_j (s+ w+ - s- w-): what an input spike adds to the membrane
    trace: F64               # eligibility trace e
    tick_elig: F64           # eligibility z gathered within the current tick
    pending_pos: F64         # 'accumulate' rounding: requested change of w+ not yet programmed;
    #                          with a group's write_step (analog devices): the pair's summed
    #                          request eta M e, not yet written
    pending_neg: F64         # ... of w-
    writes_pos: U32          # uint32: programming events that changed w+ (endurance)
    writes_neg: U32          # ... w-
    life_pos: U32            # uint32: the writes w+ survives (device.endurance); failed once
    #                          writes_pos reaches it (NEVER_FAILS without a limit)
    life_neg: U32            # ... w-


class SynapseStore(NamedTuple):
    """Where the Synapses live: plane k of ``planes`` (float64) is the k-th field of Synapses and
    plane k of ``writes`` (uint32) the k-th write counter (see the module docstring for why)."""

    planes: F64          # (N_SYNAPSE_PLANES, n_inputs, n_neurons) float64
    writes: U32          # (N_COUNT_PLANES, n_inputs, n_neurons) uint32


N_SYNAPSE_PLANES = 9   # the float64 fields of Synapses, w_pos ... pending_neg
N_COUNT_PLANES = 4     # the uint32 fields of Synapses, writes_pos ... life_neg


def synapse_store(n_inputs: int, n_neurons: int) -> SynapseStore:
    """A zeroed SynapseStore."""
    shape = (n_inputs, n_neurons)
    return SynapseStore(np.zeros((N_SYNAPSE_PLANES,) + shape),
                        np.zeros((N_COUNT_PLANES,) + shape, np.uint32))


def synapses_of(store: SynapseStore) -> Synapses:
    """The named views of a SynapseStore (numpy; the kernels build the same with synapse_views)."""
    return Synapses(*store.planes, *store.writes)


@kernel(inline='always')
def synapse_views(store: SynapseStore) -> Synapses:
    """The named views of a SynapseStore in compiled code: field k is plane k, as in synapses_of
    (test_state checks that both name the same memory)."""
    planes, writes = store
    return Synapses(planes[0], planes[1], planes[2], planes[3], planes[4], planes[5], planes[6],
                    planes[7], planes[8], writes[0], writes[1], writes[2], writes[3])


class Tables(NamedTuple):
    """Constant lookup tables."""

    encoder_ints: I64            # encoding.EncoderTables
    encoder_floats: F64
    law: WriteLaw                # the device model's write law
    kplus: F64                   # window rule: F0 h_+(lag) by lag in steps (plasticity.py)
    kminus: F64                  # F0 h_-(lag)
    in_tick_weight: F64          # (K, n_neurons): d_j^(K-1-k), what is left at the tick's end
    #                              of an eligibility contribution at step k


class Scratch(NamedTuple):
    """Buffers a tick fills and reads; nothing in them survives the tick."""

    active: I64                  # int64: the active inputs of this tick
    activation: F64              # their activations a in (0, 1]
    active_spikes: F64           # their spikes so far in this tick
    current: F64                 # input current of each neuron in this step
    spiked: F64                  # 1.0 for the neurons that fired in this step
    pre_spikes: I64              # int64: inputs that fired in this step
    post_spikes: I64             # int64: neurons that fired in this step (of the paired columns)
    inhibition: F64              # (2,): mutual inhibition I onto the left and the right actor
    #                              population (actor.inhibition), 0 at each tick start
    # The spike raster of the last tick, (K, n_inputs) and (K, n_neurons) uint8 with 1 where
    # that input or neuron fired in step k; (0, n) arrays when recording is off (the default),
    # so the tick writes nothing and tests one shape per tick (spike_raster below).
    raster_pre: U8
    raster_post: U8


def spike_raster(steps: int, n_inputs: int, n_neurons: int, record: bool) -> tuple[U8, U8]:
    """(raster_pre, raster_post) for a Scratch: K rows when ``record``, none otherwise."""
    rows = steps if record else 0
    return (np.zeros((rows, n_inputs), dtype=np.uint8),
            np.zeros((rows, n_neurons), dtype=np.uint8))


def record_dtype(fields: Iterable[tuple[str, str]]) -> np.dtype[np.void]:
    """The dtype of a record with ``(name, type)`` fields (aligned, as numba reads it best)."""
    return np.dtype(list(fields), align=True)


CARRY = record_dtype([
    ('time', 'f8'),      # neural steps since the network was built
    ('v_prev', 'f8'),    # V(s_{t-1}): the critic's value in the last tick
    ('n_live', 'i8'),    # rows in Inputs.live
])
COMMAND = record_dtype([
    ('phase', 'i8'),         # PHASE_*
    ('reward', 'f8'),        # r of the transition that ended in this tick's state
    ('external_m', 'f8'),    # the modulator when the caller computes it (learning.modulator)
    ('learn', '?'),          # program the devices
    ('has_prev', '?'),       # a transition ended here (not the episode's first tick)
])
OUTPUT = record_dtype([
    ('action', 'i8'),        # 1 = push right, 0 = push left
    ('force', 'f8'),         # N
    ('value', 'f8'),         # V(s_t)
    ('modulator', 'f8'),     # M applied in this tick (0 when none)
    ('writes', 'i8'),        # device writes in this tick
    ('wrote', '?'),          # |M| passed the dead zone and the devices were programmed
    # Activity counts, what the energy estimate (energy.py) is made of:
    ('input_spikes', 'i8'),      # input spikes in this tick; each reaches every neuron, so the
    #                              synaptic events are input_spikes x n_neurons
    ('neuron_updates', 'i8'),    # membrane updates: K x n_neurons when the network ran, else 0
])


def record(dtype: np.dtype[np.void]) -> Record:
    """A zeroed record of ``dtype``: a 0-d structured array (``r['name']`` reads and writes a
    field in Python; numba reads ``r[()]`` as a record with attribute access)."""
    return np.zeros((), dtype)


def device_writes(arrays: Mapping[str, NDArray[Any]]) -> NDArray[Any]:
    """The write count of every device (w+ devices, then w- devices), flattened, from the named
    learning state (Network.state_arrays, or a checkpoint's arrays)."""
    return np.concatenate((arrays['synapses.writes_pos'].ravel(),
                           arrays['synapses.writes_neg'].ravel()))


def failed_devices(arrays: Mapping[str, NDArray[Any]]) -> int:
    """Devices whose writes have reached their lifetime (device.endurance), from the named
    learning state (Network.state_arrays, or a checkpoint's arrays); 0 without a limit."""
    return int(np.count_nonzero(arrays['synapses.writes_pos'] >= arrays['synapses.life_pos'])
               + np.count_nonzero(arrays['synapses.writes_neg'] >= arrays['synapses.life_neg']))


def named_arrays(prefix: str, group: Any) -> Iterator[tuple[str, NDArray[Any]]]:
    """(dotted name, array) for every array of a NamedTuple, nested ones included."""
    for name, value in zip(group._fields, group):
        if isinstance(value, tuple):
            yield from named_arrays(f'{prefix}.{name}', value)
        else:
            yield f'{prefix}.{name}', value
