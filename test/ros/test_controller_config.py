"""One rule for the settings that a ROS parameter and the agent configuration both name: the
parameter sets them; agent_config and agent_overrides may repeat its value, never change it."""

import pytest
import yaml

from memsnn_controller.ros import controller_config as cc
from memsnn_controller.snn.config import ConfigError

OTHER_VALUE = {'control_period': ('control_period=0.04', 0.04),
               'force_limit': ('actor.force_limit=5.0', 5.0),
               'decoder': ('actor.decoder=discrete', 'discrete'),
               'reward': ('reward.name=sparse', 'sparse'),
               'device': ('device.model=ppx', 'ppx'),
               'x_threshold': ('task.x_threshold=0.3', 0.3),
               'theta_threshold': ('task.theta_threshold=0.1', 0.1),
               'delay': ('task.delay=0.02', 0.02)}


def params(**values):
    return dict(cc.defaults(), reward='angle', device='nc', **values)


@pytest.mark.parametrize('name', sorted(cc.SHADOWED))
def test_an_override_that_disagrees_with_the_parameter_names_both(name):
    override, _ = OTHER_VALUE[name]
    p = params(agent_overrides=[override])
    field = cc.SHADOWED[name]
    with pytest.raises(ConfigError) as info:
        cc.build_agent_config(p)
    message = str(info.value)
    assert message.startswith(f'{field}: agent_overrides sets it to ') and \
        f'the ROS parameter {name} is {p[name]!r}' in message
    # the node rejects it the same way, naming the parameter that was set
    reason = cc.validate_parameter('agent_overrides', p['agent_overrides'], p)
    assert reason.startswith('agent_overrides: gives an agent configuration that is invalid: '
                             f'{field}: ') and f'ROS parameter {name} ' in reason
    assert field in cc.validate_all(p)


def test_an_override_that_repeats_the_parameter_is_accepted():
    p = params(force_limit=5.0, agent_overrides=['actor.force_limit=5', 'reward.name=angle',
                                                 'actor.decoder=continuous', 'actor.eta=0.01'])
    config = cc.build_agent_config(p)
    assert (config.actor.force_limit, config.reward.name, config.actor.eta) == (5.0, 'angle',
                                                                                0.01)
    assert cc.validate_all(p) is None


def test_an_agent_config_file_follows_the_same_rule(tmp_path):
    path = tmp_path / 'agent.yaml'
    path.write_text(yaml.safe_dump({'actor': {'decoder': 'discrete', 'eta': 0.01},
                                    'reward': {'name': 'angle'}}))
    with pytest.raises(ConfigError, match=r"^actor\.decoder: agent_config sets it to 'discrete', "
                                          r"but the ROS parameter decoder is 'continuous'"):
        cc.build_agent_config(dict(cc.defaults(), agent_config=str(path)))
    config = cc.build_agent_config(dict(cc.defaults(), agent_config=str(path),
                                        decoder='discrete'))
    assert (config.actor.decoder, config.actor.eta) == ('discrete', 0.01)


def test_empty_reward_and_device_leave_them_to_the_agent_configuration(tmp_path):
    path = tmp_path / 'agent.yaml'
    path.write_text(yaml.safe_dump({'reward': {'name': 'angle'}}))
    p = dict(cc.defaults(), agent_config=str(path), agent_overrides=['device.model=ideal'])
    assert (p['reward'], p['device']) == ('', '')
    config = cc.build_agent_config(p)
    assert (config.reward.name, config.device.model) == ('angle', 'ideal')
    with pytest.raises(ConfigError, match=r'reward\.name: agent_config .* ROS parameter reward'):
        cc.build_agent_config(dict(p, reward='sparse'))
