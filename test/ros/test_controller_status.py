"""The controller's status report, built without a node: from a real agent and control loop."""

import math

import pytest

from memsnn_controller.ros import control_loop as cl
from memsnn_controller.ros import controller_config as cc
from memsnn_controller.ros.controller_status import NodeCounters, status_report

MS = 1_000_000
NAMES = ['slider_to_cart', 'cart_to_pole']
NODE_KEYS = ('state', 'watchdog_trips', 'watchdog_tripped', 'errors', 'fault', 'saves',
             'checkpoint_path')
LOOP_KEYS = ('phase', 'learning', 'episodes', 'last_length', 'trailing100_mean',
             'episode_steps', 'steps', 'messages', 'ticks', 'skipped', 'duplicates',
             'stale_messages', 'bad_messages', 'last_bad', 'ignored_messages', 'last_ignored',
             'merged_states', 'overruns', 'latency_samples', 'latency_p50_ms', 'latency_p99_ms',
             'latency_max_ms', 'timebase_resets', 'total_writes', 'synapses',
             'writes_per_synapse', 'failed_devices', 'control_period', 'velocity_estimation',
             'estimated_states', 'estimator_waits', 'estimator_restarts')
OK, WARN, ERROR, STALE = 0, 1, 2, 3  # diagnostic_msgs/DiagnosticStatus levels


@pytest.fixture(scope='module')
def loop():
    """A loop that ticked five times, answered each within 1-5 ms and saw one bad message."""
    from memsnn_controller.snn.agent import Agent

    agent = Agent(cc.build_agent_config(cc.defaults()), seed=2)
    loop = cl.ControlLoop(agent, cl.LoopSettings())
    for k in range(5):
        stamp = (1000 + 20 * k) * MS
        loop.process(NAMES, [0.01, 0.01], [0.0, 0.0], stamp, stamp)
        loop.record_latency((k + 1) * MS)
    loop.process(NAMES, [math.nan, 0.0], [0.0, 0.0], 1100 * MS, 1100 * MS)
    return loop


def test_without_an_agent_only_the_nodes_counters():
    report = status_report('unconfigured', None, NodeCounters(saves=2, checkpoint_path='/a'))
    assert (report.level, report.message, report.troubles) == (OK, 'unconfigured: no agent',
                                                               None)
    assert tuple(report.values) == NODE_KEYS
    assert report.values['saves'] == 2 and report.values['checkpoint_path'] == '/a'


def test_a_periodic_report_holds_the_loop_and_warns_on_new_troubles(loop):
    latency = loop.latency.take()
    report = status_report('active', loop, NodeCounters(), latency, previous=(0, 0, 0, 0))
    values = report.values
    assert tuple(values)[:len(NODE_KEYS) + len(LOOP_KEYS)] == NODE_KEYS + LOOP_KEYS
    assert values['bad_non_finite'] == 1  # one value per reason seen
    assert (values['ticks'], values['messages'], values['bad_messages']) == (5, 6, 1)
    assert values['steps'] == 5 and values['phase'] == loop.phase
    assert (values['latency_samples'], values['latency_p50_ms'], values['latency_max_ms']) == (
        5, '3.0000', '5.0000')
    assert values['synapses'] == loop.agent.network.n_in * loop.agent.network.n_post
    assert values['failed_devices'] == 0  # no endurance limit by default
    assert report.troubles == (1, 0, 0, 0) and report.level == WARN  # a bad message since
    assert report.message == f'active, {loop.phase}: 0 episodes, last 0, trailing-100 0.0'

    again = status_report('active', loop, NodeCounters(), loop.latency.take(), report.troubles)
    assert again.level == OK and again.values['latency_samples'] == 0


def test_levels_as_diagnostic_msgs_means_them():
    from memsnn_controller.snn.agent import Agent

    loop = cl.ControlLoop(Agent(cc.build_agent_config(cc.defaults()), seed=2), cl.LoopSettings(
        watchdog_timeout=0.1))
    latency = (0, 0.0, 0.0, 0.0)
    # Active but no joint state received yet: the data is stale, not OK.
    report = status_report('active', loop, NodeCounters(), latency, (0, 0, 0, 0))
    assert report.level == STALE and 'no joint state received' in report.message
    assert status_report('inactive', loop, NodeCounters()).level == OK
    loop.process(NAMES, [0.0, 0.0], [0.0, 0.0], 1000 * MS, 1000 * MS)
    assert status_report('active', loop, NodeCounters(), latency, (0, 0, 0, 0)).level == OK
    # A tripped watchdog (here: silence) warns, periodic or not.
    assert loop.check_watchdog(1200 * MS)
    report = status_report('active', loop, NodeCounters(), latency, (0, 0, 1, 0))
    assert report.level == WARN and report.values['watchdog_trips'] == 1
    assert report.message.endswith('; watchdog: no fresh joint states')
    assert status_report('active', loop, NodeCounters()).level == WARN
    # A fault is an error until the agent is dropped, in every report.
    faulted = NodeCounters(errors=1, fault='the agent returned a non-finite force')
    for state, lp in (('active', loop), ('inactive', loop), ('inactive', None)):
        report = status_report(state, lp, faulted, None)
        assert report.level == ERROR and 'non-finite force' in report.message
        assert report.values['fault'] == faulted.fault
