"""A counter-based random stream shared bit for bit by the numba kernels and their numpy references.

The k-th number of a stream with key s is splitmix64(s + k * 0x9E3779B97F4A7C15), k = 1, 2, ...
(Steele, Lea, Flood 2014): the stream's whole state is two unsigned 64-bit integers
``[key, counter]``, so it is checkpointed exactly, and the numpy reference can draw the same
numbers vectorised. Uniforms take the top 53 bits. Normals come from one uniform u through the
inverse normal CDF tabulated at 8192 midpoints, z = Phi^-1(u), linearly interpolated (about 4 ns
against 40 ns for Box-Muller's log, sqrt and cos). The table is rescaled to unit variance; its
tails end near +-3.9 sigma, which exploration and write noise do not miss. The vectorised numpy
twins (uniform_np, normal_np, coarse_normal_np) are in reference.py. ``coarse_normal_ahead``
takes a table entry without interpolation, for the many normals of the devices' read noise.
"""

import statistics

import numpy as np
from numpy.typing import NDArray

from memsnn_controller.snn.jit import kernel

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
S30 = np.uint64(30)
S27 = np.uint64(27)
S31 = np.uint64(31)
S11 = np.uint64(11)
S51 = np.uint64(51)   # 64 - 13: the top 13 bits index the normal table
ONE = np.uint64(1)
INV53 = 1.0 / 9007199254740992.0  # 2**-53


def _normal_table(size=8192):
    nd = statistics.NormalDist()
    table = np.array([nd.inv_cdf((k + 0.5) / size) for k in range(size)])
    return table / table.std()


NORMAL_TABLE = _normal_table()
TABLE_SIZE = NORMAL_TABLE.size


def new_state(seed: int) -> NDArray[np.uint64]:
    """A stream state for an integer seed (any size; folded to 64 bits)."""
    key = np.uint64(int(seed) & 0xFFFFFFFFFFFFFFFF)
    # Mixing the seed once keeps nearby seeds from sharing shifted streams.
    return np.array([_mix_py(int(key)), 0], dtype=np.uint64)


def _mix_py(z: int) -> int:
    mask = 0xFFFFFFFFFFFFFFFF
    z = (z + 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


@kernel(inline='always')
def _bits_at(key, k):
    """splitmix64(key + k * GOLDEN): the stream's k-th bits."""
    z = key + k * GOLDEN
    z = (z ^ (z >> S30)) * MIX1
    z = (z ^ (z >> S27)) * MIX2
    return z ^ (z >> S31)


@kernel(inline='always')
def _next_bits(state):
    state[1] += ONE
    return _bits_at(state[0], state[1])


@kernel(inline='always')
def uniform(state):
    """One uniform number in [0, 1)."""
    return float(_next_bits(state) >> S11) * INV53


@kernel(inline='always')
def _normal_of(bits):
    x = float(bits >> S11) * INV53 * TABLE_SIZE - 0.5
    k = int(x) if x >= 0.0 else 0
    if k > TABLE_SIZE - 2:
        k = TABLE_SIZE - 2
    return NORMAL_TABLE[k] + (x - k) * (NORMAL_TABLE[k + 1] - NORMAL_TABLE[k])


@kernel(inline='always')
def normal(state):
    """One standard normal number (inverse-CDF table; consumes one uniform)."""
    return _normal_of(_next_bits(state))


@kernel(inline='always')
def coarse_normal_ahead(state, m):
    """A standard normal from the m-th draw from now (m = 1, 2, ...) without drawing it: the
    table's quantile of the draw's top 13 bits, not interpolated (8192 values of unit variance,
    a third of ``normal``'s cost). A loop over m = 1..n followed by ``skip(state, n)`` takes n
    draws, and its iterations do not depend on each other, so the compiler vectorises it (the
    read noise of a whole row of synapses)."""
    return NORMAL_TABLE[int(_bits_at(state[0], state[1] + np.uint64(m)) >> S51)]


@kernel(inline='always')
def skip(state, n):
    """Advance the stream by n draws."""
    state[1] += np.uint64(n)
