"""Videos of an agent balancing the PyBullet cart-pole, with what the network does drawn on them.

    render_video(agent, 'episode.gif', episodes=1, learn=False, max_seconds=10.0)

Each episode starts from the PyBullet model's usual start (U(-0.05, 0.05) in every component,
seeded) and runs the agent at its control period with CartPole-v1's rules (a failure beyond
2.4 m or 12 deg, at most 500 steps); the agent applies ``Decision.force``. Learning is frozen
unless ``learn`` (the agent passed in then keeps what it learned). Frames come from the model's
headless camera (``BulletCartPole.render_rgb``), one every ``every`` ticks; each shows the time,
the episode, the force and this tick's spike counts of the left and right actor populations.

Formats by the file's suffix: .gif (Pillow, which matplotlib brings) or .mp4 (imageio with
imageio-ffmpeg: the ``video`` extra).
"""

from collections.abc import Iterator, Sequence
import os
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from memsnn_controller.envs import cartpole_spec
from memsnn_controller.envs.bullet_cartpole import BulletCartPole, BulletCartPoleConfig

if TYPE_CHECKING:
    from memsnn_controller.snn.agent import Agent

Frame = NDArray[np.uint8]   # (height, width, 3) RGB
PathLike = str | os.PathLike[str]

FORMATS = ('.gif', '.mp4')


class VideoError(RuntimeError):
    """A video cannot be made as asked; the message says why."""


def video_format(path: PathLike) -> str:
    """The file's suffix if it is one of FORMATS, else VideoError."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in FORMATS:
        raise VideoError(f'{path}: the file name must end in {" or ".join(FORMATS)}')
    return suffix


def episode_frames(agent: 'Agent', model: BulletCartPole, episode: int, seed: int,
                   max_steps: int, every: int, size: tuple[int, int],
                   learn: bool) -> Iterator[Frame]:
    """Run one episode of ``agent`` on ``model`` and yield its annotated frames (uint8 RGB)."""
    obs = model.reset(seed=seed)
    agent.reset()
    period = agent.config.control_period
    n = agent.network.n_actor
    count = agent.network.neurons.count
    yield _annotate(model.render_rgb(*size), 0.0, episode, 0.0, 0, 0, '')
    for step in range(1, max_steps + 1):
        decision = agent.step(obs)
        left, right = int(count[:n].sum()), int(count[n:2 * n].sum())
        obs, force = model.step(decision.force)
        reason = cartpole_spec.failure_reason(model.state)
        last = reason is not None or step == max_steps
        if step % every == 0 or last:
            note = f'failed: {reason}' if reason else ('' if step < max_steps else 'time limit')
            yield _annotate(model.render_rgb(*size), step * period, episode, force, left, right,
                            note)
        if last:
            # The agent learns from the end only when learning (it is frozen otherwise).
            agent.end_episode(obs, terminated=reason is not None, truncated=reason is None)
            return


def _annotate(frame: Frame, t: float, episode: int, force: float, left: int, right: int,
              note: str) -> Frame:
    from PIL import Image, ImageDraw

    image = Image.fromarray(frame)
    draw = ImageDraw.Draw(image)
    lines = [f'episode {episode}  t {t:5.2f} s', f'force {force:+6.2f} N',
             f'actor spikes L {left:3d}  R {right:3d}']
    if note:
        lines.append(note)
    draw.multiline_text((6, 4), '\n'.join(lines), fill=(0, 0, 0), spacing=2)
    # The force as a bar from the centre: right is positive.
    width, height = image.size
    centre, top = width // 2, height - 10
    span = int((width // 2 - 10) * max(-1.0, min(1.0, force / 10.0)))
    draw.rectangle([min(centre, centre + span), top, max(centre, centre + span), top + 5],
                   fill=(200, 40, 40) if force >= 0 else (40, 80, 200))
    return np.asarray(image)


def render_video(agent: 'Agent', path: PathLike, episodes: int = 1, learn: bool = False,
                 max_seconds: float = 10.0, every: int = 2, size: tuple[int, int] = (480, 300),
                 seed: int = 0) -> int:
    """Write ``episodes`` episodes of ``agent`` to ``path`` (.gif or .mp4); returns the number
    of frames. ``every``: a frame every that many ticks; ``max_seconds``: each episode is cut
    after this much simulated time (at most 500 steps)."""
    suffix = video_format(path)
    if episodes < 1 or every < 1 or max_seconds <= 0:
        raise VideoError('episodes and every must be >= 1 and max_seconds > 0')
    config = agent.config
    period = config.control_period
    max_steps = max(1, min(cartpole_spec.MAX_EPISODE_STEPS, int(round(max_seconds / period))))
    fps = 1.0 / (period * every)
    agent.set_learning(learn)
    frames: list[Frame] = []
    model = BulletCartPole(BulletCartPoleConfig(control_period=period,
                                                force_limit=config.actor.force_limit))
    try:
        for k in range(episodes):
            frames.extend(episode_frames(agent, model, k, seed + k, max_steps, every, size,
                                         learn))
    finally:
        model.close()
    if suffix == '.gif':
        _write_gif(path, frames, fps)
    else:
        _write_mp4(path, frames, fps)
    return len(frames)


def _write_gif(path: PathLike, frames: Sequence[Frame], fps: float) -> None:
    from PIL import Image

    images = [Image.fromarray(f).convert('P', palette=Image.Palette.ADAPTIVE, colors=64)
              for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], loop=0, optimize=True,
                   duration=int(round(1000.0 / fps)))


def _write_mp4(path: PathLike, frames: Sequence[Frame], fps: float) -> None:
    try:
        import imageio.v2 as imageio
    except ImportError:
        raise VideoError('MP4 needs imageio and imageio-ffmpeg: pip install -e ".[video]" (or '
                         'write a .gif)') from None
    try:
        with imageio.get_writer(os.fspath(path), fps=fps, codec='libx264', quality=7,
                                macro_block_size=2) as writer:
            append: Any = writer.append_data  # type: ignore[attr-defined]  # (not in the stubs)
            for frame in frames:
                append(frame)
    except (ImportError, RuntimeError) as exc:  # no ffmpeg binary
        raise VideoError(f'MP4 cannot be written ({exc}); install the video extra or write a '
                         f'.gif') from None
