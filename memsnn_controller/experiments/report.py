"""The comparison's tables and figures, from DIR/results.csv and the runs' episodes.csv.

    results.csv           one row per run: reward, device, variant, seed, metrics.SUMMARY_KEYS,
                          error ('' for a finished run; one line for a run that raised).
                          Empty cells are undefined metrics (e.g. first_475 never reached).
    results.md            per reward x device x variant: runs, seeds solved (trailing-100
                          >= 475 at some episode), how many of those never fell below 400
                          afterwards, and median [min, max] of each metric over the runs in
                          which it is defined
    learning_curves.png   median trailing-100 mean and interquartile band per group, with the
                          random-policy level and the 195 and 475 lines (plots.py)
    writes_tradeoff.png   writes per synapse per episode against the best trailing-100 mean
                          and against the episodes to solve, one point per run (the
                          dead-zone study: one colour per variant)
"""

from collections.abc import Iterable, Mapping, Sequence
import csv
import os
import statistics
from typing import Any

from memsnn_controller.experiments import metrics, plots
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.experiments.grid import (
    GRID_KEYS,
    RESULT_COLUMNS,
    Row,
    RunKey,
    run_key,
    run_name,
)

RESULTS_CSV = 'results.csv'
RESULTS_MD = 'results.md'
CURVES_PNG = 'learning_curves.png'
TRADEOFF_PNG = 'writes_tradeoff.png'
_INTS = ('seed', 'episodes', 'first_195', 'first_475', 'env_steps')
_STRINGS = ('reward', 'device', 'variant', 'error')


def _cell(value: object) -> str:
    if value is None:
        return ''
    if isinstance(value, float):
        return f'{value:.10g}'
    return str(value)


def _line(row: Mapping[str, Any]) -> str:
    return ','.join(_csv_escape(_cell(row.get(c))) for c in RESULT_COLUMNS) + '\n'


def _csv_escape(text: str) -> str:
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""').replace('\n', ' ').replace('\r', ' ') + '"'
    return text


def read_results(path: str) -> list[Row]:
    """results.csv as a list of typed rows (None for an empty cell)."""
    if not os.path.exists(path):
        return []
    rows = []
    with open(path, newline='', encoding='utf-8') as f:
        for raw in csv.DictReader(f):
            if None in raw.values() or raw.get('error') is None:
                continue  # a torn last line
            row: Row = {}
            for key in RESULT_COLUMNS:
                value = raw.get(key, '')
                if key in _STRINGS:
                    row[key] = value
                elif value == '':
                    row[key] = None
                else:
                    row[key] = int(value) if key in _INTS else float(value)
            rows.append(row)
    return rows


def append_result(path: str, row: Mapping[str, Any]) -> None:
    """Add one row (the header first if the file is new), flushed to disk."""
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, 'a', encoding='utf-8', newline='') as f:
        if new:
            f.write(','.join(RESULT_COLUMNS) + '\n')
        f.write(_line(row))
        f.flush()
        os.fsync(f.fileno())


def write_results(path: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Replace results.csv by ``rows`` atomically."""
    rf.write_atomic(path, ','.join(RESULT_COLUMNS) + '\n' + ''.join(_line(r) for r in rows))


def latest_rows(rows: Iterable[Row]) -> list[Row]:
    """One row per run (the last one given), in first-appearance order."""
    by_key: dict[RunKey, Row] = {}
    for row in rows:
        by_key.pop(run_key(row), None)
        by_key[run_key(row)] = row
    order: dict[RunKey, int] = {}
    for row in rows:
        order.setdefault(run_key(row), len(order))
    return sorted(by_key.values(), key=lambda r: order[run_key(r)])


# ---------------------------------------------------------------------------- results.md
_METRICS = (  # (column, header, digits)
    ('first_195', 'first 195', 0),
    ('first_475', 'first 475', 0),
    ('best_trailing100', 'best trailing-100', 1),
    ('final_trailing100', 'final trailing-100', 1),
    ('min_after_475', 'min after 475', 1),
    ('writes_per_synapse_per_episode', 'writes/synapse/episode', 3),
    ('writes_per_synapse', 'writes/synapse', 1),
    ('device_writes_max', 'max writes/device', 0),
    ('device_writes_p99', 'p99 writes/device', 0),
    ('failed_devices', 'failed devices', 0),
    ('env_steps', 'env steps', 0),
    ('wall_s', 'wall s', 0),
    # An estimate (snn/energy.py; docs/science.md section 14), beside the measured tick time.
    ('energy_estimate_nj_per_tick', 'energy estimate nJ/tick', 3),
    ('energy_estimate_digital_nj_per_tick', 'same counts on Loihi nJ/tick', 3),
    ('tick_us', 'tick us (measured)', 1),
)


def _fmt(value: float, digits: int) -> str:
    if digits == 0:
        return f'{value:.0f}'
    if digits == 3:
        return f'{value:.3g}'
    return f'{value:.{digits}f}'


def _stat(values: Iterable[Any], digits: int, total: int) -> str:  # numbers or None
    values = [v for v in values if not metrics.is_missing(v)]
    if not values:
        return '-'
    text = f'{_fmt(statistics.median(values), digits)} [{_fmt(min(values), digits)}, ' \
           f'{_fmt(max(values), digits)}]'
    return text if len(values) == total else f'{text} ({len(values)}/{total})'


def groups_of(rows: Iterable[Row]) -> dict[tuple[str, str, str], list[Row]]:
    """Rows grouped by (reward, device, variant), in first-appearance order."""
    groups: dict[tuple[str, str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row['reward'], row['device'], row['variant']), []).append(row)
    return groups


def markdown(rows: Sequence[Row], settings: Mapping[str, Any] | None = None) -> str:
    """results.md's text."""
    done = [r for r in rows if not r['error']]
    failed = [r for r in rows if r['error']]
    lines = ['# Comparison results', '']
    if settings:
        lines.append('Settings: ' + ', '.join(f'{k} `{v}`' for k, v in settings.items()) + '.')
        lines.append('')
    lines += [
        f'{len(done)} finished runs, {len(failed)} failed. Trailing-100 means are over full '
        'windows of 100 consecutive episodes; episodes are counted from 0, so "first 475" = k '
        'means solved after k + 1 episodes. Cells: median [min, max] over the runs where the '
        'metric is defined, with (defined/runs) when not every run has it. "solved": runs whose '
        'trailing-100 mean reached 475; "kept >= 400": of those, runs whose trailing-100 mean '
        'never fell below 400 afterwards. The energy per control tick is an ESTIMATE from the '
        "network's counted activity and stated device and neuron constants (docs/science.md, "
        'section 14), the same counts on Loihi a comparison; the tick time is measured.', '']
    header = ['reward', 'device', 'variant', 'runs', 'solved', 'kept >= 400'] + \
        [h for _, h, _ in _METRICS]
    lines.append('| ' + ' | '.join(header) + ' |')
    lines.append('|' + '|'.join(['---'] * 3 + ['--:'] * (len(header) - 3)) + '|')
    for (reward, device, variant), group in groups_of(done).items():
        n = len(group)
        solved = sum(r['first_475'] is not None for r in group)
        kept = sum(r['min_after_475'] is not None and r['min_after_475'] >= 400 for r in group)
        cells = [reward, device, variant, str(n), f'{solved}/{n}', f'{kept}/{solved}' if solved
                 else '-']
        cells += [_stat([r.get(c) for r in group], d, n) for c, _, d in _METRICS]
        lines.append('| ' + ' | '.join(cells) + ' |')
    if failed:
        lines += ['', '## Failed runs', '']
        for r in failed:
            lines.append(f'- {run_name(*(r[k] for k in GRID_KEYS))}: {r["error"]}')
    return '\n'.join(lines) + '\n'


# ---------------------------------------------------------------------------- figures
def _labels(keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], str]:
    """Short labels: leave out the device or variant when every group shares it."""
    devices = {k[1] for k in keys}
    variants = {k[2] for k in keys}
    out = {}
    for reward, device, variant in keys:
        parts = [reward]
        if len(devices) > 1:
            parts.append(device)
        if len(variants) > 1:
            parts.append(variant)
        out[(reward, device, variant)] = ' / '.join(parts)
    return out


def write_report(out_dir: str, settings: Mapping[str, Any] | None = None) -> list[Row]:
    """Regenerate results.md, learning_curves.png and writes_tradeoff.png from results.csv and
    the runs' episodes.csv; returns the rows used."""
    rows = latest_rows(read_results(os.path.join(out_dir, RESULTS_CSV)))
    rf.write_atomic(os.path.join(out_dir, RESULTS_MD), markdown(rows, settings))
    done = [r for r in rows if not r['error']]
    groups = groups_of(done)
    labels = _labels(list(groups))
    curves, points = {}, {}
    for key, group in groups.items():
        runs = []
        for r in group:
            path = os.path.join(out_dir, 'runs', run_name(*(r[k] for k in GRID_KEYS)),
                                rf.EPISODES_FILE)
            if os.path.exists(path):
                runs.append(rf.read_episodes(path)['length'])
        curves[labels[key]] = runs
        points[labels[key]] = [(r['writes_per_synapse_per_episode'], r['best_trailing100'],
                                r['first_475']) for r in group]
    title = None
    if settings and settings.get('env'):
        title = f'{settings["env"]}: median trailing-100 mean and IQR over seeds'
    plots.plot_learning_curves(curves, os.path.join(out_dir, CURVES_PNG), title=title)
    plots.plot_writes_tradeoff(points, os.path.join(out_dir, TRADEOFF_PNG))
    return rows
