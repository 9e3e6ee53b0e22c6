"""The controller's status report (``memsnn_controller: status`` on /diagnostics), built from
the node's own counters and the control loop by one pure function, testable without ROS.

Values (all sent as strings): the lifecycle state, the watchdog, the node's counters (errors,
the fault, saves, checkpoint_path) and, once configured, the loop's and the agent's (phase,
episodes, trailing-100 mean, ticks, bad messages by reason, ignored and merged messages,
states with estimated velocities and states that waited for an estimate, overruns, latency
percentiles of the window since the last periodic report, device writes, the energy
estimate per tick and per episode with the measured tick time (snn/energy.py), the safety
layer's changed actions and the transitions not learned from because of them, and with the
supervisor on its state and counts (``supervisor_values``), ...).

Levels, as diagnostic_msgs/DiagnosticStatus means them:

- ERROR: the agent faulted (an exception or a non-finite force in the loop); the node stopped
  commanding and saves nothing from that agent; it stays ERROR until cleanup drops the agent.
- STALE: active, but no joint state with an advancing stamp has arrived since activation.
- WARN: the watchdog is tripped (silence or a stuck stamp), or a periodic report finds new bad
  messages, overruns, watchdog trips or errors since the previous periodic report.
- OK otherwise (also while inactive or unconfigured).
"""

from dataclasses import dataclass
import statistics

from memsnn_controller.snn import energy

# diagnostic_msgs/DiagnosticStatus levels (the node sends them as bytes).
OK, WARN, ERROR, STALE = 0, 1, 2, 3


@dataclass(frozen=True)
class NodeCounters:
    """What the node counts itself (the loop counts the per-message events)."""

    errors: int = 0
    fault: str = ''
    saves: int = 0
    checkpoint_path: str = ''


@dataclass(frozen=True)
class StatusReport:
    """One status: its ``level`` (OK, WARN, ERROR or STALE), the one-line ``message``, the
    ``values`` and ``troubles`` (bad messages, overruns, watchdog trips, errors; None without an
    agent), which the next periodic report compares with."""

    level: int
    message: str
    values: dict
    troubles: tuple | None


def status_report(state, loop, counters, latency=None, previous=None):
    """The status of a controller in lifecycle ``state`` with control loop ``loop`` (None when
    there is no agent).

    latency: (samples, p50 ms, p99 ms, max ms) taken from the loop for a periodic report, None
    for a report at a transition. previous: the ``troubles`` of the previous periodic report.
    """
    tripped = loop is not None and loop.watchdog_tripped
    values = {'state': state, 'watchdog_trips': loop.watchdog_trips if loop else 0,
              'watchdog_tripped': tripped, 'errors': counters.errors, 'fault': counters.fault,
              'saves': counters.saves, 'checkpoint_path': counters.checkpoint_path}
    if loop is None:
        if counters.fault:
            return StatusReport(ERROR, f'{state}: no agent; fault: {counters.fault}', values,
                                None)
        return StatusReport(OK, f'{state}: no agent', values, None)
    periodic = latency is not None
    samples, p50, p99, worst = latency if periodic else (0, 0.0, 0.0, 0.0)
    agent = loop.agent
    lengths = agent.episode_lengths
    trailing = agent.trailing_mean(100)
    values.update({
        'phase': loop.phase,
        'learning': agent.learning,
        'episodes': len(lengths),
        'last_length': lengths[-1] if lengths else 0,
        'trailing100_mean': f'{trailing:.2f}',
        'episode_steps': loop.episode_steps,
        'steps': agent.total_steps,
        'messages': loop.messages,
        'ticks': loop.ticks,
        'skipped': loop.skipped,
        'duplicates': loop.duplicates,
        'stale_messages': loop.stale_messages,
        'bad_messages': loop.bad_messages,
        'last_bad': loop.last_bad,
        'ignored_messages': loop.ignored_messages,
        'last_ignored': loop.last_ignored,
        'merged_states': loop.merged_states,
        'overruns': loop.overruns,
        'latency_samples': samples,
        'latency_p50_ms': f'{p50:.4f}',
        'latency_p99_ms': f'{p99:.4f}',
        'latency_max_ms': f'{worst:.4f}',
        'timebase_resets': loop.timebase_resets,
        'total_writes': agent.total_writes,
        'synapses': agent.n_synapses,
        'writes_per_synapse': f'{agent.writes_per_synapse():.6g}',
        'failed_devices': agent.failed_devices(),
        'control_period': f'{loop.settings.control_period:g}',
        'velocity_estimation': loop.settings.velocity_estimation,
        'estimated_states': loop.estimated_states,
        'estimator_waits': loop.estimator_waits,
        'estimator_restarts': loop.estimator_restarts,
        'command_unit': loop.settings.command_unit,
        'safety_changed': loop.safety.limited,
        'soft_limit_brakes': loop.safety.braked_ticks,
        'largest_force_step': f'{loop.safety.largest_step:.6g}',
        'excluded_transitions': loop.excluded,
    })
    if loop.supervisor is not None:
        values.update(supervisor_values(loop.supervisor))
    # The run's energy ESTIMATE per tick and per episode so far, beside the measured tick time.
    values.update(energy.diagnostic_values(agent.activity, len(lengths), agent.network.n_post,
                                           agent.config))
    for code, count in sorted(loop.bad_by_reason.items()):
        values[f'bad_{code}'] = count
    troubles = (loop.bad_messages, loop.overruns, loop.watchdog_trips, counters.errors)
    phase = loop.phase if loop.supervisor is None else loop.supervisor.state
    message = (f'{state}, {phase}: {len(lengths)} episodes, last {values["last_length"]}, '
               f'trailing-100 {trailing:.1f}')
    if counters.fault:
        level = ERROR
        message += f'; fault: {counters.fault}'
    elif state == 'active' and not loop.receiving:
        level = STALE
        message += '; no joint state received since activation'
    elif tripped:
        level = WARN
        message += '; watchdog: no fresh joint states'
    else:
        level = WARN if periodic and troubles != previous else OK
    return StatusReport(level, message, values, troubles)


def episode_energy(summary, agent):
    """The energy estimate of one finished episode (an EpisodeSummary of ``agent``'s), as the
    episode report's values."""
    return energy.diagnostic_values(summary.activity, 1, agent.network.n_post, agent.config)


def supervisor_values(supervisor):
    """The episode supervisor's state and counts (control/supervisor.py), as status values:
    ``supervisor`` (its state), failures, failures_braked, brake_time_max_s, homing_times,
    homing_time_median_s, homing_time_max_s, started_by_operator, started_by_start,
    continued_after_truncation, refused_starts."""
    stats = supervisor.stats
    homing = stats.homing_times
    return {
        'supervisor': supervisor.state,
        'failures': stats.failures,
        'failures_braked': stats.braked,
        'brake_time_max_s': f'{max(stats.brake_times):.3f}' if stats.brake_times else '',
        'homing_times': len(homing),
        'homing_time_median_s': f'{statistics.median(homing):.3f}' if homing else '',
        'homing_time_max_s': f'{max(homing):.3f}' if homing else '',
        'started_by_operator': stats.started_by_operator,
        'started_by_start': stats.started_by_start,
        'continued_after_truncation': stats.continued,
        'refused_starts': stats.refused_starts,
    }
