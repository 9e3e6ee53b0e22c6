"""The sensor front end alone: offsets, signs and the angle's wrap; the velocity estimator against
known trajectories (its lag, its noise on encoder readings, unwrapping); readiness, resets and
gaps; the settings' checks."""

import math
import sys

import numpy as np
import pytest

from memsnn_controller.control.sensing import (
    MAX_SAMPLES,
    SensingConfig,
    SensorFrontEnd,
    VelocityEstimator,
    wrap_angle,
)
from memsnn_controller.envs import rig
from memsnn_controller.envs.plant import Plant

NS = 1_000_000_000
PI = math.pi
NAN = math.nan


def stamps(rate_hz, count, start_s=1.0):
    """Evenly spaced stamps (ns) of a stream at rate_hz."""
    return [round((start_s + k / rate_hz) * NS) for k in range(count)]


# -- offsets, signs, wrap ------------------------------------------------------------------------

@pytest.mark.parametrize('angle, wrapped', [
    (0.0, 0.0), (PI, PI), (-PI, PI), (3 * PI, PI), (-3 * PI, PI), (2 * PI, 0.0),
    (PI + 0.1, -PI + 0.1), (-PI - 0.1, PI - 0.1), (7.0, 7.0 - 2 * PI), (-100.0, -100.0 + 32 * PI),
    (math.nextafter(-PI, 0.0), math.nextafter(-PI, 0.0)),
])
def test_the_angle_is_wrapped_to_minus_pi_exclusive_pi_inclusive(angle, wrapped):
    got = wrap_angle(angle)
    assert -PI < got <= PI and got == pytest.approx(wrapped, abs=1e-12)


def test_offsets_and_signs_make_the_readings_cartpole_v1s_state():
    front = SensorFrontEnd(SensingConfig(velocity_estimation='off', cart_offset=0.2,
                                         cart_sign=-1, pole_offset=PI, pole_sign=-1))
    # An encoder that reads 0 hanging and counts the other way: upright is pi, leaning +0.1 rad
    # toward +x reads pi - 0.1.
    assert front.observe(0.5, 1.0, PI - 0.1, 2.0, NS) == pytest.approx((-0.3, -1.0, 0.1, -2.0))
    x, _, theta, _ = front.observe(0.2, 0.0, 0.0, 0.0, 2 * NS)  # centred, hanging down
    assert x == 0.0 and theta == PI
    # Past upright to the other side, and a continuous joint's reading a turn later: wrapped.
    assert front.observe(0.0, 0.0, PI + 0.3, 0.0, 3 * NS)[2] == pytest.approx(-0.3)
    assert front.observe(0.0, 0.0, PI - 0.1 + 4 * PI, 0.0, 4 * NS)[2] == pytest.approx(0.1)
    assert front.observe(0.0, 0.0, -PI - 0.1, 0.0, 5 * NS)[2] == pytest.approx(0.1)


@pytest.mark.parametrize('offset, sign', [((0.0, 0.0, PI, 0.0), (1, -1)),
                                          ((-0.35, 0.0, 1.2, 0.0), (-1, 1)),
                                          ((2.0, 0.0, -PI / 2, 0.0), (-1, -1))])
def test_the_front_end_undoes_the_simulators_sensor_model(offset, sign):
    """What envs/rig.observe reports of a state, the front end with the same offsets and signs
    turns back into that state (theta wrapped)."""
    plant = Plant(sensor_offset=offset, sensor_sign=sign)
    config = SensingConfig.for_plant(plant, velocity_estimation='off')
    assert config == SensingConfig(velocity_estimation='off', cart_offset=offset[0],
                                   cart_sign=sign[0], pole_offset=offset[2], pole_sign=sign[1])
    front = SensorFrontEnd(config)
    rng = np.random.default_rng(1)
    reading = np.zeros(4)
    for k in range(200):
        state = rng.uniform((-0.4, -2.0, -PI, -8.0), (0.4, 2.0, PI, 8.0))
        rig.observe(plant, state, reading)
        got = front.observe(*reading, t_ns=(k + 1) * NS)
        assert got == pytest.approx(tuple(state), abs=1e-12), (state, reading)


# -- the estimator -------------------------------------------------------------------------------

@pytest.mark.parametrize('rate_hz, window, used', [(50.0, 0.02, 2), (50.0, 0.05, 4),
                                                   (240.0, 0.02, 6), (1000.0, 0.01, 11)])
def test_the_estimate_is_the_velocity_half_the_fitted_span_ago(rate_hz, window, used):
    """For constant acceleration a the least-squares slope over evenly spaced readings is the
    velocity at their mean time: a lag of half the span, and the span reaches back to the
    newest reading at least velocity_window old."""
    accel, v0 = 3.0, -0.5
    estimator = VelocityEstimator(window, max_gap=1.0)
    times = stamps(rate_hz, 100, start_s=0.0)
    for k, t in enumerate(times):
        s = t / NS
        estimator.add(v0 * s + accel * s * s / 2, t)
        if k == 0:
            assert not estimator.ready and math.isnan(estimator.velocity)
            continue
        fitted = times[max(0, k + 1 - used):k + 1]
        lag = s - np.mean(fitted) / NS
        assert lag == pytest.approx((len(fitted) - 1) / rate_hz / 2, abs=1e-8)
        assert estimator.velocity == pytest.approx(v0 + accel * (s - lag), abs=1e-9), k
    # A linear trajectory is exact: no lag.
    estimator.reset()
    for t in times:
        estimator.add(0.7 * t / NS - 0.1, t)
    assert estimator.velocity == pytest.approx(0.7, abs=1e-12)


def test_stamp_jitter_and_dropped_readings_are_fitted_where_they_are():
    rng = np.random.default_rng(4)
    estimator = VelocityEstimator(0.02, max_gap=0.1)
    t = NS
    for k in range(400):
        t += round((0.02 + rng.uniform(-0.004, 0.004)) * NS) * (2 if k % 17 == 0 else 1)
        estimator.add(1.5 * t / NS, t)
        if k:
            assert estimator.velocity == pytest.approx(1.5, abs=1e-9)


@pytest.mark.parametrize('rate_hz, window, bound', [(50.0, 0.02, 0.05), (240.0, 0.02, 0.05),
                                                    (240.0, 0.04, 0.03)])
def test_encoder_quantisation_noise_stays_small(rate_hz, window, bound):
    """A pole swinging 0.2 rad at 1.5 Hz through a 4096-count encoder: the estimate, compared
    with the true velocity half the window ago, errs by about q / sqrt(6 sum tau^2) RMS."""
    step = 2 * PI / 4096
    estimator = VelocityEstimator(window, max_gap=0.1, angular=True)
    omega = 2 * PI * 1.5
    errors = []
    times = stamps(rate_hz, round(4 * rate_hz))
    for k, t in enumerate(times):
        s = t / NS
        estimator.add(round(0.2 * math.sin(omega * s) / step) * step, t)
        if k >= window * rate_hz + 1:
            used = math.ceil(window * rate_hz - 1e-9) + 1
            lag = (used - 1) / rate_hz / 2
            errors.append(estimator.velocity - 0.2 * omega * math.cos(omega * (s - lag)))
    rms = math.sqrt(np.mean(np.square(errors)))
    assert rms < bound, rms
    print(f'{rate_hz:g} Hz, window {window:g} s: RMS error {rms:.4f} rad/s')


@pytest.mark.parametrize('zero_to_two_pi', [False, True])
def test_angles_are_differenced_unwrapped_across_the_wrap(zero_to_two_pi):
    """A pole turning at 10 rad/s read by a driver that wraps its readings: no jump."""
    estimator = VelocityEstimator(0.02, max_gap=0.1, angular=True)
    front = SensorFrontEnd(SensingConfig(velocity_estimation='on'))
    for k, t in enumerate(stamps(100.0, 300)):
        angle = wrap_angle(2.5 + 10.0 * t / NS)
        if zero_to_two_pi and angle < 0:
            angle += 2 * PI
        estimator.add(angle, t)
        state = front.observe(0.0, NAN, angle, NAN, t)
        if k:
            assert estimator.velocity == pytest.approx(10.0, abs=1e-9)
            assert state[3] == pytest.approx(10.0, abs=1e-9)
            assert -PI < state[2] <= PI


def test_at_most_max_samples_readings_are_fitted_without_allocating():
    estimator = VelocityEstimator(0.5, max_gap=0.1)
    times = stamps(1000.0, 20_000)
    for t in times[:1000]:
        estimator.add(2.0 * t / NS, t)
    assert estimator.velocity == pytest.approx(2.0)
    before = sys.getallocatedblocks()
    for t in times[1000:]:
        estimator.add(2.0 * t / NS, t)
        assert estimator.velocity == pytest.approx(2.0, abs=1e-9)
    assert sys.getallocatedblocks() - before < 100  # nothing kept per reading
    assert estimator.count == MAX_SAMPLES and len(estimator._times) == MAX_SAMPLES


# -- readiness, resets, gaps ---------------------------------------------------------------------

def test_not_ready_until_two_readings_then_reset_and_late_readings():
    front = SensorFrontEnd(SensingConfig(velocity_estimation='auto'))
    assert front.observe(0.0, NAN, 0.0, NAN, NS) is None and front.not_ready == 1
    state = front.observe(0.01, NAN, -0.02, NAN, NS + 20_000_000)
    assert state == pytest.approx((0.01, 0.5, -0.02, -1.0))
    assert front.estimated == 1
    # A reading that is not later than the newest is not kept: the estimate stands.
    assert not front.cart.add(5.0, NS + 20_000_000) and not front.cart.add(5.0, NS)
    assert front.observe(0.01, NAN, -0.02, NAN, NS + 20_000_000)[1] == pytest.approx(0.5)
    front.reset()  # a new time base
    assert front.observe(0.5, NAN, 0.0, NAN, 10) is None and front.not_ready == 2
    assert front.observe(0.5, NAN, 0.0, NAN, 20_000_010) == pytest.approx((0.5, 0, 0, 0))


def test_measured_velocities_need_no_history_in_auto_and_are_ignored_with_on():
    auto = SensorFrontEnd(SensingConfig(velocity_estimation='auto'))
    on = SensorFrontEnd(SensingConfig(velocity_estimation='on'))
    off = SensorFrontEnd(SensingConfig(velocity_estimation='off'))
    assert auto.observe(0.1, 0.3, 0.2, -0.4, NS) == (0.1, 0.3, 0.2, -0.4)
    assert on.observe(0.1, 0.3, 0.2, -0.4, NS) is None
    assert off.observe(0.1, 0.3, 0.2, -0.4, NS) == (0.1, 0.3, 0.2, -0.4)
    t = NS + 10_000_000
    assert auto.observe(0.2, NAN, 0.2, -0.4, t) == pytest.approx((0.2, 10.0, 0.2, -0.4))
    assert on.observe(0.2, 0.3, 0.2, -0.4, t) == pytest.approx((0.2, 10.0, 0.2, 0.0))
    assert off.observe(0.2, 0.3, 0.2, -0.4, t) == (0.2, 0.3, 0.2, -0.4)
    assert off.cart.count == 0 and not off.keeps_readings  # 'off' keeps nothing
    assert (auto.estimated, on.estimated, off.estimated) == (1, 1, 0)


def test_a_gap_longer_than_velocity_max_gap_starts_the_history_afresh():
    front = SensorFrontEnd(SensingConfig(velocity_max_gap=0.05))
    t = stamps(50.0, 10)
    for k in range(5):
        assert (front.observe(0.1 * k, NAN, 0.0, NAN, t[k]) is None) == (k == 0)
    assert front.observe(0.0, NAN, 0.0, NAN, t[4] + 40_000_000) is not None  # 40 ms: kept
    assert front.observe(0.0, NAN, 0.0, NAN, t[9] + 100_000_000) is None     # 160 ms: afresh
    assert front.cart.restarts == front.pole.restarts == 1 and front.cart.count == 1
    assert front.observe(0.02, NAN, 0.0, NAN, t[9] + 120_000_000)[1] == pytest.approx(1.0)


def test_an_estimate_beyond_the_limits_is_a_jump_that_restarts_the_history():
    front = SensorFrontEnd(SensingConfig(), limits=(5.0, 50.0))
    t = stamps(50.0, 6)
    front.observe(0.0, NAN, 0.0, NAN, t[0])
    assert front.observe(0.09, NAN, 0.9, NAN, t[1]) == pytest.approx((0.09, 4.5, 0.9, 45.0))
    assert front.observe(0.3, NAN, 0.9, NAN, t[2]) is None  # 10.5 m/s: the cart jumped
    assert (front.cart.jumps, front.pole.jumps, front.restarts) == (1, 0, 1)
    assert front.observe(0.31, NAN, -1.5, NAN, t[3]) is None  # -120 rad/s: the pole jumped
    assert front.observe(0.32, NAN, -1.4, NAN, t[4]) == pytest.approx((0.32, 0.5, -1.4, 5.0))
    assert front.restarts == 2 and front.not_ready == 3
    with pytest.raises(ValueError, match='limit'):
        VelocityEstimator(0.02, 0.1, limit=0.0)


def test_one_joint_at_a_time_each_at_its_own_stamps():
    front = SensorFrontEnd(SensingConfig(cart_sign=-1, pole_sign=-1))
    for k in range(10):
        t = NS + k * 20_000_000
        front.add_cart(0.3 * t / NS, t)
        front.add_pole(-0.2 * (t + 7_000_000) / NS, t + 7_000_000)
    assert front.state(0.0, NAN, 0.0, NAN) == pytest.approx((0.0, -0.3, 0.0, 0.2))


# -- settings -------------------------------------------------------------------------------------

@pytest.mark.parametrize('field, value', [
    ('velocity_estimation', 'yes'), ('velocity_estimation', True), ('velocity_window', 0.0),
    ('velocity_window', -0.01), ('velocity_window', 2.0), ('velocity_window', NAN),
    ('velocity_max_gap', 0.0), ('velocity_max_gap', math.inf), ('cart_offset', 11.0),
    ('cart_offset', NAN), ('pole_offset', -10.5), ('cart_sign', 0), ('cart_sign', 2),
    ('pole_sign', True), ('pole_sign', -1.0), ('pole_sign', '1'),
])
def test_bad_settings_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=rf'^SensingConfig\.{field}: must '):
        SensingConfig(**{field: value})


def test_settings_from_a_mapping_and_their_defaults():
    config = SensingConfig.from_values({'pole_offset': 3, 'pole_sign': -1, 'other': 'x'})
    assert config.pole_offset == 3.0 and isinstance(config.pole_offset, float)
    assert (config.velocity_estimation, config.velocity_window, config.cart_sign) == (
        'auto', 0.02, 1)
    with pytest.raises(ValueError, match='window'):
        VelocityEstimator(0.0, 0.1)
