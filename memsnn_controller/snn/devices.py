"""Memristor device models: fitted parameters, plasticity windows, timing kernels, conductances.

A device's state is its normalized conductance w = (G - Gmin) / (Gmax - Gmin) in [0, 1]; a signed
synapse is a differential pair with weight w+ - w-. dt = t_post - t_pre in ms; H is Heaviside.

PPX (parylene) memristor, fitted to measured pulses (docs/science.md section 5.1), tau = 10 ms:
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

This module is the models' analysis side (plain numpy); the write law as the kernels run it is
write_law.py, and its numpy twin is in reference.py.
"""

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

MODEL_IDEAL = 0
MODEL_PPX = 1
MODEL_NC = 2
MODEL_CODES = {'ideal': MODEL_IDEAL, 'ppx': MODEL_PPX, 'nc': MODEL_NC}

PPX = dict(a_p=0.3161977426412055, a_m=0.011297914920262086, b_p=2.213043124548639,
           b_m=-5.9693974750170025, g_p=0.031839429846118886, g_m=0.14568323501051358,
           tau_ms=10.0, cutoff_ms=500.0)
NC = dict(a_p=0.07376001452742792, mu_p=26.730656991521247, tau_p=9.300596954566565,
          a_m=-0.04963699617346189, mu_m=-22.325265872889496, tau_m=-10.81180238558187)


def ppx_balance_point() -> tuple[float, float]:
    """w* where the PPX SET and RESET amplitudes are equal, and the amplitude there (F0)."""
    w = (math.log(PPX['a_p'] / PPX['a_m']) - PPX['b_p']) / (-PPX['b_p'] - PPX['b_m'])
    return w, PPX['a_p'] * math.exp(-PPX['b_p'] * (1.0 - w))


PPX_W_STAR, PPX_F0 = ppx_balance_point()
NC_F0 = 0.5 * (NC['a_p'] + abs(NC['a_m'])) * 0.5


# --------------------------------------------------------------------------- plasticity windows
def ppx_window(dt_ms: ArrayLike, w: ArrayLike) -> NDArray[np.float64]:
    """PPX fitted rule: the change of w for a pre/post pair at dt = t_post - t_pre (ms)."""
    dt = np.asarray(dt_ms, dtype=float)
    w = np.asarray(w, dtype=float)
    x = np.abs(dt / PPX['tau_ms'])
    ltp = PPX['a_p'] * np.exp(-PPX['b_p'] * (1.0 - w)) * x * np.exp(-PPX['g_p'] * x * x)
    ltd = PPX['a_m'] * np.exp(-PPX['b_m'] * w) * x * np.exp(-PPX['g_m'] * x * x)
    out = np.where(dt > 0, ltp, 0.0) - np.where(dt < 0, ltd, 0.0)
    return np.where(np.abs(dt) > PPX['cutoff_ms'], 0.0, out)


def nc_window(dt_ms: ArrayLike, w: ArrayLike) -> NDArray[np.float64]:
    """NC fitted rule: the change of w for a pre/post pair at dt = t_post - t_pre (ms)."""
    dt = np.asarray(dt_ms, dtype=float)
    w = np.asarray(w, dtype=float)
    ltp = NC['a_p'] * w * (1.0 - np.tanh((dt - NC['mu_p']) / NC['tau_p']))
    ltd = NC['a_m'] * w * (1.0 - np.tanh((dt - NC['mu_m']) / NC['tau_m']))
    return np.where(dt > 0, ltp, 0.0) + np.where(dt < 0, ltd, 0.0)


def timing_kernels(model: str, n_steps: int,
                   dt_ms: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
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


def conductance_ms(w: ArrayLike, g_max_ms: float, on_off_ratio: float) -> NDArray[np.float64]:
    """G = Gmin + w (Gmax - Gmin) in mS, with Gmin = Gmax / on_off_ratio."""
    g_min = g_max_ms / on_off_ratio
    return g_min + np.asarray(w, dtype=float) * (g_max_ms - g_min)
