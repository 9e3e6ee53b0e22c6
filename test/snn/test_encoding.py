"""Encoders: the 162 boxes, Gaussian fields, grids; compiled and numpy versions agree."""

import math

import numpy as np
import pytest

from memsnn_controller.snn.config import DEG, AgentConfig, EncoderConfig
from memsnn_controller.snn.encoding import EncoderTables, encode
from memsnn_controller.snn.reference import encode_reference


def _active(tables, obs):
    idx = np.zeros(tables.n_inputs, dtype=np.int64)
    act = np.zeros(tables.n_inputs)
    n = encode(np.asarray(obs, dtype=float), tables.ints, tables.floats, idx, act)
    return idx[:n], act[:n]


def test_bsa_boxes_are_162_and_one_fires():
    tables = EncoderTables(EncoderConfig())
    assert tables.n_inputs == 162
    idx, act = _active(tables, [0.0, 0.0, 0.0, 0.0])
    assert list(act) == [1.0]
    # x in bin 1 of 3, x_dot 1 of 3, theta = 0 is bin 3 of 6 (edges -6, -1, 0 <= 0), theta_dot 1.
    assert idx[0] == ((1 * 3 + 1) * 6 + 3) * 3 + 1


@pytest.mark.parametrize('obs, bins', [
    ([-1.0, -0.6, -7 * DEG, -60 * DEG], (0, 0, 0, 0)),
    ([-0.8, -0.5, -6 * DEG, -50 * DEG], (1, 1, 1, 1)),     # edges belong to the upper bin
    ([0.5, 0.2, -0.5 * DEG, 10 * DEG], (1, 1, 2, 1)),
    ([2.0, 1.0, 0.5 * DEG, 60 * DEG], (2, 2, 3, 2)),
    ([0.0, 0.0, 3 * DEG, 0.0], (1, 1, 4, 1)),
    ([0.0, 0.0, 7 * DEG, 0.0], (1, 1, 5, 1)),
])
def test_box_index_by_hand(obs, bins):
    tables = EncoderTables(EncoderConfig())
    x, xd, th, thd = bins
    assert _active(tables, obs)[0][0] == ((x * 3 + xd) * 6 + th) * 3 + thd


def test_gaussian_fields_peak_and_clip():
    cfg = EncoderConfig(segments=('gaussian',), fields=5, field_width=1.0)
    tables = EncoderTables(cfg)
    assert tables.n_inputs == 20
    idx, act = _active(tables, [0.0, 0.0, 0.0, 0.0])
    strongest = {int(i): a for i, a in zip(idx, act)}
    for var in range(4):
        assert strongest[var * 5 + 2] == pytest.approx(1.0)
        assert strongest[var * 5 + 1] == pytest.approx(math.exp(-0.5))
    # Far out of range: clipped onto the last field of x.
    idx, act = _active(tables, [99.0, 0.0, 0.0, 0.0])
    assert dict(zip(idx.tolist(), act.tolist()))[4] == pytest.approx(1.0)


def test_grid_over_theta_and_theta_dot():
    cfg = EncoderConfig(segments=('grid',), grid_pairs=((2, 3),), grid_bins=7)
    tables = EncoderTables(cfg)
    assert tables.n_inputs == 49
    idx, _ = _active(tables, [0, 0, 0.0, 0.0])
    assert idx[0] == 3 * 7 + 3
    idx, _ = _active(tables, [0, 0, -1.0, 99.0])
    assert idx[0] == 0 * 7 + 6


def test_segments_concatenate_like_the_first_prototype():
    cfg = EncoderConfig(segments=('gaussian', 'grid'), fields=15, grid_bins=7)
    assert EncoderTables(cfg).n_inputs == 109


def test_compiled_and_reference_agree_on_random_states():
    cfg = AgentConfig().encoder
    rng = np.random.default_rng(4)
    for segments in (('boxes',), ('gaussian',), ('grid',), ('boxes', 'gaussian', 'grid')):
        tables = EncoderTables(EncoderConfig(segments=segments, grid_pairs=((0, 1), (2, 3))))
        for _ in range(200):
            obs = rng.normal(0, 1, 4) * np.array([1.5, 1.5, 0.2, 2.0])
            idx, act = _active(tables, obs)
            ref_idx, ref_act = encode_reference(obs, tables.ints, tables.floats)
            np.testing.assert_array_equal(idx, ref_idx)
            np.testing.assert_allclose(act, ref_act, rtol=1e-12)
    assert cfg.segments == ('boxes',)
