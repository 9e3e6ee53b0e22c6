"""The energy section: the constants of the energy estimate."""

from dataclasses import dataclass, fields

from memsnn_controller.common import checks
from memsnn_controller.snn.config.base import _Section


@dataclass(frozen=True)
class EnergyConfig(_Section):
    """Constants of the energy estimate (energy.py; docs/science.md section 14 gives each one's
    source or says that it is assumed). Nothing here changes what the network does.

    A device dissipates E = V^2 G t in a pulse of voltage V and width t at conductance G; the
    estimate takes every device at its highest conductance, ``device.g_max_ms`` (an upper
    bound). Reads: one read pulse on both devices of a synapse per synaptic event. Writes: one
    write pulse per device write. Neurons: ``neuron_update_pj`` per membrane update (a digital
    neuron). ``digital_*``: a digital neuromorphic chip's published figures (Intel Loihi), for
    the same counts as a comparison.
    """

    read_voltage_v: float = 0.1
    read_pulse_ns: float = 10.0
    write_voltage_v: float = 1.0
    write_pulse_ns: float = 100.0
    neuron_update_pj: float = 81.0
    digital_synop_pj: float = 23.6
    digital_neuron_update_pj: float = 81.0
    digital_synapse_update_pj: float = 120.0

    _path = 'energy'

    def validate(self) -> None:
        for f in fields(self):
            self._require(f.name, checks.non_negative)
