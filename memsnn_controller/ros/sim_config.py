"""The simulator node's parameters (node ``cartpole_sim``), pure Python: the node,
memsnn-bringup and the tests share this one definition (ros/parameters.py says how).

Every parameter is described in its spec; the ones that shape the physics client (mode,
control_period, physics_substeps, gui, seed) and the joint names are read-only after start. The
plant's (pole_mass, pole_length, cart_mass, gravity, friction, actuator_gain, sensor_offset;
envs/plant.py) change while the node runs, from the next step on.
"""

from memsnn_controller.common import checks
from memsnn_controller.envs import plant
from memsnn_controller.ros.conversions import CART_JOINT, POLE_JOINT
from memsnn_controller.ros.parameters import ParameterSpec, ParameterTable

NODE_NAME = 'cartpole_sim'
MODES = ('lockstep', 'realtime')
JOINT_NAME = checks.non_empty_text('joint name')


SPECS = (
    ParameterSpec('mode', 'lockstep',
                  "'lockstep': step when the command answering the published state arrives (or "
                  "on command_timeout); 'realtime': step every control_period of wall time",
                  checks.one_of(*MODES), read_only=True),
    ParameterSpec('control_period', 0.02,
                  'seconds of sim time per step, the force held that long; [0.001, 1.0]',
                  checks.in_range(0.001, 1.0, ' s'), read_only=True),
    ParameterSpec('physics_substeps', 0,
                  'physics steps per control period; 0 = nearest whole number to '
                  'control_period * 240 Hz (5 steps of 4 ms at 0.02 s); [0, 1000]',
                  checks.in_range(0, 1000), read_only=True),
    ParameterSpec('gui', False, "open PyBullet's GUI (needs a display)", read_only=True),
    ParameterSpec('seed', 0,
                  'seed for start states and noises; -1 draws one from the OS',
                  checks.in_range(-1, 2**63 - 1), read_only=True),
    ParameterSpec('force_limit', 10.0,
                  'largest cart force magnitude in N; commands beyond it are clipped; > 0',
                  checks.above_zero(1e6, ' N')),
    ParameterSpec('pole_mass', plant.Plant.pole_mass,
                  'mass of the pole in kg (the URDF link; a new body is loaded in the same '
                  'state); (0, 100]', plant.CHECKS['pole_mass']),
    ParameterSpec('pole_length', plant.Plant.pole_length,
                  'length of the whole pole in m (the URDF link; CartPole-v1: 1.0, half-length '
                  '0.5); (0, 10]', plant.CHECKS['pole_length']),
    ParameterSpec('cart_mass', plant.Plant.cart_mass,
                  'mass of the cart in kg (the URDF link); (0, 1000]', plant.CHECKS['cart_mass']),
    ParameterSpec('gravity', plant.Plant.gravity, 'gravity in m/s^2, downward; [0, 100]',
                  plant.CHECKS['gravity']),
    ParameterSpec('friction', plant.Plant.friction,
                  'viscous friction of the cart on its track in N per m/s: a force -friction x '
                  "x_dot beside the motor's; [0, 1000]", plant.CHECKS['friction']),
    ParameterSpec('actuator_gain', plant.Plant.actuator_gain,
                  'the motor applies actuator_gain x the command clipped to force_limit (0.6: '
                  'a motor 40 % weaker); [0, 10]', plant.CHECKS['actuator_gain']),
    ParameterSpec('sensor_offset', [0.0, 0.0, 0.0, 0.0],
                  'offsets added to the published x [m], x_dot [m/s], theta [rad], theta_dot '
                  '[rad/s] (a sensor bias); each in [-10, 10]; episodes end on the true state',
                  plant.CHECKS['sensor_offset']),
    ParameterSpec('command_timeout', 0.1,
                  'lockstep: wall-clock seconds to wait for the command answering a state '
                  'before stepping with the held command; (0, 60]',
                  checks.above_zero(60.0, ' s')),
    ParameterSpec('auto_reset', True,
                  'after a failure start a new episode after reset_pause; if false the failed '
                  'state is held until ~/reset'),
    ParameterSpec('reset_pause', 0.0,
                  'seconds of sim time the failed state is held (and published) before the '
                  'automatic reset; [0, 3600]',
                  checks.in_range(0.0, 3600.0, ' s')),
    ParameterSpec('max_episode_steps', 500,
                  'steps after which an episode ends as truncated (not a failure) and a new one '
                  'starts; 0 = unlimited',
                  checks.in_range(0, 2**31 - 1)),
    ParameterSpec('sensor_noise', [0.0, 0.0, 0.0, 0.0],
                  'standard deviations of Gaussian noise added to the published x [m], x_dot '
                  '[m/s], theta [rad], theta_dot [rad/s]; episodes end on the true state',
                  checks.numbers(4)),
    ParameterSpec('actuator_noise', 0.0,
                  'standard deviation in N of Gaussian noise added to each command before '
                  'clipping; >= 0', checks.in_range(0.0, 1e6, ' N')),
    ParameterSpec('start_range', 0.05,
                  'each state component of a new episode is drawn from U(-start_range, '
                  'start_range); [0, 0.2]', checks.in_range(0.0, 0.2)),
    ParameterSpec('publish_clock', True, 'publish sim time on /clock'),
    ParameterSpec('cart_joint', CART_JOINT,
                  'name published for the cart joint (x, x_dot, force)', JOINT_NAME,
                  read_only=True),
    ParameterSpec('pole_joint', POLE_JOINT,
                  'name published for the pole joint (theta, theta_dot)', JOINT_NAME,
                  read_only=True),
    ParameterSpec('status_period', 1.0,
                  'wall-clock seconds between status reports on /diagnostics; [0.05, 3600]',
                  checks.in_range(0.05, 3600.0, ' s')),
)


def _relations(name, value, p):
    if name in ('cart_joint', 'pole_joint'):
        other = p.get('pole_joint' if name == 'cart_joint' else 'cart_joint')
        if other == value:
            return 'must differ from the other joint name'
    return None


# The parameters that are plant.Plant's fields, by the same names.
PLANT_PARAMETERS = plant.FIELDS

TABLE = ParameterTable(NODE_NAME, SPECS, relations=_relations, related=('pole_joint',))
PARAMETERS = TABLE.specs
defaults = TABLE.defaults
validate_parameter = TABLE.validate
validate_all = TABLE.validate_all
