"""Declaring a ParameterTable on a node, the one way both nodes handle their parameters.

- every parameter is declared with a ParameterDescriptor (its description; read_only, which
  rclpy enforces on every later set);
- every set is validated before it is applied: the values as they would be after the change go
  through the table's checks, and a bad one is refused with the reason (what ``ros2 param set``
  prints); a configure_only parameter is refused while the node is configured;
- a value the node cannot start with raises the node's error class, one line naming the
  parameter; parameters given but not declared are warned about;
- ``on_change(names)`` runs after a successful set (not for the declarations).
"""

from rcl_interfaces.msg import ParameterDescriptor, SetParametersResult
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
        try:
            for spec in table.specs:
                descriptor = ParameterDescriptor(description=spec.description,
                                                 read_only=spec.read_only)
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
        current = self.values()
        for param in params:
            spec = table.by_name.get(param.name)
            current[param.name] = (list(param.value or ()) if spec is not None
                                   and spec.string_array else param.value)
        for param in params:
            spec = table.by_name.get(param.name)
            if spec is None:
                continue
            if spec.configure_only and self._configured():
                return checks.describe(param.name, 'shapes the agent built at configure: change '
                                       'it while unconfigured (cleanup first)', param.value)
            reason = table.validate(param.name, current[param.name], current)
            if reason is not None:
                return reason
        return None

    def _changed(self, params):
        if not self._declaring and self._on_change is not None:
            self._on_change({param.name for param in params})
