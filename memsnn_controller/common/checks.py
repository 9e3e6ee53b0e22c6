"""Validation, one way for every layer: the config dataclasses, the environments' settings and
the nodes' parameters.

A check is a function of a value that returns None when the value is acceptable, else the
reason as a phrase ('must be > 0'). ``problem`` names the field and the value,
'actor.eta: must be >= 0 (got -1)'; ``require`` raises that message (ValueError, or the caller's
subclass such as ConfigError); a node's on-set callback returns it as the rejection reason.
"""

from collections.abc import Callable
import math
from typing import Any, TypeVar

_NO_VALUE = object()
_T = TypeVar('_T')

# A check takes a value of any type (from YAML, a ROS parameter, a caller) and returns None when
# it is acceptable, else the reason.
Check = Callable[[Any], str | None]


def is_number(value: object) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# -- checks: value -> None or the reason ---------------------------------------------------------

def any_value(value: object) -> None:
    return None


def number(value: object) -> str | None:
    return None if is_number(value) else 'must be a finite number'


def above(limit: float) -> Check:
    def check(value: Any) -> str | None:
        if not is_number(value):
            return 'must be a finite number'
        return None if value > limit else f'must be > {limit}'
    return check


def at_least(limit: float) -> Check:
    def check(value: Any) -> str | None:
        if not is_number(value):
            return 'must be a finite number'
        return None if value >= limit else f'must be >= {limit}'
    return check


positive = above(0)
non_negative = at_least(0)


def in_range(low: float, high: float, unit: str = '', low_open: bool = False,
             high_open: bool = False) -> Check:
    """A finite number in the interval from low to high (closed unless said open)."""
    text = f'must be in {"(" if low_open else "["}{low}, {high}{")" if high_open else "]"}{unit}'

    def check(value: Any) -> str | None:
        if not is_number(value):
            return text
        if value < low or value > high or (low_open and value == low) or (
                high_open and value == high):
            return text
        return None
    # For a ROS parameter descriptor's range (closed): a function attribute (ParameterSpec.bounds).
    check.bounds = (low, high)  # type: ignore[attr-defined]
    return check


def above_zero(high: float, unit: str = '') -> Check:
    """A finite number in (0, high]."""
    return in_range(0, high, unit, low_open=True)


def integer(minimum: int, maximum: int | None = None) -> Check:
    """An int (not a bool) >= minimum (and <= maximum when given)."""
    text = (f'must be an integer >= {minimum}' if maximum is None
            else f'must be an integer in [{minimum}, {maximum}]')

    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (
                maximum is not None and value > maximum):
            return text
        return None
    if maximum is not None:
        check.bounds = (minimum, maximum)  # type: ignore[attr-defined]
    return check


def one_of(*choices: object) -> Check:
    text = f'must be one of {", ".join(map(repr, choices))}'
    return lambda value: None if value in choices else text


def boolean(value: object) -> str | None:
    return None if isinstance(value, bool) else 'must be true or false'


def numbers(count: int, check: Check = non_negative, what: str = 'non-negative numbers') -> Check:
    """A sequence of ``count`` values that each pass ``check``."""
    def check_all(value: Any) -> str | None:
        try:
            values = list(value)
        except TypeError:
            values = None
        if values is None or len(values) != count or any(check(v) is not None for v in values):
            return f'must be {count} {what}'
        return None
    return check_all


def non_empty_text(what: str) -> Check:
    def check(value: object) -> str | None:
        return None if isinstance(value, str) and value.strip() else f'must be a non-empty {what}'
    return check


# -- naming the field ----------------------------------------------------------------------------

def describe(field: str, reason: str, value: object = _NO_VALUE) -> str:
    """'field: reason (got value)'; without a value, 'field: reason'."""
    return f'{field}: {reason}' if value is _NO_VALUE else f'{field}: {reason} (got {value!r})'


def problem(field: str, value: object, *checks: Check) -> str | None:
    """The first failing check's reason with the field and the value, or None."""
    for check in checks:
        reason = check(value)
        if reason is not None:
            return describe(field, reason, value)
    return None


def require(field: str, value: _T, *checks: Check,
            error: type[Exception] = ValueError) -> _T:
    """Raise ``error`` naming the field unless every check passes; return the value."""
    message = problem(field, value, *checks)
    if message is not None:
        raise error(message)
    return value


def require_that(ok: bool, field: str, reason: str, value: object = _NO_VALUE, *,
                 error: type[Exception] = ValueError) -> None:
    """Raise ``error`` with describe(field, reason, value) unless ``ok`` (a condition that no
    single-value check expresses: across fields, or about a structure)."""
    if not ok:
        raise error(describe(field, reason, value))
