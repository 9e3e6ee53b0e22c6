"""memsnn-bringup: the simulator and the learning controller over ROS, without ros2 launch.

    memsnn-bringup                                    # lockstep, up to 1000 episodes or solved
    memsnn-bringup --episodes 300 --reward angle --seed 3 --out runs/ros_angle_s3
    memsnn-bringup --mode realtime --gui              # wall-clock rate, PyBullet's window
    memsnn-bringup --processes                        # each node in its own process
    memsnn-bringup --out runs/ros_angle_s3 --resume --episodes 600
    memsnn-bringup --target 0 --episodes 600 --plant-change 300:pole_length=x1.5
    memsnn-bringup --plant rig                        # a laboratory rig (docs/rig.md)

Starts the nodes of launch/cartpole_sim.launch.py from the same parameter files
(config/simulator.yaml and config/controller.yaml, found inside the installed package), then
the plant file of --plant (its values as the defaults of both nodes' parameters: the simulator's
plant and task, the controller's task, motor and supervisor: docs/rig.md), every --params-file,
then the options. By default both nodes run in this process on one
SingleThreadedExecutor; --processes starts sim_node and controller_node as child processes.
Either way the progress bar and the run folder are fed from the controller's per-episode reports
(its ~/episodes topic) and /diagnostics, as any ROS tool would see them.

The run folder (--out, default runs/bringup-<date>-<time>) gets memsnn-train's files:
episodes.csv, checkpoint.npz (the controller's checkpoint_path: autosaved while learning and
saved at the end), learning_curve.png, summary.json (the same keys as memsnn-train's),
config.yaml (the controller's AgentConfig) and run.json, plus params.yaml (the resolved
parameters of both nodes: ``sim_node --ros-args --params-file DIR/params.yaml`` restarts the
same setup) and, with --processes, the nodes' logs. At the end, from the checkpoint: a look
inside the network (tick_raster.png, policy.png, value.png, wear.png) and episode.gif, the
trained agent balancing with learning frozen (--no-figures, --no-video skip them). With
--record the controller records its topics into DIR/rosbag (rosbag2, MCAP).

It stops after --episodes episodes in total (a resumed run's included) or as soon as the
trailing-100 mean episode length reaches --target (full windows of 100, as memsnn-train's
metrics); Ctrl-C (or SIGTERM) stops too. Stopping deactivates the controller (0 N on the wire),
saves the checkpoint and writes the outputs. --plant-change (memsnn-train's) sets the
simulator's plant parameters over ROS when their episode comes (plants.py). On a rig (a plant
file with the in-place restart: the controller's episode supervisor on) the summary adds the
end-stop hits, the failures braked and the longest brake, the homing times (median, max), the
episodes started by the operator and by ~/start, and the largest command step. Exit codes: 0
finished or stopped; 1 a node failed
while running; 2 bad arguments, parameters, configuration or run folder (one line on stderr).

DDS discovery stays on this machine: ROS_AUTOMATIC_DISCOVERY_RANGE defaults to LOCALHOST here
and in the child processes. The ROS domain is ROS_DOMAIN_ID's (0 when unset).
"""

import argparse
import datetime
import math
import os
import sys

from memsnn_controller.apps.bringup import PROG, BringupError
from memsnn_controller.apps.bringup.job import run
from memsnn_controller.apps.cli import fail
from memsnn_controller.experiments.runfolder import RunFolderError
from memsnn_controller.ros import controller_config

DEFAULT_EPISODES = 1000
DEFAULT_TARGET = 475.0


def build_parser():
    from memsnn_controller.snn.rewards import REWARDS

    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split('\n\n')[0].split(': ', 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 1)[1])
    p.add_argument('--mode', choices=('lockstep', 'realtime'),
                   help="the simulator's mode (default: config/simulator.yaml's, lockstep)")
    p.add_argument('--episodes', type=int, default=DEFAULT_EPISODES, metavar='N',
                   help=f"stop after N episodes in total, a resumed run's included (default "
                        f'{DEFAULT_EPISODES})')
    p.add_argument('--target', type=float, default=DEFAULT_TARGET, metavar='LENGTH',
                   help=f'stop when the trailing-100 mean episode length reaches LENGTH '
                        f'(default {DEFAULT_TARGET:g}, CartPole-v1 solved; 0 = never)')
    p.add_argument('--out', metavar='DIR', help='run folder (default runs/bringup-<date>-<time>)')
    p.add_argument('--resume', action='store_true',
                   help='continue the run in --out from its checkpoint, with its params.yaml')
    p.add_argument('--reward', choices=sorted(REWARDS), help="the controller's reward function")
    p.add_argument('--device', choices=controller_config.DEVICES, help='memristor model')
    p.add_argument('--seed', type=int, help='seed of both nodes (default 0)')
    p.add_argument('--set', dest='overrides', action='append', default=[], metavar='KEY=VALUE',
                   help="change the agent's configuration, e.g. --set actor.eta=0.02 "
                        "(repeatable; the controller's agent_overrides)")
    p.add_argument('--params-file', action='append', default=[], metavar='YAML',
                   help='a ROS 2 parameter file with sections cartpole_sim and/or '
                        "memsnn_controller, applied after the package's (repeatable)")
    p.add_argument('--plant', metavar='NAME|YAML',
                   help='the plant file of both nodes: a preset of config/plants (rig, '
                        'cartpole_v1) or a path (docs/rig.md); its values are the defaults '
                        'of their parameters (--params-file and the options win)')
    p.add_argument('--plant-change', dest='plant_changes', action='append', default=None,
                   metavar='EPISODE:FIELD=VALUE[,FIELD=VALUE]',
                   help="set the simulator's plant from episode EPISODE on, over ROS "
                        "(memsnn-train's --plant-change; repeatable; with --resume, default: "
                        "the run's own)")
    p.add_argument('--gui', action='store_true', help="open PyBullet's GUI (needs a display)")
    p.add_argument('--processes', action='store_true',
                   help='run each node in its own process instead of all in this one')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    p.add_argument('--record', action='store_true',
                   help="record the controller's topics as a rosbag2 (MCAP) in DIR/rosbag "
                        "(the controller's record_path; needs the record extra)")
    p.add_argument('--no-figures', action='store_true',
                   help='skip the look inside the network at the end (tick_raster.png, '
                        'policy.png, value.png, wear.png)')
    p.add_argument('--no-video', action='store_true',
                   help='skip the short video of the trained agent at the end (episode.gif)')
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.episodes < 0:
        return fail(PROG, f'--episodes: must be >= 0, got {args.episodes}')
    if not (args.target >= 0 and math.isfinite(args.target)):
        return fail(PROG, f'--target: must be >= 0, got {args.target}')
    if args.out is None:
        if args.resume:
            return fail(PROG, '--resume needs --out DIR (the run to continue)')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
        args.out = os.path.join('runs', f'bringup-{stamp}')
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    try:
        return run(args)
    except (BringupError, RunFolderError) as exc:
        return fail(PROG, exc)


if __name__ == '__main__':
    sys.exit(main())
