"""The named state: compiled and numpy views agree, every parameter is read, no numba runtime."""

import inspect

import numba
import numpy as np

from memsnn_controller.snn import kernels, params
from memsnn_controller.snn import state as S
from memsnn_controller.snn.config import AgentConfig
from memsnn_controller.snn.network import Network


@numba.njit(_nrt=False)
def _mark_every_plane(store):
    syn = S.synapse_views(store)
    k = 0
    for plane in syn[:S.N_SYNAPSE_PLANES]:     # the float64 planes
        k += 1
        plane[1, 2] = k
    for plane in syn[S.N_SYNAPSE_PLANES:]:     # the uint32 write counters and lifetimes
        k += 1
        plane[1, 2] = k


def test_compiled_and_numpy_synapse_views_name_the_same_planes():
    store = S.synapse_store(3, 4)
    _mark_every_plane(store)
    views = S.synapses_of(store)
    assert len(views) == len(S.Synapses._fields) == S.N_SYNAPSE_PLANES + S.N_COUNT_PLANES
    for k, (name, plane) in enumerate(zip(S.Synapses._fields, views), start=1):
        assert plane[1, 2] == k, name
        assert np.count_nonzero(plane) == 1, name
    assert views.writes_pos.dtype == np.uint32 and views.w_pos.dtype == np.float64


def test_every_parameter_is_read_by_the_kernels():
    source = inspect.getsource(kernels)
    unused = [name for name in params.PARAMS.names if f'p.{name}' not in source]
    assert not unused, f'parameters built but never read by the tick: {unused}'


def test_params_follow_the_config():
    config = AgentConfig().with_overrides(['device.levels=8', 'device.rounding=nearest',
                                           'learning.eligibility=window'])
    net = Network(config, seed=0)
    p = net.params
    assert int(p['levels']) == 8 and not p['stochastic'] and not p['accumulate']
    assert int(p['eligibility']) == S.ELIG_WINDOW
    assert int(p['substeps']) == config.substeps
    assert float(p['vbase']) == net.vbase()


def test_the_kernels_are_compiled_without_numba_runtime():
    # jit.py: reference counting of the NamedTuple arguments would dominate the tick.
    for name in ('tick', '_begin_tick', '_read_out', '_write', '_update_traces'):
        assert getattr(kernels, name).targetoptions['_nrt'] is False, name


def test_bind_calls_the_compiled_entry_point():
    # numba's per-call type dispatch on NamedTuple arguments costs more than the tick's own
    # bookkeeping; bind resolves the overload once (Network.bind).
    net = Network(AgentConfig().with_overrides(['critic.neurons_per_half=4']), seed=0)
    run = net.bind()
    assert not isinstance(run.func, numba.core.dispatcher.Dispatcher)
    net.command['phase'] = S.PHASE_STEP
    run()
    assert int(net.output['action']) in (0, 1) and float(net.carry['time']) == net.config.substeps
