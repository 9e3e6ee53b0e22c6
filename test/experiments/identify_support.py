"""Bags of the rig simulator with known plants, written as the controller node records them.

``simulate`` drives the PyBullet cart-pole (envs.bullet_cartpole, the simulator node's model)
from hanging at rest with a command per control period; ``write_bag`` writes the joint states,
the commands and /clock into a rosbag2 folder (MCAP, zstd chunks, the Kilted type store: what
ros/recorder.BagRecorder writes), each message stamped on receipt:

- 'lockstep': the controller's clock is the simulator's (use_sim_time): a joint state of stamp t
  is received at t, the command that answers it at t too, labelled answers_stamp_ns=t;
- 'realtime': receipt stamps on a wall clock (an arbitrary origin, the joint states received
  0.2-1 ms after their stamps), the commands unlabelled (an excitation publisher that is not the
  controller), received 0.5-2 ms after the joint state they follow.

In both the simulator applies the command that answers the state of stamp t from t on (what
sim_node does in lockstep, and in realtime when the answer comes before the next tick).
"""

from dataclasses import dataclass, field
import math

import numpy as np

from memsnn_controller.control.excitation import Excitation
from memsnn_controller.envs.bullet_cartpole import BulletCartPole, BulletCartPoleConfig
from memsnn_controller.envs.plant import Plant

PERIOD = 0.02
PHYSICS_STEP = 0.004      # the model's automatic choice at 50 Hz: 5 steps of 4 ms
NS = 1_000_000_000
ANSWER_LABEL = 'answers_stamp_ns='


@dataclass
class Run:
    """What was simulated: stamps (ns), observations, applied forces, the commands (one per
    state, the last one unused) and the coasts (s, amplifier off)."""

    stamps: np.ndarray
    observations: np.ndarray
    efforts: np.ndarray
    commands: np.ndarray
    coasts: list = field(default_factory=list)


def simulate(plant, commands, period=PERIOD, force_limit=10.0, coasts=()):
    """The model from hanging at rest under ``commands`` (one per period); during each coast
    (start, end) in ticks the amplifier is off (actuator_gain 0: no force, no back-EMF)."""
    values = plant.values()
    values['sensor_offset'] = tuple(values['sensor_offset'])
    values['sensor_sign'] = tuple(values['sensor_sign'])
    config = BulletCartPoleConfig(control_period=period, force_limit=force_limit, **values)
    gain = plant.actuator_gain
    off = {start for start, _ in coasts}
    on = {end for _, end in coasts}
    observations, efforts = [], []
    with BulletCartPole(config, seed=0) as model:
        observations.append(model.reset(state=[0.0, 0.0, math.pi, 0.0]))
        efforts.append(0.0)
        for k, u in enumerate(commands[:-1]):
            if k in off:
                model.reconfigure(actuator_gain=0.0)
            if k in on:
                model.reconfigure(actuator_gain=gain)
            observation, force = model.step(float(u))
            observations.append(observation)
            efforts.append(force)
    stamps = np.arange(len(commands), dtype=np.int64) * round(period * NS)
    return Run(stamps, np.array(observations), np.array(efforts), np.asarray(commands, float),
               [(start * period, end * period) for start, end in coasts])


def excitation_commands(excitation, period=PERIOD, extra=1.0):
    return excitation.samples(period, extra=extra)[1]


def coast_tail(level, pushes=4, push_s=0.4, coast_s=0.6, period=PERIOD, junk=0.5):
    """Pushes of +-level each followed by a coast (the amplifier off, the commands still sent:
    ``junk`` x level); returns (commands, coasts as (start, end) offsets in ticks)."""
    commands, coasts = [], []
    push, coast = round(push_s / period), round(coast_s / period)
    for i in range(pushes):
        sign = 1.0 if i % 2 == 0 else -1.0
        commands += [sign * level] * push
        start = len(commands)
        commands += [sign * junk * level] * coast
        coasts.append((start, len(commands)))
    return np.array(commands), coasts


def write_bag(path, run, mode='lockstep', names=('slider_to_cart', 'cart_to_pole'),
              seed=0, clock=True, commands_topic=True):
    """The run as the controller's recorder writes it (module docstring); without
    ``commands_topic`` the commands' topic is there but empty."""
    from rosbags.rosbag2 import Writer
    from rosbags.rosbag2.enums import CompressionFormat, CompressionMode, StoragePlugin
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS2_KILTED)
    types = store.types
    Time, Header = types['builtin_interfaces/msg/Time'], types['std_msgs/msg/Header']
    JointState = types['sensor_msgs/msg/JointState']
    Array = types['std_msgs/msg/Float64MultiArray']
    Layout, Dim = types['std_msgs/msg/MultiArrayLayout'], types['std_msgs/msg/MultiArrayDimension']
    Clock = types['rosgraph_msgs/msg/Clock']
    rng = np.random.default_rng(seed)
    writer = Writer(str(path), version=9, storage_plugin=StoragePlugin.MCAP)
    writer.set_compression(CompressionMode.STORAGE, CompressionFormat.ZSTD)
    writer.open()
    joints = writer.add_connection('/joint_states', JointState.__msgtype__, typestore=store)
    commands = writer.add_connection('/effort_controller/commands', Array.__msgtype__,
                                     typestore=store)
    clocks = writer.add_connection('/clock', Clock.__msgtype__, typestore=store)
    wall = 1_700_000_000 * NS
    messages = []
    for k, stamp in enumerate(run.stamps):
        stamp = int(stamp)
        time = Time(sec=stamp // NS, nanosec=stamp % NS)
        x, x_dot, theta, theta_dot = (float(v) for v in run.observations[k])
        state = JointState(header=Header(stamp=time, frame_id=''), name=list(names),
                           position=np.array([x, theta]),
                           velocity=np.array([x_dot, theta_dot]),
                           effort=np.array([float(run.efforts[k]), 0.0]))
        if mode == 'lockstep':
            received = stamp
            answered = stamp
            label = [Dim(label=f'{ANSWER_LABEL}{stamp}', size=1, stride=1)]
        else:
            received = wall + stamp + int(rng.uniform(0.2e6, 1e6))
            answered = received + int(rng.uniform(0.5e6, 2e6))
            label = []
        if clock:
            messages.append((received, clocks, store.serialize_cdr(Clock(clock=time),
                                                                   Clock.__msgtype__)))
        messages.append((received, joints, store.serialize_cdr(state, JointState.__msgtype__)))
        if k < len(run.stamps) - 1 and commands_topic:
            command = Array(layout=Layout(dim=label, data_offset=0),
                            data=np.array([float(run.commands[k])]))
            messages.append((answered, commands, store.serialize_cdr(command,
                                                                     Array.__msgtype__)))
    for received, connection, data in sorted(messages, key=lambda m: m[0]):
        writer.write(connection, received, data)
    writer.close()


# The three plants of the accuracy test, with the references each is identified with.
RIG = 'rig'
HEAVY = 'heavy'
FORCE = 'force'


def case(name):
    """(plant, settings keywords, run): one of the three parameter sets."""
    from memsnn_controller.envs.plant_file import load_plant_file

    if name == RIG:
        plant = load_plant_file('rig').plant
        commands = excitation_commands(Excitation.for_motor('dc', plant.voltage_limit))
        run = simulate(plant, commands)
        return plant, {'motor': 'dc', 'known': {'cart_mass': plant.cart_mass,
                                                'k_emf': plant.k_emf}}, run
    if name == HEAVY:
        plant = Plant(cart_mass=1.2, pole_mass=0.3, pole_length=0.8, gravity=9.81, friction=9.0,
                      coulomb_friction=1.2, pole_friction=0.004, motor='dc', voltage_limit=12.0,
                      k_force=2.6, k_emf=6.0, delay=0.01, encoder_counts=2048,
                      pinion_radius=0.02, velocity_sensing='none', sensor_sign=(1, -1),
                      sensor_offset=(0.0, 0.0, math.pi, 0.0))
        main = excitation_commands(Excitation.for_motor('dc', 8.0))
        tail, coasts = coast_tail(3.0)
        offset = len(main)
        run = simulate(plant, np.concatenate((main, tail, np.zeros(25))),
                       coasts=[(offset + a, offset + b) for a, b in coasts])
        return plant, {'motor': 'dc', 'known': {'k_force': 2.6, 'voltage_limit': 12.0},
                       'coasts': run.coasts}, run
    if name == FORCE:
        plant = Plant(cart_mass=0.8, pole_mass=0.12, pole_length=1.0, gravity=9.81,
                      friction=1.5, coulomb_friction=0.3, pole_friction=0.002,
                      actuator_gain=0.8, delay=0.03, sensor_sign=(-1, 1))
        commands = excitation_commands(Excitation.for_motor('force', 10.0))
        run = simulate(plant, commands, force_limit=10.0)
        return plant, {'motor': 'force', 'known': {'cart_mass': 0.8}}, run
    raise KeyError(name)
