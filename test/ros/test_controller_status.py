"""The controller's status report, built without a node: from a real agent and control loop."""

import pytest

from memsnn_controller.ros import control_loop as cl
from memsnn_controller.ros import controller_config as cc
from memsnn_controller.ros.controller_status import NodeCounters, status_report

MS = 1_000_000
NAMES = ['slider_to_cart', 'cart_to_pole']
NODE_KEYS = ('state', 'watchdog_trips', 'watchdog_tripped', 'errors', 'saves',
             'checkpoint_path')
LOOP_KEYS = ('phase', 'learning', 'episodes', 'last_length', 'trailing100_mean',
             'episode_steps', 'steps', 'messages', 'ticks', 'skipped', 'duplicates',
             'bad_messages', 'last_bad', 'overruns', 'latency_samples', 'latency_p50_ms',
             'latency_p99_ms', 'latency_max_ms', 'timebase_resets', 'total_writes', 'synapses',
             'writes_per_synapse', 'control_period')


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
    loop.process(['x'], [0.0], [0.0], 1100 * MS, 1100 * MS)
    return loop


def test_without_an_agent_only_the_nodes_counters():
    report = status_report('unconfigured', None, NodeCounters(saves=2, checkpoint_path='/a'))
    assert (report.warn, report.message, report.troubles) == (False, 'unconfigured: no agent',
                                                               None)
    assert tuple(report.values) == NODE_KEYS
    assert report.values['saves'] == 2 and report.values['checkpoint_path'] == '/a'


def test_a_periodic_report_holds_the_loop_and_warns_on_new_troubles(loop):
    latency = loop.latency.take()
    report = status_report('active', loop, NodeCounters(), latency, previous=(0, 0, 0, 0))
    values = report.values
    assert tuple(values)[:len(NODE_KEYS) + len(LOOP_KEYS)] == NODE_KEYS + LOOP_KEYS
    assert values['bad_missing_joint'] == 1  # one value per reason seen
    assert (values['ticks'], values['messages'], values['bad_messages']) == (5, 6, 1)
    assert values['steps'] == 5 and values['phase'] == loop.phase
    assert (values['latency_samples'], values['latency_p50_ms'], values['latency_max_ms']) == (
        5, '3.0000', '5.0000')
    assert values['synapses'] == loop.agent.network.n_in * loop.agent.network.n_post
    assert report.troubles == (1, 0, 0, 0) and report.warn  # a bad message since (0, 0, 0, 0)
    assert report.message == f'active, {loop.phase}: 0 episodes, last 0, trailing-100 0.0'

    again = status_report('active', loop, NodeCounters(), loop.latency.take(), report.troubles)
    assert not again.warn and again.values['latency_samples'] == 0


def test_a_tripped_watchdog_warns_and_a_transition_report_never_does(loop):
    tripped = NodeCounters(watchdog_trips=1, watchdog_tripped=True)
    periodic = status_report('active', loop, tripped, (0, 0.0, 0.0, 0.0), (1, 0, 1, 0))
    assert periodic.warn and periodic.message.endswith('; watchdog: no joint states')
    transition = status_report('inactive', loop, tripped)
    assert not transition.warn and transition.values['latency_samples'] == 0
    assert transition.values['state'] == 'inactive'
