"""memsnn-bringup: parameters, the run folder in one process, separate processes and Ctrl-C."""

import argparse
import json
import os
import signal
import sys
import time

from bags import check_stamps, read_bag
from controller_test_client import warm_kernels
import numpy as np
import pytest
import yaml

from memsnn_controller.apps.bringup import BringupError, cli, extras, outputs, params
from memsnn_controller.experiments import inside, metrics
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.ros import controller_config
from memsnn_controller.snn.checkpoint import load_checkpoint
from memsnn_controller.snn.config import AgentConfig

RUN_FILES = ('episodes.csv', 'summary.json', 'learning_curve.png', 'checkpoint.npz',
             'config.yaml', 'run.json', 'params.yaml')


@pytest.fixture(scope='module', autouse=True)
def kernels():
    warm_kernels()


def bringup_argv(*args):
    return [sys.executable, '-m', 'memsnn_controller.apps.bringup', '--no-progress', *args]


def options(tmp_path, *argv):
    args = cli.build_parser().parse_args(['--out', str(tmp_path / 'run'), *argv])
    return args


def csv_rows(path):
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return max(0, sum(1 for line in f if line.endswith('\n')) - 1)


def test_parameters_come_from_the_package_files_then_params_files_then_options(tmp_path):
    extra = tmp_path / 'extra.yaml'
    extra.write_text(yaml.safe_dump({
        'cartpole_sim': {'ros__parameters': {'start_range': 0.02}},
        'memsnn_controller': {'ros__parameters': {'ready_hold': 0.1, 'reward': 'alive'}},
        '/**': {'ros__parameters': {'force_limit': 8.0}}}))
    args = options(tmp_path, '--params-file', str(extra), '--reward', 'angle', '--seed', '4',
                   '--set', 'actor.eta=0.05', '--mode', 'realtime')
    sim, ctrl = params.resolve_parameters(args)
    assert (sim['mode'], sim['start_range'], sim['seed'], sim['force_limit']) == (
        'realtime', 0.02, 4, 8.0)
    assert (ctrl['reward'], ctrl['ready_hold'], ctrl['seed'], ctrl['force_limit']) == (
        'angle', 0.1, 4, 8.0)
    assert ctrl['agent_overrides'] == ['actor.eta=0.05']
    assert ctrl['checkpoint_path'] == str(tmp_path / 'run' / 'checkpoint.npz')
    assert ctrl['use_sim_time'] is True and ctrl['autostart'] is False
    assert ctrl['control_period'] == sim['control_period'] == 0.02
    # the written file is a ROS parameter file for both nodes, read back the same
    path = tmp_path / 'params.yaml'
    params.write_params_file(str(path), sim, ctrl)
    loaded = params.load_params_file(str(path))
    assert loaded['cartpole_sim'] == sim and loaded['memsnn_controller'] == ctrl


@pytest.mark.parametrize('content, words', [
    ({'memsnn_controller': {'ros__parameters': {'control_period': 0.01}}}, 'same control_period'),
    ({'memsnn_controller': {'ros__parameters': {'ready_x': 9.0}}}, 'ready_x: must stay below'),
    ({'cartpole_sim': {'ros__parameters': {'mode': 'warp'}}}, 'mode: must be one of'),
    ({'cartpole_sim': {'ros__parameters': {'warp_drive': True}}}, 'unknown parameters'),
    ({'other_node': {'ros__parameters': {}}}, 'unknown nodes'),
    ({'memsnn_controller': {'no_ros_parameters': 1}}, 'ros__parameters'),
])
def test_bad_parameter_files_are_refused_with_a_reason(tmp_path, content, words):
    extra = tmp_path / 'extra.yaml'
    extra.write_text(yaml.safe_dump(content))
    with pytest.raises(BringupError, match=words):
        params.resolve_parameters(options(tmp_path, '--params-file', str(extra)))


def test_each_file_is_read_as_ros_2_reads_it(tmp_path):
    """As --params-file: '/**' applies to both nodes and a node's own section wins over it, in
    whatever order the file lists them; YAML 1.2 floats are numbers (as rcl reads them)."""
    extra = tmp_path / 'extra.yaml'
    extra.write_text('memsnn_controller:\n'
                     '  ros__parameters: {ready_hold: 0.5, autosave_period: 1e1}\n'
                     '/**:\n'
                     '  ros__parameters: {ready_hold: 0.25, force_limit: 8.0, seed: 3}\n'
                     '/cartpole_sim:\n'
                     '  ros__parameters: {seed: 5, sensor_noise: [0.0, 0.1, 0.0, 0.0]}\n')
    loaded = params.load_params_file(str(extra))
    assert loaded['memsnn_controller'] == {'ready_hold': 0.5, 'autosave_period': 10.0,
                                           'force_limit': 8.0, 'seed': 3}
    assert loaded['cartpole_sim'] == {'ready_hold': 0.25, 'force_limit': 8.0, 'seed': 5,
                                      'sensor_noise': [0.0, 0.1, 0.0, 0.0]}
    # ready_hold is the controller's own; the simulator has no such parameter
    with pytest.raises(BringupError, match='cartpole_sim: unknown parameters: ready_hold'):
        params.resolve_parameters(options(tmp_path, '--params-file', str(extra)))


def test_a_file_of_only_the_wildcard_section_serves_both_nodes(tmp_path):
    """The package's own files hold only '/**' (Jazzy's rclpy parser refuses such a file when
    target nodes are named; the reader must not)."""
    extra = tmp_path / 'extra.yaml'
    extra.write_text('/**:\n  ros__parameters: {force_limit: 8.0, seed: 2}\n')
    assert params.load_params_file(str(extra)) == {
        'cartpole_sim': {'force_limit': 8.0, 'seed': 2},
        'memsnn_controller': {'force_limit': 8.0, 'seed': 2}}
    for name in ('simulator.yaml', 'controller.yaml'):
        loaded = params.load_params_file(os.path.join(params.config_dir(), name))
        assert loaded['cartpole_sim'] == loaded['memsnn_controller'] != {}


def test_values_are_converted_as_rclpy_converts_them(tmp_path):
    """Nested mappings are parameter namespaces (dotted names); each value's type is what
    rclpy makes of it (integers stay integers, lists keep their element type); a section for one
    node gives the other nothing."""
    extra = tmp_path / 'extra.yaml'
    extra.write_text('cartpole_sim:\n'
                     '  ros__parameters:\n'
                     '    seed: 7\n'
                     '    outer: {inner: 2.5, deeper: {flag: true}}\n'
                     '    names: [a, b]\n'
                     '    ints: [1, 2]\n')
    loaded = params.load_params_file(str(extra))
    assert loaded == {'cartpole_sim': {'seed': 7, 'outer.inner': 2.5, 'outer.deeper.flag': True,
                                       'names': ['a', 'b'], 'ints': [1, 2]},
                      'memsnn_controller': {}}
    assert type(loaded['cartpole_sim']['seed']) is int


def test_a_control_period_in_the_controllers_own_section_is_its_own(tmp_path):
    extra = tmp_path / 'extra.yaml'
    extra.write_text(yaml.safe_dump({
        '/**': {'ros__parameters': {'control_period': 0.01, 'max_episode_steps': 300}},
        'memsnn_controller': {'ros__parameters': {'control_period': 0.02}}}))
    sim, ctrl = params.resolve_parameters(options(tmp_path, '--params-file', str(extra),
                                                  '--mode', 'realtime'))
    assert (sim['control_period'], ctrl['control_period']) == (0.01, 0.02)
    assert sim['max_episode_steps'] == ctrl['max_episode_steps'] == 300


def test_an_option_and_an_override_that_disagree_are_refused(tmp_path):
    args = options(tmp_path, '--reward', 'angle', '--set', 'reward.name=sparse')
    with pytest.raises(BringupError, match=r"reward\.name: agent_overrides sets it to 'sparse', "
                                           r"but the ROS parameter reward is 'angle'"):
        params.resolve_parameters(args)


def test_the_config_files_are_found():
    folder = params.config_dir()
    assert os.path.isfile(os.path.join(folder, 'simulator.yaml'))
    assert os.path.isfile(os.path.join(folder, 'controller.yaml'))


def test_one_process_run_writes_memsnn_trains_files(spawn, tmp_path):
    out = tmp_path / 'run'
    proc = spawn(bringup_argv('--episodes', '25', '--target', '0', '--out', str(out),
                              '--record', '--plant-change', '10:pole_length=x1.5,gravity=9'),
                 name='bringup')
    assert proc.wait(timeout=180) == 0, proc.log_text()
    log = proc.log_text()
    assert 'episode budget of 25 reached' in log and 'Traceback' not in log
    # The plant change went to the simulator over ROS, and the simulator took it.
    assert 'episode 10: plant of /cartpole_sim set: pole_length=1.5, gravity=9.0' in log
    assert json.loads((out / 'run.json').read_text())['plant_changes'] == [
        '10:pole_length=x1.5,gravity=9']
    for name in RUN_FILES:
        assert (out / name).is_file(), name
    summary = json.loads((out / 'summary.json').read_text())
    assert tuple(summary) == metrics.SUMMARY_KEYS
    episodes = rf.read_episodes(out / 'episodes.csv')
    assert episodes['episode'] == list(range(len(episodes['episode'])))
    assert len(episodes['episode']) == summary['episodes'] >= 25
    assert summary['env_steps'] == sum(episodes['length'])
    _, _, arrays = load_checkpoint(out / 'checkpoint.npz')
    assert list(arrays['episode_lengths']) == episodes['length']
    wear = np.concatenate((arrays['synapses.writes_pos'].ravel(),
                           arrays['synapses.writes_neg'].ravel()))
    assert summary['device_writes_max'] == int(wear.max())
    assert summary['failed_devices'] == 0  # counted (no endurance limit by default)
    expected = controller_config.build_agent_config(dict(controller_config.defaults()))
    assert AgentConfig.from_yaml(out / 'config.yaml') == expected
    assert json.loads((out / 'run.json').read_text())['mode'] == 'lockstep'
    # The look inside, the video and the energy estimate.
    for name in inside.FIGURES + (extras.VIDEO_FILE,):
        assert (out / name).stat().st_size > 0, name
    assert summary['energy_estimate_nj_per_tick'] > 0 and summary['tick_us'] > 0
    # The recording: every topic, its type, counts that agree with the run, ordered stamps.
    bag = read_bag(out / 'rosbag')
    assert {topic: kind for topic, (kind, _) in bag.items()} == {
        '/joint_states': 'sensor_msgs/msg/JointState',
        '/effort_controller/commands': 'std_msgs/msg/Float64MultiArray',
        '/memsnn_controller/episodes': 'diagnostic_msgs/msg/DiagnosticStatus',
        '/diagnostics': 'diagnostic_msgs/msg/DiagnosticArray',
        '/clock': 'rosgraph_msgs/msg/Clock'}
    counts = {topic: len(messages) for topic, (_, messages) in bag.items()}
    # In lockstep every state is answered, and every step of every episode is a state.
    assert counts['/joint_states'] >= summary['env_steps']
    assert abs(counts['/effort_controller/commands'] - counts['/joint_states']) <= 5
    assert counts['/clock'] >= summary['env_steps']
    reports = [msg for _, msg in bag['/memsnn_controller/episodes'][1]]
    assert [int(dict((kv.key, kv.value) for kv in r.values)['index']) for r in reports] == list(
        range(summary['episodes']))
    assert counts['/diagnostics'] > 0
    assert any(kv.key == 'energy_estimate_nj_per_tick' for r in reports for kv in r.values)
    check_stamps(bag)

    # The folder now holds a run: a second start without --resume is refused.
    again = spawn(bringup_argv('--episodes', '30', '--out', str(out)), name='again')
    assert again.wait(timeout=60) == 2
    assert 'already holds a run' in again.log_text()


def test_separate_processes_and_ctrl_c(spawn, tmp_path):
    out = tmp_path / 'run'
    # A change at episode 0 is sent as soon as the simulator's process answers.
    proc = spawn(bringup_argv('--processes', '--episodes', '100000', '--out', str(out),
                              '--record', '--no-figures', '--no-video',
                              '--plant-change', '0:pole_mass=x2'), name='bringup')
    deadline = time.monotonic() + 120
    while csv_rows(out / 'episodes.csv') < 10:
        assert proc.running(), proc.log_text()
        assert time.monotonic() < deadline, proc.log_text()
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0, proc.log_text()
    log = proc.log_text()
    assert 'stopped by SIGINT' in log and 'Traceback' not in log
    assert 'episode 0: plant of /cartpole_sim set: pole_mass=0.2' in log
    for name in RUN_FILES + ('sim_node.log', 'controller_node.log'):
        assert (out / name).is_file(), name
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['episodes'] >= 10
    assert f'saved {out}/checkpoint.npz' in log
    _, _, arrays = load_checkpoint(out / 'checkpoint.npz')
    assert list(arrays['episode_lengths']) == rf.read_episodes(out / 'episodes.csv')['length']
    # The controller's process closed its bag when it shut down on SIGINT.
    assert (out / 'rosbag' / 'metadata.yaml').is_file()
    bag = read_bag(out / 'rosbag')
    assert len(bag['/joint_states'][1]) >= summary['env_steps']
    check_stamps(bag)
    assert not (out / 'policy.png').exists() and not (out / extras.VIDEO_FILE).exists()


def test_a_resumed_recording_gets_a_new_bag_folder(tmp_path):
    (tmp_path / 'run' / 'rosbag').mkdir(parents=True)
    _, ctrl = params.resolve_parameters(options(tmp_path, '--record'))
    assert ctrl['record_path'] == str(tmp_path / 'run' / 'rosbag_2')
    _, ctrl = params.resolve_parameters(options(tmp_path))
    assert ctrl['record_path'] == ''


@pytest.mark.parametrize('argv, words', [
    (('--set', 'actor.eta=-1'), 'actor.eta'),
    (('--plant-change', '5:pole_mass=heavy'), "'5:pole_mass=heavy': pole_mass=heavy: expected"),
    (('--plant-change', '5:pole_mass=x0'), 'plant.pole_mass'),
    (('--plant-change', '5:gravity=1', '--plant-change', '4:gravity=2'), 'episodes must increase'),
])
def test_bad_options_exit_with_one_line(spawn, tmp_path, argv, words):
    proc = spawn(bringup_argv(*argv, '--out', str(tmp_path / 'x')), name='bringup')
    assert proc.wait(timeout=60) == 2
    errors = [line for line in proc.log_text().splitlines()
              if line.startswith('memsnn-bringup: error:')]
    assert len(errors) == 1 and words in errors[0], errors
    assert not (tmp_path / 'x').exists()


def test_the_plant_changer_sets_the_simulators_parameters_over_ros(rclpy_context):
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    from memsnn_controller.apps.bringup.plants import PlantChanger, schedule_of
    from memsnn_controller.envs.plant import Plant
    from memsnn_controller.ros import sim_config
    from memsnn_controller.ros.sim_node import CartPoleSimNode

    executor = SingleThreadedExecutor(context=rclpy_context)
    sim = CartPoleSimNode(context=rclpy_context)
    node = rclpy.create_node('bringup_test', context=rclpy_context)
    executor.add_node(sim)
    executor.add_node(node)
    lines = []
    try:
        schedule, original = schedule_of(['2:pole_length=x1.5', '4:actuator_gain=0.6',
                                          '6:original'], sim_config.defaults())
        # A run resumed at episode 3 first sets the plant of episode 3.
        changer = PlantChanger(node, schedule, original, 3, lines.append)

        def spin_until_answered():
            deadline = time.monotonic() + 10
            while changer.busy and time.monotonic() < deadline:
                executor.spin_once(timeout_sec=0.05)
                changer.check()

        spin_until_answered()
        model = sim._sim.model
        assert model.plant == Plant(pole_length=1.5)
        changer.update(3)
        assert not changer.busy      # nothing due before episode 4
        changer.update(5)
        spin_until_answered()
        assert model.plant == Plant(pole_length=1.5, actuator_gain=0.6)
        assert sim.get_parameter('actuator_gain').value == 0.6
        changer.update(6)
        spin_until_answered()
        assert model.plant == Plant()
        assert lines == ['episode 3: plant of /cartpole_sim set: pole_length=1.5',
                         'episode 4: plant of /cartpole_sim set: actuator_gain=0.6',
                         'episode 6: plant of /cartpole_sim set: pole_length=1.0, '
                         'actuator_gain=1.0']
    finally:
        node.destroy_node()
        sim.destroy_node()
        executor.shutdown()


def test_a_resumed_run_keeps_its_plant_changes(tmp_path):
    def changes(out, *argv):
        args = options(tmp_path, *argv)
        return rf.run_plant_changes(out, args.resume, args.plant_changes)

    out = tmp_path / 'run'
    out.mkdir()
    rf.write_json(out / rf.RUN_FILE, {'plant_changes': ['300:pole_length=x1.5']})
    assert changes(out, '--resume') == ['300:pole_length=x1.5']
    assert changes(out, '--resume', '--plant-change', '300:pole_length=x1.5') == \
        ['300:pole_length=x1.5']
    with pytest.raises(rf.RunFolderError, match='run with the plant changes'):
        changes(out, '--resume', '--plant-change', '200:gravity=9')
    # A fresh run takes the option as given.
    assert changes(tmp_path / 'new', '--plant-change', '5:gravity=9') == ['5:gravity=9']


def test_options_are_parsed():
    args = cli.build_parser().parse_args([])
    assert isinstance(args, argparse.Namespace)
    assert (args.episodes, args.target, args.processes, args.mode) == (1000, 475.0, False, None)


def test_a_lost_episode_report_is_completed_from_the_checkpoint(tmp_path):
    log = rf.EpisodeLog(tmp_path / 'episodes.csv')
    recorder = outputs.Recorder(log, [], 0.0)
    recorder.t0 = 0.0

    def report(length, terminated=True):
        return {'length': str(length), 'total_reward': '-1', 'writes': '10',
                'writes_per_synapse': '0.5', 'terminated': 'true' if terminated else 'false',
                'truncated': 'false' if terminated else 'true', 'wall_s': '0.1',
                '_received': 1.0}

    reports = {0: report(5), 2: report(9), 3: report(500, terminated=False)}
    assert recorder.take(reports) == [5]
    assert recorder.episodes_seen(reports) == 4  # the bar and the budget still move
    recorder.complete(reports, [5, 7, 9, 500], max_steps=500)
    log.close()
    rows = rf.read_episodes(tmp_path / 'episodes.csv')
    assert rows['episode'] == [0, 1, 2, 3] and rows['length'] == [5, 7, 9, 500]
    assert rows['writes'] == [10, -1, 10, 10] and rows['truncated'] == [0, 0, 0, 1]
    assert recorder.reconstructed == 1
