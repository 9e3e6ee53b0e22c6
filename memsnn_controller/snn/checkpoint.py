"""Checkpoints: the full learning state in one .npz file, no pickle, written atomically.

Contents: every state array of the network (conductances of both devices, traces, write
counters, neuron and input state, the random stream's [key, counter]), the agent's episode
history and counters, and ``meta``: a JSON string with the format version, the package version,
the seed and the whole AgentConfig. Writing goes to a temporary file in the same folder, is
fsynced, then renamed over the target (and the folder fsynced), so a crash leaves either the old
or the new checkpoint, never a torn one. Loading checks everything before anything is changed;
a corrupt, truncated or mismatched file raises CheckpointError saying what is wrong. The effective
weights are recomputed from the devices on loading; the stored plane is not trusted.
"""

import json
import os
import zipfile

import numpy as np

from memsnn_controller import __version__
from memsnn_controller.common.atomic import atomic_file
from memsnn_controller.snn import layout as L
from memsnn_controller.snn.config import AgentConfig, ConfigError
from memsnn_controller.snn.network import STATE_ARRAYS, Network

FORMAT_VERSION = 1
AGENT_ARRAYS = ('episode_lengths', 'counters', 'scalars')


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written or used; the message says why."""


class Snapshot:
    """A copy of an agent's learning state that can be written later, e.g. on another thread
    while the agent keeps learning (``agent.snapshot()``; copying takes about a millisecond)."""

    def __init__(self, config, seed, arrays):
        self.config = config
        self.seed = int(seed)
        self.arrays = arrays

    def save(self, path):
        """Write the snapshot to ``path`` atomically (see ``write_checkpoint``)."""
        write_checkpoint(path, self.config, self.seed, self.arrays)


def save_checkpoint(agent, path):
    """Write ``agent``'s learning state to ``path`` atomically."""
    write_checkpoint(path, agent.config, agent.seed, agent.export_state())


def write_checkpoint(path, config, seed, arrays):
    """Write a checkpoint of (config, seed, state arrays) to ``path`` atomically."""
    meta = {'format_version': FORMAT_VERSION, 'package_version': __version__,
            'seed': int(seed), 'config': config.to_dict()}
    arrays = dict(arrays, meta=np.array(json.dumps(meta, sort_keys=True)))
    with atomic_file(path, 'wb') as f:
        np.savez(f, **arrays)


def load_checkpoint(path):
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
    if version != FORMAT_VERSION:
        raise CheckpointError(f'{path}: checkpoint format version {version!r}, this package '
                              f'reads version {FORMAT_VERSION}')
    try:
        config = AgentConfig.from_dict(meta['config'])
        seed = int(meta['seed'])
    except (ConfigError, KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f'{path}: invalid configuration in checkpoint: {exc}') from None
    missing = [name for name in STATE_ARRAYS + AGENT_ARRAYS if name not in arrays]
    if missing:
        raise CheckpointError(f'{path}: missing arrays: {", ".join(missing)}')
    _check_shapes(path, config, seed, arrays)
    return config, seed, arrays


def _check_shapes(path, config, seed, arrays):
    template = Network(config, seed)
    for name in STATE_ARRAYS:
        expected = getattr(template, name)
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
    devices = arrays['syn'][[L.W_POS, L.W_NEG]]
    if devices.min() < 0.0 or devices.max() > 1.0:
        raise CheckpointError(f'{path}: device conductances outside [0, 1]')
    if arrays['syn'][[L.SCALE_POS, L.SCALE_NEG]].min() <= 0.0:
        raise CheckpointError(f'{path}: device-to-device window factors must be > 0')


def restore_checkpoint(agent, path):
    """Load ``path`` into ``agent`` if, and only if, it is valid and made for the same config."""
    config, _seed, arrays = load_checkpoint(path)
    if config != agent.config:
        mine, theirs = agent.config.to_dict(), config.to_dict()
        diff = sorted(_differences(mine, theirs))
        raise CheckpointError(f'{path}: made for a different configuration (differs in: '
                              f'{", ".join(diff) or "unknown fields"}); load it with '
                              f'Agent.from_checkpoint or use the same configuration')
    agent.import_state(arrays)


def _differences(a, b, prefix=''):
    for key in set(a) | set(b):
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            yield from _differences(va, vb, f'{prefix}{key}.')
        elif va != vb:
            yield f'{prefix}{key}'
