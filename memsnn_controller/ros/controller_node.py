"""ROS 2 lifecycle node ``memsnn_controller``: the learning SNN behind ros2_control's interfaces.

A thin adapter: the control logic (decimation, bad input, episodes, truncation) is
``control_loop.ControlLoop``, the learning is ``snn.agent.Agent``, the parameters are
``controller_config``. This module only moves messages, timers and lifecycle transitions.

Interfaces:

- subscribes ``joint_states`` (sensor_msgs/JointState, sensor-data QoS) while active;
- publishes ``effort_controller/commands`` (std_msgs/Float64MultiArray, one finite value, the
  cart force in N, reliable): the agent's force at each tick, 0 N for bad input, failures,
  waiting for the ready region, watchdog trips (silence or a stuck stamp), deactivation,
  shutdown, faults and Ctrl-C;
- publishes ``/diagnostics``: ``memsnn_controller: status`` every ``diagnostics_period`` and at
  transitions, with OK, WARN, ERROR or STALE levels (``controller_status``);
- publishes ``~/episodes`` (diagnostic_msgs/DiagnosticStatus ``memsnn_controller: episode``, one
  per finished episode, reliable and transient-local: what memsnn-bringup builds episodes.csv
  from);
- publishes ``~/supervisor`` (diagnostic_msgs/DiagnosticStatus ``memsnn_controller:
  supervisor``, reliable and transient-local) at every change of the episode supervisor's state
  when ``supervisor`` is on (control/supervisor.py: RUNNING, BRAKING, HOMING, WAITING, ARMED,
  PAUSED), with its counts (failures braked, brake and homing times, episodes started by the
  operator and by ``~/start``);
- services ``~/save_checkpoint`` and ``~/reset_learning`` (std_srvs/Trigger) and
  ``~/set_learning`` (std_srvs/SetBool); for the supervisor ``~/start`` and ``~/home``
  (std_srvs/Trigger) and ``~/pause`` (std_srvs/SetBool: true 0 N and learning frozen, false
  brake, home and wait); plus the standard lifecycle services.

Lifecycle: configure builds the agent from the parameters (or restores ``checkpoint_path`` when
the file exists) and compiles/loads the numba kernels; activate subscribes to joint_states and
starts commanding; deactivate unsubscribes and publishes 0 N; cleanup and shutdown save the
checkpoint (when ``checkpoint_path`` is set) and publish 0 N. The command publisher exists from
the start, so a 0 N can be sent in any state; commands other than 0 N only while active.
A fault (an exception or a non-finite force in the loop) publishes 0 N, deactivates, reports
ERROR and marks the agent faulted: nothing is saved from it and it is not activated again;
cleanup drops it (configure restores the last good checkpoint).

Timing: the watchdog, the diagnostics and the autosave run on steady (wall) clock timers, so
they keep working with use_sim_time when /clock stops; ticks follow the joint states' stamps, so
the node works on sim time and on wall time without /clock alike. Latency is measured from the
subscription callback's entry (steady clock) to the return of publish(); an overrun is an
answered state whose latency exceeded control_period.

Checkpoints are written atomically, the replaced one kept as ``.bak``; temporary files that a
killed process left are removed at configure. Autosaves and ``~/save_checkpoint`` snapshot the
learning state on the executor thread (a copy, 0.5-3 ms) and write the file on one background
writer thread, in order, so a save does not stall the control loop (the service answers when
the file is written).

Parameters: ``controller_config`` (declared and validated by ``node_parameters``); the status
report: ``controller_status``; the process entry point: ``memsnn_controller.apps.controller_node``.
"""

import os
import queue
import secrets
import threading
import time
import traceback

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.clock import Clock, ClockType
from rclpy.duration import Duration
from rclpy.lifecycle import LifecycleNode, TransitionCallbackReturn
from rclpy.parameter import Parameter
from rclpy.task import Future
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray
from std_srvs.srv import SetBool, Trigger

from memsnn_controller.common import atomic
from memsnn_controller.ros import control_loop, controller_config, conversions, qos
from memsnn_controller.ros.controller_config import NODE_NAME
from memsnn_controller.ros.controller_status import (
    NodeCounters,
    episode_energy,
    status_report,
    supervisor_values,
)
from memsnn_controller.ros.node_parameters import DeclaredParameters
from memsnn_controller.snn.config import ConfigError

# The agent and checkpoint modules (numba) are imported at configure: a node rejecting its
# parameters exits before paying for them.

SUCCESS = TransitionCallbackReturn.SUCCESS
FAILURE = TransitionCallbackReturn.FAILURE
HARDWARE_ID = 'memsnn'
# Parameters the control loop reads (LoopSettings), applied at once when set.
LOOP_PARAMETERS = frozenset(control_loop.LoopSettings.__dataclass_fields__)


class ControllerParameterError(ValueError):
    """A parameter value the node cannot start with."""


def _progress(agent):
    """What changes whenever the learning state does: a step, or an episode's end (which learns
    from the last transition without a step)."""
    return agent.total_steps, agent.episodes


class ControllerNode(LifecycleNode):
    """The controller node (see the module docstring)."""

    def __init__(self, **node_kwargs):
        super().__init__(NODE_NAME, **node_kwargs)
        self._loop = None
        self._sub = None
        self._recorder = None
        self.last_error = ''
        self._writes = queue.Queue()  # (snapshot, path, done) for the writer thread, in order
        self._writer = None
        self._params = DeclaredParameters(self, controller_config.table_for(self._plant_file()),
                                          ControllerParameterError,
                                          configured=lambda: self._loop is not None,
                                          on_change=self._apply_parameters)
        p = self.parameters()
        self.autostart = p['autostart']

        # counters kept by the node (the loop keeps the per-message ones and the watchdog's)
        self.errors = 0
        self.saves = 0
        self.fault = ''  # why the agent is unusable (set by a loop error, cleared with the agent)
        self._next_log = {}
        self._last_report = (0, 0, 0, 0)
        self._saved_progress = None
        self._command = Float64MultiArray()
        self._zero = conversions.command_from_force(0.0)

        self._cmd_pub = self.create_publisher(Float64MultiArray, 'effort_controller/commands',
                                              qos.COMMANDS)
        self._diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', qos.DIAGNOSTICS)
        self._episode_pub = self.create_publisher(DiagnosticStatus, '~/episodes', qos.EPISODES)
        self._supervisor_pub = self.create_publisher(DiagnosticStatus, '~/supervisor',
                                                     qos.EPISODES)
        self._supervisor_state = ''
        self.create_service(Trigger, '~/start', self._on_start)
        self.create_service(Trigger, '~/home', self._on_home)
        self.create_service(SetBool, '~/pause', self._on_pause)
        # Its own callback group: while its answer awaits the write, the node's default group
        # (joint states, timers) is not held, so the control loop runs on.
        self.create_service(Trigger, '~/save_checkpoint', self._on_save_checkpoint,
                            callback_group=MutuallyExclusiveCallbackGroup())
        self.create_service(Trigger, '~/reset_learning', self._on_reset_learning)
        self.create_service(SetBool, '~/set_learning', self._on_set_learning)
        # Wakes the executor when a background write ends (the service's answer is waiting).
        self._written = self.create_guard_condition(lambda: None)

        steady = Clock(clock_type=ClockType.STEADY_TIME)
        self._status_timer = self.create_timer(p['diagnostics_period'], self._publish_status,
                                               clock=steady)
        self._watchdog_timer = self.create_timer(self._watchdog_check_period(p),
                                                 self._check_watchdog, clock=steady,
                                                 autostart=False)
        self._autosave_timer = self.create_timer(max(p['autosave_period'], 0.001),
                                                 self._autosave, clock=steady, autostart=False)

    # -- parameters -------------------------------------------------------------------------------

    def _plant_file(self):
        """The plant file the ``plant`` parameter names at start (None for '')."""
        from memsnn_controller.envs.plant_file import PlantFileError, load_plant_file

        override = self._parameter_overrides.get('plant')
        name = override.value if override is not None else ''
        if not isinstance(name, str):
            raise ControllerParameterError(f'plant: must be a plant file name or path (got '
                                           f'{name!r})')
        if not name:
            return None
        try:
            return load_plant_file(name)
        except PlantFileError as exc:
            raise ControllerParameterError(str(exc).replace('--plant ', 'plant: ', 1)) \
                from None

    def parameters(self):
        """The current value of every parameter of this node's, as a dict."""
        return self._params.values()

    def _apply_parameters(self, names):
        p = self.parameters()
        if self._loop is not None:
            if names & LOOP_PARAMETERS:
                self._loop.settings = control_loop.LoopSettings.from_parameters(p)
                self._loop.apply_settings()
            if 'learning' in names:
                self._loop.agent.set_learning(p['learning'])
        if 'watchdog_timeout' in names:
            self._watchdog_timer.timer_period_ns = round(self._watchdog_check_period(p) * 1e9)
        if 'diagnostics_period' in names:
            self._status_timer.timer_period_ns = round(p['diagnostics_period'] * 1e9)
        if 'autosave_period' in names:
            self._autosave_timer.cancel()
            if p['autosave_period'] > 0:
                self._autosave_timer.timer_period_ns = round(p['autosave_period'] * 1e9)
                if self._loop is not None:
                    self._autosave_timer.reset()

    @staticmethod
    def _watchdog_check_period(p):
        return min(p['watchdog_timeout'] / 4.0, 0.1)

    # -- lifecycle --------------------------------------------------------------------------------

    def lifecycle_state(self):
        """The lifecycle state's label: unconfigured, inactive, active, finalized, ..."""
        return self._state_machine.current_state[1]

    def start(self):
        """Configure and activate (autostart); False with ``last_error`` set if either fails."""
        if self.trigger_configure() != SUCCESS:
            self.last_error = self.last_error or 'configure failed'
            return False
        if self.trigger_activate() != SUCCESS:
            self.last_error = self.last_error or 'activate failed'
            return False
        return True

    def on_configure(self, state):
        from memsnn_controller.snn.checkpoint import CheckpointError

        try:
            self._configure()
        except (ConfigError, CheckpointError, OSError, ValueError) as exc:
            self.last_error = str(exc)
            self.get_logger().error(f'configure failed: {exc}')
            self._loop = None
            return FAILURE
        except Exception as exc:  # a bug: say so, do not die silently in rclpy
            self.last_error = f'{type(exc).__name__}: {exc}'
            self.get_logger().error(f'configure failed: {traceback.format_exc()}')
            self._loop = None
            return FAILURE
        return SUCCESS

    def _configure(self):
        from memsnn_controller.snn.agent import Agent
        from memsnn_controller.snn.checkpoint import CheckpointError

        p = self.parameters()
        config = controller_config.build_agent_config(p)
        seed = p['seed'] if p['seed'] >= 0 else secrets.randbits(31)
        agent = Agent(config, seed=seed)
        path = p['checkpoint_path']
        log = self.get_logger()
        self.fault = ''
        if path:
            for temp in atomic.remove_stale_temps(path):
                log.warning(f'removed {temp}, left by a save that was killed')
        if path and os.path.exists(path):
            try:
                agent.restore(path)
            except CheckpointError as exc:
                backup = atomic.backup_path(path)
                if os.path.exists(backup):
                    raise CheckpointError(f'{exc} (the previous checkpoint is kept as '
                                          f'{backup}: rename it to use it)') from None
                raise
            log.info(f'restored {path}: {agent.episodes} episodes, {agent.total_steps} steps, '
                     f'trailing-100 mean {agent.trailing_mean(100):.1f}')
        agent.set_learning(p['learning'])
        started = time.monotonic()
        agent.warm_up()
        log.info(f'agent ready (seed {seed}, {config.substeps} neural steps of '
                 f'{config.neuron.dt_ms:.4g} ms per {p["control_period"]:g} s tick, reward '
                 f'{config.reward.name}, device {config.device.model}, decoder '
                 f'{config.actor.decoder}; kernels warmed in {time.monotonic() - started:.1f} s)')
        if p['record_path']:
            self._start_recording(p['record_path'])
        model = None
        if p['plant']:
            from memsnn_controller.envs.plant_file import load_plant_file

            model = load_plant_file(p['plant']).plant
        self._loop = control_loop.ControlLoop(agent, control_loop.LoopSettings.from_parameters(p),
                                              model=model)
        self._saved_progress = _progress(agent)
        if p['autosave_period'] > 0:
            self._autosave_timer.reset()

    def on_activate(self, state):
        if self.fault:
            self.get_logger().error(f'not activating: the agent faulted ({self.fault}); cleanup '
                                    'and configure to restore the last good checkpoint')
            return FAILURE
        self._loop.restart()  # the watchdog arms at the first joint state
        self._sub = self.create_subscription(JointState, 'joint_states', self._on_joint_state,
                                             qos.SENSOR_DATA)
        self._watchdog_timer.reset()
        self.get_logger().info('active: commanding effort_controller/commands')
        self._publish_status(periodic=False, state='active')
        return super().on_activate(state)

    def on_deactivate(self, state):
        self._stop_commanding()
        self.get_logger().info('inactive: 0 N published, joint states ignored')
        self._publish_status(periodic=False, state='inactive')
        return super().on_deactivate(state)

    def on_cleanup(self, state):
        self._release_agent()
        return super().on_cleanup(state)

    def on_shutdown(self, state):
        if self._sub is not None:
            self._stop_commanding()
        else:
            self._publish_zero()
        self._release_agent()
        return super().on_shutdown(state)

    def on_error(self, state):
        self._stop_commanding()
        self._release_agent()
        self.get_logger().error('error processing: 0 N published; back to unconfigured')
        return SUCCESS

    def _stop_commanding(self):
        self._watchdog_timer.cancel()
        if self._sub is not None:
            self.destroy_subscription(self._sub)
            self._sub = None
        self._publish_zero()
        if self._loop is not None:
            self._loop.restart()

    def _start_recording(self, path):
        from memsnn_controller.ros.recorder import BagRecorder, controller_topics

        self._recorder = BagRecorder(self, path, controller_topics())
        self.get_logger().info(f'recording {", ".join(self._recorder.counts)} to {path}')

    def _stop_recording(self):
        recorder, self._recorder = self._recorder, None
        if recorder is not None:
            recorder.close()
            self.get_logger().info(f'recorded {sum(recorder.counts.values())} messages to '
                                   f'{recorder.path}')

    def _release_agent(self):
        """Save the checkpoint (if a path is set and the agent did not fault), close the
        recording and drop the agent."""
        self._stop_recording()
        self._autosave_timer.cancel()
        path = self.parameters()['checkpoint_path']
        if self._loop is not None and path:
            self._join_save()
            if self.fault:
                self.get_logger().error(f'checkpoint not saved: the agent faulted ({self.fault});'
                                        f' {path} keeps the last good state')
            elif _progress(self._loop.agent) != self._saved_progress or not os.path.exists(path):
                ok, message = self.save_checkpoint()
                (self.get_logger().info if ok else self.get_logger().error)(message)
        self._loop = None
        self.fault = ''

    def shutdown_safely(self):
        """Publish 0 N and take the shutdown transition (saving the checkpoint); for Ctrl-C."""
        try:
            if self.lifecycle_state() in ('unconfigured', 'inactive', 'active'):
                self.trigger_shutdown()
            else:
                self._publish_zero()
        finally:
            self._join_save()
            self._publish_zero()
            self._cmd_pub.wait_for_all_acked(Duration(seconds=0.5))

    # -- the control loop -------------------------------------------------------------------------

    def _on_joint_state(self, msg):
        receipt = time.monotonic_ns()
        loop = self._loop
        if self.fault:  # deactivation is on its way: the broken agent is not used again
            self._publish_zero()
            return
        tripped = loop.watchdog_tripped
        try:
            stamp = msg.header.stamp
            stamp_ns = stamp.sec * 1_000_000_000 + stamp.nanosec
            out = loop.process(msg.name, msg.position, msg.velocity, stamp_ns, receipt)
            if out.publish:
                # Labelled with the state's stamp, so a lockstep simulator can tell a late
                # answer from the one it waits for (conversions.ANSWER_LABEL).
                command = conversions.command_from_force(out.force, self._command,
                                                         answers_ns=stamp_ns)
                self._cmd_pub.publish(command)
                loop.record_latency(time.monotonic_ns() - receipt)
        except Exception as exc:  # a bug in the loop or the agent: stop commanding, keep running
            self._on_loop_error(exc, traceback.format_exc())
            return
        kind = out.kind
        if loop.supervisor is not None and loop.supervisor.state != self._supervisor_state:
            self._publish_supervisor()
        if out.episode is not None:
            self._episode_pub.publish(conversions.episode_end_status(
                out.episode, f'{self.get_name()}: episode', HARDWARE_ID,
                episode_energy(out.episode.summary, loop.agent)))
        elif kind == control_loop.BAD_INPUT:
            self._warn(out.reason, f'bad joint state ({out.detail}): answered 0 N '
                                   f'({loop.bad_messages} bad so far)')
        elif kind == control_loop.STALE:
            if not tripped:
                self._warn('watchdog', f'joint state stamp stuck at {stamp_ns * 1e-9:.6f} s for '
                                       f'more than watchdog_timeout: 0 N ({loop.watchdog_trips}'
                                       ' trips so far)')
            return
        elif kind == control_loop.IGNORED:
            if out.reason != control_loop.IGNORED_NO_JOINT:
                self._warn('ignored', f'joint state ignored: {out.detail} '
                                      f'({loop.ignored_messages} ignored so far)')
        if tripped and not loop.watchdog_tripped:
            self.get_logger().info('joint states are back: resuming')

    def _on_loop_error(self, exc, text):
        self.errors += 1
        self.fault = f'{type(exc).__name__}: {exc}'.splitlines()[0]
        self._publish_zero()
        self.get_logger().error(f'control loop failed, 0 N published, deactivating; nothing '
                                f'will be saved from this agent:\n{text}')
        self._loop.restart()
        self._publish_status(periodic=False)

        def deactivate():
            timer.cancel()
            self.destroy_timer(timer)
            if self.lifecycle_state() == 'active':
                self.trigger_deactivate()
        timer = self.create_timer(0.0, deactivate, clock=Clock(clock_type=ClockType.STEADY_TIME))

    def _check_watchdog(self):
        loop = self._loop
        if self._sub is None or loop is None:
            return
        if loop.check_watchdog(time.monotonic_ns()):
            self._publish_zero()
            timeout = self.get_parameter('watchdog_timeout').value
            self._warn('watchdog', f'no joint state with an advancing stamp for more than '
                                   f'{timeout:g} s (watchdog_timeout): 0 N published '
                                   f'({loop.watchdog_trips} trips so far)')

    def _publish_zero(self):
        self._cmd_pub.publish(self._zero)

    def _warn(self, kind, text):
        now = time.monotonic()
        if now >= self._next_log.get(kind, 0.0):
            self._next_log[kind] = now + self.get_parameter('log_throttle').value
            self.get_logger().warning(text)

    # -- checkpoints ------------------------------------------------------------------------------

    def save_checkpoint(self):
        """Save the learning state to checkpoint_path now, on this thread (after the writes
        queued before it); returns (ok, message)."""
        snapshot, path, refusal = self._snapshot()
        if snapshot is None:
            return False, refusal
        self._join_save()
        return self._write(snapshot, path)

    def _snapshot(self):
        """(a copy of the learning state, the path, '') to save now, or (None, None, why not)."""
        path = self.parameters()['checkpoint_path']
        if self._loop is None:
            return None, None, 'not configured: there is no agent to save'
        if not path:
            return None, None, 'checkpoint_path is empty: nothing saved'
        if self.fault:
            return None, None, (f'not saved: the agent faulted ({self.fault}); {path} keeps '
                                'the last good state')
        agent = self._loop.agent
        self._saved_progress = _progress(agent)
        return agent.snapshot(), path, ''

    def _write(self, snapshot, path):
        """Write a snapshot (any thread; the writes are serialised); returns (ok, message)."""
        from memsnn_controller.snn.checkpoint import CheckpointError

        try:
            snapshot.save(path)
        except (OSError, CheckpointError) as exc:
            self._saved_progress = None  # the next autosave tries again
            return False, f'cannot save {path}: {exc}'
        self.saves += 1
        episodes = len(snapshot.arrays['episode_lengths'])
        steps = int(snapshot.arrays['counters'][0])
        return True, f'saved {path} ({episodes} episodes, {steps} steps)'

    def _write_in_background(self, snapshot, path, done=None):
        """Queue a write for the writer thread; ``done((ok, message))`` is called there."""
        if self._writer is None or not self._writer.is_alive():
            self._writer = threading.Thread(target=self._write_queued, name='checkpoint-writer',
                                            daemon=True)
            self._writer.start()
        self._writes.put((snapshot, path, done))

    def _write_queued(self):
        while True:
            snapshot, path, done = self._writes.get()
            try:
                result = self._write(snapshot, path)
                if not result[0]:
                    self.get_logger().error(result[1])
                if done is not None:
                    done(result)
            except Exception as exc:  # reported, never fatal: the next save tries again
                self.get_logger().error(f'saving {path} failed: {exc}')
                if done is not None:
                    done((False, f'saving {path} failed: {exc}'))
            finally:
                self._writes.task_done()

    def _autosave(self):
        if self._loop is None or _progress(self._loop.agent) == self._saved_progress:
            return  # nothing learned since the last save
        if self._writes.unfinished_tasks:
            return  # the previous save is still being written
        snapshot, path, _ = self._snapshot()  # a copy: the agent keeps running meanwhile
        if snapshot is not None:
            self._write_in_background(snapshot, path)

    def _join_save(self):
        self._writes.join()

    # -- services ---------------------------------------------------------------------------------

    async def _on_save_checkpoint(self, request, response):
        # The copy is taken here, on the executor thread; the file is written by the writer
        # thread, and the answer goes out when it is done, while the control loop runs on.
        snapshot, path, refusal = self._snapshot()
        if snapshot is None:
            response.success, response.message = False, refusal
            return response
        written = Future()

        def done(result):
            written.set_result(result)
            self._written.trigger()
        self._write_in_background(snapshot, path, done)
        response.success, response.message = await written
        return response

    def _on_reset_learning(self, request, response):
        if self._loop is None:
            response.success, response.message = False, 'not configured: no agent to reset'
            return response
        old = self._loop.agent
        agent = type(old)(old.config, seed=old.seed)
        agent.set_learning(self.get_parameter('learning').value)
        self._loop.replace_agent(agent)
        self._saved_progress = None
        response.success = True
        response.message = ('learning state reset: fresh synapses, no episodes; the next '
                            'episode starts at a ready state')
        self.get_logger().info(response.message)
        return response

    def _supervised(self, response, call):
        """Answer a supervisor service with ``call()``'s (accepted, why)."""
        if self._loop is None:
            response.success, response.message = False, 'not configured'
            return response
        response.success, response.message = call()
        if self._loop.supervisor is not None:
            self._publish_supervisor()
        return response

    def _on_start(self, request, response):
        return self._supervised(response, lambda: self._loop.start_episode())

    def _on_home(self, request, response):
        return self._supervised(response, lambda: self._loop.home())

    def _on_pause(self, request, response):
        return self._supervised(response, lambda: self._loop.pause(bool(request.data)))

    def _publish_supervisor(self):
        supervisor = self._loop.supervisor
        self._supervisor_state = supervisor.state
        self._supervisor_pub.publish(conversions.diagnostic_status(
            f'{self.get_name()}: supervisor', supervisor.state,
            supervisor_values(supervisor), hardware_id=HARDWARE_ID))

    def _on_set_learning(self, request, response):
        result = self.set_parameters([Parameter('learning', Parameter.Type.BOOL,
                                                bool(request.data))])[0]
        response.success = result.successful
        response.message = (('learning' if request.data else 'learning frozen')
                            if result.successful else result.reason)
        return response

    # -- diagnostics ------------------------------------------------------------------------------

    def _publish_diagnostics(self, *statuses):
        msg = DiagnosticArray()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.status = list(statuses)
        self._diag_pub.publish(msg)

    def _publish_status(self, periodic=True, state=None):
        state = state or self.lifecycle_state()
        loop = self._loop
        counters = NodeCounters(self.errors, self.fault, self.saves,
                                self.get_parameter('checkpoint_path').value)
        latency = loop.latency.take() if periodic and loop is not None else None
        report = status_report(state, loop, counters, latency, self._last_report)
        if latency is not None:
            self._last_report = report.troubles
        self._publish_diagnostics(conversions.diagnostic_status(
            f'{self.get_name()}: status', report.message, report.values,
            level=bytes([report.level]), hardware_id=HARDWARE_ID))

    def destroy_node(self):
        self._stop_recording()
        self._join_save()
        super().destroy_node()

