"""The neuron section: the LIF dynamics shared by every population."""

from dataclasses import dataclass

from memsnn_controller.common import checks
from memsnn_controller.snn.config.base import _Section


@dataclass(frozen=True)
class NeuronConfig(_Section):
    """Leaky integrate-and-fire dynamics shared by every population (times in ms).

    Per neural step of dt: v <- v * exp(-dt/tau_m) + (1 - exp(-dt/tau_m)) * bias + sigma * xi
    + sum of input spikes * gain * (w+ - w-); a spike when v >= threshold, then v <- reset and the
    neuron is silent for ``refractory_ms``.
    """

    dt_ms: float = 1.0
    tau_m_ms: float = 20.0
    threshold: float = 1.0
    reset: float = 0.0
    refractory_ms: float = 2.0

    _path = 'neuron'

    def validate(self) -> None:
        self._require('dt_ms', checks.positive)
        self._require('tau_m_ms', checks.positive)
        self._require('threshold', checks.number)
        self._require('reset', checks.number)
        self._require_that(self.reset < self.threshold, 'reset', 'must be below the threshold')
        self._require('refractory_ms', checks.non_negative)
