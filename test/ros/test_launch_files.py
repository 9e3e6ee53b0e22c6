"""The launch files and the parameter files they use."""

import ast
import importlib.util
import os

from docs_tables import ROS_DOC, section, table_names
import pytest
from rclpy.parameter import Parameter
import yaml

from memsnn_controller.ros import controller_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAUNCH = os.path.join(ROOT, 'launch')
CONFIG = os.path.join(ROOT, 'config')
PLACEMENT = {'namespace', 'joint_states_topic', 'commands_topic'}
ARGUMENTS = {
    'cartpole_sim.launch.py': {'mode', 'gui', 'reward', 'checkpoint', 'params_file', *PLACEMENT},
    'controller.launch.py': {'params_file', 'checkpoint', 'reward', 'use_sim_time', *PLACEMENT},
    'ros2_control.launch.py': {'hardware', 'params_file', 'checkpoint', 'reward',
                               'controllers_file', *PLACEMENT},
}
NODES = {'cartpole_sim.launch.py': {'Node', 'LifecycleNode'},
         'controller.launch.py': {'LifecycleNode'},
         'ros2_control.launch.py': {'Node', 'LifecycleNode'}}


def declared_arguments(path):
    """Names given to DeclareLaunchArgument in a launch file, read without importing it."""
    tree = ast.parse(open(path).read(), path)
    names = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and getattr(node.func, 'id', '') == 'DeclareLaunchArgument'
                and node.args and isinstance(node.args[0], ast.Constant)):
            names.add(node.args[0].value)
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert 'generate_launch_description' in functions
    return names


@pytest.mark.parametrize('name', sorted(ARGUMENTS))
def test_launch_file_declares_its_arguments(name):
    path = os.path.join(LAUNCH, name)
    assert declared_arguments(path) == ARGUMENTS[name]
    text = open(path).read()
    assert 'config/controller.yaml' in text and 'controller_node' in text
    if name == 'cartpole_sim.launch.py':
        assert 'config/simulator.yaml' in text and 'sim_node' in text


@pytest.mark.parametrize('name', sorted(ARGUMENTS))
def test_every_node_takes_the_namespace_and_remappings(name):
    # Read without launch_ros: each Node / LifecycleNode gets namespace= and remappings= from
    # the arguments, and the remappings name both topics the nodes use.
    tree = ast.parse(open(os.path.join(LAUNCH, name)).read())
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and getattr(node.func, 'id', '') in NODES[name]]
    assert {call.func.id for call in calls} == NODES[name]
    for call in calls:
        keywords = {k.arg: k.value for k in call.keywords}
        namespace = keywords['namespace']
        assert not isinstance(namespace, ast.Constant), ast.dump(namespace)  # not fixed
        assert "'namespace'" in ast.unparse(namespace)
        assert 'remappings' in keywords
    text = open(os.path.join(LAUNCH, name)).read()
    for topic, argument in (('joint_states', 'joint_states_topic'),
                            ('effort_controller/commands', 'commands_topic')):
        assert f"('{topic}', value['{argument}'])" in text


@pytest.mark.parametrize('name', sorted(ARGUMENTS))
def test_launch_file_loads_with_ros2_launch(name):
    try:
        from launch.actions import DeclareLaunchArgument
        import launch_ros.actions  # noqa: F401
    except ImportError:
        pytest.skip('launch and launch_ros are not importable (no pip wheels; they come with a '
                    'ROS 2 installation)')

    spec = importlib.util.spec_from_file_location(name.replace('.', '_'),
                                                  os.path.join(LAUNCH, name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    names = {entity.name for entity in description.entities
             if isinstance(entity, DeclareLaunchArgument)}
    assert names == ARGUMENTS[name]


def test_controller_yaml_holds_every_parameter_with_a_valid_value():
    with open(os.path.join(CONFIG, 'controller.yaml')) as f:
        values = yaml.safe_load(f)['/**']['ros__parameters']
    names = {spec.name for spec in controller_config.PARAMETERS}
    assert set(values) == names - {'agent_overrides'}  # an empty list cannot be written
    merged = dict(controller_config.defaults(), **values)
    assert controller_config.validate_all(merged) is None
    assert merged == controller_config.defaults()  # the file states the defaults


def test_docs_list_every_controller_parameter():
    # docs/ros.md's parameter table lists each parameter once, and nothing else.
    documented = table_names(section(ROS_DOC, '### 3.1 Controller node parameters'))
    names = {spec.name for spec in controller_config.PARAMETERS}
    assert sorted(documented) == sorted(names), (
        f'undocumented: {sorted(names - set(documented))}, '
        f'not parameters: {sorted(set(documented) - names)}, listed: {documented}')


def test_the_node_reads_the_parameter_files(rclpy_context):
    from memsnn_controller.ros.controller_node import ControllerNode

    path = os.path.join(CONFIG, 'controller.yaml')
    node = ControllerNode(context=rclpy_context, cli_args=[
        '--ros-args', '--params-file', path, '-p', 'agent_overrides:=["actor.eta=0.05"]'])
    assert node.parameters() == dict(controller_config.defaults(),
                                     agent_overrides=['actor.eta=0.05'])
    assert node.get_parameter('use_sim_time').value is False
    node.set_parameters([Parameter('use_sim_time', value=True)])
    node.destroy_node()


def test_the_package_ships_its_config_files():
    import memsnn_controller

    package_config = os.path.join(os.path.dirname(memsnn_controller.__file__), 'config')
    for name in ('simulator.yaml', 'controller.yaml'):
        assert os.path.isfile(os.path.join(package_config, name))
