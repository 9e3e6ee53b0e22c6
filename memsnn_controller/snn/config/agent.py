"""AgentConfig, the whole configuration, and building it from dicts, YAML and overrides."""

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
import os
from typing import Any

import yaml

from memsnn_controller.common import checks, yaml_values
from memsnn_controller.snn.config.actor import ActorConfig
from memsnn_controller.snn.config.base import ConfigError, _require_that, _Section
from memsnn_controller.snn.config.critic import CriticConfig
from memsnn_controller.snn.config.device import DeviceConfig
from memsnn_controller.snn.config.encoder import EncoderConfig
from memsnn_controller.snn.config.energy import EnergyConfig
from memsnn_controller.snn.config.learning import LearningConfig
from memsnn_controller.snn.config.neuron import NeuronConfig
from memsnn_controller.snn.config.reward import RewardConfig
from memsnn_controller.snn.config.task import TaskConfig


@dataclass(frozen=True)
class AgentConfig(_Section):
    """The whole learning agent: control period, encoder, neurons, populations, devices, rules,
    the constants of its energy estimate, and the task it is sized for.

    Time. The constants are stated for ticks of ``reference_period`` seconds (0.02: CartPole-v1's
    50 Hz), and keep their meaning in seconds at any ``control_period`` T. With r = T /
    reference_period:

    - the network runs K = reference_period / neuron.dt_ms neural steps per tick whatever T
      (``steps_per_tick``: 20 by default): each tick is the same computation, its neural time
      constants (in ms of neural time) unchanged; the encoder's spikes per tick too;
    - critic.gamma is per reference tick: per tick gamma^r (the horizon -T / ln gamma in
      seconds is kept); traces decay with their tau_e in seconds (as always);
    - learning per second is kept: the trace's presynaptic unit (learning.pre_norm) is divided
      by r, the dead zones (learning, actor, critic) multiplied by r (a TD error per tick scales
      with T);
    - learning.anneal_target_length (ticks) is divided by r: 10 s of balance either way;
      the shaped rewards' scale is multiplied by r and the alive reward's baseline_tau divided
      by it (per-step quantities).

    At T = reference_period nothing is converted (bit for bit today's behaviour).
    """

    control_period: float = 0.02
    reference_period: float = 0.02
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    neuron: NeuronConfig = field(default_factory=NeuronConfig)
    actor: ActorConfig = field(default_factory=ActorConfig)
    critic: CriticConfig = field(default_factory=CriticConfig)
    device: DeviceConfig = field(default_factory=DeviceConfig)
    learning: LearningConfig = field(default_factory=LearningConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    energy: EnergyConfig = field(default_factory=EnergyConfig)
    task: TaskConfig = field(default_factory=TaskConfig)

    _path = ''

    def validate(self) -> None:
        self._require('control_period', checks.above_zero(1.0, ' s'))
        self._require('reference_period', checks.above_zero(1.0, ' s'))
        steps = self.reference_period * 1000.0 / self.neuron.dt_ms
        self._require_that(abs(steps - round(steps)) < 1e-6 and round(steps) >= 1,
                           'reference_period', f'must be a whole number of neural steps of '
                                               f'{self.neuron.dt_ms} ms')
        _require_that(not (self.learning.modulator == 'td' and not self.critic.enabled),
                      'learning.modulator', "'td' needs critic.enabled = true")
        accumulate = self.device.levels >= 2 and self.device.rounding == 'accumulate'
        for section in ('actor', 'critic'):
            group = getattr(self, section)
            step = group.write_step
            # 'accumulate' rounding keeps its own per-device register in the same planes.
            _require_that(step == 0.0 or group.write_mode == 'random' or not accumulate,
                          f'{section}.write_step', "with write_mode 'register' it cannot be "
                          "combined with device.rounding 'accumulate' (set one of them off)")
            # A summed request below the device's threshold would be cleared and never written.
            _require_that(step == 0.0 or step >= self.device.write_threshold,
                          f'{section}.write_step',
                          f'must be 0 or >= device.write_threshold ({self.device.write_threshold})')

    @property
    def substeps(self) -> int:
        """K: neural steps per control tick (reference_period / neuron.dt_ms)."""
        return int(round(self.reference_period * 1000.0 / self.neuron.dt_ms))

    @property
    def steps_per_tick(self) -> int:
        """K: neural steps per control tick, whatever the control period (the class doc)."""
        return self.substeps

    @property
    def tick_ratio(self) -> float:
        """r = control_period / reference_period (1.0 exactly at the reference period)."""
        if self.control_period == self.reference_period:
            return 1.0
        return self.control_period / self.reference_period

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
             'reward': RewardConfig, 'energy': EnergyConfig, 'task': TaskConfig}


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
