"""The cart-pole's physical parameters, and schedules that change them by episode.

    plant = Plant()                                   # CartPole-v1's system
    plant.replace(pole_mass=0.2, actuator_gain=0.6)   # a heavier pole, a weaker motor
    schedule = parse_plant_schedule(['300:pole_length=x1.5', '700:original'])
    schedule.plant_at(450, Plant())                   # pole_length 1.5 from episode 300 to 699

The fields, in CartPole-v1's units (its system is the default; every model of the package reads
them the same way):

- ``pole_mass`` (kg, 0.1) and ``pole_length`` (m, 1.0: the whole pole; CartPole-v1's ``length``
  is the half-length 0.5), ``cart_mass`` (kg, 1.0), ``gravity`` (m/s^2, 9.8);
- ``friction``: viscous friction of the cart on its track, N per m/s (0): a force
  -friction x_dot acts on the cart beside the motor's;
- ``actuator_gain``: the motor's force is gain x the commanded force, after the command is
  clipped to the force limit (1; 0.6 is a motor 40 % weaker);
- ``sensor_offset``: added to every observation (x [m], x_dot [m/s], theta [rad], theta_dot
  [rad/s]), four values or one for all (0): a sensor's bias; episodes still end on the true
  state.

A schedule is a list of changes ``EPISODE:FIELD=VALUE[,FIELD=VALUE...]`` (the text of
``--plant-change`` in memsnn-train, memsnn-compare and memsnn-bringup): from episode EPISODE
(counted from 0) on, each FIELD has VALUE, a number (for ``sensor_offset`` one number or four,
``[0, 0, 0.01, 0]``) or ``xF``, F times the original plant's value; ``EPISODE:original`` restores
every field. Fields not named keep their values; episodes must increase. A bad change raises
PlantChangeError naming the change and what is wrong. This module needs only the standard
library (the simulator's parameter table reads its checks).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
import re
from typing import Any

from memsnn_controller.common import checks

SENSOR_OFFSET_LIMIT = 10.0
# Each field's check (shared with the simulator node's parameter ranges) and unit.
CHECKS: dict[str, checks.Check] = {
    'pole_mass': checks.above_zero(100.0, ' kg'),
    'pole_length': checks.above_zero(10.0, ' m'),
    'cart_mass': checks.above_zero(1000.0, ' kg'),
    'gravity': checks.in_range(0.0, 100.0, ' m/s^2'),
    'friction': checks.in_range(0.0, 1000.0, ' N s/m'),
    'actuator_gain': checks.in_range(0.0, 10.0),
    'sensor_offset': checks.numbers(4, checks.in_range(-SENSOR_OFFSET_LIMIT,
                                                       SENSOR_OFFSET_LIMIT),
                                    f'numbers in [-{SENSOR_OFFSET_LIMIT:g}, '
                                    f'{SENSOR_OFFSET_LIMIT:g}]'),
}
ORIGINAL = 'original'

Offset = tuple[float, float, float, float]
# A field's value in a change: a number, four numbers (sensor_offset), or a Factor.
Value = Any


@dataclass(frozen=True)
class Plant:
    """The physical parameters of one cart-pole (see the module docstring); every field is
    validated (ValueError names it)."""

    pole_mass: float = 0.1
    pole_length: float = 1.0
    cart_mass: float = 1.0
    gravity: float = 9.8
    friction: float = 0.0
    actuator_gain: float = 1.0
    sensor_offset: float | Sequence[float] = (0.0, 0.0, 0.0, 0.0)  # 4 floats after init

    def __post_init__(self) -> None:
        offset: Any = self.sensor_offset
        if checks.is_number(offset):
            offset = (offset,) * 4
        for name, check in CHECKS.items():
            checks.require(f'plant.{name}', offset if name == 'sensor_offset'
                           else getattr(self, name), check)
        object.__setattr__(self, 'sensor_offset', tuple(float(v) for v in offset))
        for name in CHECKS:
            if name != 'sensor_offset':
                object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def offset(self) -> Offset:
        """sensor_offset as four floats."""
        x, x_dot, theta, theta_dot = self.sensor_offset  # type: ignore[misc]  # 4 after init
        return (x, x_dot, theta, theta_dot)

    def replace(self, **changes: Any) -> 'Plant':
        """A copy with ``changes`` (validated; ValueError names an unknown field)."""
        unknown = sorted(set(changes) - set(FIELDS))
        if unknown:
            raise ValueError(f'plant: unknown field {", ".join(unknown)} (fields: '
                             f'{", ".join(FIELDS)})')
        return replace(self, **changes)

    def values(self) -> dict[str, Any]:
        """{field: value}, sensor_offset as a list."""
        return {name: list(self.offset) if name == 'sensor_offset' else getattr(self, name)
                for name in FIELDS}

    def differences(self, other: 'Plant') -> list[str]:
        """The fields whose values differ from ``other``'s."""
        return [name for name in FIELDS if getattr(self, name) != getattr(other, name)]


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Plant))
assert set(FIELDS) == set(CHECKS)


@dataclass(frozen=True)
class Factor:
    """``xF`` in a change: F times the original plant's value."""

    factor: float


class PlantChangeError(ValueError):
    """A plant change (or schedule) that cannot be used; the message names it and the problem."""


@dataclass(frozen=True)
class PlantChange:
    """One change: from ``episode`` on, ``values`` (field -> number, four numbers or Factor);
    ``original``: restore every field first. ``text`` is what it was parsed from."""

    episode: int
    values: tuple[tuple[str, Value], ...] = ()
    original: bool = False
    text: str = ''

    def apply(self, plant: Plant, original: Plant) -> Plant:
        """``plant`` after this change (factors multiply ``original``'s values)."""
        start = original if self.original else plant
        resolved = {name: getattr(original, name) * value.factor if isinstance(value, Factor)
                    else value for name, value in self.values}
        try:
            return start.replace(**resolved)
        except ValueError as exc:
            raise PlantChangeError(f'--plant-change {self.text!r}: {exc}') from None


@dataclass(frozen=True)
class PlantSchedule:
    """Changes in order of their (strictly increasing) episodes."""

    changes: tuple[PlantChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changes)

    def marks(self) -> dict[int, str]:
        """{episode: what changes there} (the learning curve marks each change)."""
        return {c.episode: c.text.split(':', 1)[1] for c in self.changes}

    def plant_at(self, episode: int, original: Plant) -> Plant:
        """The plant of episode ``episode``: ``original`` after every change up to it."""
        plant = original
        for change in self.changes:
            if change.episode > episode:
                break
            plant = change.apply(plant, original)
        return plant

    def check(self, original: Plant) -> None:
        """Apply every change to ``original`` (PlantChangeError for a value out of range)."""
        self.plant_at(self.changes[-1].episode if self.changes else 0, original)

    def episodes(self) -> list[int]:
        return [change.episode for change in self.changes]

    def texts(self) -> list[str]:
        """The changes as text (what parse_plant_schedule reads back)."""
        return [change.text for change in self.changes]


# A comma starts a new assignment only when 'name=' follows it, so [a, b, c, d] keeps its commas.
_SPLIT = re.compile(r',(?=\s*[A-Za-z_][A-Za-z0-9_]*\s*=)')
_CHANGE = re.compile(r'^\s*(-?\d+)\s*:(.*)$', re.S)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if checks.is_number(value) else None


def _parse_value(name: str, text: str, where: str) -> Value:
    text = text.strip()
    if name != 'sensor_offset' and text[:1] in ('x', '*'):
        factor = _number(text[1:])
        if factor is None or factor < 0:
            raise PlantChangeError(f'{where}: {name}={text}: a factor xF needs a number F >= 0')
        return Factor(factor)
    if name == 'sensor_offset':
        parts = text[1:-1].split(',') if text.startswith('[') and text.endswith(']') \
            else [text]
        numbers = [_number(part) for part in parts]
        if any(n is None for n in numbers) or len(numbers) not in (1, 4):
            raise PlantChangeError(f'{where}: sensor_offset={text}: expected one number or '
                                   f'four, [x, x_dot, theta, theta_dot]')
        offset = tuple(numbers) * 4 if len(numbers) == 1 else tuple(numbers)
        reason = CHECKS[name](offset)
        if reason is not None:
            raise PlantChangeError(f'{where}: sensor_offset {reason} (got {text})')
        return offset
    value = _number(text)
    if value is None:
        raise PlantChangeError(f'{where}: {name}={text}: expected a number or xF (F times the '
                               f'original value)')
    reason = CHECKS[name](value)
    if reason is not None:
        raise PlantChangeError(f'{where}: {name} {reason} (got {text})')
    return value


def parse_plant_change(text: str) -> PlantChange:
    """One change from its text (see the module docstring); PlantChangeError says what is
    wrong."""
    where = f'--plant-change {text!r}'
    match = _CHANGE.match(text)
    if not match:
        raise PlantChangeError(f'{where}: expected EPISODE:FIELD=VALUE[,FIELD=VALUE...] or '
                               f'EPISODE:{ORIGINAL}')
    episode, body = int(match.group(1)), match.group(2).strip()
    if episode < 0:
        raise PlantChangeError(f'{where}: the episode must be >= 0 (got {episode})')
    if body == ORIGINAL:
        return PlantChange(episode, original=True, text=text.strip())
    values: dict[str, Value] = {}
    for item in _SPLIT.split(body) if body else []:
        name, sep, value = item.partition('=')
        name = name.strip()
        if not sep or not name:
            raise PlantChangeError(f'{where}: {item.strip()!r} is not FIELD=VALUE')
        if name not in CHECKS:
            raise PlantChangeError(f'{where}: unknown field {name!r} (fields: '
                                   f'{", ".join(FIELDS)}; or EPISODE:{ORIGINAL})')
        if name in values:
            raise PlantChangeError(f'{where}: {name} is given twice')
        values[name] = _parse_value(name, value, where)
    if not values:
        raise PlantChangeError(f'{where}: no FIELD=VALUE after the episode')
    return PlantChange(episode, tuple(values.items()), text=text.strip())


def parse_plant_schedule(texts: Iterable[str] | None) -> PlantSchedule:
    """A schedule from the texts of its changes, whose episodes must increase."""
    changes = [parse_plant_change(text) for text in texts or ()]
    for before, after in zip(changes, changes[1:]):
        if after.episode <= before.episode:
            raise PlantChangeError(
                f'--plant-change {after.text!r}: episodes must increase (episode '
                f'{after.episode} comes after {before.text!r})')
    return PlantSchedule(tuple(changes))


def plant_from(values: Mapping[str, Any]) -> Plant:
    """A Plant from the fields found in ``values`` (e.g. a node's parameters); others default."""
    return Plant(**{name: values[name] for name in FIELDS if name in values})
