"""The controller's logic without spinning: conversions, bad input, decimation, episodes."""

import math

from loop_support import MS, NAMES, feed, make_loop
import numpy as np
import pytest
from std_msgs.msg import Float64MultiArray

from memsnn_controller.envs import cartpole_spec
from memsnn_controller.ros import control_loop as cl
from memsnn_controller.ros import controller_config as cc
from memsnn_controller.ros import conversions
from memsnn_controller.snn.agent import EpisodeSummary

# -- conversions ----------------------------------------------------------------------------------

def test_lookup_finds_joints_by_name_in_any_order_ignoring_others():
    lookup = conversions.JointLookup()
    obs, code, _ = lookup.observation(['wheel', 'cart_to_pole', 'slider_to_cart'],
                                      [9.0, 0.2, 1.5], [8.0, -0.3, 0.7])
    assert code is None and obs == (1.5, 0.7, 0.2, -0.3)
    # the cache follows a changed name order
    obs, _, _ = lookup.observation(NAMES, [1.0, 2.0], [3.0, 4.0])
    assert obs == (1.0, 3.0, 2.0, 4.0)
    custom = conversions.JointLookup('rail', 'hinge')
    assert custom.observation(['hinge', 'rail'], [1, 2], [3, 4])[0] == (2, 4, 1, 3)


@pytest.mark.parametrize('names, positions, velocities, code', [
    ([], [], [], conversions.BAD_EMPTY),
    (NAMES, [], [], conversions.BAD_EMPTY),
    (NAMES, [0.0, 0.0], [], conversions.BAD_EMPTY),
    (NAMES, [0.0], [0.0, 0.0], conversions.BAD_LENGTHS),
    (NAMES, [0.0, 0.0], [0.0, 0.0, 0.0], conversions.BAD_LENGTHS),
    (['slider_to_cart', 'other'], [0.0, 0.0], [0.0, 0.0], conversions.BAD_MISSING_JOINT),
    (['cart_to_pole'], [0.0], [0.0], conversions.BAD_MISSING_JOINT),
    (['slider_to_cart', 'cart_to_pole', 'slider_to_cart'], [0.0] * 3, [0.0] * 3,
     conversions.BAD_DUPLICATE_JOINT),
    (NAMES, [math.nan, 0.0], [0.0, 0.0], conversions.BAD_NON_FINITE),
    (NAMES, [0.0, math.inf], [0.0, 0.0], conversions.BAD_NON_FINITE),
    (NAMES, [0.0, 0.0], [-math.inf, 0.0], conversions.BAD_NON_FINITE),
    (NAMES, [0.0, 0.0], [0.0, math.nan], conversions.BAD_NON_FINITE),
])
def test_lookup_rejects_bad_joint_states(names, positions, velocities, code):
    obs, got, reason = conversions.JointLookup().observation(names, positions, velocities)
    assert obs is None and got == code and reason


def test_command_from_force():
    msg = conversions.command_from_force(-3.5)
    assert isinstance(msg, Float64MultiArray) and list(msg.data) == [-3.5]
    assert conversions.force_from_command(msg) == (-3.5, '')
    with pytest.raises(ValueError, match='finite'):
        conversions.command_from_force(math.nan)


def test_episode_end_status():
    end = cl.EpisodeEnd(EpisodeSummary(7, 42, -1.0, 120, True, False), 'theta_limit', 0.84,
                        2_500_000_000, 0.01)
    status = conversions.episode_end_status(end, 'memsnn_controller: episode')
    values = conversions.diagnostic_values(status)
    assert values == {'index': '7', 'length': '42', 'total_reward': '-1', 'writes': '120',
                      'writes_per_synapse': '0.01', 'terminated': 'true', 'truncated': 'false',
                      'reason': 'theta_limit', 'wall_s': '0.840000', 'end_stamp': '2.500000'}
    assert status.name == 'memsnn_controller: episode' and '42 steps' in status.message


# -- parameters and the agent configuration --------------------------------------------------------

def test_defaults_are_valid_and_give_the_continuous_decoder():
    p = cc.defaults()
    assert cc.validate_all(p) is None
    config = cc.build_agent_config(p)
    assert (config.control_period, config.neuron.dt_ms, config.actor.decoder) == (
        0.02, 1.0, 'continuous')
    assert config.substeps == 20


def test_at_240_hz_the_network_runs_its_20_steps_and_the_constants_keep_their_meaning():
    from memsnn_controller.snn.network import Network

    config = cc.build_agent_config(dict(cc.defaults(), control_period=1 / 240))
    assert config.substeps == 20 and config.neuron.dt_ms == 1.0
    net = Network(config, 0)
    r = (1 / 240) / 0.02
    assert net.params['gamma'] == pytest.approx(0.95 ** r)
    assert net.params['dead_zone'] == pytest.approx(config.learning.dead_zone * r)
    assert net.params['pre_norm'] == pytest.approx(4.0 / r)


def test_node_parameters_then_overrides_shape_the_agent():
    p = dict(cc.defaults(), reward='angle', device='nc', decoder='discrete', force_limit=5.0,
             agent_overrides=['actor.eta=0.05', 'device.levels=16'])
    config = cc.build_agent_config(p)
    assert (config.reward.name, config.device.model, config.actor.decoder) == (
        'angle', 'nc', 'discrete')
    assert (config.actor.force_limit, config.actor.eta, config.device.levels) == (5.0, 0.05, 16)


@pytest.mark.parametrize('name, value, words', [
    ('control_period', 0.0, 'control_period: must be in'),
    ('reward', 'cookies', 'reward: must be'),
    ('device', 'flash', 'device: must be one of'),
    ('decoder', 'analog', 'decoder: must be one of'),
    ('seed', -2, 'seed: must be in'),
    ('agent_config', '/no/such/file.yaml', 'agent_config: must be'),
    ('agent_overrides', ['no_equals_sign'], 'agent_overrides: has a bad entry'),
    ('agent_overrides', ['actor.eta=-1'], 'actor.eta'),
    ('agent_overrides', ['control_period=0.04'], 'control_period'),
    ('force_limit', -1.0, 'force_limit: must be in'),
    ('watchdog_timeout', 0.0, 'watchdog_timeout: must be in'),
    ('ready_x', 2.4, 'ready_x: must stay below x_threshold'),
    ('theta_threshold', 0.05, 'theta_threshold: must stay above ready_theta'),
    ('pole_joint', 'slider_to_cart', 'must differ'),
    ('cart_joint', ' ', 'non-empty'),
    ('tick_tolerance', 0.9, 'tick_tolerance: must be in'),
])
def test_bad_parameter_values_are_rejected_with_a_reason(name, value, words):
    p = dict(cc.defaults(), **{name: value})
    reason = cc.validate_parameter(name, value, p)
    assert reason is not None and words in reason, reason
    assert cc.validate_all(p) is not None


def test_every_parameter_has_a_description():
    assert all(len(spec.description) > 15 for spec in cc.PARAMETERS)
    assert len({spec.name for spec in cc.PARAMETERS}) == len(cc.PARAMETERS)


# -- the loop: decimation and time ---------------------------------------------------------------

def test_lockstep_stream_ticks_on_every_state_and_clips_the_force():
    loop, agent = make_loop(force_limit=2.0)
    outs = [feed(loop, (0.0, 0.0, theta, 0.0), t_ms=20.0 * k)
            for k, theta in enumerate((0.01, 0.03, -0.05, 0.0))]
    assert [o.kind for o in outs] == [cl.NEW_EPISODE, cl.TICK, cl.TICK, cl.TICK]
    assert [o.force for o in outs] == [1.0, 2.0, -2.0, 0.0]
    assert all(o.publish for o in outs) and len(agent.steps) == 4 and agent.resets == 1


@pytest.mark.parametrize('rate_hz, jitter_ms', [(1000, 0.0), (240, 0.0), (50, 0.0),
                                                (50, 3.0), (200, 0.3), (1000, 0.2)])
def test_decimation_to_the_control_rate(rate_hz, jitter_ms):
    loop, agent = make_loop()
    rng = np.random.default_rng(1)
    seconds = 4.0
    count = round(seconds * rate_hz)
    times = np.arange(count) * 1000.0 / rate_hz + rng.uniform(-jitter_ms, jitter_ms, count)
    times[0] = 0.0
    kinds = [feed(loop, t_ms=t).kind for t in np.sort(times)]
    ticks = sum(k in (cl.TICK, cl.NEW_EPISODE) for k in kinds)
    assert abs(ticks - 50 * seconds) <= 2, ticks
    assert kinds.count(cl.SKIP) == count - ticks
    assert len(agent.steps) == ticks
    tick_times = np.sort(times)[[k != cl.SKIP for k in kinds]]
    gaps = np.diff(tick_times)
    assert gaps.min() > 20.0 * (1 - 0.25) - 2 * jitter_ms - 1e-9
    assert gaps.max() < 20.0 + 1000.0 / rate_hz + 2 * jitter_ms + 1e-9


def test_duplicates_get_the_same_answer_and_step_nothing():
    loop, agent = make_loop()
    first = feed(loop, (0.0, 0.0, 0.01, 0.0), t_ms=0)
    again = feed(loop, (0.0, 0.0, 0.03, 0.0), t_ms=0)  # same stamp: a duplicate
    assert again.kind == cl.DUPLICATE and again.publish and again.force == first.force
    skipped = feed(loop, t_ms=5)
    assert skipped.kind == cl.SKIP and not skipped.publish
    dup_of_skip = feed(loop, t_ms=5)
    assert dup_of_skip.kind == cl.DUPLICATE and not dup_of_skip.publish
    assert len(agent.steps) == 1 and loop.duplicates == 2


def test_dropped_messages_and_late_streams_still_tick():
    loop, agent = make_loop()
    kinds = [feed(loop, t_ms=t).kind for t in (0, 20, 100, 120, 125, 141, 170)]
    # 100: a gap (dropped states) re-anchors the grid; 125 is early; 141 >= 140 - 5
    assert kinds == [cl.NEW_EPISODE, cl.TICK, cl.TICK, cl.TICK, cl.SKIP, cl.TICK, cl.TICK]


def test_time_going_backwards_is_bad_input_until_the_source_restarts():
    loop, agent = make_loop(watchdog_timeout=0.5)
    for k in range(5):
        feed(loop, t_ms=1000 + 20 * k, receipt_ms=20 * k)
    steps = len(agent.steps)
    out = feed(loop, t_ms=500, receipt_ms=100)
    assert out.kind == cl.BAD_INPUT and out.reason == cl.BAD_TIME_BACKWARDS and out.publish
    assert out.force == 0.0 and len(agent.steps) == steps and loop.phase == cl.PHASE_RUNNING
    # A restarted source: stamps keep running backwards for 0.5 s of receipt time.
    for k in range(1, 25):
        assert feed(loop, t_ms=20 * k, receipt_ms=100 + 20 * k).kind == cl.BAD_INPUT
    out = feed(loop, t_ms=520, receipt_ms=620)
    assert out.kind == cl.NEW_EPISODE and loop.timebase_resets == 1 and loop.abandoned == 1
    assert feed(loop, t_ms=540, receipt_ms=640).kind == cl.TICK


def test_stamp_zero_means_receipt_time_and_a_sim_starting_at_zero_works():
    loop, _ = make_loop()
    # Unstamped: decimated on receipt time.
    kinds = [feed(loop, t_ms=0, t0_ms=0, receipt_ms=r).kind for r in (0, 10, 20, 30, 40)]
    assert kinds == [cl.NEW_EPISODE, cl.SKIP, cl.TICK, cl.SKIP, cl.TICK]
    # A simulator's first state is stamped 0 (taken as unstamped), the next 20 ms: switching
    # to stamps starts a new time base, so both are answered.
    loop, _ = make_loop()
    kinds = [feed(loop, t_ms=t, t0_ms=0, receipt_ms=5000 + t / 10).kind for t in (0, 20, 40)]
    assert kinds == [cl.NEW_EPISODE, cl.TICK, cl.TICK]
    assert feed(loop, t_ms=-1, t0_ms=0).reason == cl.BAD_NEGATIVE_STAMP
    # A new time base restarts the ready hold.
    loop, _ = make_loop(ready_hold=0.03)
    kinds = [feed(loop, t_ms=t, t0_ms=0, receipt_ms=5000 + t).kind for t in (0, 20, 40, 60)]
    assert kinds == [cl.WAITING, cl.WAITING, cl.WAITING, cl.NEW_EPISODE]


# -- the loop: bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize('names, positions, velocities', [
    (NAMES + ['cart_to_pole'], [0.0] * 3, [0.0] * 3),
    (NAMES, [math.nan, 0.0], [0.0, 0.0]),
    (NAMES, [0.0, 0.0], [0.0, math.inf]),
    (NAMES, [0.0], [0.0, 0.0]),
    ([], [], []),
    (NAMES, [0.0, 0.0], []),
])
def test_bad_input_is_counted_and_answered_with_zero_touching_nothing(names, positions,
                                                                      velocities):
    loop, agent = make_loop()
    feed(loop, t_ms=0)
    feed(loop, t_ms=20)
    before = (len(agent.steps), agent.resets, len(agent.ended), loop.phase, loop.episode_steps)
    out = loop.process(names, positions, velocities, 40 * MS, 40 * MS)
    assert out.kind == cl.BAD_INPUT and out.publish and out.force == 0.0 and out.detail
    assert loop.bad_messages == 1 and sum(loop.bad_by_reason.values()) == 1
    assert (len(agent.steps), agent.resets, len(agent.ended), loop.phase,
            loop.episode_steps) == before
    # the next good state is a tick again
    assert feed(loop, t_ms=40).kind == cl.TICK


def test_bad_input_leaves_a_real_agents_learning_state_untouched():
    from memsnn_controller.snn.agent import Agent

    agent = Agent(cc.build_agent_config(cc.defaults()), seed=3)
    loop = cl.ControlLoop(agent, cl.LoopSettings())
    for k in range(5):
        feed(loop, (0.01, 0.02, 0.01 * k, 0.0), t_ms=20 * k)
    before = agent.export_state()
    steps = agent.total_steps
    for names, pos, vel in ((NAMES, [math.nan, 0.0], [0.0, 0.0]), (NAMES, [0.0], [0.0, 0.0]),
                            (['x'], [0.0], [0.0])):
        assert loop.process(names, pos, vel, 100 * MS, 100 * MS).force == 0.0
    assert loop.process(NAMES, [0.0, 0.0], [0.0, 0.0], 10 * MS, 100 * MS).kind == cl.BAD_INPUT
    after = agent.export_state()
    assert agent.total_steps == steps
    assert all(np.array_equal(before[k], after[k]) for k in before)  # untouched, not recomputed


# -- the loop: episodes ----------------------------------------------------------------------------

def test_failure_ends_the_episode_then_waits_for_the_ready_region():
    loop, agent = make_loop()
    t = iter(range(0, 10**6, 20))
    assert feed(loop, t_ms=next(t)).kind == cl.NEW_EPISODE
    assert feed(loop, t_ms=next(t)).kind == cl.TICK
    out = feed(loop, (0.5, 0.0, 0.25, 1.0), t_ms=next(t))
    assert (out.kind, out.force, out.reason) == (cl.FAILED, 0.0, cartpole_spec.THETA_LIMIT)
    assert out.episode.summary.terminated and out.episode.summary.length == 2
    assert agent.ended[-1] == ((0.5, 0.0, 0.25, 1.0), True, False)
    # Back inside the thresholds but not ready: still waiting.
    for obs in ((0.5, 0.0, 0.15, 0.0), (0.6, 0.0, 0.0, 0.0), (0.0, 0.6, 0.0, 0.0),
                (0.0, 0.0, 0.0, 0.6)):
        out = feed(loop, obs, t_ms=next(t))
        assert (out.kind, out.publish, out.force) == (cl.WAITING, True, 0.0)
    assert feed(loop, (0.05, -0.05, 0.05, -0.05), t_ms=next(t)).kind == cl.NEW_EPISODE
    out = feed(loop, (2.5, 0.0, 0.0, 0.0), t_ms=next(t))
    assert out.reason == cartpole_spec.X_LIMIT and agent.resets == 2


def test_the_simulators_start_range_counts_as_ready():
    loop, _ = make_loop()
    for corner in ((0.05, 0.05, 0.05, 0.05), (-0.05, -0.05, -0.05, -0.05)):
        assert loop._ready(corner)


def test_failure_between_ticks_is_answered_at_once():
    loop, _ = make_loop()
    feed(loop, t_ms=0)
    assert feed(loop, t_ms=1).kind == cl.SKIP
    out = feed(loop, (0.0, 0.0, -0.3, 0.0), t_ms=2)
    assert out.kind == cl.FAILED and out.publish and out.force == 0.0


def test_truncation_then_a_new_episode_at_the_next_tick():
    loop, agent = make_loop(max_episode_steps=3)
    kinds = [feed(loop, t_ms=20 * k).kind for k in range(9)]
    assert kinds == [cl.NEW_EPISODE, cl.TICK, cl.TICK, cl.TRUNCATED,
                     cl.NEW_EPISODE, cl.TICK, cl.TICK, cl.TRUNCATED, cl.NEW_EPISODE]
    assert agent.episode_lengths == [3, 3] and agent.ended[0][1:] == (False, True)
    # After a truncation a state within the thresholds restarts at once, even if not "ready"
    loop, agent = make_loop(max_episode_steps=1)
    feed(loop, t_ms=0)
    assert feed(loop, t_ms=20).kind == cl.TRUNCATED
    assert feed(loop, (1.0, 0.0, 0.15, 0.0), t_ms=40).kind == cl.NEW_EPISODE
    # ... but a failed one waits for the ready region
    assert feed(loop, t_ms=60).kind == cl.TRUNCATED
    assert feed(loop, (0.0, 0.0, 0.3, 0.0), t_ms=80).kind == cl.WAITING
    # no limit
    loop, agent = make_loop(max_episode_steps=0)
    assert all(feed(loop, t_ms=20 * k).kind != cl.TRUNCATED for k in range(600))


def test_ready_hold():
    loop, _ = make_loop(ready_hold=0.05)
    kinds = [feed(loop, t_ms=20 * k).kind for k in range(5)]
    assert kinds == [cl.WAITING, cl.WAITING, cl.WAITING, cl.NEW_EPISODE, cl.TICK]


def test_restart_abandons_the_episode_without_recording_it():
    loop, agent = make_loop()
    for k in range(3):
        feed(loop, t_ms=20 * k)
    loop.restart()
    assert loop.phase == cl.PHASE_WAITING and loop.abandoned == 1 and agent.episode_lengths == []
    assert feed(loop, t_ms=0).kind == cl.NEW_EPISODE  # a new time base: no "backwards"


def test_latency_statistics_and_overruns():
    loop, _ = make_loop(control_period=0.004)
    for ms in (0.1, 0.2, 0.3, 5.0):
        loop.record_latency(round(ms * MS))
    samples, p50, p99, worst = loop.latency.take()
    assert samples == 4 and p50 == pytest.approx(0.25) and worst == pytest.approx(5.0)
    assert 0.3 < p99 <= 5.0 and loop.overruns == 1
    assert loop.latency.take() == (0, 0.0, 0.0, 0.0)


def test_episode_lengths_agree_with_the_simulator_in_lockstep():
    """The loop and a real agent against the simulation, no ROS: same episode lengths."""
    from memsnn_controller.envs.simulation import CartPoleSimulation
    from memsnn_controller.snn.agent import Agent

    agent = Agent(cc.build_agent_config(cc.defaults()), seed=1)
    loop = cl.ControlLoop(agent, cl.LoopSettings(max_episode_steps=30))
    sim_lengths = []
    with CartPoleSimulation(max_episode_steps=30, seed=1) as sim:
        while len(sim_lengths) < 12:
            out = loop.process(NAMES, [sim.observation[0], sim.observation[2]],
                               [sim.observation[1], sim.observation[3]], sim.time_ns, 0)
            assert out.publish
            report = sim.tick(out.force)
            if report is not None:
                sim_lengths.append(report.length)
    # The loop sees each episode's last state one message after the simulator ends it.
    out = loop.process(NAMES, [sim.observation[0], sim.observation[2]],
                       [sim.observation[1], sim.observation[3]], sim.time_ns, 0)
    assert agent.episode_lengths == sim_lengths
