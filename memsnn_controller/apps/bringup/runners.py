"""The two ways memsnn-bringup runs the nodes; both offer start, check, deactivate,
save_checkpoint and shutdown to the job.

InProcessNodes: both nodes in this process, on the job's SingleThreadedExecutor.
ChildProcessNodes: ``python -m memsnn_controller.apps.sim_node`` and ``... .controller_node`` as
child processes (their logs in the run folder), driven over ROS: lifecycle transitions through
``change_state``, the checkpoint through ``~/save_checkpoint``.
"""

import os
import sys

from memsnn_controller.apps.bringup import CONTROLLER_NODE, SIM_NODE, BringupError, NodeFailed
from memsnn_controller.apps.bringup.monitor import EPISODES_TOPIC
from memsnn_controller.apps.cli import EXIT_USAGE
from memsnn_controller.common.processes import ManagedProcess, ros_environment


class InProcessNodes:
    """Both nodes in this process, on the caller's executor."""

    def __init__(self, context, executor, params_path, log):
        self.context = context
        self.executor = executor
        self.params_path = params_path
        self.log = log
        self.sim = None
        self.controller = None

    def start(self):
        from memsnn_controller.ros.controller_node import (
            ControllerNode,
            ControllerParameterError,
        )
        from memsnn_controller.ros.sim_node import CartPoleSimNode, SimParameterError

        args = ['--ros-args', '--params-file', self.params_path]
        try:
            self.sim = CartPoleSimNode(context=self.context, cli_args=args)
            self.controller = ControllerNode(context=self.context, cli_args=args)
        except (SimParameterError, ControllerParameterError) as exc:
            raise BringupError(f'invalid parameter: {exc}') from None
        except RuntimeError as exc:  # e.g. no display for the GUI
            raise BringupError(f'cannot start the simulator: {exc}') from None
        self.executor.add_node(self.sim)
        self.executor.add_node(self.controller)
        self.log('configuring the controller (building the agent, warming the numba kernels)')
        if not self.controller.start():
            raise BringupError(f'the controller cannot start: {self.controller.last_error}')

    def check(self):
        pass  # an exception in a callback surfaces from spin_once

    def deactivate(self):
        if self.controller is not None and self.controller.lifecycle_state() == 'active':
            self.controller.trigger_deactivate()

    def save_checkpoint(self):
        if self.controller is None:
            return False, 'the controller never started'
        return self.controller.save_checkpoint()

    def shutdown(self):
        if self.controller is not None:
            self.controller.shutdown_safely()
            self.executor.remove_node(self.controller)
            self.controller.destroy_node()
        if self.sim is not None:
            self.executor.remove_node(self.sim)
            self.sim.destroy_node()


class ChildProcessNodes:
    """sim_node and controller_node as child processes (ManagedProcess), reached over ROS."""

    def __init__(self, node, spin_until, monitor, params_path, out, log):
        self.node = node
        self.spin_until = spin_until
        self.monitor = monitor
        self.params_path = params_path
        self.out = out
        self.log = log
        self.children = []

    def start(self):
        from lifecycle_msgs.msg import Transition
        from lifecycle_msgs.srv import ChangeState
        from std_srvs.srv import Trigger

        # Clients made now are discovered by the time they are needed, so stopping is prompt.
        self.change_state = self.node.create_client(ChangeState,
                                                    f'/{CONTROLLER_NODE}/change_state')
        self.save = self.node.create_client(Trigger, f'/{CONTROLLER_NODE}/save_checkpoint')
        env = ros_environment()
        for module, name in (('sim_node', SIM_NODE), ('controller_node', CONTROLLER_NODE)):
            argv = [sys.executable, '-m', f'memsnn_controller.apps.{module}', '--ros-args',
                    '--params-file', self.params_path]
            proc = ManagedProcess(argv, env=env, log_path=os.path.join(self.out, f'{module}.log'),
                                  name=name)
            self.children.append(proc.start())
        self.log(f'started {SIM_NODE} (pid {self.children[0].pid}) and {CONTROLLER_NODE} (pid '
                 f'{self.children[1].pid}); logs in {self.out}')
        # Configure and activate only when both nodes' /diagnostics publishers and the episode
        # reports' are known here (the reports are transient-local: none would be lost anyway).
        ready = self.spin_until(lambda: self.check() or (
            self.change_state.service_is_ready()
            and self.node.count_publishers('/diagnostics') >= 2
            and self.node.count_publishers(EPISODES_TOPIC) >= 1), 60.0)
        if not ready:
            raise BringupError(f'{CONTROLLER_NODE} did not come up within 60 s; see '
                               f'{self.children[1].log_path}')
        self.spin_until(lambda: self.check(), 0.2)
        self.log('configuring the controller (building the agent, warming the numba kernels)')
        for name, transition in (('configure', Transition.TRANSITION_CONFIGURE),
                                 ('activate', Transition.TRANSITION_ACTIVATE)):
            request = ChangeState.Request()
            request.transition.id = transition
            response = self._call(self.change_state, request, timeout=180.0)
            self.check()
            if response is None or not response.success:
                raise BringupError(f'{CONTROLLER_NODE} failed to {name}; see '
                                   f'{self.children[1].log_path}')

    def check(self):
        """Raise if a child has exited (BringupError for code 2, else NodeFailed)."""
        for proc in self.children:
            code = proc.returncode()
            if code is not None:
                lines = [line for line in proc.log_text().splitlines() if line.strip()]
                last = lines[-1] if lines else '(no output)'
                if code == EXIT_USAGE:
                    raise BringupError(f'{proc.name} exited with code 2: {last}')
                raise NodeFailed(f'{proc.name} exited with code {code}: {last}')

    def _call(self, client, request, timeout=15.0):
        if not self.spin_until(client.service_is_ready, timeout):
            return None
        future = client.call_async(request)
        if not self.spin_until(future.done, timeout):
            return None
        return future.result()

    def deactivate(self):
        from lifecycle_msgs.msg import Transition
        from lifecycle_msgs.srv import ChangeState

        if len(self.children) < 2 or not self.children or not self.children[1].running():
            return
        request = ChangeState.Request()
        request.transition.id = Transition.TRANSITION_DEACTIVATE
        if self._call(self.change_state, request) is None:
            self.log(f'{CONTROLLER_NODE} did not answer the deactivation')

    def save_checkpoint(self):
        from std_srvs.srv import Trigger

        if len(self.children) < 2 or not self.children[1].running():
            return False, f'{CONTROLLER_NODE} is not running'
        response = self._call(self.save, Trigger.Request())
        if response is None:
            return False, f'{CONTROLLER_NODE} did not answer ~/save_checkpoint'
        return response.success, response.message

    def shutdown(self):
        for proc in reversed(self.children):
            proc.stop(grace=20.0)  # the controller saves its checkpoint on SIGINT
