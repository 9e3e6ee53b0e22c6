"""An in-test ROS client of the simulator node: answers states, records what it sees."""

from dataclasses import dataclass
import math
import time

from balancing import lqr_force
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from spinning import Spinning
from std_msgs.msg import Float64MultiArray
from std_srvs.srv import SetBool, Trigger

from memsnn_controller.ros import conversions, qos


def balance(sample):
    """A linear balancing force for a Sample (CartPole-v1 sign conventions)."""
    return [lqr_force(sample.observation)]


@dataclass
class Sample:
    stamp_ns: int
    names: list
    position: list
    velocity: list
    effort: list
    received: float

    @property
    def observation(self):
        return (self.position[0], self.velocity[0], self.position[1], self.velocity[1])


class SimClient(Spinning):
    """Subscribes to joint_states, /clock, the simulator's episode reports and /diagnostics;
    answers with ``answer(sample)``.

    ``answer`` returns the command's data (a list; malformed ones allowed) or None for silence.
    Call ``connect()`` first: it subscribes to joint_states only once the command publisher is
    matched, so the simulator never sees a listener that cannot answer yet.
    """

    def __init__(self, context, answer=None, sim_name='cartpole_sim', node_name='sim_client',
                 executor=None):
        self.node = rclpy.create_node(node_name, context=context)
        self.own_executor = executor is None
        self.executor = SingleThreadedExecutor(context=context) if executor is None else executor
        self.executor.add_node(self.node)
        self.answer = answer
        self.states, self.clock_ns, self.episodes, self.statuses, self.sent = [], [], [], [], []
        self.commands = self.node.create_publisher(
            Float64MultiArray, 'effort_controller/commands', qos.COMMANDS)
        self.node.create_subscription(Clock, '/clock', self._on_clock, qos.CLOCK)
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics,
                                      qos.DIAGNOSTICS)
        self.node.create_subscription(
            DiagnosticStatus, f'/{sim_name}/episodes',
            lambda msg: self.episodes.append(conversions.diagnostic_values(msg)), qos.EPISODES)
        self.reset_client = self.node.create_client(Trigger, f'/{sim_name}/reset')
        self.pause_client = self.node.create_client(SetBool, f'/{sim_name}/pause')

    # -- set-up and spinning --------------------------------------------------------------------

    def connect(self, timeout=30.0, proc=None):
        """Wait for the simulator's command subscription, then listen to joint_states."""
        ok = self.spin_until(lambda: self.commands.get_subscription_count() > 0, timeout, proc)
        assert ok, self._why('the simulator never subscribed to commands', proc)
        self.node.create_subscription(JointState, 'joint_states', self._on_state,
                                      qos.SENSOR_DATA)
        ok = self.spin_until(lambda: self.states, timeout, proc)
        assert ok, self._why('no joint states arrived', proc)

    def pause(self, on):
        return self.call(self.pause_client, SetBool.Request(data=on))

    def reset(self):
        return self.call(self.reset_client, Trigger.Request())

    def send(self, data):
        msg = Float64MultiArray()
        msg.data = [float(v) for v in data]
        self.commands.publish(msg)
        self.sent.append(list(msg.data))

    def latest_status(self):
        return self.statuses[-1] if self.statuses else None

    def close(self):
        if self.own_executor:
            self.executor.shutdown()
        else:
            self.executor.remove_node(self.node)
        self.node.destroy_node()

    # -- callbacks --------------------------------------------------------------------------------

    def _on_state(self, msg):
        sample = Sample(conversions.ns_from_time(msg.header.stamp), list(msg.name),
                        list(msg.position), list(msg.velocity), list(msg.effort),
                        time.monotonic())
        self.states.append(sample)
        if self.answer is not None:
            data = self.answer(sample)
            if data is not None:
                self.send(data)

    def _on_clock(self, msg):
        self.clock_ns.append(conversions.ns_from_time(msg.clock))

    def _on_diagnostics(self, msg):
        for status in msg.status:
            if status.name.endswith(': status'):
                self.statuses.append(conversions.diagnostic_values(status))

    @staticmethod
    def _why(what, proc):
        return what + ('' if proc is None else f'; simulator log:\n{proc.log_text()}')


def clipped(value, limit=10.0):
    return min(max(value, -limit), limit) if math.isfinite(value) else value
