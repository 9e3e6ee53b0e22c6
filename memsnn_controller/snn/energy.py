"""An ESTIMATE of the energy the learning core would take on memristive hardware, from the
activity it counts (kernels.tick's Output) and stated constants (config.EnergyConfig).

Per control tick, with n neurons, K neural steps and every device at its highest conductance
G = device.g_max_ms (an upper bound):

    synaptic events  S = input_spikes x n         (an input spike reaches every neuron)
    E_read   = S x 2 V_r^2 G t_r                  (both devices of a pair are read)
    E_write  = writes x V_w^2 G t_w               (a write: one device changed its state)
    E_neuron = neuron_updates x E_update          (K x n membrane updates)
    E = E_read + E_write + E_neuron

and, for comparison, the same counts on a digital neuromorphic chip at its published energies
per operation (Intel Loihi; a synapse update for every two device writes, since a pair's two
devices are programmed together):

    E_digital = S x E_synop + neuron_updates x E_neuron_digital + writes / 2 x E_synapse_update

What it leaves out, each an assumption (docs/science.md section 14): peripheral circuits
(drivers, sense amplifiers, ADCs, spike routing), the write attempts that change no state (a
write-verify scheme would skip them), leakage, the host computing the reward, encoder and
decoder. It is an order-of-magnitude figure, labelled as an estimate wherever it is reported.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict

if TYPE_CHECKING:
    from memsnn_controller.snn.config import AgentConfig

PJ = 1e-12


class Activity(NamedTuple):
    """What the network did over some ticks (counted by the kernel and the agent)."""

    ticks: int = 0              # kernel calls (an episode of n steps has n + 1: the last one
    #                             learns from the episode's end)
    input_spikes: int = 0
    neuron_updates: int = 0
    writes: int = 0             # device writes (state changes)
    timed_ticks: int = 0        # the ticks of this process, whose time was measured
    tick_ns: int = 0            # their measured time (perf_counter around the compiled call), ns

    def __add__(self, other: tuple[int, ...]) -> 'Activity':  # type: ignore[override]
        # (element-wise, where a tuple concatenates: Activity sums are what the counts need)
        return Activity(*(a + b for a, b in zip(self, other)))


class EnergyEstimate(NamedTuple):
    """Energies in joules, for the activity they were estimated from."""

    synaptic_events: int
    read_j: float
    write_j: float
    neuron_j: float
    digital_j: float

    @property
    def total_j(self) -> float:
        return self.read_j + self.write_j + self.neuron_j


def activity_of_state(state: Mapping[str, Any]) -> Activity | None:
    """The run's Activity from an agent's exported state (a checkpoint's arrays); None for a
    checkpoint written before the activity counters."""
    counts = state.get('activity')
    if counts is None or len(counts) != 3:
        return None
    ticks, spikes, updates = (int(v) for v in counts)
    return Activity(ticks, spikes, updates, int(state['counters'][1]))


def network_neurons(config: 'AgentConfig') -> int:
    """Neurons of the network an AgentConfig builds: 2 actor sides (+ 2 critic halves)."""
    critic = 2 * config.critic.neurons_per_half if config.critic.enabled else 0
    return 2 * config.actor.neurons_per_side + critic


def device_pulse_j(voltage_v: float, conductance_ms: float, pulse_ns: float) -> float:
    """E = V^2 G t of one pulse, in joules (G in mS, t in ns)."""
    return voltage_v ** 2 * conductance_ms * 1e-3 * pulse_ns * 1e-9


def estimate(activity: Activity, n_neurons: int, config: 'AgentConfig') -> EnergyEstimate:
    """The EnergyEstimate of ``activity`` for a network of ``n_neurons`` neurons built from the
    AgentConfig ``config`` (its ``energy`` constants and ``device.g_max_ms``)."""
    e, g = config.energy, config.device.g_max_ms
    events = int(activity.input_spikes) * int(n_neurons)
    read = events * 2.0 * device_pulse_j(e.read_voltage_v, g, e.read_pulse_ns)
    write = activity.writes * device_pulse_j(e.write_voltage_v, g, e.write_pulse_ns)
    neuron = activity.neuron_updates * e.neuron_update_pj * PJ
    digital = (events * e.digital_synop_pj + activity.neuron_updates * e.digital_neuron_update_pj
               + activity.writes / 2.0 * e.digital_synapse_update_pj) * PJ
    return EnergyEstimate(events, read, write, neuron, digital)


# The summary's energy fields (summary.json, results tables, diagnostics), per tick unless
# named otherwise; every energy is labelled an estimate, tick_us is measured.
SUMMARY_KEYS = ('energy_estimate_nj_per_tick', 'energy_estimate_read_nj_per_tick',
                'energy_estimate_write_nj_per_tick', 'energy_estimate_neuron_nj_per_tick',
                'energy_estimate_digital_nj_per_tick', 'energy_estimate_uj_per_episode',
                'tick_us')


class EnergySummary(TypedDict, total=False):
    """The energy fields of a run's summary (SUMMARY_KEYS)."""

    energy_estimate_nj_per_tick: float | None
    energy_estimate_read_nj_per_tick: float | None
    energy_estimate_write_nj_per_tick: float | None
    energy_estimate_neuron_nj_per_tick: float | None
    energy_estimate_digital_nj_per_tick: float | None
    energy_estimate_uj_per_episode: float | None
    tick_us: float | None


def summary(activity: Activity, episodes: int, n_neurons: int,
            config: 'AgentConfig') -> EnergySummary:
    """The energy fields of a run's summary (SUMMARY_KEYS; None where there is no tick)."""
    if activity.ticks <= 0:
        return {'energy_estimate_nj_per_tick': None, 'energy_estimate_read_nj_per_tick': None,
                'energy_estimate_write_nj_per_tick': None,
                'energy_estimate_neuron_nj_per_tick': None,
                'energy_estimate_digital_nj_per_tick': None,
                'energy_estimate_uj_per_episode': None, 'tick_us': None}
    est = estimate(activity, n_neurons, config)
    per_tick = 1e9 / activity.ticks
    return {
        'energy_estimate_nj_per_tick': est.total_j * per_tick,
        'energy_estimate_read_nj_per_tick': est.read_j * per_tick,
        'energy_estimate_write_nj_per_tick': est.write_j * per_tick,
        'energy_estimate_neuron_nj_per_tick': est.neuron_j * per_tick,
        'energy_estimate_digital_nj_per_tick': est.digital_j * per_tick,
        'energy_estimate_uj_per_episode': est.total_j * 1e6 / episodes if episodes else None,
        'tick_us': (activity.tick_ns / activity.timed_ticks / 1000.0 if activity.timed_ticks
                    else None),
    }


def diagnostic_values(activity: Activity, episodes: int, n_neurons: int,
                      config: 'AgentConfig') -> dict[str, str]:
    """The summary's fields as text for a diagnostic_msgs KeyValue list ('' where undefined)."""
    return {key: '' if value is None else f'{value:.6g}'
            for key, value in summary(activity, episodes, n_neurons, config).items()}
