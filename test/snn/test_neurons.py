"""LIF neurons: spontaneous firing from the closed-form membrane trajectory."""

import math

import numpy as np
import pytest

from memsnn_controller.snn.config import NeuronConfig
from memsnn_controller.snn.neurons import decay_factor, refractory_steps, spontaneous_counts


def test_decay_and_refractory_steps():
    assert decay_factor(1.0, 20.0) == pytest.approx(math.exp(-1 / 20))
    assert refractory_steps(2.0, 1.0) == 2


def test_bias_below_threshold_never_fires_in_one_tick():
    # v(t) = 1.5 (1 - exp(-t/20)) reaches 0.948 at 20 ms: sub-threshold alone (docs/science.md
    # section 4.1).
    assert spontaneous_counts([1.5], 0.0, NeuronConfig(), 20)[0] == 0.0


def test_spontaneous_count_matches_time_to_threshold():
    neuron = NeuronConfig()
    for bias in (3.0, 4.5, 6.0):
        # Steps to reach threshold from 0: smallest n with bias (1 - d^n) >= 1.
        d = decay_factor(1.0, 20.0)
        n = math.ceil(math.log(1 - 1 / bias) / math.log(d))
        period = n + refractory_steps(2.0, 1.0)
        expected = len(range(n, 21, period))  # spike steps n, n + period, ... within 20 steps
        assert spontaneous_counts([bias], 0.0, neuron, 20)[0] == expected


def test_carry_over_mode_averages_over_ticks():
    counts = spontaneous_counts(np.array([4.0]), 0.0, NeuronConfig(), 20, ticks=10,
                                reset_each_tick=False)
    assert 2.0 <= counts[0] <= 4.0
