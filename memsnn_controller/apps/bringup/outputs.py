"""The run folder of memsnn-bringup: memsnn-train's files, fed by the controller's reports.

    DIR/params.yaml        both nodes' resolved parameters (a ROS 2 parameter file)
    DIR/config.yaml        the controller's AgentConfig
    DIR/run.json           what was run (mode, seed, episodes, target, processes, version, ROS
                           distribution, plant changes)
    DIR/episodes.csv       one row per episode report, in index order
    DIR/checkpoint.npz     the controller's (its checkpoint_path)
    DIR/summary.json, DIR/learning_curve.png   at the end
    DIR/rosbag/, the figures and episode.gif     extras.py

``prepare`` starts or resumes the folder, ``Recorder`` appends the episode reports and
``finish`` stops the controller and writes the rest.
"""

import math
import os
import time

from memsnn_controller import __version__
from memsnn_controller.apps.bringup import PARAMS_FILE, PROG, SIM_NODE, BringupError, extras
from memsnn_controller.apps.bringup.params import write_params_file
from memsnn_controller.apps.cli import EXIT_FAILED, fail
from memsnn_controller.experiments import metrics
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.ros.distro import ros_distribution


def prepare(out, args, sim, ctrl, config):
    """Write params.yaml, config.yaml and run.json into the locked folder ``out``, drop an old
    summary (the run goes on) and open episodes.csv; returns (EpisodeLog, episodes done before,
    path of params.yaml)."""
    start = 0
    if args.resume:
        from memsnn_controller.snn.checkpoint import CheckpointError, load_checkpoint

        try:
            _, _, arrays = load_checkpoint(ctrl['checkpoint_path'])
        except CheckpointError as exc:
            raise BringupError(str(exc)) from None
        start = len(arrays['episode_lengths'])
    else:
        rf.check_start(out, resume=False)
    params_path = os.path.abspath(os.path.join(out, PARAMS_FILE))
    write_params_file(params_path, sim, ctrl)
    rf.write_config(os.path.join(out, rf.CONFIG_FILE), config)
    rf.write_json(os.path.join(out, rf.RUN_FILE), {
        'env': f'ros:{SIM_NODE}', 'mode': sim['mode'], 'seed': ctrl['seed'],
        'episodes': args.episodes, 'target': args.target, 'processes': bool(args.processes),
        'package_version': __version__, 'ros_distro': ros_distribution(),
        **({'plant_changes': args.plant_changes} if getattr(args, 'plant_changes', None)
           else {})})
    summary_path = os.path.join(out, rf.SUMMARY_FILE)
    if os.path.exists(summary_path):
        os.unlink(summary_path)  # the run goes on: no longer finished
    episode_log = rf.EpisodeLog(os.path.join(out, rf.EPISODES_FILE),
                                keep=start if args.resume else None)
    return episode_log, start, params_path


class Recorder:
    """Appends the controller's episode reports to episodes.csv in index order.

    A report that never arrives (it should not: ~/episodes is reliable and transient-local, and
    the bringup listens before the controller starts) holds the later ones back; ``complete``
    fills the gap from the checkpoint at the end (length known; return the length;
    agent_return, writes and wall_s unknown: nan, -1, nan).
    """

    def __init__(self, episode_log, lengths, elapsed0):
        self.log = episode_log
        self.lengths = lengths
        self.elapsed0 = elapsed0
        self.t0 = None
        self.reconstructed = 0
        self.sim_hits = 0         # the simulator's end-stop hits recorded so far

    def take(self, reports, sim_hits=0):
        """Record every report that continues the sequence; returns their lengths. A row's
        end_stop_hits are those the simulator reported since the previous row (``sim_hits``:
        its total so far)."""
        taken = []
        while len(self.lengths) in reports:
            e = reports.pop(len(self.lengths))
            self._append(e, max(0, sim_hits - self.sim_hits))
            self.sim_hits = max(self.sim_hits, sim_hits)
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

    def _append(self, e, hits=0):
        length = int(e['length'])
        self.log.append(len(self.lengths), length, float(length), float(e['total_reward']),
                        int(e['writes']), float(e['writes_per_synapse']),
                        e['terminated'] == 'true', e['truncated'] == 'true',
                        float(e['wall_s']), self.elapsed0 + e['_received'] - self.t0, hits)
        self.lengths.append(length)


def finish(out, mode, nodes, monitor, spin_until, recorder, config, ctrl, reason, failure,
            log, make_extras=(True, True), marks=None):
    """Deactivate (0 N), save the checkpoint, write the outputs (and, as ``make_extras`` =
    (figures, video) asks, extras.py's), print the summary; returns the exit code (1 after a
    node failure). ``marks``: {episode: label} on the learning curve (the plant changes)."""
    from memsnn_controller.experiments.plots import plot_learning_curve
    from memsnn_controller.snn import energy, state
    from memsnn_controller.snn.checkpoint import CheckpointError, load_checkpoint

    try:
        nodes.deactivate()
    except Exception as exc:  # the node may be gone already
        log(f'could not deactivate the controller: {exc}')
    elapsed = recorder.elapsed0 + time.monotonic() - recorder.t0
    # Episodes that ended before the deactivation may still be on their way.
    spin_until(lambda: False, 0.3)
    recorder.take(monitor.episodes, monitor.sim_hits)
    recorder.log.sync()
    try:
        _, message = nodes.save_checkpoint()
    except Exception as exc:
        message = f'cannot save the checkpoint: {exc}'
    log(message)
    checkpoint = ctrl['checkpoint_path']
    total_writes = activity = device_writes = failed = None
    try:
        _, _, arrays = load_checkpoint(checkpoint)
        recorder.complete(monitor.episodes, arrays['episode_lengths'], ctrl['max_episode_steps'])
        total_writes = int(arrays['counters'][1])
        activity = energy.activity_of_state(arrays)
        device_writes = state.device_writes(arrays)
        failed = state.failed_devices(arrays)
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
    estimate = None
    if activity is not None:
        estimate = energy.summary(activity, len(all_lengths), energy.network_neurons(config),
                                  config)
        # The tick time is measured in the controller's process: its last status report says it.
        tick_us = monitor.status.get('tick_us')
        estimate['tick_us'] = float(tick_us) if tick_us else None
    recorded_hits = int(sum(rf.read_episodes(os.path.join(out, rf.EPISODES_FILE))
                            ['end_stop_hits']))
    # Every hit: the simulator's status counts those while coasting between episodes too.
    hits = max(recorded_hits, int(monitor.sim_status.get('end_stop_hits', 0)))
    summary = metrics.summarize(all_lengths, total_writes, synapses, wall_s=elapsed,
                                energy=estimate, device_writes=device_writes,
                                failed_devices=failed, end_stop_hits=hits)
    rig = rig_summary(monitor.status)
    summary.update(rig)  # the rig's keys, when supervised
    plot_learning_curve(all_lengths, os.path.join(out, rf.CURVE_FILE),
                        title=f'ROS bringup ({mode}): reward {config.reward.name}, '
                              f'device {config.device.model}, seed {ctrl["seed"]}',
                        marks=marks)
    rf.write_json(os.path.join(out, rf.SUMMARY_FILE), summary)
    figures, video = make_extras
    extra_files = extras.write_figures_and_video(out, checkpoint, f'ROS bringup, seed '
                                                 f'{ctrl["seed"]}', figures, video, log)
    if ctrl.get('record_path'):
        extra_files.append(os.path.relpath(ctrl['record_path'], out) + '/')
    print(metrics.format_summary(summary, out))
    status, loop, sim_status = monitor.status, monitor.loop_status, monitor.sim_status
    if status:
        print(f'  ROS loop: {status.get("ticks")} ticks, receipt-to-command latency p50 '
              f'{loop.get("latency_p50_ms", "?")} ms p99 {loop.get("latency_p99_ms", "?")} ms '
              f'(last report), {status.get("overruns")} overruns, {status.get("bad_messages")} '
              f'bad messages, {status.get("watchdog_trips")} watchdog trips')
    if sim_status:
        print(f'  simulator: {sim_status.get("ticks_per_second")} ticks/s (last report), '
              f'{sim_status.get("command_timeouts")} command timeouts')
    if rig:
        print(f'  rig: {summary["end_stop_hits"]} end-stop hits; {braked_text(rig)}, the '
              f'longest brake '
              f'{rig["brake_time_max_s"]} s; homing median {rig["homing_time_median_s"]} s, '
              f'max {rig["homing_time_max_s"]} s; episodes started by the operator '
              f'{rig["started_by_operator"]}, by ~/start {rig["started_by_start"]}; the '
              f'largest command step {rig["largest_force_step"]} N per period')
    print(f'  {reason or failure}; outputs in {out}/: {rf.EPISODES_FILE}, {rf.SUMMARY_FILE}, '
          f'{rf.CURVE_FILE}, {rf.CHECKPOINT_FILE}, {rf.CONFIG_FILE}, {PARAMS_FILE}'
          + ''.join(f', {name}' for name in extra_files))
    if failure:
        return fail(PROG, failure, EXIT_FAILED)
    return 0


RIG_KEYS = ('failures', 'failures_braked', 'brake_time_max_s', 'homing_times',
            'homing_time_median_s', 'homing_time_max_s', 'started_by_operator',
            'started_by_start', 'continued_after_truncation', 'refused_starts',
            'largest_force_step')


def rig_summary(status):
    """The supervisor's counts from the controller's last status (numbers; None where none
    was measured), or {} when the supervisor is off."""
    if not status.get('supervisor'):
        return {}
    out = {}
    for key in RIG_KEYS:
        value = status.get(key, '')
        out[key] = None if value == '' else (float(value) if '.' in value or 'e' in value
                                             else int(value))
    # A run that ends right after a failure ends mid-brake: that failure is not yet braked.
    out['supervisor_at_end'] = status['supervisor']
    return out


def braked_text(rig):
    """'N of M failures braked', saying so when the last one was still braking at the end."""
    text = f'{rig["failures_braked"]} of {rig["failures"]} failures braked'
    if rig.get('supervisor_at_end') == 'BRAKING' and rig['failures_braked'] == \
            rig['failures'] - 1:
        text += ' (the last one still braking when the run ended)'
    return text


def _synapses(config, ctrl):
    from memsnn_controller.snn.network import Network

    net = Network(config, max(int(ctrl['seed']), 0))
    return net.n_in * net.n_post
