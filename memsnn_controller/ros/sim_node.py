"""ROS 2 simulator node ``cartpole_sim``: the PyBullet cart-pole behind ros2_control's interfaces.

Publishes ``joint_states`` (sensor_msgs/JointState: positions, velocities and, as effort, the
force applied on the cart; stamped in sim time), ``/clock``, ``~/episodes`` and
``/diagnostics``; takes the cart
force from ``effort_controller/commands`` (std_msgs/Float64MultiArray with exactly one finite
value; anything else is rejected, counted and logged at a limited rate, and the last good command
is held). Services: ``~/reset`` (std_srvs/Trigger) starts a new episode, ``~/pause``
(std_srvs/SetBool) pauses (true) or resumes (false) the simulation.

Modes (parameter ``mode``):

- lockstep: publish the state, then wait for the command that answers it (the first valid
  command received after the state went out) and step with it; if none comes within
  ``command_timeout`` seconds of wall time, step with the held command and count a timeout.
  Event-driven (nothing blocks in a callback), so the simulator and a controller may share one
  SingleThreadedExecutor. While joint_states has no subscriber the simulator waits without
  stepping. Deterministic for a deterministic controller, and as fast as the controller answers.
- realtime: step every ``control_period`` seconds of wall time with the latest command held.

Episodes follow CartPole-v1 (``memsnn_controller.envs.simulation``): a failure freezes the state
(still published, 0 N applied) and, with ``auto_reset``, a new episode starts after
``reset_pause`` seconds of sim time; ``max_episode_steps`` ends an episode as truncated and the
next tick starts a new one. Each finished episode is reported on ``~/episodes``
(diagnostic_msgs/DiagnosticStatus, reliable, transient-local), and a status (ticks, timeouts,
rejected commands, mode) on /diagnostics every ``status_period`` seconds.

Parameters are listed in ``sim_config`` (and in docs/ros.md, section 2.1); each
is validated when declared and when set (``node_parameters``). Those that shape the physics
client are read-only after start; the plant's (pole_mass, pole_length, cart_mass, gravity,
friction, actuator_gain, sensor_offset and the rig's: end stops, delay, dry and pole friction,
encoders, the DC motor, position-only sensing, sensor signs) act from the next step after a set,
in the same state (a new mass or length loads the new URDF body). ``plant`` (read at start)
names a plant file whose values are the defaults of those parameters and of the task's
(x_threshold, theta_threshold, ...); with a rig's in-place restart the failed state is not
frozen (``after_failure`` 'coast': the pole falls, the cart moves on) and a simulated operator
starts the episodes (``operator``: it sets the pole upright where the controller's supervisor
brought the cart to rest, holds it, lets go). Episode reports carry the episode's end-stop hits,
the status the total and the operator's interventions. The process entry point is
``memsnn_controller.apps.sim_node``.
"""

import math
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray
from std_srvs.srv import SetBool, Trigger

from memsnn_controller.envs.bullet_cartpole import BulletCartPoleConfig
from memsnn_controller.envs.cartpole_spec import CartPoleSpec
from memsnn_controller.envs.plant import Plant
from memsnn_controller.envs.plant_file import PlantFileError, load_plant_file
from memsnn_controller.envs.simulation import CartPoleSimulation
from memsnn_controller.ros import conversions, qos, sim_config
from memsnn_controller.ros.node_parameters import DeclaredParameters
from memsnn_controller.ros.sim_config import NODE_NAME, PLANT_PARAMETERS

# At most one warning per this many seconds for rejected commands and for command timeouts.
LOG_INTERVAL_S = 2.0
# Lockstep without a joint_states subscriber: how often to look for one (wall seconds).
LISTENER_POLL_S = 0.05


class SimParameterError(ValueError):
    """A parameter value the node cannot start with."""


class CartPoleSimNode(Node):
    """The simulator node (see the module docstring)."""

    def __init__(self, **node_kwargs):
        super().__init__(NODE_NAME, **node_kwargs)
        self._sim = None
        self._params = DeclaredParameters(self, sim_config.table_for(self._plant_file()),
                                          SimParameterError, on_change=self._apply_parameters)
        p = self._params.values()

        plant = sim_config.plant_of(p)
        config = BulletCartPoleConfig(
            control_period=p['control_period'], physics_substeps=p['physics_substeps'],
            force_limit=p['force_limit'], start_range=p['start_range'],
            sensor_noise=tuple(p['sensor_noise']), actuator_noise=p['actuator_noise'],
            gui=p['gui'], **{name: getattr(plant, name) for name in PLANT_PARAMETERS})
        self._sim = CartPoleSimulation(
            config, max_episode_steps=p['max_episode_steps'], auto_reset=p['auto_reset'],
            reset_pause=p['reset_pause'], seed=None if p['seed'] < 0 else p['seed'],
            spec=CartPoleSpec(x_threshold=p['x_threshold'],
                              theta_threshold=p['theta_threshold']),
            after_failure=p['after_failure'], operator=p['operator'],
            operator_delay=p['operator_delay'], operator_hold=p['operator_hold'],
            operator_x=p['operator_x'])
        self._lockstep = p['mode'] == 'lockstep'
        self._publish_clock = p['publish_clock']
        self._names = (p['cart_joint'], p['pole_joint'])

        self._held = 0.0
        self._paused = False
        self._awaiting = False
        self._has_listener = False
        self._listener_seen = False
        self._timeouts = 0
        self._rejected = 0
        self._stale = 0
        self._next_reject_log = 0.0
        self._next_timeout_log = 0.0
        self._last_status = (time.monotonic(), 0, 0, 0)
        self._joint_state = JointState()
        self._clock_msg = ClockMsg()

        self._state_pub = self.create_publisher(JointState, 'joint_states', qos.JOINT_STATES_PUB)
        self._clock_pub = self.create_publisher(ClockMsg, '/clock', qos.CLOCK)
        self._diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', qos.DIAGNOSTICS)
        self._episode_pub = self.create_publisher(DiagnosticStatus, '~/episodes', qos.EPISODES)
        self.create_subscription(Float64MultiArray, 'effort_controller/commands',
                                 self._on_command, qos.COMMANDS)
        self.create_service(Trigger, '~/reset', self._on_reset)
        self.create_service(SetBool, '~/pause', self._on_pause)

        # Wall-clock timers, whatever use_sim_time says: this node is the source of sim time.
        steady = Clock(clock_type=ClockType.STEADY_TIME)
        self._status_timer = self.create_timer(p['status_period'], self._publish_status,
                                               clock=steady)
        if self._lockstep:
            self._timeout_timer = self.create_timer(p['command_timeout'], self._on_timeout,
                                                    clock=steady, autostart=False)
            self._listener_timer = self.create_timer(LISTENER_POLL_S, self._on_listener_poll,
                                                     clock=steady, autostart=False)
        else:
            self._tick_timer = self.create_timer(p['control_period'], self._on_realtime_tick,
                                                 clock=steady)
        cfg = self._sim.model.config
        self.get_logger().info(
            f'{p["mode"]} at {1.0 / cfg.control_period:g} Hz, {cfg.substeps} physics steps of '
            f'{cfg.physics_dt * 1e3:g} ms per control period, seed {p["seed"]}')
        self._publish_state()
        if self._lockstep:
            self._await_command()

    # -- parameters -----------------------------------------------------------------------------

    def _plant_file(self):
        """The plant file the ``plant`` parameter names at start (None for '')."""
        override = self._parameter_overrides.get('plant')
        name = override.value if override is not None else ''
        if not isinstance(name, str):
            raise SimParameterError(f'plant: must be a plant file name or path (got {name!r})')
        if not name:
            return None
        try:
            return load_plant_file(name)
        except PlantFileError as exc:
            raise SimParameterError(str(exc).replace('--plant ', 'plant: ', 1)) from None

    def _apply_parameters(self, names):
        if self._sim is None:  # not built yet: __init__ reads the values itself
            return
        p = self._params.values()
        model_changes = {}
        for name in sorted(names & p.keys()):
            value = p[name]
            if name in ('force_limit', 'actuator_noise', 'start_range'):
                model_changes[name] = value
            elif name in ('sensor_noise', 'sensor_offset', 'sensor_sign'):
                model_changes[name] = tuple(value)
            elif name == 'track_limit':
                model_changes[name] = value if value > 0 else math.inf
            elif name in PLANT_PARAMETERS:
                model_changes[name] = value
            elif name in ('max_episode_steps', 'auto_reset', 'reset_pause', 'after_failure',
                          'operator', 'operator_delay', 'operator_hold'):
                setattr(self._sim, name, value)
            elif name in ('x_threshold', 'theta_threshold'):
                self._sim.spec = CartPoleSpec(x_threshold=p['x_threshold'],
                                              theta_threshold=p['theta_threshold'])
            elif name == 'publish_clock':
                self._publish_clock = value
            elif name == 'command_timeout' and self._lockstep:
                self._timeout_timer.timer_period_ns = round(value * 1e9)
            elif name == 'status_period':
                self._status_timer.timer_period_ns = round(value * 1e9)
        if model_changes:
            self._sim.model.reconfigure(**model_changes)

    # -- the loop -------------------------------------------------------------------------------

    def _on_command(self, msg):
        value, reason = conversions.force_from_command(msg)
        if value is None:
            self._reject(reason)
            return
        answers = conversions.answered_stamp_ns(msg)
        if self._lockstep and answers is not None and answers != self._sim.time_ns:
            # A late answer to an earlier state (after a timeout): applying it to this state
            # would lag every later command by one step.
            self._stale += 1
            return
        self._held = value
        if self._awaiting:
            # An answer proves someone listens, even before the poll has noticed them.
            self._awaiting = False
            self._has_listener = True
            self._timeout_timer.cancel()
            self._listener_timer.cancel()
            self._advance()

    def _on_timeout(self):
        self._timeout_timer.cancel()
        if not self._awaiting:
            return
        if self._state_pub.get_subscription_count() == 0:
            # Nobody can answer: wait for a subscriber instead of stepping.
            self._has_listener = False
            self._listener_timer.reset()
            return
        self._timeouts += 1
        now = time.monotonic()
        if now >= self._next_timeout_log:
            self._next_timeout_log = now + LOG_INTERVAL_S
            self.get_logger().warning(
                f'no command within command_timeout; stepping with the held {self._held:g} N '
                f'({self._timeouts} timeouts so far)')
        self._advance()

    def _on_listener_poll(self):
        if not self._awaiting:
            self._listener_timer.cancel()
        elif self._state_pub.get_subscription_count() == 0:
            self._listener_seen = False
        elif not self._listener_seen:
            # Discovery completes on each side separately: give the subscriber one more poll
            # period to match this publisher, or the state sent next may be dropped.
            self._listener_seen = True
        else:
            self._listener_timer.cancel()
            self._has_listener = True
            # The newcomer missed the state published before it was discovered: show it again.
            self._publish_state()
            self._timeout_timer.reset()

    def _on_realtime_tick(self):
        if not self._paused:
            self._advance()

    def _advance(self):
        report = self._sim.tick(self._held)
        if report is not None:
            self._publish_episode(report)
        self._publish_state()
        if self._lockstep:
            self._await_command()

    def _await_command(self):
        self._awaiting = True
        if self._has_listener:
            self._timeout_timer.reset()
        else:
            self._listener_seen = False
            self._listener_timer.reset()

    def _publish_state(self):
        sim = self._sim
        stamp = sim.time_ns
        if self._publish_clock:
            self._clock_pub.publish(conversions.clock_from_ns(stamp, self._clock_msg))
        self._state_pub.publish(conversions.joint_state_from(
            sim.observation, sim.applied_force, stamp, self._names, self._joint_state))

    def _reject(self, reason):
        self._rejected += 1
        now = time.monotonic()
        if now >= self._next_reject_log:
            self._next_reject_log = now + LOG_INTERVAL_S
            self.get_logger().warning(
                f'rejected command on effort_controller/commands: {reason}; holding '
                f'{self._held:g} N ({self._rejected} rejected so far)')

    # -- services -------------------------------------------------------------------------------

    def _on_reset(self, request, response):
        report = self._sim.reset()
        if report is not None:
            self._publish_episode(report)
        if not self._paused:
            self._publish_state()
            if self._lockstep:
                self._await_command()
        response.success = True
        response.message = f'episode {self._sim.episode} started'
        return response

    def _on_pause(self, request, response):
        pause = bool(request.data)
        if pause and not self._paused:
            self._paused = True
            if self._lockstep:
                self._awaiting = False
                self._timeout_timer.cancel()
                self._listener_timer.cancel()
        elif not pause and self._paused:
            self._paused = False
            self._publish_state()
            if self._lockstep:
                self._await_command()
        response.success = True
        response.message = 'paused' if self._paused else 'running'
        return response

    # -- diagnostics ----------------------------------------------------------------------------

    def _publish_episode(self, report):
        self._episode_pub.publish(conversions.episode_report_status(
            report, f'{self.get_name()}: episode', hardware_id='pybullet'))

    def _publish_diagnostics(self, *statuses):
        msg = DiagnosticArray()
        conversions.time_from_ns(self._sim.time_ns, msg.header.stamp)
        msg.status = list(statuses)
        self._diag_pub.publish(msg)

    def _publish_status(self):
        sim = self._sim
        now = time.monotonic()
        last_time, last_ticks, last_timeouts, last_rejected = self._last_status
        self._last_status = (now, sim.ticks, self._timeouts, self._rejected)
        rate = (sim.ticks - last_ticks) / max(now - last_time, 1e-9)
        troubled = self._timeouts > last_timeouts or self._rejected > last_rejected
        if self._paused:
            message = 'paused'
        elif self._lockstep and not self._has_listener and self._awaiting:
            message = 'waiting for a joint_states subscriber'
        else:
            message = f'{rate:.0f} ticks/s'
        if troubled:
            message += '; command timeouts or rejected commands since the last report'
        self._publish_diagnostics(conversions.diagnostic_status(
            f'{self.get_name()}: status', message, {
                'mode': 'lockstep' if self._lockstep else 'realtime',
                'paused': self._paused,
                'ticks': sim.ticks,
                'sim_time': f'{sim.time:.6f}',
                'ticks_per_second': f'{rate:.1f}',
                'episode': sim.episode,
                'episode_steps': sim.episode_steps,
                'phase': sim.phase,
                'command_timeouts': self._timeouts,
                'stale_commands': self._stale,
                'rejected_commands': self._rejected,
                'held_command': f'{self._held:g}',
                'end_stop_hits': sim.end_stop_hits,
                'operator_interventions': sim.operator_interventions,
                'plant': _plant_text(sim.model.plant),
            }, level=DiagnosticStatus.WARN if troubled else DiagnosticStatus.OK,
            hardware_id='pybullet'))

    def destroy_node(self):
        if self._sim is not None:
            self._sim.close()
        super().destroy_node()


def _plant_text(plant):
    """The plant's fields that differ from CartPole-v1's ('field=value, ...'), or 'original'."""
    changed = plant.differences(Plant())
    return ', '.join(f'{name}={getattr(plant, name)}' for name in changed) or 'original'
