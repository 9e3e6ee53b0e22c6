"""Plain numpy twins of every compiled kernel: same state, same random stream, same results.

- ``tick_reference``: kernels.tick, written for clarity (per-neuron work vectorised, control flow
  mirroring the kernel step by step);
- ``encode_reference``: encoding.encode;
- ``law_factor_np``, ``program_np``, ``program_accumulate_np``: the write law (write_law.py);
- ``uniform_np``, ``normal_np``, ``coarse_normal_np``, ``normal_from_uniform_np``: the random
  stream (rng.py), drawing the same numbers vectorised.
Tests run each twin against its kernel on the same inputs and require the same results (up to
rounding); the tick benchmark compares their speed.
"""

import math

import numpy as np

from memsnn_controller.snn import state as S
from memsnn_controller.snn.devices import MODEL_NC, MODEL_PPX
from memsnn_controller.snn.encoding import SEG_GAUSSIAN
from memsnn_controller.snn.rng import (
    GOLDEN,
    INV53,
    MIX1,
    MIX2,
    NORMAL_TABLE,
    S11,
    S27,
    S30,
    S31,
    S51,
    TABLE_SIZE,
)
from memsnn_controller.snn.write_law import LAW_TABLE_INTERVALS, RESET, SET


# --------------------------------------------------------------------------- the tick
def tick_reference(obs, command, output, params, carry, rng, tables, inputs, neurons, store,
                   scratch):
    """Numpy twin of kernels.tick (of the scratch buffers only the raster is used)."""
    p, cmd, out, c = _record(params), _record(command), _record(output), _record(carry)
    syn = S.synapses_of(store)
    phase = cmd.phase
    value = 0.0
    out.writes = 0
    out.wrote = False
    out.modulator = 0.0
    out.input_spikes = 0
    out.neuron_updates = 0
    act_idx = np.zeros(0, dtype=np.int64)
    act_cnt = np.zeros(0)
    if phase != S.PHASE_TERMINAL:
        act_idx, act_a = encode_reference(obs, tables.encoder_ints, tables.encoder_floats)
        act_cnt = np.zeros(act_idx.size)
        _begin_tick(p, syn, neurons, inputs, c, act_idx)
        record = scratch.raster_post.shape[0] > 0
        if record:
            scratch.raster_pre[...] = 0
            scratch.raster_post[...] = 0
        t0 = c.time
        inhibition = np.zeros(2)   # I onto (left, right), from 0 at each tick start
        n_a = p.n_actor
        for k in range(p.substeps):
            t = t0 + k
            spk_pre, cur = _input_spikes(k, t, p, rng, syn, inputs, neurons, c, tables, act_idx,
                                         act_a, act_cnt)
            if p.inhibition > 0.0:
                cur[:n_a] -= inhibition[0]
                cur[n_a:2 * n_a] -= inhibition[1]
            spk_post = _neuron_step(p, rng, neurons, cur)
            if p.inhibition > 0.0:
                inhibition = _inhibition_update(p, spk_post, inhibition)
            _pairing(k, t, p, syn, neurons, inputs, c, tables, spk_pre,
                     spk_post[spk_post < p.paired_columns])
            out.input_spikes += spk_pre.size
            if record:
                scratch.raster_pre[k, spk_pre] = 1
                scratch.raster_post[k, spk_post] = 1
        c.time = t0 + p.substeps
        out.neuron_updates = p.substeps * neurons.v.size
        value = _read_out(p, rng, neurons.count, out)
    else:
        out.value = 0.0
    if cmd.learn and (phase != S.PHASE_STEP or cmd.has_prev):
        if p.modulator == S.MOD_TD:
            v_next = 0.0 if phase == S.PHASE_TERMINAL else p.gamma * value
            M = cmd.reward + v_next - c.v_prev
        else:
            M = cmd.external_m
        out.modulator = M
        if abs(M) >= p.dead_zone and M != 0.0:
            out.writes = _write(M, p, tables.law, rng, syn, neurons, inputs, c)
            out.wrote = True
    if phase == S.PHASE_STEP:
        _update_traces(c.time, out.action, p, syn, neurons, inputs, c, act_idx, act_cnt)
    c.v_prev = value


def _record(array):
    """A 0-d structured array as a record with attribute access that writes through."""
    return array.view(np.recarray)[()]


def _add_live(i, inputs, c):
    """Twin of kernels._add_live: append row i to the live list unless it is in already."""
    if not inputs.is_live[i]:
        inputs.is_live[i] = True
        inputs.live[c.n_live] = i
        c.n_live += 1


def _live_rows(inputs, c):
    """The live rows, copied (the list changes while they are visited)."""
    return inputs.live[:c.n_live].copy()


def relax_row_np(i, now, p, syn, neurons, inputs):
    """Twin of kernels._relax_row: retention of row i's devices (those not failed) from
    relaxed_at_i up to ``now``; w_eff follows. No-op without retention."""
    if p['retention_rate'] <= 0.0:
        return
    elapsed = now - inputs.relaxed_at[i]
    if elapsed * p['retention_rate'] < S.RELAX_MIN:
        return
    inputs.relaxed_at[i] = now
    f = math.exp(-elapsed * p['retention_rate'])
    rest = p['retention_rest']
    for w, writes, life in ((syn.w_pos, syn.writes_pos, syn.life_pos),
                            (syn.w_neg, syn.writes_neg, syn.life_neg)):
        alive = writes[i] < life[i]
        w[i] = np.where(alive, rest + (w[i] - rest) * f, w[i])
    syn.w_eff[i] = neurons.gain * (syn.scale_pos[i] * syn.w_pos[i]
                                   - syn.scale_neg[i] * syn.w_neg[i])


def _begin_tick(p, syn, neurons, inputs, c, act_idx):
    """Twin of kernels._begin_tick: counts, per-tick resets, phases, live rows, relaxation of
    the active rows, gated rings."""
    neurons.count[:] = 0.0
    resets = neurons.reset_each_tick
    neurons.v[resets] = neurons.reset_value[resets]
    neurons.refractory[resets] = 0.0
    if p.phase_reset:
        inputs.phase[act_idx] = p.phase0
    for i in act_idx:
        _add_live(int(i), inputs, c)
        relax_row_np(int(i), c.time, p, syn, neurons, inputs)
    if p.tick_gated:
        neurons.ring.fill[:] = 0
        inputs.ring.fill[_live_rows(inputs, c)] = 0


def _ring_sum(ring, row, t, table, window):
    """Twin of kernels._ring_sum: sum of table[t - t_k] over 0 < t - t_k <= window."""
    cap = ring.times.shape[1]
    slots = (ring.head[row] - 1 - np.arange(ring.fill[row])) % cap
    lags = t - ring.times[row, slots]
    # The ring is newest first: stop at the first spike beyond the window, as the kernel does.
    beyond = np.nonzero(lags > window)[0]
    if beyond.size:
        lags = lags[:beyond[0]]
    lags = lags[lags > 0]
    return float(table[lags.astype(np.int64)].sum()) if lags.size else 0.0


def _ring_push(ring, row, t):
    """Twin of kernels._ring_push: t_k <- t at head, head and fill advance."""
    cap = ring.times.shape[1]
    head = ring.head[row]
    ring.times[row, head] = t
    ring.head[row] = (head + 1) % cap
    ring.fill[row] = min(ring.fill[row] + 1, cap)


def _input_spikes(k, t, p, rng, syn, inputs, neurons, c, tables, act_idx, act_a, act_cnt):
    """Twin of kernels._input_spikes; returns (the inputs that fired, the currents I_j)."""
    elig = p.eligibility
    if elig == S.ELIG_MSTDPET:
        inputs.pre_trace[_live_rows(inputs, c)] *= p.pre_decay
    n_post = syn.w_eff.shape[1]
    noisy = p.read_noise > 0.0
    if p.coding == S.CODING_REGULAR:
        phase = inputs.phase[act_idx] + act_a * p.rate_per_step
        spikes = phase >= 1.0
        inputs.phase[act_idx] = np.where(spikes, phase - 1.0, phase)
    elif p.coding == S.CODING_POISSON:
        if noisy:
            # The kernel draws an input's read noise right after its own uniform: draw in turn.
            spikes = np.zeros(act_idx.size, dtype=bool)
            cur = np.zeros(n_post)
            for a, i in enumerate(act_idx):
                spikes[a] = uniform_np(rng, 1)[0] < act_a[a] * p.rate_per_step
                if spikes[a]:
                    cur += _noisy_row(p, rng, syn, neurons, i)
        else:
            spikes = uniform_np(rng, act_idx.size) < act_a * p.rate_per_step
    else:
        latency = np.floor(p.latency_steps * (1.0 - act_a) + 0.5).astype(np.int64)
        spikes = (act_a >= p.latency_min) & (latency == k)
    spk_pre = act_idx[spikes]
    act_cnt[spikes] += 1.0
    inputs.last_spike[spk_pre] = t
    if noisy and p.coding != S.CODING_POISSON:
        cur = np.zeros(n_post)
        for i in spk_pre:
            cur += _noisy_row(p, rng, syn, neurons, i)
    elif not noisy:
        cur = syn.w_eff[spk_pre].sum(axis=0) if spk_pre.size else np.zeros(n_post)
    if elig == S.ELIG_MSTDPET:
        inputs.pre_trace[spk_pre] += p.a_plus
    elif elig == S.ELIG_WINDOW or elig == S.ELIG_LOCAL:
        paired = p.paired_columns
        for i in spk_pre:
            ltd = np.array([_ring_sum(neurons.ring, j, t, tables.kminus, p.window_steps)
                            for j in range(paired)])
            syn.tick_elig[i, :paired] -= ltd * tables.in_tick_weight[k, :paired]
            _ring_push(inputs.ring, i, t)
    return spk_pre, cur


def _noisy_row(p, rng, syn, neurons, i):
    """Twin of kernels._noisy_read: row i's noisy read, w_eff_ij + sigma_ij xi_j."""
    a = syn.scale_pos[i] * syn.w_pos[i]
    b = syn.scale_neg[i] * syn.w_neg[i]
    sigma = p.read_noise * neurons.gain * np.sqrt(a * a + b * b)
    return syn.w_eff[i] + sigma * coarse_normal_np(rng, syn.w_eff.shape[1])


def _neuron_step(p, rng, neurons, cur):
    """Twin of kernels._neuron_step (one LIF step); returns the neurons that fired."""
    refr = neurons.refractory
    noisy = (neurons.noise > 0.0) & (refr <= 0.0)
    cur[noisy] += neurons.noise[noisy] * normal_np(rng, int(noisy.sum()))
    active = refr <= 0.0
    decay = p.decay
    x = np.where(active, neurons.v * decay + (1.0 - decay) * neurons.bias + cur, neurons.v)
    spikes = x >= p.threshold
    neurons.v[:] = np.where(spikes, p.v_reset, x)
    refr[:] = np.where(spikes, p.refractory, np.where(active, refr, refr - 1.0))
    neurons.count[:] += spikes
    return np.nonzero(spikes)[0]


def _inhibition_update(p, spk_post, inhibition):
    """Twin of kernels._inhibition_update: (I_left, I_right) <- inh_decay (I_left, I_right)
    + inhibition (n_right, n_left), n_* the populations' spikes in this step."""
    n_a = p.n_actor
    n_left = float(np.sum(spk_post < n_a))
    n_right = float(np.sum((spk_post >= n_a) & (spk_post < 2 * n_a)))
    return p.inh_decay * inhibition + p.inhibition * np.array([n_right, n_left])


def _pairing(k, t, p, syn, neurons, inputs, c, tables, spk_pre, spk_post):
    """Twin of kernels._pairing: MSTDPET zeta_ij and the window (and local) rule's LTP half for
    step k; ``spk_post`` holds the paired columns that fired."""
    weight = tables.in_tick_weight
    if p.eligibility == S.ELIG_MSTDPET:
        neurons.post_trace[:] *= p.post_decay
        neurons.post_trace[spk_post] -= p.a_minus
        rows = _live_rows(inputs, c)
        for j in spk_post:
            syn.tick_elig[rows, j] += inputs.pre_trace[rows] * weight[k, j]
        for i in spk_pre:
            syn.tick_elig[i] += neurons.post_trace * weight[k]
    elif p.eligibility == S.ELIG_WINDOW or p.eligibility == S.ELIG_LOCAL:
        for i in _live_rows(inputs, c):
            if spk_post.size == 0 or inputs.ring.fill[i] == 0:
                continue
            ltp = _ring_sum(inputs.ring, i, t, tables.kplus, p.window_steps)
            if ltp != 0.0:
                syn.tick_elig[i, spk_post] += ltp * weight[k, spk_post]
        for j in spk_post:
            _ring_push(neurons.ring, j, t)


def _read_out(p, rng, counts, out):
    """Twin of kernels._read_out: action, force and V from the tick's spike counts."""
    n_a = p.n_actor
    n_c = p.n_critic
    n_left = counts[:n_a].sum()
    n_right = counts[n_a:2 * n_a].sum()
    value = 0.0
    if n_c > 0:
        c_pos = counts[2 * n_a:2 * n_a + n_c].sum()
        c_neg = counts[2 * n_a + n_c:2 * n_a + 2 * n_c].sum()
        value = p.value_scale * (c_pos - c_neg) / (n_c * p.vbase)
    if n_right != n_left:
        right = n_right > n_left
    else:
        right = uniform_np(rng, 1)[0] < 0.5
    f_max = p.force_limit
    if p.decoder == S.DECODER_CONTINUOUS:
        total = n_left + n_right
        force = f_max * (n_right - n_left) / total if total > 0 else 0.0
    else:
        force = f_max if right else -f_max
    out.action = 1 if right else 0
    out.force = force
    out.value = value
    return value


def _groups(p, n_post):
    """(group, columns) of the actor (0) and the critic (1)."""
    split = 2 * p.n_actor
    return ((0, slice(0, split)), (1, slice(split, n_post)))


def _role_vector(p, group, action):
    """role_j for every neuron (kernels._role, vectorised)."""
    if p.eligibility == S.ELIG_LOCAL:
        return np.where(group == S.GROUP_V_NEG, -1.0, 1.0)
    if not p.role_sign:
        return np.ones(group.shape)
    chosen = S.GROUP_RIGHT if action == 1 else S.GROUP_LEFT
    role = np.where(group == chosen, 1.0, -1.0)
    role[group == S.GROUP_V_POS] = 1.0
    role[group == S.GROUP_V_NEG] = -1.0
    return role


def _write(M, p, law, rng, syn, neurons, inputs, c):
    """Twin of kernels._write: program every live (row, group) by eta_j M e_ij, a group only when
    |M| reaches its own dead zone, through its write step (register or random) when it has one;
    failed devices (endurance) ignore the write; rows are relaxed (retention) first."""
    levels = p.levels
    stochastic = p.stochastic
    c2c = p.c2c
    accumulate = levels >= 2 and p.accumulate
    draw_xi = c2c > 0.0
    draw_u = levels >= 2 and stochastic and not accumulate
    per_device = int(draw_xi) + int(draw_u)
    group_open = (abs(M) >= p.actor_dead_zone, abs(M) >= p.critic_dead_zone)
    write_step = (p.actor_write_step, p.critic_write_step)
    write_random = (p.actor_write_random, p.critic_write_random)
    stuck_value = p.w_floor if p.stuck == S.STUCK_LOW else 1.0
    count = 0
    for i in _live_rows(inputs, c):
        relax_row_np(i, c.time, p, syn, neurons, inputs)
        for g, cols in _groups(p, syn.w_pos.shape[1]):
            if inputs.bound[g, i] == 0.0 or not group_open[g]:
                continue
            n = syn.trace[i, cols].size
            x = neurons.eta[cols] * M * syn.trace[i, cols]
            step = write_step[g]
            random_step = step > 0.0 and write_random[g]
            per_column = int(random_step) + 2 * per_device
            draws = uniform_np(rng, n * per_column).reshape(n, per_column)
            if random_step:
                u_step = draws[:, 0]
                small = np.abs(x) < step
                x = np.where(small, np.where(u_step * step < np.abs(x), np.sign(x) * step, 0.0),
                             x)
            elif step > 0.0:
                summed = syn.pending_pos[i, cols] + x
                fire = np.abs(summed) >= step
                syn.pending_pos[i, cols] = np.where(fire, 0.0, summed)
                x = np.where(fire, summed, 0.0)
            device_draws = draws[:, int(random_step):].reshape(n, 2, per_device)
            xi = normal_from_uniform_np(device_draws[..., 0]) if draw_xi else np.zeros((n, 2))
            u = device_draws[..., per_device - 1] if draw_u else np.zeros((n, 2))
            go = (x != 0.0) & ~(np.abs(x) < p.write_threshold)
            w_p = syn.w_pos[i, cols]
            w_n = syn.w_neg[i, cols]
            alive_p = syn.writes_pos[i, cols] < syn.life_pos[i, cols]
            alive_n = syn.writes_neg[i, cols] < syn.life_neg[i, cols]
            if accumulate:
                args = (law, p.w_floor, levels, c2c)
                pend_p = syn.pending_pos[i, cols]
                pend_n = syn.pending_neg[i, cols]
                prog_p, acc_p = program_accumulate_np(w_p, x, pend_p, *args, xi[:, 0])
                prog_n, acc_n = program_accumulate_np(w_n, -x, pend_n, *args, xi[:, 1])
                syn.pending_pos[i, cols] = np.where(go & alive_p, acc_p, pend_p)
                syn.pending_neg[i, cols] = np.where(go & alive_n, acc_n, pend_n)
            else:
                args = (law, p.w_floor, levels, stochastic, c2c)
                prog_p = program_np(w_p, x, *args, xi[:, 0], u[:, 0])
                prog_n = program_np(w_n, -x, *args, xi[:, 1], u[:, 1])
            new_p = np.where(go & alive_p, prog_p, w_p)
            new_n = np.where(go & alive_n, prog_n, w_n)
            changed_p = new_p != w_p
            changed_n = new_n != w_n
            syn.writes_pos[i, cols] += changed_p.astype(np.uint32)
            syn.writes_neg[i, cols] += changed_n.astype(np.uint32)
            count += int(changed_p.sum() + changed_n.sum())
            if p.endurance and p.stuck != S.STUCK_LAST:
                new_p = np.where(changed_p & (syn.writes_pos[i, cols] >= syn.life_pos[i, cols]),
                                 stuck_value, new_p)
                new_n = np.where(changed_n & (syn.writes_neg[i, cols] >= syn.life_neg[i, cols]),
                                 stuck_value, new_n)
            syn.w_pos[i, cols] = new_p
            syn.w_neg[i, cols] = new_n
            gain = neurons.gain[cols]
            w_eff = syn.w_eff[i, cols]  # a view: written in place
            w_eff[go] = gain[go] * (syn.scale_pos[i, cols][go] * new_p[go]
                                    - syn.scale_neg[i, cols][go] * new_n[go])
    return count


def _update_traces(t_now, action, p, syn, neurons, inputs, c, act_idx, act_cnt):
    """Twin of kernels._update_traces: e <- lambda e + role z, zeroing and live-list upkeep."""
    if p.eligibility in (S.ELIG_ROLE, S.ELIG_LOCAL):
        # The local rule's actor columns have their pairing eligibility instead.
        first = 2 * p.n_actor if p.eligibility == S.ELIG_LOCAL else 0
        silent = neurons.count[:first] == 0.0
        for i, n in zip(act_idx, act_cnt):
            if n > 0.0:
                syn.tick_elig[i, first:] += n / p.pre_norm
                if p.eligibility == S.ELIG_LOCAL and p.silent_depression > 0.0:
                    syn.tick_elig[i, :first][silent] -= p.silent_depression * (n / p.pre_norm)
    role = _role_vector(p, neurons.group, action)
    span = p.pair_span
    m = 0
    while m < c.n_live:
        i = inputs.live[m]
        idle = t_now - inputs.last_spike[i]
        for g, cols in _groups(p, syn.trace.shape[1]):
            if syn.trace[i, cols].size == 0 or (
                    inputs.bound[g, i] == 0.0 and idle > span + p.substeps):
                continue
            e = (neurons.trace_decay[cols] * syn.trace[i, cols]
                 + role[cols] * syn.tick_elig[i, cols])
            syn.tick_elig[i, cols] = 0.0
            bound = float(np.abs(e).max())
            if bound < p.trace_eps:
                e[:] = 0.0
                bound = 0.0
            syn.trace[i, cols] = e
            inputs.bound[g, i] = bound
        if inputs.bound[0, i] == 0.0 and inputs.bound[1, i] == 0.0 and idle > span:
            inputs.is_live[i] = False
            c.n_live -= 1
            inputs.live[m] = inputs.live[c.n_live]
        else:
            m += 1


# --------------------------------------------------------------------------- the encoder
def encode_reference(obs, ints, floats):
    """Numpy twin of encoding.encode: (indices, activations) of the active inputs."""
    idx, act = [], []
    for row in ints:
        kind, first, count, f0 = row[:4]
        if kind == SEG_GAUSSIAN:
            low, high, sigma = floats[f0:f0 + 3]
            x = np.clip(obs[row[5]], low, high)
            centres = low + np.arange(count) * ((high - low) / (count - 1))
            a = np.exp(-0.5 * ((x - centres) / sigma) ** 2)
            keep = np.nonzero(a > 1e-3)[0]
            idx += list(first + keep)
            act += list(a[keep])
        else:
            index, f = 0, f0
            for v in range(row[4]):
                n_edges = int(floats[f])
                edges = floats[f + 1:f + 1 + n_edges]
                b = int(np.searchsorted(edges, obs[row[5 + v]], side='right'))
                index = index * (n_edges + 1) + b
                f += 1 + n_edges
            idx.append(first + index)
            act.append(1.0)
    return np.array(idx, dtype=np.int64), np.array(act, dtype=np.float64)


# --------------------------------------------------------------------------- the write law
def law_factor_np(w, d, law):
    """Numpy twin of write_law.law_factor (vectorised over w and d)."""
    w = np.asarray(w, dtype=float)
    d = np.asarray(d, dtype=float)
    if law.kind == MODEL_PPX:
        n = LAW_TABLE_INTERVALS
        x = w * n
        k = np.minimum(x.astype(np.int64), n - 1)
        side = np.where(d > 0.0, SET, RESET)
        table = law.table
        return table[side, k] + (x - k) * (table[side, k + 1] - table[side, k])
    if law.kind == MODEL_NC:
        return np.where(d > 0.0, law.set_slope, law.reset_slope) * w
    return np.ones(np.broadcast(w, d).shape)


def program_np(w, d, law, w_floor, levels, stochastic, c2c, xi, u):
    """Numpy twin of write_law.program."""
    d = np.asarray(d, dtype=float)
    if c2c > 0.0:
        d = d * (1.0 + c2c * xi)
    w_new = np.clip(w + d * law_factor_np(w, d, law), w_floor, 1.0)
    if levels >= 2:
        steps = levels - 1.0
        q = w_new * steps
        base = np.floor(q)
        level = base + (u < q - base) if stochastic else np.floor(q + 0.5)
        level = np.clip(level, math.ceil(w_floor * steps - 1e-9), steps)
        w_new = level / steps
    return w_new


def program_accumulate_np(w, d, pending, law, w_floor, levels, c2c, xi):
    """Numpy twin of write_law.program_accumulate."""
    d = np.asarray(d, dtype=float)
    if c2c > 0.0:
        d = d * (1.0 + c2c * xi)
    pending = pending + d * law_factor_np(w, d, law)
    steps = levels - 1.0
    k = np.trunc(pending * steps)
    level = np.floor(w * steps + 0.5) + k
    lowest = math.ceil(w_floor * steps - 1e-9)
    clipped = (level < lowest) | (level > steps)
    level = np.clip(level, lowest, steps)
    new_pending = np.where(clipped, 0.0, pending - k / steps)
    moved = k != 0.0
    return np.where(moved, level / steps, w), np.where(moved, new_pending, pending)


# --------------------------------------------------------------------------- the random stream
def _bits_np(state, n):
    """The next n splitmix64 outputs of the stream (rng._next_bits, vectorised)."""
    k = state[1] + np.arange(1, n + 1, dtype=np.uint64)
    state[1] += np.uint64(n)
    with np.errstate(over='ignore'):
        z = state[0] + k * GOLDEN
        z = (z ^ (z >> S30)) * MIX1
        z = (z ^ (z >> S27)) * MIX2
    return z ^ (z >> S31)


def uniform_np(state, n):
    """n uniforms, the same as n calls of rng.uniform on the same state."""
    return (_bits_np(state, n) >> S11).astype(np.float64) * INV53


def normal_from_uniform_np(u):
    """The table lookup of rng.normal applied to uniforms already drawn."""
    x = u * TABLE_SIZE - 0.5
    k = np.clip(np.floor(np.maximum(x, 0.0)).astype(np.int64), 0, TABLE_SIZE - 2)
    return NORMAL_TABLE[k] + (x - k) * (NORMAL_TABLE[k + 1] - NORMAL_TABLE[k])


def normal_np(state, n):
    """n normals, the same as n calls of rng.normal on the same state."""
    return normal_from_uniform_np(uniform_np(state, n))


def coarse_normal_np(state, n):
    """n coarse normals, as a loop of rng.coarse_normal_ahead over m = 1..n, then skip."""
    return NORMAL_TABLE[(_bits_np(state, n) >> S51).astype(np.int64)]
