"""The memsnn-bringup job: parameters, run folder, nodes, and the loop that listens to them.

``run(args)`` resolves both nodes' parameters (params), builds the controller's AgentConfig,
locks and prepares the run folder (outputs), starts the nodes (runners), then spins: every
episode report heard on ~/episodes (monitor) goes to episodes.csv and the progress bar, until
the episode budget or the target is reached or a stop is requested (SIGINT/SIGTERM). Then
``outputs.finish`` deactivates the controller, saves the checkpoint and writes the summary.
"""

import os
import sys
import time

from memsnn_controller.apps.bringup import PARAMS_FILE, PROG, BringupError, NodeFailed
from memsnn_controller.apps.bringup.monitor import Monitor
from memsnn_controller.apps.bringup.outputs import Recorder, finish, prepare
from memsnn_controller.apps.bringup.params import resolve_parameters
from memsnn_controller.apps.bringup.plants import PlantChanger, schedule_of
from memsnn_controller.apps.bringup.runners import ChildProcessNodes, InProcessNodes
from memsnn_controller.common.stop import StopSignals
from memsnn_controller.experiments import metrics
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.ros import controller_config

# Wall seconds without any progress of the controller before a warning (realtime episodes of
# 500 steps take 10 s; a cold numba compile about 15 s).
STALL_WARNING_S = 60.0


def run(args):
    """Run the job of memsnn-bringup's ``args``; returns the exit code. Raises BringupError or
    RunFolderError (exit code 2) when it cannot start as asked."""
    out = args.out
    base = None
    if args.resume:
        rf.check_start(out, resume=True)
        base = os.path.join(out, PARAMS_FILE)
        if not os.path.exists(base):
            base = None
    sim, ctrl = resolve_parameters(args, base)
    if args.plant_changes:
        schedule_of(args.plant_changes, sim)  # a bad change is refused before anything is made
    try:
        config = controller_config.build_agent_config(ctrl)
    except (ValueError, OSError) as exc:
        raise BringupError(f'{controller_config.NODE_NAME}: invalid agent configuration: '
                           f'{exc}') from None
    os.makedirs(out, exist_ok=True)
    with rf.RunLock(out):
        args.plant_changes = rf.run_plant_changes(out, args.resume, args.plant_changes)
        plants = schedule_of(args.plant_changes, sim)
        episode_log, start, params_path = prepare(out, args, sim, ctrl, config)
        try:
            return _run_nodes(args, out, sim, ctrl, config, episode_log, start, params_path,
                              plants)
        finally:
            episode_log.close()


def _run_nodes(args, out, sim, ctrl, config, episode_log, start, params_path, plants):
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.signals import SignalHandlerOptions
    from tqdm import tqdm

    def log(message):
        tqdm.write(f'{PROG}: {message}', file=sys.stderr)

    log(f'{sim["mode"]} at {1.0 / sim["control_period"]:g} Hz, reward {config.reward.name}, '
        f'device {config.device.model}, decoder {config.actor.decoder}, seed {ctrl["seed"]}; '
        f'{"separate processes" if args.processes else "one process"}; run folder {out}')
    stop = StopSignals().install()
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

    nodes: ChildProcessNodes | InProcessNodes
    if args.processes:
        nodes = ChildProcessNodes(
node, spin_until, monitor, params_path, out, log)
    else:
        nodes = InProcessNodes(context, executor, params_path, log)
    # Every episode's length, a resumed run's earlier ones first (for the target and the bar).
    lengths = rf.read_episodes(episode_log.path)['length'][:start]
    recorder = Recorder(episode_log, lengths, episode_log.last_elapsed)
    reason = failure = outcome = None
    bar = None
    changer = None
    try:
        nodes.start()
        schedule, original = plants
        if schedule:
            changer = PlantChanger(node, schedule, original, start, log)
        recorder.t0 = time.monotonic()
        bar = tqdm(total=args.episodes, initial=min(start, args.episodes), unit='ep',
                   disable=args.no_progress, dynamic_ncols=True, file=sys.stderr,
                   mininterval=0.5, desc='episodes')
        warned_stall = False
        while reason is None:
            executor.spin_once(timeout_sec=0.1)
            nodes.check()
            taken = recorder.take(monitor.episodes, monitor.sim_hits)
            if taken:
                bar.update(len(taken))
                bar.set_postfix_str(_postfix(taken[-1], lengths, monitor), refresh=False)
            seen = recorder.episodes_seen(monitor.episodes)
            if changer is not None:
                changer.update(seen)
            reason = _stop_reason(args, seen, lengths, stop)
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
                outcome = finish(out, sim['mode'], nodes, monitor, spin_until, recorder, config,
                                 ctrl, reason, failure, log,
                                 make_extras=(not args.no_figures, not args.no_video),
                                 marks=plants[0].marks())
        finally:
            nodes.shutdown()
            executor.shutdown()
            node.destroy_node()
            context.try_shutdown()
            stop.uninstall()
    return outcome


def _postfix(length, lengths, monitor):
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
    if stop():
        return f'stopped by {stop.requested}'
    if episodes >= args.episodes:
        return f'episode budget of {args.episodes} reached'
    if args.target > 0 and len(lengths) >= metrics.WINDOW:
        if sum(lengths[-metrics.WINDOW:]) >= args.target * metrics.WINDOW:
            return f'trailing-100 mean reached the target {args.target:g}'
    return None
