"""The controller node's parameters and how they become an AgentConfig and loop settings.

Pure Python (no rclpy), so the node, ``memsnn-bringup`` and the tests share one definition.
Every parameter is a ParameterSpec (ros/parameters.py): its default (which fixes its ROS type), a
description (the ParameterDescriptor's), a check returning why a value is bad (or None), and
whether it only takes effect at configure (``configure_only``: such a parameter is rejected while
the node is configured, since the agent was built from it).

How the agent's configuration is built (``build_agent_config``), later steps winning:

1. ``agent_config`` (a YAML file of an AgentConfig), or AgentConfig's defaults;
2. the node's own parameters: control_period, the neural step (below), decoder, force_limit,
   reward and device when not empty (the settings below);
3. ``agent_overrides``: 'section.field=value' strings (values parsed as YAML).

Settings that a ROS parameter and the agent configuration both name. Five parameters set a
field of the AgentConfig (``SHADOWED``):

    control_period -> control_period        force_limit -> actor.force_limit
    decoder        -> actor.decoder         reward      -> reward.name
    device         -> device.model

The ROS parameter is the one place to set them: the agent is built with the parameter's value.
An ``agent_config`` file or an ``agent_overrides`` entry may name such a field only with the
same value; a different value is a conflict, rejected with an error that names both the
parameter and the agent field (the node refuses to start or to take the change, memsnn-bringup
exits with 2). reward and device may be '' (empty): then they set nothing, and the agent
configuration's reward.name and device.model (the file's, an override's or the default) apply.

The agent is sized for the task (snn/config/sizing.py) after step 2: its encoder's edges and
ranges for x_threshold and theta_threshold (CartPole-v1's leave it unchanged), and task.delay
for the parameter ``delay``, the actuation delay the controller compensates by prediction (with
the plant of ``plant`` as its model). x_threshold, theta_threshold and delay set the agent's
task.x_threshold, task.theta_threshold and task.delay, so they are shadowed like the five above;
a checkpoint made for another task or control period is refused, naming what differs.

``plant`` names a plant file (envs/plant_file.py: a preset such as 'rig', or a path): the model
the delay compensation predicts with, and the defaults of the parameters that follow from it
(``table_for``): the task's (x_threshold, theta_threshold, control_period, max_episode_steps,
force_limit), the delay, the motor's (a DC motor: command_unit 'voltage', voltage_limit,
k_force, k_emf), the sensors' offsets and signs (SensingConfig.for_plant), and for a rig's
in-place restart the supervisor on, with its ready region (control/supervisor.py's defaults)
and control/config.py's slew limit, and the fields of its learner section that a parameter
shadows (actor.decoder: the rig preset's continuous decoder); the rest of the learner section
applies to the agent as offline. A parameter given explicitly still wins.

The agent's constants are stated for ticks of its reference_period (AgentConfig: 0.02 s) and
keep their meaning in seconds at any control_period: the network runs the same 20 neural steps
per tick at 50 Hz and at 240 Hz, and gamma, the traces' unit, the dead zones and the annealing
target are converted (snn/config/agent.py).
"""

from dataclasses import replace
import math
import os

from memsnn_controller.common import checks, yaml_values
from memsnn_controller.control import config as control_defaults
from memsnn_controller.control import safety, sensing
from memsnn_controller.control.config import learner_for
from memsnn_controller.control.supervisor import SupervisorConfig
from memsnn_controller.envs import cartpole_spec
from memsnn_controller.envs.plant_file import PlantFile, PlantFileError, load_plant_file
from memsnn_controller.ros.conversions import CART_JOINT, DEFAULT_STATE_LIMITS, POLE_JOINT
from memsnn_controller.ros.parameters import ParameterSpec, ParameterTable
from memsnn_controller.snn.config import AgentConfig, ConfigError, parse_override
from memsnn_controller.snn.config.sizing import sized_for
from memsnn_controller.snn.rewards import REWARDS

NODE_NAME = 'memsnn_controller'
DEVICES = ('ppx', 'nc', 'ideal')
DECODERS = ('continuous', 'discrete')
MAX_INT = 2**63 - 1
JOINT_NAME = checks.non_empty_text('joint name')
# ROS parameter -> the AgentConfig field it sets (see the module docstring).
SHADOWED = {'control_period': 'control_period', 'force_limit': 'actor.force_limit',
            'decoder': 'actor.decoder', 'reward': 'reward.name', 'device': 'device.model',
            'x_threshold': 'task.x_threshold', 'theta_threshold': 'task.theta_threshold',
            'delay': 'task.delay'}
# Parameters whose empty value ('') sets nothing.
UNSET_WHEN_EMPTY = ('reward', 'device')


def _reward(value):
    if value == '' or value in REWARDS:
        return None
    return f"must be '' (the agent configuration's) or one of {', '.join(REWARDS)}"


def _yaml_file(value):
    if value == '':
        return None
    if not os.path.isfile(value):
        return 'must be empty or the path of an AgentConfig YAML file that exists'
    return None


def _overrides(value):
    for text in value or ():
        try:
            parse_override(text)
        except ConfigError as exc:
            return f'has a bad entry: {exc}'
    return None


def _record_path(value):
    if value and os.path.exists(value):
        return 'must not exist yet (a bag folder is never overwritten), or be empty'
    return None


def _checkpoint_path(value):
    if value and os.path.isdir(value):
        return 'must be a file path, not a folder'
    return None


def _plant(value):
    if value == '':
        return None
    if not isinstance(value, str):
        return 'must be a plant file: a preset name or a path'
    try:
        load_plant_file(value)
    except PlantFileError as exc:
        return str(exc).replace(f'--plant {value}: ', '', 1)
    return None


_SUPERVISOR = SupervisorConfig()


SPECS = (
    ParameterSpec('control_period', 0.02,
                  'seconds between control ticks (decimation of faster joint-state streams); '
                  '[0.001, 1.0]', checks.in_range(0.001, 1.0, ' s'), configure_only=True),
    ParameterSpec('cart_joint', CART_JOINT,
                  'JointState name of the cart joint (x, x_dot)', JOINT_NAME),
    ParameterSpec('pole_joint', POLE_JOINT,
                  'JointState name of the pole joint (theta, theta_dot)', JOINT_NAME),
    ParameterSpec('force_limit', 10.0,
                  "largest force magnitude commanded, N; also the agent's actor.force_limit at "
                  'configure; (0, 1e6]', checks.above_zero(1e6, ' N')),
    ParameterSpec('reward', '',
                  "reward function (memsnn_controller.snn.rewards.REWARDS); '' keeps the agent "
                  "configuration's", _reward, configure_only=True),
    ParameterSpec('device', '',
                  "memristor model: ppx, nc or ideal; '' keeps the agent configuration's",
                  checks.one_of('', *DEVICES), configure_only=True),
    ParameterSpec('decoder', 'continuous',
                  "'continuous': force = force_limit (nR - nL) / (nR + nL); 'discrete': "
                  '+-force_limit', checks.one_of(*DECODERS), configure_only=True),
    ParameterSpec('seed', 0, "the agent's random seed; -1 draws one from the OS",
                  checks.in_range(-1, MAX_INT), configure_only=True),
    ParameterSpec('agent_config', '',
                  "YAML file of an AgentConfig (the learning core's configuration); '' = the "
                  'defaults', _yaml_file, configure_only=True),
    ParameterSpec('agent_overrides', (),
                  "'section.field=value' changes to the agent configuration, applied last "
                  "(e.g. 'actor.eta=0.05')", _overrides, configure_only=True),
    ParameterSpec('checkpoint_path', '',
                  'checkpoint file: loaded at configure if it exists; written atomically by '
                  "~/save_checkpoint, every autosave_period and at cleanup and shutdown; '' = "
                  'none', _checkpoint_path),
    ParameterSpec('record_path', '',
                  'rosbag2 folder (MCAP storage) to record joint_states, the commands, '
                  '~/episodes, /diagnostics and /clock into, from configure to cleanup or '
                  "shutdown; it must not exist yet; '' = no recording (needs the record extra)",
                  _record_path, configure_only=True),
    ParameterSpec('autosave_period', 30.0,
                  'wall seconds between automatic checkpoints (only when learning changed '
                  'something); 0 = off; [0, 86400]', checks.in_range(0.0, 86400.0, ' s')),
    ParameterSpec('autostart', True,
                  'configure and activate at start (read at start only)', read_only=True),
    ParameterSpec('learning', True,
                  'learn online (false: act with frozen synapses); also ~/set_learning'),
    ParameterSpec('watchdog_timeout', 0.5,
                  'wall seconds without a joint state whose stamp advanced after which 0 N is '
                  'published (a watchdog trip: silence, or a stuck driver repeating one '
                  'stamp); (0, 3600]', checks.above_zero(3600.0, ' s')),
    ParameterSpec('merge_joints', True,
                  'merge a JointState holding only one of the two joints (one driver or '
                  "broadcaster per joint) with the other joint's latest reading; false: such "
                  'messages are ignored (never answered)'),
    ParameterSpec('merge_window', 0.02,
                  'largest time between a cart and a pole reading merged into one state, s; '
                  '[0, 1]', checks.in_range(0.0, 1.0, ' s')),
    ParameterSpec('state_limits', list(DEFAULT_STATE_LIMITS),
                  'largest plausible |x| m, |x_dot| m/s, |theta| rad, |theta_dot| rad/s: a '
                  'reading beyond is bad input (0 N); x and theta above their failure '
                  'thresholds', checks.numbers(4, checks.above_zero(1e9), 'numbers in (0, 1e9]')),
    ParameterSpec('velocity_estimation', 'auto',
                  "velocities from positions: 'auto' estimates a joint's velocity where the "
                  "joint state's is NaN or absent (joint_state_broadcaster without velocity "
                  "interfaces), 'on' always (measured ones ignored), 'off' never (a NaN "
                  "velocity is bad input); quote 'on' and 'off' in YAML",
                  sensing.CHECKS['velocity_estimation']),
    ParameterSpec('velocity_window', 0.02,
                  'seconds of position readings each velocity estimate fits (least-squares '
                  'slope; lag about half of it); (0, 1]', sensing.CHECKS['velocity_window']),
    ParameterSpec('velocity_max_gap', 0.1,
                  'seconds between two readings of a joint beyond which its velocity '
                  'estimator starts afresh (0 N until its next reading); (0, 60]',
                  sensing.CHECKS['velocity_max_gap']),
    ParameterSpec('cart_offset', 0.0,
                  'cart reading at the track centre, m: x = cart_sign (reading - '
                  'cart_offset); [-10, 10]', sensing.CHECKS['cart_offset']),
    ParameterSpec('cart_sign', 1,
                  'sign of the cart reading: 1, or -1 for an encoder counting toward -x',
                  sensing.CHECKS['cart_sign']),
    ParameterSpec('pole_offset', 0.0,
                  'pole reading when upright, rad: theta = pole_sign (reading - pole_offset) '
                  'wrapped to (-pi, pi] (pi for an encoder reading 0 hanging down); [-10, 10]',
                  sensing.CHECKS['pole_offset']),
    ParameterSpec('pole_sign', 1,
                  'sign of the pole reading: 1, or -1 for an encoder counting against '
                  "CartPole-v1's theta (positive leaning toward +x)", sensing.CHECKS['pole_sign']),
    ParameterSpec('max_episode_steps', 500,
                  'ticks after which an episode ends as truncated (not a failure); 0 = '
                  'unlimited', checks.in_range(0, 2**31 - 1)),
    ParameterSpec('x_threshold', cartpole_spec.X_THRESHOLD,
                  'failure when |x| exceeds it, m (CartPole-v1: 2.4); the agent is sized for '
                  'it at configure (its task.x_threshold); (0, 100]',
                  checks.above_zero(100.0, ' m')),
    ParameterSpec('theta_threshold', cartpole_spec.THETA_THRESHOLD,
                  'failure when |theta| exceeds it, rad (CartPole-v1: 12 deg = 0.2094); the '
                  'agent is sized for it at configure; (0, pi]',
                  checks.above_zero(math.pi, ' rad')),
    ParameterSpec('ready_x', 0.5,
                  'ready region after a failure: |x| <= ready_x, m; [0, x_threshold)',
                  checks.in_range(0.0, 100.0, ' m')),
    ParameterSpec('ready_x_dot', 0.5,
                  'ready region: |x_dot| <= ready_x_dot, m/s; >= 0',
                  checks.in_range(0.0, 1e3, ' m/s')),
    ParameterSpec('ready_theta', 0.1,
                  'ready region: |theta| <= ready_theta, rad; [0, theta_threshold)',
                  checks.in_range(0.0, math.pi, ' rad')),
    ParameterSpec('ready_theta_dot', 0.5,
                  'ready region: |theta_dot| <= ready_theta_dot, rad/s; >= 0',
                  checks.in_range(0.0, 1e3, ' rad/s')),
    ParameterSpec('ready_hold', 0.0,
                  'seconds (of joint-state time) the state must stay in the ready region '
                  'before a new episode starts; [0, 3600]', checks.in_range(0.0, 3600.0, ' s')),
    ParameterSpec('tick_tolerance', 0.25,
                  'a joint state is the next tick when its stamp is at least (1 - '
                  'tick_tolerance) control periods past the previous due time; absorbs stamp '
                  'jitter; [0, 0.5]', checks.in_range(0.0, 0.5)),
    ParameterSpec('plant', '',
                  "plant file: a preset of config/plants ('rig', 'cartpole_v1') or a path; the "
                  "delay compensation's model and the defaults of the parameters that follow "
                  "from it (docs/ros.md 3.1); '' = CartPole-v1's", _plant, configure_only=True),
    ParameterSpec('delay', 0.0,
                  'the actuation delay compensated by prediction through the plant model, s '
                  "(the agent's task.delay); 0 = none; [0, 1]",
                  checks.in_range(0.0, 1.0, ' s'), configure_only=True),
    ParameterSpec('command_unit', 'force',
                  "'force': commands in N; 'voltage': the voltage a DC motor needs for the "
                  "force at the cart's speed, V = (F + k_emf x_dot) / k_force, within "
                  'voltage_limit', checks.one_of(*safety.COMMAND_UNITS)),
    ParameterSpec('voltage_limit', 10.0,
                  'largest voltage commanded (command_unit voltage), V; (0, 1000]',
                  checks.above_zero(1000.0, ' V')),
    ParameterSpec('k_force', 1.0,
                  "the DC motor's force per volt at rest, N/V; (0, 1000]",
                  checks.above_zero(1000.0, ' N/V')),
    ParameterSpec('k_emf', 0.0,
                  "the DC motor's back-EMF, N per m/s of the cart; [0, 1000]",
                  checks.in_range(0.0, 1000.0, ' N s/m')),
    ParameterSpec('soft_limit', 0.0,
                  'braking region |x| >= soft_limit, m: an outward push while moving outward '
                  'is replaced by the brake; 0 = none; [0, 100]',
                  checks.in_range(0.0, 100.0, ' m')),
    ParameterSpec('brake_gain', control_defaults.BRAKE_GAIN,
                  'the brake (after a failure, in the braking region): F = -brake_gain x_dot, '
                  "N s/m; also the homing loop's gain; (0, 1e6]",
                  checks.above_zero(1e6, ' N s/m')),
    ParameterSpec('max_force_rate', 0.0,
                  'slew limit of the command, N/s: no step larger than max_force_rate x '
                  'control_period; 0 = none; [0, 1e9]', checks.in_range(0.0, 1e9, ' N/s')),
    ParameterSpec('supervisor', False,
                  "a rig's episode supervisor: brake after a failure, home, wait for the "
                  'operator to set the pole upright (ready region for ready_hold, or '
                  '~/start), start when the pole is released (docs/ros.md 3.3)'),
    ParameterSpec('auto_start', _SUPERVISOR.auto_start,
                  'supervisor: arm by the ready region held for ready_hold; false: only by '
                  '~/start'),
    ParameterSpec('rest_speed', _SUPERVISOR.rest_speed,
                  'supervisor: the cart is at rest below this speed, m/s; (0, 1e6]',
                  checks.above_zero(1e6, ' m/s')),
    ParameterSpec('home_gain', _SUPERVISOR.home_gain,
                  'supervisor: homing speed per m from the centre, 1/s; (0, 1e6]',
                  checks.above_zero(1e6, ' 1/s')),
    ParameterSpec('home_speed', _SUPERVISOR.home_speed,
                  'supervisor: largest homing speed, m/s; (0, 1e6]',
                  checks.above_zero(1e6, ' m/s')),
    ParameterSpec('home_tolerance', _SUPERVISOR.home_tolerance,
                  'supervisor: homed within |x| < home_tolerance, m; (0, 1e6]',
                  checks.above_zero(1e6, ' m')),
    ParameterSpec('release_speed', _SUPERVISOR.release_speed,
                  'supervisor: ARMED starts the episode when |theta_dot| reaches it (the pole '
                  'let go), rad/s; (0, 1e6]', checks.above_zero(1e6, ' rad/s')),
    ParameterSpec('release_angle', _SUPERVISOR.release_angle,
                  'supervisor: ... or when theta has moved this far from where it was armed, '
                  'rad; (0, 1e6]', checks.above_zero(1e6, ' rad')),
    ParameterSpec('diagnostics_period', 1.0,
                  'wall seconds between status reports on /diagnostics; [0.05, 3600]',
                  checks.in_range(0.05, 3600.0, ' s')),
    ParameterSpec('log_throttle', 2.0,
                  'wall seconds between repeated warnings of one kind; [0, 3600]',
                  checks.in_range(0.0, 3600.0, ' s')),
)
def _relations(name, value, p):
    if name in ('cart_joint', 'pole_joint'):
        other = p.get('pole_joint' if name == 'cart_joint' else 'cart_joint')
        if other == value:
            return 'must differ from the other joint name'
    limits = _limits_problem(name, p)
    if limits is not None:
        return limits
    pairs = (('ready_x', 'x_threshold'), ('ready_theta', 'theta_threshold'))
    for ready, threshold in pairs:
        if ready in p and threshold in p and not p[ready] < p[threshold]:
            if name == ready:
                return f'must stay below {threshold} ({p[threshold]})'
            if name == threshold:
                return f'must stay above {ready} ({p[ready]})'
    if name in AGENT_PARAMETERS or name in SHADOWED:
        problem = agent_config_problem(p)
        if problem is not None:
            return f'gives an agent configuration that {problem}'
    return None


# state_limits[index] must stay above (or at least) the named parameter.
_LIMIT_FLOORS = ((0, 'x_threshold', 'above'), (1, 'ready_x_dot', 'at least'),
                 (2, 'theta_threshold', 'above'), (3, 'ready_theta_dot', 'at least'))


def _limits_problem(name, p):
    limits = p.get('state_limits')
    if limits is None or checks.numbers(4, checks.number)(limits) is not None:
        return None
    for index, other, relation in _LIMIT_FLOORS:
        if other not in p or name not in ('state_limits', other):
            continue
        limit, floor = limits[index], p[other]
        if limit < floor or (relation == 'above' and limit == floor):
            if name == other:
                return f'must stay below state_limits[{index}] ({limit})'
            return f'[{index}] must be {relation} {other} ({floor})'
    return None


def agent_config_problem(p):
    """Why the agent configuration of parameters ``p`` cannot be built, or None."""
    try:
        build_agent_config(p)
    except ConfigError as exc:
        return f'is invalid: {exc}'
    except (OSError, ValueError) as exc:
        return f'cannot be built: {exc}'
    return None


def build_agent_config(p):
    """The AgentConfig the node builds from its parameters ``p`` (see the module docstring).

    Raises ConfigError naming the bad field, or the parameter and the agent field that conflict
    (OSError if agent_config cannot be read).
    """
    data = None
    if p.get('agent_config'):
        with open(p['agent_config']) as f:
            data = yaml_values.load(f)
    base = AgentConfig.from_dict(data)
    overrides = list(p.get('agent_overrides') or ())
    _reject_conflicts(p, _named_fields(data), _overridden_fields(overrides))
    period = float(p['control_period'])
    assignments = [
        f'control_period={period!r}',
        f'actor.decoder={p["decoder"]}',
        f'actor.force_limit={float(p["force_limit"])!r}',
    ]
    if p.get('reward'):
        assignments.append(f'reward.name={p["reward"]}')
    if p.get('device'):
        assignments.append(f'device.model={p["device"]}')
    config = base.with_overrides(assignments)
    x_threshold = float(p.get('x_threshold', config.task.x_threshold))
    theta_threshold = float(p.get('theta_threshold', config.task.theta_threshold))
    delay = float(p.get('delay', config.task.delay))
    if p.get('plant'):
        plant_file = load_plant_file(p['plant'])
        config = learner_for(config, plant_file, x_threshold, theta_threshold, period, delay,
                             exclude=SHADOWED.values())  # file_defaults made them parameters
    else:
        config = sized_for(config, x_threshold=x_threshold, theta_threshold=theta_threshold,
                           delay=delay)
    return config.with_overrides(overrides) if overrides else config


def _named_fields(data):
    """{agent field: value} of the shadowed fields that an agent_config file names."""
    named = {}
    for field in SHADOWED.values():
        node = data
        for key in field.split('.'):
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
        else:
            named[field] = node
    return named


def _overridden_fields(overrides):
    """{agent field: value} of the shadowed fields that agent_overrides set (the last wins)."""
    fields = set(SHADOWED.values())
    named = {}
    for text in overrides:
        keys, value = parse_override(text)
        if '.'.join(keys) in fields:
            named['.'.join(keys)] = value
    return named


def _same(a, b):
    if checks.is_number(a) and checks.is_number(b):
        return float(a) == float(b)
    return a == b


def _reject_conflicts(p, from_file, from_overrides):
    """ConfigError when agent_config or agent_overrides give a shadowed field another value than
    its ROS parameter."""
    for name, field in SHADOWED.items():
        value = p.get(name)
        if name in UNSET_WHEN_EMPTY and value == '':
            continue
        for source, named in (('agent_config', from_file), ('agent_overrides', from_overrides)):
            if field in named and not _same(named[field], value):
                raise ConfigError(
                    f'{field}: {source} sets it to {named[field]!r}, but the ROS parameter '
                    f'{name} is {value!r}; set the parameter {name} instead (a ROS parameter '
                    f'and the agent configuration may not disagree)')


def _whole(p):
    problem = agent_config_problem(p)
    return None if problem is None else f'the agent configuration {problem}'


TABLE = ParameterTable(NODE_NAME, SPECS, relations=_relations,
                       related=('pole_joint', 'ready_x', 'ready_theta', 'state_limits'),
                       whole=_whole)


def file_defaults(plant_file):
    """The parameter values a plant file gives (module docstring), ``plant`` included."""
    plant, task = plant_file.plant, plant_file.task
    values = {'plant': plant_file.name, 'x_threshold': task.x_threshold,
              'theta_threshold': task.theta_threshold, 'control_period': task.tau,
              'max_episode_steps': task.max_episode_steps, 'force_limit': task.force_mag,
              'delay': plant.delay, 'voltage_limit': plant.voltage_limit,
              'k_force': plant.k_force, 'k_emf': plant.k_emf,
              'command_unit': 'voltage' if plant.motor == 'dc' else 'force'}
    learner = dict(plant_file.learner)
    values.update({name: learner[field] for name, field in SHADOWED.items() if field in learner})
    front = sensing.SensingConfig.for_plant(plant)
    values.update(cart_offset=front.cart_offset, cart_sign=front.cart_sign,
                  pole_offset=front.pole_offset, pole_sign=front.pole_sign)
    if task.restart == cartpole_spec.RESTART_IN_PLACE:
        values.update(supervisor=True, max_force_rate=control_defaults.MAX_FORCE_RATE,
                      ready_x=_SUPERVISOR.ready_x, ready_x_dot=_SUPERVISOR.ready_x_dot,
                      ready_theta=_SUPERVISOR.ready_theta,
                      ready_theta_dot=_SUPERVISOR.ready_theta_dot,
                      ready_hold=_SUPERVISOR.ready_hold)
    return values


def _typed(value, default):
    """``value`` with the ROS type of ``default`` (a float parameter stays a float)."""
    if isinstance(default, bool):
        return bool(value)
    if isinstance(default, float):
        return float(value)
    if isinstance(default, int):
        return int(value)
    return value


def table_for(plant_file: PlantFile | None):
    """TABLE with the defaults a plant file gives (TABLE itself for None)."""
    if plant_file is None:
        return TABLE
    values = file_defaults(plant_file)
    specs = [replace(spec, default=_typed(values[spec.name], spec.default))
             if spec.name in values else spec for spec in SPECS]
    return ParameterTable(NODE_NAME, specs, relations=_relations,
                          related=('pole_joint', 'ready_x', 'ready_theta', 'state_limits'),
                          whole=_whole)
PARAMETERS = TABLE.specs
AGENT_PARAMETERS = tuple(spec.name for spec in PARAMETERS if spec.configure_only)
defaults = TABLE.defaults
validate_parameter = TABLE.validate
validate_all = TABLE.validate_all
