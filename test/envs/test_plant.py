"""The plant's fields and schedules of changes: values, factors, order, and errors that name
the problem."""

import math
import subprocess
import sys

import pytest

from memsnn_controller.envs.plant import (
    FIELDS,
    Factor,
    Plant,
    PlantChangeError,
    parse_plant_change,
    parse_plant_schedule,
    plant_from,
)


def test_the_default_plant_is_cartpole_v1s_system():
    plant = Plant()
    assert (plant.pole_mass, plant.pole_length, plant.cart_mass, plant.gravity) == \
        (0.1, 1.0, 1.0, 9.8)
    assert (plant.friction, plant.actuator_gain, plant.offset) == (0.0, 1.0, (0.0,) * 4)
    assert FIELDS == ('pole_mass', 'pole_length', 'cart_mass', 'gravity', 'friction',
                      'actuator_gain', 'sensor_offset', 'track_limit', 'delay',
                      'coulomb_friction', 'pole_friction', 'encoder_counts', 'pinion_radius',
                      'motor', 'voltage_limit', 'k_force', 'k_emf', 'velocity_sensing',
                      'sensor_sign')
    assert not plant.rig_dynamics and not plant.observation_effects


@pytest.mark.parametrize('field, value', [
    ('pole_mass', 0.0), ('pole_length', -1.0), ('cart_mass', float('nan')), ('gravity', -9.8),
    ('friction', -0.1), ('actuator_gain', 11.0), ('sensor_offset', (0.0, 0.1)),
    ('sensor_offset', 20.0), ('pole_mass', True),
])
def test_bad_fields_are_named(field, value):
    with pytest.raises(ValueError, match=f'plant.{field}'):
        Plant(**{field: value})


def test_replace_values_and_differences():
    plant = Plant().replace(pole_mass=0.2, sensor_offset=0.01)
    assert plant.offset == (0.01,) * 4
    assert plant.differences(Plant()) == ['pole_mass', 'sensor_offset']
    assert plant.values()['sensor_offset'] == [0.01] * 4
    assert plant_from({'gravity': 3.0, 'seed': 1}) == Plant(gravity=3.0)
    with pytest.raises(ValueError, match='unknown field mass'):
        Plant().replace(mass=2.0)


def test_a_change_sets_values_and_factors():
    change = parse_plant_change('300:pole_mass=x2,gravity=14.7,sensor_offset=[0, 0, 0.01, 0]')
    assert change.episode == 300 and change.text == \
        '300:pole_mass=x2,gravity=14.7,sensor_offset=[0, 0, 0.01, 0]'
    assert dict(change.values) == {'pole_mass': Factor(2.0), 'gravity': 14.7,
                                   'sensor_offset': (0.0, 0.0, 0.01, 0.0)}
    original = Plant(pole_mass=0.5)
    plant = change.apply(Plant(), original)
    assert plant.pole_mass == 1.0 and plant.gravity == 14.7 and plant.offset[2] == 0.01
    # A factor multiplies the original value exactly as a scaled field would.
    assert parse_plant_change('0:gravity=x1.5').apply(Plant(), Plant()).gravity == 9.8 * 1.5


def test_a_schedule_accumulates_and_original_restores():
    schedule = parse_plant_schedule(['100:pole_length=x1.5', '200:actuator_gain=0.6',
                                     '300:original', '400:friction=0.5'])
    base = Plant()
    assert schedule.plant_at(99, base) == base
    assert schedule.plant_at(100, base) == Plant(pole_length=1.5)
    assert schedule.plant_at(250, base) == Plant(pole_length=1.5, actuator_gain=0.6)
    assert schedule.plant_at(350, base) == base
    assert schedule.plant_at(10**6, base) == Plant(friction=0.5)
    assert schedule.episodes() == [100, 200, 300, 400] and bool(schedule)
    assert parse_plant_schedule(schedule.texts()) == schedule
    assert not parse_plant_schedule(None)


@pytest.mark.parametrize('text, message', [
    ('300', 'expected EPISODE:FIELD=VALUE'),
    ('abc:gravity=1', 'expected EPISODE:FIELD=VALUE'),
    ('-5:gravity=1', 'the episode must be >= 0'),
    ('300:mass=2', "unknown field 'mass'"),
    ('300:', 'no FIELD=VALUE'),
    ('300:gravity', "'gravity' is not FIELD=VALUE"),
    ('300:gravity=heavy', 'gravity=heavy: expected a number or xF'),
    ('300:gravity=-1', r'gravity must be in \[0.0, 100.0\] m/s\^2 \(got -1\)'),
    ('300:pole_mass=x-2', 'a factor xF needs a number F >= 0'),
    ('300:sensor_offset=[1, 2]', 'sensor_offset=\\[1, 2\\]: expected one number or four'),
    ('300:sensor_offset=x2', 'expected one number or four'),
    ('300:gravity=1,gravity=2', 'gravity is given twice'),
])
def test_bad_changes_name_the_problem(text, message):
    with pytest.raises(PlantChangeError, match=message) as err:
        parse_plant_change(text)
    assert str(err.value).startswith(f'--plant-change {text!r}')


def test_episodes_must_increase():
    with pytest.raises(PlantChangeError, match="episodes must increase.*comes after '300:"):
        parse_plant_schedule(['300:gravity=5', '200:gravity=6'])
    with pytest.raises(PlantChangeError, match='episodes must increase'):
        parse_plant_schedule(['300:gravity=5', '300:gravity=6'])


def test_a_factor_out_of_range_is_caught_against_the_original():
    schedule = parse_plant_schedule(['10:pole_mass=x0'])
    with pytest.raises(PlantChangeError, match="'10:pole_mass=x0'.*plant.pole_mass"):
        schedule.check(Plant())


def test_a_gymnasium_plant_does_not_load_pybullet():
    code = ('import sys, gymnasium; '
            'from memsnn_controller.envs.plant_env import PlantWrapper; '
            "env = PlantWrapper(gymnasium.make('CartPole-v1')); "
            "assert 'pybullet' not in sys.modules, 'pybullet was imported'")
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize('field, value', [
    ('track_limit', 0.0), ('track_limit', -1.0), ('track_limit', float('nan')),
    ('track_limit', -math.inf), ('track_limit', 2000.0), ('track_limit', 'inf'),
    ('delay', -0.01), ('delay', 2.0), ('coulomb_friction', -1.0), ('pole_friction', -0.1),
    ('encoder_counts', 4096.0), ('encoder_counts', -1), ('encoder_counts', True),
    ('encoder_counts', (1 << 24) + 1), ('pinion_radius', 0.0), ('motor', 'stepper'),
    ('voltage_limit', 0.0), ('k_force', 0.0), ('k_emf', -1.0), ('velocity_sensing', 'estimated'),
    ('sensor_sign', (1, 0)), ('sensor_sign', (1,)), ('sensor_sign', (True, 1)),
    ('sensor_sign', 1), ('sensor_sign', (1, -1, 1)),
])
def test_bad_rig_fields_are_named(field, value):
    with pytest.raises(ValueError, match=f'plant.{field}'):
        Plant(**{field: value})


def test_the_rig_fields_types_and_what_they_switch_on():
    plant = Plant(track_limit=1, sensor_sign=[1.0, -1.0], encoder_counts=4096)
    assert plant.track_limit == 1.0 and type(plant.track_limit) is float
    assert plant.sensor_sign == (1, -1) and all(type(s) is int for s in plant.sensor_sign)
    assert type(plant.encoder_counts) is int
    assert plant.values()['sensor_sign'] == [1, -1]
    assert Plant(track_limit=math.inf) == Plant()
    # The dynamic fields need the rig's integrator; the sensing fields only change what is seen;
    # a DC motor's constants and the pinion matter only with the motor or the encoders.
    for changes in ({'track_limit': 0.4}, {'delay': 0.02}, {'coulomb_friction': 1.0},
                    {'pole_friction': 0.01}, {'motor': 'dc'}):
        assert Plant(**changes).rig_dynamics and not Plant(**changes).observation_effects
    for changes in ({'encoder_counts': 4096}, {'velocity_sensing': 'none'},
                    {'sensor_sign': (1, -1)}, {'sensor_sign': (-1, 1)}):
        assert Plant(**changes).observation_effects and not Plant(**changes).rig_dynamics
    for changes in ({'voltage_limit': 5.0}, {'k_force': 2.0}, {'k_emf': 1.0},
                    {'pinion_radius': 0.02}, {'friction': 1.0}, {'sensor_offset': 0.1},
                    {'actuator_gain': 0.5}):
        assert not Plant(**changes).rig_dynamics and not Plant(**changes).observation_effects


def test_a_change_sets_the_rig_fields():
    text = ('10:track_limit=0.4,motor=dc,sensor_sign=[1, -1],encoder_counts=4096,'
            'delay=0.02,velocity_sensing=none,k_emf=x2')
    change = parse_plant_change(text)
    assert dict(change.values) == {'track_limit': 0.4, 'motor': 'dc', 'sensor_sign': (1, -1),
                                   'encoder_counts': 4096, 'delay': 0.02,
                                   'velocity_sensing': 'none', 'k_emf': Factor(2.0)}
    original = Plant(k_emf=0.5)
    plant = change.apply(original, original)
    assert plant == Plant(track_limit=0.4, motor='dc', sensor_sign=(1, -1), encoder_counts=4096,
                          delay=0.02, velocity_sensing='none', k_emf=1.0)
    assert type(plant.encoder_counts) is int
    for inf in ('inf', '.inf', 'INF'):
        assert parse_plant_change(f'20:track_limit={inf}').apply(plant, original).track_limit \
            == math.inf
    assert parse_plant_change('5:encoder_counts=1e3').apply(plant, original).encoder_counts \
        == 1000
    assert parse_plant_change('5:sensor_sign=-1').apply(plant, original).sensor_sign == (-1, -1)
    # A factor scales the original's stop.
    assert parse_plant_change('5:track_limit=x0.5').apply(Plant(), Plant(track_limit=0.8)) \
        == Plant(track_limit=0.4)
    schedule = parse_plant_schedule([text, '20:track_limit=inf,motor=force', '30:original'])
    assert schedule.plant_at(15, original) == plant
    assert schedule.plant_at(25, original) == plant.replace(track_limit=math.inf, motor='force')
    assert schedule.plant_at(30, original) == original
    assert parse_plant_schedule(schedule.texts()) == schedule
    assert schedule.marks()[20] == 'track_limit=inf,motor=force'


@pytest.mark.parametrize('text, message', [
    ('1:encoder_counts=x2', 'encoder_counts=x2: takes a whole number, not a factor'),
    ('1:encoder_counts=4096.5',
     r'encoder_counts must be an integer in \[0, 16777216\] \(got 4096.5\)'),
    ('1:encoder_counts=-1', r'encoder_counts must be an integer in \[0, 16777216\] \(got -1\)'),
    ('1:encoder_counts=many', 'encoder_counts=many: expected a number'),
    ('1:motor=stepper', r"motor must be one of 'force', 'dc' \(got stepper\)"),
    ('1:motor=x2', r"motor must be one of 'force', 'dc' \(got x2\)"),
    ('1:velocity_sensing=estimated', r"velocity_sensing must be one of 'measured', 'none'"),
    ('1:sensor_sign=[1, 0]', r'sensor_sign must be two signs, \[cart, pole\], each 1 or -1'),
    ('1:sensor_sign=[1, -1, 1]', r'sensor_sign=\[1, -1, 1\]: expected two signs, \[cart, pole\]'),
    ('1:sensor_sign=x2', r'sensor_sign=x2: expected two signs'),
    ('1:track_limit=0', r'track_limit must be in \(0, 10\] m or inf \(got 0\)'),
    ('1:track_limit=-inf', 'track_limit=-inf: expected a number'),
    ('1:delay=inf', 'delay=inf: expected a number or xF'),
    ('1:delay=2', r'delay must be in \[0.0, 1.0\] s \(got 2\)'),
    ('1:coulomb_friction=-1', r'coulomb_friction must be in \[0.0, 1000.0\] N \(got -1\)'),
])
def test_bad_rig_changes_name_the_problem(text, message):
    with pytest.raises(PlantChangeError, match=message) as err:
        parse_plant_change(text)
    assert str(err.value).startswith(f'--plant-change {text!r}')


def test_a_factor_of_no_stops_is_refused_against_the_original():
    # inf x 0 is not a track: the schedule's check names the field.
    with pytest.raises(PlantChangeError, match="'5:track_limit=x0'.*plant.track_limit"):
        parse_plant_schedule(['5:track_limit=x0']).check(Plant())
