"""Plain numpy reference of the compiled tick (kernels.tick): same arrays, same random stream.

Written for clarity: per-neuron work is vectorised, control flow mirrors the kernel step by step.
Tests run both on copies of one state and require the same results; the benchmark compares speed.
"""

import numpy as np

from memsnn_controller.snn import layout as L
from memsnn_controller.snn.devices import program_accumulate_np, program_np
from memsnn_controller.snn.encoding import encode_reference
from memsnn_controller.snn.rng import normal_from_uniform_np, normal_np, uniform_np


class _Tables:
    def __init__(self, ints, floats):
        self.ints = ints
        self.floats = floats


def _add_live(i, ist, live):
    if ist[L.IS_LIVE, i] == 0.0:
        ist[L.IS_LIVE, i] = 1.0
        live[0] += 1
        live[live[0]] = i


def _live_rows(live):
    return live[1:live[0] + 1].copy()


def _ring_sum(hist, row, head, fill, t, table, window):
    cap = hist.shape[1]
    slots = (int(head) - 1 - np.arange(int(fill))) % cap
    lags = t - hist[row, slots]
    # The ring is newest first: stop at the first spike beyond the window, as the kernel does.
    beyond = np.nonzero(lags > window)[0]
    if beyond.size:
        lags = lags[:beyond[0]]
    lags = lags[lags > 0]
    return float(table[lags.astype(np.int64)].sum()) if lags.size else 0.0


def _ring_push(hist, row, state, head_row, fill_row, t):
    cap = hist.shape[1]
    head = int(state[head_row, row])
    hist[row, head] = t
    state[head_row, row] = (head + 1) % cap
    state[fill_row, row] = min(state[fill_row, row] + 1.0, cap)


def _role_vector(P, npar, action):
    group = npar[L.GROUP]
    if P[L.P_ROLE_SIGN] == 0.0:
        return np.ones_like(group)
    chosen = L.GROUP_RIGHT if action > 0.5 else L.GROUP_LEFT
    role = np.where(group == chosen, 1.0, -1.0)
    role[group == L.GROUP_V_POS] = 1.0
    role[group == L.GROUP_V_NEG] = -1.0
    return role


def tick_reference(obs, cmd, out, P, law, S, rng, enc_i, enc_f, syn, writes, npar, nst, ist,
                   live, v, refr, count, hist_pre, hist_post, kplus, kminus, dpow, *scratch):
    """Numpy twin of kernels.tick (the scratch buffers are accepted and ignored)."""
    phase = int(cmd[L.C_PHASE])
    learn = cmd[L.C_LEARN] > 0.0
    elig = int(P[L.P_ELIGIBILITY])
    value = 0.0
    out[L.O_WRITES] = 0.0
    out[L.O_WROTE] = 0.0
    out[L.O_MODULATOR] = 0.0
    act_idx = np.zeros(0, dtype=np.int64)
    act_cnt = np.zeros(0)
    if phase != L.PHASE_TERMINAL:
        act_idx, act_a = encode_reference(obs, _Tables(enc_i, enc_f))
        act_cnt = np.zeros(act_idx.size)
        count[:] = 0.0
        resets = npar[L.RESET_EACH_TICK] > 0.0
        v[resets] = npar[L.RESET_VALUE, resets]
        refr[resets] = 0.0
        ist[L.PRE_COUNT, act_idx] = 0.0
        if P[L.P_PHASE_RESET] > 0.0:
            ist[L.PHASE, act_idx] = P[L.P_PHASE0]
        for i in act_idx:
            _add_live(int(i), ist, live)
        if P[L.P_TICK_GATED] > 0.0:
            nst[L.POST_FILL] = 0.0
            ist[L.PRE_FILL, _live_rows(live)] = 0.0
        t0 = S[L.S_TIME]
        for k in range(int(P[L.P_SUBSTEPS])):
            t = t0 + k
            spk_pre, cur = _input_spikes(k, t, P, rng, syn, ist, nst, live, hist_pre, hist_post,
                                         kminus, dpow, act_idx, act_a, act_cnt)
            spk_post = _neuron_step(P, rng, npar, v, refr, count, cur)
            if elig == L.ELIG_MSTDPET:
                nst[L.POST_TRACE] *= P[L.P_POST_DECAY]
                nst[L.POST_TRACE, spk_post] -= P[L.P_A_MINUS]
                rows = _live_rows(live)
                for j in spk_post:
                    syn[L.TICK_ELIG, rows, j] += ist[L.PRE_TRACE, rows] * dpow[k, j]
                for i in spk_pre:
                    syn[L.TICK_ELIG, i] += nst[L.POST_TRACE] * dpow[k]
            elif elig == L.ELIG_WINDOW:
                for i in _live_rows(live):
                    if spk_post.size == 0 or ist[L.PRE_FILL, i] == 0.0:
                        continue
                    ltp = _ring_sum(hist_pre, i, ist[L.PRE_HEAD, i], ist[L.PRE_FILL, i], t,
                                    kplus, P[L.P_WINDOW_STEPS])
                    if ltp != 0.0:
                        syn[L.TICK_ELIG, i, spk_post] += ltp * dpow[k, spk_post]
                for j in spk_post:
                    _ring_push(hist_post, j, nst, L.POST_HEAD, L.POST_FILL, t)
        S[L.S_TIME] = t0 + P[L.P_SUBSTEPS]
        value = _read_out(P, rng, count, out)
    else:
        out[L.O_VALUE] = 0.0
    if learn and (phase != L.PHASE_STEP or cmd[L.C_HAS_PREV] > 0.0):
        if P[L.P_MODULATOR] == L.MOD_TD:
            v_next = 0.0 if phase == L.PHASE_TERMINAL else P[L.P_GAMMA] * value
            M = cmd[L.C_REWARD] + v_next - S[L.S_V_PREV]
        else:
            M = cmd[L.C_EXTERNAL_M]
        out[L.O_MODULATOR] = M
        if abs(M) >= P[L.P_DEAD_ZONE] and M != 0.0:
            out[L.O_WRITES] = _write(M, P, law, rng, syn, writes, npar, ist, live)
            out[L.O_WROTE] = 1.0
    if phase == L.PHASE_STEP:
        _update_traces(S[L.S_TIME], out[L.O_ACTION], P, syn, npar, ist, live, act_idx, act_cnt)
    S[L.S_V_PREV] = value
    S[L.S_N_LIVE] = live[0]


def _input_spikes(k, t, P, rng, syn, ist, nst, live, hist_pre, hist_post, kminus, dpow, act_idx,
                  act_a, act_cnt):
    coding = int(P[L.P_CODING])
    rate = P[L.P_RATE_PER_STEP]
    elig = int(P[L.P_ELIGIBILITY])
    if elig == L.ELIG_MSTDPET:
        ist[L.PRE_TRACE, _live_rows(live)] *= P[L.P_PRE_DECAY]
    if coding == L.CODING_REGULAR:
        phase = ist[L.PHASE, act_idx] + act_a * rate
        spikes = phase >= 1.0
        ist[L.PHASE, act_idx] = np.where(spikes, phase - 1.0, phase)
    elif coding == L.CODING_POISSON:
        spikes = uniform_np(rng, act_idx.size) < act_a * rate
    else:
        latency = np.floor(P[L.P_LATENCY_STEPS] * (1.0 - act_a) + 0.5).astype(np.int64)
        spikes = (act_a >= P[L.P_LATENCY_MIN]) & (latency == k)
    spk_pre = act_idx[spikes]
    act_cnt[spikes] += 1.0
    ist[L.PRE_COUNT, spk_pre] += 1.0
    ist[L.LAST_SPIKE, spk_pre] = t
    cur = syn[L.W_EFF, spk_pre].sum(axis=0) if spk_pre.size else np.zeros(syn.shape[2])
    if elig == L.ELIG_MSTDPET:
        ist[L.PRE_TRACE, spk_pre] += P[L.P_A_PLUS]
    elif elig == L.ELIG_WINDOW:
        for i in spk_pre:
            ltd = np.array([_ring_sum(hist_post, j, nst[L.POST_HEAD, j], nst[L.POST_FILL, j], t,
                                      kminus, P[L.P_WINDOW_STEPS])
                            for j in range(syn.shape[2])])
            syn[L.TICK_ELIG, i] -= ltd * dpow[k]
            _ring_push(hist_pre, i, ist, L.PRE_HEAD, L.PRE_FILL, t)
    return spk_pre, cur


def _neuron_step(P, rng, npar, v, refr, count, cur):
    noisy = (npar[L.NOISE] > 0.0) & (refr <= 0.0)
    cur[noisy] += npar[L.NOISE, noisy] * normal_np(rng, int(noisy.sum()))
    active = refr <= 0.0
    decay = P[L.P_DECAY]
    x = np.where(active, v * decay + (1.0 - decay) * npar[L.BIAS] + cur, v)
    spikes = x >= P[L.P_THRESHOLD]
    v[:] = np.where(spikes, P[L.P_V_RESET], x)
    refr[:] = np.where(spikes, P[L.P_REFRACTORY], np.where(active, refr, refr - 1.0))
    count += spikes
    return np.nonzero(spikes)[0]


def _read_out(P, rng, counts, out):
    n_a = int(P[L.P_N_ACTOR])
    n_c = int(P[L.P_N_CRITIC])
    n_left = counts[:n_a].sum()
    n_right = counts[n_a:2 * n_a].sum()
    value = 0.0
    if n_c > 0:
        c_pos = counts[2 * n_a:2 * n_a + n_c].sum()
        c_neg = counts[2 * n_a + n_c:2 * n_a + 2 * n_c].sum()
        value = P[L.P_VALUE_SCALE] * (c_pos - c_neg) / (n_c * P[L.P_VBASE])
    if n_right != n_left:
        right = n_right > n_left
    else:
        right = uniform_np(rng, 1)[0] < 0.5
    f_max = P[L.P_FORCE_LIMIT]
    if P[L.P_DECODER] == L.DECODER_CONTINUOUS:
        total = n_left + n_right
        force = f_max * (n_right - n_left) / total if total > 0 else 0.0
    else:
        force = f_max if right else -f_max
    out[L.O_ACTION] = 1.0 if right else 0.0
    out[L.O_FORCE] = force
    out[L.O_VALUE] = value
    out[L.O_N_LEFT] = n_left
    out[L.O_N_RIGHT] = n_right
    return value


def _groups(P, n_post):
    split = int(2 * P[L.P_N_ACTOR])
    return ((0, slice(0, split)), (1, slice(split, n_post)))


def _write(M, P, law, rng, syn, writes, npar, ist, live):
    levels = P[L.P_LEVELS]
    stochastic = P[L.P_STOCHASTIC] > 0.0
    c2c = P[L.P_C2C]
    accumulate = levels >= 2.0 and P[L.P_ACCUMULATE] > 0.0
    draw_xi = c2c > 0.0
    draw_u = levels >= 2.0 and stochastic and not accumulate
    per_device = int(draw_xi) + int(draw_u)
    count = 0
    for i in _live_rows(live):
        for g, cols in _groups(P, syn.shape[2]):
            if ist[L.BOUND_ACTOR + g, i] == 0.0:
                continue
            n = syn[L.TRACE, i, cols].size
            x = npar[L.ETA, cols] * M * syn[L.TRACE, i, cols]
            draws = uniform_np(rng, n * 2 * per_device).reshape(n, 2, per_device)
            xi = normal_from_uniform_np(draws[..., 0]) if draw_xi else np.zeros((n, 2))
            u = draws[..., per_device - 1] if draw_u else np.zeros((n, 2))
            go = (x != 0.0) & ~(np.abs(x) < P[L.P_WRITE_THRESHOLD])
            w_p = syn[L.W_POS, i, cols]
            w_n = syn[L.W_NEG, i, cols]
            if accumulate:
                args = (law, P[L.P_W_FLOOR], levels, c2c)
                pend_p = syn[L.PENDING_POS, i, cols]
                pend_n = syn[L.PENDING_NEG, i, cols]
                prog_p, acc_p = program_accumulate_np(w_p, x, pend_p, *args, xi[:, 0])
                prog_n, acc_n = program_accumulate_np(w_n, -x, pend_n, *args, xi[:, 1])
                syn[L.PENDING_POS, i, cols] = np.where(go, acc_p, pend_p)
                syn[L.PENDING_NEG, i, cols] = np.where(go, acc_n, pend_n)
            else:
                args = (law, P[L.P_W_FLOOR], levels, stochastic, c2c)
                prog_p = program_np(w_p, x, *args, xi[:, 0], u[:, 0])
                prog_n = program_np(w_n, -x, *args, xi[:, 1], u[:, 1])
            new_p = np.where(go, prog_p, w_p)
            new_n = np.where(go, prog_n, w_n)
            changed_p = new_p != w_p
            changed_n = new_n != w_n
            writes[0, i, cols] += changed_p.astype(writes.dtype)
            writes[1, i, cols] += changed_n.astype(writes.dtype)
            count += int(changed_p.sum() + changed_n.sum())
            syn[L.W_POS, i, cols] = new_p
            syn[L.W_NEG, i, cols] = new_n
            gain = npar[L.GAIN, cols]
            w_eff = syn[L.W_EFF, i, cols]
            w_eff[go] = gain[go] * (syn[L.SCALE_POS, i, cols][go] * new_p[go]
                                    - syn[L.SCALE_NEG, i, cols][go] * new_n[go])
            syn[L.W_EFF, i, cols] = w_eff
    return count


def _update_traces(t_now, action, P, syn, npar, ist, live, act_idx, act_cnt):
    if P[L.P_ELIGIBILITY] == L.ELIG_ROLE:
        for i, n in zip(act_idx, act_cnt):
            if n > 0.0:
                syn[L.TICK_ELIG, i] += n / P[L.P_PRE_NORM]
    role = _role_vector(P, npar, action)
    span = P[L.P_PAIR_SPAN]
    m = 1
    while m <= live[0]:
        i = live[m]
        idle = t_now - ist[L.LAST_SPIKE, i]
        for g, cols in _groups(P, syn.shape[2]):
            if syn[L.TRACE, i, cols].size == 0 or (
                    ist[L.BOUND_ACTOR + g, i] == 0.0 and idle > span + P[L.P_SUBSTEPS]):
                continue
            e = npar[L.TRACE_DECAY, cols] * syn[L.TRACE, i, cols] + role[cols] * syn[
                L.TICK_ELIG, i, cols]
            syn[L.TICK_ELIG, i, cols] = 0.0
            bound = float(np.abs(e).max())
            if bound < P[L.P_TRACE_EPS]:
                e[:] = 0.0
                bound = 0.0
            syn[L.TRACE, i, cols] = e
            ist[L.BOUND_ACTOR + g, i] = bound
        if ist[L.BOUND_ACTOR, i] == 0.0 and ist[L.BOUND_CRITIC, i] == 0.0 and idle > span:
            ist[L.IS_LIVE, i] = 0.0
            live[m] = live[live[0]]
            live[0] -= 1
        else:
            m += 1
