"""The learning section: traces, the modulatory signal, annealing and the reopening."""

from dataclasses import dataclass
from typing import Literal

from memsnn_controller.common import checks
from memsnn_controller.snn.config.base import _Section

Eligibility = Literal['role', 'window', 'mstdpet', 'local']
Modulator = Literal['td', 'reward']


@dataclass(frozen=True)
class LearningConfig(_Section):
    """Traces, the modulatory signal and the device writes (see snn/plasticity.py).

    eligibility: 'role' (presynaptic spikes x the sign of the population's role: +1 chosen action
      or V+, -1 the other action or V-), 'window' (the device's own pre/post pairing window),
      'mstdpet' (Florian 2007) or 'local' (the actor's synapses: their own pre/post pairs through
      the device's window, never the action; the critic's: presynaptic spikes x +1 onto V+, -1
      onto V-; role_sign is not used).
    modulator: 'td' (the critic's TD error) or 'reward' (the reward minus its moving average;
      no critic).
    dead_zone: no write while |M| is below it. anneal: at each episode start, with
      perf = trailing mean episode length / anneal_target_length, scale the learning rates by
      max(eta_floor, 1 - perf) and the actor noise by max(noise_floor, 1 - perf).
    reopen_window > 0 reopens plasticity after a drop (Agent.reset, docs/science.md section
      9.1): once the trailing anneal_window mean has reached reopen_after x
      anneal_target_length, a trailing window of reopen_window episodes whose mean falls below
      the long one gives the shortfall d = 1 - mean_short / anneal_target_length; the rate
      scale is then at least min(reopen_eta_max, reopen_gain x d), the noise scale at least
      min(1, d) (with reopen_noise), and the dead zone dead_zone x max(0, 1 -
      reopen_dead_zone_gain x d). reopen_window 0 keeps the plain annealing. Before the first
      solve it changes nothing; it reads episode lengths only, never the plant.
    """

    enabled: bool = True
    eligibility: Eligibility = 'role'
    modulator: Modulator = 'td'
    role_sign: bool = True
    dead_zone: float = 0.05
    pre_norm: float = 0.0
    trace_eps: float = 1e-3
    reset_traces_each_episode: bool = True
    anneal: bool = True
    anneal_window: int = 100
    anneal_target_length: float = 500.0
    eta_floor: float = 0.02
    noise_floor: float = 0.5
    reopen_window: int = 10
    reopen_after: float = 0.95
    reopen_gain: float = 4.0
    reopen_eta_max: float = 2.0
    reopen_noise: bool = True
    reopen_dead_zone_gain: float = 4.0
    window_ms: float = 150.0
    tick_gated: bool = False
    history: int = 64
    tau_plus_ms: float = 20.0
    tau_minus_ms: float = 20.0
    a_plus: float = 1.0
    a_minus: float = 1.0
    baseline_tau: float = 100.0

    _path = 'learning'

    def validate(self) -> None:
        self._require('eligibility', checks.one_of('role', 'window', 'mstdpet', 'local'))
        self._require('modulator', checks.one_of('td', 'reward'))
        self._require('dead_zone', checks.non_negative)
        self._require('pre_norm', checks.non_negative)
        self._require('trace_eps', checks.positive)
        self._require('anneal_window', checks.integer(1))
        self._require('anneal_target_length', checks.positive)
        self._require('eta_floor', checks.in_range(0, 1))
        self._require('noise_floor', checks.in_range(0, 1))
        self._require('reopen_window', checks.integer(0))
        self._require_that(self.reopen_window <= self.anneal_window, 'reopen_window',
                           f'must not exceed anneal_window ({self.anneal_window}): it is the '
                           f'short window')
        self._require('reopen_after', checks.in_range(0, 1, low_open=True))
        self._require('reopen_gain', checks.positive)
        self._require('reopen_eta_max', checks.positive)
        self._require('reopen_noise', checks.boolean)
        self._require('reopen_dead_zone_gain', checks.non_negative)
        self._require('window_ms', checks.positive)
        self._require('history', checks.integer(1))
        self._require('tau_plus_ms', checks.positive)
        self._require('tau_minus_ms', checks.positive)
        self._require('a_plus', checks.non_negative)
        self._require('a_minus', checks.non_negative)
        self._require('baseline_tau', checks.positive)
