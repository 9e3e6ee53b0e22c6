"""Leaky integrate-and-fire neurons.

Per neural step of dt (default 1 ms), for a neuron that is not refractory:
    v <- v * exp(-dt / tau_m) + (1 - exp(-dt / tau_m)) * bias + sigma * xi + I,
    I = sum over input spikes i this step of gain * (s+_i w+_i - s-_i w-_i),   xi ~ N(0, 1);
    if v >= threshold: spike, v <- reset, silent for refractory_ms.
bias is the constant drive (v relaxes towards it with time constant tau_m), sigma the exploration
noise. A control tick of period T runs K = T / dt steps in one compiled call (kernels.py); where
``reset_each_tick`` is set, membranes restart each tick from a fixed per-neuron value and the
refractory counters clear, which makes the spike counts of a tick a function of that tick's input.
"""

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from memsnn_controller.snn.config import NeuronConfig


def decay_factor(dt_ms: float, tau_m_ms: float) -> float:
    """exp(-dt / tau_m): the per-step membrane decay."""
    return math.exp(-dt_ms / tau_m_ms)


def refractory_steps(refractory_ms: float, dt_ms: float) -> int:
    """Whole steps of silence after a spike."""
    return int(round(refractory_ms / dt_ms))


def spontaneous_counts(bias: ArrayLike, start_v: ArrayLike, neuron: 'NeuronConfig', substeps: int,
                       ticks: int = 1, reset_each_tick: bool = True) -> NDArray[np.float64]:
    """Mean spike count per tick of noise-free LIF neurons driven by bias alone.

    With ``reset_each_tick`` each tick starts from ``start_v``; otherwise the membranes carry over
    and the mean over ``ticks`` ticks (after one tick of settling) is returned.
    """
    bias = np.asarray(bias, dtype=float)
    decay = decay_factor(neuron.dt_ms, neuron.tau_m_ms)
    refr_steps = refractory_steps(neuron.refractory_ms, neuron.dt_ms)
    v = np.broadcast_to(np.asarray(start_v, dtype=float), bias.shape).copy()
    refractory = np.zeros(bias.shape)
    counts = np.zeros(bias.shape)
    settle = 0 if reset_each_tick else 1
    for tick in range(settle + ticks):
        if reset_each_tick:
            v[:] = start_v
            refractory[:] = 0.0
        for _ in range(substeps):
            silent = refractory > 0.0
            refractory[silent] -= 1.0
            new_v = v * decay + (1.0 - decay) * bias
            spikes = ~silent & (new_v >= neuron.threshold)
            new_v[spikes] = neuron.reset
            refractory[spikes] = refr_steps
            if tick >= settle:
                counts += spikes
            v = np.where(silent, v, new_v)
    return counts / ticks
