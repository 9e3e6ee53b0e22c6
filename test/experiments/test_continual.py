"""The plant-change harness: its plants, phase metrics, one short schedule end to end (and the
same run through memsnn-train's --plant-change), the merged table and the figure."""

import json

from exp_support import QUIET, TINY, is_png, warm_numba
import numpy as np
import pytest

from memsnn_controller.envs.plant_env import PlantWrapper
from memsnn_controller.experiments import continual
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.experiments.training import make_env, train
from memsnn_controller.snn.config import AgentConfig

CONFIG = AgentConfig().with_overrides(list(TINY))


def test_each_change_sets_cartpoles_fields_as_the_probes_factors():
    # issue 16's probe (docs/science.md section 15) scaled CartPoleEnv's fields: masspole x2,
    # length x1.5, gravity x1.5, force_mag x0.6, with total_mass and polemass_length derived
    # again; the plants must give exactly those numbers (the measured protocol is unchanged).
    env = PlantWrapper(make_env('CartPole-v1'))
    u = env.unwrapped
    fields = ('masspole', 'masscart', 'length', 'gravity', 'force_mag')
    base = {name: float(getattr(u, name)) for name in fields}
    factors = {'none': {}, 'mass': {'masspole': 2.0}, 'length': {'length': 1.5},
               'gravity': {'gravity': 1.5}, 'force': {'force_mag': 0.6}}
    for name, scale in factors.items():
        env.set_plant(continual.changed_plant(name, env.original))
        want = {f: base[f] * scale.get(f, 1.0) for f in fields}
        assert {f: getattr(u, f) for f in fields} == want, name
        assert u.total_mass == want['masspole'] + want['masscart']
        assert u.polemass_length == want['masspole'] * want['length']
    env.set_plant(env.original)
    assert {f: getattr(u, f) for f in fields} == base
    env.close()


def test_the_changed_plant_changes_the_physics():
    env = PlantWrapper(make_env('CartPole-v1'))
    ends = []
    for name in ('none', 'gravity'):
        env.set_plant(continual.changed_plant(name, env.original))
        env.reset(seed=0)
        env.unwrapped.state = np.array([0.0, 0.0, 0.05, 0.0])
        ends.append(env.step(1)[0][3])
    assert ends[1] > ends[0]  # stronger gravity: the pole falls faster
    env.close()


def test_schedule_texts():
    assert continual.schedule_texts('force', 250, 400) == ['250:actuator_gain=0.6',
                                                           '650:original']
    assert continual.schedule_texts('none', 250, 400) == []


def test_phase_metrics():
    lengths = [100] * 10 + [500] * 30 + [200] * 5
    writes = list(range(45))
    m = continual.phase_metrics(lengths, writes, n_synapses=2)
    assert m['first20_mean'] == pytest.approx((100 * 10 + 500 * 10) / 20)
    assert m['first20_min'] == 100
    # The window of episodes 8..27 is the first with a mean >= 450: (2 x 100 + 18 x 500) / 20
    # = 460 (7..26: (3 x 100 + 17 x 500) / 20 = 440), so 28 episodes to recover.
    assert m['recovery'] == 28
    assert m['dip'] == pytest.approx(300.0)
    assert m['writes_recovery'] == pytest.approx(sum(range(28)) / 2)
    assert m['final100'] is None and m['min100'] is None
    never = continual.phase_metrics([10] * 30, [1] * 30, n_synapses=1)
    assert never['recovery'] is None and never['writes_recovery'] == 30.0


def test_schedule_end_to_end_and_as_memsnn_train(monkeypatch, tmp_path):
    warm_numba()
    # Solving needs a full trailing-100 window; level 0 makes a tiny network "solve" at 99.
    monkeypatch.setattr(continual, 'SOLVE_LEVEL', 0)
    run = continual.run_seed(CONFIG, 3, changes=('none', 'force'), changed_episodes=6,
                             return_episodes=4, solve_budget=150)
    assert run['first_475'] == 99 and run['solve_episodes'] == 100
    none, force = run['changes']['none'], run['changes']['force']
    assert len(none['lengths']) == 10 and none['changed']['episodes'] == 6
    assert none['returned']['episodes'] == 4
    assert none['min_after_475'] is not None and 'min_after_475' not in force
    # Same solved agent and starting states: only the plant differs.
    assert none['lengths'] != force['lengths']
    again = continual.run_seed(CONFIG, 3, changes=('force',), changed_episodes=6,
                               return_episodes=4, solve_budget=150)
    assert again['changes']['force'] == force   # deterministic
    # The same seed in one memsnn-train run with the recorded --plant-change texts: the solve
    # and the change (copied from the solved agent) are its episodes, exactly.
    assert force['plant_changes'] == ['100:actuator_gain=0.6', '106:original']
    train(CONFIG, seed=3, episodes=110, out_dir=tmp_path / 't',
          plant_changes=force['plant_changes'], **QUIET)
    trained = rf.read_episodes(tmp_path / 't' / rf.EPISODES_FILE)
    assert trained['length'] == run['solve_lengths'] + force['lengths']
    out = tmp_path / 'r.json'
    assert continual.main(['--seeds', '3', '--changes', 'none', '--changed-episodes', '2',
                           '--return-episodes', '1', '--solve-budget', '100', '--out', str(out),
                           *[a for item in TINY for a in ('--set', item)]]) == 0
    saved = json.loads(out.read_text())
    assert saved['results'][0]['seed'] == 3 and (tmp_path / 'r.md').exists()


def test_a_rig_schedule_is_memsnn_trains_run_on_the_plant(monkeypatch, tmp_path):
    # On a plant file the harness runs the controller's side (supervisor between episodes, the
    # front end, the predictor) as memsnn-train --plant does, and a change continues from where
    # the solve left the rig: the same episodes as one memsnn-train run with the recorded texts.
    from memsnn_controller.control.config import learner_for
    from memsnn_controller.envs.plant_file import load_plant_file

    warm_numba()
    monkeypatch.setattr(continual, 'SOLVE_LEVEL', 0)
    rig = load_plant_file('rig')
    config = learner_for(AgentConfig(), rig).with_overrides(list(TINY))
    run = continual.run_seed(config, 2, changes=('none', 'force'), changed_episodes=5,
                             return_episodes=3, solve_budget=120, plant_file=rig)
    force = run['changes']['force']
    assert force['plant_changes'] == ['100:actuator_gain=0.6', '105:original']
    assert force['surprise'][0] is None  # not measured through the pipeline
    train(config, seed=2, episodes=108, out_dir=tmp_path / 't', plant='rig',
          plant_changes=force['plant_changes'], **QUIET)
    trained = rf.read_episodes(tmp_path / 't' / rf.EPISODES_FILE)
    assert trained['length'] == run['solve_lengths'] + force['lengths']
    assert run['changes']['none']['lengths'] != force['lengths']
    out = tmp_path / 'rig.json'
    assert continual.main(['--plant', 'rig', '--seeds', '2', '--changes', 'none',
                           '--changed-episodes', '1', '--return-episodes', '1',
                           '--solve-budget', '100', '--out', str(out),
                           *[a for item in TINY for a in ('--set', item)]]) == 0
    assert json.loads(out.read_text())['plant'] == 'rig'
    with pytest.raises(SystemExit):
        continual.main(['--plant', 'warp_drive', '--out', str(tmp_path / 'x.json')])


def test_unsolved_seed_gets_no_changes():
    warm_numba()
    run = continual.run_seed(CONFIG, 0, changes=('force',), solve_budget=5)
    assert run['first_475'] is None and run['changes'] == {}


def _entry(recovery):
    m = {'episodes': 30, 'recovery': recovery, 'dip': 300.0, 'first20_mean': 400.0,
         'first20_min': 30, 'writes_recovery': 1.0, 'final100': 480.0, 'min100': 470.0}
    return {'changed': m, 'returned': dict(m, recovery=20)}


def test_merge_joins_the_changes_of_one_seed(tmp_path, capsys):
    a = {'results': [{'seed': 1, 'first_475': 200, 'changes': {'force': _entry(90)}},
                     {'seed': 0, 'first_475': 250, 'changes': {'force': _entry(None)}}]}
    b = {'results': [{'seed': 1, 'first_475': 200, 'changes': {'mass': _entry(20)}}]}
    for name, data in (('a.json', a), ('b.json', b)):
        (tmp_path / name).write_text(json.dumps(data))
    merged = continual.merge([tmp_path / 'a.json', tmp_path / 'b.json'])
    assert [r['seed'] for r in merged] == [0, 1]
    assert sorted(merged[1]['changes']) == ['force', 'mass']
    assert continual.main(['--merge', str(tmp_path / 'a.json'), str(tmp_path / 'b.json')]) == 0
    text = capsys.readouterr().out
    assert '| force | changed | never [90, never] (1 never) |' in text
    assert 'first 475: 226 [201, 251] episodes' in text


def test_the_trailing_mean_through_a_change_and_its_figure(tmp_path):
    def result(seed, after):
        entry = dict(_entry(20), lengths=after)
        return {'seed': seed, 'first_475': 0, 'solve_lengths': [100] * 50 + [500] * 150,
                'changes': {'force': entry}}

    r = result(0, [200] * 30 + [500] * 20)
    x, y = continual.trailing_through_change(r, 'force')
    assert x[0] == -100 and x[-1] == 49 and len(y) == 150
    assert y[99] == 500 and y[100] == pytest.approx((19 * 500 + 200) / 20)
    assert y[129] == 200 and y[149] == 500
    path = tmp_path / 'a.json'
    path.write_text(json.dumps({'results': [r, result(1, [500] * 50)]}))
    png = tmp_path / 'fig' / 'through.png'
    assert continual.main(['--figure', str(png), f'plain={path}', f'reopening={path}']) == 0
    assert is_png(png)
