"""What memsnn-bringup adds to its run folder besides memsnn-train's files: the recording of the
ROS traffic (--record), a look inside the trained network and a short video of it.

    DIR/rosbag/            rosbag2 (MCAP) of the controller's topics (--record; the controller's
                           record_path); a resumed run records into rosbag_2, rosbag_3, ...
    DIR/tick_raster.png, policy.png, value.png, wear.png   (experiments/inside.py)
    DIR/episode.gif        the trained agent on the PyBullet cart-pole, learning frozen, one
                           episode of at most VIDEO_SECONDS (experiments/video.py)

The figures and the video are made from the checkpoint after the nodes have stopped, so they
cost the run nothing while it learns (a few seconds at the end).
"""

import os

BAG = 'rosbag'
VIDEO_FILE = 'episode.gif'
VIDEO_SECONDS = 4.0
VIDEO_SIZE = (360, 225)


def bag_folder(out):
    """The first of DIR/rosbag, DIR/rosbag_2, ... that does not exist (an absolute path)."""
    path = os.path.abspath(os.path.join(out, BAG))
    k = 2
    while os.path.exists(path):
        path = os.path.abspath(os.path.join(out, f'{BAG}_{k}'))
        k += 1
    return path


def write_figures_and_video(out, checkpoint, title, figures, video, log):
    """Write the look inside and the video from ``checkpoint`` into ``out`` (each when asked);
    returns the names written. A failure is logged, never fatal: the run's results stand."""
    if not (figures or video):
        return []
    from memsnn_controller.snn.agent import Agent
    from memsnn_controller.snn.checkpoint import CheckpointError

    written = []
    try:
        agent = Agent.from_checkpoint(checkpoint)
        if figures:
            from memsnn_controller.experiments.inside import write_network_figures

            written += [os.path.basename(p) for p in write_network_figures(agent, out, title)]
        if video:
            from memsnn_controller.experiments.video import render_video

            render_video(agent, os.path.join(out, VIDEO_FILE), max_seconds=VIDEO_SECONDS,
                         size=VIDEO_SIZE)
            written.append(VIDEO_FILE)
    except (CheckpointError, OSError, RuntimeError, ValueError) as exc:
        log(f'figures and video not written: {exc}')
    return written
