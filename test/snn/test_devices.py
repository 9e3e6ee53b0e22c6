"""Device models against the reference values of docs/science.md section 5; the write law;
non-idealities."""

import math

import numpy as np
import pytest

from memsnn_controller.snn import devices as D
from memsnn_controller.snn import reference as R
from memsnn_controller.snn import write_law as W
from memsnn_controller.snn.reference import normal_np, uniform_np
from memsnn_controller.snn.rng import new_state


@pytest.mark.parametrize('w, dt, expected', [
    (0.05, 10.0, 0.0374), (0.05, 39.6, 0.0928), (0.05, -18.5, -0.0171),
    (0.5, 10.0, 0.1013), (0.5, 39.6, 0.2513), (0.5, -18.5, -0.2511),
])
def test_ppx_window_reference_values(w, dt, expected):
    assert float(D.ppx_window(dt, w)) == pytest.approx(expected, abs=6e-5)


def test_ppx_window_peaks_and_cutoff():
    dt = np.linspace(0.5, 200, 4000)
    assert dt[np.argmax(D.ppx_window(dt, 0.3))] == pytest.approx(39.6, abs=0.2)
    assert -dt[np.argmin(D.ppx_window(-dt, 0.3))] == pytest.approx(-18.5, abs=0.2)
    assert D.ppx_window(501.0, 0.5) == 0.0 and D.ppx_window(-501.0, 0.5) == 0.0
    assert D.ppx_window(0.0, 0.5) == 0.0


@pytest.mark.parametrize('w, dt, expected', [
    (0.5, 1.0, 0.0735), (0.5, 20.0, 0.0597), (0.5, -1.0, -0.0487), (0.5, -18.5, -0.0333),
])
def test_nc_window_reference_values(w, dt, expected):
    assert float(D.nc_window(dt, w)) == pytest.approx(expected, abs=6e-5)


def test_nc_is_multiplicative_in_w():
    assert D.nc_window(5.0, 0.0) == 0.0
    assert D.nc_window(5.0, 0.4) == pytest.approx(2 * D.nc_window(5.0, 0.2))


def test_ppx_balance_point():
    w_star, f0 = D.ppx_balance_point()
    assert w_star == pytest.approx(0.298, abs=1e-3)
    assert f0 == pytest.approx(0.0668, abs=2e-4)
    law = W.write_law('ppx')
    assert W.law_factor(w_star, 1.0, law) == pytest.approx(1.0, abs=1e-6)
    assert W.law_factor(w_star, -1.0, law) == pytest.approx(1.0, abs=1e-6)


def test_ppx_law_table_matches_the_exponentials():
    law = W.write_law('ppx')
    w = np.linspace(0, 1, 997)
    exact_set = D.PPX['a_p'] * np.exp(-D.PPX['b_p'] * (1 - w)) / D.PPX_F0
    exact_reset = D.PPX['a_m'] * np.exp(-D.PPX['b_m'] * w) / D.PPX_F0
    np.testing.assert_allclose(R.law_factor_np(w, 1.0, law), exact_set, rtol=1e-6)
    np.testing.assert_allclose(R.law_factor_np(w, -1.0, law), exact_reset, rtol=1e-6)
    for wi in (0.0, 0.3, 0.77, 1.0):
        assert W.law_factor(wi, 1.0, law) == R.law_factor_np(wi, 1.0, law)
        assert W.law_factor(wi, -1.0, law) == R.law_factor_np(wi, -1.0, law)


def test_timing_kernels_reproduce_the_windows():
    """F(w)/F0 * kernel[lag] is the device's own change for that pair."""
    for model, window in (('ppx', D.ppx_window), ('nc', D.nc_window)):
        plus, minus = D.timing_kernels(model, 200, 1.0)
        law = W.write_law(model)
        for w in (0.1, 0.5):
            for lag in (1, 10, 40):
                ltp = W.law_factor(w, 1.0, law) * plus[lag]
                ltd = -W.law_factor(w, -1.0, law) * minus[lag]
                assert ltp == pytest.approx(float(window(lag, w)), rel=1e-5)
                assert ltd == pytest.approx(float(window(-lag, w)), rel=1e-5)


def test_program_direction_bounds_and_floor():
    law = W.write_law('ppx')
    assert W.program(0.3, 0.05, law, 0.0, 0, True, 0.0, 0.0, 0.0) > 0.3
    assert W.program(0.3, -0.05, law, 0.0, 0, True, 0.0, 0.0, 0.0) < 0.3
    assert W.program(0.99, 5.0, law, 0.0, 0, True, 0.0, 0.0, 0.0) == 1.0
    assert W.program(0.01, -5.0, law, 0.0, 0, True, 0.0, 0.0, 0.0) == 0.0
    assert W.program(0.2, -5.0, law, 0.05, 0, True, 0.0, 0.0, 0.0) == 0.05
    ideal = W.write_law('ideal')
    assert W.program(0.3, 0.1, ideal, 0.0, 0, True, 0.0, 0.0, 0.0) == pytest.approx(0.4)


def test_ppx_soft_bounds_depress_high_states_more():
    law = W.write_law('ppx')
    low = 0.3 - W.program(0.3, -0.01, law, 0.0, 0, True, 0.0, 0.0, 0.0)
    high = 0.8 - W.program(0.8, -0.01, law, 0.0, 0, True, 0.0, 0.0, 0.0)
    assert high > 10 * low


def test_nearest_rounding_loses_small_updates_and_stochastic_keeps_their_mean():
    law = W.write_law('ideal')
    levels = 16
    w0 = 5 / 15
    d = 0.2 / 15  # a fifth of a level
    assert W.program(w0, d, law, 0.0, levels, False, 0.0, 0.0, 0.0) == w0
    u = uniform_np(new_state(7), 20000)
    out = R.program_np(np.full(u.size, w0), d, law, 0.0, levels, True, 0.0, 0.0, u)
    assert set(np.round(out * 15, 9)) <= {5.0, 6.0}
    assert out.mean() == pytest.approx(w0 + d, abs=4e-4)


def test_quantized_states_are_levels_and_respect_the_floor():
    law = W.write_law('nc')
    w = R.program_np(np.linspace(0.06, 1, 50), -0.5, law, 0.05, 8, False, 0.0, 0.0, 0.0)
    steps = w * 7
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-9)
    assert w.min() >= 0.05


def test_cycle_to_cycle_noise_statistics():
    law = W.write_law('ideal')
    xi = normal_np(new_state(3), 40000)
    w = R.program_np(np.full(xi.size, 0.5), 0.01, law, 0.0, 0, True, 0.1, xi, 0.0)
    change = w - 0.5
    assert change.mean() == pytest.approx(0.01, rel=0.01)
    assert change.std() == pytest.approx(0.001, rel=0.03)


def test_numba_and_numpy_program_agree():
    rng = np.random.default_rng(0)
    for model in ('ppx', 'nc', 'ideal'):
        law = W.write_law(model)
        w = rng.uniform(0, 1, 300)
        d = rng.normal(0, 0.05, 300)
        xi = rng.normal(size=300)
        u = rng.uniform(size=300)
        for levels, stochastic in ((0, True), (16, True), (16, False)):
            ref = R.program_np(w, d, law, 0.02, levels, stochastic, 0.1, xi, u)
            got = [W.program(w[k], d[k], law, 0.02, levels, stochastic, 0.1, xi[k], u[k])
                   for k in range(300)]
            # Two code paths (numba, numpy): equal up to rounding. Quantized results are whole
            # levels, which a last-bit difference could move only at an exact tie (never here).
            np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-15)


def test_conductance_mapping():
    g = D.conductance_ms(np.array([0.0, 1.0]), 10.0, 100.0)
    assert g[0] == pytest.approx(0.1) and g[1] == pytest.approx(10.0)
    assert math.isclose(D.conductance_ms(0.5, 10.0, 100.0), 0.1 + 0.5 * 9.9)


def test_accumulate_programs_whole_levels_once_enough_is_requested():
    law = W.write_law('ideal')
    level = 1 / 15
    w, pending = 5 / 15, 0.0
    for _ in range(4):  # four requests of a quarter level: nothing programmed yet
        w, pending = W.program_accumulate(w, level / 4.01, pending, law, 0.0, 16, 0.0, 0.0)
        assert w == 5 / 15
    w, pending = W.program_accumulate(w, level / 4.01, pending, law, 0.0, 16, 0.0, 0.0)
    assert w == pytest.approx(6 / 15) and 0 < pending < level
    w, pending = W.program_accumulate(w, -2.5 * level, pending, law, 0.0, 16, 0.0, 0.0)
    assert w == pytest.approx(4 / 15)
    # At a bound the excess is dropped.
    w, pending = W.program_accumulate(14 / 15, 3 * level, 0.0, law, 0.0, 16, 0.0, 0.0)
    assert w == 1.0 and pending == 0.0


def test_accumulate_numba_and_numpy_agree():
    rng = np.random.default_rng(1)
    law = W.write_law('ppx')
    w = np.round(rng.uniform(0, 1, 200) * 15) / 15
    d = rng.normal(0, 0.05, 200)
    pending = rng.normal(0, 0.02, 200)
    xi = rng.normal(size=200)
    ref_w, ref_p = R.program_accumulate_np(w, d, pending, law, 0.05, 16, 0.1, xi)
    for k in range(200):
        got = W.program_accumulate(w[k], d[k], pending[k], law, 0.05, 16, 0.1, xi[k])
        assert got == (ref_w[k], ref_p[k])
