"""Soak: N joint states over ROS at a chosen rate against one controller node, most of them good
and the rest every kind a real stack sends wrong (NaN, inf, 1e300, empty or mismatched arrays, a
repeated joint, per-joint messages, other joints, stamps running backwards, unstamped ones).

The controller runs in its own process, learning, with a checkpoint autosaved every 5 s,
``force_limit`` 10 N, ``watchdog_timeout`` 0.1 s and the discrete decoder (the agent commands
+-10 N, so every 0 N on the wire is the node's: bad input, a failure, the watchdog). The good
states follow ros_latency's trajectory (episodes of about 1.3 s ended by a fall and a reset),
stamped on an exact grid at the rate; this process publishes from its main thread and takes the
answers on a spinning thread.

Reported: answers received, commands outside the limits (non-finite or beyond force_limit), the
bad messages sent and the node's bad-input counts by reason (lower when its best-effort reader
dropped states it could not keep up with), the controller's resident memory (VmRSS) after 10 %
and after 100 % of the messages and its growth in MB, whether it stayed up, and the watchdog's
reaction time to a stuck driver (the same stamp repeated) and to silence (from the last state
with an advancing stamp sent to the first 0 N received). Prints a table; ``--json PATH`` writes
it.

    .venv/bin/python benchmarks/soak.py [--messages N | --minutes M] [--rate HZ] [--json out.json]

The default (2e4 states at 2 kHz) takes about half a minute; the figures in docs/benchmarks.md
are for ``--messages 100000 --rate 2000`` and ``--minutes 30 --rate 50``. DDS discovery stays on
this machine (ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST) on ROS domain $MEMSNN_BENCH_DOMAIN_ID
(default 44).
"""

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import threading
import time

os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
DOMAIN_ID = int(os.environ.get('MEMSNN_BENCH_DOMAIN_ID', '44'))

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

FORCE_LIMIT = 10.0
WATCHDOG_S = 0.1
CART, POLE = conversions.CART_JOINT, conversions.POLE_JOINT
# Kinds of message and their shares (per cent); bad ones map to the node's bad-input reason.
KINDS = {'good': 70, 'cart_only': 4, 'pole_only': 4, 'other_joints': 3, 'unstamped': 1,
         'nan': 3, 'inf': 2, 'huge': 3, 'empty': 2, 'lengths': 2, 'repeated_joint': 2,
         'backwards': 4}
BAD_REASON = {'nan': 'non_finite', 'inf': 'non_finite', 'huge': 'implausible', 'empty': 'empty',
              'lengths': 'length_mismatch', 'repeated_joint': 'duplicate_joint',
              'backwards': 'time_backwards'}
ANSWERS_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1000,
                         reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.VOLATILE)


def trajectory(t, cycle=1.6):
    """The good state at t seconds: 1.3 s of small oscillations, a fall past the failure angle
    in 0.2 s, then upright again (as benchmarks/ros_latency.py)."""
    u = t % cycle
    x, x_dot = 0.02 * math.sin(2.0 * t), 0.04 * math.cos(2.0 * t)
    if u < 1.3:
        return x, x_dot, 0.02 * math.sin(5.0 * t), 0.1 * math.cos(5.0 * t)
    if u < 1.5:
        return x, x_dot, 0.3 * (u - 1.3) / 0.2, 1.5
    return x, x_dot, 0.0, 0.0


def rss_mb(pid):
    """Resident memory of process ``pid`` in MB (VmRSS)."""
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    return math.nan


class Soak:
    """Publishes the stream and records the answers and the controller's status reports."""

    def __init__(self, node, rate_hz, seed):
        self.pub = node.create_publisher(JointState, 'joint_states', qos.JOINT_STATES_PUB)
        node.create_subscription(Float64MultiArray, 'effort_controller/commands',
                                 self.on_command, ANSWERS_QOS)
        node.create_subscription(DiagnosticArray, '/diagnostics', self.on_diagnostics,
                                 qos.DIAGNOSTICS)
        self.rng = np.random.default_rng(seed)
        self.kinds = list(KINDS)
        weights = np.array([KINDS[k] for k in self.kinds], float)
        self.p = weights / weights.sum()
        self.period_ns = round(1e9 / rate_hz)
        self.base_ns = time.time_ns()
        self.sent = 0
        self.sent_by_kind = dict.fromkeys(KINDS, 0)
        self.last_good_stamp = None
        self.last_good_sent = None  # perf_counter when it was published
        self.answers = 0
        self.outside = 0
        self.zero_times = []     # perf_counter of every 0 N answer
        self.status = {}
        self.msg = JointState()

    def stamp(self):
        return self.base_ns + self.sent * self.period_ns

    def send(self, t, kind=None, state=None):
        kind = kind or self.kinds[self.rng.choice(len(self.kinds), p=self.p)]
        x, x_dot, theta, theta_dot = trajectory(t) if state is None else state
        names, pos, vel = [CART, POLE], [x, theta], [x_dot, theta_dot]
        stamp = self.stamp()
        if kind == 'cart_only':
            names, pos, vel = [CART], [x], [x_dot]
        elif kind == 'pole_only':
            names, pos, vel = [POLE], [theta], [theta_dot]
        elif kind == 'other_joints':
            names, pos, vel = ['wheel'], [1.0], [0.0]
        elif kind == 'unstamped':
            stamp = 0
        elif kind in ('nan', 'inf', 'huge'):
            value = {'nan': math.nan, 'inf': -math.inf, 'huge': 1e300}[kind]
            (pos if self.rng.random() < 0.5 else vel)[int(self.rng.integers(2))] = value
        elif kind == 'empty':
            names, pos, vel = [], [], []
        elif kind == 'lengths':
            vel = vel[:1]
        elif kind == 'repeated_joint':
            names, pos, vel = names + [CART], pos + [0.0], vel + [0.0]
        elif kind == 'backwards':
            if self.last_good_stamp is None:
                kind = 'good'
            else:
                stamp = self.last_good_stamp - 50 * 1_000_000
        self.publish(names, pos, vel, stamp)
        if kind == 'good':
            self.last_good_stamp = stamp
            self.last_good_sent = time.perf_counter()
        self.sent_by_kind[kind] += 1

    def publish(self, names, pos, vel, stamp):
        msg = self.msg
        conversions.time_from_ns(stamp, msg.header.stamp)
        msg.name, msg.position, msg.velocity = names, pos, vel
        self.pub.publish(msg)
        self.sent += 1

    def on_command(self, msg):
        self.answers += 1
        data = list(msg.data)
        if len(data) != 1 or not math.isfinite(data[0]) or abs(data[0]) > FORCE_LIMIT:
            self.outside += 1
        elif data[0] == 0.0:
            self.zero_times.append(time.perf_counter())

    def on_diagnostics(self, msg):
        for status in msg.status:
            if status.name == 'memsnn_controller: status':
                self.status = conversions.diagnostic_values(status)


def wait(predicate, timeout):
    """Sleep until ``predicate()`` (the spinning thread takes the messages meanwhile)."""
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def paced(rate_hz, seconds=None, count=None):
    """Yield at ``rate_hz`` (perf_counter pacing; after a stall it goes on without a burst),
    for ``seconds`` or ``count`` times; yields the time since the start."""
    period = 1.0 / rate_hz
    start = next_send = time.perf_counter()
    k = 0
    while (count is None or k < count) and (seconds is None or
                                            time.perf_counter() - start < seconds):
        now = time.perf_counter()
        if now < next_send:
            time.sleep(next_send - now)
            now = time.perf_counter()
        yield now - start
        k += 1
        next_send = max(next_send + period, now - 2 * period)


def stream(soak, count, rate_hz, proc):
    """Send ``count`` states at ``rate_hz``; returns (RSS at 10 %, at 100 %, seconds taken)."""
    start = time.perf_counter()
    rss_10 = None
    report_every = max(1, count // 10)
    for t in paced(rate_hz, count=count):
        soak.send(t)
        if soak.sent == max(1, count // 10):
            rss_10 = rss_mb(proc.pid)
        if soak.sent % report_every == 0:
            print(f'  {soak.sent}/{count} sent in {time.perf_counter() - start:.0f} s, '
                  f'{soak.answers} answers, RSS {rss_mb(proc.pid):.1f} MB', flush=True)
    elapsed = time.perf_counter() - start
    return rss_10, rss_mb(proc.pid), elapsed


UPRIGHT = (0.0, 0.0, 0.01, 0.0)


def watchdog_reactions(soak, rate_hz):
    """(stuck driver, silence) reaction times in s: from the last state with an advancing stamp
    to the first 0 N answer after it. Each phase starts with 0.5 s of upright states, so an
    episode runs (the discrete decoder answers +-10 N) and the watchdog is clear."""
    reactions = []
    for phase in ('stuck', 'silence'):
        for t in paced(rate_hz, seconds=0.5):
            soak.send(t, 'good', UPRIGHT)
        frozen, last_fresh = soak.last_good_stamp, soak.last_good_sent
        zeros = len(soak.zero_times)
        for _ in paced(rate_hz, seconds=1.0):
            if phase == 'stuck':  # the driver repeats its last message, stamp and all
                soak.publish([CART, POLE], [UPRIGHT[0], UPRIGHT[2]],
                             [UPRIGHT[1], UPRIGHT[3]], frozen)
        after = soak.zero_times[zeros:]
        reactions.append(after[0] - last_fresh if after else math.nan)
    return reactions


def controller_argv(checkpoint):
    return [sys.executable, '-m', 'memsnn_controller.apps.controller_node', '--ros-args',
            '-p', f'force_limit:={FORCE_LIMIT}', '-p', f'watchdog_timeout:={WATCHDOG_S}',
            '-p', f'checkpoint_path:={checkpoint}', '-p', 'autosave_period:=5.0',
            '-p', 'diagnostics_period:=1.0', '-p', 'log_throttle:=30.0',
            '-p', 'decoder:=discrete']


def run(count, rate_hz, seed):
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=DOMAIN_ID)
    node = rclpy.create_node('soak_stream', context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    soak = Soak(node, rate_hz, seed)
    spinner = threading.Thread(target=executor.spin, name='spin', daemon=True)
    spinner.start()
    with tempfile.TemporaryDirectory() as tmp:
        proc = ManagedProcess(controller_argv(os.path.join(tmp, 'checkpoint.npz')),
                              env=ros_environment(DOMAIN_ID),
                              log_path=os.path.join(tmp, 'controller.log'), name='controller')
        try:
            with proc:
                if not wait(lambda: soak.pub.get_subscription_count() > 0
                            or not proc.running(), 90.0) or not proc.running():
                    raise RuntimeError(f'the controller never subscribed:\n{proc.log_text()}')
                time.sleep(0.5)  # discovery completes on each side separately
                rss_start = rss_mb(proc.pid)
                rss_10, rss_100, elapsed = stream(soak, count, rate_hz, proc)
                answers_streamed = soak.answers
                outside_streamed = soak.outside
                stuck_s, silence_s = watchdog_reactions(soak, rate_hz)
                status_count = len(soak.status)
                time.sleep(1.5)  # one more status report
                alive = proc.running()
                log = proc.log_text()
        finally:
            executor.shutdown()
            spinner.join(timeout=5.0)
            node.destroy_node()
            context.try_shutdown()
    status = soak.status
    bad_sent = {}
    for kind, reason in BAD_REASON.items():
        bad_sent[reason] = bad_sent.get(reason, 0) + soak.sent_by_kind[kind]
    return {
        'messages': count, 'rate_hz': rate_hz, 'seconds': elapsed,
        'achieved_rate_hz': count / elapsed, 'sent_by_kind': soak.sent_by_kind,
        'answers': answers_streamed, 'answers_total': soak.answers,
        'commands_outside_limits': outside_streamed, 'commands_outside_limits_total':
            soak.outside,
        'bad_sent_by_reason': bad_sent,
        'node_bad_by_reason': {k[4:]: int(v) for k, v in status.items() if k.startswith('bad_')
                               and k != 'bad_messages'},
        'node': {k: status.get(k) for k in ('messages', 'ticks', 'skipped', 'duplicates',
                                            'bad_messages', 'ignored_messages', 'merged_states',
                                            'stale_messages', 'watchdog_trips', 'overruns',
                                            'episodes', 'saves', 'errors', 'fault')},
        'status_received': status_count > 0,
        'rss_start_mb': rss_start, 'rss_10pct_mb': rss_10, 'rss_100pct_mb': rss_100,
        'rss_growth_mb': rss_100 - rss_10,
        'watchdog_reaction_stuck_s': stuck_s, 'watchdog_reaction_silence_s': silence_s,
        'controller_alive': alive, 'traceback_in_log': 'Traceback' in log,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--messages', type=int, default=20_000,
                        help='joint states to send (default 20000)')
    parser.add_argument('--minutes', type=float,
                        help='instead of --messages: send for this long at the rate')
    parser.add_argument('--rate', type=float, default=2000.0, help='states per second')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', metavar='PATH', help='also write the results as JSON')
    args = parser.parse_args()
    count = round(args.minutes * 60 * args.rate) if args.minutes else args.messages

    from memsnn_controller.ros import controller_config
    from memsnn_controller.snn.agent import Agent

    # Compile (or load) the kernels here, so the controller process starts warm.
    Agent(controller_config.build_agent_config(controller_config.defaults())).warm_up()
    print(f'soak: {count} joint states at {args.rate:g} Hz (~{count / args.rate:.0f} s)')
    r = run(count, args.rate, args.seed)
    print(f'sent {r["messages"]} in {r["seconds"]:.1f} s ({r["achieved_rate_hz"]:.0f}/s); '
          f'answers {r["answers"]}; commands outside limits {r["commands_outside_limits"]}')
    print(f'{"reason":>16} {"sent":>8} {"node":>8}')
    for reason in sorted(set(r['bad_sent_by_reason']) | set(r['node_bad_by_reason'])):
        print(f'{reason:>16} {r["bad_sent_by_reason"].get(reason, 0):>8} '
              f'{r["node_bad_by_reason"].get(reason, 0):>8}')
    print(f'node: {r["node"]}')
    print(f'controller RSS: {r["rss_start_mb"]:.1f} MB at start, {r["rss_10pct_mb"]:.1f} MB at '
          f'10 %, {r["rss_100pct_mb"]:.1f} MB at 100 %: growth {r["rss_growth_mb"]:+.2f} MB')
    print(f'watchdog reaction: stuck stamp {r["watchdog_reaction_stuck_s"] * 1e3:.0f} ms, '
          f'silence {r["watchdog_reaction_silence_s"] * 1e3:.0f} ms (watchdog_timeout '
          f'{WATCHDOG_S * 1e3:.0f} ms)')
    print(f'controller alive at the end: {r["controller_alive"]}; traceback in its log: '
          f'{r["traceback_in_log"]}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'benchmark': 'soak', 'python': platform.python_version(),
                       'machine': platform.machine(), 'domain_id': DOMAIN_ID,
                       'force_limit': FORCE_LIMIT, 'watchdog_timeout': WATCHDOG_S,
                       'results': r}, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
