"""The position-only replay (issue 21, part 2): the rig simulator's sensors as a laboratory rig
has them (4096-count encoders, no velocities, the pole's encoder zeroed hanging down and counting
the other way, the cart's zeroed off-centre), message by message as sensor_msgs/JointState
through the control loop with the matching parameters, the pole kept up by a linear controller
acting on what the loop makes of the readings plus random pushes. Against the simulator's true
state: no bad message, the angle within 1 mrad, the angular velocity within 0.1 rad/s RMS."""

import math
import sys

from balancing import lqr_force
import numpy as np
import pytest

from memsnn_controller.envs.bullet_cartpole import BulletCartPoleConfig
from memsnn_controller.envs.simulation import CartPoleSimulation
from memsnn_controller.ros import control_loop as cl
from memsnn_controller.ros import controller_config as cc
from memsnn_controller.ros.conversions import joint_state_from, ns_from_time
from memsnn_controller.snn.config import AgentConfig

CART_OFFSET = 0.25   # m: the cart's encoder reads 0 a quarter metre left of the centre
START_NS = 10**9     # the stream's first stamp (0 would mean unstamped)
SECONDS = 10.0


class PushedLqr:
    """The fake agent of the loop: a balancing force on the observation it is given, plus a
    random push held for 0.2 s; it records the observations."""

    n_synapses = 1
    config = AgentConfig()      # the loop reads task.delay from it
    learning = True

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.observations = []
        self.push = 0.0
        self.episodes = 0

    def reset(self):
        self.episodes += 1

    def step(self, obs):
        self.observations.append(tuple(obs))
        if len(self.observations) % 10 == 1:
            self.push = float(self.rng.normal(0.0, 2.0))
        return type('Decision', (), {'force': lqr_force(obs) + self.push})()

    def end_episode(self, obs=None, terminated=False, truncated=False):
        raise AssertionError(f'the episode ended: {obs}, terminated={terminated}')


@pytest.mark.parametrize('wrapping', [False, True])
@pytest.mark.parametrize('stream_hz', [50, 240])
def test_a_position_only_stream_from_the_rig_simulator(stream_hz, wrapping):
    """wrapping: the driver reports the pole's angle wrapped to (-pi, pi], so with its zero
    hanging down the upright pole sits on the wrap and its readings jump between +-pi."""
    period = 1.0 / stream_hz
    config = BulletCartPoleConfig(control_period=period, encoder_counts=4096,
                                  velocity_sensing='none',
                                  sensor_offset=[-CART_OFFSET, 0.0, math.pi, 0.0],
                                  sensor_sign=(1, -1))
    agent = PushedLqr(seed=stream_hz)
    p = dict(cc.defaults(), velocity_estimation='auto', cart_offset=-CART_OFFSET,
             pole_offset=math.pi, pole_sign=-1, max_episode_steps=0)
    assert cc.validate_all(p) is None
    loop = cl.ControlLoop(agent, cl.LoopSettings.from_parameters(p))  # 50 Hz control
    errors = []  # (x, x_dot, theta, theta_dot) observed - true, at each agent step
    force = 0.0
    msg = None
    jumps, previous = 0, math.pi
    with CartPoleSimulation(config, max_episode_steps=0, seed=3) as sim:
        for _ in range(round(SECONDS * stream_hz)):
            reading = sim.observation
            assert np.isnan(reading[1]) and np.isnan(reading[3])
            if wrapping:
                reading[2] = math.remainder(reading[2], 2 * math.pi)
                jumps += abs(reading[2] - previous) > math.pi
                previous = reading[2]
            msg = joint_state_from(reading, force, START_NS + sim.time_ns, msg=msg)
            steps = len(agent.observations)
            out = loop.process(msg.name, msg.position, msg.velocity,
                               ns_from_time(msg.header.stamp), START_NS + sim.time_ns)
            if len(agent.observations) > steps:
                errors.append(np.subtract(agent.observations[-1], sim.model.state))
            if out.publish:
                force = out.force
            sim.tick(force)
        true_theta = sim.model.state[2]
    errors = np.array(errors)
    angle_max = np.abs(errors[:, 2]).max()
    rates_rms = np.sqrt(np.mean(errors[:, 3] ** 2))
    x_max, speed_rms = np.abs(errors[:, 0]).max(), np.sqrt(np.mean(errors[:, 1] ** 2))
    print(f'{stream_hz} Hz stream{" (wrapped)" if wrapping else ""}, {len(errors)} ticks: '
          f'angle error max {angle_max * 1e3:.3f} mrad, angular velocity RMS error '
          f'{rates_rms:.4f} rad/s; x error max {x_max * 1e3:.4f} mm, x_dot RMS error '
          f'{speed_rms:.4f} m/s', file=sys.stderr)
    assert loop.bad_messages == 0 and loop.bad_by_reason == {}
    assert (jumps > 10) == wrapping
    assert loop.estimator_waits == 1  # the first reading only
    assert agent.episodes == 1 and abs(true_theta) < 0.2  # kept up all along
    assert len(errors) >= 0.99 * SECONDS * 50 and loop.estimated_states >= len(errors)
    assert angle_max < 1e-3
    assert rates_rms < 0.1
    assert x_max < 1e-4 and speed_rms < 0.05
    # The pushes moved it: the estimates were tested on a pole that moves.
    assert np.sqrt(np.mean(np.square([o[3] for o in agent.observations]))) > 0.1
