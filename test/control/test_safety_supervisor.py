"""The safety layer and the episode supervisor, without ROS: limits, braking, homing on the
simulated rig, and the state machine's rules."""

import math

import numpy as np
import pytest

from memsnn_controller.control import supervisor as sv
from memsnn_controller.control.safety import SafetyConfig, SafetyLayer
from memsnn_controller.control.supervisor import Supervisor, SupervisorConfig
from memsnn_controller.envs import rig
from memsnn_controller.envs.plant_file import load_plant_file


def layer(**fields):
    return SafetyLayer(SafetyConfig(**fields))


def test_the_force_limit_and_the_slew_limit_hold():
    safety = layer(force_limit=5.0, max_force_rate=100.0, control_period=0.02)
    out = safety.filter(9.0, 0.0, 0.0)
    # 100 N/s x 20 ms: weaker, but pushing the chosen way, so the action is unchanged.
    assert out.force == pytest.approx(2.0) and not out.changed
    outs = [safety.filter(-9.0, 0.0, 0.0) for _ in range(6)]
    forces = [o.force for o in outs]
    steps = np.diff([2.0] + forces)
    assert np.all(np.abs(steps) <= 2.0 + 1e-12) and forces[-1] == -5.0
    # A reversal still on the old side (0 is not a push left) changes the action; then not.
    assert [o.changed for o in outs] == [True, False, False, False, False, False]
    assert safety.filter(0.0, 0.0, 0.0).changed                # -3 N answering a request of 0
    assert layer().filter(0.0, 0.0, 0.0).changed is False
    assert layer().filter(float('nan'), 0.0, 0.0).changed
    free = layer(force_limit=10.0)
    out = free.filter(3.0, 0.0, 0.0)
    assert (out.force, out.command, out.changed) == (3.0, 3.0, False)


def test_the_soft_limits_brake_only_motion_toward_the_near_end():
    safety = layer(force_limit=10.0, soft_limit=0.25, brake_gain=10.0)
    toward = safety.filter(8.0, 0.3, 0.5)                     # pushing out while moving out
    assert toward.force == pytest.approx(-5.0) and toward.changed
    back = safety.filter(-8.0, 0.3, 0.5)                      # pushing back: allowed
    assert back.force == -8.0 and not back.changed
    returning = safety.filter(8.0, 0.3, -0.5)                 # moving inward: allowed
    assert returning.force == 8.0 and not returning.changed
    inside = safety.filter(8.0, 0.2, 0.5)
    assert inside.force == 8.0 and safety.braked_ticks == 1


def test_voltage_commands_invert_the_dc_motor_law_within_the_voltage_limit():
    safety = layer(force_limit=20.0, command_unit='voltage', voltage_limit=6.0, k_force=1.7,
                   k_emf=7.7)
    out = safety.filter(3.4, 0.0, 0.0)
    assert out.command == pytest.approx(2.0)
    out = safety.filter(3.4, 0.0, 0.5)                        # back-EMF compensated
    assert out.command == pytest.approx((3.4 + 7.7 * 0.5) / 1.7)
    assert safety.filter(20.0, 0.0, 0.5).command == 6.0       # clipped to the voltage limit
    plant = load_plant_file('rig').plant
    # What the motor then pushes with is the force asked for (within the limit).
    out = safety.filter(3.0, 0.0, 0.2)
    assert rig.motor_force(plant.replace(k_force=1.7, k_emf=7.7), out.command, 0.2, 10.0) == \
        pytest.approx(3.0)


@pytest.mark.parametrize('name, value', [
    ('force_limit', 0.0), ('soft_limit', -1.0), ('brake_gain', math.nan),
    ('max_force_rate', 0.0), ('command_unit', 'amps'), ('k_force', 0.0)])
def test_bad_safety_settings_are_named(name, value):
    with pytest.raises(ValueError, match=f'safety.{name}'):
        SafetyConfig(**{name: value})


def rig_supervisor(**fields):
    plant = load_plant_file('rig').plant
    safety = SafetyLayer(SafetyConfig(force_limit=10.0, command_unit='voltage', voltage_limit=6.0,
                                      k_force=plant.k_force, k_emf=plant.k_emf,
                                      max_force_rate=1000.0))
    config = SupervisorConfig(x_threshold=0.3, theta_threshold=12 * 2 * math.pi / 360,
                              **fields)
    return plant, safety, Supervisor(config, safety)


@pytest.mark.parametrize('x_dot, theta', [(0.8, 0.25), (-0.86, -0.22), (0.4, 0.0)])
def test_after_a_failure_the_rig_is_braked_then_homed_without_hitting_a_stop(x_dot, theta):
    plant, _, supervisor = rig_supervisor()
    integrator = rig.RigIntegrator(plant, 0.02, 10.0)
    state = np.array([0.3 * np.sign(x_dot), x_dot, theta, 0.5])
    t = 0.0
    supervisor.failed(t)
    seen = []
    for _ in range(400):
        directive = supervisor.tick(tuple(state), t)
        seen.append(directive.state)
        assert not directive.start
        if supervisor.state == sv.WAITING:
            break
        integrator.command(directive.command.command, t)
        integrator.advance(state, t)
        t += 0.02
    assert supervisor.state == sv.WAITING
    assert seen[0] == sv.BRAKING and sv.HOMING in seen
    assert seen.index(sv.HOMING) > max(i for i, s in enumerate(seen) if s == sv.BRAKING)
    stats = supervisor.stats
    assert stats.braked == 1 and stats.brake_times[0] <= 0.5
    assert stats.homing_times[0] <= 5.0
    assert abs(state[0]) < 0.02 and abs(state[1]) < 0.05
    assert integrator.stops.hits == 0


def test_an_episode_starts_only_when_the_held_pole_is_released():
    _, _, supervisor = rig_supervisor(ready_hold=0.2)
    held = (0.0, 0.0, 0.01, 0.0)
    t = 0.0
    for _ in range(11):                                   # 0.2 s held upright and still
        assert not supervisor.tick(held, t).start
        t += 0.02
    assert supervisor.state == sv.ARMED
    for _ in range(5):                                    # still held: no episode
        directive = supervisor.tick(held, t)
        assert not directive.start and directive.command.force == 0.0
        t += 0.02
    released = (0.0, 0.0, 0.012, 0.05)
    assert supervisor.tick(released, t).start
    supervisor.episode_started()
    assert supervisor.state == sv.RUNNING and supervisor.stats.started_by_operator == 1
    assert supervisor.tick(released, t).command is None   # the learner's turn


def test_a_pole_held_still_at_an_angle_is_not_released():
    """Release is a movement from where the pole was armed, not an angle."""
    _, _, supervisor = rig_supervisor(ready_hold=0.0)
    held = (0.0, 0.0, 0.04, 0.0)                          # beyond release_angle from upright
    for k in range(10):
        assert not supervisor.tick(held, k * 0.02).start
    assert supervisor.state == sv.ARMED
    assert supervisor.tick((0.0, 0.0, 0.061, 0.0), 0.2).start


def test_start_arms_only_a_waiting_supervisor_with_the_pole_within_bounds():
    _, _, supervisor = rig_supervisor(auto_start=False)
    hanging = (0.0, 0.0, math.pi, 0.0)
    ok, why = supervisor.start(hanging)
    assert not ok and 'outside the failure bounds' in why
    for t in np.arange(0.0, 2.0, 0.02):                   # never arms by itself
        supervisor.tick((0.0, 0.0, 0.0, 0.0), float(t))
    assert supervisor.state == sv.WAITING
    ok, _ = supervisor.start((0.0, 0.0, 0.01, 0.0))
    assert ok and supervisor.state == sv.ARMED
    assert supervisor.tick((0.0, 0.0, 0.03, 0.1), 2.0).start
    supervisor.episode_started()
    assert supervisor.stats.started_by_start == 1 and supervisor.stats.started_by_operator == 0
    supervisor.failed(3.0)
    ok, why = supervisor.start((0.0, 0.0, 0.0, 0.0))
    assert not ok and 'BRAKING' in why and supervisor.stats.refused_starts == 2


def test_no_episode_starts_while_braking_or_homing():
    _, _, supervisor = rig_supervisor(ready_hold=0.0)
    supervisor.failed(0.0)
    upright = (0.1, 0.3, 0.0, 0.0)                        # ready-looking, but moving
    for k in range(20):
        directive = supervisor.tick(upright, k * 0.02)
        assert not directive.start and directive.state in (sv.BRAKING, sv.HOMING)


def test_a_truncation_continues_at_once_and_pause_holds_then_brakes():
    _, _, supervisor = rig_supervisor()
    supervisor.episode_started()
    supervisor.truncated(10.0)
    assert supervisor.tick((0.1, 0.0, 0.0, 0.0), 10.02).start
    supervisor.episode_started()
    assert supervisor.stats.continued == 1
    supervisor.pause(True)
    directive = supervisor.tick((0.1, 0.2, 0.0, 0.0), 10.04)
    assert directive.state == sv.PAUSED and directive.command.force == 0.0
    supervisor.pause(False)
    assert supervisor.tick((0.1, 0.2, 0.0, 0.0), 10.06).state == sv.BRAKING
    ok, _ = supervisor.home()
    assert not ok                                          # not while braking


@pytest.mark.parametrize('name, value', [
    ('rest_speed', 0.0), ('home_gain', -1.0), ('ready_hold', -0.1), ('ready_x', 3.0),
    ('auto_start', 1)])
def test_bad_supervisor_settings_are_named(name, value):
    with pytest.raises(ValueError, match=f'supervisor.{name}'):
        SupervisorConfig(**{name: value})
