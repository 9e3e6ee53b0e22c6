"""Loop latency through ROS: the same joint-state stream answered by an echo node and by the
controller node (learning on), at 50 Hz and at 240 Hz.

This process publishes ``joint_states`` at the rate (reliable, stamped on an exact wall-clock
grid, ``trajectory()``: episodes of 1.3 s of balancing ended by a fall and a reset, so the
controller learns with device writes and most states are agent steps) and times, for each
state, the round trip from just before publish() to the arrival of its answer on
``effort_controller/commands``. The answerer runs in its own process, one at a time (this
machine has 2 cores):

- echo: a trivial rclpy node answering every state with 0 N (the floor: two ROS hops);
- controller: ``controller_node`` with ``control_period`` = 1 / rate (at 240 Hz the node sets
  ``neuron.dt_ms`` so the period is 4 neural steps), learning on, autosave off.

Per rate it reports the round trip's p50 and p99 for both, the controller's overruns (answers
whose receipt-to-publish time inside the node exceeded the control period; the node's own count,
whole run including warm-up) and states left unanswered. Target: controller p99 within 0.2 ms of
the echo's p99, and no overruns at 240 Hz. Prints a table; ``--json PATH`` writes it.

    .venv/bin/python benchmarks/ros_latency.py [--seconds 10] [--rates 50 240] [--json out.json]

DDS discovery stays on this machine (ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST) on ROS domain
$MEMSNN_BENCH_DOMAIN_ID (default 43).
"""

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time

os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
DOMAIN_ID = int(os.environ.get('MEMSNN_BENCH_DOMAIN_ID', '43'))

from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402  (after the discovery range)
import numpy as np  # noqa: E402
import rclpy  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.qos import (  # noqa: E402
    DurabilityPolicy,
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
)
from sensor_msgs.msg import JointState  # noqa: E402
from std_msgs.msg import Float64MultiArray  # noqa: E402

from memsnn_controller.common.processes import ManagedProcess, ros_environment  # noqa: E402
from memsnn_controller.ros import conversions, qos  # noqa: E402

P99_MARGIN_MS = 0.2
WARMUP_S = 2.0
# The answers are taken with a deep reliable history, so this process never loses one.
ANSWERS_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1000,
                         reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.VOLATILE)
# The answerers take joint states with sensor-data QoS: best effort, keep the last 5.
READER_DEPTH = qos.SENSOR_DATA.depth


def trajectory(t, cycle=1.6):
    """The streamed state at t seconds: 1.3 s of small oscillations inside the ready region,
    a fall past the failure angle in 0.2 s, then upright again (a reset): episodes of about
    1.3 s, so the controller learns with device writes (the failures drive them), and most
    states are agent steps."""
    u = t % cycle
    x, x_dot = 0.02 * math.sin(2.0 * t), 0.04 * math.cos(2.0 * t)
    if u < 1.3:
        return x, x_dot, 0.02 * math.sin(5.0 * t), 0.1 * math.cos(5.0 * t)
    if u < 1.5:
        return x, x_dot, 0.3 * (u - 1.3) / 0.2, 1.5
    return x, x_dot, 0.0, 0.0


def echo_main():
    """The echo node: answers every joint state at once (run with --echo). Its answer carries
    the state's sequence number (sent in effort[0]) so the stream can match them exactly."""
    rclpy.init()
    node = rclpy.create_node('latency_echo')
    pub = node.create_publisher(Float64MultiArray, 'effort_controller/commands', qos.COMMANDS)
    answer = Float64MultiArray()

    def on_state(msg):
        answer.data = [msg.effort[0]]
        pub.publish(answer)

    node.create_subscription(JointState, 'joint_states', on_state, qos.SENSOR_DATA)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


class Stream:
    """Publishes the states and times their answers; records the controller's status reports.

    States are stamped on an exact grid (as a fixed-rate driver stamps its samples), whatever
    this process's own send jitter, so the controller ticks on every one. Answers are matched to
    states by the sequence number the echo returns. The controller answers every state it takes
    exactly once, in order, so its answers are matched first in, first out; a state it never
    took (its best-effort reader keeps the newest READER_DEPTH states when it falls behind) is
    recognised when more than READER_DEPTH states are waiting for an answer, and skipped. That
    is exact as long as the node takes no state while more are sent than it can hold; the run
    says whether any state was dropped at all (``controller_dropped``).
    """

    def __init__(self, node, rate_hz, by_sequence):
        self.pub = node.create_publisher(JointState, 'joint_states', qos.JOINT_STATES_PUB)
        node.create_subscription(Float64MultiArray, 'effort_controller/commands',
                                 self.on_command, ANSWERS_QOS)
        node.create_subscription(DiagnosticArray, '/diagnostics', self.on_diagnostics,
                                 qos.DIAGNOSTICS)
        self.msg = JointState()
        self.msg.name = [conversions.CART_JOINT, conversions.POLE_JOINT]
        self.period_ns = round(1e9 / rate_hz)
        self.base_ns = time.time_ns()
        self.by_sequence = by_sequence
        self.sent_at = []        # perf_counter at publish, by sequence number
        self.answered_at = []    # perf_counter of the answer, by sequence number (nan: none)
        self.arrivals = []       # perf_counter of every answer, in order
        self.answers = 0
        self.statuses = []

    def send(self, t):
        x, x_dot, theta, theta_dot = trajectory(t)
        seq = len(self.sent_at)
        msg = self.msg
        conversions.time_from_ns(self.base_ns + seq * self.period_ns, msg.header.stamp)
        msg.position = [x, theta]
        msg.velocity = [x_dot, theta_dot]
        msg.effort = [float(seq), 0.0]
        self.answered_at.append(math.nan)
        self.sent_at.append(time.perf_counter())
        self.pub.publish(msg)

    def on_command(self, msg):
        now = time.perf_counter()
        self.answers += 1
        if self.by_sequence:
            seq = int(msg.data[0])
            if 0 <= seq < len(self.answered_at) and math.isnan(self.answered_at[seq]):
                self.answered_at[seq] = now
        else:
            self.arrivals.append(now)

    def match_in_order(self):
        """Assign the in-order answers to states (see the class docstring)."""
        sent = np.array(self.sent_at)
        pointer = 0
        for arrival in self.arrivals:
            sent_before = int(np.searchsorted(sent, arrival))
            pointer = max(pointer, sent_before - READER_DEPTH)
            if pointer < sent_before:
                self.answered_at[pointer] = arrival
                pointer += 1

    def on_diagnostics(self, msg):
        for status in msg.status:
            if status.name == 'memsnn_controller: status':
                values = conversions.diagnostic_values(status)
                values['_received'] = time.perf_counter()
                self.statuses.append(values)

    def round_trips_ms(self, start, end):
        """Round trips (ms) of the states sent in [start, end), and how many got no answer."""
        if not self.by_sequence:
            self.match_in_order()
        sent = np.array(self.sent_at)
        answered = np.array(self.answered_at)
        chosen = (sent >= start) & (sent < end)
        rtt = (answered[chosen] - sent[chosen]) * 1e3
        return rtt[~np.isnan(rtt)], int(np.isnan(rtt).sum())


def measure(answerer_argv, rate_hz, seconds, log_path, name):
    """Run one answerer process against the stream; returns (round trips ms, unanswered,
    stream, measuring window)."""
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=DOMAIN_ID)
    node = rclpy.create_node(f'latency_stream_{name}', context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    stream = Stream(node, rate_hz, by_sequence=name == 'echo')
    proc = ManagedProcess(answerer_argv, env=ros_environment(DOMAIN_ID), log_path=log_path,
                          name=name)
    period = 1.0 / rate_hz
    try:
        with proc:
            deadline = time.monotonic() + 60.0
            while stream.pub.get_subscription_count() == 0:
                if time.monotonic() > deadline or not proc.running():
                    raise RuntimeError(f'{name} never subscribed:\n{proc.log_text()}')
                executor.spin_once(timeout_sec=0.05)
            # Discovery completes on each side separately: give the answerer a moment.
            pause_until = time.monotonic() + 0.5
            while time.monotonic() < pause_until:
                executor.spin_once(timeout_sec=0.05)
            start = time.perf_counter()
            record_from = start + WARMUP_S
            end = record_from + seconds
            next_send = start
            while True:
                now = time.perf_counter()
                if now >= end:
                    break
                if now >= next_send:
                    stream.send(now - start)
                    next_send += period
                    if next_send < now:  # fell behind (a stall here): do not burst
                        next_send = now + period
                executor.spin_once(timeout_sec=max(0.0, next_send - time.perf_counter()))
            # The last answers, and one more status report from the controller.
            count = len(stream.statuses)
            deadline = time.monotonic() + (3.0 if name == 'controller' else 0.3)
            while time.monotonic() < deadline and (name != 'controller'
                                                   or len(stream.statuses) == count):
                executor.spin_once(timeout_sec=0.05)
            if not proc.running():
                raise RuntimeError(f'{name} died:\n{proc.log_text()}')
    finally:
        executor.shutdown()
        node.destroy_node()
        context.try_shutdown()
    rtts_ms, unanswered = stream.round_trips_ms(record_from, end)
    if rtts_ms.size == 0:
        raise RuntimeError(f'{name} never answered:\n{proc.log_text()}')
    return rtts_ms, unanswered, stream, (record_from, end)


def controller_argv(rate_hz):
    return [sys.executable, '-m', 'memsnn_controller.apps.controller_node', '--ros-args',
            '-p', f'control_period:={1.0 / rate_hz!r}', '-p', 'learning:=true',
            '-p', 'autosave_period:=0.0', '-p', 'diagnostics_period:=1.0',
            '-p', 'watchdog_timeout:=1.0']


def run_rate(rate_hz, seconds, tmp):
    row = {'rate_hz': rate_hz}
    echo = measure([sys.executable, os.path.abspath(__file__), '--echo'], rate_hz, seconds,
                   os.path.join(tmp, f'echo_{rate_hz}.log'), 'echo')
    controller = measure(controller_argv(rate_hz), rate_hz, seconds,
                         os.path.join(tmp, f'controller_{rate_hz}.log'), 'controller')
    for prefix, (ms, unanswered, _, _) in (('echo', echo), ('controller', controller)):
        row[f'{prefix}_p50_ms'] = float(np.percentile(ms, 50))
        row[f'{prefix}_p99_ms'] = float(np.percentile(ms, 99))
        row[f'{prefix}_max_ms'] = float(ms.max())
        row[f'{prefix}_samples'] = int(ms.size)
        row[f'{prefix}_unanswered'] = unanswered
    _, _, ctl, window = controller
    last = ctl.statuses[-1] if ctl.statuses else {}
    # States the node never took (whole run): its answers are then matched approximately.
    row['controller_dropped'] = len(ctl.sent_at) - int(last.get('messages', -1))
    row['overruns'] = int(last.get('overruns', -1))
    inside = [s for s in ctl.statuses if window[0] + 1.0 <= s['_received'] <= window[1] + 3.0
              and int(s.get('latency_samples', 0)) > 0]
    row['controller_in_node_p50_ms'] = (float(np.median([float(s['latency_p50_ms'])
                                                         for s in inside])) if inside else None)
    row['controller_in_node_p99_ms_worst_second'] = (
        max(float(s['latency_p99_ms']) for s in inside) if inside else None)
    row['controller_ticks'] = int(last.get('ticks', 0))
    row['controller_episodes'] = int(last.get('episodes', 0))
    row['controller_writes'] = int(last.get('total_writes', 0))
    row['p99_gap_ms'] = row['controller_p99_ms'] - row['echo_p99_ms']
    row['meets_p99_target'] = row['p99_gap_ms'] <= P99_MARGIN_MS
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=10.0,
                        help='measuring window per answerer and rate (after a 2 s warm-up)')
    parser.add_argument('--rates', type=float, nargs='+', default=[50.0, 240.0])
    parser.add_argument('--json', metavar='PATH', help='also write the results as JSON')
    parser.add_argument('--echo', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo:
        echo_main()
        return 0

    from memsnn_controller.ros import controller_config
    from memsnn_controller.snn.agent import Agent

    # Compile (or load) the kernels here, so the controller process starts warm.
    Agent(controller_config.build_agent_config(controller_config.defaults())).warm_up()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run_rate(rate, args.seconds, tmp) for rate in args.rates]
    load_after = os.getloadavg()[0]

    header = (f'{"rate Hz":>8} {"echo p50":>9} {"echo p99":>9} {"ctl p50":>9} {"ctl p99":>9} '
              f'{"p99 gap":>8} {"overruns":>9} {"unanswered":>11}')
    print('round trip through ROS, ms (stream publish -> answer received)')
    print(header)
    for r in rows:
        print(f'{r["rate_hz"]:>8g} {r["echo_p50_ms"]:>9.3f} {r["echo_p99_ms"]:>9.3f} '
              f'{r["controller_p50_ms"]:>9.3f} {r["controller_p99_ms"]:>9.3f} '
              f'{r["p99_gap_ms"]:>8.3f} {r["overruns"]:>9d} '
              f'{r["echo_unanswered"]:>5d}/{r["controller_unanswered"]:<5d}')
    print('unanswered: echo/controller states in the window without an answer (dropped by a '
          'best-effort reader that fell behind)')
    for r in rows:
        if r['controller_dropped']:
            print(f'{r["rate_hz"]:g} Hz: the controller dropped {r["controller_dropped"]} states '
                  f'(whole run): its round trips are matched approximately after the first')
        print(f'{r["rate_hz"]:g} Hz: controller in-node receipt->publish p50 '
              f'{r["controller_in_node_p50_ms"]} ms, worst 1 s p99 '
              f'{r["controller_in_node_p99_ms_worst_second"]} ms; {r["controller_ticks"]} ticks, '
              f'{r["controller_episodes"]} episodes, {r["controller_writes"]} device writes')
    print(f'load average {load_before:.2f} before, {load_after:.2f} after (2 cores)')
    top = max(rows, key=lambda r: r['rate_hz'])
    p99_ok = all(r['meets_p99_target'] for r in rows)
    overruns_ok = top['overruns'] == 0
    print(f'p99 within {P99_MARGIN_MS} ms of the echo at every rate: '
          f'{"yes" if p99_ok else "NO"}; zero overruns at {top["rate_hz"]:g} Hz: '
          f'{"yes" if overruns_ok else "NO"}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'benchmark': 'ros_latency', 'python': platform.python_version(),
                       'machine': platform.machine(), 'domain_id': DOMAIN_ID,
                       'seconds': args.seconds, 'load_average': [load_before, load_after],
                       'p99_margin_ms': P99_MARGIN_MS, 'meets_p99_target': p99_ok,
                       'zero_overruns_at_top_rate': overruns_ok, 'results': rows}, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
