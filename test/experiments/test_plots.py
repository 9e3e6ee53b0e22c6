"""The report's figures are drawn for every kind of grid, including ones where nothing solved."""

from exp_support import is_png
import pytest

from memsnn_controller.experiments import plots

SOLVED = [(1.1, 498.0, 243), (62.0, 499.0, 188)]
UNSOLVED = [(1.5, 67.5, None), (0.7, 45.5, None)]


@pytest.mark.parametrize('points', [
    {'sparse / default': SOLVED, 'sparse / window': UNSOLVED},  # mixed
    {'sparse / window': UNSOLVED},                              # nothing solved (log axis)
    {'sparse / default': [(0.0, 30.0, None), (None, None, None)]},  # no writes, no metrics
    {},                                                         # no finished run
])
def test_writes_tradeoff_is_drawn(tmp_path, points):
    path = tmp_path / 'tradeoff.png'
    plots.plot_writes_tradeoff(points, path)
    assert is_png(path)
