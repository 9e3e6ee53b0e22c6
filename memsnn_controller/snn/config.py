"""Configuration of the learning core: validated dataclasses, one per part, nested in AgentConfig.

Every field is checked when the dataclass is built; a bad value raises ConfigError naming the
field by its dotted path (e.g. ``actor.eta``). ``AgentConfig.from_dict`` rejects unknown keys, and
``apply_overrides`` sets any field from ``'section.field=value'`` strings (values parsed as YAML).
The defaults are the shipped configuration: SCIENCE.md section 8's recipe, with the synaptic
gains raised (actor 4, critic 2) and the rates lowered further (gain x eta 0.01 for the actor
and 0.0075 for the critic, against the recipe's 0.03 and 0.015) so that learned weights need
smaller device excursions around the PPX balance point w* = 0.298, where the SET and RESET laws
are nearly symmetric (less drift), every device starting at w = 0.3 (the exploration noise breaks
the symmetry; with the higher gains a random start spread leaves both actor populations firing
and the continuous decoder's forces weak), and a lower annealing floor for the rates (README,
Results).
"""

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
import math

import yaml

from memsnn_controller import yaml_values

DEG = math.pi / 180.0


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the field."""


def _check(ok, path, message):
    if not ok:
        raise ConfigError(f'{path}: {message}')


def _finite(value, path):
    _check(isinstance(value, (int, float)) and not isinstance(value, bool)
           and math.isfinite(value), path, f'must be a finite number, got {value!r}')


def _positive(value, path):
    _finite(value, path)
    _check(value > 0, path, f'must be > 0, got {value!r}')


def _non_negative(value, path):
    _finite(value, path)
    _check(value >= 0, path, f'must be >= 0, got {value!r}')


def _integer(value, path, minimum):
    _check(isinstance(value, int) and not isinstance(value, bool) and value >= minimum, path,
           f'must be an integer >= {minimum}, got {value!r}')


def _choice(value, path, choices):
    _check(value in choices, path, f'must be one of {", ".join(map(repr, choices))}, '
                                    f'got {value!r}')


def _range_pair(value, path, lower=-math.inf):
    _check(isinstance(value, (tuple, list)) and len(value) == 2, path,
           f'must be a pair (low, high), got {value!r}')
    _finite(value[0], path)
    _finite(value[1], path)
    _check(lower <= value[0] <= value[1], path, f'must satisfy {lower} <= low <= high, '
                                                  f'got {value!r}')


def _increasing(value, path):
    _check(isinstance(value, (tuple, list)) and len(value) >= 1, path,
           f'must be a non-empty list of edges, got {value!r}')
    for v in value:
        _finite(v, path)
    _check(all(a < b for a, b in zip(value, value[1:])), path,
           f'edges must be strictly increasing, got {value!r}')


class _Section:
    """Validation hook shared by the config sections; ``_path`` prefixes error messages."""

    _path = ''

    def __post_init__(self):
        # Lists from YAML become tuples so that configs stay hashable and comparable.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                object.__setattr__(self, f.name, _tuplify(value))
        self.validate(self._path)

    def validate(self, path):
        raise NotImplementedError


def _tuplify(value):
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

    segments: tuple = ('boxes',)
    coding: str = 'regular'
    max_rate_hz: float = 200.0
    phase: float = 0.5
    phase_reset: bool = True
    box_edges: tuple = BSA_BOX_EDGES
    ranges: tuple = ((-2.4, 2.4), (-3.0, 3.0), (-12 * DEG, 12 * DEG), (-3.5, 3.5))
    fields: int = 15
    field_width: float = 1.0
    grid_pairs: tuple = ((2, 3),)
    grid_bins: int = 7
    latency_max_ms: float = 15.0
    latency_min_activation: float = 0.1

    _path = 'encoder'

    def validate(self, path):
        _check(isinstance(self.segments, tuple) and len(self.segments) >= 1, f'{path}.segments',
               f'must be a non-empty list, got {self.segments!r}')
        for seg in self.segments:
            _choice(seg, f'{path}.segments', ('boxes', 'gaussian', 'grid'))
        _check(len(set(self.segments)) == len(self.segments), f'{path}.segments',
               f'lists a segment twice: {self.segments!r}')
        _choice(self.coding, f'{path}.coding', ('regular', 'poisson', 'latency'))
        _positive(self.max_rate_hz, f'{path}.max_rate_hz')
        _finite(self.phase, f'{path}.phase')
        _check(0.0 <= self.phase < 1.0, f'{path}.phase', f'must be in [0, 1), got {self.phase}')
        _check(isinstance(self.box_edges, tuple) and len(self.box_edges) == 4,
               f'{path}.box_edges', 'must hold one list of edges per state variable (4)')
        for name, edges in zip(STATE_NAMES, self.box_edges):
            _increasing(edges, f'{path}.box_edges.{name}')
        _check(isinstance(self.ranges, tuple) and len(self.ranges) == 4, f'{path}.ranges',
               'must hold one (low, high) per state variable (4)')
        for name, r in zip(STATE_NAMES, self.ranges):
            _range_pair(r, f'{path}.ranges.{name}')
            _check(r[0] < r[1], f'{path}.ranges.{name}', f'must have low < high, got {r!r}')
        _integer(self.fields, f'{path}.fields', 2)
        _positive(self.field_width, f'{path}.field_width')
        _check(isinstance(self.grid_pairs, tuple) and len(self.grid_pairs) >= 1,
               f'{path}.grid_pairs', 'must be a non-empty list of variable index pairs')
        for pair in self.grid_pairs:
            _check(isinstance(pair, tuple) and len(pair) == 2 and all(
                isinstance(v, int) and 0 <= v < 4 for v in pair) and pair[0] != pair[1],
                f'{path}.grid_pairs', f'pairs must be two different indices in 0..3, got {pair!r}')
        _integer(self.grid_bins, f'{path}.grid_bins', 2)
        _positive(self.latency_max_ms, f'{path}.latency_max_ms')
        _finite(self.latency_min_activation, f'{path}.latency_min_activation')
        _check(0.0 <= self.latency_min_activation < 1.0, f'{path}.latency_min_activation',
               'must be in [0, 1)')


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

    def validate(self, path):
        _positive(self.dt_ms, f'{path}.dt_ms')
        _positive(self.tau_m_ms, f'{path}.tau_m_ms')
        _finite(self.threshold, f'{path}.threshold')
        _finite(self.reset, f'{path}.reset')
        _check(self.reset < self.threshold, f'{path}.reset', 'must be below the threshold')
        _non_negative(self.refractory_ms, f'{path}.refractory_ms')


@dataclass(frozen=True)
class ActorConfig(_Section):
    """Two LIF populations (push left, push right); the one with more spikes wins the tick.

    decoder 'discrete': force = +-force_limit (gymnasium action 1 = right); 'continuous':
    force = force_limit * (n_right - n_left) / (n_right + n_left), 0 when both are silent.
    """

    neurons_per_side: int = 20
    bias: float = 1.5
    noise: float = 0.02
    gain: float = 4.0
    eta: float = 0.0025
    tau_e: float = 0.2
    reset_each_tick: bool = True
    decoder: str = 'discrete'
    force_limit: float = 10.0

    _path = 'actor'

    def validate(self, path):
        _integer(self.neurons_per_side, f'{path}.neurons_per_side', 1)
        _finite(self.bias, f'{path}.bias')
        _non_negative(self.noise, f'{path}.noise')
        _positive(self.gain, f'{path}.gain')
        _non_negative(self.eta, f'{path}.eta')
        _positive(self.tau_e, f'{path}.tau_e')
        _choice(self.decoder, f'{path}.decoder', ('discrete', 'continuous'))
        _positive(self.force_limit, f'{path}.force_limit')


@dataclass(frozen=True)
class CriticConfig(_Section):
    """A spiking critic: V+ and V- halves of LIF neurons with the same random biases.

    V = value_scale * (count(V+) - count(V-)) / (neurons_per_half * vbase), vbase being the
    spontaneous spike count per neuron per tick. Membranes restart each tick from a fixed per-neuron
    value drawn from ``reset_range`` (a deterministic read-out when noise is 0).
    """

    enabled: bool = True
    neurons_per_half: int = 150
    bias_range: tuple = (3.0, 6.0)
    noise: float = 0.0
    gain: float = 2.0
    eta: float = 0.00375
    tau_e: float = 0.09
    reset_each_tick: bool = True
    reset_range: tuple = (0.0, 1.0)
    value_scale: float = 1.5
    gamma: float = 0.95

    _path = 'critic'

    def validate(self, path):
        _integer(self.neurons_per_half, f'{path}.neurons_per_half', 1)
        _range_pair(self.bias_range, f'{path}.bias_range')
        _non_negative(self.noise, f'{path}.noise')
        _positive(self.gain, f'{path}.gain')
        _non_negative(self.eta, f'{path}.eta')
        _positive(self.tau_e, f'{path}.tau_e')
        _range_pair(self.reset_range, f'{path}.reset_range')
        _positive(self.value_scale, f'{path}.value_scale')
        _finite(self.gamma, f'{path}.gamma')
        _check(0.0 <= self.gamma <= 1.0, f'{path}.gamma', f'must be in [0, 1], got {self.gamma}')


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

    model: str = 'ppx'
    init_mean: float = 0.3
    init_std: float = 0.0
    levels: int = 0
    rounding: str = 'stochastic'
    c2c_noise: float = 0.0
    d2d_spread: float = 0.0
    w_floor: float | None = None
    write_threshold: float = 0.0
    g_max_ms: float = 10.0
    on_off_ratio: float = 100.0

    _path = 'device'

    @property
    def floor(self):
        """The lowest reachable w: ``w_floor``, or the model's own when it is null."""
        if self.w_floor is not None:
            return self.w_floor
        return 0.01 if self.model == 'nc' else 0.0

    def validate(self, path):
        _choice(self.model, f'{path}.model', ('ppx', 'nc', 'ideal'))
        _finite(self.init_mean, f'{path}.init_mean')
        _check(0.0 <= self.init_mean <= 1.0, f'{path}.init_mean', 'must be in [0, 1]')
        _non_negative(self.init_std, f'{path}.init_std')
        _check(isinstance(self.levels, int) and not isinstance(self.levels, bool)
               and (self.levels == 0 or self.levels >= 2), f'{path}.levels',
               f'must be 0 (analog) or an integer >= 2, got {self.levels!r}')
        _choice(self.rounding, f'{path}.rounding', ('stochastic', 'nearest', 'accumulate'))
        _non_negative(self.c2c_noise, f'{path}.c2c_noise')
        _non_negative(self.d2d_spread, f'{path}.d2d_spread')
        if self.w_floor is not None:
            _finite(self.w_floor, f'{path}.w_floor')
            _check(0.0 <= self.w_floor < 1.0, f'{path}.w_floor', 'must be in [0, 1) or null')
        _non_negative(self.write_threshold, f'{path}.write_threshold')
        _positive(self.g_max_ms, f'{path}.g_max_ms')
        _finite(self.on_off_ratio, f'{path}.on_off_ratio')
        _check(self.on_off_ratio > 1.0, f'{path}.on_off_ratio', 'must be > 1')


@dataclass(frozen=True)
class LearningConfig(_Section):
    """Traces, the modulatory signal and the device writes (see snn/plasticity.py).

    eligibility: 'role' (presynaptic spikes x the sign of the population's role: +1 chosen action
      or V+, -1 the other action or V-), 'window' (the device's own pre/post pairing window) or
      'mstdpet' (Florian 2007).
    modulator: 'td' (the critic's TD error) or 'reward' (the reward minus its moving average;
      no critic).
    dead_zone: no write while |M| is below it. anneal: at each episode start, with
      perf = trailing mean episode length / anneal_target_length, scale the learning rates by
      max(eta_floor, 1 - perf) and the actor noise by max(noise_floor, 1 - perf).
    """

    enabled: bool = True
    eligibility: str = 'role'
    modulator: str = 'td'
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
    window_ms: float = 150.0
    tick_gated: bool = False
    history: int = 64
    tau_plus_ms: float = 20.0
    tau_minus_ms: float = 20.0
    a_plus: float = 1.0
    a_minus: float = 1.0
    baseline_tau: float = 100.0

    _path = 'learning'

    def validate(self, path):
        _choice(self.eligibility, f'{path}.eligibility', ('role', 'window', 'mstdpet'))
        _choice(self.modulator, f'{path}.modulator', ('td', 'reward'))
        _non_negative(self.dead_zone, f'{path}.dead_zone')
        _non_negative(self.pre_norm, f'{path}.pre_norm')
        _positive(self.trace_eps, f'{path}.trace_eps')
        _integer(self.anneal_window, f'{path}.anneal_window', 1)
        _positive(self.anneal_target_length, f'{path}.anneal_target_length')
        for name in ('eta_floor', 'noise_floor'):
            value = getattr(self, name)
            _finite(value, f'{path}.{name}')
            _check(0.0 <= value <= 1.0, f'{path}.{name}', 'must be in [0, 1]')
        _positive(self.window_ms, f'{path}.window_ms')
        _integer(self.history, f'{path}.history', 1)
        _positive(self.tau_plus_ms, f'{path}.tau_plus_ms')
        _positive(self.tau_minus_ms, f'{path}.tau_minus_ms')
        _non_negative(self.a_plus, f'{path}.a_plus')
        _non_negative(self.a_minus, f'{path}.a_minus')
        _positive(self.baseline_tau, f'{path}.baseline_tau')


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

    def validate(self, path):
        from memsnn_controller.snn.rewards import REWARDS

        _choice(self.name, f'{path}.name', tuple(REWARDS))
        _finite(self.scale, f'{path}.scale')
        _finite(self.failure_reward, f'{path}.failure_reward')
        _positive(self.baseline_tau, f'{path}.baseline_tau')
        _finite(self.position_weight, f'{path}.position_weight')
        _check(0.0 <= self.position_weight <= 1.0, f'{path}.position_weight', 'must be in [0, 1]')


@dataclass(frozen=True)
class AgentConfig(_Section):
    """The whole learning agent: control period, encoder, neurons, populations, devices, rules."""

    control_period: float = 0.02
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    neuron: NeuronConfig = field(default_factory=NeuronConfig)
    actor: ActorConfig = field(default_factory=ActorConfig)
    critic: CriticConfig = field(default_factory=CriticConfig)
    device: DeviceConfig = field(default_factory=DeviceConfig)
    learning: LearningConfig = field(default_factory=LearningConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)

    _path = 'agent'

    def validate(self, path):
        _positive(self.control_period, 'control_period')
        _check(self.control_period <= 1.0, 'control_period', 'must be at most 1 s')
        steps = self.control_period * 1000.0 / self.neuron.dt_ms
        _check(abs(steps - round(steps)) < 1e-6 and round(steps) >= 1, 'control_period',
               f'must be a whole number of neural steps of {self.neuron.dt_ms} ms, got '
               f'{self.control_period} s')
        _check(not (self.learning.modulator == 'td' and not self.critic.enabled),
               'learning.modulator', "'td' needs critic.enabled = true")

    @property
    def substeps(self):
        """K: neural steps per control tick."""
        return int(round(self.control_period * 1000.0 / self.neuron.dt_ms))

    def to_dict(self):
        return _plain(asdict(self))

    @classmethod
    def from_dict(cls, data):
        """Build from nested dicts (e.g. YAML); unknown keys and bad values name their path."""
        return _build(cls, data or {}, '')

    @classmethod
    def from_yaml(cls, path):
        with open(path) as f:
            return cls.from_dict(yaml_values.load(f))

    def with_overrides(self, assignments):
        return apply_overrides(self, assignments)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _build(cls, data, prefix):
    if is_dataclass(data):
        return data
    _check(isinstance(data, dict), prefix.rstrip('.') or 'config',
           f'must be a mapping, got {type(data).__name__}')
    known = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in data.items():
        path = f'{prefix}{key}'
        _check(key in known, path, f'unknown field (known: {", ".join(sorted(known))})')
        sub = _SECTIONS.get(key) if cls is AgentConfig else None
        kwargs[key] = _build(sub, value, f'{path}.') if sub else value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f'{prefix or "config"}: {exc}') from None


_SECTIONS = {'encoder': EncoderConfig, 'neuron': NeuronConfig, 'actor': ActorConfig,
             'critic': CriticConfig, 'device': DeviceConfig, 'learning': LearningConfig,
             'reward': RewardConfig}


def parse_override(text):
    """Split ``'section.field=value'`` into (['section', 'field'], parsed value)."""
    _check(isinstance(text, str) and '=' in text, 'override',
           f"must look like 'section.field=value', got {text!r}")
    key, raw = text.split('=', 1)
    key = key.strip()
    _check(key != '', 'override', f'has no field name: {text!r}')
    try:
        value = yaml_values.load(raw) if raw.strip() else ''
    except yaml.YAMLError as exc:
        raise ConfigError(f'{key}: cannot parse value {raw!r}: {exc}') from None
    return key.split('.'), value


def apply_overrides(config, assignments):
    """Return a copy of ``config`` with each ``'section.field=value'`` applied and validated."""
    data = config.to_dict()
    for text in assignments or ():
        keys, value = parse_override(text)
        node = data
        for i, key in enumerate(keys[:-1]):
            _check(isinstance(node, dict) and key in node, '.'.join(keys[:i + 1]),
                   'unknown section')
            node = node[key]
        known = ', '.join(sorted(node)) if isinstance(node, dict) else ''
        _check(isinstance(node, dict) and keys[-1] in node, '.'.join(keys),
               f'unknown field (known: {known})')
        node[keys[-1]] = value
    return AgentConfig.from_dict(data)


def replace_section(config, section, **changes):
    """Return ``config`` with ``changes`` applied to one section, validated."""
    return replace(config, **{section: replace(getattr(config, section), **changes)})
