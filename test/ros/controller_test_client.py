"""An in-test ROS client of the controller node: streams joint states, records what it hears."""

import os
import sys
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
import rclpy
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import JointState
from spinning import Spinning
from std_msgs.msg import Float64MultiArray
from std_srvs.srv import SetBool, Trigger

from memsnn_controller.ros import conversions, qos

CONTROLLER = 'memsnn_controller'
SIM = 'cartpole_sim'
TRANSITIONS = {
    'configure': Transition.TRANSITION_CONFIGURE,
    'activate': Transition.TRANSITION_ACTIVATE,
    'deactivate': Transition.TRANSITION_DEACTIVATE,
    'cleanup': Transition.TRANSITION_CLEANUP,
    'shutdown_unconfigured': Transition.TRANSITION_UNCONFIGURED_SHUTDOWN,
    'shutdown_inactive': Transition.TRANSITION_INACTIVE_SHUTDOWN,
    'shutdown_active': Transition.TRANSITION_ACTIVE_SHUTDOWN,
}


def controller_argv(*params):
    """The command line of a controller node process with ``-p`` parameters."""
    argv = [sys.executable, '-m', 'memsnn_controller.apps.controller_node', '--ros-args']
    for param in params:
        argv += ['-p', param]
    return argv


def sim_argv(*params):
    argv = [sys.executable, '-m', 'memsnn_controller.apps.sim_node', '--ros-args']
    for param in params:
        argv += ['-p', param]
    return argv


def udp_only():
    """The environment for nodes of a test that kills one with SIGKILL: Fast DDS over UDP only.
    A participant killed while it holds Fast DDS's shared-memory ports can leave them so that a
    restarted node matches its peers but receives nothing (eProsima/Fast-DDS issues 5053, 5469);
    over loopback UDP nothing is left behind."""
    return {**os.environ, 'FASTDDS_BUILTIN_TRANSPORTS': 'UDPv4'}


def warm_kernels():
    """Compile (or load) the numba kernels once here, so child processes find them cached."""
    from memsnn_controller.ros import controller_config
    from memsnn_controller.snn.agent import Agent

    Agent(controller_config.build_agent_config(controller_config.defaults())).warm_up()


class Command:
    def __init__(self, data, received):
        self.data = data
        self.received = received


class ControllerClient(Spinning):
    """Publishes joint states (reliable, like the simulator); records commands, episode reports
    and diagnostics.

    episodes / statuses: the controller's episode reports (its ``~/episodes`` topic) and status
    reports (/diagnostics) as dicts, with '_received' (monotonic s) and '_level' (an int) added;
    sim_episodes / sim_statuses: the simulator's; diagnostics_names: every status name seen on
    /diagnostics.
    """

    def __init__(self, context, node_name='controller_client'):
        self.node = rclpy.create_node(node_name, context=context)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)
        self.commands, self.episodes, self.statuses = [], [], []
        self.sim_episodes, self.sim_statuses = [], []
        self.diagnostics_names = []
        self.states = self.node.create_publisher(JointState, 'joint_states',
                                                 qos.JOINT_STATES_PUB)
        self.node.create_subscription(Float64MultiArray, 'effort_controller/commands',
                                      self._on_command, qos.COMMANDS)
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics,
                                      qos.DIAGNOSTICS)
        self.node.create_subscription(DiagnosticStatus, f'/{CONTROLLER}/episodes',
                                      lambda msg: self._record(msg, self.episodes), qos.EPISODES)
        self.node.create_subscription(DiagnosticStatus, f'/{SIM}/episodes',
                                      lambda msg: self._record(msg, self.sim_episodes),
                                      qos.EPISODES)
        base = f'/{CONTROLLER}'
        self.change_state_client = self.node.create_client(ChangeState, f'{base}/change_state')
        self.get_state_client = self.node.create_client(GetState, f'{base}/get_state')
        self.save_client = self.node.create_client(Trigger, f'{base}/save_checkpoint')
        self.reset_client = self.node.create_client(Trigger, f'{base}/reset_learning')
        self.learning_client = self.node.create_client(SetBool, f'{base}/set_learning')

    # -- lifecycle ---------------------------------------------------------------------------------

    def transition(self, name):
        request = ChangeState.Request()
        request.transition.id = TRANSITIONS[name]
        return self.call(self.change_state_client, request).success

    def bring_up(self, procs=(), publishers=2, timeout=60.0):
        """Configure and activate a controller started with autostart:=false, once this client
        has discovered ``publishers`` /diagnostics publishers (so no episode report is missed)."""
        ok = self.spin_until(lambda: self.change_state_client.service_is_ready()
                             and self.node.count_publishers('/diagnostics') >= publishers,
                             timeout, procs)
        assert ok, 'the controller never came up'
        self.spin_for(0.2)
        assert self.transition('configure') and self.transition('activate')

    def state(self):
        return self.call(self.get_state_client, GetState.Request()).current_state.label

    def close(self):
        self.executor.shutdown()
        self.node.destroy_node()

    # -- streaming --------------------------------------------------------------------------------

    def publish_state(self, obs, stamp_ns, names=(conversions.CART_JOINT, conversions.POLE_JOINT)):
        self.states.publish(conversions.joint_state_from(obs, 0.0, stamp_ns, names))

    def publish_raw(self, names, positions, velocities, stamp_ns):
        msg = JointState()
        conversions.time_from_ns(stamp_ns, msg.header.stamp)
        msg.name, msg.position, msg.velocity = list(names), list(positions), list(velocities)
        self.states.publish(msg)

    def stream(self, seconds, rate_hz=50.0, obs=(0.0, 0.0, 0.01, 0.0), start_ns=None):
        """Publish states at ``rate_hz`` for ``seconds`` (wall-clock stamps), spinning between."""
        period = 1.0 / rate_hz
        next_time = time.monotonic()
        end = next_time + seconds
        count = 0
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= next_time:
                self.publish_state(obs, time.time_ns() if start_ns is None
                                   else start_ns + round(count * period * 1e9))
                count += 1
                next_time += period
            self.executor.spin_once(timeout_sec=max(0.0, min(0.005, next_time - now)))
        return count

    def wait_for_listener(self, timeout=30.0, procs=()):
        ok = self.spin_until(lambda: self.states.get_subscription_count() > 0, timeout, procs)
        assert ok, 'the controller never subscribed to joint_states'

    def latest_status(self):
        return self.statuses[-1] if self.statuses else {}

    def status_value(self, key, default=0):
        return int(self.latest_status().get(key, default))

    # -- callbacks --------------------------------------------------------------------------------

    def _on_command(self, msg):
        self.commands.append(Command(list(msg.data), time.monotonic()))

    def _on_diagnostics(self, msg):
        for status in msg.status:
            self.diagnostics_names.append(status.name)
            if status.name == f'{CONTROLLER}: status':
                self._record(status, self.statuses)
            elif status.name == f'{SIM}: status':
                self._record(status, self.sim_statuses)

    @staticmethod
    def _record(status, into):
        values = conversions.diagnostic_values(status)
        values['_received'] = time.monotonic()
        level = status.level
        values['_level'] = level[0] if isinstance(level, bytes) else int(level)
        values['_message'] = status.message
        into.append(values)
