"""memsnn-render: a video of a trained agent balancing the PyBullet cart-pole.

    memsnn-render runs/bringup-20250101-120000/checkpoint.npz --out pole.gif
    memsnn-render runs/sparse__ppx__s0/checkpoint.npz --out pole.mp4 --episodes 3 --learn

Loads the checkpoint (memsnn-train's or memsnn-bringup's) and runs its agent on the PyBullet
cart-pole, learning frozen unless --learn, for --episodes episodes of at most --seconds each
(and at most 500 steps). Every --every-th tick becomes a frame of --width x --height pixels with
the time, the episode, the force and the actor's left and right spike counts of that tick drawn
on it. GIF needs nothing more; MP4 needs the video extra (imageio, imageio-ffmpeg). The
checkpoint is only read.

Exit codes: 0 written; 2 bad arguments, checkpoint or format (one line on stderr).
"""

import argparse
from collections.abc import Sequence
import sys

from memsnn_controller.apps.cli import fail

PROG = 'memsnn-render'


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split('\n\n')[0].split(': ', 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 1)[1])
    p.add_argument('checkpoint', help="a run's checkpoint.npz")
    p.add_argument('--out', required=True, metavar='FILE', help='the video: FILE.gif or FILE.mp4')
    p.add_argument('--episodes', type=int, default=1, metavar='N', help='episodes (default 1)')
    p.add_argument('--seconds', type=float, default=10.0, metavar='S',
                   help='simulated seconds at most per episode (default 10 = 500 steps)')
    p.add_argument('--learn', action='store_true', help='keep learning while rendering')
    p.add_argument('--every', type=int, default=2, metavar='K',
                   help='a frame every K control ticks (default 2: 25 frames/s at 50 Hz)')
    p.add_argument('--width', type=int, default=480, help='frame width in pixels (default 480)')
    p.add_argument('--height', type=int, default=300, help='frame height (default 300)')
    p.add_argument('--seed', type=int, default=0, help="the start states' seed (default 0)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from memsnn_controller.experiments.video import VideoError, render_video, video_format
    from memsnn_controller.snn.agent import Agent
    from memsnn_controller.snn.checkpoint import CheckpointError

    try:
        video_format(args.out)
        if args.episodes < 1 or args.every < 1 or not args.seconds > 0:
            raise VideoError('--episodes and --every must be >= 1, --seconds > 0')
        if not (16 <= args.width <= 4096 and 16 <= args.height <= 4096):
            raise VideoError('--width and --height must be in [16, 4096]')
        agent = Agent.from_checkpoint(args.checkpoint)
        frames = render_video(agent, args.out, episodes=args.episodes, learn=args.learn,
                              max_seconds=args.seconds, every=args.every,
                              size=(args.width, args.height), seed=args.seed)
    except (VideoError, CheckpointError, OSError) as exc:
        return fail(PROG, exc)
    print(f'{args.out}: {frames} frames of {args.episodes} episode(s), learning '
          f'{"on" if args.learn else "frozen"}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
