"""The parameters of both nodes for one bringup, and the parameter file that hands them over.

Precedence, later winning: the package's parameter files (config/simulator.yaml for the
simulator and config/controller.yaml for the controller, each keyed '/**' so that it applies
under any namespace; a resumed run's params.yaml instead), then --plant's plant file (the
values it gives each node: sim_config.file_defaults, controller_config.file_defaults), then each
--params-file in order, then the options (--mode, --gui, --seed, --reward, --device, --set,
--out, --record). In a --params-file the section '/**' applies to both nodes and a node's own
section wins over it.

Each file is read by one reader of our own that does what a node given ``--params-file`` does on
every supported distribution (Jazzy and Kilted): the '/**' section, then the node's own section
(its name with or without a leading '/'), nested mappings flattened to dotted names, and each
value converted by rclpy's own public converter (``get_parameter_value`` of its text, then
``parameter_value_to_python``), as ``rclpy.parameter.parameter_dict_from_yaml_file`` converts
them. That function itself is not used: which sections it selects differs between releases
(Jazzy's refuses a file holding only '/**' when target nodes are named; Kilted's accepts it), and
selecting them here keeps one behaviour everywhere. The reader adds one-line errors for a file
that is not a ROS 2 parameter file or that names other nodes, and YAML 1.2 floats (``1e-3``,
which rcl reads as a double and rclpy's YAML 1.1 as a string).
"""

import os
from typing import Any

from memsnn_controller.apps.bringup import CONTROLLER_NODE, PROG, SIM_NODE, BringupError, extras
from memsnn_controller.common import package_files, yaml_values
from memsnn_controller.common.atomic import write_atomic
from memsnn_controller.ros import controller_config, sim_config

WILDCARD = '/**'
NODES = (SIM_NODE, CONTROLLER_NODE)


def config_dir():
    """The folder of the package's parameter files (common.package_files.config_dir)."""
    try:
        return package_files.config_dir('controller.yaml')
    except FileNotFoundError as exc:
        raise BringupError(f'cannot find the parameter files: {exc}') from None


def _sections(path):
    """{'/**' or node name: its ros__parameters} of a ROS 2 parameter file (a leading '/' on a
    node name dropped); BringupError for a file that is not one or that names other nodes."""
    import yaml

    try:
        with open(path) as f:
            data = yaml_values.load(f)
    except OSError as exc:
        raise BringupError(f'{path}: {exc.strerror or exc}') from None
    except yaml.YAMLError as exc:
        raise BringupError(f'{path}: not valid YAML: {" ".join(str(exc).split())}') from None
    if data is not None and not isinstance(data, dict):
        raise BringupError(f'{path}: not a ROS 2 parameter file (it maps node names to '
                           f'ros__parameters)')
    sections: dict[str, dict[str, Any]] = {}
    for node, section in (data or {}).items():
        if not isinstance(section, dict) or not isinstance(section.get('ros__parameters'),
                                                           dict):
            raise BringupError(f'{path}: {node!r} has no "ros__parameters" mapping (a ROS 2 '
                               f'parameter file maps node names to ros__parameters)')
        name = WILDCARD if node == WILDCARD else str(node).lstrip('/')
        sections.setdefault(name, {}).update(section['ros__parameters'])
    unknown = set(sections) - {*NODES, WILDCARD}
    if unknown:
        raise BringupError(f'{path}: sections for unknown nodes: {", ".join(sorted(unknown))} '
                           f'(the nodes are {SIM_NODE} and {CONTROLLER_NODE})')
    return sections


def _flatten(parameters, prefix=''):
    """{dotted name: value} of a ros__parameters mapping (nested mappings are namespaces)."""
    flat: dict[str, Any] = {}
    for name, value in parameters.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f'{prefix}{name}.'))
        else:
            flat[f'{prefix}{name}'] = value
    return flat


def _convert(value):
    """A YAML value as a node's parameter: rclpy's conversion of its text, YAML 1.2 floats (a
    float is one already, .inf included, which rcl reads as a double and the text 'inf' would
    lose)."""
    from rclpy.parameter import get_parameter_value, parameter_value_to_python

    if isinstance(value, float):
        return value
    value = parameter_value_to_python(get_parameter_value(str(value)))
    return yaml_values.load(value) if yaml_values.is_float(value) else value


def _read(path):
    """({node: {parameter: value}} as a node given the file reads it, its sections)."""
    sections = _sections(path)
    values: dict[str, dict[str, Any]] = {}
    for node in NODES:
        merged = _flatten(sections.get(WILDCARD, {}))
        merged.update(_flatten(sections.get(node, {})))  # the node's own section wins
        values[node] = {name: _convert(value) for name, value in merged.items()}
    return values, sections


def load_params_file(path):
    """The parameters a ROS 2 parameter file gives each node: {node name: {parameter: value}}."""
    return _read(path)[0]


def resolve_parameters(args, base_file=None):
    """The parameters of the simulator and of the controller (dicts), from the package's files
    (or ``base_file``: a run's params.yaml when resuming), the --params-file files and the
    options. Raises BringupError saying what is wrong."""
    # (path, the one node it is for or None for both, given with --params-file)
    files: list[tuple[str, str | None, bool]]
    if base_file is not None:
        files = [(base_file, None, False)]
    else:
        folder = config_dir()  # each package file is for its node alone (its section is '/**')
        files = [(os.path.join(folder, 'simulator.yaml'), SIM_NODE, False),
                 (os.path.join(folder, 'controller.yaml'), CONTROLLER_NODE, False)]
    files += [(path, None, True) for path in args.params_file]
    sim, ctrl = sim_config.defaults(), controller_config.defaults()
    explicit = set()  # controller parameters that a --params-file names in its own section
    plant = getattr(args, 'plant', None)
    for path, only, given in files:
        if given and plant:
            _apply_plant_file(plant, sim, ctrl)
            plant = None
        values, sections = _read(path)
        if only in (None, SIM_NODE):
            sim.update(values[SIM_NODE])
        if only in (None, CONTROLLER_NODE):
            ctrl.update(values[CONTROLLER_NODE])
        if given:
            explicit.update(sections.get(CONTROLLER_NODE, {}))
    if plant:
        _apply_plant_file(plant, sim, ctrl)

    if args.mode is not None:
        sim['mode'] = args.mode
    if args.gui:
        sim['gui'] = True
    if args.seed is not None:
        sim['seed'] = ctrl['seed'] = args.seed
    if args.reward is not None:
        ctrl['reward'] = args.reward
    if args.device is not None:
        ctrl['device'] = args.device
    ctrl['agent_overrides'] = list(ctrl.get('agent_overrides') or ()) + list(args.overrides)
    ctrl['checkpoint_path'] = os.path.abspath(os.path.join(args.out, 'checkpoint.npz'))
    # A recording goes into a new bag folder of the run; a resumed run's old one is not reused.
    if getattr(args, 'record', False):
        ctrl['record_path'] = extras.bag_folder(args.out)
    elif 'record_path' not in explicit:
        ctrl['record_path'] = ''
    ctrl['use_sim_time'] = bool(sim['publish_clock'])
    # The bringup drives the lifecycle itself, once it listens to the controller's diagnostics.
    ctrl['autostart'] = False
    # One control period and one episode limit for both sides, unless a file says otherwise.
    for name in ('control_period', 'max_episode_steps'):
        if name not in explicit:
            ctrl[name] = sim[name]
    if ctrl['control_period'] != sim['control_period'] and sim['mode'] == 'lockstep':
        raise BringupError(f'lockstep needs the same control_period for both nodes (simulator '
                           f'{sim["control_period"]}, controller {ctrl["control_period"]})')

    for node, values, table in ((SIM_NODE, sim, sim_config.TABLE),
                                (CONTROLLER_NODE, ctrl, controller_config.TABLE)):
        reason = table.validate_all(values)
        if reason is not None:
            raise BringupError(f'{node}: invalid parameter: {reason}')
        unknown = set(values) - {spec.name for spec in table.specs} - {'use_sim_time'}
        if unknown:
            raise BringupError(f'{node}: unknown parameters: {", ".join(sorted(unknown))}')
    return sim, ctrl


def _apply_plant_file(name, sim, ctrl):
    """The plant file's values as both nodes' parameters (the defaults it gives each node)."""
    from memsnn_controller.envs.plant_file import PlantFileError, load_plant_file

    try:
        plant_file = load_plant_file(name)
    except PlantFileError as exc:
        raise BringupError(str(exc)) from None
    sim.update(sim_config.file_defaults(plant_file))
    ctrl.update(controller_config.file_defaults(plant_file))


def write_params_file(path, sim, ctrl):
    """Both nodes' parameters as one ROS 2 parameter file (what --processes passes them)."""
    import yaml

    def plain(params):
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()
                if not (k == 'agent_overrides' and not v)}  # an empty list is not a valid value

    text = yaml.safe_dump({SIM_NODE: {'ros__parameters': plain(sim)},
                           CONTROLLER_NODE: {'ros__parameters': plain(ctrl)}}, sort_keys=False)
    write_atomic(path, f'# Written by {PROG}: the parameters of both nodes in this run.\n' + text)
