"""Encoding the cart-pole state (x, x_dot, theta, theta_dot) as input activations.

An encoder is a concatenation of segments, each giving every input an activation a in [0, 1]
(its rate is a * max_rate, or its latency latency_max * (1 - a)):
- gaussian: per state variable, n fields centred on linspace(low, high, n) with width
  sigma = field_width * spacing; a_k = exp(-(clip(s, low, high) - c_k)^2 / (2 sigma^2)).
- boxes: the product of bins over the four variables (bin = number of edges <= value); exactly
  one input, the current box, has a = 1. The defaults are Barto, Sutton and Anderson's 162 boxes.
- grid: boxes over a pair of variables with ``grid_bins`` uniform cells over their ranges.

The encoder's tables are plain arrays so that the compiled tick can encode without Python.
Only active inputs (a > 0) are listed, which keeps a tick's cost proportional to activity. The
numpy twin of ``encode`` is reference.encode_reference.
"""

import math
from typing import TYPE_CHECKING

import numpy as np

from memsnn_controller.snn.jit import kernel

if TYPE_CHECKING:
    from memsnn_controller.snn.config import EncoderConfig

SEG_GAUSSIAN = 0
SEG_BOXES = 1
HEADER = 9  # kind, first input, n inputs, first float, n vars, var0..var3


class EncoderTables:
    """The encoder configuration compiled into int and float tables (see module docstring)."""

    def __init__(self, config: 'EncoderConfig') -> None:
        ints: list[list[int]] = []
        floats: list[float] = []
        names: list[str] = []
        n_inputs = 0
        for seg in config.segments:
            if seg == 'gaussian':
                for var, (low, high) in enumerate(config.ranges):
                    spacing = (high - low) / (config.fields - 1)
                    ints.append([SEG_GAUSSIAN, n_inputs, config.fields, len(floats), 1, var,
                                 0, 0, 0])
                    floats += [low, high, config.field_width * spacing]
                    names += [f'gauss[{var}][{k}]' for k in range(config.fields)]
                    n_inputs += config.fields
            else:
                if seg == 'boxes':
                    groups = [(tuple(range(4)), config.box_edges)]
                else:
                    groups = [(pair, tuple(_uniform_edges(config.ranges[v], config.grid_bins)
                                           for v in pair)) for pair in config.grid_pairs]
                for variables, edges in groups:
                    count = math.prod(len(e) + 1 for e in edges)
                    header = [SEG_BOXES, n_inputs, count, len(floats), len(variables)]
                    header += list(variables) + [0] * (4 - len(variables))
                    ints.append(header)
                    for e in edges:
                        floats += [float(len(e))] + [float(v) for v in e]
                    names += [f'{seg}{list(variables)}[{k}]' for k in range(count)]
                    n_inputs += count
        self.ints = np.array(ints, dtype=np.int64).reshape(-1, HEADER)
        self.floats = np.array(floats, dtype=np.float64)
        self.n_inputs = n_inputs
        self.names = names


def _uniform_edges(value_range: tuple[float, float], bins: int) -> tuple[float, ...]:
    low, high = value_range
    return tuple(low + (high - low) * k / bins for k in range(1, bins))


@kernel
def encode(obs, ints, floats, out_idx, out_act):
    """Write the active inputs' indices and activations; return how many there are."""
    n = 0
    for s in range(ints.shape[0]):
        kind = ints[s, 0]
        first = ints[s, 1]
        count = ints[s, 2]
        f0 = ints[s, 3]
        if kind == SEG_GAUSSIAN:
            low = floats[f0]
            high = floats[f0 + 1]
            sigma = floats[f0 + 2]
            x = min(max(obs[ints[s, 5]], low), high)
            spacing = (high - low) / (count - 1)
            for k in range(count):
                z = (x - (low + k * spacing)) / sigma
                a = math.exp(-0.5 * z * z)
                if a > 1e-3:
                    out_idx[n] = first + k
                    out_act[n] = a
                    n += 1
        else:
            index = 0
            f = f0
            for v in range(ints[s, 4]):
                n_edges = int(floats[f])
                x = obs[ints[s, 5 + v]]
                b = 0
                while b < n_edges and floats[f + 1 + b] <= x:
                    b += 1
                index = index * (n_edges + 1) + b
                f += 1 + n_edges
            out_idx[n] = first + index
            out_act[n] = 1.0
            n += 1
    return n
