"""The simulator node's parameters (node ``cartpole_sim``), pure Python: the node,
memsnn-bringup and the tests share this one definition (ros/parameters.py says how).

Every parameter is described in its spec; the ones that shape the physics client (mode,
control_period, physics_substeps, gui, seed), the joint names and ``plant`` are read-only after
start. The plant's (envs/plant.py: pole_mass, pole_length, cart_mass, gravity, friction,
actuator_gain, sensor_offset and the rig's fields) change while the node runs, from the next
step on.

``plant`` names a plant file (envs/plant_file.py: a preset such as 'rig', or a path): its plant
fields and its task (x_threshold, theta_threshold, control_period, max_episode_steps,
force_limit, start_range; restart 'in_place' makes after_failure 'coast' and operator
'simulated') become the defaults of
the parameters of the same names (``table_for``), so a parameter given explicitly still wins.
"""

from dataclasses import replace
import math

from memsnn_controller.common import checks
from memsnn_controller.envs import cartpole_spec, plant, simulation
from memsnn_controller.envs.plant_file import PlantFile
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
    ParameterSpec('track_limit', 0.0,
                  'end stops at +-track_limit m: the cart stops there (inelastic), each hit '
                  'counted; 0 = none; [0, 10]',
                  checks.in_range(0.0, plant.MAX_TRACK_LIMIT, ' m')),
    ParameterSpec('delay', plant.Plant.delay,
                  'actuation delay, s: a command takes effect this long after it arrived (at a '
                  'physics step); [0, 1]', plant.CHECKS['delay']),
    ParameterSpec('coulomb_friction', plant.Plant.coulomb_friction,
                  'dry friction of the cart, N (stiction up to it at rest); [0, 1000]',
                  plant.CHECKS['coulomb_friction']),
    ParameterSpec('pole_friction', plant.Plant.pole_friction,
                  "viscous friction of the pole's joint, N m s/rad; [0, 100]",
                  plant.CHECKS['pole_friction']),
    ParameterSpec('encoder_counts', plant.Plant.encoder_counts,
                  'counts per revolution of the encoders on the pole and on the cart pinion: '
                  'published positions are quantised; 0 = exact',
                  plant.CHECKS['encoder_counts']),
    ParameterSpec('pinion_radius', plant.Plant.pinion_radius,
                  "radius of the pinion the cart's encoder turns with, m; (0, 1]",
                  plant.CHECKS['pinion_radius']),
    ParameterSpec('motor', plant.Plant.motor,
                  "'force': commands are forces in N; 'dc': commands are voltages, force = "
                  'k_force V - k_emf x_dot', plant.CHECKS['motor']),
    ParameterSpec('voltage_limit', plant.Plant.voltage_limit,
                  "a DC motor's commands are clipped to +-voltage_limit V; (0, 1000]",
                  plant.CHECKS['voltage_limit']),
    ParameterSpec('k_force', plant.Plant.k_force,
                  "a DC motor's force per volt at rest, N/V; (0, 1000]", plant.CHECKS['k_force']),
    ParameterSpec('k_emf', plant.Plant.k_emf,
                  "a DC motor's back-EMF: force lost per m/s of the cart, N s/m; [0, 1000]",
                  plant.CHECKS['k_emf']),
    ParameterSpec('velocity_sensing', plant.Plant.velocity_sensing,
                  "'measured': joint_states carry velocities; 'none': NaN velocities (as "
                  'joint_state_broadcaster without velocity interfaces)',
                  plant.CHECKS['velocity_sensing']),
    ParameterSpec('sensor_sign', [1, 1],
                  "signs of the cart's and the pole's published readings (an encoder mounted "
                  'the other way round): [cart, pole], each 1 or -1', plant.CHECKS['sensor_sign']),
    ParameterSpec('plant', '',
                  "plant file: a preset of config/plants ('rig', 'cartpole_v1') or a path; its "
                  "values are the defaults of the plant's and the task's parameters; '' = "
                  "CartPole-v1's", checks.any_value, read_only=True),
    ParameterSpec('x_threshold', cartpole_spec.X_THRESHOLD,
                  'failure at |x| > x_threshold, m (CartPole-v1: 2.4); (0, 100]',
                  checks.above_zero(100.0, ' m')),
    ParameterSpec('theta_threshold', cartpole_spec.THETA_THRESHOLD,
                  'failure at |theta| > theta_threshold, rad (CartPole-v1: 12 deg); (0, pi]',
                  checks.above_zero(math.pi, ' rad')),
    ParameterSpec('operator', simulation.OPERATOR_NONE,
                  "'none': new episodes by auto_reset (a teleport, CartPole-v1's way); "
                  "'simulated': a rig's operator: once the cart has rested for operator_delay "
                  'after a failure, it is slid to within +-operator_x if beyond, the pole set '
                  'upright and held for operator_hold, then let go (the episode starts at the '
                  'release); the physics coasts meanwhile', checks.one_of(*simulation.OPERATORS)),
    ParameterSpec('operator_delay', 1.0,
                  'seconds (sim time) the cart must rest before the simulated operator acts; '
                  '[0, 3600]', checks.in_range(0.0, 3600.0, ' s')),
    ParameterSpec('operator_hold', 0.5,
                  'seconds (sim time) the simulated operator holds the pole upright before '
                  'letting go; [0, 3600]', checks.in_range(0.0, 3600.0, ' s')),
    ParameterSpec('operator_x', 0.0,
                  'the simulated operator slides a cart resting beyond +-operator_x m back to '
                  'it; 0 = x_threshold / 2; [0, 100]', checks.in_range(0.0, 100.0, ' m'),
                  read_only=True),
    ParameterSpec('after_failure', simulation.FREEZE,
                  "'freeze': a failed state is held (CartPole-v1); 'coast': the physics goes on "
                  'under the commands (a rig: the pole falls, the cart moves on)',
                  checks.one_of(*simulation.AFTER_FAILURE)),
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
# The task's parameters and the plant file's task keys they take their defaults from.
TASK_PARAMETERS = {'x_threshold': 'x_threshold', 'theta_threshold': 'theta_threshold',
                   'control_period': 'control_period', 'max_episode_steps': 'max_episode_steps',
                   'force_limit': 'force_limit', 'start_range': 'start_range'}

TABLE = ParameterTable(NODE_NAME, SPECS, relations=_relations, related=('pole_joint',))


def plant_of(values: dict):
    """The Plant of the parameters' values (a track_limit of 0 is none: the plant's inf)."""
    values = dict(values)
    if values.get('track_limit') == 0:
        values['track_limit'] = math.inf
    return plant.plant_from(values)


def file_defaults(plant_file: PlantFile) -> dict:
    """The parameter values a plant file gives (``plant`` included)."""
    values = plant_file.plant.values()
    if values['track_limit'] == math.inf:
        values['track_limit'] = 0.0
    task = plant_file.task_values()
    values.update({name: task[key] for name, key in TASK_PARAMETERS.items()})
    in_place = plant_file.task.restart == cartpole_spec.RESTART_IN_PLACE
    values['after_failure'] = simulation.COAST if in_place else simulation.FREEZE
    values['operator'] = simulation.OPERATOR_SIMULATED if in_place else simulation.OPERATOR_NONE
    values['plant'] = plant_file.name
    return values


def table_for(plant_file: PlantFile | None) -> ParameterTable:
    """TABLE with the defaults a plant file gives (TABLE itself for None)."""
    if plant_file is None:
        return TABLE
    values = file_defaults(plant_file)
    specs = [replace(spec, default=_typed(values[spec.name], spec.default))
             if spec.name in values else spec for spec in SPECS]
    return ParameterTable(NODE_NAME, specs, relations=_relations, related=('pole_joint',))


def _typed(value, default):
    """``value`` with the ROS type of ``default`` (a float parameter stays a float)."""
    if isinstance(default, float):
        return float(value)
    if isinstance(default, list):
        return [type(default[0])(v) for v in value] if default else list(value)
    return value
PARAMETERS = TABLE.specs
defaults = TABLE.defaults
validate_parameter = TABLE.validate
validate_all = TABLE.validate_all
