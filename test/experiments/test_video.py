"""memsnn-render and the video module: GIF and MP4 of an agent, annotated, learning frozen or on."""

import numpy as np
import pytest

from memsnn_controller.apps import render
from memsnn_controller.experiments import video
from memsnn_controller.snn.agent import Agent
from memsnn_controller.snn.config import AgentConfig

SMALL = AgentConfig().with_overrides(['actor.neurons_per_side=4', 'critic.neurons_per_half=8'])
TINY = dict(max_seconds=0.3, every=3, size=(64, 48))   # 15 steps, a frame every 3: 6 frames


def test_gif_frames_are_annotated_and_learning_stays_frozen(tmp_path):
    from PIL import Image

    agent = Agent(SMALL, seed=0)
    before = agent.network.synapses.w_pos.copy()
    path = tmp_path / 'a.gif'
    frames = video.render_video(agent, path, episodes=2, **TINY)
    with Image.open(path) as gif:
        assert gif.n_frames == frames
        assert gif.size == (64, 48)
        assert gif.info['duration'] == 60  # 3 ticks of 20 ms per frame
    # Each episode: its start and a frame every 3 ticks up to the end (15 steps unless it fails).
    assert 2 * 2 <= frames <= 2 * 6
    np.testing.assert_array_equal(agent.network.synapses.w_pos, before)
    assert agent.total_writes == 0


def test_learning_on_changes_the_devices(tmp_path):
    agent = Agent(SMALL.with_overrides(['reward.name=alive', 'learning.dead_zone=0']), seed=0)
    video.render_video(agent, tmp_path / 'a.gif', learn=True, **TINY)
    assert agent.total_writes > 0 and agent.episodes == 1


def test_the_text_is_drawn_on_the_frame():
    blank = np.full((48, 160, 3), 255, dtype=np.uint8)
    drawn = video._annotate(blank, 1.0, 3, 5.0, 2, 7, 'failed: x_limit')
    assert drawn.shape == blank.shape and (drawn < 128).any()


def test_mp4(tmp_path):
    pytest.importorskip('imageio_ffmpeg', reason='the video extra is not installed')
    import imageio.v2 as imageio

    path = tmp_path / 'a.mp4'
    frames = video.render_video(Agent(SMALL, seed=0), path, **TINY)
    with imageio.get_reader(path) as reader:
        assert reader.count_frames() == frames


def test_bad_format():
    with pytest.raises(video.VideoError, match='.gif or .mp4'):
        video.video_format('a.avi')


def test_cli(tmp_path, capsys):
    checkpoint = tmp_path / 'c.npz'
    Agent(SMALL, seed=0).save(checkpoint)
    out = tmp_path / 'v.gif'
    assert render.main([str(checkpoint), '--out', str(out), '--seconds', '0.1', '--width', '32',
                        '--height', '24']) == 0
    assert out.stat().st_size > 0
    assert 'learning frozen' in capsys.readouterr().out
    assert render.main([str(tmp_path / 'none.npz'), '--out', str(out)]) == 2
    assert render.main([str(checkpoint), '--out', str(tmp_path / 'v.avi')]) == 2
    assert 'error' in capsys.readouterr().err
