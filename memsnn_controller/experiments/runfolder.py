"""The files of one training run, in its own folder, written so that a crash never tears them.

    DIR/config.yaml       the resolved AgentConfig (AgentConfig.from_yaml reads it back)
    DIR/run.json          what was run: env id, seed, episodes asked for, checkpoint interval,
                          package version
    DIR/episodes.csv      one row per finished episode, appended and flushed as it ends
                          (columns ``EPISODE_COLUMNS``)
    DIR/checkpoint.npz    the agent's learning state (snn/checkpoint.py: atomic)
    DIR/env_state.json    what the next episode's start depends on, with every checkpoint (a
                          rig's in-place restart: where the cart came to rest)
    DIR/summary.json      metrics.summarize of the finished run; written last, only when every
                          episode asked for is done (its presence marks a finished run)
    DIR/learning_curve.png
    DIR/.lock             held (flock) by the process training in DIR

episodes.csv columns: ``episode`` (0-based index), ``length`` (steps), ``return`` (the
environment's summed reward; = length on CartPole), ``agent_return`` (the agent's own configured
reward, e.g. -1 for a failure under 'sparse'), ``writes`` (memristor device writes in the episode,
both devices of a pair counted), ``writes_per_synapse`` (writes / synapses), ``terminated``,
``truncated`` (0/1: failure, time limit), ``end_stop_hits`` (the cart's hits of an end stop in
the episode and the coast after it; 0 where the plant has none), ``wall_s`` (the episode's wall
time in seconds,
bookkeeping and checkpoints included) and ``elapsed_s`` (training wall time since the run began,
summed over resumed sessions, start-up excluded).

JSON and YAML files are replaced atomically (temporary file, fsync, rename).
"""

from collections.abc import Sequence
import csv
import json
import os
from typing import TYPE_CHECKING, Any

import yaml

from memsnn_controller.common.atomic import write_atomic

if TYPE_CHECKING:
    from memsnn_controller.envs.plant_file import PlantFile
    from memsnn_controller.snn.config import AgentConfig

PathLike = str | os.PathLike[str]

CONFIG_FILE = 'config.yaml'
RUN_FILE = 'run.json'
EPISODES_FILE = 'episodes.csv'
CHECKPOINT_FILE = 'checkpoint.npz'
SUMMARY_FILE = 'summary.json'
CURVE_FILE = 'learning_curve.png'
LOCK_FILE = '.lock'

ENV_STATE_FILE = 'env_state.json'

EPISODE_COLUMNS = ('episode', 'length', 'return', 'agent_return', 'writes', 'writes_per_synapse',
                   'terminated', 'truncated', 'end_stop_hits', 'wall_s', 'elapsed_s')
_INT_COLUMNS = ('episode', 'length', 'writes', 'terminated', 'truncated', 'end_stop_hits')
# The columns before end_stop_hits existed (no plant had end stops then: a resumed old run's
# rows get 0).
_COLUMNS_V1 = tuple(name for name in EPISODE_COLUMNS if name != 'end_stop_hits')


class RunFolderError(RuntimeError):
    """A run folder cannot be used as asked; the message says why and what to do."""


def check_start(folder: PathLike, resume: bool) -> None:
    """The guard of a run folder before a run starts in it (memsnn-train, memsnn-bringup): to
    resume, it must hold a checkpoint; for a new run, it must not hold one already (a checkpoint,
    episodes or a summary), which the new run would overwrite. RunFolderError says which."""
    if resume:
        if not os.path.exists(os.path.join(folder, CHECKPOINT_FILE)):
            raise RunFolderError(f'{folder}: no {CHECKPOINT_FILE} to resume from')
        return
    present = [name for name in (CHECKPOINT_FILE, EPISODES_FILE, SUMMARY_FILE)
               if os.path.exists(os.path.join(folder, name))]
    if present:
        raise RunFolderError(f'{folder}: already holds a run ({", ".join(present)}); resume it '
                             f'(--resume) or choose another folder (--out)')


def run_plant_changes(folder: PathLike, resume: bool, given: Sequence[str] | None) -> list[str]:
    """The run's plant changes (--plant-change of memsnn-train and memsnn-bringup): those given,
    or on resume those its run.json recorded; a resume that gives others is refused
    (RunFolderError). Call it holding the folder's RunLock."""
    recorded = None
    run_file = os.path.join(folder, RUN_FILE)
    if resume and os.path.exists(run_file):
        recorded = list(read_json(run_file).get('plant_changes', []))
    if given is None:
        return recorded or []
    if recorded is not None and list(given) != recorded:
        raise RunFolderError(f'{folder}: run with the plant changes {recorded or "(none)"}, not '
                             f'{list(given) or "(none)"}')
    return list(given)


def run_plant_file(folder: PathLike, resume: bool, given: str | None) -> 'PlantFile | None':
    """The run's plant file (--plant of memsnn-train): the one given (loaded), or on resume the
    one its run.json recorded (rebuilt from the recorded values, so an edited preset does not
    change a resumed run); a resume that gives a plant with other values is refused
    (RunFolderError). None: CartPole-v1's plant and task. Call it holding the RunLock."""
    from memsnn_controller.envs.plant_file import load_plant_file, plant_file_from

    recorded = None
    run_file = os.path.join(folder, RUN_FILE)
    if resume and os.path.exists(run_file):
        info = read_json(run_file)
        if info.get('plant_file') is not None:
            recorded = plant_file_from(info['plant_file'], info.get('plant', 'recorded'))
    if given is None:
        return recorded
    plant_file = load_plant_file(given)
    if resume and recorded is None and os.path.exists(run_file):
        raise RunFolderError(f'{folder}: run without a plant file, not with --plant {given}')
    if recorded is not None and plant_file.values() != recorded.values():
        raise RunFolderError(f'{folder}: run with the plant {recorded.name!r} (run.json), whose '
                             f'values differ from --plant {given}')
    return plant_file


def write_json(path: PathLike, data: object) -> None:
    """Write ``data`` as strict JSON (no NaN), atomically."""
    write_atomic(path, json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + '\n')


def read_json(path: PathLike) -> Any:
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def write_config(path: PathLike, config: 'AgentConfig') -> None:
    """Write an AgentConfig as YAML (AgentConfig.from_yaml reads it back equal)."""
    write_atomic(path, yaml.safe_dump(config.to_dict(), sort_keys=False))


def read_episodes(path: PathLike) -> dict[str, list[int | float]]:
    """episodes.csv as a dict column -> list (ints for counts and flags, floats otherwise)."""
    columns: dict[str, list[int | float]] = {name: [] for name in EPISODE_COLUMNS}
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f)
        for row in reader:
            if row.get('elapsed_s') in (None, ''):
                break  # a torn last line (the process died while writing it)
            for name in EPISODE_COLUMNS:
                value = row.get(name, '0')
                columns[name].append(int(value) if name in _INT_COLUMNS else float(value))
    return columns


class EpisodeLog:
    """episodes.csv, opened for appending: one flushed line per episode.

    ``keep`` = None starts a new file; an integer n keeps the first n episodes of an existing
    file (resuming from a checkpoint taken after episode n - 1) and drops any later rows, which
    a killed process may have written after its last checkpoint.
    """

    def __init__(self, path: PathLike, keep: int | None = None) -> None:
        self.path = os.fspath(path)
        self.last_elapsed = 0.0
        if keep is None:
            write_atomic(self.path, ','.join(EPISODE_COLUMNS) + '\n')
        else:
            self._truncate(keep)
        self._file = open(self.path, 'a', encoding='utf-8', newline='')

    def _truncate(self, keep: int) -> None:
        if keep == 0 and not os.path.exists(self.path):
            write_atomic(self.path, ','.join(EPISODE_COLUMNS) + '\n')
            return
        if not os.path.exists(self.path):
            raise RunFolderError(f'{self.path}: missing, but the checkpoint holds {keep} '
                                 f'episodes; cannot resume consistently')
        with open(self.path, encoding='utf-8', newline='') as f:
            lines = f.read().splitlines(keepends=True)
        header, rows = lines[0] if lines else '', lines[1:]
        rows = [line for line in rows if line.endswith('\n')]  # drop a torn last line
        if header.strip() == ','.join(_COLUMNS_V1):
            at = _COLUMNS_V1.index('truncated') + 1
            header = ','.join(EPISODE_COLUMNS) + '\n'
            rows = [','.join((*cells[:at], '0', *cells[at:])) for cells in
                    (line.split(',') for line in rows)]
        if header.strip() != ','.join(EPISODE_COLUMNS):
            raise RunFolderError(f'{self.path}: unexpected header {header.strip()!r}')
        if len(rows) < keep:
            raise RunFolderError(f'{self.path}: holds {len(rows)} episodes but the checkpoint '
                                 f'holds {keep}; cannot resume consistently')
        rows = rows[:keep]
        for i, line in enumerate(rows):
            if not line.startswith(f'{i},'):
                raise RunFolderError(f'{self.path}: row {i + 1} is not episode {i}')
        if rows:
            self.last_elapsed = float(rows[-1].rstrip('\n').split(',')[-1])
        write_atomic(self.path, header + ''.join(rows))

    def append(self, episode: int, length: int, ret: float, agent_ret: float, writes: int,
               writes_per_synapse: float, terminated: bool, truncated: bool, wall_s: float,
               elapsed_s: float, end_stop_hits: int = 0) -> None:
        self._file.write(f'{episode},{length},{ret:.10g},{agent_ret:.10g},{writes},'
                         f'{writes_per_synapse:.6g},{int(terminated)},{int(truncated)},'
                         f'{end_stop_hits},{wall_s:.6f},{elapsed_s:.6f}\n')
        self._file.flush()
        self.last_elapsed = elapsed_s

    def sync(self) -> None:
        """Flush to disk (called before every checkpoint, so its rows always cover it)."""
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            self._file.close()


class RunLock:
    """An exclusive lock on a run folder, so two processes never train into the same one.

    Uses flock (released by the kernel when the holder dies); a no-op where fcntl is missing.
    """

    def __init__(self, folder: PathLike) -> None:
        self.path = os.path.join(folder, LOCK_FILE)
        self._fd: int | None = None

    def acquire(self) -> 'RunLock':
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise RunFolderError(f'{os.path.dirname(self.path)}: another process is training '
                                 f'in this folder') from None
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> 'RunLock':
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

