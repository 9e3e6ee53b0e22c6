"""ros2_control without ROS: the shipped URDF is the generator's, its <ros2_control> block names
the controller's joints and interfaces, the controllers YAML gives the topics the controller node
uses, and the launch file declares its arguments and starts what it should."""

import ast
import os
import xml.etree.ElementTree as ET

import yaml

from memsnn_controller.envs.cartpole_urdf import cartpole_urdf
from memsnn_controller.ros import controller_config
from memsnn_controller.ros.conversions import CART_JOINT, POLE_JOINT

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
URDF = os.path.join(ROOT, 'urdf', 'cartpole.urdf')
CONTROLLERS = os.path.join(ROOT, 'config', 'ros2_controllers.yaml')
LAUNCH = os.path.join(ROOT, 'launch', 'ros2_control.launch.py')
# The controller node's topics, as it names them (relative: resolved in the root namespace).
COMMANDS_TOPIC = 'effort_controller/commands'
JOINT_STATES_TOPIC = 'joint_states'


def _block(root):
    blocks = root.findall('ros2_control')
    assert len(blocks) == 1
    return blocks[0]


def _interfaces(joint, kind):
    return [element.get('name') for element in joint.findall(kind)]


def test_the_shipped_urdf_is_the_generators():
    with open(URDF) as f:
        assert f.read() == cartpole_urdf(ros2_control='mock'), (
            'regenerate: python -m memsnn_controller.envs.cartpole_urdf > urdf/cartpole.urdf')


def test_the_ros2_control_block_matches_the_controllers_defaults():
    root = ET.parse(URDF).getroot()
    joints = {j.get('name'): j for j in root.findall('joint')}
    assert joints[CART_JOINT].get('type') == 'prismatic'
    assert joints[POLE_JOINT].get('type') == 'continuous'
    block = _block(root)
    assert block.get('type') == 'system'
    assert block.find('hardware/plugin').text == 'mock_components/GenericSystem'
    declared = {j.get('name'): j for j in block.findall('joint')}
    defaults = controller_config.defaults()
    assert set(declared) == {defaults['cart_joint'], defaults['pole_joint']} == {CART_JOINT,
                                                                                POLE_JOINT}
    cart, pole = declared[CART_JOINT], declared[POLE_JOINT]
    assert _interfaces(cart, 'command_interface') == ['effort']
    assert _interfaces(pole, 'command_interface') == []
    # The controller needs x, x_dot, theta, theta_dot: position and velocity of both joints.
    assert _interfaces(cart, 'state_interface') == ['position', 'velocity']
    assert _interfaces(pole, 'state_interface') == ['position', 'velocity']
    assert {name for name in joints} >= set(declared)


def test_the_gazebo_variant():
    text = cartpole_urdf(ros2_control='gazebo', controllers_file='/x/ros2_controllers.yaml')
    root = ET.fromstring(text)
    assert _block(root).find('hardware/plugin').text == 'gz_ros2_control/GazeboSimSystem'
    plugin = root.find('gazebo/plugin')
    assert plugin.get('filename') == 'gz_ros2_control-system'
    assert plugin.find('parameters').text == '/x/ros2_controllers.yaml'
    # Without a block the model is pybullet_data's: no world link, no ros2_control.
    plain = ET.fromstring(cartpole_urdf())
    assert plain.find('ros2_control') is None and plain.find("link[@name='world']") is None


def test_the_controllers_yaml_gives_the_nodes_topics():
    with open(CONTROLLERS) as f:
        data = yaml.safe_load(f)
    manager = data['controller_manager']['ros__parameters']
    controllers = {name: spec['type'] for name, spec in manager.items()
                   if isinstance(spec, dict) and 'type' in spec}
    assert controllers == {
        'joint_state_broadcaster': 'joint_state_broadcaster/JointStateBroadcaster',
        'effort_controller': 'forward_command_controller/ForwardCommandController'}
    effort = data['effort_controller']['ros__parameters']
    assert effort['joints'] == [CART_JOINT] and effort['interface_name'] == 'effort'
    # A forward command controller takes <its name>/commands and the broadcaster publishes
    # joint_states: the topics the controller node uses.
    forward = [name for name, kind in controllers.items() if kind.startswith('forward_command')]
    topics = _node_topics()
    assert [f'/{name}/commands' for name in forward] == [f'/{COMMANDS_TOPIC}']
    assert {f'/{COMMANDS_TOPIC}', f'/{JOINT_STATES_TOPIC}'} <= topics


def _node_topics():
    """The topics the controller node's source names (read, not imported: no node started)."""
    path = os.path.join(ROOT, 'memsnn_controller', 'ros', 'controller_node.py')
    names = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Call) and getattr(node.func, 'attr', '') in (
                'create_publisher', 'create_subscription') and len(node.args) >= 2 and \
                isinstance(node.args[1], ast.Constant):
            name = node.args[1].value
            names.add(name if name.startswith('/') else f'/{name}')
    return names


def test_the_launch_file_starts_the_controller_on_ros2_control():
    tree = ast.parse(open(LAUNCH).read())
    declared = {node.args[0].value for node in ast.walk(tree)
                if isinstance(node, ast.Call) and getattr(node.func, 'id', '') ==
                'DeclareLaunchArgument'}
    assert declared == {'hardware', 'params_file', 'checkpoint', 'reward', 'controllers_file',
                        'namespace', 'joint_states_topic', 'commands_topic'}
    text = open(LAUNCH).read()
    for needed in ('robot_state_publisher', 'ros2_control_node', 'spawner',
                   'joint_state_broadcaster', 'effort_controller', 'controller_node',
                   'config/controller.yaml', 'config/ros2_controllers.yaml', 'cartpole_urdf',
                   'ros_gz_sim'):
        assert needed in text, needed
