"""The compiled control tick: encode, K neural steps, decide, learn, in ONE numba call.

One call of ``tick`` for the state s_t of a control tick does, in order:
1. encode s_t into the active inputs (encoding.encode);
2. run K = control_period / dt LIF steps (neurons.py has the equations): input spikes add their
   row of W_EFF to the membranes; per-tick resets of membranes and input phases where configured;
   within-tick eligibility is gathered for the window and MSTDPET rules (plasticity.py);
3. read out the action (more spikes wins, a tie is broken at random), the force and the critic's
   value V(s_t) = value_scale (n+ - n-) / (n_critic vbase);
4. learn from the transition that ended in s_t: M = r + gamma V(s_t) - V(s_{t-1}) (TD; at a
   failure V(s_t) = 0) or the caller's reward signal; when |M| >= dead_zone every device of every
   live trace row is programmed by eta_j M e_ij through its write law (devices.program);
5. fold this tick's eligibility into the traces: e <- lambda e + role_j z_ij (plasticity.py).
Only live rows (inputs with a recent spike or a trace above trace_eps) are touched, and within a
row only the column groups (actor, critic) whose trace is still alive, so the cost follows
activity rather than the size of the weight matrix. Nothing allocates.

The numpy reference (reference.py) does the same on the same arrays and random stream.
"""

import math

import numba

from memsnn_controller.snn import layout as L
from memsnn_controller.snn.devices import law_factor, program, program_accumulate
from memsnn_controller.snn.encoding import encode
from memsnn_controller.snn.rng import normal, uniform


@numba.njit(cache=True, inline='always')
def _group_bounds(P, n_post):
    """Column ranges of the actor (group 0) and critic (group 1)."""
    split = int(2 * P[L.P_N_ACTOR])
    return split, n_post


@numba.njit(cache=True, inline='always')
def _add_live(i, ist, live):
    if ist[L.IS_LIVE, i] == 0.0:
        ist[L.IS_LIVE, i] = 1.0
        live[0] += 1
        live[live[0]] = i


@numba.njit(cache=True)
def _begin_tick(P, npar, nst, ist, live, v, refr, count, act_idx, n_act, act_cnt):
    for j in range(v.shape[0]):
        count[j] = 0.0
        if npar[L.RESET_EACH_TICK, j] > 0.0:
            v[j] = npar[L.RESET_VALUE, j]
            refr[j] = 0.0
    for a in range(n_act):
        i = act_idx[a]
        act_cnt[a] = 0.0
        ist[L.PRE_COUNT, i] = 0.0
        if P[L.P_PHASE_RESET] > 0.0:
            ist[L.PHASE, i] = P[L.P_PHASE0]
        _add_live(i, ist, live)
    if P[L.P_TICK_GATED] > 0.0:
        for j in range(v.shape[0]):
            nst[L.POST_FILL, j] = 0.0
        for m in range(1, live[0] + 1):
            ist[L.PRE_FILL, live[m]] = 0.0


@numba.njit(cache=True, inline='always')
def _ring_sum(hist, row, head, fill, t, table, window):
    """Sum of table[t - t_k] over the ring's spike times t_k with 0 < t - t_k <= window."""
    total = 0.0
    cap = hist.shape[1]
    for m in range(int(fill)):
        slot = (int(head) - 1 - m) % cap
        lag = t - hist[row, slot]
        if lag > window:
            break
        if lag > 0:
            total += table[int(lag)]
    return total


@numba.njit(cache=True, inline='always')
def _ring_push(hist, row, state, head_row, fill_row, t):
    cap = hist.shape[1]
    head = int(state[head_row, row])
    hist[row, head] = t
    state[head_row, row] = (head + 1) % cap
    if state[fill_row, row] < cap:
        state[fill_row, row] += 1.0


@numba.njit(cache=True)
def _input_spikes(k, t, P, rng, syn, ist, nst, live, hist_pre, hist_post, kminus, dpow,
                  act_idx, act_a, n_act, act_cnt, cur, spk_pre):
    """Input spikes of one step: currents, pre traces, LTD halves of the pairing rules."""
    coding = int(P[L.P_CODING])
    rate = P[L.P_RATE_PER_STEP]
    elig = int(P[L.P_ELIGIBILITY])
    n_post = cur.shape[0]
    for j in range(n_post):
        cur[j] = 0.0
    if elig == L.ELIG_MSTDPET:
        for m in range(1, live[0] + 1):
            ist[L.PRE_TRACE, live[m]] *= P[L.P_PRE_DECAY]
    n_spk = 0
    for a in range(n_act):
        i = act_idx[a]
        spike = False
        if coding == L.CODING_REGULAR:
            phase = ist[L.PHASE, i] + act_a[a] * rate
            if phase >= 1.0:
                spike = True
                phase -= 1.0
            ist[L.PHASE, i] = phase
        elif coding == L.CODING_POISSON:
            spike = uniform(rng) < act_a[a] * rate
        else:
            if act_a[a] >= P[L.P_LATENCY_MIN]:
                spike = k == int(math.floor(P[L.P_LATENCY_STEPS] * (1.0 - act_a[a]) + 0.5))
        if not spike:
            continue
        act_cnt[a] += 1.0
        ist[L.PRE_COUNT, i] += 1.0
        ist[L.LAST_SPIKE, i] = t
        spk_pre[n_spk] = i
        n_spk += 1
        w_eff = syn[L.W_EFF, i]
        for j in range(n_post):
            cur[j] += w_eff[j]
        if elig == L.ELIG_MSTDPET:
            ist[L.PRE_TRACE, i] += P[L.P_A_PLUS]
        elif elig == L.ELIG_WINDOW:
            window = P[L.P_WINDOW_STEPS]
            for j in range(n_post):
                ltd = _ring_sum(hist_post, j, nst[L.POST_HEAD, j], nst[L.POST_FILL, j], t,
                                kminus, window)
                if ltd != 0.0:
                    syn[L.TICK_ELIG, i, j] -= ltd * dpow[k, j]
            _ring_push(hist_pre, i, ist, L.PRE_HEAD, L.PRE_FILL, t)
    return n_spk


@numba.njit(cache=True)
def _neuron_step(P, rng, npar, v, refr, count, spiked, cur):
    """One LIF step of every neuron; spiked[j] = 1 for the neurons that fired.

    Noise is drawn first, in column order, for the noisy neurons that are not refractory. The
    update itself is branch-free (selects only), which the compiler vectorises: spikes are
    frequent and irregular, and mispredicted branches would cost more than the arithmetic.
    """
    noise = npar[L.NOISE]
    n = v.shape[0]
    for j in range(n):
        if noise[j] > 0.0 and refr[j] <= 0.0:
            cur[j] += noise[j] * normal(rng)
    decay = P[L.P_DECAY]
    drive = 1.0 - decay
    threshold = P[L.P_THRESHOLD]
    v_reset = P[L.P_V_RESET]
    refractory = P[L.P_REFRACTORY]
    bias = npar[L.BIAS]
    for j in range(n):
        active = refr[j] <= 0.0
        x = v[j] * decay + drive * bias[j] + cur[j]
        x = x if active else v[j]
        spike = x >= threshold
        v[j] = v_reset if spike else x
        refr[j] = refractory if spike else (refr[j] if active else refr[j] - 1.0)
        count[j] += 1.0 if spike else 0.0
        spiked[j] = 1.0 if spike else 0.0


@numba.njit(cache=True)
def _pairing(k, t, P, syn, nst, ist, live, hist_pre, hist_post, kplus, dpow, spk_pre, n_pre,
             spiked, spk_post):
    """Eligibility of one step for the window (LTP half) and MSTDPET rules."""
    elig = int(P[L.P_ELIGIBILITY])
    n_post = spiked.shape[0]
    n_post_spk = 0
    for j in range(n_post):
        if spiked[j] > 0.0:
            spk_post[n_post_spk] = j
            n_post_spk += 1
    if elig == L.ELIG_MSTDPET:
        for j in range(n_post):
            nst[L.POST_TRACE, j] *= P[L.P_POST_DECAY]
        for s in range(n_post_spk):
            nst[L.POST_TRACE, spk_post[s]] -= P[L.P_A_MINUS]
        # zeta_ij = P+_i s_post_j + s_pre_i P-_j, P+ and P- including this step's spikes.
        for s in range(n_post_spk):
            j = spk_post[s]
            for m in range(1, live[0] + 1):
                i = live[m]
                syn[L.TICK_ELIG, i, j] += ist[L.PRE_TRACE, i] * dpow[k, j]
        for s in range(n_pre):
            i = spk_pre[s]
            for j in range(n_post):
                syn[L.TICK_ELIG, i, j] += nst[L.POST_TRACE, j] * dpow[k, j]
    elif elig == L.ELIG_WINDOW:
        window = P[L.P_WINDOW_STEPS]
        for m in range(1, live[0] + 1):
            i = live[m]
            if n_post_spk == 0 or ist[L.PRE_FILL, i] == 0.0:
                continue
            ltp = _ring_sum(hist_pre, i, ist[L.PRE_HEAD, i], ist[L.PRE_FILL, i], t, kplus,
                            window)
            if ltp != 0.0:
                for s in range(n_post_spk):
                    j = spk_post[s]
                    syn[L.TICK_ELIG, i, j] += ltp * dpow[k, j]
        for s in range(n_post_spk):
            _ring_push(hist_post, spk_post[s], nst, L.POST_HEAD, L.POST_FILL, t)


@numba.njit(cache=True)
def _read_out(P, rng, count, out):
    """Action, force and V(s) from this tick's spike counts; returns V."""
    n_a = int(P[L.P_N_ACTOR])
    n_c = int(P[L.P_N_CRITIC])
    n_left = 0.0
    n_right = 0.0
    for j in range(n_a):
        n_left += count[j]
        n_right += count[n_a + j]
    value = 0.0
    if n_c > 0:
        c_pos = 0.0
        c_neg = 0.0
        for j in range(n_c):
            c_pos += count[2 * n_a + j]
            c_neg += count[2 * n_a + n_c + j]
        value = P[L.P_VALUE_SCALE] * (c_pos - c_neg) / (n_c * P[L.P_VBASE])
    if n_right > n_left:
        right = True
    elif n_left > n_right:
        right = False
    else:
        right = uniform(rng) < 0.5
    f_max = P[L.P_FORCE_LIMIT]
    if P[L.P_DECODER] == L.DECODER_CONTINUOUS:
        total = n_left + n_right
        force = f_max * (n_right - n_left) / total if total > 0.0 else 0.0
    else:
        force = f_max if right else -f_max
    out[L.O_ACTION] = 1.0 if right else 0.0
    out[L.O_FORCE] = force
    out[L.O_VALUE] = value
    out[L.O_N_LEFT] = n_left
    out[L.O_N_RIGHT] = n_right
    return value


@numba.njit(cache=True, inline='always')
def _role(P, npar, j, action):
    if P[L.P_ROLE_SIGN] == 0.0:
        return 1.0
    group = npar[L.GROUP, j]
    if group == L.GROUP_V_POS:
        return 1.0
    if group == L.GROUP_V_NEG:
        return -1.0
    chosen = L.GROUP_RIGHT if action > 0.5 else L.GROUP_LEFT
    return 1.0 if group == chosen else -1.0


@numba.njit(cache=True)
def _write(M, P, law, rng, syn, writes, npar, ist, live):
    """Program the devices of every live (row, group) by eta_j * M * e_ij; returns the number of
    writes (state changes)."""
    levels = P[L.P_LEVELS]
    stochastic = P[L.P_STOCHASTIC] > 0.0
    c2c = P[L.P_C2C]
    w_floor = P[L.P_W_FLOOR]
    threshold = P[L.P_WRITE_THRESHOLD]
    accumulate = levels >= 2.0 and P[L.P_ACCUMULATE] > 0.0
    draw_xi = c2c > 0.0
    draw_u = levels >= 2.0 and stochastic and not accumulate
    # Without noise or quantization no random numbers are drawn and the write is a clip of
    # w + x F(w): the common case gets a tight loop.
    ideal_path = not draw_xi and levels < 2.0
    n_post = syn.shape[2]
    split, _ = _group_bounds(P, n_post)
    eta = npar[L.ETA]
    gain = npar[L.GAIN]
    count = 0
    for m in range(1, live[0] + 1):
        i = live[m]
        trace = syn[L.TRACE, i]
        w_pos = syn[L.W_POS, i]
        w_neg = syn[L.W_NEG, i]
        s_pos = syn[L.SCALE_POS, i]
        s_neg = syn[L.SCALE_NEG, i]
        w_eff = syn[L.W_EFF, i]
        writes_pos = writes[0, i]
        writes_neg = writes[1, i]
        pending_pos = syn[L.PENDING_POS, i]
        pending_neg = syn[L.PENDING_NEG, i]
        for g in range(2):
            if ist[L.BOUND_ACTOR + g, i] == 0.0:
                continue
            for j in range(0 if g == 0 else split, split if g == 0 else n_post):
                x = eta[j] * M * trace[j]
                if ideal_path:
                    if x == 0.0 or abs(x) < threshold:
                        continue
                    old_p = w_pos[j]
                    old_n = w_neg[j]
                    new_p = min(max(old_p + x * law_factor(old_p, x, law), w_floor), 1.0)
                    new_n = min(max(old_n - x * law_factor(old_n, -x, law), w_floor), 1.0)
                else:
                    # The draws are taken whether or not the device is written, so that the
                    # random stream does not depend on which writes pass the threshold.
                    xi_p = normal(rng) if draw_xi else 0.0
                    u_p = uniform(rng) if draw_u else 0.0
                    xi_n = normal(rng) if draw_xi else 0.0
                    u_n = uniform(rng) if draw_u else 0.0
                    if x == 0.0 or abs(x) < threshold:
                        continue
                    old_p = w_pos[j]
                    old_n = w_neg[j]
                    if accumulate:
                        new_p, pending_pos[j] = program_accumulate(
                            old_p, x, pending_pos[j], law, w_floor, levels, c2c, xi_p)
                        new_n, pending_neg[j] = program_accumulate(
                            old_n, -x, pending_neg[j], law, w_floor, levels, c2c, xi_n)
                    else:
                        new_p = program(old_p, x, law, w_floor, levels, stochastic, c2c, xi_p,
                                        u_p)
                        new_n = program(old_n, -x, law, w_floor, levels, stochastic, c2c, xi_n,
                                        u_n)
                if new_p != old_p:
                    writes_pos[j] += 1
                    count += 1
                if new_n != old_n:
                    writes_neg[j] += 1
                    count += 1
                w_pos[j] = new_p
                w_neg[j] = new_n
                w_eff[j] = gain[j] * (s_pos[j] * new_p - s_neg[j] * new_n)
    return count


@numba.njit(cache=True)
def _update_traces(t_now, action, P, syn, npar, ist, live, act_idx, act_cnt, n_act):
    """e <- lambda e + role * z for the live (row, group) parts; zero the parts whose trace has
    died out and drop rows with no live part and no recent input spike."""
    n_post = syn.shape[2]
    split, _ = _group_bounds(P, n_post)
    if P[L.P_ELIGIBILITY] == L.ELIG_ROLE:
        # z_ij = n_pre_i / pre_norm for the rows that spiked (the role sign comes below).
        pre_norm = P[L.P_PRE_NORM]
        for a in range(n_act):
            if act_cnt[a] > 0.0:
                i = act_idx[a]
                z = act_cnt[a] / pre_norm
                for j in range(n_post):
                    syn[L.TICK_ELIG, i, j] += z
    eps = P[L.P_TRACE_EPS]
    span = P[L.P_PAIR_SPAN]
    visit_span = span + P[L.P_SUBSTEPS]
    decay = npar[L.TRACE_DECAY]
    m = 1
    while m <= live[0]:
        i = live[m]
        trace = syn[L.TRACE, i]
        tick_elig = syn[L.TICK_ELIG, i]
        idle = t_now - ist[L.LAST_SPIKE, i]
        for g in range(2):
            lo = 0 if g == 0 else split
            hi = split if g == 0 else n_post
            if lo == hi or (ist[L.BOUND_ACTOR + g, i] == 0.0 and idle > visit_span):
                continue
            bound = 0.0
            for j in range(lo, hi):
                e = decay[j] * trace[j]
                z = tick_elig[j]
                if z != 0.0:
                    e += _role(P, npar, j, action) * z
                    tick_elig[j] = 0.0
                trace[j] = e
                if abs(e) > bound:
                    bound = abs(e)
            if bound < eps:
                for j in range(lo, hi):
                    trace[j] = 0.0
                bound = 0.0
            ist[L.BOUND_ACTOR + g, i] = bound
        if (ist[L.BOUND_ACTOR, i] == 0.0 and ist[L.BOUND_CRITIC, i] == 0.0
                and idle > span):
            ist[L.IS_LIVE, i] = 0.0
            live[m] = live[live[0]]
            live[0] -= 1
        else:
            m += 1


@numba.njit(cache=True)
def tick(obs, cmd, out, P, law, S, rng, enc_i, enc_f, syn, writes, npar, nst, ist, live,
         v, refr, count, hist_pre, hist_post, kplus, kminus, dpow, act_idx, act_a, act_cnt,
         cur, spiked, spk_pre, spk_post):
    """One control tick (see the module docstring); results in ``out``."""
    phase = int(cmd[L.C_PHASE])
    learn = cmd[L.C_LEARN] > 0.0
    value = 0.0
    n_act = 0
    out[L.O_WRITES] = 0.0
    out[L.O_WROTE] = 0.0
    out[L.O_MODULATOR] = 0.0
    if phase != L.PHASE_TERMINAL:
        n_act = encode(obs, enc_i, enc_f, act_idx, act_a)
        _begin_tick(P, npar, nst, ist, live, v, refr, count, act_idx, n_act, act_cnt)
        substeps = int(P[L.P_SUBSTEPS])
        pairing = P[L.P_ELIGIBILITY] != L.ELIG_ROLE
        t0 = S[L.S_TIME]
        for k in range(substeps):
            t = t0 + k
            n_pre = _input_spikes(k, t, P, rng, syn, ist, nst, live, hist_pre, hist_post, kminus,
                                  dpow, act_idx, act_a, n_act, act_cnt, cur, spk_pre)
            _neuron_step(P, rng, npar, v, refr, count, spiked, cur)
            if pairing:
                _pairing(k, t, P, syn, nst, ist, live, hist_pre, hist_post, kplus, dpow,
                         spk_pre, n_pre, spiked, spk_post)
        S[L.S_TIME] = t0 + substeps
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
        # Traces follow activity even while learning is frozen, so that resuming is consistent.
        _update_traces(S[L.S_TIME], out[L.O_ACTION], P, syn, npar, ist, live, act_idx, act_cnt,
                       n_act)
    S[L.S_V_PREV] = value
    S[L.S_N_LIVE] = live[0]
