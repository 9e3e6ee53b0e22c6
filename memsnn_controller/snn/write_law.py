"""The device write law, compiled: how a requested change programs one memristor.

A modulated trace asks for a change d of a device's state w; the device moves by its own
state-dependent amplitude, normalised at F0 (devices.py):
    d > 0 (SET):   w <- w + d F_set(w) / F0          d < 0 (RESET):   w <- w + d F_reset(w) / F0
then, as the device's non-idealities say (each switchable, DeviceConfig): d <- d (1 + c2c xi)
(cycle-to-cycle noise), w clipped to [w_floor, 1], and w quantized to N levels (stochastic or
nearest rounding, or an accumulating register that programs whole levels). ``WriteLaw`` is the
law of one device model as the kernels read it (``write_law`` builds it); ``law_factor``,
``program`` and ``program_accumulate`` are the compiled laws, and their numpy twins are in
reference.py.
"""

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from memsnn_controller.snn.devices import (
    MODEL_CODES,
    MODEL_NC,
    MODEL_PPX,
    NC,
    NC_F0,
    PPX,
    PPX_F0,
)
from memsnn_controller.snn.jit import kernel

LAW_TABLE_INTERVALS = 4096
SET = 0      # WriteLaw.table rows
RESET = 1


class WriteLaw(NamedTuple):
    """F(w)/F0 of one device model (see ``law_factor``)."""

    kind: int                # devices.MODEL_*
    set_slope: float         # NC: F_set(w)/F0 = set_slope * w
    reset_slope: float       # NC: F_reset(w)/F0 = reset_slope * w
    table: NDArray[np.float64]  # PPX: (2, intervals + 1): F_set(w)/F0 (row SET) and
    #                             F_reset(w)/F0 (row RESET) at w = k / LAW_TABLE_INTERVALS


def write_law(model: str) -> WriteLaw:
    """The WriteLaw of a device model. PPX's exponential factors are tabulated at 4097 points of
    w and interpolated linearly (relative error below 3e-7), three times cheaper than exp per
    device write; NC's (linear in w) and the ideal device's (constant) are exact."""
    code = MODEL_CODES[model]
    none = np.zeros((2, 0))
    if code == MODEL_PPX:
        w = np.linspace(0.0, 1.0, LAW_TABLE_INTERVALS + 1)
        table = np.stack([PPX['a_p'] * np.exp(-PPX['b_p'] * (1.0 - w)) / PPX_F0,
                          PPX['a_m'] * np.exp(-PPX['b_m'] * w) / PPX_F0])
        return WriteLaw(code, 0.0, 0.0, table)
    if code == MODEL_NC:
        return WriteLaw(code, NC['a_p'] / NC_F0, abs(NC['a_m']) / NC_F0, none)
    return WriteLaw(code, 1.0, 1.0, none)


@kernel(inline='always')
def law_factor(w, d, law):
    """F(w)/F0: the SET factor when d > 0, the RESET factor when d < 0 (w in [0, 1])."""
    if law.kind == MODEL_PPX:
        n = LAW_TABLE_INTERVALS
        x = w * n
        k = int(x)
        if k > n - 1:
            k = n - 1
        side = SET if d > 0.0 else RESET
        table = law.table
        return table[side, k] + (x - k) * (table[side, k + 1] - table[side, k])
    if law.kind == MODEL_NC:
        return (law.set_slope if d > 0.0 else law.reset_slope) * w
    return 1.0


@kernel(inline='always')
def program(w, d, law, w_floor, levels, stochastic, c2c, xi, u):
    """Program one device by the requested change d; xi ~ N(0, 1) and u ~ U[0, 1) are its draws.

    Returns the new w (clipped, quantized and noisy as the device is).
    """
    if c2c > 0.0:
        d = d * (1.0 + c2c * xi)
    w_new = w + d * law_factor(w, d, law)
    if w_new < w_floor:
        w_new = w_floor
    elif w_new > 1.0:
        w_new = 1.0
    if levels >= 2:
        steps = levels - 1.0
        q = w_new * steps
        base = math.floor(q)
        if stochastic:
            level = base + (1.0 if u < q - base else 0.0)
        else:
            level = math.floor(q + 0.5)
        lowest = math.ceil(w_floor * steps - 1e-9)
        if level < lowest:
            level = lowest
        if level > steps:
            level = steps
        w_new = level / steps
    return w_new


@kernel(inline='always')
def program_accumulate(w, d, pending, law, w_floor, levels, c2c, xi):
    """Program a quantized device through an accumulating register; returns (w, pending).

    The analog change the device would make, d (1 + c2c xi) F(w)/F0, is added to ``pending``;
    the device is programmed by the whole number of levels k = trunc(pending / level) (towards
    zero) and k levels are taken out of the register. At a bound the excess is dropped.
    """
    if c2c > 0.0:
        d = d * (1.0 + c2c * xi)
    pending = pending + d * law_factor(w, d, law)
    steps = levels - 1.0
    k = math.trunc(pending * steps)
    if k == 0.0:
        return w, pending
    level = math.floor(w * steps + 0.5) + k
    lowest = math.ceil(w_floor * steps - 1e-9)
    if level < lowest:
        level = lowest
        pending = 0.0
    elif level > steps:
        level = steps
        pending = 0.0
    else:
        pending = pending - k / steps
    return level / steps, pending
