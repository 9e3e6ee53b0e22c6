"""The device section: the memristor model of every synapse and its non-idealities."""

from dataclasses import dataclass
from typing import Literal

from memsnn_controller.common import checks
from memsnn_controller.snn.config.base import _levels, _Section

DeviceModel = Literal['ppx', 'nc', 'ideal']
Rounding = Literal['stochastic', 'nearest', 'accumulate']


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

    _path = 'device'

    @property
    def floor(self) -> float:
        """The lowest reachable w: ``w_floor``, or the model's own when it is null."""
        if self.w_floor is not None:
            return self.w_floor
        return 0.01 if self.model == 'nc' else 0.0

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
