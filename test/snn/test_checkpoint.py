"""Checkpoints: round trip, atomic writes, and every kind of bad file leaves the agent as it was."""

import json
import os
import zipfile

import numpy as np
import pytest

from memsnn_controller.snn.agent import Agent
from memsnn_controller.snn.checkpoint import CheckpointError, load_checkpoint
from memsnn_controller.snn.config import AgentConfig

SMALL = AgentConfig().with_overrides(['actor.neurons_per_side=5', 'critic.neurons_per_half=10'])


def _trained(seed=0, steps=60):
    agent = Agent(SMALL, seed=seed)
    rng = np.random.default_rng(seed)
    agent.reset()
    for k in range(steps):
        agent.step(rng.normal(0, 0.05, 4))
        if k % 20 == 19:
            agent.end_episode(rng.normal(0, 0.05, 4), terminated=True)
            agent.reset()
    return agent


def _same(a, b):
    """Bit-equal learning states: a checkpoint stores the arrays themselves, and the effective
    weights recomputed on loading take the kernel's own elementwise arithmetic (no reduction)."""
    sa, sb = a.export_state(), b.export_state()
    assert set(sa) == set(sb)
    for name in sa:
        np.testing.assert_array_equal(sa[name], sb[name], err_msg=name)


def test_round_trip(tmp_path):
    agent = _trained()
    path = tmp_path / 'ckpt.npz'
    agent.save(path)
    loaded = Agent.from_checkpoint(path)
    assert loaded.config == agent.config and loaded.seed == agent.seed
    _same(agent, loaded)
    assert loaded.episode_lengths == agent.episode_lengths
    fresh = Agent(SMALL, seed=agent.seed)
    fresh.restore(path)
    _same(agent, fresh)
    # No temporary files are left behind, and the file is an ordinary readable data file.
    assert os.listdir(tmp_path) == ['ckpt.npz']
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


def test_stored_effective_weights_are_recomputed_from_the_devices(tmp_path):
    agent = _trained()
    good, tampered = tmp_path / 'good.npz', tmp_path / 'tampered.npz'
    agent.save(good)
    noise = np.random.default_rng(1).uniform(-5.0, 5.0, agent.network.synapses.w_eff.shape)

    def tamper(arrays):
        arrays['synapses.w_eff'] = noise
    _rewrite(good, tampered, tamper)
    with np.load(tampered) as data:
        assert not np.allclose(data['synapses.w_eff'], agent.network.synapses.w_eff)

    a, b = Agent.from_checkpoint(good), Agent(SMALL, seed=agent.seed)
    b.restore(tampered)
    # The devices say what the weights are; the tampered plane had no effect. Same code on the
    # same restored state, so the rollouts agree bit for bit.
    np.testing.assert_array_equal(b.network.synapses.w_eff, a.network.synapses.w_eff)
    assert _forces(a, 40) == _forces(b, 40)
    _same(a, b)


def _forces(agent, steps, seed=2):
    rng = np.random.default_rng(seed)
    agent.reset()
    return [agent.step(rng.normal(0, 0.05, 4)).force for _ in range(steps)]


def test_snapshot_saves_the_state_at_the_time_it_was_taken(tmp_path):
    agent = _trained()
    snapshot = agent.snapshot()
    frozen = agent.export_state()
    agent.step([0.0, 0.0, 0.0, 0.0])  # keeps learning after the snapshot
    snapshot.save(tmp_path / 'snap.npz')
    loaded = Agent.from_checkpoint(tmp_path / 'snap.npz')
    for name, value in loaded.export_state().items():
        np.testing.assert_array_equal(value, frozen[name], err_msg=name)


def test_checkpoint_has_no_pickles(tmp_path):
    path = tmp_path / 'ckpt.npz'
    _trained().save(path)
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data['meta']))
        assert meta['format_version'] == 3 and meta['config'] == SMALL.to_dict()
        assert data['rng'].dtype == np.uint64


def test_overwrite_is_atomic_and_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / 'ckpt.npz'
    first = _trained(steps=20)
    first.save(path)
    original = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError('disk full')
    monkeypatch.setattr(np, 'savez', boom)
    with pytest.raises(OSError, match='disk full'):
        _trained(steps=40).save(path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ['ckpt.npz']


def test_the_replaced_checkpoint_is_kept_as_bak(tmp_path):
    path = tmp_path / 'ckpt.npz'
    first, second = _trained(steps=20), _trained(steps=40)
    first.save(path)
    assert not (tmp_path / 'ckpt.npz.bak').exists()
    saved_first = path.read_bytes()
    second.save(path)
    assert (tmp_path / 'ckpt.npz.bak').read_bytes() == saved_first
    assert int(load_checkpoint(path)[2]['counters'][0]) == second.total_steps
    assert sorted(os.listdir(tmp_path)) == ['ckpt.npz', 'ckpt.npz.bak']


def test_a_non_finite_state_is_never_written(tmp_path):
    path = tmp_path / 'ckpt.npz'
    agent = _trained(steps=20)
    agent.save(path)
    good = path.read_bytes()
    broken = _trained(steps=30)
    broken.network.synapses.w_pos[0, 0] = np.nan
    for save in (broken.save, broken.snapshot().save):
        with pytest.raises(CheckpointError, match="'synapses.w_pos' holds non-finite"):
            save(path)
        assert path.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ['ckpt.npz']


def _rewrite(path, out, mutate):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    mutate(arrays)
    with open(out, 'wb') as f:
        np.savez(f, **arrays)


def _live_row_out_of_range(arrays):
    arrays['carry.n_live'] = np.array(1)
    arrays['inputs.live'][0] = 10**6


def _meta(arrays, **changes):
    meta = json.loads(str(arrays['meta']))
    meta.update(changes)
    arrays['meta'] = np.array(json.dumps(meta))


CORRUPTIONS = {
    'truncated': (lambda p, o: o.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
                  'corrupt or truncated'),
    'garbage': (lambda p, o: o.write_bytes(b'not a zip file at all' * 10), 'corrupt or truncated'),
    'empty': (lambda p, o: o.write_bytes(b''), 'corrupt or truncated'),
    'missing_array': (lambda p, o: _rewrite(p, o, lambda a: a.pop('synapses.w_pos')),
                      'missing arrays: synapses.w_pos'),
    'no_meta': (lambda p, o: _rewrite(p, o, lambda a: a.pop('meta')), 'no "meta"'),
    'bad_meta': (lambda p, o: _rewrite(p, o, lambda a: a.update(meta=np.array('{oops'))),
                 'unreadable meta'),
    'version': (lambda p, o: _rewrite(p, o, lambda a: _meta(a, format_version=99)),
                'format version 99'),
    'old_version': (lambda p, o: _rewrite(p, o, lambda a: _meta(a, format_version=1)),
                    'format version 1 .*reads versions 2 and 3'),
    'bad_config': (lambda p, o: _rewrite(p, o, lambda a: _meta(a, config={'actor': {'eta': -1}})),
                   'actor.eta'),
    'wrong_shape': (lambda p, o: _rewrite(p, o, lambda a: a.update(
        {'synapses.w_pos': a['synapses.w_pos'][:3]})), "array 'synapses.w_pos' has shape"),
    'nan': (lambda p, o: _rewrite(p, o, lambda a: a['synapses.w_pos'].__setitem__((0, 0), np.nan)),
            'non-finite'),
    'out_of_range': (lambda p, o: _rewrite(
        p, o, lambda a: a['synapses.w_pos'].__setitem__((0, 0), 3.0)), r'outside \[0, 1\]'),
    'bad_index': (lambda p, o: _rewrite(p, o, _live_row_out_of_range),
                  "'inputs.live' holds indices outside"),
    'bad_life': (lambda p, o: _rewrite(
        p, o, lambda a: a['synapses.life_neg'].__setitem__((0, 0), 0)), 'lifetimes must be'),
    'bad_ring': (lambda p, o: _rewrite(
        p, o, lambda a: a['neurons.ring.head'].__setitem__(0, -1)), "'neurons.ring.head' holds"),
}


@pytest.mark.parametrize('case', sorted(CORRUPTIONS))
def test_bad_files_fail_clearly_and_leave_the_agent_untouched(tmp_path, case):
    good = tmp_path / 'good.npz'
    _trained(seed=1).save(good)
    bad = tmp_path / 'bad.npz'
    make, message = CORRUPTIONS[case]
    make(good, bad)
    running = _trained(seed=2)
    before = running.export_state()
    with pytest.raises(CheckpointError, match=message):
        running.restore(bad)
    for name, value in running.export_state().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


# The fields version 3 added to the configuration (a version 2 file's meta has none of them).
NEW_IN_3 = {'device': ('endurance', 'endurance_spread', 'stuck', 'retention_tau_s',
                       'retention_rest', 'read_noise'),
            'actor': ('write_mode',), 'critic': ('write_mode',),
            'learning': ('silent_depression', 'ltd_scale')}


def _as_version_2(arrays):
    """What this package wrote as format version 2: no lifetimes, no retention clocks, and a
    configuration without the fields version 3 added."""
    for name in ('synapses.life_pos', 'synapses.life_neg', 'inputs.relaxed_at'):
        arrays.pop(name)
    meta = json.loads(str(arrays['meta']))
    for section, names in NEW_IN_3.items():
        for name in names:
            meta['config'][section].pop(name)
    meta['format_version'] = 2
    arrays['meta'] = np.array(json.dumps(meta))


def test_a_version_2_checkpoint_is_read(tmp_path):
    agent = _trained()
    v3, v2 = tmp_path / 'v3.npz', tmp_path / 'v2.npz'
    agent.save(v3)
    _rewrite(v3, v2, _as_version_2)
    with np.load(v2) as data:
        assert 'synapses.life_pos' not in data.files
    loaded = Agent.from_checkpoint(v2)
    assert loaded.config == agent.config
    _same(agent, loaded)
    assert _forces(loaded, 40) == _forces(Agent.from_checkpoint(v3), 40)
    # Version 2 configurations have no endurance: every device lives for ever.
    assert loaded.network.synapses.life_pos.min() == np.iinfo(np.uint32).max


def test_mismatched_configuration_is_refused(tmp_path):
    path = tmp_path / 'ckpt.npz'
    _trained().save(path)
    other = Agent(SMALL.with_overrides(['actor.eta=0.01']), seed=0)
    with pytest.raises(CheckpointError, match='actor.eta'):
        other.restore(path)


def test_missing_file():
    with pytest.raises(CheckpointError, match='no such checkpoint'):
        load_checkpoint('/nonexistent/ckpt.npz')


def test_a_zip_without_npy_members_is_rejected(tmp_path):
    path = tmp_path / 'odd.npz'
    with zipfile.ZipFile(path, 'w') as z:
        z.writestr('hello.txt', 'hi')
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
