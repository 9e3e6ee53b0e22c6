"""Parameter specifications and checks shared by the nodes (pure Python, no rclpy).

A check takes a value and returns None when it is acceptable, else the reason ('must be ...'),
which the nodes turn into 'name: reason' for a rejected set or a refused start.
"""

from dataclasses import dataclass
import math


def is_number(value):
    """A finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def in_range(low, high, unit=''):
    def check(value):
        if not is_number(value) or not low <= value <= high:
            return f'must be in [{low}, {high}]{unit}'
        return None
    return check


def above_zero(high, unit=''):
    def check(value):
        if not is_number(value) or not 0 < value <= high:
            return f'must be in (0, {high}]{unit}'
        return None
    return check


def one_of(*choices):
    def check(value):
        return None if value in choices else f'must be one of {", ".join(map(repr, choices))}'
    return check


def non_negative_numbers(count):
    def check(value):
        values = list(value)
        if len(values) != count or not all(is_number(v) and v >= 0 for v in values):
            return f'must be {count} non-negative numbers'
        return None
    return check


def joint_name(value):
    return None if value.strip() else 'must be a non-empty joint name'


def any_value(value):
    return None


@dataclass(frozen=True)
class ParameterSpec:
    """One node parameter: default (which fixes its ROS type), description, check, and whether
    it is fixed at start (read_only) or changeable only while unconfigured (configure_only)."""

    name: str
    default: object
    description: str
    check: object = any_value
    configure_only: bool = False
    read_only: bool = False
