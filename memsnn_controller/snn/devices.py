"""Memristor device models: plasticity windows, state-dependent write laws, non-idealities.

A device's state is its normalized conductance w = (G - Gmin) / (Gmax - Gmin) in [0, 1]; a signed
synapse is a differential pair with weight w+ - w-. dt = t_post - t_pre in ms; H is Heaviside.

PPX (parylene) memristor, fitted to measured pulses (SCIENCE.md section 2), tau = 10 ms:
    dw = a_p exp(-b_p (1 - w)) H(dt)  |dt/tau| exp(-g_p (dt/tau)^2)
       - a_m exp(-b_m w)       H(-dt) |dt/tau| exp(-g_m (dt/tau)^2),   no change if |dt| > 500 ms
NC (CoFeB-LiNbO3 nanocomposite) memristor (Demin et al. 2021):
    dt > 0: dw = a_p w (1 - tanh((dt - mu_p) / tau_p))
    dt < 0: dw = a_m w (1 - tanh((dt - mu_m) / tau_m))
Ideal: a state-free linear device (the PPX window shape with a constant amplitude).

Both fitted windows factorise into a state-dependent amplitude and a timing kernel:
dw = F_set(w) h_+(dt) for dt > 0 and dw = -F_reset(w) h_-(dt) for dt < 0. The write law used when a
modulated trace programs a device is that amplitude, normalised by F0:
    requested change d > 0 (SET):   w <- w + d * F_set(w) / F0
    requested change d < 0 (RESET): w <- w + d * F_reset(w) / F0
F0 is the value at PPX's balance point w* = 0.298 where F_set = F_reset (0.0668); for NC it is the
mean amplitude at w = 0.5; for the ideal device F_set = F_reset = F0 (a linear device).

Non-idealities (each switchable, DeviceConfig): cycle-to-cycle noise d <- d (1 + c2c * xi);
clipping to [w_floor, 1]; N conductance levels with stochastic or nearest rounding; a
device-to-device lognormal spread s of each device's conductance window (its weight is s * w);
a write threshold (|d| below it programs nothing). Every programming event that changes a
device's state counts as one write (endurance).
"""

import math

import numba
import numpy as np

MODEL_IDEAL = 0
MODEL_PPX = 1
MODEL_NC = 2
MODEL_CODES = {'ideal': MODEL_IDEAL, 'ppx': MODEL_PPX, 'nc': MODEL_NC}

PPX = dict(a_p=0.3161977426412055, a_m=0.011297914920262086, b_p=2.213043124548639,
           b_m=-5.9693974750170025, g_p=0.031839429846118886, g_m=0.14568323501051358,
           tau_ms=10.0, cutoff_ms=500.0)
NC = dict(a_p=0.07376001452742792, mu_p=26.730656991521247, tau_p=9.300596954566565,
          a_m=-0.04963699617346189, mu_m=-22.325265872889496, tau_m=-10.81180238558187)


def ppx_balance_point():
    """w* where the PPX SET and RESET amplitudes are equal, and the amplitude there (F0)."""
    w = (math.log(PPX['a_p'] / PPX['a_m']) - PPX['b_p']) / (-PPX['b_p'] - PPX['b_m'])
    return w, PPX['a_p'] * math.exp(-PPX['b_p'] * (1.0 - w))


PPX_W_STAR, PPX_F0 = ppx_balance_point()
NC_F0 = 0.5 * (NC['a_p'] + abs(NC['a_m'])) * 0.5

LAW_TABLE_INTERVALS = 4096
LAW_HEADER = 6


def law_parameters(model):
    """The write law of a device model as the float array the kernels read:
    [kind, p0, p1, p2, p3, F0, SET table..., RESET table...]. PPX's exponential factors are
    tabulated at 4097 points of w and interpolated linearly (relative error below 3e-7), which
    is three times cheaper than exp per device write; NC's and the ideal device's are exact."""
    code = MODEL_CODES[model]
    n = LAW_TABLE_INTERVALS
    if code == MODEL_PPX:
        head = [code, PPX['a_p'], PPX['b_p'], PPX['a_m'], PPX['b_m'], PPX_F0]
        w = np.linspace(0.0, 1.0, n + 1)
        set_table = PPX['a_p'] * np.exp(-PPX['b_p'] * (1.0 - w)) / PPX_F0
        reset_table = PPX['a_m'] * np.exp(-PPX['b_m'] * w) / PPX_F0
        return np.concatenate([head, set_table, reset_table])
    if code == MODEL_NC:
        head = [code, NC['a_p'] / NC_F0, 0.0, abs(NC['a_m']) / NC_F0, 0.0, NC_F0]
    else:
        head = [code, 1.0, 0.0, 1.0, 0.0, 1.0]
    return np.concatenate([head, np.zeros(2 * (n + 1))])


# --------------------------------------------------------------------------- plasticity windows
def ppx_window(dt_ms, w):
    """PPX fitted rule: the change of w for a pre/post pair at dt = t_post - t_pre (ms)."""
    dt = np.asarray(dt_ms, dtype=float)
    w = np.asarray(w, dtype=float)
    x = np.abs(dt / PPX['tau_ms'])
    ltp = PPX['a_p'] * np.exp(-PPX['b_p'] * (1.0 - w)) * x * np.exp(-PPX['g_p'] * x * x)
    ltd = PPX['a_m'] * np.exp(-PPX['b_m'] * w) * x * np.exp(-PPX['g_m'] * x * x)
    out = np.where(dt > 0, ltp, 0.0) - np.where(dt < 0, ltd, 0.0)
    return np.where(np.abs(dt) > PPX['cutoff_ms'], 0.0, out)


def nc_window(dt_ms, w):
    """NC fitted rule: the change of w for a pre/post pair at dt = t_post - t_pre (ms)."""
    dt = np.asarray(dt_ms, dtype=float)
    w = np.asarray(w, dtype=float)
    ltp = NC['a_p'] * w * (1.0 - np.tanh((dt - NC['mu_p']) / NC['tau_p']))
    ltd = NC['a_m'] * w * (1.0 - np.tanh((dt - NC['mu_m']) / NC['tau_m']))
    return np.where(dt > 0, ltp, 0.0) + np.where(dt < 0, ltd, 0.0)


def timing_kernels(model, n_steps, dt_ms):
    """h_+ and h_- at lags of 0..n_steps neural steps, scaled by F0 so that
    F_set(w)/F0 * plus[lag] is the device's own change for a pre-before-post pair at that lag and
    F_reset(w)/F0 * minus[lag] the depression for a post-before-pre pair."""
    dt = np.arange(int(n_steps) + 1, dtype=float) * dt_ms
    if model == 'nc':
        plus = (1.0 - np.tanh((dt - NC['mu_p']) / NC['tau_p'])) * NC_F0
        minus = (1.0 - np.tanh((-dt - NC['mu_m']) / NC['tau_m'])) * NC_F0
    else:
        x = dt / PPX['tau_ms']
        plus = x * np.exp(-PPX['g_p'] * x * x) * PPX_F0
        minus = x * np.exp(-PPX['g_m'] * x * x) * PPX_F0
        cut = dt > PPX['cutoff_ms']
        plus[cut] = 0.0
        minus[cut] = 0.0
    plus[0] = 0.0
    minus[0] = 0.0
    return plus, minus


# --------------------------------------------------------------------------- write law
@numba.njit(cache=True, inline='always')
def law_factor(w, d, law):
    """F(w)/F0: the SET factor when d > 0, the RESET factor when d < 0 (w in [0, 1])."""
    kind = law[0]
    if kind == MODEL_PPX:
        n = LAW_TABLE_INTERVALS
        x = w * n
        k = int(x)
        if k > n - 1:
            k = n - 1
        base = LAW_HEADER + k if d > 0.0 else LAW_HEADER + n + 1 + k
        return law[base] + (x - k) * (law[base + 1] - law[base])
    if kind == MODEL_NC:
        return (law[1] if d > 0.0 else law[3]) * w
    return 1.0


def law_factor_np(w, d, law):
    """Vectorised ``law_factor``."""
    w = np.asarray(w, dtype=float)
    d = np.asarray(d, dtype=float)
    kind = law[0]
    if kind == MODEL_PPX:
        n = LAW_TABLE_INTERVALS
        x = w * n
        k = np.minimum(x.astype(np.int64), n - 1)
        base = np.where(d > 0.0, LAW_HEADER + k, LAW_HEADER + n + 1 + k)
        return law[base] + (x - k) * (law[base + 1] - law[base])
    if kind == MODEL_NC:
        return np.where(d > 0.0, law[1], law[3]) * w
    return np.ones(np.broadcast(w, d).shape)


@numba.njit(cache=True, inline='always')
def program(w, d, law, w_floor, levels, stochastic, c2c, xi, u):
    """Program one device by the requested change d; xi ~ N(0, 1) and u ~ U[0, 1) are its draws.

    Returns the new w (clipped, quantized and noisy as the device is).
    """
    if c2c > 0.0:
        d = d * (1.0 + c2c * xi)
    w_new = w + d * law_factor(w, d, law)
    if w_new < w_floor:
        w_new = w_floor
    elif w_new > 1.0:
        w_new = 1.0
    if levels >= 2:
        steps = levels - 1.0
        q = w_new * steps
        base = math.floor(q)
        if stochastic:
            level = base + (1.0 if u < q - base else 0.0)
        else:
            level = math.floor(q + 0.5)
        lowest = math.ceil(w_floor * steps - 1e-9)
        if level < lowest:
            level = lowest
        if level > steps:
            level = steps
        w_new = level / steps
    return w_new


@numba.njit(cache=True, inline='always')
def program_accumulate(w, d, pending, law, w_floor, levels, c2c, xi):
    """Program a quantized device through an accumulating register; returns (w, pending).

    The analog change the device would make, d (1 + c2c xi) F(w)/F0, is added to ``pending``;
    the device is programmed by the whole number of levels k = trunc(pending / level) (towards
    zero) and k levels are taken out of the register. At a bound the excess is dropped.
    """
    if c2c > 0.0:
        d = d * (1.0 + c2c * xi)
    pending = pending + d * law_factor(w, d, law)
    steps = levels - 1.0
    k = math.trunc(pending * steps)
    if k == 0.0:
        return w, pending
    level = math.floor(w * steps + 0.5) + k
    lowest = math.ceil(w_floor * steps - 1e-9)
    if level < lowest:
        level = lowest
        pending = 0.0
    elif level > steps:
        level = steps
        pending = 0.0
    else:
        pending = pending - k / steps
    return level / steps, pending


def program_accumulate_np(w, d, pending, law, w_floor, levels, c2c, xi):
    """Vectorised ``program_accumulate``."""
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


def program_np(w, d, law, w_floor, levels, stochastic, c2c, xi, u):
    """Vectorised ``program`` (the numpy reference)."""
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


def conductance_ms(w, g_max_ms, on_off_ratio):
    """G = Gmin + w (Gmax - Gmin) in mS, with Gmin = Gmax / on_off_ratio."""
    g_min = g_max_ms / on_off_ratio
    return g_min + np.asarray(w, dtype=float) * (g_max_ms - g_min)
