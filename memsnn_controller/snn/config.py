"""Configuration of the learning core: validated dataclasses, one per part, nested in AgentConfig.

Every field is checked when the dataclass is built; a bad value raises ConfigError naming the
field by its dotted path (e.g. ``actor.eta``). ``AgentConfig.from_dict`` rejects unknown keys, and
``apply_overrides`` sets any field from ``'section.field=value'`` strings (values parsed as YAML).
The defaults are the shipped configuration: the recipe of docs/science.md section 11, with the
synaptic gains raised (actor 4, critic 2) and the rates lowered further (gain x eta 0.01 for the
actor and 0.0075 for the critic, against the recipe's 0.03 and 0.015) so that learned weights need
smaller device excursions around the PPX balance point w* = 0.298, where the SET and RESET laws
are nearly symmetric (less drift), every device starting at w = 0.3 (the exploration noise breaks
the symmetry; with the higher gains a random start spread leaves both actor populations firing
and the continuous decoder's forces weak), and a lower annealing floor for the rates
(docs/science.md section 10; docs/results.md).
"""

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
import math
import os
from typing import Any, ClassVar, Literal

import yaml

from memsnn_controller.common import checks, yaml_values
from memsnn_controller.common.checks import Check

DEG = math.pi / 180.0

# The choices of the string fields (their validate() checks the same lists).
Segment = Literal['boxes', 'gaussian', 'grid']
Coding = Literal['regular', 'poisson', 'latency']
Decoder = Literal['discrete', 'continuous']
DeviceModel = Literal['ppx', 'nc', 'ideal']
Rounding = Literal['stochastic', 'nearest', 'accumulate']
Eligibility = Literal['role', 'window', 'mstdpet', 'local']
Modulator = Literal['td', 'reward']


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the field."""


def _require(field: str, value: object, *tests: Check) -> None:
    checks.require(field, value, *tests, error=ConfigError)


def _require_that(ok: bool, field: str, reason: str, *value: object) -> None:
    checks.require_that(ok, field, reason, *value, error=ConfigError)


def _pair(lower: float = -math.inf) -> Check:
    """A pair (low, high) of finite numbers with lower <= low <= high."""
    def check(value: Any) -> str | None:
        if not (isinstance(value, (tuple, list)) and len(value) == 2):
            return 'must be a pair (low, high)'
        if not (checks.is_number(value[0]) and checks.is_number(value[1])):
            return 'must be a pair of finite numbers'
        return None if lower <= value[0] <= value[1] else f'must satisfy {lower} <= low <= high'
    return check


def _edges(value: Any) -> str | None:
    """A non-empty, strictly increasing list of finite bin edges."""
    if not (isinstance(value, (tuple, list)) and len(value) >= 1):
        return 'must be a non-empty list of edges'
    if not all(checks.is_number(v) for v in value):
        return 'must be a list of finite numbers'
    return None if all(a < b for a, b in zip(value, value[1:])) else \
        'edges must be strictly increasing'


def _index_pair(value: Any) -> str | None:
    if isinstance(value, tuple) and len(value) == 2 and all(
            isinstance(v, int) and 0 <= v < 4 for v in value) and value[0] != value[1]:
        return None
    return 'pairs must be two different indices in 0..3'


def _levels(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and (value == 0 or value >= 2):
        return None
    return 'must be 0 (analog) or an integer >= 2'


class _Section:
    """Validation hook shared by the config sections; ``_path`` prefixes error messages."""

    _path = ''
    __dataclass_fields__: ClassVar[dict[str, Any]]   # every section is a dataclass

    def __post_init__(self) -> None:
        # Lists from YAML become tuples so that configs stay hashable and comparable.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                object.__setattr__(self, f.name, _tuplify(value))
        self.validate()

    def validate(self) -> None:
        raise NotImplementedError

    def _field(self, name: str) -> str:
        return f'{self._path}.{name}' if self._path else name

    def _require(self, name: str, *tests: Check) -> None:
        """ConfigError naming ``section.name`` unless the field passes every check."""
        _require(self._field(name), getattr(self, name), *tests)

    def _require_that(self, ok: bool, name: str, reason: str) -> None:
        _require_that(ok, self._field(name), reason, getattr(self, name))


def _tuplify(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_tuplify(v) for v in value)
    return value


# The Barto-Sutton-Anderson (1983) boxes: 3 x 3 x 6 x 3 = 162 regions of the state space.
BSA_BOX_EDGES = (
    (-0.8, 0.8),                                # x (m)
    (-0.5, 0.5),                                # x_dot (m/s)
    (-6 * DEG, -1 * DEG, 0.0, 1 * DEG, 6 * DEG),  # theta (rad)
    (-50 * DEG, 50 * DEG),                      # theta_dot (rad/s)
)

STATE_NAMES = ('x', 'x_dot', 'theta', 'theta_dot')


@dataclass(frozen=True)
class EncoderConfig(_Section):
    """State -> input spike trains.

    segments: which encoders feed the input layer, concatenated in this order:
      'boxes'    one input per box of the product of bins over ``box_edges`` (one fires at a time);
      'gaussian' ``fields`` Gaussian receptive fields per state variable over ``ranges``;
      'grid'     one input per cell of a ``grid_bins`` x ``grid_bins`` grid over each pair in
                 ``grid_pairs`` (uniform cells over ``ranges``; values clipped into the grid).
    coding: 'regular' (a deterministic phase accumulator per input, reset to ``phase`` at every
      tick start when ``phase_reset``), 'poisson' (a spike with probability rate*dt per step) or
      'latency' (one spike per tick, earlier for stronger activation:
      t = latency_max_ms * (1 - activation), none below ``latency_min_activation``).
    """

    segments: tuple[Segment, ...] = ('boxes',)
    coding: Coding = 'regular'
    max_rate_hz: float = 200.0
    phase: float = 0.5
    phase_reset: bool = True
    box_edges: tuple[tuple[float, ...], ...] = BSA_BOX_EDGES
    ranges: tuple[tuple[float, float], ...] = ((-2.4, 2.4), (-3.0, 3.0), (-12 * DEG, 12 * DEG),
                                               (-3.5, 3.5))
    fields: int = 15
    field_width: float = 1.0
    grid_pairs: tuple[tuple[int, int], ...] = ((2, 3),)
    grid_bins: int = 7
    latency_max_ms: float = 15.0
    latency_min_activation: float = 0.1

    _path = 'encoder'

    def validate(self) -> None:
        self._require_that(isinstance(self.segments, tuple) and len(self.segments) >= 1,
                           'segments', 'must be a non-empty list')
        for seg in self.segments:
            _require(self._field('segments'), seg, checks.one_of('boxes', 'gaussian', 'grid'))
        self._require_that(len(set(self.segments)) == len(self.segments), 'segments',
                           'lists a segment twice')
        self._require('coding', checks.one_of('regular', 'poisson', 'latency'))
        self._require('max_rate_hz', checks.positive)
        self._require('phase', checks.in_range(0, 1, high_open=True))
        self._require_that(isinstance(self.box_edges, tuple) and len(self.box_edges) == 4,
                           'box_edges', 'must hold one list of edges per state variable (4)')
        for name, edges in zip(STATE_NAMES, self.box_edges):
            _require(self._field(f'box_edges.{name}'), edges, _edges)
        self._require_that(isinstance(self.ranges, tuple) and len(self.ranges) == 4, 'ranges',
                           'must hold one (low, high) per state variable (4)')
        for name, r in zip(STATE_NAMES, self.ranges):
            _require(self._field(f'ranges.{name}'), r, _pair())
            _require_that(r[0] < r[1], self._field(f'ranges.{name}'), 'must have low < high', r)
        self._require('fields', checks.integer(2))
        self._require('field_width', checks.positive)
        self._require_that(isinstance(self.grid_pairs, tuple) and len(self.grid_pairs) >= 1,
                           'grid_pairs', 'must be a non-empty list of variable index pairs')
        for pair in self.grid_pairs:
            _require(self._field('grid_pairs'), pair, _index_pair)
        self._require('grid_bins', checks.integer(2))
        self._require('latency_max_ms', checks.positive)
        self._require('latency_min_activation', checks.in_range(0, 1, high_open=True))


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


@dataclass(frozen=True)
class RewardConfig(_Section):
    """Which reward function (snn/rewards.py) and its constants.

    Per-step shaping terms are multiplied by ``scale`` so that discounted returns stay within the
    critic's range; a failure (termination) earns ``failure_reward``.
    """

    name: str = 'sparse'
    scale: float = 0.05
    failure_reward: float = -1.0
    baseline_tau: float = 100.0
    position_weight: float = 0.5

    _path = 'reward'

    def validate(self) -> None:
        from memsnn_controller.snn.rewards import REWARDS

        self._require('name', checks.one_of(*REWARDS))
        self._require('scale', checks.number)
        self._require('failure_reward', checks.number)
        self._require('baseline_tau', checks.positive)
        self._require('position_weight', checks.in_range(0, 1))


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


@dataclass(frozen=True)
class AgentConfig(_Section):
    """The whole learning agent: control period, encoder, neurons, populations, devices, rules,
    and the constants of its energy estimate."""

    control_period: float = 0.02
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    neuron: NeuronConfig = field(default_factory=NeuronConfig)
    actor: ActorConfig = field(default_factory=ActorConfig)
    critic: CriticConfig = field(default_factory=CriticConfig)
    device: DeviceConfig = field(default_factory=DeviceConfig)
    learning: LearningConfig = field(default_factory=LearningConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    energy: EnergyConfig = field(default_factory=EnergyConfig)

    _path = ''

    def validate(self) -> None:
        self._require('control_period', checks.above_zero(1.0, ' s'))
        steps = self.control_period * 1000.0 / self.neuron.dt_ms
        self._require_that(abs(steps - round(steps)) < 1e-6 and round(steps) >= 1,
                           'control_period', f'must be a whole number of neural steps of '
                                             f'{self.neuron.dt_ms} ms')
        _require_that(not (self.learning.modulator == 'td' and not self.critic.enabled),
                      'learning.modulator', "'td' needs critic.enabled = true")
        for section in ('actor', 'critic'):
            step = getattr(self, section).write_step
            # Quantized devices have their own register ('accumulate' rounding).
            _require_that(step == 0.0 or self.device.levels == 0,
                          f'{section}.write_step', 'needs analog devices (device.levels = 0)')
            # A summed request below the device's threshold would be cleared and never written.
            _require_that(step == 0.0 or step >= self.device.write_threshold,
                          f'{section}.write_step',
                          f'must be 0 or >= device.write_threshold ({self.device.write_threshold})')

    @property
    def substeps(self) -> int:
        """K: neural steps per control tick."""
        return int(round(self.control_period * 1000.0 / self.neuron.dt_ms))

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> 'AgentConfig':
        """Build from nested dicts (e.g. YAML); unknown keys and bad values name their path."""
        return _build(cls, data or {}, '')

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> 'AgentConfig':
        with open(path) as f:
            return cls.from_dict(yaml_values.load(f))

    def with_overrides(self, assignments: Iterable[str] | None) -> 'AgentConfig':
        return apply_overrides(self, assignments)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _build(cls: type[Any], data: Any, prefix: str) -> Any:
    if is_dataclass(data):
        return data
    _require_that(isinstance(data, dict), prefix.rstrip('.') or 'config',
                  f'must be a mapping, got {type(data).__name__}')
    known = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in data.items():
        path = f'{prefix}{key}'
        _require_that(key in known, path, f'unknown field (known: {", ".join(sorted(known))})')
        sub = _SECTIONS.get(key) if cls is AgentConfig else None
        kwargs[key] = _build(sub, value, f'{path}.') if sub else value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f'{prefix or "config"}: {exc}') from None


_SECTIONS: dict[str, type[_Section]]
_SECTIONS = {'encoder': EncoderConfig, 'neuron': NeuronConfig, 'actor': ActorConfig,
             'critic': CriticConfig, 'device': DeviceConfig, 'learning': LearningConfig,
             'reward': RewardConfig, 'energy': EnergyConfig}


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``'section.field=value'`` into (['section', 'field'], parsed value)."""
    _require_that(isinstance(text, str) and '=' in text, 'override',
                  "must look like 'section.field=value'", text)
    key, raw = text.split('=', 1)
    key = key.strip()
    _require_that(key != '', 'override', 'has no field name', text)
    try:
        value = yaml_values.load(raw) if raw.strip() else ''
    except yaml.YAMLError as exc:
        raise ConfigError(f'{key}: cannot parse value {raw!r}: {exc}') from None
    return key.split('.'), value


def apply_overrides(config: AgentConfig, assignments: Iterable[str] | None) -> AgentConfig:
    """Return a copy of ``config`` with each ``'section.field=value'`` applied and validated."""
    data = config.to_dict()
    for text in assignments or ():
        keys, value = parse_override(text)
        node: Any = data
        for i, key in enumerate(keys[:-1]):
            _require_that(isinstance(node, dict) and key in node, '.'.join(keys[:i + 1]),
                          'unknown section')
            node = node[key]
        known = ', '.join(sorted(node)) if isinstance(node, dict) else ''
        _require_that(isinstance(node, dict) and keys[-1] in node, '.'.join(keys),
                      f'unknown field (known: {known})')
        node[keys[-1]] = value
    return AgentConfig.from_dict(data)


def replace_section(config: AgentConfig, section: str, **changes: Any) -> AgentConfig:
    """Return ``config`` with ``changes`` applied to one section, validated."""
    return replace(config, **{section: replace(getattr(config, section), **changes)})
