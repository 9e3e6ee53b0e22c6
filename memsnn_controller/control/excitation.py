"""An excitation for identifying a rig: a tapered frequency sweep, then friction steps.

    exc = Excitation.for_motor('dc', limit=6.0)     # volts for a DC motor's amplifier
    exc.command(3.2)                               # the command at t = 3.2 s after the start
    t, u = exc.samples(0.02)                       # the whole of it, one value per period

Sent open loop with the pole hanging (nothing balances, nothing can fall), it moves the cart
back and forth around where it started; ``memsnn-identify`` fits the plant to the recording
(experiments/identification.py) and ``memsnn-identify --excite`` prints or writes it. Pure: a
function of time, no state, no ROS.

The command, u(t), in the command's unit (V for a DC motor, N for a force motor), is 0 for
``lead`` seconds, then the sweep for ``sweep_seconds``, then 0 for ``rest`` seconds, then the
steps, then 0:

    sweep:  u(t) = A / (2 pi knee)^n  d^n/dt^n [ w(t) s(f(t)) sin(phi(t)) ],   n = order
            t from the sweep's start, T_s = sweep_seconds, A = amplitude
            f(t) = f0 (f1 / f0)^(t / T_s)                              (logarithmic sweep)
            phi(t) = 2 pi f0 T_s / ln(f1 / f0) ((f1 / f0)^(t / T_s) - 1)
            s(f) = (1 + (f / knee)^(2 n))^(-1/2)
            w(t) = sin^2(pi t / (2 taper)) within taper of either end, else 1

    steps:  for each level L of step_levels, a doublet: +L for step_seconds, -L for
            2 step_seconds, +L for step_seconds, then 0 for step_seconds

Why these shapes: the sweep is the n-th derivative of a displacement that starts and ends at 0
with its derivatives, so its commands add up to no net push: a DC motor's cart moves at a
speed about proportional to the voltage (n = 1), a force motor's cart is a mass (n = 2), and
either ends the sweep about where it started, whatever its mass or motor constant. The
displacement's size s(f) is constant below ``knee`` and falls as f^-n above it, so the
command's amplitude rises as f^n up to the knee and stays about A above it (A / sqrt 2 at
the knee). The sweep passes through the hanging pole's swing frequency (about
sqrt(3 g / (2 L)) / (2 pi), 0.76 Hz for a 0.64 m pole), which makes the pole's length and mass
visible in the cart's motion; the taper starts and ends it without a jolt. The doublets hold the
cart at a few steady speeds, which separates dry (Coulomb) friction from viscous friction, and
return it to about where it started (for a symmetric plant, exactly). Every level must stay
within the motor's limit (``limit``: voltage_limit, or the force limit).
"""

from dataclasses import dataclass
import math
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Motor = Literal['dc', 'force']
# The step of the central differences that take the sweep's derivatives (s).
_DIFFERENCE_STEP = 1e-4
F64 = NDArray[np.float64]


def _positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f'excitation: {name} must be a number > 0, got {value!r}')


def _non_negative(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f'excitation: {name} must be a number >= 0, got {value!r}')


@dataclass(frozen=True)
class Excitation:
    """The excitation's parameters (module docstring); every one is checked (ValueError)."""

    amplitude: float
    limit: float
    unit: str = 'V'
    f0: float = 0.2
    f1: float = 3.0
    sweep_seconds: float = 16.0
    knee: float = 1.0
    order: int = 1
    taper: float = 1.0
    step_levels: tuple[float, ...] = ()
    step_seconds: float = 0.4
    lead: float = 1.0
    rest: float = 2.0

    def __post_init__(self) -> None:
        for name in ('amplitude', 'limit', 'f0', 'f1', 'sweep_seconds', 'knee', 'step_seconds'):
            _positive(name, getattr(self, name))
        for name in ('taper', 'lead', 'rest'):
            _non_negative(name, getattr(self, name))
        if self.unit not in ('V', 'N'):
            raise ValueError(f"excitation: unit must be 'V' or 'N', got {self.unit!r}")
        if not self.f1 > self.f0:
            raise ValueError(f'excitation: the sweep must rise (f0 {self.f0} Hz, f1 {self.f1} Hz)')
        if self.order not in (0, 1, 2):
            raise ValueError(f'excitation: order must be 0, 1 or 2, got {self.order!r}')
        if 2.0 * self.taper > self.sweep_seconds:
            raise ValueError('excitation: the tapers (2 x taper) must fit in sweep_seconds')
        object.__setattr__(self, 'step_levels', tuple(float(v) for v in self.step_levels))
        for level in (self.amplitude, *self.step_levels):
            if not (math.isfinite(level) and 0.0 < level <= self.limit):
                raise ValueError(f'excitation: every level must be in (0, limit {self.limit:g} '
                                 f'{self.unit}], got {level!r}')

    @classmethod
    def for_motor(cls, motor: Motor, limit: float) -> 'Excitation':
        """The default excitation for a motor and its limit (V or N). 'dc': the sweep at half
        the limit above 1 Hz (n = 1), doublets of 0.4 s at 0.15, 0.3 and 0.5 of the limit;
        'force': the sweep at 0.3 of the limit above 1.5 Hz (n = 2), doublets of 0.2 s at 0.1,
        0.2 and 0.3 of it (a force motor's cart gathers speed: shorter, smaller pushes).
        ``dataclasses.replace`` changes any field."""
        _positive('limit', limit)
        if motor == 'dc':
            return cls(amplitude=0.5 * limit, limit=limit, unit='V', order=1, knee=1.0,
                       step_seconds=0.4, step_levels=tuple(f * limit for f in (0.15, 0.3, 0.5)))
        if motor == 'force':
            return cls(amplitude=0.3 * limit, limit=limit, unit='N', order=2, knee=1.5,
                       step_seconds=0.2, step_levels=tuple(f * limit for f in (0.1, 0.2, 0.3)))
        raise ValueError(f"excitation: motor must be 'dc' or 'force', got {motor!r}")

    # -- the schedule ---------------------------------------------------------------------------

    @property
    def sweep_start(self) -> float:
        return self.lead

    @property
    def steps_start(self) -> float:
        return self.lead + self.sweep_seconds + self.rest

    @property
    def doublet_seconds(self) -> float:
        """One doublet and its pause."""
        return 5.0 * self.step_seconds

    @property
    def duration(self) -> float:
        """Seconds from the start to the end of the last step's pause."""
        return self.steps_start + len(self.step_levels) * self.doublet_seconds

    def frequency(self, t: float) -> float:
        """The sweep's frequency (Hz) at ``t`` seconds from the start (0 outside the sweep)."""
        s = t - self.sweep_start
        if not 0.0 <= s <= self.sweep_seconds:
            return 0.0
        return self.f0 * (self.f1 / self.f0) ** (s / self.sweep_seconds)

    def _displacement(self, s: float) -> float:
        """g(s), the sweep's displacement shape, ``s`` seconds into the sweep (0 outside)."""
        if not 0.0 <= s <= self.sweep_seconds:
            return 0.0
        ratio = self.f1 / self.f0
        growth = ratio ** (s / self.sweep_seconds)
        f = self.f0 * growth
        phase = 2.0 * math.pi * self.f0 * self.sweep_seconds / math.log(ratio) * (growth - 1.0)
        size = (1.0 + (f / self.knee) ** (2 * self.order)) ** -0.5
        edge = min(s, self.sweep_seconds - s)
        taper = math.sin(0.5 * math.pi * edge / self.taper) ** 2 if edge < self.taper else 1.0
        return taper * size * math.sin(phase)

    def command(self, t: float) -> float:
        """u(t), ``t`` seconds after the start (module docstring); 0 before and after."""
        s = t - self.sweep_start
        if 0.0 <= s < self.sweep_seconds:
            g = self._displacement
            e = _DIFFERENCE_STEP
            if self.order == 0:
                rate = g(s)
            elif self.order == 1:
                rate = (g(s + e) - g(s - e)) / (2.0 * e)
            else:
                rate = (g(s + e) - 2.0 * g(s) + g(s - e)) / (e * e)
            return self.amplitude * rate / (2.0 * math.pi * self.knee) ** self.order
        # Times on a sampling grid land on the steps' edges: a nanosecond's tolerance keeps
        # each edge's sample on the step it starts.
        s = t - self.steps_start + 1e-9
        if s < 0.0:
            return 0.0
        index = math.floor(s / self.step_seconds)
        doublet, part = divmod(index, 5)
        if doublet >= len(self.step_levels):
            return 0.0
        level = self.step_levels[doublet]
        return (level, -level, -level, level, 0.0)[part]

    def samples(self, period: float, extra: float = 0.0) -> tuple[F64, F64]:
        """(t, u): the command at t = 0, period, 2 period, ... up to duration + ``extra``
        (what a controller sends, one value per control period)."""
        _positive('period', period)
        count = int(math.floor((self.duration + extra) / period + 1e-9)) + 1
        times = np.arange(count, dtype=np.float64) * period
        return times, np.array([self.command(float(t)) for t in times], dtype=np.float64)

    def describe(self) -> list[str]:
        """Lines that say what the excitation is."""
        u = self.unit
        levels = ', '.join(f'{v:g}' for v in self.step_levels) or 'none'
        return [
            f'{self.lead:g} s at 0 {u}; a sweep of {self.sweep_seconds:g} s from {self.f0:g} to '
            f'{self.f1:g} Hz (logarithmic), about {self.amplitude:g} {u} above {self.knee:g} Hz, '
            f'falling as f^{self.order} below (the {self.order}. derivative of a displacement '
            f'sweep: no net push), tapered over {self.taper:g} s at each end',
            f'{self.rest:g} s at 0 {u}; doublets (+L, -L, -L, +L, 0; {self.step_seconds:g} s '
            f'each) at L = {levels} {u}',
            f'{self.duration:g} s in all; limit {self.limit:g} {u}; send it with the pole hanging '
            'at rest and the cart in the middle of the track',
        ]
