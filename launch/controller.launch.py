"""The learning controller alone, for a real cart-pole: ``ros2 launch memsnn_controller
controller.launch.py [params_file:=PATH] [checkpoint:=PATH] [reward:=NAME]
[use_sim_time:=false] [namespace:=NS] [joint_states_topic:=TOPIC] [commands_topic:=TOPIC]``.

Starts ``controller_node`` (lifecycle node memsnn_controller) in ``namespace`` with
config/controller.yaml (keyed '/**', so it applies under any namespace), then ``params_file``
(e.g. your joint names, force_limit, thresholds, ready region, ready_hold; key it '/**' or
'/**/memsnn_controller'), then the arguments. It subscribes ``joint_states`` and commands
``effort_controller/commands`` (std_msgs/Float64MultiArray), as ros2_control's
joint_state_broadcaster and an effort forward_command_controller provide;
``joint_states_topic`` and ``commands_topic`` remap them (e.g.
``commands_topic:=/cart_effort_controller/commands``). It configures and activates itself
(``autostart``); set ``autostart: false`` in the params file to drive the lifecycle yourself.
"""

from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.launch_description import LaunchDescription
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import LifecycleNode
from launch_ros.substitutions import FindPackageShare

PACKAGE = 'memsnn_controller'


def _nodes(context):
    share = FindPackageShare(PACKAGE).perform(context)
    value = {name: LaunchConfiguration(name).perform(context)
             for name in ('params_file', 'checkpoint', 'reward', 'use_sim_time', 'namespace',
                          'joint_states_topic', 'commands_topic')}
    extra = [value['params_file']] if value['params_file'] else []
    overrides = {'use_sim_time': value['use_sim_time'].lower() == 'true'}
    if value['reward']:
        overrides['reward'] = value['reward']
    if value['checkpoint']:
        overrides['checkpoint_path'] = value['checkpoint']
    remappings = [('joint_states', value['joint_states_topic']),
                  ('effort_controller/commands', value['commands_topic'])]
    return [LifecycleNode(
        package=PACKAGE, executable='controller_node', name='memsnn_controller',
        namespace=value['namespace'], remappings=remappings, output='screen',
        parameters=[f'{share}/config/controller.yaml', *extra, overrides])]


def generate_launch_description():
    return LaunchDescription([
        DeclareLaunchArgument('params_file', default_value='',
                              description='a ROS parameter file for your cart-pole'),
        DeclareLaunchArgument('checkpoint', default_value='',
                              description='checkpoint file: loaded at start if it exists, '
                                          'autosaved while learning'),
        DeclareLaunchArgument('reward', default_value='',
                              description="the reward function; '' keeps the params files'"),
        DeclareLaunchArgument('use_sim_time', default_value='false',
                              choices=['true', 'false'],
                              description='follow /clock (false on hardware)'),
        DeclareLaunchArgument('namespace', default_value='',
                              description='namespace of the controller (e.g. robot1)'),
        DeclareLaunchArgument('joint_states_topic', default_value='joint_states',
                              description='the joint-state topic to subscribe'),
        DeclareLaunchArgument('commands_topic', default_value='effort_controller/commands',
                              description='the effort-command topic to publish'),
        OpaqueFunction(function=_nodes),
    ])
