"""``controller_node [--ros-args ...]``: the controller node (ros/controller_node.py) in a process
of its own.

With autostart (the default) it configures and activates at once; otherwise a lifecycle manager
(or memsnn-bringup) drives it. Ctrl-C and SIGTERM are stop requests polled between spins, so no
callback is cut short. Exit codes: 0 after Ctrl-C or SIGTERM (0 N published, checkpoint saved);
2 bad --ros-args, an invalid parameter, or a configuration, agent or checkpoint that cannot be
used (one line on stderr).
"""

import sys

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.signals import SignalHandlerOptions

from memsnn_controller.apps.cli import EXIT_USAGE, fail
from memsnn_controller.common.stop import StopSignals
from memsnn_controller.ros.controller_config import NODE_NAME
from memsnn_controller.ros.controller_node import ControllerNode, ControllerParameterError


def main(args=None):
    try:
        rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    except Exception as exc:  # bad --ros-args syntax and the like
        return fail(NODE_NAME, f'cannot start: {exc}'.splitlines()[0])
    stop = StopSignals().install()
    try:
        node = ControllerNode()
    except ControllerParameterError as exc:
        rclpy.try_shutdown()
        return fail(NODE_NAME, f'invalid parameter: {exc}')
    code = 0
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        if node.autostart and not stop() and not node.start():
            code = fail(NODE_NAME, f'cannot start: {node.last_error}'.splitlines()[0],
                        EXIT_USAGE)
        while code == 0 and not stop() and rclpy.ok():
            executor.spin_once(timeout_sec=0.1)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if rclpy.ok():
            node.shutdown_safely()
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
    return code


if __name__ == '__main__':
    sys.exit(main())
