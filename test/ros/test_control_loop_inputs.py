"""The control loop against what real robot stacks send: stuck drivers (a stamp that stops
advancing), per-joint sources (one JointState per joint), physically impossible readings, and a
fuzz of every kind of message at once."""

import math

from loop_support import MS, NAMES, feed, feed_joint, loop_with
import numpy as np
import pytest

from memsnn_controller.ros import control_loop as cl
from memsnn_controller.ros import controller_config as cc

CART, POLE = NAMES


# -- a stuck driver ------------------------------------------------------------------------------

def test_a_stamp_that_stops_advancing_trips_the_watchdog_and_answers_zero():
    loop, agent = loop_with(watchdog_timeout=0.1)
    for k in range(10):
        out = feed(loop, t_ms=20 * k, receipt_ms=20 * k)
    assert out.kind == cl.TICK and out.force == pytest.approx(2.0)
    steps = len(agent.steps)
    # The driver freezes: the same state, same stamp, every 20 ms for a second.
    answers = [(r, feed(loop, t_ms=180, receipt_ms=r)) for r in range(200, 1200, 20)]
    for receipt, out in answers:
        assert out.publish and math.isfinite(out.force)
        if receipt - 180 <= 100:  # a retransmission within watchdog_timeout: the same answer
            assert out.kind == cl.DUPLICATE and out.force == pytest.approx(2.0)
        else:
            assert out.force == 0.0, (receipt, out)
    stale = sum(receipt - 180 > 100 for receipt, _ in answers)
    assert loop.watchdog_trips == 1 and loop.watchdog_tripped and loop.stale_messages == stale
    assert len(agent.steps) == steps  # the agent is not stepped on a frozen reading
    # The stamps advance again: the loop resumes.
    out = feed(loop, t_ms=1200, receipt_ms=1200)
    assert out.kind == cl.TICK and not loop.watchdog_tripped and loop.watchdog_trips == 1


def test_silence_trips_the_watchdog_once_and_only_after_a_first_state():
    loop, _ = loop_with(watchdog_timeout=0.1)
    assert not loop.check_watchdog(10**12)  # nothing received yet: not armed
    feed(loop, t_ms=0, receipt_ms=0)
    assert not loop.check_watchdog(100 * MS)
    assert loop.check_watchdog(101 * MS)  # trips: the node publishes 0 N once
    assert not loop.check_watchdog(500 * MS) and loop.watchdog_trips == 1
    feed(loop, t_ms=520, receipt_ms=520)
    assert not loop.watchdog_tripped
    loop.restart()  # activation: disarmed until the next state
    assert not loop.check_watchdog(10**12) and loop.watchdog_trips == 1


# -- per-joint sources ---------------------------------------------------------------------------

def test_per_joint_sources_are_merged_into_one_state_and_never_answered_with_zero():
    loop, agent = loop_with()
    outs = []
    for k in range(50):  # a cart driver and a pole driver, 50 Hz each, 7 ms apart
        outs.append(feed_joint(loop, CART, 0.01 * k, 0.1, t_ms=20 * k))
        outs.append(feed_joint(loop, POLE, 0.02, -0.1, t_ms=20 * k + 7))
    assert outs[0].kind == cl.IGNORED and not outs[0].publish  # no pole reading yet
    assert loop.bad_messages == 0 and loop.merged_states == 99
    published = [o for o in outs if o.publish]
    assert published and all(o.force == pytest.approx(2.0) for o in published)  # never 0 N
    assert 48 <= loop.ticks <= 50
    # The agent saw whole states: the cart's latest reading with the pole's.
    x, x_dot, theta, theta_dot = agent.steps[-1]
    assert (x_dot, theta, theta_dot) == (0.1, 0.02, -0.1) and x in [0.01 * k for k in range(50)]


def test_readings_further_apart_than_the_merge_window_are_not_merged():
    loop, agent = loop_with(merge_window=0.01)
    assert feed_joint(loop, CART, 0.0, 0.0, t_ms=0).kind == cl.IGNORED
    out = feed_joint(loop, POLE, 0.0, 0.0, t_ms=15)
    assert (out.kind, out.publish) == (cl.IGNORED, False)
    assert feed_joint(loop, CART, 0.0, 0.0, t_ms=20).publish  # 5 ms from the pole's: merged
    assert loop.bad_messages == 0 and loop.ignored_messages == 2 and len(agent.steps) == 1


def test_with_merging_off_partial_messages_are_ignored_without_an_answer():
    loop, agent = loop_with(merge_joints=False)
    outs = [feed_joint(loop, joint, 0.0, 0.0, t_ms=10 * k)
            for k, joint in enumerate([CART, POLE] * 5)]
    assert all(o.kind == cl.IGNORED and not o.publish for o in outs)
    assert loop.bad_messages == 0 and loop.ignored_messages == 10 and not agent.steps
    assert feed(loop, t_ms=200).kind == cl.NEW_EPISODE  # whole messages still work


def test_messages_without_the_cart_pole_joints_are_ignored():
    loop, _ = loop_with()
    out = loop.process(['wheel_left', 'wheel_right'], [0.0, 1.0], [0.0, 1.0], MS, MS)
    assert (out.kind, out.publish) == (cl.IGNORED, False) and loop.bad_messages == 0


# -- impossible readings -------------------------------------------------------------------------

@pytest.mark.parametrize('obs', [(0.0, 1e300, 0.0, 0.0), (-1e300, 0.0, 0.0, 0.0),
                                 (0.0, 0.0, 2e3, 0.0), (0.0, 0.0, 0.0, -1e4)])
def test_physically_impossible_readings_are_bad_input(obs):
    loop, agent = loop_with()
    feed(loop, t_ms=0)
    steps = len(agent.steps)
    out = feed(loop, obs, t_ms=20)
    assert (out.kind, out.publish, out.force, out.reason) == (cl.BAD_INPUT, True, 0.0,
                                                              'implausible')
    assert len(agent.steps) == steps and 'implausible' in loop.bad_by_reason
    out = feed_joint(loop, CART, obs[0], obs[1], t_ms=40)  # in a per-joint message too
    assert (obs[0], obs[1]) == (0.0, 0.0) or out.reason == 'implausible'


def test_state_limits_are_configurable_and_failures_stay_failures():
    loop, _ = loop_with(state_limits=[3.0, 5.0, 1.0, 20.0])
    feed(loop, t_ms=0)
    assert feed(loop, (2.9, 0.0, 0.0, 0.0), t_ms=20).kind == cl.FAILED  # a real failure
    assert feed(loop, (3.1, 0.0, 0.0, 0.0), t_ms=40).reason == 'implausible'
    assert feed(loop, (0.0, 5.5, 0.0, 0.0), t_ms=60).reason == 'implausible'


# -- the fuzz ------------------------------------------------------------------------------------

BAD_KINDS = {'nan': 'non_finite', 'huge': 'implausible', 'joint_nan': 'non_finite',
             'joint_huge': 'implausible', 'empty': 'empty', 'lengths': 'length_mismatch',
             'repeated_name': 'duplicate_joint', 'backwards': 'time_backwards',
             'negative_stamp': 'negative_stamp'}
KINDS = {'good': 40, 'cart': 8, 'pole': 8, 'fail': 2, 'foreign': 3, 'unstamped': 2,
         'stuck': 1, 'nan': 5, 'huge': 5, 'joint_nan': 2, 'joint_huge': 2, 'empty': 2,
         'lengths': 2, 'repeated_name': 2, 'backwards': 2, 'negative_stamp': 1}
WATCHDOG_S = 0.05


def _messages(count, seed):
    """(kind, names, positions, velocities, stamp_ns, receipt_ns) for ``count`` messages."""
    rng = np.random.default_rng(seed)
    kinds = list(KINDS)
    weights = np.array([KINDS[k] for k in kinds], float)
    receipt = 10**9
    out = []
    while len(out) < count:
        receipt += int(rng.integers(200_000, 1_000_000))  # 1-5 kHz
        stamp = receipt + 7 * 10**9
        kind = kinds[rng.choice(len(kinds), p=weights / weights.sum())]
        obs = [rng.uniform(-0.3, 0.3), rng.uniform(-0.4, 0.4), rng.uniform(-0.1, 0.1),
               rng.uniform(-0.4, 0.4)]
        names = list(NAMES)
        if kind == 'stuck' and out and out[-1][0] == 'good':
            # The driver repeats its last message for longer than the watchdog timeout.
            _, n, p, v, s, first = out[-1]
            while receipt - first < (WATCHDOG_S + 0.03) * 1e9:
                out.append(('stuck', n, p, v, s, receipt))
                receipt += int(rng.integers(1_000_000, 3_000_000))
            continue
        if kind in ('stuck', 'fail'):
            kind, obs[2] = 'fail', float(rng.choice([-0.3, 0.3]))
        if kind == 'backwards' and not (out and out[-1][0] == 'good'):
            kind = 'good'  # before a stamped state the loop took: not after a time-base switch
        if kind in ('nan', 'huge'):
            obs[rng.integers(4)] = (float(rng.choice([math.nan, math.inf, -math.inf]))
                                    if kind == 'nan' else float(rng.choice([1e300, -1e12])))
        if kind == 'backwards':
            stamp -= 50 * MS
        elif kind == 'negative_stamp':
            stamp = -stamp
        elif kind == 'unstamped':
            stamp = 0
        positions, velocities = [obs[0], obs[2]], [obs[1], obs[3]]
        if kind in ('cart', 'pole', 'joint_nan', 'joint_huge'):
            joint = int(rng.integers(2)) if kind.startswith('joint') else int(kind == 'pole')
            names, positions, velocities = [names[joint]], [positions[joint]], \
                [velocities[joint]]
            if kind == 'joint_nan':
                velocities[0] = math.nan
            elif kind == 'joint_huge':
                positions[0] = 1e300
        elif kind == 'foreign':
            names = ['wheel']
            positions, velocities = positions[:1], velocities[:1]
        elif kind == 'empty':
            names, positions, velocities = [], [], []
        elif kind == 'lengths':
            velocities = velocities[:1]
        elif kind == 'repeated_name':
            names, positions, velocities = names + [CART], positions + [0.0], velocities + [0.0]
        elif rng.random() < 0.3:  # whole messages in another order, with another joint
            names, positions, velocities = ([POLE, 'wheel', CART], [obs[2], 9.0, obs[0]],
                                            [obs[3], 9.0, obs[1]])
        out.append((kind, names, positions, velocities, stamp, receipt))
    return out


def _nan_velocity_only(kind, positions, velocities):
    """Whether a bad message's only fault is a NaN velocity (absent: estimated with 'auto')."""
    return kind in ('nan', 'joint_nan') and all(map(math.isfinite, positions)) and \
        any(map(math.isnan, velocities)) and \
        all(math.isnan(v) or abs(v) < 1e3 for v in velocities)


@pytest.mark.parametrize('estimation', ['off', 'auto'])
def test_fuzz_commands_stay_finite_and_bounded_and_every_message_is_counted(estimation):
    from memsnn_controller.snn.agent import Agent

    force_limit = 3.0
    agent = Agent(cc.build_agent_config(dict(cc.defaults(), force_limit=force_limit)), seed=0)
    loop, _ = loop_with(agent, force_limit=force_limit, watchdog_timeout=WATCHDOG_S,
                        velocity_estimation=estimation)
    messages = _messages(12_000, seed=5)
    generated = {}
    stale = 0
    bursts = 0
    previous_kind = None
    # With 'auto' a NaN velocity is absent, not bad: it is estimated from the positions, which
    # jump at random here, so the estimate is often a jump (the history starts afresh: 0 N).
    estimated = {}
    for kind, names, positions, velocities, stamp, receipt in messages:
        generated[kind] = generated.get(kind, 0) + 1
        out = loop.process(names, positions, velocities, stamp, receipt)
        if out.publish:
            assert math.isfinite(out.force) and abs(out.force) <= force_limit, (kind, out)
        if estimation == 'auto' and _nan_velocity_only(kind, positions, velocities):
            assert out.kind != cl.BAD_INPUT, (kind, out)
            estimated[out.kind] = estimated.get(out.kind, 0) + 1
            generated[kind] -= 1
            generated['estimated'] = generated.get('estimated', 0) + 1
        elif kind in BAD_KINDS:
            assert (out.kind, out.reason, out.force, out.publish) == (
                cl.BAD_INPUT, BAD_KINDS[kind], 0.0, True), (kind, out)
        elif kind == 'foreign':
            assert out.kind == cl.IGNORED and not out.publish
        elif kind in ('cart', 'pole'):  # merged or ignored, never a 0 N for being partial
            assert out.kind not in (cl.BAD_INPUT, cl.STALE), (kind, out)
        elif kind == 'stuck':
            bursts += previous_kind != 'stuck'
            if out.kind == cl.STALE:
                stale += 1
                assert out.publish and out.force == 0.0
            else:
                assert out.kind == cl.DUPLICATE
        previous_kind = kind
    assert set(generated) - {'estimated'} == set(KINDS)
    assert loop.messages == len(messages) >= 10_000
    expected_bad = {}
    for kind, reason in BAD_KINDS.items():
        expected_bad[reason] = expected_bad.get(reason, 0) + generated[kind]
    if estimation == 'auto':  # estimated and used, or waiting after a jump
        assert estimated.get(cl.ESTIMATING, 0) > 0 and loop.estimated_states > 0, estimated
        assert loop.estimator_restarts > 0
    else:
        assert 'estimated' not in generated and loop.estimated_states == 0
    assert loop.bad_by_reason == expected_bad
    assert loop.bad_messages == sum(expected_bad.values())
    assert loop.ignored_messages >= generated['foreign'] and loop.merged_states > 0
    assert bursts > 20 and loop.watchdog_trips == bursts and loop.stale_messages == stale > 0
    assert loop.ticks == agent.total_steps > 100 and len(agent.episode_lengths) > 5
    state = agent.export_state()
    assert all(np.all(np.isfinite(a)) for a in state.values() if a.dtype.kind == 'f')
