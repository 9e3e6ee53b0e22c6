"""The device section: the memristor model of every synapse and its non-idealities."""

from dataclasses import dataclass
from typing import Literal

from memsnn_controller.common import checks
from memsnn_controller.snn.config.base import _levels, _Section

DeviceModel = Literal['ppx', 'nc', 'ideal']
Rounding = Literal['stochastic', 'nearest', 'accumulate']
Stuck = Literal['last', 'low', 'high']


@dataclass(frozen=True)
class DeviceConfig(_Section):
    """Every synapse is a differential pair of memristors with normalized conductance w in [0, 1].

    model: 'ppx' (parylene), 'nc' (CoFeB-LiNbO3 nanocomposite) or 'ideal' (linear, state-free).
    Non-idealities, each off by default: ``levels`` (N quantized conductance states, 0 = analog)
    with 'stochastic' or 'nearest' rounding, or 'accumulate' (a per-device register sums the
    requested changes and programs whole levels once they add up to one); ``c2c_noise``
    (multiplicative cycle-to-cycle write noise, the std of a Gaussian factor); ``d2d_spread``
    (lognormal device-to-device spread of each device's conductance window); ``w_floor`` (a
    lowest reachable w; null = the model's own: 0.01 for NC, whose multiplicative law makes
    w = 0 absorbing, 0 otherwise); ``write_threshold`` (no programming when
    |requested change| is below it).

    Wear and time (docs/science.md section 5.7), each off by default:
    endurance: the median number of programming cycles (writes) a device survives; each device's
      own lifetime is endurance x exp(endurance_spread xi), xi ~ N(0, 1) drawn once (lognormal);
      0 = unlimited. A device that has used its lifetime is failed and ignores every later write:
      ``stuck`` 'last' keeps its last conductance, 'low' falls to the floor, 'high' to w = 1.
    retention_tau_s: after a write the conductance relaxes toward ``retention_rest`` (null: the
      devices' start value init_mean), w <- rest + (w - rest) exp(-t / retention_tau_s), t the
      time since it was last brought up to date; 0 = no relaxation. Failed devices do not relax.
    read_noise: every read of a device's conductance (each input spike reads its row) is
      w (1 + read_noise xi), xi ~ N(0, 1) drawn per device and read.
    """

    model: DeviceModel = 'ppx'
    init_mean: float = 0.3
    init_std: float = 0.0
    levels: int = 0
    rounding: Rounding = 'stochastic'
    c2c_noise: float = 0.0
    d2d_spread: float = 0.0
    w_floor: float | None = None
    write_threshold: float = 0.0
    g_max_ms: float = 10.0
    on_off_ratio: float = 100.0
    endurance: float = 0.0
    endurance_spread: float = 0.5
    stuck: Stuck = 'last'
    retention_tau_s: float = 0.0
    retention_rest: float | None = None
    read_noise: float = 0.0

    _path = 'device'

    @property
    def floor(self) -> float:
        """The lowest reachable w: ``w_floor``, or the model's own when it is null."""
        if self.w_floor is not None:
            return self.w_floor
        return 0.01 if self.model == 'nc' else 0.0

    @property
    def rest(self) -> float:
        """The conductance a device relaxes toward: ``retention_rest``, or ``init_mean``."""
        return self.init_mean if self.retention_rest is None else self.retention_rest

    def validate(self) -> None:
        self._require('model', checks.one_of('ppx', 'nc', 'ideal'))
        self._require('init_mean', checks.in_range(0, 1))
        self._require('init_std', checks.non_negative)
        self._require('levels', _levels)
        self._require('rounding', checks.one_of('stochastic', 'nearest', 'accumulate'))
        self._require('c2c_noise', checks.non_negative)
        self._require('d2d_spread', checks.non_negative)
        if self.w_floor is not None:
            self._require('w_floor', checks.in_range(0, 1, high_open=True))
        self._require('write_threshold', checks.non_negative)
        self._require('g_max_ms', checks.positive)
        self._require('on_off_ratio', checks.above(1))
        self._require('endurance', checks.non_negative)
        self._require_that(self.endurance == 0 or self.endurance >= 1, 'endurance',
                           'must be 0 (unlimited) or a number of writes >= 1')
        self._require('endurance_spread', checks.non_negative)
        self._require('stuck', checks.one_of('last', 'low', 'high'))
        self._require('retention_tau_s', checks.non_negative)
        if self.retention_rest is not None:
            self._require('retention_rest', checks.in_range(self.floor, 1))
        self._require('read_noise', checks.non_negative)
