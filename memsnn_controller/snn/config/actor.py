"""The actor section: two LIF populations, one per action, and their decoder."""

from dataclasses import dataclass
from typing import Literal

from memsnn_controller.common import checks
from memsnn_controller.snn.config.base import _Section

Decoder = Literal['discrete', 'continuous']


@dataclass(frozen=True)
class ActorConfig(_Section):
    """Two LIF populations (push left, push right); the one with more spikes wins the tick.

    decoder 'discrete': force = +-force_limit (gymnasium action 1 = right); 'continuous':
    force = force_limit * (n_right - n_left) / (n_right + n_left), 0 when both are silent.
    bias_spread: each neuron's bias is drawn from bias + U(-bias_spread, bias_spread) (a random
      stream of its own, so the other draws do not depend on it).
    inhibition: mutual inhibition between the populations; each population's input current is
      lowered by I, I <- exp(-dt / inhibition_tau_ms) I + inhibition * (the other population's
      spikes in the step), I = 0 at each tick start; inhibition_tau_ms 0 keeps the last step only.
    dead_zone: no actor write while |M| is below it (on top of learning.dead_zone).
    write_step: the actor's requested changes eta M e are summed per synapse and programmed
      together once |sum| >= write_step (0: each at once; analog devices only).
    """

    neurons_per_side: int = 20
    bias: float = 1.5
    bias_spread: float = 0.0
    noise: float = 0.02
    gain: float = 4.0
    eta: float = 0.0025
    tau_e: float = 0.2
    reset_each_tick: bool = True
    decoder: Decoder = 'discrete'
    force_limit: float = 10.0
    inhibition: float = 0.0
    inhibition_tau_ms: float = 0.0
    dead_zone: float = 0.0
    write_step: float = 0.0

    _path = 'actor'

    def validate(self) -> None:
        self._require('neurons_per_side', checks.integer(1))
        self._require('bias', checks.number)
        self._require('noise', checks.non_negative)
        self._require('gain', checks.positive)
        self._require('eta', checks.non_negative)
        self._require('tau_e', checks.positive)
        self._require('decoder', checks.one_of('discrete', 'continuous'))
        self._require('force_limit', checks.positive)
        for name in ('bias_spread', 'inhibition', 'inhibition_tau_ms', 'dead_zone', 'write_step'):
            self._require(name, checks.non_negative)
