"""Configuration: defaults, validation naming the bad field, overrides, YAML round trip."""

import os
import re

import pytest
import yaml

from memsnn_controller.snn.config import AgentConfig, ConfigError, apply_overrides


def test_defaults_are_the_section_8_recipe_with_higher_gains_and_frugal_writes():
    cfg = AgentConfig()
    assert cfg.substeps == 20
    assert cfg.actor.neurons_per_side == 20 and cfg.critic.neurons_per_half == 30
    # Requests summed per synapse to a write step (docs/results.md section 8), with a register.
    assert cfg.actor.write_step == cfg.critic.write_step == 0.002
    assert cfg.actor.write_mode == cfg.critic.write_mode == 'register'
    # The wear and time effects are off.
    assert (cfg.device.endurance, cfg.device.retention_tau_s, cfg.device.read_noise) == (0, 0, 0)
    assert cfg.device.model == 'ppx' and cfg.learning.eligibility == 'role'
    # effective rates gain x eta: two thirds (actor) of the recipe's 0.03, and its 0.015 (critic)
    assert cfg.actor.gain * cfg.actor.eta == pytest.approx(0.02)
    assert cfg.critic.gain * cfg.critic.eta == pytest.approx(0.015)


@pytest.mark.parametrize('override, field', [
    ('actor.eta=-1', 'actor.eta'),
    ('actor.decoder=sideways', 'actor.decoder'),
    ('critic.gamma=1.5', 'critic.gamma'),
    ('device.levels=1', 'device.levels'),
    ('device.model=graphene', 'device.model'),
    ('encoder.segments=[boxes, boxes]', 'encoder.segments'),
    ('encoder.box_edges=[[1, 0], [0], [0], [0]]', 'encoder.box_edges.x'),
    ('learning.eligibility=magic', 'learning.eligibility'),
    ('actor.inhibition=-0.5', 'actor.inhibition'),
    ('actor.inhibition_tau_ms=-1', 'actor.inhibition_tau_ms'),
    ('actor.bias_spread=-0.1', 'actor.bias_spread'),
    ('actor.dead_zone=-0.01', 'actor.dead_zone'),
    ('critic.dead_zone=.nan', 'critic.dead_zone'),
    ('actor.write_step=-1e-4', 'actor.write_step'),
    ('critic.write_step=.inf', 'critic.write_step'),
    ('reward.name=nope', 'reward.name'),
    ('reference_period=0.0205', 'reference_period'),
    ('neuron.reset=2.0', 'neuron.reset'),
    ('actor.nonsense=1', 'actor.nonsense'),
    ('nosection.x=1', 'nosection'),
    ('learning.reopen_window=-1', 'learning.reopen_window'),
    ('learning.reopen_after=0', 'learning.reopen_after'),
    ('learning.reopen_gain=0', 'learning.reopen_gain'),
    ('learning.reopen_noise=maybe', 'learning.reopen_noise'),
    ('learning.reopen_dead_zone_gain=-1', 'learning.reopen_dead_zone_gain'),
    ('learning.reopen_window=101', 'learning.reopen_window'),     # longer than anneal_window
])
def test_bad_values_name_their_field(override, field):
    with pytest.raises(ConfigError) as err:
        AgentConfig().with_overrides([override])
    assert str(err.value).startswith(field), str(err.value)


def test_td_modulator_needs_a_critic():
    with pytest.raises(ConfigError, match='learning.modulator'):
        AgentConfig().with_overrides(['critic.enabled=false'])
    cfg = AgentConfig().with_overrides(['critic.enabled=false', 'learning.modulator=reward'])
    assert not cfg.critic.enabled


def test_overrides_parse_yaml_values():
    cfg = apply_overrides(AgentConfig(), ['actor.eta=0.01', 'encoder.segments=[gaussian, grid]',
                                          'learning.anneal=false', 'control_period=0.01'])
    assert cfg.actor.eta == 0.01 and cfg.encoder.segments == ('gaussian', 'grid')
    assert cfg.learning.anneal is False and cfg.substeps == 20    # per tick, whatever the rate
    assert cfg.tick_ratio == 0.5


@pytest.mark.parametrize('text, field, value', [
    ('learning.trace_eps=1e-3', ('learning', 'trace_eps'), 1e-3),
    ('actor.eta=2.5E-3', ('actor', 'eta'), 2.5e-3),
    ('critic.eta=+4e-03', ('critic', 'eta'), 4e-3),
    ('device.write_threshold=1e-6', ('device', 'write_threshold'), 1e-6),
    ('learning.baseline_tau=1e2', ('learning', 'baseline_tau'), 100.0),
    ('actor.bias=-.5', ('actor', 'bias'), -0.5),
])
def test_overrides_in_exponent_form_are_numbers(text, field, value):
    # YAML 1.1 (PyYAML's default) reads 1e-3 as a string; we read numbers as YAML 1.2 does.
    cfg = apply_overrides(AgentConfig(), [text])
    assert getattr(getattr(cfg, field[0]), field[1]) == value


def test_yaml_files_read_exponent_forms_as_numbers(tmp_path):
    path = tmp_path / 'agent.yaml'
    path.write_text('learning:\n  trace_eps: 1e-4\nactor:\n  eta: 3E-3\n')
    cfg = AgentConfig.from_yaml(path)
    assert cfg.learning.trace_eps == 1e-4 and cfg.actor.eta == 3e-3


def test_strings_that_only_look_numeric_stay_strings():
    with pytest.raises(ConfigError, match="actor.decoder: must be one of .*got '1e'"):
        apply_overrides(AgentConfig(), ['actor.decoder=1e'])


def test_dict_and_yaml_round_trip(tmp_path):
    cfg = AgentConfig().with_overrides(['device.levels=16', 'reward.name=angle'])
    path = tmp_path / 'agent.yaml'
    path.write_text(yaml.safe_dump(cfg.to_dict()))
    assert AgentConfig.from_yaml(path) == cfg
    assert AgentConfig.from_dict(cfg.to_dict()) == cfg


def test_unknown_top_level_key():
    with pytest.raises(ConfigError, match='^colour'):
        AgentConfig.from_dict({'colour': 'red'})


def test_device_floor_defaults_by_model():
    assert AgentConfig().device.floor == 0.0
    assert AgentConfig().with_overrides(['device.model=nc']).device.floor == 0.01
    assert AgentConfig().with_overrides(['device.model=nc', 'device.w_floor=0.05']).device.floor \
        == 0.05
    with pytest.raises(ConfigError, match='device.w_floor'):
        AgentConfig().with_overrides(['device.w_floor=1.5'])


@pytest.mark.parametrize('section', ['actor', 'critic'])
def test_a_write_step_register_and_the_accumulating_rounding_exclude_each_other(section):
    # Both keep their register in the same planes; the random form keeps none.
    accumulate = ['device.levels=16', 'device.rounding=accumulate', 'actor.write_step=0',
                  'critic.write_step=0']
    assert AgentConfig().with_overrides(accumulate).device.rounding == 'accumulate'
    with pytest.raises(ConfigError, match=f'{section}.write_step'):
        AgentConfig().with_overrides(accumulate + [f'{section}.write_step=0.001'])
    random = AgentConfig().with_overrides(accumulate + [f'{section}.write_step=0.001',
                                                        f'{section}.write_mode=random'])
    assert getattr(random, section).write_mode == 'random'
    quantized = AgentConfig().with_overrides([f'{section}.write_step=0.001', 'device.levels=16'])
    assert getattr(quantized, section).write_step == 0.001
    assert getattr(AgentConfig().with_overrides([f'{section}.write_step=0.001']),
                   section).write_step == 0.001
    with pytest.raises(ConfigError, match=f'{section}.write_mode'):
        AgentConfig().with_overrides([f'{section}.write_mode=sometimes'])
    # A summed request under the device's write threshold would be cleared and never written.
    with pytest.raises(ConfigError, match=f'{section}.write_step'):
        AgentConfig().with_overrides(['actor.write_step=0', 'critic.write_step=0',
                                      f'{section}.write_step=0.001', 'device.write_threshold=0.01'])


@pytest.mark.parametrize('override, message', [
    ('device.endurance=-1', 'device.endurance: must be >= 0'),
    ('device.endurance=0.5', 'device.endurance: must be 0 (unlimited) or a number of writes'),
    ('device.endurance_spread=-0.1', 'device.endurance_spread'),
    ('device.stuck=middle', 'device.stuck'),
    ('device.retention_tau_s=-1', 'device.retention_tau_s'),
    ('device.retention_rest=1.5', 'device.retention_rest'),
    ('device.read_noise=-0.05', 'device.read_noise'),
    ('learning.silent_depression=-1', 'learning.silent_depression'),
    ('learning.ltd_scale=-1', 'learning.ltd_scale'),
])
def test_wear_and_time_fields_are_checked_and_named(override, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        AgentConfig().with_overrides([override])


def test_the_retention_rest_is_the_start_value_unless_set():
    assert AgentConfig().device.rest == AgentConfig().device.init_mean
    assert AgentConfig().with_overrides(['device.retention_rest=0.1']).device.rest == 0.1
    with pytest.raises(ConfigError, match='device.retention_rest'):   # below NC's floor
        AgentConfig().with_overrides(['device.model=nc', 'device.retention_rest=0.0'])


def test_the_shipped_local_learner_configuration_loads():
    path = os.path.join(os.path.dirname(__file__), '..', '..', 'config', 'agent_local.yaml')
    cfg = AgentConfig.from_yaml(path)
    assert cfg.learning.eligibility == 'local' and cfg.learning.tick_gated
    assert cfg.actor.inhibition > 0.0
