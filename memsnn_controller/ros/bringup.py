"""memsnn-bringup: the simulator and the learning controller over ROS, without ros2 launch.

    memsnn-bringup                                    # lockstep, up to 1000 episodes or solved
    memsnn-bringup --episodes 300 --reward angle --seed 3 --out runs/ros_angle_s3
    memsnn-bringup --mode realtime --gui              # wall-clock rate, PyBullet's window
    memsnn-bringup --processes                        # each node in its own process
    memsnn-bringup --out runs/ros_angle_s3 --resume --episodes 600

Starts the nodes of launch/cartpole_sim.launch.py from the same parameter files
(config/simulator.yaml and config/controller.yaml, found inside the installed package), then
every --params-file, then the options. By default both nodes run in this process on one
SingleThreadedExecutor; --processes starts sim_node and controller_node as child processes.
Either way the progress bar and the run folder are fed from /diagnostics (the controller's
per-episode reports), as any ROS tool would see them.

The run folder (--out, default runs/bringup-<date>-<time>) gets memsnn-train's files:
episodes.csv, checkpoint.npz (the controller's checkpoint_path: autosaved while learning and
saved at the end), learning_curve.png, summary.json (the same keys as memsnn-train's),
config.yaml (the controller's AgentConfig) and run.json, plus params.yaml (the resolved
parameters of both nodes: ``sim_node --ros-args --params-file DIR/params.yaml`` restarts the
same setup) and, with --processes, the nodes' logs.

It stops after --episodes episodes in total (a resumed run's included) or as soon as the
trailing-100 mean episode length reaches --target (full windows of 100, as memsnn-train's
metrics); Ctrl-C (or SIGTERM) stops too. Stopping deactivates the controller (0 N on the wire),
saves the checkpoint and writes the outputs. Exit codes: 0 finished or stopped; 1 a node failed
while running; 2 bad arguments, parameters, configuration or run folder (one line on stderr).

DDS discovery stays on this machine: ROS_AUTOMATIC_DISCOVERY_RANGE defaults to LOCALHOST here
and in the child processes. The ROS domain is ROS_DOMAIN_ID's (0 when unset).
"""

import argparse
import datetime
import math
import os
import signal
import sys
import time

from memsnn_controller import yaml_values
from memsnn_controller.ros import controller_config

PROG = 'memsnn-bringup'
SIM_NODE = 'cartpole_sim'
CONTROLLER_NODE = controller_config.NODE_NAME
PARAMS_FILE = 'params.yaml'
EXIT_FAILED = 1
EXIT_USAGE = 2
DEFAULT_EPISODES = 1000
DEFAULT_TARGET = 475.0
# Wall seconds without any progress of the controller before a warning (realtime episodes of
# 500 steps take 10 s; a cold numba compile about 15 s).
STALL_WARNING_S = 60.0


class BringupError(RuntimeError):
    """The bringup cannot start or go on as asked; the message says why (exit code 2)."""


class NodeFailed(RuntimeError):
    """A node stopped or failed while running (exit code 1)."""


# -- parameters -----------------------------------------------------------------------------------

def config_dir():
    """The folder of the package's parameter files: inside the installed package (a checkout,
    an editable install and a wheel alike), else the ament share folder of a colcon install."""
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'config')
    if os.path.isfile(os.path.join(here, 'controller.yaml')):
        return here
    try:
        from ament_index_python.packages import get_package_share_directory

        share = os.path.join(get_package_share_directory('memsnn_controller'), 'config')
    except (ImportError, LookupError, OSError, ValueError):
        share = ''
    if os.path.isfile(os.path.join(share, 'controller.yaml')):
        return share
    raise BringupError(f'cannot find the parameter files (looked in {here} and the ament share '
                       f'folder of memsnn_controller)')


def load_params_file(path):
    """A ROS 2 parameter file as {node name: {parameter: value}}; '/**' applies to both nodes,
    a leading '/' on a node name is dropped."""
    import yaml

    try:
        with open(path) as f:
            data = yaml_values.load(f)
    except OSError as exc:
        raise BringupError(f'{path}: {exc.strerror or exc}') from None
    except yaml.YAMLError as exc:
        raise BringupError(f'{path}: not valid YAML: {" ".join(str(exc).split())}') from None
    out = {}
    for node, section in (data or {}).items():
        if not isinstance(section, dict) or not isinstance(section.get('ros__parameters'),
                                                           dict):
            raise BringupError(f'{path}: {node!r} has no "ros__parameters" mapping (a ROS 2 '
                               f'parameter file maps node names to ros__parameters)')
        name = '/**' if node == '/**' else str(node).lstrip('/')
        out.setdefault(name, {}).update(section['ros__parameters'])
    return out


def resolve_parameters(args, base_file=None):
    """The parameters of the simulator and of the controller (dicts), from the package's files
    (or ``base_file``: a run's params.yaml when resuming), the --params-file files and the
    options. Raises BringupError saying what is wrong."""
    from memsnn_controller.ros import sim_node

    sources = []
    if base_file is not None:
        sources.append(load_params_file(base_file))
    else:
        folder = config_dir()
        sources += [load_params_file(os.path.join(folder, 'simulator.yaml')),
                    load_params_file(os.path.join(folder, 'controller.yaml'))]
    explicit = {}
    for path in args.params_file:
        loaded = load_params_file(path)
        unknown = set(loaded) - {SIM_NODE, CONTROLLER_NODE, '/**'}
        if unknown:
            raise BringupError(f'{path}: sections for unknown nodes: {", ".join(sorted(unknown))} '
                               f'(the nodes are {SIM_NODE} and {CONTROLLER_NODE})')
        sources.append(loaded)
        explicit.update(loaded.get(CONTROLLER_NODE, {}))
    sim = {spec.name: spec.default for spec in sim_node.PARAMETERS}
    ctrl = controller_config.defaults()
    for source in sources:
        sim.update(source.get('/**', {}))
        ctrl.update(source.get('/**', {}))
        sim.update(source.get(SIM_NODE, {}))
        ctrl.update(source.get(CONTROLLER_NODE, {}))

    if args.mode is not None:
        sim['mode'] = args.mode
    if args.gui:
        sim['gui'] = True
    if args.seed is not None:
        sim['seed'] = ctrl['seed'] = args.seed
    if args.reward is not None:
        ctrl['reward'] = args.reward
    if args.device is not None:
        ctrl['device'] = args.device
    ctrl['agent_overrides'] = list(ctrl.get('agent_overrides') or ()) + list(args.overrides)
    ctrl['checkpoint_path'] = os.path.abspath(os.path.join(args.out, 'checkpoint.npz'))
    ctrl['use_sim_time'] = bool(sim['publish_clock'])
    # The bringup drives the lifecycle itself, once it listens to the controller's diagnostics.
    ctrl['autostart'] = False
    # One control period and one episode limit for both sides, unless a file says otherwise.
    for name in ('control_period', 'max_episode_steps'):
        if name not in explicit:
            ctrl[name] = sim[name]
    if ctrl['control_period'] != sim['control_period'] and sim['mode'] == 'lockstep':
        raise BringupError(f'lockstep needs the same control_period for both nodes (simulator '
                           f'{sim["control_period"]}, controller {ctrl["control_period"]})')

    for name, value in sim.items():
        reason = sim_node.validate_parameter(name, value, sim)
        if reason is not None:
            raise BringupError(f'{SIM_NODE}: invalid parameter: {reason}')
    unknown = set(sim) - {spec.name for spec in sim_node.PARAMETERS} - {'use_sim_time'}
    if unknown:
        raise BringupError(f'{SIM_NODE}: unknown parameters: {", ".join(sorted(unknown))}')
    unknown = set(ctrl) - set(controller_config.SPECS) - {'use_sim_time'}
    if unknown:
        raise BringupError(f'{CONTROLLER_NODE}: unknown parameters: {", ".join(sorted(unknown))}')
    reason = controller_config.validate_all(ctrl)
    if reason is not None:
        raise BringupError(f'{CONTROLLER_NODE}: invalid parameter: {reason}')
    return sim, ctrl


def write_params_file(path, sim, ctrl):
    """Both nodes' parameters as one ROS 2 parameter file (what --processes passes them)."""
    import yaml

    from memsnn_controller.experiments import runfolder as rf

    def plain(params):
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()
                if not (k == 'agent_overrides' and not v)}  # an empty list is not a valid value

    text = yaml.safe_dump({SIM_NODE: {'ros__parameters': plain(sim)},
                           CONTROLLER_NODE: {'ros__parameters': plain(ctrl)}}, sort_keys=False)
    rf.write_atomic(path, f'# Written by {PROG}: the parameters of both nodes in this run.\n'
                          + text)


# -- the nodes ------------------------------------------------------------------------------------

class Monitor:
    """Listens to /diagnostics: the controller's episodes (by index) and status reports, and
    the simulator's status reports."""

    def __init__(self, node):
        from diagnostic_msgs.msg import DiagnosticArray

        from memsnn_controller.ros import qos

        self.node = node
        self.episodes = {}
        self.status = {}
        self.loop_status = {}  # the last status with latency samples
        self.sim_status = {}
        self.last_progress = time.monotonic()
        node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics,
                                 qos.DIAGNOSTICS)

    def _on_diagnostics(self, msg):
        from memsnn_controller.ros import conversions

        for status in msg.status:
            if status.name == f'{CONTROLLER_NODE}: episode':
                values = conversions.diagnostic_values(status)
                values['_received'] = time.monotonic()
                self.episodes[int(values['index'])] = values
                self.last_progress = time.monotonic()
            elif status.name == f'{CONTROLLER_NODE}: status':
                self.status = conversions.diagnostic_values(status)
                if int(self.status.get('latency_samples', 0)):
                    self.loop_status = self.status
            elif status.name == f'{SIM_NODE}: status':
                self.sim_status = conversions.diagnostic_values(status)


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

        from memsnn_controller.ros.processes import ManagedProcess, ros_environment

        # Clients made now are discovered by the time they are needed, so stopping is prompt.
        self.change_state = self.node.create_client(ChangeState,
                                                    f'/{CONTROLLER_NODE}/change_state')
        self.save = self.node.create_client(Trigger, f'/{CONTROLLER_NODE}/save_checkpoint')
        env = ros_environment()
        for module, name in (('sim_node', SIM_NODE), ('controller_node', CONTROLLER_NODE)):
            argv = [sys.executable, '-m', f'memsnn_controller.ros.{module}', '--ros-args',
                    '--params-file', self.params_path]
            proc = ManagedProcess(argv, env=env, log_path=os.path.join(self.out, f'{module}.log'),
                                  name=name)
            self.children.append(proc.start())
        self.log(f'started {SIM_NODE} (pid {self.children[0].pid}) and {CONTROLLER_NODE} (pid '
                 f'{self.children[1].pid}); logs in {self.out}')
        # Configure and activate only when both nodes' /diagnostics publishers are known here,
        # so no episode report goes out before this process listens.
        ready = self.spin_until(lambda: self.check() or (
            self.change_state.service_is_ready()
            and self.node.count_publishers('/diagnostics') >= 2), 60.0)
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


class _StopRequest:
    def __init__(self):
        self.requested = None
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum, frame):
        self.requested = signal.Signals(signum).name


# -- the run --------------------------------------------------------------------------------------

def build_parser():
    from memsnn_controller.snn.rewards import REWARDS

    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split('\n\n')[0].split(': ', 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 1)[1])
    p.add_argument('--mode', choices=('lockstep', 'realtime'),
                   help="the simulator's mode (default: config/simulator.yaml's, lockstep)")
    p.add_argument('--episodes', type=int, default=DEFAULT_EPISODES, metavar='N',
                   help=f"stop after N episodes in total, a resumed run's included (default "
                        f'{DEFAULT_EPISODES})')
    p.add_argument('--target', type=float, default=DEFAULT_TARGET, metavar='LENGTH',
                   help=f'stop when the trailing-100 mean episode length reaches LENGTH '
                        f'(default {DEFAULT_TARGET:g}, CartPole-v1 solved; 0 = never)')
    p.add_argument('--out', metavar='DIR', help='run folder (default runs/bringup-<date>-<time>)')
    p.add_argument('--resume', action='store_true',
                   help='continue the run in --out from its checkpoint, with its params.yaml')
    p.add_argument('--reward', choices=sorted(REWARDS), help="the controller's reward function")
    p.add_argument('--device', choices=controller_config.DEVICES, help='memristor model')
    p.add_argument('--seed', type=int, help='seed of both nodes (default 0)')
    p.add_argument('--set', dest='overrides', action='append', default=[], metavar='KEY=VALUE',
                   help="change the agent's configuration, e.g. --set actor.eta=0.02 "
                        "(repeatable; the controller's agent_overrides)")
    p.add_argument('--params-file', action='append', default=[], metavar='YAML',
                   help='a ROS 2 parameter file with sections cartpole_sim and/or '
                        "memsnn_controller, applied after the package's (repeatable)")
    p.add_argument('--gui', action='store_true', help="open PyBullet's GUI (needs a display)")
    p.add_argument('--processes', action='store_true',
                   help='run each node in its own process instead of all in this one')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    return p


def _fail(message, code=EXIT_USAGE):
    print(f'{PROG}: error: {message}', file=sys.stderr)
    return code


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.episodes < 0:
        return _fail(f'--episodes: must be >= 0, got {args.episodes}')
    if not (args.target >= 0 and math.isfinite(args.target)):
        return _fail(f'--target: must be >= 0, got {args.target}')
    if args.out is None:
        if args.resume:
            return _fail('--resume needs --out DIR (the run to continue)')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
        args.out = os.path.join('runs', f'bringup-{stamp}')
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    try:
        return run(args)
    except BringupError as exc:
        return _fail(exc)


def run(args):
    from memsnn_controller.experiments import runfolder as rf

    out = args.out
    base = os.path.join(out, PARAMS_FILE) if args.resume else None
    if args.resume and not os.path.exists(os.path.join(out, rf.CHECKPOINT_FILE)):
        raise BringupError(f'{out}: no {rf.CHECKPOINT_FILE} to resume from')
    if base is not None and not os.path.exists(base):
        base = None
    sim, ctrl = resolve_parameters(args, base)
    try:
        config = controller_config.build_agent_config(ctrl)
    except (ValueError, OSError) as exc:
        raise BringupError(f'{CONTROLLER_NODE}: invalid agent configuration: {exc}') from None
    os.makedirs(out, exist_ok=True)
    try:
        with rf.RunLock(out):
            return _run_locked(args, out, sim, ctrl, config)
    except rf.RunFolderError as exc:
        raise BringupError(str(exc)) from None


def _run_locked(args, out, sim, ctrl, config):
    from memsnn_controller import __version__
    from memsnn_controller.experiments import runfolder as rf

    checkpoint = ctrl['checkpoint_path']
    start = 0
    if args.resume:
        from memsnn_controller.snn.checkpoint import CheckpointError, load_checkpoint

        try:
            _, _, arrays = load_checkpoint(checkpoint)
        except CheckpointError as exc:
            raise BringupError(str(exc)) from None
        start = len(arrays['episode_lengths'])
    else:
        present = [name for name in (rf.CHECKPOINT_FILE, rf.EPISODES_FILE, rf.SUMMARY_FILE)
                   if os.path.exists(os.path.join(out, name))]
        if present:
            raise BringupError(f'{out}: already holds a run ({", ".join(present)}); resume it '
                               f'with --resume or choose another --out')
    params_path = os.path.abspath(os.path.join(out, PARAMS_FILE))
    write_params_file(params_path, sim, ctrl)
    rf.write_config(os.path.join(out, rf.CONFIG_FILE), config)
    rf.write_json(os.path.join(out, rf.RUN_FILE), {
        'env': f'ros:{SIM_NODE}', 'mode': sim['mode'], 'seed': ctrl['seed'],
        'episodes': args.episodes, 'target': args.target, 'processes': bool(args.processes),
        'package_version': __version__})
    summary_path = os.path.join(out, rf.SUMMARY_FILE)
    if os.path.exists(summary_path):
        os.unlink(summary_path)  # the run goes on: no longer finished
    episode_log = rf.EpisodeLog(os.path.join(out, rf.EPISODES_FILE),
                                keep=start if args.resume else None)
    try:
        return _run_nodes(args, out, sim, ctrl, config, episode_log, start, params_path)
    finally:
        episode_log.close()


def _run_nodes(args, out, sim, ctrl, config, episode_log, start, params_path):
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.signals import SignalHandlerOptions
    from tqdm import tqdm

    def log(message):
        tqdm.write(f'{PROG}: {message}', file=sys.stderr)

    log(f'{sim["mode"]} at {1.0 / sim["control_period"]:g} Hz, reward {config.reward.name}, '
        f'device {config.device.model}, decoder {config.actor.decoder}, seed {ctrl["seed"]}; '
        f'{"separate processes" if args.processes else "one process"}; run folder {out}')
    stop = _StopRequest()
    context = rclpy.Context()
    rclpy.init(context=context, signal_handler_options=SignalHandlerOptions.NO)
    executor = SingleThreadedExecutor(context=context)
    node = rclpy.create_node('memsnn_bringup', context=context)
    executor.add_node(node)
    monitor = Monitor(node)

    def spin_until(predicate, timeout):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            executor.spin_once(timeout_sec=0.05)
        return True

    if args.processes:
        nodes = ChildProcessNodes(node, spin_until, monitor, params_path, out, log)
    else:
        nodes = InProcessNodes(context, executor, params_path, log)
    from memsnn_controller.experiments import runfolder as rf

    # Every episode's length, a resumed run's earlier ones first (for the target and the bar).
    lengths = rf.read_episodes(episode_log.path)['length'][:start]
    recorder = _Recorder(episode_log, lengths, episode_log.last_elapsed)
    reason = failure = outcome = None
    bar = None
    try:
        nodes.start()
        recorder.t0 = time.monotonic()
        bar = tqdm(total=args.episodes, initial=min(start, args.episodes), unit='ep',
                   disable=args.no_progress, dynamic_ncols=True, file=sys.stderr,
                   mininterval=0.5, desc='episodes')
        warned_stall = False
        while reason is None:
            executor.spin_once(timeout_sec=0.1)
            nodes.check()
            taken = recorder.take(monitor.episodes)
            if taken:
                bar.update(len(taken))
                bar.set_postfix_str(_postfix(taken[-1], lengths, monitor), refresh=False)
            reason = _stop_reason(args, recorder.episodes_seen(monitor.episodes), lengths, stop)
            if not warned_stall and time.monotonic() - monitor.last_progress > STALL_WARNING_S:
                warned_stall = True
                log(f'no episode has ended for {STALL_WARNING_S:.0f} s (controller: '
                    f'{monitor.status.get("state", "no status yet")}, '
                    f'{monitor.status.get("phase", "")})')
    except NodeFailed as exc:
        failure = str(exc)
    finally:
        if bar is not None:
            bar.close()
        try:
            if recorder.t0 is not None:
                outcome = _finish(out, sim['mode'], nodes, monitor, spin_until, recorder, config,
                                  ctrl, reason, failure, log)
        finally:
            nodes.shutdown()
            executor.shutdown()
            node.destroy_node()
            context.try_shutdown()
    return outcome


class _Recorder:
    """Appends the controller's episode reports to episodes.csv in index order.

    A report that never arrives (it should not: /diagnostics is reliable and the bringup listens
    before the controller starts) holds the later ones back; ``complete`` fills the gap from the
    checkpoint at the end (length known; return the length; agent_return, writes and wall_s
    unknown: nan, -1, nan).
    """

    def __init__(self, episode_log, lengths, elapsed0):
        self.log = episode_log
        self.lengths = lengths
        self.elapsed0 = elapsed0
        self.t0 = None
        self.reconstructed = 0

    def take(self, reports):
        """Record every report that continues the sequence; returns their lengths."""
        taken = []
        while len(self.lengths) in reports:
            e = reports.pop(len(self.lengths))
            self._append(e)
            taken.append(self.lengths[-1])
        return taken

    def episodes_seen(self, reports):
        """Episodes finished as far as known (recorded, or reported after a gap)."""
        return max(len(self.lengths), max(reports, default=-1) + 1)

    def complete(self, reports, checkpoint_lengths, max_steps):
        """Record the reports held back by a lost one, filling the gaps from the checkpoint."""
        self.take(reports)
        while len(self.lengths) < len(checkpoint_lengths):
            index = len(self.lengths)
            if index in reports:
                self._append(reports.pop(index))
                continue
            length = int(checkpoint_lengths[index])
            truncated = bool(max_steps) and length >= max_steps
            self.log.append(index, length, float(length), math.nan, -1, math.nan,
                            not truncated, truncated, math.nan, self.log.last_elapsed)
            self.lengths.append(length)
            self.reconstructed += 1

    def _append(self, e):
        length = int(e['length'])
        self.log.append(len(self.lengths), length, float(length), float(e['total_reward']),
                        int(e['writes']), float(e['writes_per_synapse']),
                        e['terminated'] == 'true', e['truncated'] == 'true',
                        float(e['wall_s']), self.elapsed0 + e['_received'] - self.t0)
        self.lengths.append(length)


def _postfix(length, lengths, monitor):
    from memsnn_controller.experiments import metrics

    mean = metrics.running_means(lengths[-100:])[-1]
    text = f'len {length} mean100 {mean:.1f}'
    rate = monitor.sim_status.get('ticks_per_second')
    if rate is not None:
        text += f' {float(rate):.0f} ticks/s'
    p99 = monitor.loop_status.get('latency_p99_ms')
    if p99 is not None:
        text += f' loop p99 {float(p99):.2f} ms'
    return text


def _stop_reason(args, episodes, lengths, stop):
    from memsnn_controller.experiments import metrics

    if stop.requested:
        return f'stopped by {stop.requested}'
    if episodes >= args.episodes:
        return f'episode budget of {args.episodes} reached'
    if args.target > 0 and len(lengths) >= metrics.WINDOW:
        if sum(lengths[-metrics.WINDOW:]) >= args.target * metrics.WINDOW:
            return f'trailing-100 mean reached the target {args.target:g}'
    return None


def _finish(out, mode, nodes, monitor, spin_until, recorder, config, ctrl, reason, failure,
            log):
    """Deactivate (0 N), save the checkpoint, write the outputs, print the summary."""
    from memsnn_controller.experiments import metrics
    from memsnn_controller.experiments import runfolder as rf
    from memsnn_controller.experiments.plots import plot_learning_curve
    from memsnn_controller.experiments.train import format_summary
    from memsnn_controller.snn.checkpoint import CheckpointError, load_checkpoint

    try:
        nodes.deactivate()
    except Exception as exc:  # the node may be gone already
        log(f'could not deactivate the controller: {exc}')
    elapsed = recorder.elapsed0 + time.monotonic() - recorder.t0
    # Episodes that ended before the deactivation may still be on their way.
    spin_until(lambda: False, 0.3)
    recorder.take(monitor.episodes)
    recorder.log.sync()
    try:
        _, message = nodes.save_checkpoint()
    except Exception as exc:
        message = f'cannot save the checkpoint: {exc}'
    log(message)
    checkpoint = ctrl['checkpoint_path']
    total_writes = None
    try:
        _, _, arrays = load_checkpoint(checkpoint)
        recorder.complete(monitor.episodes, arrays['episode_lengths'], ctrl['max_episode_steps'])
        total_writes = int(arrays['counters'][1])
    except CheckpointError as exc:
        log(f'no usable checkpoint: {exc}')
    if recorder.reconstructed:
        log(f'{recorder.reconstructed} episode reports never arrived: their rows in '
            f'{rf.EPISODES_FILE} come from the checkpoint (lengths only)')
    recorder.log.sync()
    all_lengths = rf.read_episodes(os.path.join(out, rf.EPISODES_FILE))['length']
    synapses = int(monitor.status.get('synapses', 0)) or _synapses(config, ctrl)
    if total_writes is None:
        total_writes = int(monitor.status.get('total_writes', 0))
    summary = metrics.summarize(all_lengths, total_writes, synapses, wall_s=elapsed)
    plot_learning_curve(all_lengths, os.path.join(out, rf.CURVE_FILE),
                        title=f'ROS bringup ({mode}): reward {config.reward.name}, '
                              f'device {config.device.model}, seed {ctrl["seed"]}')
    rf.write_json(os.path.join(out, rf.SUMMARY_FILE), summary)
    print(format_summary(summary, out))
    status, loop, sim_status = monitor.status, monitor.loop_status, monitor.sim_status
    if status:
        print(f'  ROS loop: {status.get("ticks")} ticks, receipt-to-command latency p50 '
              f'{loop.get("latency_p50_ms", "?")} ms p99 {loop.get("latency_p99_ms", "?")} ms '
              f'(last report), {status.get("overruns")} overruns, {status.get("bad_messages")} '
              f'bad messages, {status.get("watchdog_trips")} watchdog trips')
    if sim_status:
        print(f'  simulator: {sim_status.get("ticks_per_second")} ticks/s (last report), '
              f'{sim_status.get("command_timeouts")} command timeouts')
    print(f'  {reason or failure}; outputs in {out}/: {rf.EPISODES_FILE}, {rf.SUMMARY_FILE}, '
          f'{rf.CURVE_FILE}, {rf.CHECKPOINT_FILE}, {rf.CONFIG_FILE}, {PARAMS_FILE}')
    if failure:
        print(f'{PROG}: {failure}', file=sys.stderr)
        return EXIT_FAILED
    return 0


def _synapses(config, ctrl):
    from memsnn_controller.snn.network import Network

    net = Network(config, max(int(ctrl['seed']), 0))
    return net.n_in * net.n_post


if __name__ == '__main__':
    sys.exit(main())
