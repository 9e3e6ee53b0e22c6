"""A look inside a trained network: four figures that a run writes into its folder.

    tick_raster.png   every neuron's spikes in one control tick, step by step: the input boxes,
                      the left and right actor populations and the critic's V+ and V- halves
                      (recorded by the kernel: Agent.record_spikes)
    policy.png        what the actor learned: per box, the effective weight difference
                      mean_j(w_eff[i, right]) - mean_j(w_eff[i, left]) (> 0 pushes right), drawn
                      on the box grid as small multiples: one theta x theta_dot panel per
                      (x, x_dot) bin
    value.png         what the critic learned: V of each box, read out by running the network on
                      the box (learning off, on a copy), on the same grid
    wear.png          device writes per device (the endurance cost), w+ and w- of every synapse,
                      inputs x neurons, on a logarithmic colour scale

For an input layer other than the boxes alone (gaussian or grid segments) policy.png and
value.png show the same quantities per input index instead of on the box grid. Drawn on
matplotlib's Agg canvas (plots.py), from the agent alone: a checkpoint is enough
(``write_network_figures(Agent.from_checkpoint(path), folder)``).
"""

from collections.abc import Sequence
import copy
import os
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from memsnn_controller.experiments.plots import _figure
from memsnn_controller.snn import state as S
from memsnn_controller.snn.config import STATE_NAMES

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.image import AxesImage

    from memsnn_controller.snn.agent import Agent
    from memsnn_controller.snn.config import AgentConfig
    from memsnn_controller.snn.network import Network

PathLike = str | os.PathLike[str]

RASTER_FILE = 'tick_raster.png'
POLICY_FILE = 'policy.png'
VALUE_FILE = 'value.png'
WEAR_FILE = 'wear.png'
FIGURES = (RASTER_FILE, POLICY_FILE, VALUE_FILE, WEAR_FILE)
# The state of the raster's tick: the pole leaning right and falling right, the cart at rest
# (a trained actor pushes right here).
RASTER_STATE = (0.0, 0.0, 0.03, 0.3)
UNITS = {'x': 'm', 'x_dot': 'm/s', 'theta': 'rad', 'theta_dot': 'rad/s'}


def write_network_figures(agent: 'Agent', folder: PathLike, title: str = '') -> list[str]:
    """Write the four figures of ``agent`` into ``folder``; returns their paths."""
    paths = [os.path.join(folder, name) for name in FIGURES]
    plot_tick_raster(agent, paths[0], title=title)
    plot_policy(agent, paths[1], title=title)
    plot_value(agent, paths[2], title=title)
    plot_wear(agent, paths[3], title=title)
    return paths


# ---------------------------------------------------------------------------- quantities
def column_groups(network: 'Network') -> dict[str, slice]:
    """{label: columns} of the neuron layout [left | right | V+ | V-] (empty critic halves
    left out)."""
    a, c = network.n_actor, network.n_critic
    groups = {'actor left': slice(0, a), 'actor right': slice(a, 2 * a)}
    if c:
        groups.update({'critic V+': slice(2 * a, 2 * a + c), 'critic V-': slice(2 * a + c,
                                                                               2 * a + 2 * c)})
    return groups


def policy_per_input(network: 'Network') -> S.F64:
    """mean_j w_eff[i, right] - mean_j w_eff[i, left] for every input i."""
    w = network.synapses.w_eff
    a = network.n_actor
    return w[:, a:2 * a].mean(axis=1) - w[:, :a].mean(axis=1)


def tick_spikes(agent: 'Agent', observation: Sequence[float] = RASTER_STATE
                ) -> tuple[S.U8, S.U8, S.Record]:
    """(raster_pre, raster_post, output) of one tick of a copy of ``agent``'s network on
    ``observation``, learning off; the agent itself is untouched."""
    from memsnn_controller.snn.agent import KERNELS

    net = copy.deepcopy(agent.network)
    net.record_spikes(True)
    net.reset_state()
    run = net.bind(KERNELS[agent.kernel])
    net.obs[:] = observation
    net.command['phase'] = S.PHASE_STEP
    net.command['learn'] = False
    net.command['has_prev'] = False
    run()
    return net.scratch.raster_pre.copy(), net.scratch.raster_post.copy(), net.output.copy()


def values_per_input(agent: 'Agent', observations: ArrayLike) -> S.F64:
    """The critic's V read out for each observation (one tick each, learning off, on a copy)."""
    from memsnn_controller.snn.agent import KERNELS

    net = copy.deepcopy(agent.network)
    run = net.bind(KERNELS[agent.kernel])
    states = np.asarray(observations, dtype=np.float64).reshape(-1, 4)
    values = np.zeros(len(states))
    for k, obs in enumerate(states):
        net.reset_state()
        net.obs[:] = obs
        net.command['phase'] = S.PHASE_STEP
        net.command['learn'] = False
        net.command['has_prev'] = False
        run()
        values[k] = net.output['value']
    return values


def box_grid(config: 'AgentConfig') -> tuple[tuple[float, ...], ...] | None:
    """The box segment's edges per state variable when the input layer is the boxes alone,
    else None."""
    enc = config.encoder
    return enc.box_edges if tuple(enc.segments) == ('boxes',) else None


def bin_centres(edges: Sequence[float]) -> list[float]:
    """A representative value inside each of the len(edges) + 1 bins: midpoints inside, and
    half the nearest inner width (or 1) beyond the outer edges."""
    edges = list(edges)
    width = (edges[-1] - edges[0]) / max(len(edges) - 1, 1) if len(edges) > 1 else 1.0
    centres = [edges[0] - width / 2]
    centres += [(lo + hi) / 2 for lo, hi in zip(edges, edges[1:])]
    centres.append(edges[-1] + width / 2)
    return centres


def box_states(edges: Sequence[Sequence[float]]) -> S.F64:
    """One state per box, in the encoder's box order (x slowest, theta_dot fastest)."""
    grids = np.meshgrid(*(bin_centres(e) for e in edges), indexing='ij')
    return np.stack([g.reshape(-1) for g in grids], axis=1)


# ---------------------------------------------------------------------------- figures
def plot_tick_raster(agent: 'Agent', path: PathLike, observation: Sequence[float] = RASTER_STATE,
                     title: str = '') -> None:
    """Every input's and neuron's spikes in one tick on ``observation``."""
    pre, post, out = tick_spikes(agent, observation)
    net = agent.network
    steps = pre.shape[0]
    groups = {'inputs (boxes)' if box_grid(agent.config) else 'inputs': (pre, slice(0, net.n_in))}
    groups.update({label: (post, cols) for label, cols in column_groups(net).items()})
    fig = _figure(9.0, 7.0)
    # Small populations get rows tall enough to read.
    heights = [max(cols.stop - cols.start, 60) for _, cols in groups.values()]
    grid = fig.add_gridspec(len(groups), 1, height_ratios=heights, hspace=0.08)
    colors = ['0.2', 'tab:blue', 'tab:red', 'tab:green', 'tab:purple']
    axes: list[Axes] = []
    for k, ((label, (raster, cols)), color) in enumerate(zip(groups.items(), colors)):
        ax = fig.add_subplot(grid[k], sharex=axes[0] if axes else None)
        part = raster[:, cols]
        t, row = np.nonzero(part)
        ax.scatter(t, row, s=12, marker='|', color=color, linewidths=1.2)
        if k == 0:
            for i in sorted(set(row.tolist())):
                ax.annotate(f'input {i}', (steps - 0.5, i), fontsize=7, ha='right',
                            va='bottom', color=color)
        ax.set_xlim(-0.5, steps - 0.5)
        ax.set_ylim(-0.5, part.shape[1] - 0.5)
        ax.set_yticks([])
        ax.set_ylabel(f'{label}\n{int(part.sum())} spikes', rotation=0, ha='right', va='center',
                      fontsize=8)
        if k < len(groups) - 1:
            ax.tick_params(labelbottom=False)
        axes.append(ax)
    axes[-1].set_xlabel(f'neural step ({agent.config.neuron.dt_ms:g} ms each) within one control '
                        f'tick')
    state = ', '.join(f'{n} {v:+.2f}' for n, v in zip(STATE_NAMES, observation))
    action = 'right' if int(out['action']) == 1 else 'left'
    fig.suptitle(f'{title + ": " if title else ""}one tick at ({state}): push {action}, '
                 f'force {float(out["force"]):+.1f} N, V {float(out["value"]):+.2f}', fontsize=9)
    fig.subplots_adjust(left=0.2, right=0.97, top=0.94, bottom=0.08)
    fig.savefig(path)


def _grid_panels(fig: 'Figure', edges: Sequence[Sequence[float]], values: ArrayLike, cmap: str,
                 label: str, limit: float) -> None:
    """Small multiples of a per-box quantity: rows x bins, columns x_dot bins; each panel
    theta (horizontal) x theta_dot (vertical)."""
    shape = tuple(len(e) + 1 for e in edges)
    cube = np.asarray(values).reshape(shape)
    rows, cols = shape[0], shape[1]
    images: list[AxesImage] = []
    for r in range(rows):
        for c in range(cols):
            ax = fig.add_subplot(rows, cols, r * cols + c + 1)
            images.append(ax.imshow(cube[r, c].T, origin='lower', cmap=cmap, vmin=-limit,
                                    vmax=limit, aspect='auto'))
            ax.set_xticks(range(shape[2]))
            ax.set_yticks(range(shape[3]))
            ax.set_xticklabels(_bin_labels(edges[2], 'theta') if r == rows - 1 else [],
                               fontsize=6, rotation=60)
            ax.set_yticklabels(_bin_labels(edges[3], 'theta_dot') if c == 0 else [], fontsize=6)
            ax.set_title(f'x {_bin_labels(edges[0], "x")[r]} m, '
                         f'x_dot {_bin_labels(edges[1], "x_dot")[c]} m/s', fontsize=7)
            if r == rows - 1:
                ax.set_xlabel('theta (deg)', fontsize=7)
            if c == 0:
                ax.set_ylabel('theta_dot (deg/s)', fontsize=7)
    fig.subplots_adjust(left=0.1, right=0.8, top=0.9, bottom=0.12, hspace=0.3, wspace=0.12)
    fig.colorbar(images[-1], ax=fig.axes, shrink=0.8, label=label)


def _bin_labels(edges: Sequence[float], name: str) -> list[str]:
    scale = 180.0 / np.pi if name.startswith('theta') else 1.0
    e = [v * scale for v in edges]

    def fmt(v: float) -> str:
        return f'{v:.0f}' if scale != 1.0 else f'{v:g}'
    labels = [f'<{fmt(e[0])}']
    labels += [f'{fmt(lo)}..{fmt(hi)}' for lo, hi in zip(e, e[1:])]
    labels.append(f'>{fmt(e[-1])}')
    return labels


def _per_input(fig: 'Figure', values: ArrayLike, label: str) -> None:
    ax = fig.add_subplot(1, 1, 1)
    heights = np.asarray(values, dtype=np.float64)
    ax.bar(np.arange(heights.size), heights, color=np.where(heights >= 0, 'tab:red', 'tab:blue'))
    ax.set_xlabel('input')
    ax.set_ylabel(label)


def _limit(values: ArrayLike) -> float:
    top = float(np.max(np.abs(values))) if np.size(values) else 0.0
    return top if top > 0 else 1.0


def plot_policy(agent: 'Agent', path: PathLike, title: str = '') -> None:
    """The actor's effective weight difference right - left per box."""
    values = policy_per_input(agent.network)
    edges = box_grid(agent.config)
    fig = _figure(10.0, 8.0)
    label = 'mean w_eff right - left (> 0: push right)'
    if edges is not None:
        _grid_panels(fig, edges, values, 'coolwarm', label, _limit(values))
    else:
        _per_input(fig, values, label)
    fig.suptitle(f'{title + ": " if title else ""}learned policy per box (red pushes right, blue '
                 f'left)', fontsize=10)
    fig.savefig(path)


def plot_value(agent: 'Agent', path: PathLike, title: str = '') -> None:
    """The critic's value V of each box (one read-out tick per box, learning off)."""
    edges = box_grid(agent.config)
    fig = _figure(10.0, 8.0)
    if agent.network.n_critic == 0:
        ax = fig.add_subplot(1, 1, 1)
        ax.text(0.5, 0.5, 'no critic (critic.enabled = false)', ha='center', va='center',
                transform=ax.transAxes)
        ax.set_axis_off()
    elif edges is not None:
        values = values_per_input(agent, box_states(edges))
        _grid_panels(fig, edges, values, 'RdYlGn', 'V (critic read-out)', _limit(values))
    else:
        # One observation per input cannot be chosen in general: show the critic's weights.
        w = agent.network.synapses.w_eff
        groups = column_groups(agent.network)
        values = w[:, groups['critic V+']].mean(axis=1) - w[:, groups['critic V-']].mean(axis=1)
        _per_input(fig, values, 'mean w_eff V+ - V-')
    fig.suptitle(f'{title + ": " if title else ""}critic value per box', fontsize=10)
    fig.savefig(path)


def plot_wear(agent: 'Agent', path: PathLike, title: str = '') -> None:
    """Device writes per device (w+ and w- of every synapse), inputs x neurons, log scale."""
    from matplotlib.colors import LogNorm

    syn = agent.network.synapses
    fig = _figure(11.0, 4.8)
    top = max(int(syn.writes_pos.max()), int(syn.writes_neg.max()), 1)
    norm = LogNorm(vmin=1, vmax=max(top, 2))
    images: list[AxesImage] = []
    groups = column_groups(agent.network)
    for k, (name, writes) in enumerate((('w+ devices', syn.writes_pos),
                                        ('w- devices', syn.writes_neg))):
        ax = fig.add_subplot(1, 2, k + 1)
        shown = np.ma.masked_equal(writes.astype(float), 0.0)
        images.append(ax.imshow(shown, aspect='auto', cmap='magma', norm=norm,
                                interpolation='nearest'))
        for cols in list(groups.values())[1:]:
            ax.axvline(cols.start - 0.5, color='0.6', linewidth=0.6)
        ax.set_xlabel('neuron (' + ' | '.join(groups) + ')', fontsize=7)
        ax.set_ylabel('input')
        total = int(writes.sum())
        ax.set_title(f'{name}: {total} writes\nmax {int(writes.max())} per device, '
                     f'{int((writes > 0).sum())} of {writes.size} devices written', fontsize=8)
    fig.subplots_adjust(left=0.07, right=0.84, top=0.82, bottom=0.12, wspace=0.25)
    fig.colorbar(images[-1], ax=fig.axes, shrink=0.9, label='writes per device (white: none)')
    fig.suptitle(f'{title + ": " if title else ""}device wear', fontsize=10)
    fig.savefig(path)
