"""Declaring a ParameterTable on a node, the one way both nodes handle their parameters.

- every parameter is declared with a ParameterDescriptor: its description, and the range of a
  number whose check is a range (a FloatingPointRange or IntegerRange, closed: an open end such
  as (0, 1e6] is declared [0, 1e6] and its end refused by the check), which rclpy enforces on
  every set with its own message ('Parameter x out of range ...');
- every set is validated before it is applied: the values as they would be after the change go
  through the table's checks, and a bad one is refused with the reason (what ``ros2 param set``
  prints);
- a read_only parameter refuses every change after start, a configure_only one every change
  while the node is configured, but a set to the value it already has is accepted, so
  ``ros2 param load`` of the file the node started with succeeds. (read_only is enforced here,
  not by the descriptor's flag, which would refuse equal values too; the descriptor's
  additional_constraints says it);
- a value the node cannot start with raises the node's error class, one line naming the
  parameter (checked before declaring, so the message is the table's, not the range's);
  parameters given but not declared are warned about;
- ``on_change(names)`` runs after a successful set (not for the declarations).
"""

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.exceptions import (
    InvalidParameterTypeException,
    InvalidParameterValueException,
    ParameterUninitializedException,
)
from rclpy.parameter import Parameter

from memsnn_controller.common import checks


class DeclaredParameters:
    """A ParameterTable declared on ``node`` (see the module docstring).

    error: the exception class raised for a value the node cannot start with.
    configured: a callable, true while configure_only parameters must not change.
    """

    def __init__(self, node, table, error, configured=None, on_change=None):
        self.node = node
        self.table = table
        self._configured = configured or (lambda: False)
        self._on_change = on_change
        self._declaring = True
        self._rejection = ''
        node.add_on_set_parameters_callback(self._validate)
        node.add_post_set_parameters_callback(self._changed)
        overrides = node._parameter_overrides
        for spec in table.specs:
            if spec.name in overrides:
                message = checks.problem(spec.name, overrides[spec.name].value, spec.check)
                if message is not None:
                    raise error(message)
        try:
            for spec in table.specs:
                descriptor = self.descriptor(spec)
                if spec.string_array:
                    # An empty string array reads back as "not set" (YAML []).
                    node.declare_parameter(spec.name, Parameter.Type.STRING_ARRAY, descriptor)
                else:
                    node.declare_parameter(spec.name, spec.default, descriptor)
        except InvalidParameterValueException as exc:
            raise error(self._rejection or str(exc)) from None
        except InvalidParameterTypeException as exc:
            raise error(str(exc).rsplit(': ', 1)[0]) from None
        self._declaring = False
        message = table.validate_all(self.values())
        if message is not None:
            raise error(message)
        undeclared = sorted(set(node._parameter_overrides) - set(node._parameters))
        if undeclared:
            node.get_logger().warning(f'unknown parameters ignored: {", ".join(undeclared)}')

    @staticmethod
    def descriptor(spec):
        """The ParameterDescriptor of a spec: description, range, what fixes it."""
        descriptor = ParameterDescriptor(description=spec.description)
        bounds = spec.bounds
        default = spec.default
        if bounds is not None and isinstance(default, float):
            descriptor.floating_point_range = [FloatingPointRange(
                from_value=float(bounds[0]), to_value=float(bounds[1]), step=0.0)]
        elif bounds is not None and isinstance(default, int) and not isinstance(default, bool):
            descriptor.integer_range = [IntegerRange(from_value=int(bounds[0]),
                                                     to_value=int(bounds[1]), step=0)]
        if spec.read_only:
            descriptor.additional_constraints = ('read-only: fixed at start (a set to its '
                                                 'current value is accepted)')
        elif spec.configure_only:
            descriptor.additional_constraints = ('changes only while the node is unconfigured '
                                                 '(a set to its current value is accepted)')
        return descriptor

    def values(self):
        """The current value of every parameter of the table, as a dict (string arrays as
        lists)."""
        values = {}
        for spec in self.table.specs:
            try:
                value = self.node.get_parameter(spec.name).value
            except ParameterUninitializedException:
                value = None
            values[spec.name] = list(value or ()) if spec.string_array else value
        return values

    def _validate(self, params):
        reason = self._refusal(params)
        if reason is not None:
            self._rejection = reason
            return SetParametersResult(successful=False, reason=reason)
        return SetParametersResult(successful=True)

    def _refusal(self, params):
        table = self.table
        if self._declaring:  # one value at a time: the others are not all declared yet
            for param in params:
                reason = table.validate(param.name, param.value)
                if reason is not None:
                    return reason
            return None
        before = self.values()
        current = dict(before)
        for param in params:
            spec = table.by_name.get(param.name)
            current[param.name] = (list(param.value or ()) if spec is not None
                                   and spec.string_array else param.value)
        for param in params:
            spec = table.by_name.get(param.name)
            if spec is None:
                continue
            unchanged = _same(current[param.name], before[param.name])
            if spec.read_only and not unchanged:
                return checks.describe(param.name, 'is read-only: it is fixed at start',
                                       param.value)
            if spec.configure_only and self._configured() and not unchanged:
                return checks.describe(param.name, 'shapes the agent built at configure: change '
                                       'it while unconfigured (cleanup first)', param.value)
            reason = table.validate(param.name, current[param.name], current)
            if reason is not None:
                return reason
        return None

    def _changed(self, params):
        if not self._declaring and self._on_change is not None:
            self._on_change({param.name for param in params})


def _same(a, b):
    """Equal parameter values (arrays compared element by element, whatever their type)."""
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)) or hasattr(a, 'tolist'):
        try:
            return list(a) == list(b)
        except TypeError:
            return False
    return type(a) is type(b) and a == b
