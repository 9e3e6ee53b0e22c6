"""Plant files: a cart-pole's plant and the task on it, one YAML file, named by ``--plant``.

    rig = load_plant_file('rig')              # config/plants/rig.yaml, a preset of the package
    rig = load_plant_file('lab/my_rig.yaml')  # or a path (what memsnn-identify writes)
    rig.plant, rig.task, rig.control_period

A file holds two mappings, each optional and each naming only what differs from CartPole-v1:

    plant:                 # envs/plant.py's fields (units there)
      cart_mass: 0.57
      track_limit: 0.4
      motor: dc
      ...
    task:                  # the episodes on it (envs/cartpole_spec.py)
      x_threshold: 0.3           # m, failure at |x| > x_threshold
      theta_threshold: 0.2094    # rad, failure at |theta| > theta_threshold
      max_episode_steps: 500     # control periods; truncation, not a failure
      control_period: 0.02       # s
      force_limit: 10.0          # N, a force motor's command limit
      start_range: 0.05          # start state components ~ U(-start_range, start_range)
      restart: in_place          # center (CartPole-v1) | in_place (a rig: plant_env.py)
    learner:               # what this plant's learner needs beyond the sizing (optional):
      critic.gamma: 0.98         # AgentConfig fields by dotted name, applied before the sizing

Unknown keys and bad values raise PlantFileError naming the file and the field. The presets are
the files in the package's config/plants/ (``preset_names``); a name without a path separator
or '.yaml' is a preset.
"""

from collections.abc import Collection
from dataclasses import dataclass, replace
import json
import math
import os
from typing import Any

import yaml

from memsnn_controller.common import checks, package_files, yaml_values
from memsnn_controller.envs import cartpole_spec
from memsnn_controller.envs.cartpole_spec import CartPoleSpec
from memsnn_controller.envs.plant import FIELDS, Plant

PRESETS = 'plants'
SECTIONS = ('plant', 'task', 'learner')
# The task's keys, their CartPoleSpec fields and checks.
TASK_KEYS: dict[str, tuple[str, checks.Check]] = {
    'x_threshold': ('x_threshold', checks.above_zero(100.0, ' m')),
    'theta_threshold': ('theta_threshold', checks.above_zero(math.pi, ' rad')),
    'max_episode_steps': ('max_episode_steps', checks.integer(0, 2**31 - 1)),
    'control_period': ('tau', checks.in_range(0.001, 1.0, ' s')),
    'force_limit': ('force_mag', checks.above_zero(1e6, ' N')),
    'start_range': ('start_high', checks.in_range(0.0, 0.2)),
    'restart': ('restart', checks.one_of(*cartpole_spec.RESTARTS)),
}


class PlantFileError(ValueError):
    """A plant file that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class PlantFile:
    """A plant and its task; ``name`` is the preset's name or the file's path as given."""

    name: str
    path: str
    plant: Plant
    task: CartPoleSpec
    learner: tuple[tuple[str, Any], ...] = ()

    @property
    def control_period(self) -> float:
        return float(self.task.tau)

    def task_values(self) -> dict[str, Any]:
        """The task as the file's keys."""
        return {key: getattr(self.task, name) for key, (name, _) in TASK_KEYS.items()}

    def values(self) -> dict[str, Any]:
        """{'plant': ..., 'task': ..., 'learner': ...}: what a file of this plant holds (all
        fields), as strict JSON can hold it (an infinite track_limit as 'inf', which the reader
        takes back)."""
        plant = self.plant.values()
        if plant['track_limit'] == math.inf:
            plant['track_limit'] = 'inf'
        return {'plant': plant, 'task': self.task_values(), 'learner': dict(self.learner)}

    def learner_overrides(self, exclude: Collection[str] = ()) -> list[str]:
        """The learner section as 'section.field=value' texts (AgentConfig.with_overrides),
        without the fields named in ``exclude``."""
        return [f'{name}={json.dumps(value)}' for name, value in self.learner
                if name not in exclude]


def presets_dir() -> str:
    return os.path.join(package_files.config_dir(os.path.join(PRESETS, 'rig.yaml')), PRESETS)


def preset_names() -> list[str]:
    """The package's plant presets (config/plants/*.yaml, without the suffix)."""
    return sorted(name[:-5] for name in os.listdir(presets_dir()) if name.endswith('.yaml'))


def is_preset_name(name: str) -> bool:
    return os.sep not in name and '/' not in name and not name.endswith(('.yaml', '.yml'))


def resolve_path(name: str) -> str:
    """The path of ``name``: a preset's file, or ``name`` itself."""
    if is_preset_name(name):
        path = os.path.join(presets_dir(), f'{name}.yaml')
        if not os.path.isfile(path):
            raise PlantFileError(f'--plant {name}: no such preset (presets: '
                                 f'{", ".join(preset_names())}; or give a path to a plant '
                                 f'YAML file)')
        return path
    return name


def load_plant_file(name: str) -> PlantFile:
    """The plant file named ``name`` (a preset or a path); PlantFileError says what is wrong."""
    path = resolve_path(name)
    try:
        with open(path) as f:
            data = yaml_values.load(f)
    except OSError as exc:
        raise PlantFileError(f'--plant {name}: {exc.strerror or exc}') from None
    except yaml.YAMLError as exc:
        raise PlantFileError(f'--plant {name}: not valid YAML: {" ".join(str(exc).split())}') \
            from None
    return plant_file_from(data, name, path)


def plant_file_from(data: Any, name: str = '<mapping>', path: str = '') -> PlantFile:
    """A PlantFile from the file's mapping (as YAML gives it)."""
    where = f'--plant {name}'
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PlantFileError(f'{where}: expected a mapping with the sections plant and task')
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise PlantFileError(f'{where}: unknown sections {", ".join(map(str, unknown))} (a plant '
                             f'file has the sections plant and task)')
    sections = {key: data.get(key) or {} for key in SECTIONS}
    for key, section in sections.items():
        if not isinstance(section, dict):
            raise PlantFileError(f'{where}: {key} must be a mapping of fields to values')
    plant_values, task_values = sections['plant'], sections['task']
    learner = sections['learner']
    bad = sorted(str(key) for key in learner if not isinstance(key, str) or '.' not in key)
    if bad:
        raise PlantFileError(f'{where}: learner: {", ".join(bad)} is not an AgentConfig field '
                             f'by its dotted name (section.field)')
    unknown = sorted(set(plant_values) - set(FIELDS))
    if unknown:
        raise PlantFileError(f'{where}: unknown plant fields {", ".join(map(str, unknown))} '
                             f'(fields: {", ".join(FIELDS)})')
    unknown = sorted(set(task_values) - set(TASK_KEYS))
    if unknown:
        raise PlantFileError(f'{where}: unknown task fields {", ".join(map(str, unknown))} '
                             f'(fields: {", ".join(TASK_KEYS)})')
    values = dict(plant_values)
    if values.get('track_limit') in ('inf', '.inf'):
        values['track_limit'] = math.inf
    try:
        plant = Plant(**values)
    except (TypeError, ValueError) as exc:
        raise PlantFileError(f'{where}: {exc}') from None
    changes: dict[str, Any] = {}
    for key, value in task_values.items():
        field, check = TASK_KEYS[key]
        problem = checks.problem(f'task.{key}', value, check)
        if problem is not None:
            raise PlantFileError(f'{where}: {problem}')
        changes[field] = value
        if key == 'start_range':
            changes['start_low'] = -value
    task = replace(cartpole_spec.CARTPOLE_V1, **changes)
    return PlantFile(name=name, path=os.path.abspath(path) if path else '', plant=plant,
                     task=task, learner=tuple((key, _frozen(value))
                                              for key, value in learner.items()))


def _frozen(value: Any) -> Any:
    """Lists as tuples (a PlantFile is hashable and compares by value)."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


CARTPOLE_V1 = PlantFile(name='cartpole_v1', path='', plant=Plant(), task=cartpole_spec.CARTPOLE_V1)
