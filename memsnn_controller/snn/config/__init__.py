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
(docs/science.md section 10; docs/results.md). Since issue 23, frugal writes: every group's
requests are summed per synapse to a write step of 0.002 before a device is programmed, the
critic has 30 neurons per half (150 before), and the rates are twice the earlier ones (gain x eta
0.02 and 0.015), which keeps every device under 250 writes in 1000 episodes and solves on 16-level
noisy devices with the same settings (docs/results.md section 8).

The sections live in modules of this package, one each (encoder, neuron, actor, critic, device,
learning, reward, energy, task; base holds what they share, agent the whole); this module re-exports
them, so ``from memsnn_controller.snn.config import AgentConfig, ConfigError`` keeps working.
"""

from memsnn_controller.snn.config.actor import ActorConfig, Decoder, WriteMode
from memsnn_controller.snn.config.agent import (
    AgentConfig,
    apply_overrides,
    parse_override,
    replace_section,
)
from memsnn_controller.snn.config.base import ConfigError
from memsnn_controller.snn.config.critic import CriticConfig
from memsnn_controller.snn.config.device import DeviceConfig, DeviceModel, Rounding, Stuck
from memsnn_controller.snn.config.encoder import (
    BSA_BOX_EDGES,
    DEG,
    STATE_NAMES,
    Coding,
    EncoderConfig,
    Segment,
)
from memsnn_controller.snn.config.energy import EnergyConfig
from memsnn_controller.snn.config.learning import Eligibility, LearningConfig, Modulator
from memsnn_controller.snn.config.neuron import NeuronConfig
from memsnn_controller.snn.config.reward import RewardConfig
from memsnn_controller.snn.config.task import TaskConfig

__all__ = [
    'BSA_BOX_EDGES', 'DEG', 'STATE_NAMES', 'ActorConfig', 'AgentConfig', 'Coding', 'ConfigError',
    'CriticConfig', 'Decoder', 'DeviceConfig', 'DeviceModel', 'Eligibility', 'EncoderConfig',
    'EnergyConfig', 'LearningConfig', 'Modulator', 'NeuronConfig', 'RewardConfig', 'Rounding',
    'Segment', 'Stuck', 'TaskConfig', 'WriteMode', 'apply_overrides', 'parse_override',
    'replace_section',
]
