"""memsnn-train: train one memristive SNN agent online on a gymnasium environment.

    memsnn-train --env CartPole-v1 --episodes 1000 --seed 0 --reward sparse --device ppx \\
                 --out runs/sparse_s0
    memsnn-train --out runs/sparse_s0 --resume                  # continue after an interruption
    memsnn-train --out runs/sparse_s0 --resume --episodes 2000  # or train it longer
    memsnn-train --episodes 800 --plant-change 300:pole_mass=x2 --plant-change 600:original \
                 --out runs/heavy_pole_s0                      # the plant changes at 300 and 600
    memsnn-train --plant rig --out runs/rig_s0                 # a laboratory rig (docs/rig.md)

The configuration is the shipped default (or --config FILE.yaml), sized for --plant's task (its
failure bounds, control period and delay: snn/config/sizing.py), then --reward, --device and
every --set section.field=value in order. The run folder receives config.yaml, run.json,
episodes.csv, checkpoint.npz, learning_curve.png and summary.json (runfolder.py), and at the
end a look inside the network: tick_raster.png, policy.png, value.png and wear.png
(experiments/inside.py; --no-figures skips them). With --resume,
anything not given on the command line (configuration, seed, env, episodes) comes from the run
folder; what is given must match the checkpoint.

Exit codes: 0 done; 2 bad arguments, configuration, environment or run folder (one line on
stderr, no traceback); 130 interrupted (Ctrl-C / SIGTERM: the episode is finished and a
checkpoint saved first; resume with --resume).
"""

import argparse
from collections.abc import Sequence
import os
import sys
from typing import TYPE_CHECKING

from memsnn_controller.apps.cli import EXIT_INTERRUPTED, fail
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.experiments.metrics import format_summary
from memsnn_controller.experiments.training import (
    DEFAULT_CHECKPOINT_EVERY,
    DEFAULT_ENV,
    TrainingError,
    TrainingInterrupted,
    resolve_config,
)
from memsnn_controller.snn.config import ConfigError

if TYPE_CHECKING:
    from memsnn_controller.envs.plant_file import PlantFile
    from memsnn_controller.snn.config import AgentConfig

PROG = 'memsnn-train'
DEFAULT_EPISODES = 1000


def build_parser() -> argparse.ArgumentParser:
    from memsnn_controller.snn.devices import MODEL_CODES
    from memsnn_controller.snn.rewards import REWARDS

    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split('\n\n')[0].split(': ', 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 1)[1])
    p.add_argument('--env', help=f'gymnasium id (default {DEFAULT_ENV}); memsnn/... ids come '
                                 f'from memsnn_controller.envs')
    p.add_argument('--episodes', type=int,
                   help=f"episodes in total, a resumed run's earlier ones included "
                        f'(default {DEFAULT_EPISODES})')
    p.add_argument('--seed', type=int, help='agent and environment seed (default 0)')
    p.add_argument('--reward', help=f'reward function: {", ".join(REWARDS)} (sets reward.name)')
    p.add_argument('--device', help=f'memristor model: {", ".join(sorted(MODEL_CODES))} '
                                    f'(sets device.model)')
    p.add_argument('--config', metavar='YAML', help='start from this configuration file '
                                                    "(e.g. a run's config.yaml)")
    p.add_argument('--set', dest='overrides', action='append', default=[], metavar='KEY=VALUE',
                   help='override a config field, e.g. --set actor.eta=0.02 (repeatable; '
                        'applied last, in order; values are YAML)')
    p.add_argument('--out', metavar='DIR',
                   help='run folder (default runs/<reward>__<device>__s<seed>)')
    p.add_argument('--resume', action='store_true',
                   help='continue the run in --out from its checkpoint')
    p.add_argument('--plant', metavar='NAME|YAML',
                   help='the plant and task: a preset of config/plants (rig, cartpole_v1) or a '
                        'plant file (docs/rig.md); default CartPole-v1. With --resume, default: '
                        "the run's own")
    p.add_argument('--plant-change', dest='plant_changes', action='append', default=None,
                   metavar='EPISODE:FIELD=VALUE[,FIELD=VALUE]',
                   help='from episode EPISODE on, the plant has these values (repeatable, '
                        'episodes increasing); FIELD a plant field (envs/plant.py: pole_mass, '
                        'pole_length, cart_mass, gravity, friction, actuator_gain, delay, '
                        'track_limit, motor, ...); VALUE a number, a word or xF (F times the '
                        "original); EPISODE:original restores it. With --resume, default: the "
                        "run's own")
    p.add_argument('--checkpoint-every', type=int, default=DEFAULT_CHECKPOINT_EVERY, metavar='N',
                   help=f'checkpoint every N episodes, and at the end '
                        f'(default {DEFAULT_CHECKPOINT_EVERY})')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    p.add_argument('--no-figures', action='store_true',
                   help='skip the look inside the network at the end (tick_raster.png, '
                        'policy.png, value.png, wear.png)')
    return p


def _check_plant_changes(texts: Sequence[str] | None) -> None:
    """Parse --plant-change now, so that a bad one is a usage error before anything runs."""
    from memsnn_controller.envs.plant import PlantChangeError, parse_plant_schedule

    try:
        parse_plant_schedule(texts)
    except PlantChangeError as exc:
        raise TrainingError(str(exc)) from None


def _resolve(args: argparse.Namespace) -> tuple['AgentConfig', int, str, int, str]:
    """(config, seed, env, episodes, out) from the arguments and, with --resume, the run folder."""
    given = args.config is not None or args.overrides or args.reward or args.device
    plant = _plant_file(args.plant)
    config = resolve_config(args.config, args.reward, args.device, args.overrides, plant)
    out = args.out or os.path.join('runs', f'{config.reward.name}__{config.device.model}'
                                           f'__s{args.seed or 0}')
    seed, env, episodes = args.seed, args.env, args.episodes
    if args.resume:
        run_file = os.path.join(out, rf.RUN_FILE)
        config_file = os.path.join(out, rf.CONFIG_FILE)
        rf.check_start(out, resume=True)
        run = rf.read_json(run_file) if os.path.exists(run_file) else {}
        if not given and os.path.exists(config_file):
            from memsnn_controller.snn.config import AgentConfig

            config = AgentConfig.from_yaml(config_file)
        seed = run.get('seed', 0) if seed is None else seed
        env = run.get('env', DEFAULT_ENV) if env is None else env
        episodes = run.get('episodes', DEFAULT_EPISODES) if episodes is None else episodes
    seed = 0 if seed is None else seed
    env = env or DEFAULT_ENV
    episodes = DEFAULT_EPISODES if episodes is None else episodes
    if episodes < 0:
        raise TrainingError(f'--episodes: must be >= 0, got {episodes}')
    if args.checkpoint_every < 1:
        raise TrainingError(f'--checkpoint-every: must be >= 1, got {args.checkpoint_every}')
    return config, seed, env, episodes, out


def _plant_file(name: str | None) -> 'PlantFile | None':
    from memsnn_controller.envs.plant_file import PlantFileError, load_plant_file

    if name is None:
        return None
    try:
        return load_plant_file(name)
    except PlantFileError as exc:
        raise TrainingError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _check_plant_changes(args.plant_changes)
        config, seed, env, episodes, out = _resolve(args)
    except (ConfigError, TrainingError, rf.RunFolderError) as exc:
        return fail(PROG, exc)
    from memsnn_controller.experiments.training import train

    try:
        summary = train(config, seed=seed, env_id=env, episodes=episodes, out_dir=out,
                        resume=args.resume, progress=not args.no_progress,
                        checkpoint_every=args.checkpoint_every, figures=not args.no_figures,
                        plant_changes=args.plant_changes, plant=args.plant)
    except (TrainingError, rf.RunFolderError) as exc:
        return fail(PROG, exc)
    except TrainingInterrupted as exc:
        print(f'{PROG}: {exc}', file=sys.stderr)
        return EXIT_INTERRUPTED
    print(format_summary(summary, out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
