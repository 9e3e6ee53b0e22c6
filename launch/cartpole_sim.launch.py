"""Simulated cart-pole and the learning controller: ``ros2 launch memsnn_controller
cartpole_sim.launch.py [mode:=lockstep|realtime] [gui:=false] [reward:=NAME]
[checkpoint:=PATH] [params_file:=PATH] [namespace:=NS] [joint_states_topic:=TOPIC]
[commands_topic:=TOPIC]``.

Starts ``sim_node`` (node cartpole_sim) with config/simulator.yaml and ``controller_node``
(lifecycle node memsnn_controller, configured and activated by its own ``autostart``) with
config/controller.yaml, on sim time, both in ``namespace`` (the package's files are keyed '/**',
so they apply there too; /clock and /diagnostics stay global). ``joint_states_topic`` and
``commands_topic`` remap the two nodes' joint_states and effort_controller/commands (relative
names resolve in the namespace). ``params_file`` is a ROS parameter file applied after the
package's (it may hold sections for both nodes: '/**' for both, or the node names, which under a
namespace need the '/**/NAME' form); the other arguments win over both files. For pip installs
without ros2 launch, ``memsnn-bringup`` starts the same nodes from the same files.
"""

from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.launch_description import LaunchDescription
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import LifecycleNode, Node
from launch_ros.substitutions import FindPackageShare

PACKAGE = 'memsnn_controller'


def _nodes(context):
    share = FindPackageShare(PACKAGE).perform(context)
    value = {name: LaunchConfiguration(name).perform(context)
             for name in ('mode', 'gui', 'reward', 'checkpoint', 'params_file', 'namespace',
                          'joint_states_topic', 'commands_topic')}
    remappings = [('joint_states', value['joint_states_topic']),
                  ('effort_controller/commands', value['commands_topic'])]
    extra = [value['params_file']] if value['params_file'] else []
    sim_overrides = {'mode': value['mode'], 'gui': value['gui'].lower() == 'true'}
    controller_overrides = {'use_sim_time': True}
    if value['reward']:
        controller_overrides['reward'] = value['reward']
    if value['checkpoint']:
        controller_overrides['checkpoint_path'] = value['checkpoint']
    sim = Node(
        package=PACKAGE, executable='sim_node', name='cartpole_sim',
        namespace=value['namespace'], remappings=remappings, output='screen',
        parameters=[f'{share}/config/simulator.yaml', *extra, sim_overrides])
    controller = LifecycleNode(
        package=PACKAGE, executable='controller_node', name='memsnn_controller',
        namespace=value['namespace'], remappings=remappings, output='screen',
        parameters=[f'{share}/config/controller.yaml', *extra, controller_overrides])
    return [sim, controller]


def generate_launch_description():
    return LaunchDescription([
        DeclareLaunchArgument('mode', default_value='lockstep', choices=['lockstep', 'realtime'],
                              description='lockstep: the simulator waits for each answer '
                                          '(faster than real time); realtime: wall-clock rate'),
        DeclareLaunchArgument('gui', default_value='false', choices=['true', 'false'],
                              description="open PyBullet's GUI (needs a display)"),
        DeclareLaunchArgument('reward', default_value='',
                              description="the controller's reward function; '' keeps "
                                          "config/controller.yaml's"),
        DeclareLaunchArgument('checkpoint', default_value='',
                              description='checkpoint file: loaded at start if it exists, '
                                          'autosaved while learning'),
        DeclareLaunchArgument('params_file', default_value='',
                              description='an extra ROS parameter file for both nodes'),
        DeclareLaunchArgument('namespace', default_value='',
                              description='namespace of both nodes (e.g. robot1)'),
        DeclareLaunchArgument('joint_states_topic', default_value='joint_states',
                              description='the joint-state topic both nodes use'),
        DeclareLaunchArgument('commands_topic', default_value='effort_controller/commands',
                              description='the effort-command topic both nodes use'),
        OpaqueFunction(function=_nodes),
    ])
