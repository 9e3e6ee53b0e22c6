"""The controller's status report (``memsnn_controller: status`` on /diagnostics), built from
the node's own counters and the control loop by one pure function, testable without ROS.

Values (all sent as strings): the lifecycle state, the node's counters (watchdog trips, errors,
saves, checkpoint_path) and, once configured, the loop's and the agent's (phase, episodes,
trailing-100 mean, ticks, bad messages by reason, overruns, latency percentiles of the window
since the last periodic report, device writes, ...). A periodic report is WARN while the
watchdog is tripped or when bad messages, overruns, watchdog trips or errors were added since
the previous periodic report; a report made at a transition is OK and measures no latency.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class NodeCounters:
    """What the node counts itself (the loop counts the per-message events)."""

    watchdog_trips: int = 0
    watchdog_tripped: bool = False
    errors: int = 0
    saves: int = 0
    checkpoint_path: str = ''


@dataclass(frozen=True)
class StatusReport:
    """One status: ``warn`` (else OK), the one-line ``message``, the ``values`` and ``troubles``
    (bad messages, overruns, watchdog trips, errors; None without an agent), which the next
    periodic report compares with."""

    warn: bool
    message: str
    values: dict
    troubles: tuple | None


def status_report(state, loop, counters, latency=None, previous=None):
    """The status of a controller in lifecycle ``state`` with control loop ``loop`` (None when
    there is no agent).

    latency: (samples, p50 ms, p99 ms, max ms) taken from the loop for a periodic report, None
    for a report at a transition. previous: the ``troubles`` of the previous periodic report.
    """
    values = {'state': state, 'watchdog_trips': counters.watchdog_trips,
              'watchdog_tripped': counters.watchdog_tripped, 'errors': counters.errors,
              'saves': counters.saves, 'checkpoint_path': counters.checkpoint_path}
    if loop is None:
        return StatusReport(False, f'{state}: no agent', values, None)
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
        'bad_messages': loop.bad_messages,
        'last_bad': loop.last_bad,
        'overruns': loop.overruns,
        'latency_samples': samples,
        'latency_p50_ms': f'{p50:.4f}',
        'latency_p99_ms': f'{p99:.4f}',
        'latency_max_ms': f'{worst:.4f}',
        'timebase_resets': loop.timebase_resets,
        'total_writes': agent.total_writes,
        'synapses': agent.n_synapses,
        'writes_per_synapse': f'{agent.writes_per_synapse():.6g}',
        'control_period': f'{loop.settings.control_period:g}',
    })
    for code, count in sorted(loop.bad_by_reason.items()):
        values[f'bad_{code}'] = count
    troubles = (loop.bad_messages, loop.overruns, counters.watchdog_trips, counters.errors)
    warn = periodic and (counters.watchdog_tripped or troubles != previous)
    message = (f'{state}, {loop.phase}: {len(lengths)} episodes, last {values["last_length"]}, '
               f'trailing-100 {trailing:.1f}')
    if counters.watchdog_tripped:
        message += '; watchdog: no joint states'
    return StatusReport(warn, message, values, troubles)
