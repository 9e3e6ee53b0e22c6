"""Helpers for the control loop's tests: a fake agent, a loop around it, one joint state fed."""

from memsnn_controller.ros import control_loop as cl
from memsnn_controller.ros import controller_config as cc
from memsnn_controller.snn.agent import EpisodeSummary
from memsnn_controller.snn.config import AgentConfig

MS = 1_000_000
NAMES = ['slider_to_cart', 'cart_to_pole']
UPRIGHT = (0.01, 0.0, 0.02, 0.0)  # (x, x_dot, theta, theta_dot), inside the ready region


class FakeAgent:
    """Records calls; force = 100 * theta (so clipping shows), like a very stiff controller."""

    n_synapses = 40
    config = AgentConfig()      # the loop reads task.delay from it
    learning = True

    def __init__(self):
        self.steps, self.resets, self.ended = [], 0, []
        self.episode_lengths = []
        self.in_episode = False
        self.length = 0

    def reset(self):
        self.resets += 1
        self.in_episode = True
        self.length = 0

    def step(self, obs):
        assert self.in_episode
        self.steps.append(tuple(obs))
        self.length += 1
        return type('Decision', (), {'force': 100.0 * obs[2]})()

    def end_episode(self, obs=None, terminated=False, truncated=False):
        summary = EpisodeSummary(len(self.episode_lengths), self.length, -1.0 if terminated
                                 else 0.0, 3, terminated, truncated)
        self.ended.append((tuple(obs), terminated, truncated))
        self.episode_lengths.append(self.length)
        self.in_episode = False
        return summary


def make_loop(**settings):
    agent = FakeAgent()
    return cl.ControlLoop(agent, cl.LoopSettings(**settings)), agent


def loop_with(agent=None, **params):
    """A loop configured as the node would be by its parameters (defaults, then ``params``)."""
    agent = FakeAgent() if agent is None else agent
    settings = cl.LoopSettings.from_parameters(dict(cc.defaults(), **params))
    return cl.ControlLoop(agent, settings), agent


def feed(loop, obs=UPRIGHT, t_ms=0.0, receipt_ms=None, names=NAMES, t0_ms=1000.0):
    """One joint state stamped t0_ms + t_ms (a stamp of 0 would mean "unstamped")."""
    x, x_dot, theta, theta_dot = obs
    stamp = round((t0_ms + t_ms) * MS)
    receipt = stamp + 10**12 if receipt_ms is None else round(receipt_ms * MS)
    return loop.process(names, [x, theta], [x_dot, theta_dot], stamp, receipt)


def feed_joint(loop, joint, position, velocity, t_ms, receipt_ms=None, t0_ms=1000.0):
    """A JointState holding one joint only (a per-joint driver)."""
    stamp = round((t0_ms + t_ms) * MS)
    receipt = stamp + 10**12 if receipt_ms is None else round(receipt_ms * MS)
    return loop.process([joint], [position], [velocity], stamp, receipt)
