"""The control loop with the sensor front end: NaN and absent velocities estimated ('auto'),
ignored ('on') or bad input ('off'); offsets, signs and the wrap before the failure checks and
the agent; waiting for an estimate after a restart, a new time base or a gap; per-joint sources
estimated from each joint's own readings; the parameters and the counters."""

import math

from loop_support import MS, NAMES, feed_joint, loop_with
import pytest

from memsnn_controller.envs import cartpole_spec
from memsnn_controller.ros import control_loop as cl
from memsnn_controller.ros import controller_config as cc
from memsnn_controller.ros.controller_status import NodeCounters, status_report

CART, POLE = NAMES
NAN = math.nan
PI = math.pi


def send(loop, x, theta, t_ms, x_dot=NAN, theta_dot=NAN, receipt_ms=None, t0_ms=1000.0):
    """A joint state of both joints stamped t0_ms + t_ms, velocities NaN unless given."""
    stamp = round((t0_ms + t_ms) * MS)
    receipt = stamp + 10**12 if receipt_ms is None else round(receipt_ms * MS)
    return loop.process(NAMES, [x, theta], [x_dot, theta_dot], stamp, receipt)


def test_nan_velocities_are_estimated_after_one_zero_newton_answer():
    loop, agent = loop_with()  # velocity_estimation: auto (the default)
    first = send(loop, 0.01, 0.02, t_ms=0)
    assert (first.kind, first.publish, first.force) == (cl.ESTIMATING, True, 0.0)
    assert send(loop, 0.01, 0.02, t_ms=0).kind == cl.DUPLICATE  # the same stamp: same answer
    outs = [send(loop, 0.01 + 0.002 * k, 0.02 - 0.0004 * k, t_ms=20 * k) for k in range(1, 6)]
    assert [o.kind for o in outs] == [cl.NEW_EPISODE] + [cl.TICK] * 4
    assert loop.bad_messages == 0 and loop.estimator_waits == 1 and loop.estimated_states == 5
    for (x, x_dot, theta, theta_dot), k in zip(agent.steps, range(1, 6)):
        assert (x, theta) == pytest.approx((0.01 + 0.002 * k, 0.02 - 0.0004 * k))
        assert (x_dot, theta_dot) == pytest.approx((0.1, -0.02))  # 2 mm, -0.4 mrad per 20 ms
    assert outs[-1].force == pytest.approx(100.0 * agent.steps[-1][2])  # the fake agent's force


def test_an_empty_velocity_array_is_absent_with_auto_and_bad_with_off():
    loop, agent = loop_with()
    for k in range(3):
        out = loop.process(NAMES, [0.0, 0.01 * k], [], (1000 + 20 * k) * MS, 0)
    assert out.kind == cl.TICK and agent.steps[-1][3] == pytest.approx(0.5)
    loop, _ = loop_with(velocity_estimation='off')
    out = loop.process(NAMES, [0.0, 0.0], [], 1000 * MS, 0)
    assert (out.kind, out.reason) == (cl.BAD_INPUT, 'empty')


@pytest.mark.parametrize('velocities', [[NAN, 0.0], [0.0, NAN], [NAN, NAN]])
def test_with_off_a_nan_velocity_stays_bad_input(velocities):
    loop, agent = loop_with(velocity_estimation='off')
    for k in range(3):
        out = loop.process(NAMES, [0.0, 0.01], velocities, (1000 + 20 * k) * MS, 0)
        assert (out.kind, out.reason, out.force) == (cl.BAD_INPUT, 'non_finite', 0.0)
    assert loop.bad_messages == 3 and not agent.steps and loop.estimated_states == 0


def test_auto_estimates_only_the_missing_velocity_and_inf_is_still_bad():
    loop, agent = loop_with()
    send(loop, 0.0, 0.0, t_ms=0, x_dot=0.0)
    out = send(loop, 0.004, 0.0, t_ms=20, x_dot=0.3)  # the cart's measured, the pole's NaN
    assert out.kind == cl.NEW_EPISODE and agent.steps[-1][1] == 0.3
    out = send(loop, 0.004, 0.0, t_ms=40, x_dot=math.inf)
    assert (out.kind, out.reason) == (cl.BAD_INPUT, 'non_finite')
    out = send(loop, 0.008, 0.0, t_ms=40, x_dot=200.0)  # beyond state_limits
    assert (out.kind, out.reason) == (cl.BAD_INPUT, 'implausible')


def test_on_ignores_measured_velocities():
    loop, agent = loop_with(velocity_estimation='on')
    assert send(loop, 0.0, 0.0, t_ms=0, x_dot=5.0, theta_dot=math.inf).kind == cl.ESTIMATING
    send(loop, 0.01, 0.002, t_ms=20, x_dot=5.0, theta_dot=math.inf)
    assert agent.steps[-1] == pytest.approx((0.01, 0.5, 0.002, 0.1))
    assert loop.bad_messages == 0


def test_offsets_signs_and_wrap_come_before_the_failure_checks_and_the_agent():
    # An encoder zeroed hanging down and counting the other way, a cart encoder zeroed at the
    # track's left end (0.4 m from the centre) counting toward -x.
    loop, agent = loop_with(pole_offset=PI, pole_sign=-1, cart_offset=-0.4, cart_sign=-1)
    send(loop, -0.41, PI - 0.02, t_ms=0)
    out = send(loop, -0.414, PI - 0.024, t_ms=20)
    assert out.kind == cl.NEW_EPISODE
    assert agent.steps[-1] == pytest.approx((0.014, 0.2, 0.024, 0.2))
    assert out.force == pytest.approx(2.4)
    # Leaning past 12 degrees: a failure on the observed angle.
    out = send(loop, -0.42, PI - 0.25, t_ms=40)
    assert (out.kind, out.reason) == (cl.FAILED, cartpole_spec.THETA_LIMIT)
    # Hanging reads 0 (theta = pi); a reading of 2 pi + 0.01 (a turn on) is upright again.
    assert send(loop, -0.42, 0.0, t_ms=60).kind == cl.WAITING
    loop, agent = loop_with(pole_offset=PI, pole_sign=-1)
    send(loop, 0.0, 2 * PI + PI - 0.01, t_ms=0, x_dot=0.0, theta_dot=0.0)
    assert agent.steps[-1] == pytest.approx((0.0, 0.0, 0.01, 0.0))


def test_a_pole_reading_through_the_wrap_is_estimated_continuously():
    """A driver that wraps its readings to (-pi, pi], zeroed hanging: upright is at the wrap."""
    loop, agent = loop_with(pole_offset=PI, max_episode_steps=0)
    readings = [PI - 0.015 + 0.006 * k for k in range(6)]  # crosses pi: read as -pi + ...
    for k, reading in enumerate(readings):
        wrapped = reading - 2 * PI if reading > PI else reading
        send(loop, 0.0, wrapped, t_ms=20 * k)
    assert loop.bad_messages == 0 and len(agent.steps) == 5
    assert [s[3] for s in agent.steps] == pytest.approx([0.3] * 5)
    assert [s[2] for s in agent.steps] == pytest.approx([-0.009 + 0.006 * k for k in range(5)])


def test_a_new_time_base_and_a_restart_clear_the_estimator():
    loop, agent = loop_with(watchdog_timeout=0.1)
    for k in range(5):
        send(loop, 0.0, 0.01, t_ms=20 * k, receipt_ms=20 * k)
    waits = loop.estimator_waits
    assert waits == 1
    # The source restarts its stamps: after watchdog_timeout a new time base, whose first
    # state waits for a second reading (differencing across the bases would be nonsense).
    outs = [send(loop, 0.3, 0.01, t_ms=20 * k, t0_ms=0, receipt_ms=100 + 20 * k)
            for k in range(1, 8)]
    kinds = [o.kind for o in outs]
    assert kinds[:5] == [cl.BAD_INPUT] * 5 and kinds[5:] == [cl.ESTIMATING, cl.NEW_EPISODE]
    assert loop.timebase_resets == 1 and loop.estimator_waits == waits + 1
    assert agent.steps[-1][1] == 0.0  # not (0.3 - 0.0) / dt
    loop.restart()  # activation
    assert send(loop, 0.3, 0.01, t_ms=500, t0_ms=0).kind == cl.ESTIMATING


def test_stamped_and_unstamped_streams_do_not_share_a_history():
    loop, agent = loop_with()
    send(loop, 0.0, 0.0, t_ms=0)
    send(loop, 0.0, 0.0, t_ms=20)
    out = loop.process(NAMES, [0.1, 0.0], [NAN, NAN], 0, 5000 * MS)  # unstamped
    assert out.kind == cl.ESTIMATING
    assert loop.process(NAMES, [0.1, 0.0], [NAN, NAN], 0, 5020 * MS).publish
    assert agent.steps[-1][1] == 0.0


def test_a_gap_longer_than_velocity_max_gap_waits_one_reading():
    loop, agent = loop_with(velocity_max_gap=0.05, max_episode_steps=0)
    for k in range(5):
        send(loop, 0.001 * k, 0.0, t_ms=20 * k)
    assert send(loop, 0.5, 0.0, t_ms=200).kind == cl.ESTIMATING  # 120 ms of nothing
    out = send(loop, 0.502, 0.0, t_ms=220)
    assert out.kind == cl.TICK and agent.steps[-1][1] == pytest.approx(0.1)
    assert loop.phase == cl.PHASE_RUNNING and loop.bad_messages == 0


def test_a_jump_beyond_state_limits_restarts_the_estimate_and_is_not_bad_input():
    """A simulator's reset moves the cart 2.4 m in one period (120 m/s): not a velocity."""
    loop, agent = loop_with(max_episode_steps=0)
    send(loop, 2.3, 0.0, t_ms=0)
    send(loop, 2.3, 0.0, t_ms=20)
    out = send(loop, -0.1, 0.0, t_ms=40)
    assert (out.kind, out.force) == (cl.ESTIMATING, 0.0) and loop.estimator_restarts == 1
    out = send(loop, -0.098, 0.0, t_ms=60)  # (at 2.3 m the loop waited for the ready region)
    assert out.kind == cl.NEW_EPISODE and agent.steps[-1][1] == pytest.approx(0.1)
    assert loop.bad_messages == 0 and loop.estimator_waits == 2
    # The same with a reversed sign: the limit holds for either direction.
    loop, _ = loop_with(cart_sign=-1, state_limits=[100.0, 50.0, 1000.0, 1000.0])
    send(loop, 0.0, 0.0, t_ms=0)
    assert send(loop, -1.1, 0.0, t_ms=20).kind == cl.ESTIMATING  # 55 m/s
    assert loop.estimator_restarts == 1 and loop.front.limits == (50.0, 1000.0)


def test_per_joint_sources_are_estimated_from_each_joints_own_readings():
    loop, agent = loop_with(pole_sign=-1, max_episode_steps=0)
    outs = []
    for k in range(50):  # a cart driver and a pole driver, 50 Hz each, 7 ms apart, NaN speeds
        outs.append(feed_joint(loop, CART, 0.01 + 0.004 * k, NAN, t_ms=20 * k))
        outs.append(feed_joint(loop, POLE, -0.001 * (20 * k + 7) / 20, NAN, t_ms=20 * k + 7))
    assert loop.bad_messages == 0 and loop.merged_states == 99
    assert not any(o.kind == cl.BAD_INPUT for o in outs)
    assert sum(o.kind == cl.ESTIMATING for o in outs) == loop.estimator_waits >= 1
    assert len(agent.steps) >= 45
    for _, x_dot, _, theta_dot in agent.steps:
        assert (x_dot, theta_dot) == pytest.approx((0.2, 0.05))  # exact for linear motion


def test_the_parameters_reach_the_front_end_and_changes_keep_the_counters():
    p = dict(cc.defaults(), velocity_estimation='on', velocity_window=0.05,
             velocity_max_gap=0.2, cart_offset=0.1, cart_sign=-1, pole_offset=-1.0, pole_sign=-1)
    assert cc.validate_all(p) is None
    loop, _ = loop_with(**{k: v for k, v in p.items() if k in cl.LoopSettings.__dataclass_fields__})
    config = loop.front.config
    assert (config.velocity_estimation, config.velocity_window, config.velocity_max_gap,
            config.cart_offset, config.cart_sign, config.pole_offset, config.pole_sign) == (
        'on', 0.05, 0.2, 0.1, -1, -1.0, -1)
    assert loop.lookup.velocities == 'ignored'
    send(loop, 0.0, 0.0, t_ms=0)
    send(loop, 0.0, 0.0, t_ms=20)
    counts = (loop.estimated_states, loop.estimator_waits)
    loop.settings.velocity_window = 0.02  # a parameter set on a live node
    loop.apply_settings()
    assert loop.front.config.velocity_window == 0.02
    assert (loop.estimated_states, loop.estimator_waits) == counts == (1, 1)
    assert send(loop, 0.0, 0.0, t_ms=40).kind == cl.ESTIMATING  # a fresh history
    assert send(loop, 0.0, 0.0, t_ms=400).kind == cl.ESTIMATING  # a gap: a restart, counted
    assert loop.estimator_restarts == 2  # cart and pole
    loop.settings.velocity_window = 0.03
    loop.apply_settings()
    assert loop.estimator_restarts == 2  # kept across new settings


@pytest.mark.parametrize('name, value, words', [
    ('velocity_estimation', 'sometimes', "velocity_estimation: must be one of 'auto', 'on'"),
    ('velocity_window', 0.0, 'velocity_window: must be in (0, 1.0] s'),
    ('velocity_max_gap', 100.0, 'velocity_max_gap: must be in'),
    ('cart_offset', 20.0, 'cart_offset: must be in [-10.0, 10.0] m'),
    ('pole_offset', -11.0, 'pole_offset: must be in'),
    ('cart_sign', 0, 'cart_sign: must be the integer 1 or -1'),
    ('pole_sign', 2, 'pole_sign: must be the integer 1 or -1'),
])
def test_bad_sensing_parameters_are_rejected_naming_them(name, value, words):
    p = dict(cc.defaults(), **{name: value})
    reason = cc.validate_parameter(name, value, p)
    assert reason is not None and reason.startswith(words), reason
    assert cc.validate_all(p) is not None


def test_the_status_report_counts_estimated_states():
    from memsnn_controller.snn.agent import Agent

    agent = Agent(cc.build_agent_config(cc.defaults()), seed=1)
    loop, _ = loop_with(agent)
    for k in range(4):
        send(loop, 0.0, 0.01, t_ms=20 * k)
    send(loop, 0.0, 0.01, t_ms=300)  # 220 ms since the last reading: the history restarts
    values = status_report('active', loop, NodeCounters()).values
    assert (values['velocity_estimation'], values['estimated_states'], values['estimator_waits'],
            values['estimator_restarts'], values['bad_messages']) == ('auto', 3, 2, 2, 0)
