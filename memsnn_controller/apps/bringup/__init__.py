"""memsnn-bringup, split by job: the command line (cli), the parameters of both nodes (params),
the listener of the episode reports and /diagnostics (monitor), the nodes in this process or as
child processes (runners), the run folder's files (outputs) and the run that composes them (job).
``python -m memsnn_controller.apps.bringup`` is memsnn-bringup.
"""

from memsnn_controller.ros.controller_config import NODE_NAME as CONTROLLER_NODE
from memsnn_controller.ros.sim_config import NODE_NAME as SIM_NODE

PROG = 'memsnn-bringup'
PARAMS_FILE = 'params.yaml'

__all__ = ['CONTROLLER_NODE', 'PARAMS_FILE', 'PROG', 'SIM_NODE', 'BringupError', 'NodeFailed']


class BringupError(RuntimeError):
    """The bringup cannot start or go on as asked; the message says why (exit code 2)."""


class NodeFailed(RuntimeError):
    """A node stopped or failed while running (exit code 1)."""
