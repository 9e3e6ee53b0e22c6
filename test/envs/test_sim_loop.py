"""The simulator's episode loop (no ROS): time, failures, pauses, truncation, determinism."""

from balancing import lqr_force
import numpy as np
import pytest

from memsnn_controller.envs.bullet_cartpole import BulletCartPoleConfig
from memsnn_controller.envs.cartpole_spec import is_failure
from memsnn_controller.envs.simulation import CartPoleSimulation

balance = lqr_force


def run_until_report(sim, force_fn, limit=1000):
    for _ in range(limit):
        report = sim.tick(force_fn(sim.observation))
        if report is not None:
            return report
    raise AssertionError('no episode ended')


def test_time_is_exact_multiples_of_the_period():
    config = BulletCartPoleConfig(control_period=0.01)
    with CartPoleSimulation(config, seed=0) as sim:
        assert sim.time_ns == 0 and sim.episode == 1
        for _ in range(300):
            sim.tick(balance(sim.observation))
        assert sim.time_ns == 300 * 10_000_000


def test_failure_freezes_for_reset_pause_then_resets():
    with CartPoleSimulation(seed=0, reset_pause=0.1) as sim:
        report = run_until_report(sim, lambda obs: 10.0)
        assert report.terminated and not report.truncated
        assert report.reason in ('x_limit', 'theta_limit')
        assert report.episode == 1 and report.length == sim.episode_steps
        assert report.end_time == pytest.approx(sim.time)
        failed = sim.observation
        assert is_failure(sim.model.state)
        for _ in range(5):  # 0.1 s of sim time at 20 ms
            assert sim.tick(10.0) is None
            np.testing.assert_array_equal(sim.observation, failed)  # held, not recomputed
            assert sim.applied_force == 0.0 and sim.episode == 1
        sim.tick(10.0)
        assert sim.episode == 2 and sim.episode_steps == 0
        assert np.all(np.abs(sim.observation) <= 0.05)


def test_zero_pause_resets_on_the_next_tick():
    with CartPoleSimulation(seed=0) as sim:
        run_until_report(sim, lambda obs: -10.0)
        sim.tick(0.0)
        assert sim.episode == 2 and sim.phase == 'running'


def test_without_auto_reset_the_failure_holds_until_reset():
    with CartPoleSimulation(seed=0, auto_reset=False) as sim:
        run_until_report(sim, lambda obs: 10.0)
        for _ in range(50):
            sim.tick(0.0)
        assert sim.phase == 'failed' and sim.episode == 1
        assert sim.reset() is None  # already reported
        assert sim.episode == 2 and sim.phase == 'running'


def test_truncation_is_not_a_failure_and_restarts():
    with CartPoleSimulation(seed=0, max_episode_steps=20, reset_pause=5.0) as sim:
        report = run_until_report(sim, balance)
        assert (report.reason, report.length) == ('truncated', 20)
        assert report.truncated and not report.terminated
        sim.tick(0.0)  # no pause after a truncation
        assert sim.episode == 2


def test_unlimited_episodes():
    with CartPoleSimulation(seed=0, max_episode_steps=0) as sim:
        for _ in range(600):
            assert sim.tick(balance(sim.observation)) is None
        assert sim.episode_steps == 600


def test_reset_reports_a_cut_episode():
    with CartPoleSimulation(seed=0) as sim:
        assert sim.reset() is None  # nothing happened yet
        for _ in range(7):
            sim.tick(0.0)
        report = sim.reset()
        assert (report.reason, report.length, report.episode) == ('reset', 7, 2)
        assert not report.terminated and not report.truncated
        assert sim.ticks == 9 and sim.time_ns == 9 * 20_000_000  # a reset takes a period


def test_same_seed_and_commands_give_the_same_trajectory():
    def trajectory():
        with CartPoleSimulation(BulletCartPoleConfig(sensor_noise=0.01), seed=9,
                                max_episode_steps=50) as sim:
            forces = np.random.default_rng(1).uniform(-10, 10, size=400)
            out = []
            for force in forces:
                sim.tick(force)
                out.append(np.append(sim.observation, [sim.applied_force, sim.episode]))
            return np.array(out)

    # Determinism: the same code on the same inputs must give the same bits.
    first, second = trajectory(), trajectory()
    assert first[-1, -1] > 3  # several episodes, so resets are covered too
    np.testing.assert_array_equal(first, second)
