"""Learning-curve figures (matplotlib's Agg canvas: no display, no pyplot global state).

Curves show the trailing mean over up to 100 episodes (``metrics.running_means``: partial
windows over the first 99 episodes, drawn dashed), so a figure starts at episode 0; the metrics
themselves use full windows only (metrics.py). Reference lines: the random policy's mean
length on CartPole-v1 (~22 steps), 195 (CartPole-v0's bar) and 475 (CartPole-v1's bar).
"""

from collections.abc import Mapping, Sequence
import os
from typing import TYPE_CHECKING, Any
import warnings

import numpy as np
from numpy.typing import ArrayLike, NDArray

from memsnn_controller.experiments import metrics

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

RANDOM_POLICY_LENGTH = 22.0  # mean episode length of a uniformly random policy on CartPole-v1
# A run's (writes_per_synapse_per_episode, best_trailing100, first_475), as results.csv holds
# them: each a number or None (undefined).
Point = tuple[Any, Any, Any]
LEVEL_STYLE = {195: ('tab:orange', '195 (v0 bar)'), 475: ('tab:green', '475 (v1 solved)')}


def _figure(width: float = 8.0, height: float = 4.5) -> 'Figure':
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _reference_lines(ax: 'Axes') -> None:
    ax.axhline(RANDOM_POLICY_LENGTH, color='0.4', linestyle=':', linewidth=1,
               label=f'random policy (~{RANDOM_POLICY_LENGTH:.0f})')
    for level, (color, label) in LEVEL_STYLE.items():
        ax.axhline(level, color=color, linestyle='--', linewidth=1, label=label)


def _split_partial(x: NDArray[np.int64], y: NDArray[np.float64], window: int = metrics.WINDOW
                   ) -> tuple[tuple[NDArray[np.int64], NDArray[np.float64]],
                              tuple[NDArray[np.int64], NDArray[np.float64]]]:
    """(x, y) of the partial-window part (dashed) and of the full-window part (solid)."""
    cut = min(window - 1, len(x))
    return (x[:cut + 1], y[:cut + 1]), (x[cut:], y[cut:])


def plot_learning_curve(lengths: ArrayLike, path: str | os.PathLike[str],
                        title: str | None = None,
                        marks: Mapping[int, str] | None = None) -> None:
    """One run: episode lengths, the trailing-100 mean and the reference lines; ``marks``
    (episode -> label, e.g. the plant changes) draws a dotted vertical line before each."""
    lengths = np.asarray(lengths, dtype=np.float64)
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    for episode, label in (marks or {}).items():
        ax.axvline(episode - 0.5, color='tab:red', linestyle=':', linewidth=1.0)
        ax.text(episode, 510, label, color='tab:red', fontsize=7, rotation=90, va='top',
                ha='left')
    x = np.arange(lengths.size)
    if lengths.size:
        ax.plot(x, lengths, color='tab:blue', alpha=0.3, linewidth=0.8, label='episode length')
        mean = metrics.running_means(lengths)
        (xp, yp), (xf, yf) = _split_partial(x, mean)
        ax.plot(xp, yp, color='tab:blue', linewidth=1.5, linestyle='--')
        ax.plot(xf, yf, color='tab:blue', linewidth=2, label='trailing-100 mean')
    _reference_lines(ax)
    ax.set_xlabel('episode')
    ax.set_ylabel('steps')
    ax.set_ylim(0, 520)
    ax.set_xlim(0, max(lengths.size - 1, 1))
    ax.set_title(title or 'learning curve')
    ax.legend(loc='upper left', fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def band(curves: Sequence[NDArray[np.float64]]
         ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Median, 25th and 75th percentiles across runs at each episode (runs may differ in
    length: each episode uses the runs that reached it)."""
    n = max((len(c) for c in curves), default=0)
    stack = np.full((len(curves), n), np.nan)
    for i, c in enumerate(curves):
        stack[i, :len(c)] = c
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # an all-NaN column cannot happen
        q = np.nanpercentile(stack, [25, 50, 75], axis=0) if n else np.zeros((3, 0))
    return q[1], q[0], q[2]


def plot_learning_curves(groups: Mapping[str, Sequence[Sequence[float]]],
                         path: str | os.PathLike[str],
                         title: str | None = None) -> None:
    """A comparison: ``groups`` maps a label to the episode-length sequences of its runs; each
    label gets the median trailing-100 mean across its runs and the interquartile band."""
    fig = _figure(10.0, 5.5)
    ax = fig.add_subplot(1, 1, 1)
    colors = [f'C{i % 10}' for i in range(len(groups))]
    longest = 1
    for color, (label, runs) in zip(colors, groups.items()):
        curves = [metrics.running_means(r) for r in runs if len(r)]
        if not curves:
            continue
        median, low, high = band(curves)
        x = np.arange(median.size)
        longest = max(longest, median.size - 1)
        ax.fill_between(x, low, high, color=color, alpha=0.2, linewidth=0)
        (xp, yp), (xf, yf) = _split_partial(x, median)
        ax.plot(xp, yp, color=color, linewidth=1.2, linestyle='--')
        ax.plot(xf, yf, color=color, linewidth=1.8, label=f'{label} (n={len(curves)})')
    _reference_lines(ax)
    ax.set_xlabel('episode')
    ax.set_ylabel('trailing-100 mean length (median, IQR band)')
    ax.set_ylim(0, 520)
    ax.set_xlim(0, longest)
    ax.set_title(title or 'learning curves')
    ax.legend(loc='upper left', fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path)


def plot_writes_tradeoff(points: Mapping[str, Sequence[Point]],
                         path: str | os.PathLike[str], title: str | None = None) -> None:
    """Device writes against learning, one point per run. ``points`` maps a label to a list of
    (writes_per_synapse_per_episode, best_trailing100, first_475) triples (first_475 None when
    not solved). Left: the best trailing-100 mean; right: episodes to solve (solved runs only).
    The writes axis is logarithmic: dead zones change the write rate by orders of magnitude."""
    fig = _figure(11.0, 4.5)
    best_ax = fig.add_subplot(1, 2, 1)
    solve_ax = fig.add_subplot(1, 2, 2)
    drawn = solved_drawn = False
    for i, (label, triples) in enumerate(points.items()):
        triples = [t for t in triples if t[0] is not None and t[0] > 0 and t[1] is not None]
        if not triples:
            continue
        color = f'C{i % 10}'
        best_ax.scatter([t[0] for t in triples], [t[1] for t in triples], color=color, s=18,
                        label=label)
        solved = [t for t in triples if t[2] is not None]
        solve_ax.scatter([t[0] for t in solved], [t[2] + 1 for t in solved], color=color, s=18,
                         label=f'{label} ({len(solved)}/{len(triples)} solved)')
        drawn = True
        solved_drawn = solved_drawn or bool(solved)
    for level, (color, _label) in LEVEL_STYLE.items():
        best_ax.axhline(level, color=color, linestyle='--', linewidth=1)
    best_ax.set_ylabel('best trailing-100 mean length')
    best_ax.set_ylim(0, 520)
    solve_ax.set_ylabel('episodes to solve (trailing-100 >= 475)')
    solve_ax.set_ylim(bottom=0)
    # A log axis needs positive data: an empty panel keeps its linear axis and says why.
    for ax, has_data, empty in ((best_ax, drawn, 'no run has a best trailing-100 mean yet'),
                                (solve_ax, solved_drawn, 'no run has solved the task')):
        ax.set_xlabel('memristor writes per synapse per episode')
        if has_data:
            ax.set_xscale('log')
            ax.legend(loc='best', fontsize=7)
        else:
            ax.text(0.5, 0.5, empty, ha='center', va='center', transform=ax.transAxes,
                    fontsize=9)
    fig.suptitle(title or 'memristor writes against learning (one point per run)')
    fig.tight_layout()
    fig.savefig(path)
