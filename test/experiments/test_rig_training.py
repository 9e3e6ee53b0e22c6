"""Offline runs on a plant file: the environment, the sized configuration, the run folder, the
predictor, resuming, and memsnn-compare's plant axis."""

import json
import math

from exp_support import QUIET, TINY, TINY_ARGS, run_module, warm_numba
import numpy as np
import pytest

from memsnn_controller.control.prediction import DelayCompensator
from memsnn_controller.envs import rig
from memsnn_controller.envs.plant import Plant
from memsnn_controller.envs.plant_file import load_plant_file
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.experiments.training import (
    TrainingError,
    control_pipeline,
    make_env,
    resolve_config,
    train,
)
from memsnn_controller.snn.config import AgentConfig
from memsnn_controller.snn.config.sizing import sized_for


@pytest.fixture(scope='module', autouse=True)
def _warm():
    warm_numba()


def plant_file(tmp_path, text, name='p.yaml'):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


SHORT_TRACK = 'plant: {track_limit: 0.5, coulomb_friction: 0.2}\n' \
              'task: {x_threshold: 0.4, restart: in_place}\n'


def test_sizing_scales_the_encoder_to_the_task_and_leaves_cartpole_v1_alone():
    assert sized_for(AgentConfig(), 2.4, 12 * 2 * math.pi / 360, 0.02, 0.0) == AgentConfig()
    config = sized_for(AgentConfig(), x_threshold=0.3, theta_threshold=0.1, delay=0.02)
    default = AgentConfig().encoder
    assert config.encoder.box_edges[0] == pytest.approx((-0.1, 0.1))
    assert config.encoder.box_edges[1] == pytest.approx((-0.0625, 0.0625))
    assert np.allclose(config.encoder.box_edges[2],
                       np.array(default.box_edges[2]) * 0.1 / (12 * 2 * math.pi / 360))
    assert config.encoder.ranges[0] == pytest.approx((-0.3, 0.3))
    assert (config.task.x_threshold, config.task.theta_threshold, config.task.delay) == (
        0.3, 0.1, 0.02)
    # Sizing again for the same task changes nothing; for another it scales from this one.
    assert sized_for(config, 0.3, 0.1) == config
    again = sized_for(config, 2.4, 12 * 2 * math.pi / 360)
    assert np.allclose(np.concatenate(again.encoder.box_edges),
                       np.concatenate(default.box_edges))


def test_a_speed_limited_cart_gets_x_dot_edges_from_its_top_speed():
    config = sized_for(AgentConfig(), x_threshold=0.3, top_speed=0.8)
    assert config.encoder.box_edges[1] == pytest.approx(
        (-0.48, -0.24, -0.08, 0.08, 0.24, 0.48))
    assert config.encoder.ranges[1] == pytest.approx((-0.8, 0.8))
    # No speed limit (a force motor) keeps the scaled edges.
    assert sized_for(AgentConfig(), 0.3, top_speed=math.inf) == sized_for(AgentConfig(), 0.3)


def test_a_plant_files_learner_section_comes_before_the_sizing(tmp_path):
    from memsnn_controller.control.config import learner_for

    path = plant_file(tmp_path, 'plant: {motor: dc, k_force: 1.7, k_emf: 7.7, voltage_limit: 6}\n'
                      'task: {x_threshold: 0.3}\n'
                      'learner: {critic.gamma: 0.98, encoder.grid_pairs: [[2, 3]],'
                      ' encoder.segments: [boxes, grid]}\n')
    loaded = load_plant_file(path)
    config = learner_for(AgentConfig(), loaded)
    assert config.critic.gamma == 0.98
    assert config.encoder.segments == ('boxes', 'grid')
    assert config.task.x_threshold == 0.3
    top = rig.top_speed(loaded.plant)
    assert config.encoder.ranges[1] == pytest.approx((-top, top))
    # The file's values survive its JSON form (run.json) unchanged.
    assert loaded.values()['learner']['critic.gamma'] == 0.98
    # CartPole-v1's file has no learner section: the defaults, unsized.
    assert learner_for(AgentConfig(), load_plant_file('cartpole_v1')) == AgentConfig()


def test_a_bad_learner_section_is_refused_naming_the_field(tmp_path):
    from memsnn_controller.control.config import learner_for
    from memsnn_controller.envs.plant_file import PlantFileError
    from memsnn_controller.snn.config import ConfigError

    with pytest.raises(PlantFileError, match='learner: gamma is not an AgentConfig field'):
        load_plant_file(plant_file(tmp_path, 'learner: {gamma: 0.9}\n', 'a.yaml'))
    loaded = load_plant_file(plant_file(tmp_path, 'learner: {critic.gamma: 7}\n', 'b.yaml'))
    with pytest.raises(ConfigError, match='gamma'):
        learner_for(AgentConfig(), loaded)


def test_the_shaped_rewards_use_the_tasks_bounds():
    config = sized_for(AgentConfig().with_overrides(['reward.name=angle_position']), 0.3)
    from memsnn_controller.snn.rewards import make_reward

    reward = make_reward(config.reward, config.task)
    at_the_bound = reward(np.zeros(4), np.array([0.3, 0.0, 0.0, 0.0]), False, False)
    p = config.reward.position_weight
    assert at_the_bound == pytest.approx(config.reward.scale * (1.0 - p))


def test_a_plant_file_run_records_the_plant_and_counts_end_stop_hits(tmp_path):
    # Stops inside the failure bound: an untrained agent drives the cart into them.
    path = plant_file(tmp_path, 'plant: {track_limit: 0.05}\ntask: {x_threshold: 0.4}\n')
    config = resolve_config(overrides=TINY, plant=load_plant_file(path))
    assert config.task.x_threshold == 0.4
    out = tmp_path / 'run'
    summary = train(config, seed=1, episodes=8, out_dir=out, plant=path, **QUIET)
    run = rf.read_json(out / rf.RUN_FILE)
    assert run['plant'] == path and run['plant_file']['task']['x_threshold'] == 0.4
    assert run['plant_file']['plant']['track_limit'] == 0.05
    episodes = rf.read_episodes(out / rf.EPISODES_FILE)
    assert summary['end_stop_hits'] == sum(episodes['end_stop_hits']) > 0


def test_on_a_rig_the_supervisor_brakes_and_homes_between_episodes(tmp_path):
    """An in-place restart offline runs the controller's supervisor: every failure is braked
    before the stops and homed, so the next episode starts near the centre."""
    path = plant_file(tmp_path, SHORT_TRACK)
    config = resolve_config(overrides=TINY, plant=load_plant_file(path))
    out = tmp_path / 'run'
    summary = train(config, seed=1, episodes=6, out_dir=out, plant=path, **QUIET)
    assert summary['end_stop_hits'] == 0
    rest = json.loads((out / rf.ENV_STATE_FILE).read_text())['rest_x']
    assert rest is not None and abs(rest) < 0.02


def test_the_rig_preset_trains_offline_on_the_pybullet_model(tmp_path):
    # The safety layer's commands (slewed, braking, homing) drive PyBullet's model as they drive
    # gymnasium's equations: the rig's offline twin of memsnn-bringup --plant rig.
    config = resolve_config(overrides=TINY, plant=load_plant_file('rig'))
    summary = train(config, seed=2, env_id='memsnn/BulletCartPole-v0', episodes=4,
                    out_dir=tmp_path / 'run', plant='rig', **QUIET)
    assert summary['episodes'] == 4 and summary['end_stop_hits'] == 0


@pytest.mark.parametrize('sensing', ['measured', 'none'])
def test_a_resumed_in_place_run_continues_exactly(tmp_path, sensing):
    # With velocities estimated from stamped positions the rig's time is part of what resumes.
    path = plant_file(tmp_path, SHORT_TRACK.replace('coulomb_friction: 0.2',
                                                    f'coulomb_friction: 0.2, encoder_counts: '
                                                    f'4096, velocity_sensing: {sensing}'))
    config = resolve_config(overrides=TINY, plant=load_plant_file(path))
    whole, parts = tmp_path / 'whole', tmp_path / 'parts'
    train(config, seed=3, episodes=8, out_dir=whole, plant=path, **QUIET)
    train(config, seed=3, episodes=4, out_dir=parts, plant=path, **QUIET)
    train(config, seed=3, episodes=8, out_dir=parts, resume=True, **QUIET)   # the run's plant
    a, b = (rf.read_episodes(d / rf.EPISODES_FILE) for d in (whole, parts))
    for column in ('length', 'agent_return', 'writes', 'end_stop_hits'):
        assert a[column] == b[column], column
    carries = [json.loads((d / rf.ENV_STATE_FILE).read_text()) for d in (whole, parts)]
    assert carries[0] == carries[1] and carries[0]['time'] > 0


def test_a_resume_on_another_plant_is_refused(tmp_path):
    path = plant_file(tmp_path, SHORT_TRACK)
    other = plant_file(tmp_path, 'plant: {track_limit: 0.6}\ntask: {x_threshold: 0.4}\n',
                       'other.yaml')
    config = resolve_config(overrides=TINY, plant=load_plant_file(path))
    out = tmp_path / 'run'
    train(config, seed=0, episodes=2, out_dir=out, plant=path, **QUIET)
    with pytest.raises(rf.RunFolderError, match='values differ'):
        train(config, seed=0, episodes=3, out_dir=out, resume=True, plant=other, **QUIET)


def test_the_task_sets_the_period_and_the_episode_limit():
    task = load_plant_file('rig').task.__class__(tau=0.01, max_episode_steps=7)
    env = make_env('CartPole-v1', task)
    try:
        assert env.unwrapped.tau == 0.01
        env.reset(seed=0)
        steps = 0
        truncated = terminated = False
        while not (truncated or terminated):
            _, _, terminated, truncated, _ = env.step(steps % 2)
            steps += 1
        assert truncated and steps == 7
    finally:
        env.close()


def test_the_predictor_with_the_plants_own_model_is_exact():
    """Delayed by D, a plant's state D ahead is the predictor's output: both integrate the same
    equations under the same commands."""
    for delay in (0.02, 0.04):
        plant = Plant(delay=delay, coulomb_friction=0.2, pole_friction=0.01)
        simulated = rig.RigIntegrator(plant, 0.02, 10.0)
        predictor = DelayCompensator(plant, delay, 0.02, 10.0)
        state = np.array([0.0, 0.1, 0.03, -0.1])
        rng = np.random.default_rng(0)
        predictions, states = [], []
        for k in range(60):
            predictions.append(predictor.predict(state, np.zeros(4)).copy())
            command = float(rng.choice([-10.0, 10.0]))
            predictor.commanded(command)
            simulated.command(command, k * 0.02)
            simulated.advance(state, k * 0.02)
            states.append(state.copy())
        ahead = round(delay / 0.02)
        for k in range(50):
            np.testing.assert_allclose(predictions[k], states[k + ahead - 1], atol=1e-12)


def test_a_wrong_model_errs_more_the_longer_the_delay():
    """A model off by 30 % in pole length predicts wrong, and the more so the further ahead."""
    errors = []
    for delay in (0.02, 0.04):
        exact = DelayCompensator(Plant(), delay, 0.02, 10.0)
        long_pole = DelayCompensator(Plant(pole_length=1.3), delay, 0.02, 10.0)
        state = np.array([0.0, 0.0, 0.1, 0.0])
        for predictor in (exact, long_pole):
            for _ in range(round(delay / 0.02)):
                predictor.commanded(10.0)
        a, b = exact.predict(state, np.zeros(4)), long_pole.predict(state, np.zeros(4))
        errors.append(abs(a[3] - b[3]))
    assert 0.0 < errors[0] < errors[1]


def test_the_offline_pipeline_follows_the_plant_and_the_configuration(tmp_path):
    delayed = load_plant_file(plant_file(tmp_path, 'plant: {delay: 0.02}\n'))
    assert control_pipeline(AgentConfig(), None) is None
    assert control_pipeline(AgentConfig(), delayed) is None      # delay not compensated
    config = sized_for(AgentConfig(), delay=0.02)
    pipeline = control_pipeline(config, delayed)
    assert pipeline is not None and pipeline.predictor is not None
    # Estimated velocities: their lag corrected through the plant's model, without a delay.
    encoders = load_plant_file(plant_file(
        tmp_path, 'plant: {encoder_counts: 4096, velocity_sensing: none}\n', 'e.yaml'))
    pipeline = control_pipeline(AgentConfig(), encoders)
    assert pipeline is not None and pipeline.predictor is not None
    assert pipeline.predictor.delay == 0.0 and pipeline.predictor.max_lag > 0.0
    quantised = load_plant_file(plant_file(tmp_path, 'plant: {encoder_counts: 4096}\n', 'q.yaml'))
    pipeline = control_pipeline(AgentConfig(), quantised)   # velocities measured: no lag
    assert pipeline is None or pipeline.predictor is None


def test_a_delay_compensated_run_learns_from_predictions(tmp_path):
    path = plant_file(tmp_path, 'plant: {delay: 0.02}\n')
    config = resolve_config(overrides=TINY, plant=load_plant_file(path))
    assert config.task.delay == 0.02
    summary = train(config, seed=0, episodes=3, out_dir=tmp_path / 'run', plant=path, **QUIET)
    assert summary['episodes'] == 3


def test_bad_plant_files_are_refused_naming_the_problem(tmp_path):
    with pytest.raises(TrainingError, match='unknown plant fields wheels'):
        train(AgentConfig(), episodes=1, out_dir=tmp_path / 'a',
              plant=plant_file(tmp_path, 'plant: {wheels: 4}\n'), **QUIET)
    with pytest.raises(TrainingError, match='no such preset'):
        train(AgentConfig(), episodes=1, out_dir=tmp_path / 'b', plant='warp_drive', **QUIET)


def test_memsnn_compare_takes_plants_as_a_grid_axis(tmp_path):
    a = plant_file(tmp_path, 'plant: {delay: 0.02}\n', 'delay1.yaml')
    b = plant_file(tmp_path, SHORT_TRACK, 'track.yaml')
    out = tmp_path / 'cmp'
    result = run_module('memsnn_controller.apps.compare',
                        ['--rewards', 'sparse', '--seeds', '1', '--episodes', '2', '--jobs', '1',
                         '--no-progress', '--out', out, '--plant', a, b, *TINY_ARGS],
                        cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    runs = {p.name: p for p in (out / 'runs').iterdir()}
    assert set(runs) == {'sparse__ppx__delay1__s0', 'sparse__ppx__track__s0'}
    track = AgentConfig.from_yaml(runs['sparse__ppx__track__s0'] / rf.CONFIG_FILE)
    assert track.task.x_threshold == 0.4
    assert rf.read_json(runs['sparse__ppx__delay1__s0'] / rf.RUN_FILE)['plant'] == a


def test_an_episodes_file_from_before_end_stops_is_resumed_with_zero_hits(tmp_path):
    path = tmp_path / rf.EPISODES_FILE
    old = [name for name in rf.EPISODE_COLUMNS if name != 'end_stop_hits']
    path.write_text(','.join(old) + '\n0,10,10,-1,5,0.1,1,0,0.5,0.5\n'
                    '1,12,12,-1,6,0.2,1,0,0.5,1.0\n')
    log = rf.EpisodeLog(path, keep=2)
    log.append(2, 9, 9.0, -1.0, 4, 0.1, True, False, 0.4, 1.4, end_stop_hits=3)
    log.close()
    episodes = rf.read_episodes(path)
    assert episodes['end_stop_hits'] == [0, 0, 3] and episodes['length'] == [10, 12, 9]
    assert episodes['elapsed_s'] == [0.5, 1.0, 1.4]
