"""Learning-curve metrics of a sequence of episode lengths (pure functions, no I/O).

Conventions (used by every table and summary of this package):

- Episodes are indexed from 0, as in episodes.csv and ``EpisodeSummary.index``.
- The trailing-100 mean at episode k is the mean length of episodes k-99 .. k, a FULL window of
  100 consecutive episodes. It is defined only for k >= 99 (None / NaN before), so no metric is
  ever judged on fewer than 100 episodes (gymnasium's "solved" rule: mean length >= 475 over 100
  consecutive episodes; 195 for CartPole-v0).
- ``first_reaching(lengths, 475)`` is the smallest k whose trailing-100 mean is >= 475: the
  task counts as solved after episode k, i.e. after k + 1 episodes. None if it never is.
- ``min_after(lengths, 475)`` is the lowest trailing-100 mean at or after that episode: the bar
  "never falls below 400 after first reaching 475" holds when it is >= 400.
- ``running_means`` (partial windows: the mean of the last min(k + 1, 100) episodes) is for
  progress displays and plots only, never for metrics.

Comparisons with a level are made on integer window sums (sum >= level * window), so a mean of
exactly 475 counts as reaching 475 without floating-point doubt.
"""

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from memsnn_controller.snn import energy as energy_estimate
from memsnn_controller.snn.energy import EnergySummary

WINDOW = 100
LEVELS = (195, 475)
# The summary's keys, in the order of tables and CSV columns.
SUMMARY_KEYS = ('episodes', 'first_195', 'first_475', 'best_trailing100', 'final_trailing100',
                'min_after_475', 'env_steps', 'writes_per_synapse',
                'writes_per_synapse_per_episode', 'device_writes_max', 'device_writes_p99',
                'failed_devices', 'end_stop_hits', 'wall_s') + energy_estimate.SUMMARY_KEYS


class Summary(EnergySummary):
    """The summary of a run (``summarize``; summary.json): SUMMARY_KEYS, None where undefined;
    the energy fields (EnergySummary) are None where the run does not know them."""

    episodes: int
    first_195: int | None
    first_475: int | None
    best_trailing100: float | None
    final_trailing100: float | None
    min_after_475: float | None
    env_steps: int
    writes_per_synapse: float
    writes_per_synapse_per_episode: float | None
    device_writes_max: int | None
    device_writes_p99: float | None
    failed_devices: int | None
    end_stop_hits: int
    wall_s: float


def _lengths(lengths: ArrayLike) -> NDArray[np.int64]:
    a = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if a.size and a.min() < 0:
        raise ValueError('episode lengths must be >= 0')
    return a


def _window_sums(lengths: ArrayLike, window: int) -> NDArray[np.int64]:
    """Sums of every full window: element j is the sum of episodes j .. j + window - 1."""
    if window < 1:
        raise ValueError(f'window must be >= 1, got {window}')
    a = _lengths(lengths)
    if a.size < window:
        return np.zeros(0, dtype=np.int64)
    c = np.concatenate(([0], np.cumsum(a)))
    return c[window:] - c[:-window]


def trailing_means(lengths: ArrayLike, window: int = WINDOW) -> NDArray[np.float64]:
    """Full-window trailing means, one per episode: NaN for k < window - 1."""
    a = _lengths(lengths)
    out = np.full(a.size, np.nan)
    sums = _window_sums(a, window)
    out[window - 1:] = sums / window
    return out


def running_means(lengths: ArrayLike, window: int = WINDOW) -> NDArray[np.float64]:
    """Mean of the last min(k + 1, window) episodes at each episode k (for displays only)."""
    a = _lengths(lengths).astype(np.float64)
    if a.size == 0:
        return a
    c = np.concatenate(([0.0], np.cumsum(a)))
    k = np.arange(1, a.size + 1)
    start = np.maximum(k - window, 0)
    return (c[k] - c[start]) / (k - start)


def first_reaching(lengths: ArrayLike, level: float, window: int = WINDOW) -> int | None:
    """The first episode index k whose full trailing mean is >= ``level``; None if none is."""
    sums = _window_sums(lengths, window)
    hits = np.flatnonzero(sums >= level * window)
    return int(hits[0]) + window - 1 if hits.size else None


def best_trailing(lengths: ArrayLike, window: int = WINDOW) -> float | None:
    """The highest full trailing mean; None with fewer than ``window`` episodes."""
    sums = _window_sums(lengths, window)
    return float(sums.max()) / window if sums.size else None


def final_trailing(lengths: ArrayLike, window: int = WINDOW) -> float | None:
    """The trailing mean of the last ``window`` episodes; None with fewer than ``window``."""
    sums = _window_sums(lengths, window)
    return float(sums[-1]) / window if sums.size else None


def min_after(lengths: ArrayLike, level: float, window: int = WINDOW) -> float | None:
    """The lowest full trailing mean from the first episode reaching ``level`` on; None if the
    level is never reached."""
    first = first_reaching(lengths, level, window)
    if first is None:
        return None
    sums = _window_sums(lengths, window)
    return float(sums[first - window + 1:].min()) / window


def summarize(lengths: ArrayLike, total_writes: int = 0, n_synapses: int = 1,
              wall_s: float = 0.0, energy: 'EnergySummary | None' = None,
              device_writes: ArrayLike | None = None,
              failed_devices: int | None = None, end_stop_hits: int = 0) -> Summary:
    """The summary dict of a run (keys ``SUMMARY_KEYS``; None where a metric is undefined).

    ``writes_per_synapse`` counts device writes per synapse over the whole run (both devices of a
    differential pair, as Agent.writes_per_synapse); ``..._per_episode`` divides it by the number
    of episodes. ``device_writes``: the write count of every device (Agent.device_writes), whose
    maximum and 99th percentile say how unevenly the wear falls (None: not known).
    ``failed_devices``: devices past their endurance at the end (Agent.failed_devices; 0
    without device.endurance, None: not known). ``end_stop_hits``: the cart's hits of an
    end stop in the run (0 without end stops). ``energy``:
    snn.energy.summary of the run (the energy estimate per tick and per
    episode, the measured tick time); None where it is not known.
    """
    a = _lengths(lengths)
    if n_synapses <= 0:
        raise ValueError(f'n_synapses must be > 0, got {n_synapses}')
    per_synapse = float(total_writes) / n_synapses
    e: EnergySummary = energy or {}
    wear_max, wear_p99 = device_wear(device_writes)
    return {
        'episodes': int(a.size),
        'first_195': first_reaching(a, 195),
        'first_475': first_reaching(a, 475),
        'best_trailing100': best_trailing(a),
        'final_trailing100': final_trailing(a),
        'min_after_475': min_after(a, 475),
        'env_steps': int(a.sum()),
        'writes_per_synapse': per_synapse,
        'writes_per_synapse_per_episode': per_synapse / a.size if a.size else None,
        'device_writes_max': wear_max,
        'device_writes_p99': wear_p99,
        'failed_devices': None if failed_devices is None else int(failed_devices),
        'end_stop_hits': int(end_stop_hits),
        'wall_s': float(wall_s),
        'energy_estimate_nj_per_tick': e.get('energy_estimate_nj_per_tick'),
        'energy_estimate_read_nj_per_tick': e.get('energy_estimate_read_nj_per_tick'),
        'energy_estimate_write_nj_per_tick': e.get('energy_estimate_write_nj_per_tick'),
        'energy_estimate_neuron_nj_per_tick': e.get('energy_estimate_neuron_nj_per_tick'),
        'energy_estimate_digital_nj_per_tick': e.get('energy_estimate_digital_nj_per_tick'),
        'energy_estimate_uj_per_episode': e.get('energy_estimate_uj_per_episode'),
        'tick_us': e.get('tick_us'),
    }


def device_wear(device_writes: ArrayLike | None) -> tuple[int | None, float | None]:
    """(max, 99th percentile) of the writes per device; (None, None) when not known or empty."""
    if device_writes is None:
        return None, None
    counts = np.asarray(device_writes, dtype=np.int64).ravel()
    if counts.size == 0:
        return None, None
    return int(counts.max()), float(np.percentile(counts, 99))


def format_summary(summary: Summary, out: str) -> str:
    """The summary of the run in folder ``out`` as four lines of text (memsnn-train and
    memsnn-bringup print it)."""

    def show(value: float | None, digits: int | None = 1) -> str:
        if value is None:
            return 'never' if digits is None else 'n/a'
        return f'{value:.{digits}f}' if isinstance(value, float) else str(value)

    return (f'{out}: {summary["episodes"]} episodes, {summary["env_steps"]} steps, '
            f'{summary["wall_s"]:.1f} s\n'
            f'  first trailing-100 >= 195 at episode {show(summary["first_195"], None)}, '
            f'>= 475 at {show(summary["first_475"], None)}\n'
            f'  trailing-100 best {show(summary["best_trailing100"])}, final '
            f'{show(summary["final_trailing100"])}, min after 475 '
            f'{show(summary["min_after_475"])}\n'
            f'  writes per synapse {summary["writes_per_synapse"]:.4g} '
            f'({show(summary["writes_per_synapse_per_episode"], 4)} per episode)'
            + _wear_text(summary)
            + _energy_line(summary))


def _wear_text(summary: Summary) -> str:
    top, p99 = summary.get('device_writes_max'), summary.get('device_writes_p99')
    failed = summary.get('failed_devices')
    text = ''
    if top is not None and p99 is not None:
        text = f', per device max {top}, 99th percentile {p99:.4g}'
    return text + (f', {failed} devices failed' if failed else '')


def _energy_line(summary: Summary) -> str:
    total = summary.get('energy_estimate_nj_per_tick')
    tick_us = summary.get('tick_us')
    if total is None:
        return ''
    return (f'\n  energy ESTIMATE per tick {total:.4g} nJ (read '
            f'{summary["energy_estimate_read_nj_per_tick"]:.3g}, write '
            f'{summary["energy_estimate_write_nj_per_tick"]:.3g}, neurons '
            f'{summary["energy_estimate_neuron_nj_per_tick"]:.3g}; the same counts on Loihi '
            f'{summary["energy_estimate_digital_nj_per_tick"]:.4g})'
            + ('' if tick_us is None else f', measured tick {tick_us:.1f} us on this CPU'))



def is_missing(value: Any) -> bool:
    """True for None, '' and NaN (how a missing metric may come back from JSON or CSV)."""
    if value is None or value == '':
        return True
    return isinstance(value, float) and math.isnan(value)
