"""memsnn-identify: on bags recorded from the rig simulator with known plants (three parameter
sets), the delay comes back within one physics step and every fitted friction, motor constant
and mass within 10 %; the excitation; the errors a user meets."""

import dataclasses
import math

from identify_support import (
    FORCE,
    HEAVY,
    PERIOD,
    PHYSICS_STEP,
    RIG,
    Run,
    case,
    simulate,
    write_bag,
)
import numpy as np
import pytest

from memsnn_controller.apps import identify as cli
from memsnn_controller.control.excitation import Excitation
from memsnn_controller.envs.plant_file import load_plant_file
from memsnn_controller.experiments import identification as ident

pytest.importorskip('rosbags', reason='the record extra (rosbags) is not installed')

TOLERANCE = 0.10
# How each set is recorded: the rig and the force motor as the controller node records a
# lockstep run (commands labelled with the state they answer), the heavy cart as a realtime run
# on a wall clock with an excitation publisher's unlabelled commands.
MODES = {RIG: 'lockstep', HEAVY: 'realtime', FORCE: 'lockstep'}


@pytest.fixture(scope='module')
def bags(tmp_path_factory):
    """{name: (plant, settings keywords, bag path)} for the three parameter sets."""
    out = {}
    for name in (RIG, HEAVY, FORCE):
        plant, settings, run = case(name)
        path = tmp_path_factory.mktemp('bags') / name
        write_bag(path, run, mode=MODES[name])
        out[name] = (plant, settings, path)
    return out


@pytest.fixture(scope='module')
def results(bags):
    out = {}
    for name, (_, settings, path) in bags.items():
        recording = ident.read_bag(path)
        out[name] = ident.identify(recording, ident.Settings(physics_step=PHYSICS_STEP,
                                                             **settings))
    return out


def _truth(plant, name):
    if name == 'damping':
        return plant.friction + plant.actuator_gain * plant.k_emf
    return getattr(plant, name)


@pytest.mark.parametrize('name', [RIG, HEAVY, FORCE])
def test_the_plant_comes_back(bags, results, name):
    plant, settings, _ = bags[name]
    result = results[name]
    # The simulator applies a command at the first physics step at or after its delay.
    assert abs(result.plant.delay - plant.delay) <= PHYSICS_STEP, result.plant.delay
    fitted = [e for e in result.estimates if e.how in ('fitted', 'derived')]
    checked = {e.name for e in fitted} - {'delay'}
    # Every set fits the masses it has no reference for, a motor constant and the frictions.
    assert {'pole_mass', 'pole_length', 'coulomb_friction', 'pole_friction'} <= checked
    assert checked & {'k_force', 'k_emf', 'actuator_gain'}
    assert checked & {'friction', 'damping'}
    for estimate in fitted:
        if estimate.name == 'delay':
            continue
        truth = _truth(plant, estimate.name)
        assert estimate.value == pytest.approx(truth, rel=TOLERANCE), estimate
        assert math.isfinite(estimate.se) and 0.0 <= estimate.se < TOLERANCE * truth
    for known, value in settings['known'].items():
        assert getattr(result.plant, known) == value
        if known != 'voltage_limit':
            assert result.estimate(known).how == 'known'
    assert result.cart_r2 > 0.99 and result.pole_r2 > 0.98
    assert result.prediction_rms[0] < 0.005 and result.prediction_rms[1] < 0.02


@pytest.mark.parametrize('name', [RIG, HEAVY, FORCE])
def test_the_sensing_fields_come_back(bags, results, name):
    plant, _, _ = bags[name]
    found = results[name].plant
    assert found.encoder_counts == plant.encoder_counts
    if plant.encoder_counts:
        assert found.pinion_radius == pytest.approx(plant.pinion_radius, rel=1e-6)
    assert found.velocity_sensing == plant.velocity_sensing
    assert found.sensor_sign == plant.sensor_sign
    assert found.offset[2] == pytest.approx(plant.offset[2], abs=1e-5)
    assert found.motor == plant.motor


def test_an_angle_read_in_minus_pi_to_pi_is_unwrapped(bags, results):
    """A front end that wraps the angle: the hanging pole's reading jumps between +-pi."""
    plant, settings, path = bags[RIG]
    recording = ident.read_bag(path)
    wrapped = dataclasses.replace(recording, theta=np.angle(np.exp(1j * recording.theta)))
    assert np.sum(np.abs(np.diff(wrapped.theta)) > math.pi) > 10
    result = ident.identify(wrapped, ident.Settings(physics_step=PHYSICS_STEP, **settings))
    assert result.estimate('pole_length').value == pytest.approx(
        results[RIG].estimate('pole_length').value, rel=1e-6)
    assert result.plant.offset == (0.0, 0.0, 0.0, 0.0)


def test_without_the_physics_step_a_simulators_delay_reads_half_a_step_short(bags, results):
    plant, settings, path = bags[RIG]
    plain = ident.identify(ident.read_bag(path), ident.Settings(**settings))
    assert plain.plant.delay == pytest.approx(plant.delay - PHYSICS_STEP / 2, abs=0.0008)
    assert results[RIG].plant.delay == pytest.approx(plant.delay, abs=0.0008)


def test_what_cannot_be_separated_is_reported_and_written_as_an_equivalent(bags, results):
    """A DC motor without a coast or a known k_emf: only the damping's sum is fitted."""
    plant, _, path = bags[RIG]
    result = ident.identify(ident.read_bag(path), ident.Settings(
        motor='dc', known={'k_force': 1.72}, physics_step=PHYSICS_STEP))
    assert result.estimate('k_emf').how == 'not separated'
    assert result.estimate('friction').how == 'not separated'
    assert result.plant.friction == 0.0
    assert result.plant.k_emf == pytest.approx(plant.friction + plant.k_emf, rel=0.02)
    assert result.estimate('cart_mass').value == pytest.approx(plant.cart_mass, rel=TOLERANCE)
    assert any('only friction + actuator_gain k_emf is seen' in line
               for line in result.lines())


def test_the_cli_writes_a_plant_file_that_plant_takes_and_a_figure(bags, tmp_path, capsys):
    plant, _, path = bags[FORCE]
    out = tmp_path / 'my_rig.yaml'
    code = cli.main([str(path), '--out', str(out), '--motor', 'force', '--known',
                     'cart_mass=0.8', '--known', 'force_limit=10', '--physics-step',
                     str(PHYSICS_STEP)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    loaded = load_plant_file(str(out))
    assert loaded.plant.motor == 'force'
    assert loaded.plant.actuator_gain == pytest.approx(plant.actuator_gain, rel=TOLERANCE)
    assert loaded.plant.pole_length == pytest.approx(plant.pole_length, rel=TOLERANCE)
    assert loaded.control_period == pytest.approx(PERIOD)
    assert loaded.task.force_mag == 10.0
    assert (tmp_path / 'my_rig.png').stat().st_size > 10_000
    for word in ('delay', 'actuator_gain', 'R^2', 'RMS error', 'cart sign -1'):
        assert word in printed


def test_a_wrong_coast_is_flagged_by_the_fit(bags):
    plant, settings, path = bags[HEAVY]
    wrong = [(start + 0.2, end + 0.2) for start, end in settings['coasts']]
    result = ident.identify(ident.read_bag(path), ident.Settings(
        physics_step=PHYSICS_STEP, **{**settings, 'coasts': wrong}))
    assert result.cart_r2 < 0.98
    assert any(line.startswith('warning: the equations explain the motion poorly')
               for line in result.lines())


# -- errors ------------------------------------------------------------------------------------

def _short_run(seconds, commands=None):
    plant = load_plant_file('rig').plant
    count = round(seconds / PERIOD) + 1
    if commands is None:
        commands = Excitation.for_motor('dc', 6.0).samples(PERIOD)[1][:count]
    return simulate(plant, commands)


def _fail(argv, capsys):
    code = cli.main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith('memsnn-identify: error: ')
    return err


def test_errors_are_one_line(tmp_path, capsys):
    out = str(tmp_path / 'p.yaml')
    assert 'no such bag' in _fail([str(tmp_path / 'nothing'), '--out', out], capsys)
    (tmp_path / 'empty').mkdir()
    assert 'not a readable rosbag2' in _fail([str(tmp_path / 'empty'), '--out', out], capsys)
    assert 'give a BAG' in _fail([], capsys)
    run = _short_run(8.0)
    write_bag(tmp_path / 'bag', run)
    err = _fail([str(tmp_path / 'bag'), '--out', out], capsys)
    assert "the forces' scale cannot be told" in err and '--known cart_mass=KG' in err
    assert 'expected NAME=NUMBER' in _fail([str(tmp_path / 'bag'), '--out', out, '--known',
                                            'cart_mass'], capsys)
    assert 'not a value the fit can take' in _fail([str(tmp_path / 'bag'), '--out', out,
                                                    '--known', 'mass=1'], capsys)
    assert 'give one' in _fail([str(tmp_path / 'bag'), '--out', out, '--known', 'k_emf=1',
                                '--known', 'friction=1', '--known', 'cart_mass=1'], capsys)
    assert "DC motor's" in _fail([str(tmp_path / 'bag'), '--out', out, '--motor', 'force',
                                  '--known', 'k_force=1'], capsys)
    assert 'START:END' in _fail([str(tmp_path / 'bag'), '--out', out, '--coast', '3'], capsys)
    assert 'no topic /nope' in _fail([str(tmp_path / 'bag'), '--out', out, '--joint-topic',
                                      '/nope'], capsys)
    assert "names both 'cart' and" in _fail([str(tmp_path / 'bag'), '--out', out,
                                             '--cart-joint', 'cart'], capsys)
    assert not (tmp_path / 'p.yaml').exists()


def test_a_bag_without_commands_or_joint_states(tmp_path):
    run = _short_run(6.0)
    write_bag(tmp_path / 'no_commands', run, commands_topic=False)
    with pytest.raises(ident.IdentificationError, match='no command on'):
        ident.read_bag(tmp_path / 'no_commands')
    from rosbags.rosbag2 import Writer
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS2_KILTED)
    with Writer(tmp_path / 'other', version=9) as writer:
        writer.add_connection('/chatter', 'std_msgs/msg/String', typestore=store)
    with pytest.raises(ident.IdentificationError,
                       match=r'no joint states \(sensor_msgs/msg/JointState\) topic '
                             r'\(topics: /chatter\)'):
        ident.read_bag(tmp_path / 'other')


def test_too_short_and_no_excitation(tmp_path):
    settings = ident.Settings(known={'cart_mass': 0.57})
    write_bag(tmp_path / 'short', _short_run(2.0))
    with pytest.raises(ident.IdentificationError, match=r'too short: 2\.0 s of joint states'):
        ident.identify(ident.read_bag(tmp_path / 'short'), settings)
    write_bag(tmp_path / 'still', _short_run(6.0, np.zeros(301)))
    with pytest.raises(ident.IdentificationError, match=r'no excitation: .* all the same \(0\)'):
        ident.identify(ident.read_bag(tmp_path / 'still'), settings)
    # Commands too small to overcome dry friction: the cart never moves.
    write_bag(tmp_path / 'stuck', _short_run(6.0, 0.1 * np.sin(np.arange(301) * 0.3)))
    with pytest.raises(ident.IdentificationError, match='no excitation: the cart moved steadily '
                                                        'in only 0 windows'):
        ident.identify(ident.read_bag(tmp_path / 'stuck'), settings)


def test_a_pole_that_does_not_swing():
    t = np.arange(400) * PERIOD
    x = 0.1 * np.sin(t)
    recording = ident.Recording(t=t, x=x, theta=np.full(400, math.pi), x_dot=np.cos(t) * 0.1,
                                theta_dot=np.zeros(400), command_t=t, command=np.cos(t))
    with pytest.raises(ident.IdentificationError, match='the pole did not swing'):
        ident.identify(recording, ident.Settings(known={'cart_mass': 1.0}))


def test_a_reset_splits_the_recording_and_unlabelled_commands_are_mapped(tmp_path):
    """Two runs back to back (the state teleports between them, as at an episode reset): the
    fit uses each separately; commands without the label are placed by their receipt."""
    plant = load_plant_file('rig').plant
    commands = Excitation.for_motor('dc', 6.0).samples(PERIOD)[1]
    first = simulate(plant, commands[:700])
    second = simulate(plant, -commands[:700])
    second.observations[:, 0] += 0.5   # the second starts elsewhere on the track
    stamps = np.arange(1400, dtype=np.int64) * round(PERIOD * 1e9)
    joined = Run(stamps, np.concatenate((first.observations, second.observations)),
                 np.concatenate((first.efforts, second.efforts)),
                 np.concatenate((first.commands, second.commands)))
    write_bag(tmp_path / 'bag', joined, mode='realtime')
    recording = ident.read_bag(tmp_path / 'bag')
    assert 'receipt, mapped' in recording.command_timing
    offsets = recording.command_t[:-1] - recording.t[:len(recording.command_t) - 1]
    assert np.all((offsets > 0.0004) & (offsets < 0.0031))   # 0.5-2 ms after, plus jitter
    prepared = ident.prepare(recording)
    assert [b - a for a, b in prepared.segments] == [700, 700]
    result = ident.identify(recording, ident.Settings(
        known={'cart_mass': plant.cart_mass, 'k_emf': plant.k_emf}, physics_step=PHYSICS_STEP))
    assert result.estimate('pole_length').value == pytest.approx(plant.pole_length, rel=0.05)


# -- the excitation ----------------------------------------------------------------------------

@pytest.mark.parametrize('motor, limit', [('dc', 6.0), ('force', 10.0)])
def test_the_excitation_stays_within_its_limit_and_pushes_nowhere_net(motor, limit):
    excitation = Excitation.for_motor(motor, limit)
    t, u = excitation.samples(PERIOD)
    assert t[-1] == pytest.approx(excitation.duration)
    assert np.max(np.abs(u)) <= limit and np.max(np.abs(u)) > 0.25 * limit
    assert u[0] == 0.0 and u[-1] == 0.0
    assert abs(np.sum(u) * PERIOD) < 1e-3 * limit   # no net impulse: the cart ends near start
    sweep = (t >= excitation.sweep_start) & (t < excitation.steps_start - excitation.rest)
    crossings = np.sum(np.diff(np.sign(u[sweep])) != 0)
    # A logarithmic sweep from f0 to f1 crosses zero about 2 T (f1 - f0) / ln(f1 / f0) times.
    expected = 2 * excitation.sweep_seconds * (excitation.f1 - excitation.f0) / math.log(
        excitation.f1 / excitation.f0)
    assert crossings == pytest.approx(expected, rel=0.1)
    assert excitation.frequency(excitation.sweep_start) == pytest.approx(excitation.f0)
    levels = set(np.round(np.abs(u[t >= excitation.steps_start]), 9)) - {0.0}
    assert levels == set(np.round(excitation.step_levels, 9))


def test_the_excitation_keeps_the_rig_on_its_track():
    plant = load_plant_file('rig').plant
    low, high, swing = ident.rehearse(plant, Excitation.for_motor('dc', plant.voltage_limit),
                                      PERIOD, 10.0)
    assert -0.25 < low < 0.0 < high < 0.25 and swing < 1.2


def test_bad_excitations_are_refused():
    with pytest.raises(ValueError, match='every level must be in'):
        Excitation(amplitude=7.0, limit=6.0)
    with pytest.raises(ValueError, match='the sweep must rise'):
        Excitation(amplitude=1.0, limit=6.0, f0=2.0, f1=1.0)
    with pytest.raises(ValueError, match="motor must be 'dc' or 'force'"):
        Excitation.for_motor('stepper', 6.0)  # type: ignore[arg-type]


def test_excite_prints_and_writes_the_csv(tmp_path, capsys):
    csv = tmp_path / 'excitation.csv'
    assert cli.main(['--excite', '--plant', 'rig', '--csv', str(csv)]) == 0
    printed = capsys.readouterr().out
    assert 'the cart within' in printed and 'its track ends at +-0.4 m' in printed
    rows = csv.read_text().splitlines()
    t, u = Excitation.for_motor('dc', 6.0).samples(PERIOD)
    assert rows[0] == 'time_s,command' and len(rows) == len(t) + 1
    assert float(rows[200].split(',')[1]) == pytest.approx(u[199], abs=1e-6)
    assert cli.main(['--excite', '--motor', 'force', '--plant', 'rig']) == 2
    assert 'has a dc motor' in capsys.readouterr().err
