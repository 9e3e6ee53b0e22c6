"""The controller node's parameters and how they become an AgentConfig and loop settings.

Pure Python (no rclpy), so the node, ``memsnn-bringup`` and the tests share one definition.
Every parameter is a ParameterSpec: its default (which fixes its ROS type), a description (the
ParameterDescriptor's), a check returning why a value is bad (or None), and whether it only takes
effect at configure (``configure_only``: such a parameter is rejected while the node is
configured, since the agent was built from it).

How the agent's configuration is built (``build_agent_config``), later steps winning:

1. ``agent_config`` (a YAML file of an AgentConfig), or AgentConfig's defaults;
2. the node's own parameters: control_period, the neural step (below), decoder, force_limit
   (the agent's ``actor.force_limit``), reward and device when not empty;
3. ``agent_overrides``: 'section.field=value' strings (values parsed as YAML).

The agent runs a whole number of neural steps per control period. When control_period is not
a whole number of ``neuron.dt_ms`` steps (e.g. 240 Hz with the 1 ms default), neuron.dt_ms is set
to control_period / round(control_period / dt_ms): 4 steps of 1.0417 ms at 240 Hz. The neuron's
time constants are in ms, so the dynamics are those of the nearest whole number of steps.
"""

import math
import os

from memsnn_controller.envs import cartpole_spec
from memsnn_controller.ros.conversions import CART_JOINT, POLE_JOINT
from memsnn_controller.ros.param_checks import (
    ParameterSpec,
    above_zero,
    in_range,
    joint_name,
    one_of,
)
from memsnn_controller.snn.config import AgentConfig, ConfigError, parse_override
from memsnn_controller.snn.rewards import REWARDS

NODE_NAME = 'memsnn_controller'
DEVICES = ('ppx', 'nc', 'ideal')
DECODERS = ('continuous', 'discrete')
MAX_INT = 2**63 - 1


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


def _checkpoint_path(value):
    if value and os.path.isdir(value):
        return 'must be a file path, not a folder'
    return None


PARAMETERS = (
    ParameterSpec('control_period', 0.02,
                  'seconds between control ticks (decimation of faster joint-state streams); '
                  '[0.001, 1.0]', in_range(0.001, 1.0, ' s'), configure_only=True),
    ParameterSpec('cart_joint', CART_JOINT,
                  'JointState name of the cart joint (x, x_dot)', joint_name),
    ParameterSpec('pole_joint', POLE_JOINT,
                  'JointState name of the pole joint (theta, theta_dot)', joint_name),
    ParameterSpec('force_limit', 10.0,
                  "largest force magnitude commanded, N; also the agent's actor.force_limit at "
                  'configure; (0, 1e6]', above_zero(1e6, ' N')),
    ParameterSpec('reward', '',
                  "reward function (memsnn_controller.snn.rewards.REWARDS); '' keeps the agent "
                  "configuration's", _reward, configure_only=True),
    ParameterSpec('device', '',
                  "memristor model: ppx, nc or ideal; '' keeps the agent configuration's",
                  one_of('', *DEVICES), configure_only=True),
    ParameterSpec('decoder', 'continuous',
                  "'continuous': force = force_limit (nR - nL) / (nR + nL); 'discrete': "
                  '+-force_limit', one_of(*DECODERS), configure_only=True),
    ParameterSpec('seed', 0, "the agent's random seed; -1 draws one from the OS",
                  in_range(-1, MAX_INT), configure_only=True),
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
    ParameterSpec('autosave_period', 30.0,
                  'wall seconds between automatic checkpoints (only when learning changed '
                  'something); 0 = off; [0, 86400]', in_range(0.0, 86400.0, ' s')),
    ParameterSpec('autostart', True,
                  'configure and activate at start (read at start only)', read_only=True),
    ParameterSpec('learning', True,
                  'learn online (false: act with frozen synapses); also ~/set_learning'),
    ParameterSpec('watchdog_timeout', 0.5,
                  'wall seconds without a joint state after which 0 N is published (a watchdog '
                  'trip); (0, 3600]', above_zero(3600.0, ' s')),
    ParameterSpec('max_episode_steps', 500,
                  'ticks after which an episode ends as truncated (not a failure); 0 = '
                  'unlimited', in_range(0, 2**31 - 1)),
    ParameterSpec('x_threshold', cartpole_spec.X_THRESHOLD,
                  'failure when |x| exceeds it, m (CartPole-v1: 2.4); (0, 100]',
                  above_zero(100.0, ' m')),
    ParameterSpec('theta_threshold', cartpole_spec.THETA_THRESHOLD,
                  'failure when |theta| exceeds it, rad (CartPole-v1: 12 deg = 0.2094); '
                  '(0, pi]', above_zero(math.pi, ' rad')),
    ParameterSpec('ready_x', 0.5,
                  'ready region after a failure: |x| <= ready_x, m; [0, x_threshold)',
                  in_range(0.0, 100.0, ' m')),
    ParameterSpec('ready_x_dot', 0.5,
                  'ready region: |x_dot| <= ready_x_dot, m/s; >= 0', in_range(0.0, 1e3, ' m/s')),
    ParameterSpec('ready_theta', 0.1,
                  'ready region: |theta| <= ready_theta, rad; [0, theta_threshold)',
                  in_range(0.0, math.pi, ' rad')),
    ParameterSpec('ready_theta_dot', 0.5,
                  'ready region: |theta_dot| <= ready_theta_dot, rad/s; >= 0',
                  in_range(0.0, 1e3, ' rad/s')),
    ParameterSpec('ready_hold', 0.0,
                  'seconds (of joint-state time) the state must stay in the ready region '
                  'before a new episode starts; [0, 3600]', in_range(0.0, 3600.0, ' s')),
    ParameterSpec('tick_tolerance', 0.25,
                  'a joint state is the next tick when its stamp is at least (1 - '
                  'tick_tolerance) control periods past the previous due time; absorbs stamp '
                  'jitter; [0, 0.5]', in_range(0.0, 0.5)),
    ParameterSpec('diagnostics_period', 1.0,
                  'wall seconds between status reports on /diagnostics; [0.05, 3600]',
                  in_range(0.05, 3600.0, ' s')),
    ParameterSpec('log_throttle', 2.0,
                  'wall seconds between repeated warnings of one kind; [0, 3600]',
                  in_range(0.0, 3600.0, ' s')),
)
SPECS = {spec.name: spec for spec in PARAMETERS}
AGENT_PARAMETERS = tuple(spec.name for spec in PARAMETERS if spec.configure_only)


def defaults():
    """Every parameter's default, as a dict (string arrays as lists)."""
    return {spec.name: list(spec.default) if isinstance(spec.default, tuple) else spec.default
            for spec in PARAMETERS}


def validate_parameter(name, value, others=None):
    """Why ``value`` is not acceptable for parameter ``name`` (a sentence), or None.

    others: the values of all parameters as they would be after the change, for the checks
    across parameters (joint names differ, ready region inside the failure thresholds, and an
    agent configuration that can be built).
    """
    spec = SPECS.get(name)
    if spec is None:
        return None
    reason = spec.check(value)
    if reason is None and others:
        reason = _cross_check(name, value, others)
    return None if reason is None else f'{name} {reason} (got {value!r})'


def _cross_check(name, value, p):
    if name in ('cart_joint', 'pole_joint'):
        other = p.get('pole_joint' if name == 'cart_joint' else 'cart_joint')
        if other == value:
            return 'must differ from the other joint name'
    pairs = (('ready_x', 'x_threshold'), ('ready_theta', 'theta_threshold'))
    for ready, threshold in pairs:
        if ready in p and threshold in p and not p[ready] < p[threshold]:
            if name == ready:
                return f'must stay below {threshold} ({p[threshold]})'
            if name == threshold:
                return f'must stay above {ready} ({p[ready]})'
    if name in AGENT_PARAMETERS or name == 'force_limit':
        problem = agent_config_problem(p)
        if problem is not None:
            return f'gives an agent configuration that {problem}'
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


def neural_step_ms(control_period, dt_ms):
    """The neural step (ms) closest to ``dt_ms`` that divides ``control_period`` (s) exactly."""
    steps = control_period * 1000.0 / dt_ms
    if abs(steps - round(steps)) < 1e-6 and round(steps) >= 1:
        return dt_ms
    return control_period * 1000.0 / max(1, round(steps))


def build_agent_config(p):
    """The AgentConfig the node builds from its parameters ``p`` (see the module docstring).

    Raises ConfigError naming the bad field (OSError if agent_config cannot be read).
    """
    base = AgentConfig.from_yaml(p['agent_config']) if p.get('agent_config') else AgentConfig()
    period = float(p['control_period'])
    assignments = [
        f'control_period={period!r}',
        f'neuron.dt_ms={neural_step_ms(period, base.neuron.dt_ms)!r}',
        f'actor.decoder={p["decoder"]}',
        f'actor.force_limit={float(p["force_limit"])!r}',
    ]
    if p.get('reward'):
        assignments.append(f'reward.name={p["reward"]}')
    if p.get('device'):
        assignments.append(f'device.model={p["device"]}')
    config = base.with_overrides(assignments + list(p.get('agent_overrides') or ()))
    if config.control_period != period:
        raise ConfigError('control_period: set it with the node parameter control_period, not '
                          'with agent_overrides')
    return config



def validate_all(p):
    """The first reason why the parameter values ``p`` (all of them) cannot be used, or None."""
    for spec in PARAMETERS:
        reason = spec.check(p[spec.name])
        if reason is not None:
            return f'{spec.name} {reason} (got {p[spec.name]!r})'
    for name in ('pole_joint', 'ready_x', 'ready_theta'):
        reason = validate_parameter(name, p[name], p)
        if reason is not None:
            return reason
    problem = agent_config_problem(p)
    return None if problem is None else f'the agent configuration {problem}'
