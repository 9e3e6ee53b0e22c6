"""The learning controller on a cart-pole driven by ros2_control: ``ros2 launch memsnn_controller
ros2_control.launch.py [hardware:=mock|gazebo] [params_file:=PATH] [checkpoint:=PATH]
[reward:=NAME] [controllers_file:=PATH] [namespace:=NS] [joint_states_topic:=TOPIC]
[commands_topic:=TOPIC]``.

Starts robot_state_publisher with the cart-pole's URDF (memsnn_controller.envs.cartpole_urdf,
the model of urdf/cartpole.urdf) for the chosen hardware, a controller manager with
config/ros2_controllers.yaml (joint_state_broadcaster and effort_controller, a forward command
controller on the cart joint's effort), their spawners, and ``controller_node`` (lifecycle node
memsnn_controller) with config/controller.yaml, then ``params_file``, then the arguments. The
controller hears joint_states from the broadcaster and commands effort_controller/commands
(``joint_states_topic`` and ``commands_topic`` remap the controller's side); every node runs in
``namespace``.

hardware:=mock (default): mock_components/GenericSystem in ros2_control_node. It has no physics
(the joints stay where they start and an effort command moves nothing), so it checks the wiring:
topics, types, controllers, the controller's answers. hardware:=gazebo: Gazebo (gz sim, an
empty world) with gz_ros2_control, whose plugin runs the controller manager; /clock is bridged
and every node runs on sim time. Needs ros_gz_sim, ros_gz_bridge and gz_ros2_control. For a real
cart-pole, replace the <ros2_control> block's hardware by your driver's plugin (keeping the joint
names and interfaces, or setting cart_joint and pole_joint) and start it as hardware:=mock does.
"""

import os

from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription, OpaqueFunction
from launch.launch_description import LaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import LifecycleNode, Node
from launch_ros.substitutions import FindPackageShare

PACKAGE = 'memsnn_controller'


def _nodes(context):
    from memsnn_controller.envs.cartpole_urdf import cartpole_urdf

    share = FindPackageShare(PACKAGE).perform(context)
    value = {name: LaunchConfiguration(name).perform(context)
             for name in ('hardware', 'params_file', 'checkpoint', 'reward', 'controllers_file',
                          'namespace', 'joint_states_topic', 'commands_topic')}
    controllers = value['controllers_file'] or f'{share}/config/ros2_controllers.yaml'
    gazebo = value['hardware'] == 'gazebo'
    description = {'robot_description': cartpole_urdf(ros2_control=value['hardware'],
                                                      controllers_file=controllers)}
    sim_time = {'use_sim_time': gazebo}
    namespace = value['namespace'].strip('/')
    manager = f'/{namespace}/controller_manager' if namespace else '/controller_manager'
    actions = [Node(package='robot_state_publisher', executable='robot_state_publisher',
                    namespace=value['namespace'], remappings=[], output='screen',
                    parameters=[description, sim_time])]
    if gazebo:
        gz_launch = os.path.join(FindPackageShare('ros_gz_sim').perform(context), 'launch',
                                 'gz_sim.launch.py')
        actions += [
            IncludeLaunchDescription(PythonLaunchDescriptionSource(gz_launch),
                                     launch_arguments={'gz_args': '-r empty.sdf'}.items()),
            Node(package='ros_gz_sim', executable='create', namespace=value['namespace'],
                 remappings=[], output='screen',
                 arguments=['-topic', 'robot_description', '-name', 'cartpole', '-z', '0.2']),
            Node(package='ros_gz_bridge', executable='parameter_bridge',
                 namespace=value['namespace'], remappings=[], output='screen',
                 arguments=['/clock@rosgraph_msgs/msg/Clock[gz.msgs.Clock']),
        ]
    else:
        # The controller manager reads the URDF from robot_state_publisher's topic.
        actions.append(Node(package='controller_manager', executable='ros2_control_node',
                            namespace=value['namespace'], output='screen',
                            parameters=[controllers],
                            remappings=[('~/robot_description', 'robot_description')]))
    for controller in ('joint_state_broadcaster', 'effort_controller'):
        actions.append(Node(package='controller_manager', executable='spawner',
                            namespace=value['namespace'], remappings=[], output='screen',
                            arguments=[controller, '--controller-manager', manager],
                            parameters=[sim_time]))
    extra = [value['params_file']] if value['params_file'] else []
    overrides = dict(sim_time)
    if value['reward']:
        overrides['reward'] = value['reward']
    if value['checkpoint']:
        overrides['checkpoint_path'] = value['checkpoint']
    remappings = [('joint_states', value['joint_states_topic']),
                  ('effort_controller/commands', value['commands_topic'])]
    actions.append(LifecycleNode(
        package=PACKAGE, executable='controller_node', name='memsnn_controller',
        namespace=value['namespace'], remappings=remappings, output='screen',
        parameters=[f'{share}/config/controller.yaml', *extra, overrides]))
    return actions


def generate_launch_description():
    return LaunchDescription([
        DeclareLaunchArgument('hardware', default_value='mock', choices=['mock', 'gazebo'],
                              description='mock: mock_components/GenericSystem (no physics, '
                                          'checks the wiring); gazebo: gz sim with '
                                          'gz_ros2_control'),
        DeclareLaunchArgument('params_file', default_value='',
                              description="a ROS parameter file for the controller node (your "
                                          "cart-pole's force_limit, thresholds, ready region)"),
        DeclareLaunchArgument('checkpoint', default_value='',
                              description='checkpoint file: loaded at start if it exists, '
                                          'autosaved while learning'),
        DeclareLaunchArgument('reward', default_value='',
                              description="the reward function; '' keeps the params files'"),
        DeclareLaunchArgument('controllers_file', default_value='',
                              description="the controller manager's YAML; '' = the package's "
                                          'config/ros2_controllers.yaml'),
        DeclareLaunchArgument('namespace', default_value='',
                              description='namespace of every node (e.g. robot1)'),
        DeclareLaunchArgument('joint_states_topic', default_value='joint_states',
                              description="the controller's joint-state topic"),
        DeclareLaunchArgument('commands_topic', default_value='effort_controller/commands',
                              description="the controller's effort-command topic"),
        OpaqueFunction(function=_nodes),
    ])
