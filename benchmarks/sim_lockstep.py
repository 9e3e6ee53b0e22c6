"""Lockstep ticks per second of the simulator node against a trivial responder, through ROS.

The simulator node runs in a child process (lockstep, 50 Hz control period); this process runs
a responder that answers every joint_states message with a linear balancing force on
effort_controller/commands. A tick is one state published and answered, so ticks/s is the rate
the whole ROS round trip plus one physics control period allows. Target: >= 500 ticks/s, 10x
real time at 50 Hz. Prints a table; ``--json PATH`` also writes it.

    .venv/bin/python benchmarks/sim_lockstep.py [--seconds 10] [--json out.json]

DDS discovery stays on this machine (ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST) on ROS domain
$MEMSNN_BENCH_DOMAIN_ID (default 42).
"""

import argparse
from itertools import pairwise
import json
import os
import platform
import statistics
import sys
import tempfile
import time

os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
DOMAIN_ID = int(os.environ.get('MEMSNN_BENCH_DOMAIN_ID', '42'))

from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402  (after the discovery range)
import rclpy  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402
from std_msgs.msg import Float64MultiArray  # noqa: E402

from memsnn_controller.common.processes import ManagedProcess, ros_environment  # noqa: E402
from memsnn_controller.ros import conversions, qos  # noqa: E402

TARGET_TICKS_PER_SECOND = 500.0
# A linear (LQR) balancing law for CartPole-v1's linearised dynamics at 50 Hz.
GAINS = (2.8, 5.3, 46.0, 12.0)


class Responder:
    """Answers each joint state with a force and records arrival times and stamps."""

    def __init__(self, node):
        self.node = node
        self.pub = node.create_publisher(Float64MultiArray, 'effort_controller/commands',
                                         qos.COMMANDS)
        node.create_subscription(JointState, 'joint_states', self.on_state, qos.SENSOR_DATA)
        node.create_subscription(DiagnosticArray, '/diagnostics', self.on_diagnostics,
                                 qos.DIAGNOSTICS)
        self.command = Float64MultiArray()
        self.arrivals = []
        self.stamps = []
        self.status = {}

    def on_diagnostics(self, msg):
        for status in msg.status:
            if status.name.endswith(': status'):
                self.status = conversions.diagnostic_values(status)

    def on_state(self, msg):
        self.arrivals.append(time.perf_counter())
        self.stamps.append(conversions.ns_from_time(msg.header.stamp))
        x, theta = msg.position
        x_dot, theta_dot = msg.velocity
        k = GAINS
        self.command.data = [k[0] * x + k[1] * x_dot + k[2] * theta + k[3] * theta_dot]
        self.pub.publish(self.command)


def measure(seconds, warmup, command_timeout, log_path):
    sim = ManagedProcess(
        [sys.executable, '-m', 'memsnn_controller.apps.sim_node', '--ros-args',
         '-p', 'mode:=lockstep', '-p', f'command_timeout:={command_timeout}',
         '-p', 'max_episode_steps:=0'],
        env=ros_environment(DOMAIN_ID), log_path=log_path, name='sim_node')
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=DOMAIN_ID)
    node = rclpy.create_node('lockstep_bench_responder', context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    responder = Responder(node)
    try:
        with sim:
            deadline = time.monotonic() + 30.0
            while not responder.arrivals and time.monotonic() < deadline and sim.running():
                executor.spin_once(timeout_sec=0.1)
            if not responder.arrivals:
                raise RuntimeError(f'no joint states from the sim node:\n{sim.log_text()}')
            first = time.perf_counter()
            while time.perf_counter() < first + warmup + seconds:
                executor.spin_once(timeout_sec=0.1)
            # One more status report from the sim, for its timeout count.
            responder.status = {}
            deadline = time.monotonic() + 3.0
            while not responder.status and time.monotonic() < deadline:
                executor.spin_once(timeout_sec=0.1)
    finally:
        executor.shutdown()
        node.destroy_node()
        context.try_shutdown()

    start = first + warmup
    window = [(t, s) for t, s in zip(responder.arrivals, responder.stamps, strict=True)
              if t >= start]
    times = [t for t, _ in window]
    stamps = [s for _, s in window]
    gaps_ms = sorted((b - a) * 1e3 for a, b in pairwise(times))
    period_ns = 20_000_000
    skipped = sum(1 for a, b in pairwise(stamps) if b - a != period_ns)
    ticks = len(times) - 1
    elapsed = times[-1] - times[0]
    return {
        'ticks': ticks,
        'seconds': elapsed,
        'ticks_per_second': ticks / elapsed,
        'realtime_factor_50hz': ticks / elapsed / 50.0,
        'tick_ms_median': statistics.median(gaps_ms),
        'tick_ms_p99': gaps_ms[int(0.99 * (len(gaps_ms) - 1))],
        'tick_ms_max': gaps_ms[-1],
        'stamp_gaps_not_one_period': skipped,
        'sim_command_timeouts': int(responder.status.get('command_timeouts', -1)),
        'command_timeout_s': command_timeout,
        'target_ticks_per_second': TARGET_TICKS_PER_SECOND,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=10.0, help='measuring window')
    parser.add_argument('--warmup', type=float, default=2.0, help='seconds before measuring')
    parser.add_argument('--command-timeout', type=float, default=1.0,
                        help="the sim node's command_timeout (s); long, so none fires")
    parser.add_argument('--json', metavar='PATH', help='also write the results as JSON')
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        result = measure(args.seconds, args.warmup, args.command_timeout,
                         os.path.join(tmp, 'sim_node.log'))
    result['passes_target'] = result['ticks_per_second'] >= TARGET_TICKS_PER_SECOND

    print(f'{"lockstep through ROS (2 processes)":<36} {"value":>12}')
    print(f'{"ticks/s":<36} {result["ticks_per_second"]:>12.0f}')
    print(f'{"x real time at 50 Hz":<36} {result["realtime_factor_50hz"]:>12.1f}')
    print(f'{"tick ms (median)":<36} {result["tick_ms_median"]:>12.3f}')
    print(f'{"tick ms (p99)":<36} {result["tick_ms_p99"]:>12.3f}')
    print(f'{"tick ms (max)":<36} {result["tick_ms_max"]:>12.3f}')
    print(f'{"stamp gaps != 1 period":<36} {result["stamp_gaps_not_one_period"]:>12d}')
    print(f'{"command timeouts (whole run)":<36} {result["sim_command_timeouts"]:>12d}')
    verdict = 'meets' if result['passes_target'] else 'MISSES'
    print(f'{verdict} the target of {TARGET_TICKS_PER_SECOND:.0f} ticks/s')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'benchmark': 'sim_lockstep', 'python': platform.python_version(),
                       'machine': platform.machine(), 'domain_id': DOMAIN_ID,
                       'results': result}, f, indent=2)


if __name__ == '__main__':
    main()
