"""``sim_node [--ros-args ...]``: the simulator node (ros/sim_node.py) in a process of its own.

Spins until Ctrl-C or SIGTERM. Exit codes: 0 stopped; 2 bad --ros-args, an invalid parameter or
a simulator that cannot start (e.g. gui without a display), one line on stderr.
"""

import sys

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

from memsnn_controller.apps.cli import EXIT_USAGE, fail
from memsnn_controller.ros.sim_config import NODE_NAME
from memsnn_controller.ros.sim_node import CartPoleSimNode, SimParameterError


def main(args=None):
    try:
        rclpy.init(args=args)
    except Exception as exc:  # bad --ros-args syntax and the like
        return fail(NODE_NAME, f'cannot start: {exc}'.splitlines()[0])
    try:
        node = CartPoleSimNode()
    except (SimParameterError, ValueError) as exc:
        rclpy.try_shutdown()
        return fail(NODE_NAME, f'invalid parameter: {exc}')
    except RuntimeError as exc:  # e.g. no display for the GUI
        rclpy.try_shutdown()
        return fail(NODE_NAME, f'cannot start: {exc}', EXIT_USAGE)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
