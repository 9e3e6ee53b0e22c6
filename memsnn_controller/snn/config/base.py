"""What every config section shares: ConfigError, the checks that name the field, and the
section base class whose __post_init__ validates."""

from dataclasses import fields
import math
from typing import Any, ClassVar

from memsnn_controller.common import checks
from memsnn_controller.common.checks import Check


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
