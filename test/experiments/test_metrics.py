"""Learning-curve metrics on synthetic episode sequences with hand-computed answers."""

import math

import numpy as np
import pytest

from memsnn_controller.experiments import metrics


def test_trailing_means_use_full_windows_only():
    lengths = list(range(1, 151))          # episode k lasted k + 1 steps
    means = metrics.trailing_means(lengths)
    assert means.shape == (150,)
    assert np.all(np.isnan(means[:99]))
    assert means[99] == 50.5               # mean of 1..100
    assert means[149] == 100.5             # mean of 51..150


def test_running_means_are_partial_at_the_start():
    means = metrics.running_means([10, 20, 30] + [40] * 100)
    assert list(means[:3]) == [10.0, 15.0, 20.0]
    assert means[99] == pytest.approx((10 + 20 + 30 + 40 * 97) / 100)
    assert means[102] == 40.0              # the window has left the first three behind
    assert metrics.running_means([]).size == 0


def test_first_reaching_needs_a_full_window():
    assert metrics.first_reaching([200] * 99, 195) is None
    assert metrics.first_reaching([200] * 100, 195) == 99


def test_first_reaching_after_a_slow_rise():
    # 100 episodes of 190, then 200s: after j of them the window sums 19000 + 10 j >= 19500
    # first at j = 50, i.e. episode 99 + 50.
    lengths = [190] * 100 + [200] * 100
    assert metrics.first_reaching(lengths, 195) == 149
    assert metrics.first_reaching(lengths, 475) is None


def test_a_mean_of_exactly_the_level_reaches_it():
    lengths = [500, 450] * 50              # mean exactly 475
    assert metrics.first_reaching(lengths, 475) == 99
    assert metrics.first_reaching(lengths[:-1] + [449], 475) is None


def test_best_final_and_min_after_475():
    lengths = [500] * 100 + [0] * 30 + [500] * 100
    assert metrics.first_reaching(lengths, 475) == 99
    assert metrics.best_trailing(lengths) == 500.0
    assert metrics.final_trailing(lengths) == 500.0
    # the worst window holds all 30 failures: 70 * 500 / 100
    assert metrics.min_after(lengths, 475) == 350.0
    rising = [10] * 100 + [30] * 100
    assert metrics.best_trailing(rising) == 30.0
    assert metrics.final_trailing(rising[:150]) == 20.0
    assert metrics.min_after(rising, 475) is None


def test_min_after_ignores_windows_before_the_first_crossing():
    lengths = [100] * 100 + [500] * 200
    first = metrics.first_reaching(lengths, 475)
    assert first == 99 + 94                # 100 * 6 + 500 * 94 = 47600 >= 47500
    assert metrics.min_after(lengths, 475) == 476.0


def test_summarize_keys_and_values():
    s = metrics.summarize([10, 20, 30, 40, 50], total_writes=1000, n_synapses=10, wall_s=2.5)
    assert tuple(s) == metrics.SUMMARY_KEYS
    assert s['episodes'] == 5
    assert s['env_steps'] == 150
    assert s['first_195'] is None and s['first_475'] is None
    assert s['best_trailing100'] is None and s['final_trailing100'] is None
    assert s['min_after_475'] is None
    assert s['writes_per_synapse'] == 100.0
    assert s['writes_per_synapse_per_episode'] == 20.0
    assert s['wall_s'] == 2.5
    full = metrics.summarize([200] * 99 + [500] * 101, 0, 1)
    assert full['first_195'] == 99
    # the window of episode k holds 198 - k episodes of 200: 200 * 8 + 500 * 92 = 47600 at
    # k = 190, 200 * 9 + 500 * 91 = 47300 at k = 189
    assert full['first_475'] == 190
    assert full['best_trailing100'] == 500.0 and full['final_trailing100'] == 500.0
    assert full['min_after_475'] == 476.0
    empty = metrics.summarize([], 0, 1)
    assert empty['episodes'] == 0 and empty['writes_per_synapse_per_episode'] is None


def test_failed_devices_are_in_the_summary_and_its_text():
    unknown = metrics.summarize([10] * 3, 10, 5)
    assert unknown['failed_devices'] is None
    worn = metrics.summarize([10] * 3, 10, 5, device_writes=[1, 4, 2], failed_devices=2)
    assert worn['failed_devices'] == 2 and worn['device_writes_max'] == 4
    assert '2 devices failed' in metrics.format_summary(worn, 'runs/x')
    assert 'failed' not in metrics.format_summary(metrics.summarize([10], 1, 1, failed_devices=0),
                                                  'runs/x')


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        metrics.trailing_means([1, -1])
    with pytest.raises(ValueError):
        metrics.first_reaching([1, 2], 1, window=0)
    with pytest.raises(ValueError):
        metrics.summarize([1], 0, n_synapses=0)


def test_is_missing():
    assert metrics.is_missing(None) and metrics.is_missing('') and metrics.is_missing(math.nan)
    assert not metrics.is_missing(0) and not metrics.is_missing(0.0)
