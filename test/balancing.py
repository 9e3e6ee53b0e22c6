"""One linear balancing controller for every test that needs a cart-pole kept up.

Tests that compare a trajectory through ROS with the plain loop call this same function on both
sides: a force computed twice by different code (np.dot against a Python sum, say) can differ in
the last bit on another CPU, and a lockstep trajectory amplifies any such bit.
"""

import numpy as np

LQR_GAINS = np.array([2.8, 5.3, 46.0, 12.0])  # balances CartPole-v1 (positive = push to +x)


def lqr_force(observation):
    """The balancing force (N) for (x, x_dot, theta, theta_dot) in CartPole-v1's conventions."""
    return float(np.dot(LQR_GAINS, np.asarray(observation, dtype=np.float64)))
