"""Node parameters as data: one ParameterSpec per parameter, a ParameterTable per node (pure
Python, no rclpy), so the nodes, memsnn-bringup and the tests share one definition.

A spec's check is one of common.checks' (value -> None or the reason); a table adds the checks
across parameters. Every message names the parameter and the value the way common.checks does:
'force_limit: must be in (0, 1000000.0] N (got -1.0)'. ``node_parameters.DeclaredParameters``
declares a table on a node.
"""

from dataclasses import dataclass

from memsnn_controller.common import checks


@dataclass(frozen=True)
class ParameterSpec:
    """One node parameter: default (which fixes its ROS type; a tuple means a string array,
    which may be empty), description (the ParameterDescriptor's), check, and whether it is fixed
    at start (read_only) or changeable only while the node is unconfigured (configure_only).
    Either way a set to the value it already has is accepted (``ros2 param load`` of the file
    a node started with)."""

    name: str
    default: object
    description: str
    check: object = checks.any_value
    configure_only: bool = False
    read_only: bool = False

    @property
    def string_array(self):
        return isinstance(self.default, tuple)

    @property
    def bounds(self):
        """(low, high) of a range check (the descriptor's range, closed), else None."""
        return getattr(self.check, 'bounds', None)


class ParameterTable:
    """The parameters of one node.

    relations(name, value, values): why ``value`` of ``name`` does not fit the other values
    (a reason, or None). ``validate_all`` checks every value alone, then the relations of the
    names in ``related``, then ``whole(values)`` (a complete message, or None).
    """

    def __init__(self, node_name, specs, relations=None, related=(), whole=None):
        self.node_name = node_name
        self.specs = tuple(specs)
        self.by_name = {spec.name: spec for spec in self.specs}
        self._relations = relations
        self._related = tuple(related)
        self._whole = whole

    def __contains__(self, name):
        return name in self.by_name

    def defaults(self):
        """Every parameter's default, as a dict (string arrays as lists)."""
        return {spec.name: list(spec.default) if spec.string_array else spec.default
                for spec in self.specs}

    def validate(self, name, value, others=None):
        """Why ``value`` is not acceptable for parameter ``name`` (a message naming both), or
        None. others: the values of all parameters as they would be after the change, for the
        checks across parameters."""
        spec = self.by_name.get(name)
        if spec is None:
            return None
        reason = spec.check(value)
        if reason is None and others and self._relations is not None:
            reason = self._relations(name, value, others)
        return None if reason is None else checks.describe(name, reason, value)

    def validate_all(self, values):
        """The first reason why ``values`` (every parameter's) cannot be used, or None."""
        for spec in self.specs:
            message = checks.problem(spec.name, values[spec.name], spec.check)
            if message is not None:
                return message
        for name in self._related:
            message = self.validate(name, values[name], values)
            if message is not None:
                return message
        return None if self._whole is None else self._whole(values)
