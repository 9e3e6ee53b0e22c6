"""The compiled control tick: encode, K neural steps, decide, learn, in ONE numba call.

One call of ``tick`` for the state s_t of a control tick does, in order:
1. encode s_t into the active inputs (encoding.encode);
2. run K = control_period / dt LIF steps (neurons.py has the equations): input spikes add their
   row of w_eff to the membranes; each actor population's current is lowered by the mutual
   inhibition I driven by the other's spikes (I <- inh_decay I + inhibition n_other, from 0 at
   each tick start); per-tick resets of membranes and input phases where configured;
   within-tick eligibility is gathered for the spike-timing rules (window, local, MSTDPET;
   plasticity.py);
3. read out the action (more spikes wins, a tie is broken at random), the force and the critic's
   value V(s_t) = value_scale (n+ - n-) / (n_critic vbase), and count the activity (input
   spikes, neuron updates: the energy estimate's inputs); with a raster in the scratch
   (state.spike_raster) every step's input and neuron spikes are recorded in it;
4. learn from the transition that ended in s_t: M = r + gamma V(s_t) - V(s_{t-1}) (TD; at a
   failure V(s_t) = 0) or the caller's reward signal; when |M| >= dead_zone every device of every
   live trace row is programmed by eta_j M e_ij through its write law (write_law.program), the
   actor's and the critic's only when |M| also reaches their own dead zone; with a group's
   write_step the requests are summed per synapse and written once |sum| >= write_step (or a
   whole step is written with probability |request| / step); a device past its endurance is
   stuck; with retention the rows read or written are relaxed up to now first;
5. fold this tick's eligibility into the traces: e <- lambda e + role_j z_ij (plasticity.py).
Only live rows (inputs with a recent spike or a trace above trace_eps) are touched, and within a
row only the column groups (actor, critic) whose trace is still alive, so the cost follows
activity rather than the size of the weight matrix. Nothing allocates.

The state is named (state.py): ``p`` is the Params record, ``inputs`` and ``neurons`` are indexed
by input i and neuron j, ``syn`` by (i, j) (the named views of the SynapseStore, made where they
are used), ``carry`` holds the scalars kept from tick to tick and ``out`` the Output record. The
per-step helpers are inlined into the tick, the per-tick ones are separate functions; every
function is compiled by jit.kernel. The numpy twin, reference.tick_reference, does the same on
the same state and random stream.
"""

import math

from memsnn_controller.snn import state as S
from memsnn_controller.snn.encoding import encode
from memsnn_controller.snn.jit import kernel
from memsnn_controller.snn.rng import coarse_normal_ahead, normal, skip, uniform
from memsnn_controller.snn.write_law import law_factor, program, program_accumulate


@kernel(inline='always')
def _group_columns(g, split, n_post):
    """Columns of group g: the actor's [0, split) for g = 0, the critic's [split, n_post) for 1."""
    if g == 0:
        return 0, split
    return split, n_post


@kernel(inline='always')
def _add_live(i, inputs, carry):
    """Live list: append row i unless it is in already."""
    if not inputs.is_live[i]:
        inputs.is_live[i] = True
        inputs.live[carry.n_live] = i
        carry.n_live += 1


# _relax_row and _noisy_read are called only with their effect on, and are kept out of line:
# inlined into the step loop they slowed the tick with both effects off (measured).
@kernel
def _relax_row(i, now, p, store, neurons, inputs):
    """Retention: every device of row i that has not failed relaxes from relaxed_at_i to now,
    w <- rest + (w - rest) exp(-(now - relaxed_at_i) retention_rate) (exact over any split of
    the interval, so rows are brought up to date only when read or written), and w_eff follows.
    A relaxation smaller than S.RELAX_MIN of the excursion (elapsed x rate below it) is left
    pending (relaxed_at_i stays): it is applied, exactly, once it has grown past that."""
    elapsed = now - inputs.relaxed_at[i]
    if elapsed * p.retention_rate < S.RELAX_MIN:
        return
    inputs.relaxed_at[i] = now
    syn = S.synapse_views(store)
    f = math.exp(-elapsed * p.retention_rate)
    rest = p.retention_rest
    w_pos = syn.w_pos[i]
    w_neg = syn.w_neg[i]
    s_pos = syn.scale_pos[i]
    s_neg = syn.scale_neg[i]
    writes_pos = syn.writes_pos[i]
    writes_neg = syn.writes_neg[i]
    life_pos = syn.life_pos[i]
    life_neg = syn.life_neg[i]
    w_eff = syn.w_eff[i]
    gain = neurons.gain
    for j in range(w_pos.shape[0]):
        # A failed device is stuck (life is NEVER_FAILS without an endurance limit).
        if writes_pos[j] < life_pos[j]:
            w_pos[j] = rest + (w_pos[j] - rest) * f
        if writes_neg[j] < life_neg[j]:
            w_neg[j] = rest + (w_neg[j] - rest) * f
        w_eff[j] = gain[j] * (s_pos[j] * w_pos[j] - s_neg[j] * w_neg[j])


@kernel
def _begin_tick(p, store, neurons, inputs, carry, scratch, n_act):
    """Tick start: counts <- 0; v_j <- reset_value_j, refractory_j <- 0 where reset_each_tick;
    phase_i <- phase0 for the active inputs (phase_reset), which join the live list and, with
    retention, have their devices relaxed up to now (they are read in this tick); with
    tick_gated the spike rings are emptied (pairs only within the tick); the inhibitory
    currents I <- 0."""
    v = neurons.v
    for j in range(v.shape[0]):
        neurons.count[j] = 0.0
        if neurons.reset_each_tick[j]:
            v[j] = neurons.reset_value[j]
            neurons.refractory[j] = 0.0
    for a in range(n_act):
        i = scratch.active[a]
        scratch.active_spikes[a] = 0.0
        if p.phase_reset:
            inputs.phase[i] = p.phase0
        _add_live(i, inputs, carry)
        if p.retention_rate > 0.0:
            _relax_row(i, carry.time, p, store, neurons, inputs)
    scratch.inhibition[0] = 0.0
    scratch.inhibition[1] = 0.0
    if p.tick_gated:
        for j in range(v.shape[0]):
            neurons.ring.fill[j] = 0
        for m in range(carry.n_live):
            inputs.ring.fill[inputs.live[m]] = 0


@kernel(inline='always')
def _ring_sum(ring, row, t, table, window):
    """Sum of table[t - t_k] over the ring's spike times t_k with 0 < t - t_k <= window."""
    total = 0.0
    cap = ring.times.shape[1]
    head = ring.head[row]
    for m in range(ring.fill[row]):
        slot = (head - 1 - m) % cap
        lag = t - ring.times[row, slot]
        if lag > window:
            break
        if lag > 0:
            total += table[int(lag)]
    return total


@kernel(inline='always')
def _ring_push(ring, row, t):
    """Ring: t_k <- t at head; head <- (head + 1) mod history; fill <- min(fill + 1, history)."""
    cap = ring.times.shape[1]
    head = ring.head[row]
    ring.times[row, head] = t
    ring.head[row] = (head + 1) % cap
    if ring.fill[row] < cap:
        ring.fill[row] += 1


@kernel(inline='always')
def _input_spikes(k, t, p, rng, store, inputs, neurons, carry, tables, scratch, n_act):
    """Input spikes of step k: I_j = sum of w_eff_ij over the inputs i that fire (with
    device.read_noise each read is noisy: w_eff_ij + sigma_ij xi, xi ~ N(0, 1) per synapse and
    read, sigma_ij = read_noise gain_j sqrt((s+ w+)^2 + (s- w-)^2), the sum of the two devices'
    independent relative noises w (1 + read_noise xi)); MSTDPET
    P+_i <- P+_i exp(-dt/tau_plus) + a_plus s_pre_i; the window (and local) rule's LTD half
    z_ij -= sum over held post spikes of F0 h_-(t - t_post) d_j^(K-1-k) over the paired columns
    j < paired_columns. Returns the spike count."""
    syn = S.synapse_views(store)
    coding = p.coding
    rate = p.rate_per_step
    elig = p.eligibility
    cur = scratch.current
    act_idx = scratch.active
    act_a = scratch.activation
    n_post = cur.shape[0]
    for j in range(n_post):
        cur[j] = 0.0
    if elig == S.ELIG_MSTDPET:
        for m in range(carry.n_live):
            inputs.pre_trace[inputs.live[m]] *= p.pre_decay
    n_spk = 0
    for a in range(n_act):
        i = act_idx[a]
        spike = False
        if coding == S.CODING_REGULAR:
            phase = inputs.phase[i] + act_a[a] * rate
            if phase >= 1.0:
                spike = True
                phase -= 1.0
            inputs.phase[i] = phase
        elif coding == S.CODING_POISSON:
            spike = uniform(rng) < act_a[a] * rate
        else:
            if act_a[a] >= p.latency_min:
                spike = k == int(math.floor(p.latency_steps * (1.0 - act_a[a]) + 0.5))
        if not spike:
            continue
        scratch.active_spikes[a] += 1.0
        inputs.last_spike[i] = t
        scratch.pre_spikes[n_spk] = i
        n_spk += 1
        w_eff = syn.w_eff[i]
        if p.read_noise > 0.0:
            _noisy_read(p, rng, store, neurons.gain, i, cur)
        else:
            for j in range(n_post):
                cur[j] += w_eff[j]
        if elig == S.ELIG_MSTDPET:
            inputs.pre_trace[i] += p.a_plus
        elif elig == S.ELIG_WINDOW or elig == S.ELIG_LOCAL:
            window = p.window_steps
            for j in range(p.paired_columns):
                ltd = _ring_sum(neurons.ring, j, t, tables.kminus, window)
                if ltd != 0.0:
                    syn.tick_elig[i, j] -= ltd * tables.in_tick_weight[k, j]
            _ring_push(inputs.ring, i, t)
    return n_spk


@kernel
def _noisy_read(p, rng, store, gain, i, cur):
    """I_j += w_eff_ij + sigma_ij xi_j for every column j of row i (see _input_spikes): the
    n_post normals are the stream's next n_post draws (the table's quantiles, not
    interpolated), taken in one loop whose iterations do not depend on each other
    (coarse_normal_ahead) so that it vectorises."""
    syn = S.synapse_views(store)
    rn = p.read_noise
    w_pos = syn.w_pos[i]
    w_neg = syn.w_neg[i]
    s_pos = syn.scale_pos[i]
    s_neg = syn.scale_neg[i]
    w_eff = syn.w_eff[i]
    n_post = cur.shape[0]
    for j in range(n_post):
        a = s_pos[j] * w_pos[j]
        b = s_neg[j] * w_neg[j]
        sigma = rn * gain[j] * math.sqrt(a * a + b * b)
        cur[j] += w_eff[j] + sigma * coarse_normal_ahead(rng, j + 1)
    skip(rng, n_post)


@kernel(inline='always')
def _neuron_step(p, rng, neurons, cur, spiked):
    """One LIF step: v <- v decay + (1 - decay) bias + sigma xi + I for the neurons that are not
    refractory; v >= threshold fires (spiked[j] = 1), v <- v_reset, silent for refractory steps.

    Noise is drawn first, in column order, for the noisy neurons that are not refractory. The
    update itself is branch-free (selects only), which the compiler vectorises: spikes are
    frequent and irregular, and mispredicted branches would cost more than the arithmetic.
    """
    noise = neurons.noise
    v = neurons.v
    refr = neurons.refractory
    count = neurons.count
    n = v.shape[0]
    for j in range(n):
        if noise[j] > 0.0 and refr[j] <= 0.0:
            cur[j] += noise[j] * normal(rng)
    decay = p.decay
    drive = 1.0 - decay
    threshold = p.threshold
    v_reset = p.v_reset
    refractory = float(p.refractory)
    bias = neurons.bias
    for j in range(n):
        active = refr[j] <= 0.0
        x = v[j] * decay + drive * bias[j] + cur[j]
        x = x if active else v[j]
        spike = x >= threshold
        v[j] = v_reset if spike else x
        refr[j] = refractory if spike else (refr[j] if active else refr[j] - 1.0)
        count[j] += 1.0 if spike else 0.0
        spiked[j] = 1.0 if spike else 0.0


@kernel(inline='always')
def _pairing(k, t, p, store, neurons, inputs, carry, tables, scratch, n_pre):
    """Eligibility of step k, weighted d_j^(K-1-k): MSTDPET zeta_ij = P+_i s_post_j + s_pre_i P-_j
    with P-_j <- P-_j exp(-dt/tau_minus) - a_minus s_post_j; the window (and local) rule's LTP
    half z_ij += sum over held pre spikes of F0 h_+(t - t_pre) for the neurons j < paired_columns
    that fired."""
    syn = S.synapse_views(store)
    elig = p.eligibility
    spiked = scratch.spiked
    spk_post = scratch.post_spikes
    weight = tables.in_tick_weight
    n_post = p.paired_columns
    n_post_spk = 0
    for j in range(n_post):
        if spiked[j] > 0.0:
            spk_post[n_post_spk] = j
            n_post_spk += 1
    if elig == S.ELIG_MSTDPET:
        post_trace = neurons.post_trace
        for j in range(n_post):
            post_trace[j] *= p.post_decay
        for s in range(n_post_spk):
            post_trace[spk_post[s]] -= p.a_minus
        # zeta_ij = P+_i s_post_j + s_pre_i P-_j, P+ and P- including this step's spikes.
        for s in range(n_post_spk):
            j = spk_post[s]
            for m in range(carry.n_live):
                i = inputs.live[m]
                syn.tick_elig[i, j] += inputs.pre_trace[i] * weight[k, j]
        for s in range(n_pre):
            i = scratch.pre_spikes[s]
            for j in range(n_post):
                syn.tick_elig[i, j] += post_trace[j] * weight[k, j]
    elif elig == S.ELIG_WINDOW or elig == S.ELIG_LOCAL:
        window = p.window_steps
        for m in range(carry.n_live):
            i = inputs.live[m]
            if n_post_spk == 0 or inputs.ring.fill[i] == 0:
                continue
            ltp = _ring_sum(inputs.ring, i, t, tables.kplus, window)
            if ltp != 0.0:
                for s in range(n_post_spk):
                    j = spk_post[s]
                    syn.tick_elig[i, j] += ltp * weight[k, j]
        for s in range(n_post_spk):
            _ring_push(neurons.ring, spk_post[s], t)


@kernel(inline='always')
def _inhibit(p, scratch):
    """Mutual inhibition, before the LIF step: I_j -= I_left for the left population's neurons,
    I_j -= I_right for the right's."""
    n_a = p.n_actor
    cur = scratch.current
    inh_left = scratch.inhibition[0]
    inh_right = scratch.inhibition[1]
    for j in range(n_a):
        cur[j] -= inh_left
        cur[n_a + j] -= inh_right


@kernel(inline='always')
def _inhibition_update(p, scratch):
    """After the LIF step: I_left <- inh_decay I_left + inhibition n_right and
    I_right <- inh_decay I_right + inhibition n_left, n_* the populations' spikes in the step."""
    n_a = p.n_actor
    spiked = scratch.spiked
    n_left = 0.0
    n_right = 0.0
    for j in range(n_a):
        n_left += spiked[j]
        n_right += spiked[n_a + j]
    inh = scratch.inhibition
    inh[0] = p.inh_decay * inh[0] + p.inhibition * n_right
    inh[1] = p.inh_decay * inh[1] + p.inhibition * n_left


@kernel(inline='always')
def _neural_step(k, t0, pairing, p, rng, store, inputs, neurons, carry, tables, scratch, n_act):
    """Neural step k of the tick (at time t0 + k): input spikes, the mutual inhibition, the LIF
    step, and the pairing eligibility of the spike-timing rules; returns the input spikes."""
    t = t0 + k
    n_pre = _input_spikes(k, t, p, rng, store, inputs, neurons, carry, tables, scratch, n_act)
    inhibition = p.inhibition > 0.0
    if inhibition:
        _inhibit(p, scratch)
    _neuron_step(p, rng, neurons, scratch.current, scratch.spiked)
    if inhibition:
        _inhibition_update(p, scratch)
    if pairing:
        _pairing(k, t, p, store, neurons, inputs, carry, tables, scratch, n_pre)
    return n_pre


@kernel
def _clear_raster(scratch):
    """Raster: every entry <- 0 at the start of a recorded tick."""
    for k in range(scratch.raster_post.shape[0]):
        for i in range(scratch.raster_pre.shape[1]):
            scratch.raster_pre[k, i] = 0
        for j in range(scratch.raster_post.shape[1]):
            scratch.raster_post[k, j] = 0


@kernel(inline='always')
def _record_step(k, scratch, n_pre):
    """Raster of step k: pre[k, i] <- 1 for the inputs that fired, post[k, j] <- spiked_j."""
    for s in range(n_pre):
        scratch.raster_pre[k, scratch.pre_spikes[s]] = 1
    for j in range(scratch.spiked.shape[0]):
        scratch.raster_post[k, j] = 1 if scratch.spiked[j] > 0.0 else 0


@kernel
def _read_out(p, rng, count, out):
    """Read-out: more spikes acts (a tie at random); force = +-force_limit, or
    force_limit (n_right - n_left) / (n_left + n_right); V = value_scale (n+ - n-) /
    (n_critic vbase). Fills ``out`` and returns V."""
    n_a = p.n_actor
    n_c = p.n_critic
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
        value = p.value_scale * (c_pos - c_neg) / (n_c * p.vbase)
    if n_right > n_left:
        right = True
    elif n_left > n_right:
        right = False
    else:
        right = uniform(rng) < 0.5
    f_max = p.force_limit
    if p.decoder == S.DECODER_CONTINUOUS:
        total = n_left + n_right
        force = f_max * (n_right - n_left) / total if total > 0.0 else 0.0
    else:
        force = f_max if right else -f_max
    out.action = 1 if right else 0
    out.force = force
    out.value = value
    return value


@kernel(inline='always')
def _role(p, group, action):
    """role_j: +1 onto V+ and the chosen action's population, -1 onto V- and the other one
    (+1 everywhere without role_sign); the local rule never uses the action: -1 onto V-, +1
    elsewhere (the critic's sign is its population's)."""
    if p.eligibility == S.ELIG_LOCAL:
        return -1.0 if group == S.GROUP_V_NEG else 1.0
    if not p.role_sign:
        return 1.0
    if group == S.GROUP_V_POS:
        return 1.0
    if group == S.GROUP_V_NEG:
        return -1.0
    chosen = S.GROUP_RIGHT if action == 1 else S.GROUP_LEFT
    return 1.0 if group == chosen else -1.0


@kernel(inline='always')
def _program_columns(i, lo, hi, M, step, random_step, endurance, p, law, rng, eta, gain, syn):
    """Program the columns lo..hi-1 of the live row i (see _write); returns the writes. _write
    calls it with literal ``random_step`` and ``endurance``, so each of its four copies is
    compiled without the other cases' branches (with both off the loop is the one it was
    before either existed)."""
    trace = syn.trace[i]
    w_pos = syn.w_pos[i]
    w_neg = syn.w_neg[i]
    s_pos = syn.scale_pos[i]
    s_neg = syn.scale_neg[i]
    w_eff = syn.w_eff[i]
    writes_pos = syn.writes_pos[i]
    writes_neg = syn.writes_neg[i]
    life_pos = syn.life_pos[i]
    life_neg = syn.life_neg[i]
    pending_pos = syn.pending_pos[i]
    pending_neg = syn.pending_neg[i]
    levels = p.levels
    stochastic = p.stochastic
    c2c = p.c2c
    w_floor = p.w_floor
    threshold = p.write_threshold
    accumulate = levels >= 2 and p.accumulate
    draw_xi = c2c > 0.0
    draw_u = levels >= 2 and stochastic and not accumulate
    # Without noise or quantization no random numbers are drawn and the write is a clip of
    # w + x F(w): the common case gets a tight loop.
    ideal_path = not draw_xi and levels < 2
    stuck = p.stuck
    stuck_value = w_floor if stuck == S.STUCK_LOW else 1.0
    count = 0
    for j in range(lo, hi):
        x = eta[j] * M * trace[j]
        if random_step:
            # A whole step with probability |x| / step: E[change] = x, no register.
            u_step = uniform(rng)
            ax = abs(x)
            if ax < step:
                x = (step if x > 0.0 else -step) if u_step * step < ax else 0.0
        elif step > 0.0:
            # Sum the requests; program the sum once it reaches the step.
            summed = pending_pos[j] + x
            if abs(summed) < step:
                pending_pos[j] = summed
                x = 0.0
            else:
                pending_pos[j] = 0.0
                x = summed
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
                new_p, pend_p = program_accumulate(
                    old_p, x, pending_pos[j], law, w_floor, levels, c2c, xi_p)
                new_n, pend_n = program_accumulate(
                    old_n, -x, pending_neg[j], law, w_floor, levels, c2c, xi_n)
                # A failed device's register stays as it was.
                if not endurance or writes_pos[j] < life_pos[j]:
                    pending_pos[j] = pend_p
                if not endurance or writes_neg[j] < life_neg[j]:
                    pending_neg[j] = pend_n
            else:
                new_p = program(old_p, x, law, w_floor, levels, stochastic, c2c, xi_p, u_p)
                new_n = program(old_n, -x, law, w_floor, levels, stochastic, c2c, xi_n, u_n)
        if endurance:
            # A failed device ignores the write.
            if writes_pos[j] >= life_pos[j]:
                new_p = old_p
            if writes_neg[j] >= life_neg[j]:
                new_n = old_n
        if new_p != old_p:
            writes_pos[j] += 1
            count += 1
            if endurance and stuck != S.STUCK_LAST and writes_pos[j] >= life_pos[j]:
                new_p = stuck_value
        if new_n != old_n:
            writes_neg[j] += 1
            count += 1
            if endurance and stuck != S.STUCK_LAST and writes_neg[j] >= life_neg[j]:
                new_n = stuck_value
        w_pos[j] = new_p
        w_neg[j] = new_n
        w_eff[j] = gain[j] * (s_pos[j] * new_p - s_neg[j] * new_n)
    return count


@kernel
def _write(M, p, law, rng, store, neurons, inputs, carry):
    """Program every live (row, group) by x = eta_j M e_ij: w+ <- program(w+, x),
    w- <- program(w-, -x), w_eff = gain_j (s+ w+ - s- w-); returns the writes (state changes).

    A group is skipped while |M| < its own dead zone (actor_dead_zone, critic_dead_zone). With a
    group's write_step s > 0: 'register' sums the requests in pending_pos, R <- R + x, and
    programs x = R (R <- 0) once |R| >= s, nothing below it (x = 0); 'random' programs
    x = sign(x) s with probability |x| / s when |x| < s (one uniform per column, drawn whether
    or not it is used) and x itself otherwise. With endurance, a device whose writes have
    reached its lifetime is failed: it ignores the request (its draws are still taken), and the
    write that uses up its lifetime leaves it stuck (last, floor or 1). With retention, each row
    is relaxed up to now before it is programmed.
    """
    syn = S.synapse_views(store)
    endurance = p.endurance
    relax = p.retention_rate > 0.0
    n_post = syn.w_pos.shape[1]
    split = 2 * p.n_actor
    eta = neurons.eta
    gain = neurons.gain
    count = 0
    open_actor = abs(M) >= p.actor_dead_zone
    open_critic = abs(M) >= p.critic_dead_zone
    for m in range(carry.n_live):
        i = inputs.live[m]
        if relax:
            _relax_row(i, carry.time, p, store, neurons, inputs)
        for g in range(2):
            if inputs.bound[g, i] == 0.0 or not (open_actor if g == 0 else open_critic):
                continue
            lo, hi = _group_columns(g, split, n_post)
            step = p.actor_write_step if g == 0 else p.critic_write_step
            random_step = step > 0.0 and (p.actor_write_random if g == 0
                                          else p.critic_write_random)
            if endurance:
                if random_step:
                    count += _program_columns(i, lo, hi, M, step, True, True, p, law, rng, eta,
                                              gain, syn)
                else:
                    count += _program_columns(i, lo, hi, M, step, False, True, p, law, rng, eta,
                                              gain, syn)
            elif random_step:
                count += _program_columns(i, lo, hi, M, step, True, False, p, law, rng, eta,
                                          gain, syn)
            else:
                count += _program_columns(i, lo, hi, M, step, False, False, p, law, rng, eta,
                                          gain, syn)
    return count


# Out of line, called only when on: inside _update_traces' loop it slowed the tick with it off.
@kernel
def _silent_depression(p, store, neurons, scratch, n_act):
    """The local rule's push-pull: z_ij -= silent_depression n_pre_i / pre_norm for the actor
    neurons j that did not fire in the tick, on the rows i of the inputs that did."""
    syn = S.synapse_views(store)
    for a in range(n_act):
        if scratch.active_spikes[a] > 0.0:
            i = scratch.active[a]
            ltd = p.silent_depression * (scratch.active_spikes[a] / p.pre_norm)
            for j in range(2 * p.n_actor):
                if neurons.count[j] == 0.0:
                    syn.tick_elig[i, j] -= ltd


@kernel
def _update_traces(t_now, action, p, store, neurons, inputs, carry, scratch, n_act):
    """Traces: e_ij <- lambda_j e_ij + role_j z_ij over the live (row, group) parts, with
    z_ij = n_pre_i / pre_norm for the role rule (and the local rule's critic columns; its actor
    columns lose silent_depression n_pre_i / pre_norm where neuron j did not fire); a part
    whose max |e| falls below trace_eps is zeroed, and a row with no live part, silent for more
    than pair_span steps, leaves the live list."""
    syn = S.synapse_views(store)
    n_post = syn.trace.shape[1]
    split = 2 * p.n_actor
    elig = p.eligibility
    if elig == S.ELIG_ROLE or elig == S.ELIG_LOCAL:
        # z_ij = n_pre_i / pre_norm for the rows that spiked (the role sign comes below); the
        # local rule's actor columns have their pairing-window eligibility instead.
        pre_norm = p.pre_norm
        first = split if elig == S.ELIG_LOCAL else 0
        for a in range(n_act):
            if scratch.active_spikes[a] > 0.0:
                i = scratch.active[a]
                z = scratch.active_spikes[a] / pre_norm
                for j in range(first, n_post):
                    syn.tick_elig[i, j] += z
        if elig == S.ELIG_LOCAL and p.silent_depression > 0.0:
            _silent_depression(p, store, neurons, scratch, n_act)
    eps = p.trace_eps
    span = p.pair_span
    visit_span = span + p.substeps
    decay = neurons.trace_decay
    group = neurons.group
    m = 0
    while m < carry.n_live:
        i = inputs.live[m]
        trace = syn.trace[i]
        tick_elig = syn.tick_elig[i]
        idle = t_now - inputs.last_spike[i]
        for g in range(2):
            lo, hi = _group_columns(g, split, n_post)
            if lo == hi or (inputs.bound[g, i] == 0.0 and idle > visit_span):
                continue
            bound = 0.0
            for j in range(lo, hi):
                e = decay[j] * trace[j]
                z = tick_elig[j]
                if z != 0.0:
                    e += _role(p, group[j], action) * z
                    tick_elig[j] = 0.0
                trace[j] = e
                if abs(e) > bound:
                    bound = abs(e)
            if bound < eps:
                for j in range(lo, hi):
                    trace[j] = 0.0
                bound = 0.0
            inputs.bound[g, i] = bound
        if inputs.bound[0, i] == 0.0 and inputs.bound[1, i] == 0.0 and idle > span:
            inputs.is_live[i] = False
            carry.n_live -= 1
            inputs.live[m] = inputs.live[carry.n_live]
        else:
            m += 1


@kernel
def tick(obs, command, output, params, carry, rng, tables, inputs, neurons, store, scratch):
    """One control tick (see the module docstring); results in ``output``."""
    p = params[()]
    cmd = command[()]
    out = output[()]
    c = carry[()]
    phase = cmd.phase
    value = 0.0
    n_act = 0
    out.writes = 0
    out.wrote = False
    out.modulator = 0.0
    out.input_spikes = 0
    out.neuron_updates = 0
    if phase != S.PHASE_TERMINAL:
        n_act = encode(obs, tables.encoder_ints, tables.encoder_floats, scratch.active,
                       scratch.activation)
        _begin_tick(p, store, neurons, inputs, c, scratch, n_act)
        pairing = p.eligibility != S.ELIG_ROLE
        t0 = c.time
        n_input_spikes = 0
        # The recording loop is a loop of its own: a test inside the common one cost 5 % of
        # the tick (measured), the loop without it nothing.
        if scratch.raster_post.shape[0] > 0:
            _clear_raster(scratch)
            for k in range(p.substeps):
                n_pre = _neural_step(k, t0, pairing, p, rng, store, inputs, neurons, c, tables,
                                     scratch, n_act)
                n_input_spikes += n_pre
                _record_step(k, scratch, n_pre)
        else:
            for k in range(p.substeps):
                n_input_spikes += _neural_step(k, t0, pairing, p, rng, store, inputs, neurons, c,
                                               tables, scratch, n_act)
        c.time = t0 + p.substeps
        out.input_spikes = n_input_spikes
        out.neuron_updates = p.substeps * neurons.v.shape[0]
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
            out.writes = _write(M, p, tables.law, rng, store, neurons, inputs, c)
            out.wrote = True
    if phase == S.PHASE_STEP:
        # Traces follow activity even while learning is frozen, so that resuming is consistent.
        _update_traces(c.time, out.action, p, store, neurons, inputs, c, scratch, n_act)
    c.v_prev = value
