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

A laboratory rig's effects (envs/rig.py implements each one, once, for every model; each is off
by default, which is CartPole-v1's system):

- ``track_limit`` (m, inf): end stops at +-track_limit. The cart hits them inelastically: its
  velocity becomes 0 and the pole takes the reaction of that impulse (rig.end_stop); every
  hit is counted (``end_stop_hits``). inf: no stops.
- ``delay`` (s, 0): actuation delay; a command takes effect ``delay`` after it was sent, at the
  first physics step that starts at or after that time (fractions of a control period allowed).
  Before the first command takes effect the motor gets 0.
- ``coulomb_friction`` (N, 0): dry friction of the cart, -coulomb_friction sign(x_dot) while it
  moves; at rest it holds the cart against any force up to that size (stiction).
- ``pole_friction`` (N m s/rad, 0): viscous friction of the pole's joint, a torque
  -pole_friction theta_dot.
- ``encoder_counts`` (per revolution, 0 = exact): the pole angle and the cart position are
  observed through encoders of that many counts: theta in steps of 2 pi / counts, x in steps of
  2 pi ``pinion_radius`` / counts (the cart's encoder turns with a pinion of that radius, m).
- ``motor``: 'force' (the command is a force in N, clipped to the force limit) or 'dc' (the
  command is a voltage, clipped to ``voltage_limit`` V, and a DC motor pushes with
  ``k_force`` V - ``k_emf`` x_dot newtons: its force falls with the cart's speed, the back-EMF;
  k_force in N/V, k_emf in N s/m). ``actuator_gain`` multiplies the motor's force either way.
- ``velocity_sensing``: 'measured' (the velocities are observed) or 'none' (position-only
  sensing: the observed x_dot and theta_dot are NaN, as joint_state_broadcaster publishes them
  without velocity interfaces; a sensor front end must estimate them).
- ``sensor_sign``: (cart, pole), each +1 or -1: the sign of the cart's and the pole's readings
  (x and x_dot, theta and theta_dot) before the offset is added: an encoder mounted the other
  way round.

What is observed is ``sign x true state + sensor_offset``, then quantised by the encoders, then
the velocities blanked when not measured.

A schedule is a list of changes ``EPISODE:FIELD=VALUE[,FIELD=VALUE...]`` (the text of
``--plant-change`` in memsnn-train, memsnn-compare and memsnn-bringup): from episode EPISODE
(counted from 0) on, each FIELD has VALUE, a number (for ``sensor_offset`` one number or four,
``[0, 0, 0.01, 0]``; for ``sensor_sign`` two, ``[1, -1]``; ``inf`` for ``track_limit``; a
whole number for ``encoder_counts``), a word for ``motor`` and ``velocity_sensing``, or ``xF``,
F times the original plant's value (numbers only); ``EPISODE:original`` restores
every field. Fields not named keep their values; episodes must increase. A bad change raises
PlantChangeError naming the change and what is wrong. This module needs only the standard
library (the simulator's parameter table reads its checks).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
import math
import re
from typing import Any

from memsnn_controller.common import checks

SENSOR_OFFSET_LIMIT = 10.0
MOTORS = ('force', 'dc')
VELOCITY_SENSING = ('measured', 'none')
MAX_ENCODER_COUNTS = 1 << 24
MAX_TRACK_LIMIT = 10.0  # m: within the PyBullet model's 15 m slider


def _track_limit(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return 'must be a number > 0 (m) or inf'
    return None if 0.0 < value and (value == math.inf or value <= MAX_TRACK_LIMIT) else \
        f'must be in (0, {MAX_TRACK_LIMIT:g}] m or inf'


def _signs(value: Any) -> str | None:
    try:
        values = list(value)
    except TypeError:
        return 'must be two signs, [cart, pole], each 1 or -1'
    if len(values) != 2 or any(isinstance(v, bool) or v not in (1, -1) for v in values):
        return 'must be two signs, [cart, pole], each 1 or -1'
    return None


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
    'track_limit': _track_limit,
    'delay': checks.in_range(0.0, 1.0, ' s'),
    'coulomb_friction': checks.in_range(0.0, 1000.0, ' N'),
    'pole_friction': checks.in_range(0.0, 100.0, ' N m s/rad'),
    'encoder_counts': checks.integer(0, MAX_ENCODER_COUNTS),
    'pinion_radius': checks.above_zero(1.0, ' m'),
    'motor': checks.one_of(*MOTORS),
    'voltage_limit': checks.above_zero(1000.0, ' V'),
    'k_force': checks.above_zero(1000.0, ' N/V'),
    'k_emf': checks.in_range(0.0, 1000.0, ' N s/m'),
    'velocity_sensing': checks.one_of(*VELOCITY_SENSING),
    'sensor_sign': _signs,
}
# The fields of each kind (how a change's text is read).
TEXT_FIELDS = ('motor', 'velocity_sensing')
INTEGER_FIELDS = ('encoder_counts',)
SEQUENCE_FIELDS = ('sensor_offset', 'sensor_sign')
# The fields that act on the physics (rig.py: they need the rig's integrator in gymnasium's
# equations); the others act on what is observed.
DYNAMICS_FIELDS = ('track_limit', 'delay', 'coulomb_friction', 'pole_friction', 'motor')
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
    track_limit: float = math.inf
    delay: float = 0.0
    coulomb_friction: float = 0.0
    pole_friction: float = 0.0
    encoder_counts: int = 0
    pinion_radius: float = 0.01
    motor: str = 'force'
    voltage_limit: float = 10.0
    k_force: float = 1.0
    k_emf: float = 0.0
    velocity_sensing: str = 'measured'
    sensor_sign: Sequence[int] = (1, 1)

    def __post_init__(self) -> None:
        offset: Any = self.sensor_offset
        if checks.is_number(offset):
            offset = (offset,) * 4
        for name, check in CHECKS.items():
            checks.require(f'plant.{name}', offset if name == 'sensor_offset'
                           else getattr(self, name), check)
        object.__setattr__(self, 'sensor_offset', tuple(float(v) for v in offset))
        object.__setattr__(self, 'sensor_sign', tuple(int(v) for v in self.sensor_sign))
        for name in CHECKS:
            if name not in SEQUENCE_FIELDS + TEXT_FIELDS + INTEGER_FIELDS:
                object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def rig_dynamics(self) -> bool:
        """Whether a field of DYNAMICS_FIELDS differs from CartPole-v1's (no stops, no delay,
        no dry or pole friction, a force motor)."""
        return (self.track_limit != math.inf or self.delay > 0.0 or self.coulomb_friction > 0.0
                or self.pole_friction > 0.0 or self.motor != 'force')

    @property
    def observation_effects(self) -> bool:
        """Whether what is observed differs from the true state plus sensor_offset (encoders,
        position-only sensing, a reversed sign)."""
        return (self.encoder_counts > 0 or self.velocity_sensing != 'measured'
                or self.sensor_sign != (1, 1))

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
        """{field: value}, sensor_offset and sensor_sign as lists."""
        return {name: list(getattr(self, name)) if name in SEQUENCE_FIELDS
                else getattr(self, name) for name in FIELDS}

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
    if name in TEXT_FIELDS:
        reason = CHECKS[name](text)
        if reason is not None:
            raise PlantChangeError(f'{where}: {name} {reason} (got {text})')
        return text
    numeric = name not in SEQUENCE_FIELDS
    if numeric and text[:1] in ('x', '*'):
        factor = _number(text[1:])
        if factor is None or factor < 0:
            raise PlantChangeError(f'{where}: {name}={text}: a factor xF needs a number F >= 0')
        if name in INTEGER_FIELDS:
            raise PlantChangeError(f'{where}: {name}={text}: takes a whole number, not a factor')
        return Factor(factor)
    if name in SEQUENCE_FIELDS:
        count = 4 if name == 'sensor_offset' else 2
        parts = text[1:-1].split(',') if text.startswith('[') and text.endswith(']') \
            else [text]
        numbers = [_number(part) for part in parts]
        shape = ('one number or four, [x, x_dot, theta, theta_dot]' if count == 4
                 else 'two signs, [cart, pole]')
        if any(n is None for n in numbers) or len(numbers) not in (1, count):
            raise PlantChangeError(f'{where}: {name}={text}: expected {shape}')
        values: tuple[float, ...] = tuple(n for n in numbers if n is not None)
        values = values * count if len(values) == 1 else values
        reason = CHECKS[name](values)
        if reason is not None:
            raise PlantChangeError(f'{where}: {name} {reason} (got {text})')
        return tuple(int(v) for v in values) if name == 'sensor_sign' else values
    value: Any = math.inf if name == 'track_limit' and text.lower() in ('inf', '.inf') \
        else _number(text)
    if value is None:
        raise PlantChangeError(f'{where}: {name}={text}: expected a number or xF (F times the '
                               f'original value)')
    if name in INTEGER_FIELDS and float(value).is_integer():
        value = int(value)
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
