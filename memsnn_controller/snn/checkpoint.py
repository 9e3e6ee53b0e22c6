"""Checkpoints: the full learning state in one .npz file, no pickle, written atomically.

Contents: every state array of the network under its name in state.py ('synapses.w_pos',
'neurons.v', 'inputs.live', 'carry.time', ..., and 'rng', the random stream's [key, counter]),
the agent's episode history and counters, and ``meta``: a JSON string with the format version,
the package version, the seed and the whole AgentConfig. Writing goes to a temporary file in the
same folder, is fsynced, then renamed over the target (and the folder fsynced), so a crash leaves
either the old or the new checkpoint, never a torn one. The checkpoint it replaces is kept as
``PATH.bak``, and a state holding a non-finite value is refused (CheckpointError) before anything
is written, so no single write can lose the last good state. Loading checks everything before
anything is changed; a corrupt, truncated or mismatched file raises CheckpointError saying what
is wrong, and so do indices (live rows, spike-ring slots, neuron groups) that would point outside
their arrays. The effective weights are recomputed from the devices on loading; the stored plane
is not trusted.

Format versions: 1 stored the state as index-addressed stacks ('syn', 'npar', 'ist', ...);
2 stores it by name; 3 adds the devices' lifetimes ('synapses.life_pos', 'synapses.life_neg',
device.endurance) and each input row's retention clock ('inputs.relaxed_at'). A version 2 file
is read: its configuration predates the wear and time fields, which take their defaults (off),
so the arrays version 3 added are the ones its configuration and seed build (unlimited
lifetimes, retention clocks at 0). A file of another version is refused with a message saying
so.
"""

from collections.abc import Iterator, Mapping
import json
import os
from typing import TYPE_CHECKING, Any
import zipfile

import numpy as np
from numpy.typing import NDArray

from memsnn_controller import __version__
from memsnn_controller.common.atomic import atomic_file
from memsnn_controller.snn import state as S
from memsnn_controller.snn.config import AgentConfig, ConfigError
from memsnn_controller.snn.network import Network

if TYPE_CHECKING:
    from memsnn_controller.snn.agent import Agent

FORMAT_VERSION = 3
# Older versions read by upgrading their arrays (_upgrade).
READABLE_VERSIONS = (2, FORMAT_VERSION)
# The arrays of a checkpoint by name (Network.state_arrays plus AGENT_ARRAYS).
Arrays = dict[str, NDArray[Any]]
PathLike = str | os.PathLike[str]
AGENT_ARRAYS = ('episode_lengths', 'counters', 'scalars')


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written or used; the message says why."""


class Snapshot:
    """A copy of an agent's learning state that can be written later, e.g. on another thread
    while the agent keeps learning (``agent.snapshot()``; copying takes about a millisecond)."""

    def __init__(self, config: AgentConfig, seed: int, arrays: Arrays) -> None:
        self.config = config
        self.seed = int(seed)
        self.arrays = arrays

    def save(self, path: PathLike) -> None:
        """Write the snapshot to ``path`` atomically (see ``write_checkpoint``)."""
        write_checkpoint(path, self.config, self.seed, self.arrays)


def save_checkpoint(agent: 'Agent', path: PathLike) -> None:
    """Write ``agent``'s learning state to ``path`` atomically."""
    write_checkpoint(path, agent.config, agent.seed, agent.export_state())


def write_checkpoint(path: PathLike, config: AgentConfig, seed: int,
                     arrays: Mapping[str, NDArray[Any]]) -> None:
    """Write a checkpoint of (config, seed, state arrays) to ``path`` atomically, keeping the
    one it replaces as ``path + '.bak'``; CheckpointError (nothing written) for a non-finite
    state."""
    require_finite(path, arrays)
    meta = {'format_version': FORMAT_VERSION, 'package_version': __version__,
            'seed': int(seed), 'config': config.to_dict()}
    arrays = dict(arrays, meta=np.array(json.dumps(meta, sort_keys=True)))
    with atomic_file(path, 'wb', backup=True) as f:
        # numpy's stub would take an array named 'allow_pickle' for the keyword; none is.
        np.savez(f, **arrays)  # type: ignore[arg-type]


def require_finite(path: PathLike, arrays: Mapping[str, NDArray[Any]]) -> None:
    """CheckpointError naming the first float array of ``arrays`` that holds a NaN or inf."""
    for name, array in arrays.items():
        array = np.asarray(array)
        if array.dtype.kind in 'fc' and not np.all(np.isfinite(array)):
            raise CheckpointError(f'{os.fspath(path)}: not saved: the state array {name!r} '
                                  f'holds non-finite values (a broken learning state)')


def load_checkpoint(path: PathLike) -> tuple[AgentConfig, int, Arrays]:
    """Read and validate a checkpoint; returns (config, seed, state arrays)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise CheckpointError(f'{path}: no such checkpoint file')
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise CheckpointError(f'{path}: not a readable checkpoint (corrupt or truncated '
                              f'.npz): {exc}') from None
    if 'meta' not in arrays:
        raise CheckpointError(f'{path}: no "meta" entry; not a memsnn_controller checkpoint')
    try:
        meta = json.loads(str(arrays.pop('meta')))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f'{path}: unreadable meta data: {exc}') from None
    version = meta.get('format_version')
    if version not in READABLE_VERSIONS:
        readable = ' and '.join(str(v) for v in READABLE_VERSIONS)
        raise CheckpointError(f'{path}: checkpoint format version {version!r} (written by '
                              f'memsnn_controller {meta.get("package_version", "unknown")}), this '
                              f'package reads versions {readable}; load it with the version '
                              f'that wrote it')
    try:
        config = AgentConfig.from_dict(meta['config'])
        seed = int(meta['seed'])
    except (ConfigError, KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f'{path}: invalid configuration in checkpoint: {exc}') from None
    template = Network(config, seed)
    expected = template.state_arrays()
    if version == 2:
        _upgrade(arrays, expected)
    missing = [name for name in tuple(expected) + AGENT_ARRAYS if name not in arrays]
    if missing:
        raise CheckpointError(f'{path}: missing arrays: {", ".join(missing)}')
    _check_shapes(path, expected, arrays)
    _check_values(path, template, arrays)
    return config, seed, arrays


def _upgrade(arrays: Arrays, template_arrays: Mapping[str, NDArray[Any]]) -> None:
    """Version 2 -> 3: the arrays version 3 added, as the checkpoint's configuration and seed
    build them. A version 2 configuration has no endurance and no retention, so the lifetimes
    are NEVER_FAILS and the retention clocks stay at 0 (never read without retention)."""
    for name in ('synapses.life_pos', 'synapses.life_neg', 'inputs.relaxed_at'):
        arrays.setdefault(name, template_arrays[name].copy())


def _check_shapes(path: str, template_arrays: Mapping[str, NDArray[Any]], arrays: Arrays) -> None:
    for name, expected in template_arrays.items():
        got = arrays[name]
        if got.shape != expected.shape or got.dtype != expected.dtype:
            raise CheckpointError(f'{path}: array {name!r} has shape {got.shape} and dtype '
                                  f'{got.dtype}, the configuration needs {expected.shape} '
                                  f'{expected.dtype}')
        if got.dtype.kind == 'f' and not np.all(np.isfinite(got)):
            raise CheckpointError(f'{path}: array {name!r} holds non-finite values')
    shapes = {'counters': (2,), 'scalars': (3,)}
    for name, shape in shapes.items():
        if arrays[name].shape != shape:
            raise CheckpointError(f'{path}: array {name!r} has shape {arrays[name].shape}, '
                                  f'expected {shape}')
    if arrays['episode_lengths'].ndim != 1:
        raise CheckpointError(f'{path}: array "episode_lengths" must be one-dimensional')


def _check_values(path: str, template: Network, arrays: Arrays) -> None:
    for name in ('synapses.w_pos', 'synapses.w_neg'):
        if arrays[name].min() < 0.0 or arrays[name].max() > 1.0:
            raise CheckpointError(f'{path}: device conductances outside [0, 1] ({name})')
    for name in ('synapses.life_pos', 'synapses.life_neg'):
        if arrays[name].size and arrays[name].min() < 1:
            raise CheckpointError(f'{path}: device lifetimes must be >= 1 write ({name})')
    for name in ('synapses.scale_pos', 'synapses.scale_neg'):
        if arrays[name].min() <= 0.0:
            raise CheckpointError(f'{path}: device-to-device window factors must be > 0 '
                                  f'({name})')
    # The compiled tick does not check bounds: an index must not point outside its array.
    n_live = int(arrays['carry.n_live'])
    history = template.inputs.ring.times.shape[1]
    limits = {'carry.n_live': (n_live, 0, template.n_in),
              'inputs.live': (arrays['inputs.live'][:max(n_live, 0)], 0, template.n_in - 1),
              'neurons.group': (arrays['neurons.group'], S.GROUP_LEFT, S.GROUP_V_NEG)}
    for ring in ('inputs.ring', 'neurons.ring'):
        limits[f'{ring}.head'] = (arrays[f'{ring}.head'], 0, history - 1)
        limits[f'{ring}.fill'] = (arrays[f'{ring}.fill'], 0, history)
    for name, (values, low, high) in limits.items():
        values = np.asarray(values)
        if values.size and (values.min() < low or values.max() > high):
            raise CheckpointError(f'{path}: array {name!r} holds indices outside [{low}, '
                                  f'{high}]')


def restore_checkpoint(agent: 'Agent', path: PathLike) -> None:
    """Load ``path`` into ``agent`` if, and only if, it is valid and made for the same config."""
    config, _seed, arrays = load_checkpoint(path)
    if config != agent.config:
        mine, theirs = agent.config.to_dict(), config.to_dict()
        diff = sorted(_differences(mine, theirs))
        task = _task_mismatch(config, agent.config)
        raise CheckpointError(f'{path}: made for a different configuration ({task}differs in: '
                              f'{", ".join(diff) or "unknown fields"}); load it with '
                              f'Agent.from_checkpoint or use the same configuration')
    agent.import_state(arrays)


def _task_mismatch(made: 'AgentConfig', wanted: 'AgentConfig') -> str:
    """'trained for ..., this agent is for ...; ' when the plant's scale or the rate differ
    (control period, failure bounds, compensated delay), else ''."""
    def describe(config: 'AgentConfig') -> str:
        task = config.task
        text = (f'{1.0 / config.control_period:g} Hz, x_threshold {task.x_threshold:g} m, '
                f'theta_threshold {task.theta_threshold:.4g} rad')
        return text + (f', delay {task.delay:g} s' if task.delay else '')
    if (made.control_period, made.task) == (wanted.control_period, wanted.task):
        return ''
    return f'trained for {describe(made)}, this agent is for {describe(wanted)}; '


def _differences(a: Mapping[str, Any], b: Mapping[str, Any], prefix: str = '') -> Iterator[str]:
    for key in set(a) | set(b):
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            yield from _differences(va, vb, f'{prefix}{key}.')
        elif va != vb:
            yield f'{prefix}{key}'
