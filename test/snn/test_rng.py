"""The counter-based random stream: numba and numpy draw the same numbers."""

import numba
import numpy as np
import pytest

from memsnn_controller.snn import rng as R
from memsnn_controller.snn.reference import (
    coarse_normal_np,
    normal_from_uniform_np,
    normal_np,
    uniform_np,
)


@numba.njit
def _draw(state, n):
    u = np.empty(n)
    z = np.empty(n)
    for k in range(n):
        u[k] = R.uniform(state)
        z[k] = R.normal(state)
    return u, z


def test_numba_and_numpy_streams_agree():
    a = R.new_state(12345)
    b = a.copy()
    u, z = _draw(a, 500)
    ref = uniform_np(b, 1000)
    # Exact: a uniform is an integer hash shifted and scaled by 2**-53, which every float64
    # implementation computes without rounding, and the states are integers.
    np.testing.assert_array_equal(u, ref[0::2])
    np.testing.assert_array_equal(a, b)
    # The normals interpolate a table by floating-point arithmetic in two code paths (numba and
    # numpy): equal up to rounding, not necessarily bit for bit on every CPU.
    np.testing.assert_allclose(z, normal_from_uniform_np(ref[1::2]), rtol=1e-12, atol=1e-14)


def test_state_is_key_and_counter_and_seeds_differ():
    s = R.new_state(1)
    assert s.dtype == np.uint64 and s.shape == (2,) and s[1] == 0
    uniform_np(s, 10)
    assert s[1] == 10
    assert not np.array_equal(uniform_np(R.new_state(1), 5), uniform_np(R.new_state(2), 5))


def test_distributions():
    u = uniform_np(R.new_state(9), 200000)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert u.mean() == pytest.approx(0.5, abs=0.003)
    z = normal_np(R.new_state(9), 200000)
    assert z.mean() == pytest.approx(0.0, abs=0.01)
    assert z.std() == pytest.approx(1.0, abs=0.01)
    assert np.mean(np.abs(z) < 1.0) == pytest.approx(0.6827, abs=0.005)


@numba.njit
def _coarse_block(state, n):
    z = np.empty(n)
    for m in range(n):
        z[m] = R.coarse_normal_ahead(state, m + 1)
    R.skip(state, n)
    after = R.uniform(state)
    return z, after


def test_coarse_normals_ahead_take_the_next_draws_in_order():
    a = R.new_state(77)
    b = a.copy()
    z, after = _coarse_block(a, 300)
    np.testing.assert_array_equal(z, coarse_normal_np(b, 300))
    # The block took exactly its n draws: the stream goes on where n calls would leave it.
    assert after == uniform_np(b, 1)[0]
    np.testing.assert_array_equal(a, b)
    # Each is a quantile of the draw's top 13 bits: unit variance, 8192 values at most.
    zs = coarse_normal_np(R.new_state(3), 200000)
    assert zs.mean() == pytest.approx(0.0, abs=0.01) and zs.std() == pytest.approx(1.0, abs=0.01)
    assert np.unique(zs).size <= R.TABLE_SIZE
