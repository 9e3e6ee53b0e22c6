"""The critic section: the spiking critic's V+ and V- halves."""

from dataclasses import dataclass

from memsnn_controller.common import checks
from memsnn_controller.snn.config.base import _pair, _Section


@dataclass(frozen=True)
class CriticConfig(_Section):
    """A spiking critic: V+ and V- halves of LIF neurons with the same random biases.

    V = value_scale * (count(V+) - count(V-)) / (neurons_per_half * vbase), vbase being the
    spontaneous spike count per neuron per tick. Membranes restart each tick from a fixed per-neuron
    value drawn from ``reset_range`` (a deterministic read-out when noise is 0).
    dead_zone: no critic write while |M| is below it (on top of learning.dead_zone).
    write_step: the critic's requested changes are summed per synapse and programmed together
      once |sum| >= write_step (0: each at once; analog devices only).
    """

    enabled: bool = True
    neurons_per_half: int = 150
    bias_range: tuple[float, float] = (3.0, 6.0)
    noise: float = 0.0
    gain: float = 2.0
    eta: float = 0.00375
    tau_e: float = 0.09
    reset_each_tick: bool = True
    reset_range: tuple[float, float] = (0.0, 1.0)
    value_scale: float = 1.5
    gamma: float = 0.95
    dead_zone: float = 0.0
    write_step: float = 0.0

    _path = 'critic'

    def validate(self) -> None:
        self._require('neurons_per_half', checks.integer(1))
        self._require('bias_range', _pair())
        self._require('noise', checks.non_negative)
        self._require('gain', checks.positive)
        self._require('eta', checks.non_negative)
        self._require('tau_e', checks.positive)
        self._require('reset_range', _pair())
        self._require('value_scale', checks.positive)
        self._require('gamma', checks.in_range(0, 1))
        self._require('dead_zone', checks.non_negative)
        self._require('write_step', checks.non_negative)
