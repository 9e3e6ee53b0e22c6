"""A grid of training runs (reward x device x variant x seed) and the executors that run it.

A run is described by a picklable ``spec`` dict:

    {'reward': 'sparse', 'device': 'ppx', 'variant': 'default', 'seed': 0,
     'overrides': [...],          # 'section.field=value' applied after reward and device:
                                  # the sweep's --set ones, then the variant's
     'base_config': None,         # or an AgentConfig.to_dict() to start from (--config)
     'episodes': 1000, 'env': 'CartPole-v1', 'checkpoint_every': 100,
     'plant_changes': [],         # memsnn-train's --plant-change texts (envs/plant.py)
     'plant': '',                 # memsnn-train's --plant (a plant file; '' = CartPole-v1's)
     'out_dir': 'DIR/runs/sparse__ppx__default__s0'}

``run_trial(spec)`` is a pure top-level function: it trains the run (resuming it from its
checkpoint if one is there) and returns its result row: the grid keys, metrics.SUMMARY_KEYS,
``error`` ('' or one line) and ``status`` ('done', 'error' or 'interrupted'). It never raises
for a failing run: the error is recorded (traceback in the run's error.log) and the sweep goes
on. Any executor can call it; a backend only has to "submit many specs and yield (spec, row) as
they finish" (``run``), plus ``start`` (get ready; BackendError when it cannot), ``describe``
(where the runs go, for the log line), a graceful ``request_stop`` (runs checkpoint after their
current episode and come back 'interrupted'), ``abort`` and ``close``. Two are here:
SerialBackend (in this process) and ProcessPoolBackend (concurrent.futures with the 'spawn' start
method: numba and fork do not mix); ray_backend.RayBackend runs the trials as Ray tasks.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
import concurrent.futures as cf
import multiprocessing
import os
import re
import signal
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any, Final, Protocol, TypedDict

from memsnn_controller.experiments import metrics
from memsnn_controller.experiments import runfolder as rf
from memsnn_controller.experiments.training import DEFAULT_CHECKPOINT_EVERY

if TYPE_CHECKING:
    from memsnn_controller.snn.config import AgentConfig

GRID_KEYS: Final = ('reward', 'device', 'variant', 'seed')
RESULT_COLUMNS = GRID_KEYS + metrics.SUMMARY_KEYS + ('error',)
DEFAULT_VARIANT = 'default'
RUNS_FOLDER = 'runs'
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.+-]*$')
# A comma starts a new assignment only when a 'section.field=' follows it, so values such as
# [3, 6] keep their commas.
_ASSIGNMENT_SPLIT = re.compile(r',(?=\s*[A-Za-z_][A-Za-z0-9_.]*\s*=)')


class RunSpec(TypedDict):
    """One run of the grid (the module docstring shows one)."""

    reward: str
    device: str
    variant: str
    seed: int
    overrides: list[str]
    base_config: dict[str, Any] | None
    episodes: int
    env: str
    checkpoint_every: int
    plant_changes: list[str]
    plant: str
    out_dir: str


# A result row: the grid keys, metrics.SUMMARY_KEYS, 'error' and 'status' (values of each key's
# own type, None for an undefined metric).
Row = dict[str, Any]
RunKey = tuple[str, str, str, int]   # (reward, device, variant, seed)


class Backend(Protocol):
    """What runs the grid's specs (see the module docstring)."""

    def start(self) -> None: ...
    def describe(self) -> str: ...
    def run(self, specs: Sequence[RunSpec]) -> Iterator[tuple[RunSpec, Row]]: ...
    def request_stop(self) -> None: ...
    def abort(self) -> None: ...
    def close(self) -> None: ...


class GridError(ValueError):
    """A grid argument is invalid; the message names it."""


class BackendError(RuntimeError):
    """A backend cannot start (e.g. Ray is missing or unreachable); the message says why."""


# ---------------------------------------------------------------------------- grid description
def parse_variant(text: str) -> tuple[str, list[str]]:
    """'NAME=KEY=VALUE[,KEY=VALUE...]' (or 'NAME=' for no change) -> (name, [assignments])."""
    name, sep, rest = text.partition('=')
    name = name.strip()
    if not sep or not _NAME.match(name) or '__' in name:
        raise GridError(f'--variant {text!r}: expected NAME=KEY=VALUE[,KEY=VALUE...] with NAME '
                        f'made of letters, digits and _ . + - (no "__")')
    assignments = [a.strip() for a in _ASSIGNMENT_SPLIT.split(rest)] if rest.strip() else []
    for a in assignments:
        if '=' not in a or not a.split('=', 1)[0].strip():
            raise GridError(f'--variant {text!r}: {a!r} is not KEY=VALUE')
    return name, assignments


def plant_variants(texts: Iterable[str]) -> dict[str, list[str]]:
    """--plant-variant 'NAME=CHANGE' texts -> {NAME: [CHANGE, ...]}: a NAME given again adds
    its change to the same variant; 'NAME=' alone is a variant without changes. Each variant's
    changes are checked as one schedule (PlantChangeError, a GridError here)."""
    from memsnn_controller.envs.plant import PlantChangeError, parse_plant_schedule

    out: dict[str, list[str]] = {}
    for text in texts:
        name, sep, change = text.partition('=')
        name = name.strip()
        if not sep or not _NAME.match(name) or '__' in name:
            raise GridError(f'--plant-variant {text!r}: expected NAME=EPISODE:FIELD=VALUE[,...] '
                            f'with NAME made of letters, digits and _ . + - (no "__")')
        out.setdefault(name, [])
        if change.strip():
            out[name].append(change.strip())
    for name, changes in out.items():
        try:
            parse_plant_schedule(changes)
        except PlantChangeError as exc:
            raise GridError(f'--plant-variant {name}: {exc}') from None
    return out


def parse_seeds(tokens: str | Iterable[object]) -> list[int]:
    """Seeds from command-line tokens: one plain integer N means 0 .. N-1; otherwise a list of
    integers and inclusive ranges A-B, separated by spaces or commas ('7-7' or '7,' is seed 7)."""
    texts = [tokens] if isinstance(tokens, str) else [str(t) for t in tokens]
    if len(texts) == 1 and texts[0].strip().isdigit():
        n = int(texts[0])
        if n < 1:
            raise GridError(f'--seeds {n}: need at least one seed')
        return list(range(n))
    seeds: list[int] = []
    for part in ','.join(texts).split(','):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r'(\d+)(?:-(\d+))?', part)
        if not m:
            raise GridError(f'--seeds: {part!r} is not a seed or a range A-B')
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo:
            raise GridError(f'--seeds: empty range {part!r}')
        seeds.extend(range(lo, hi + 1))
    if not seeds:
        raise GridError('--seeds: no seeds given')
    if len(set(seeds)) != len(seeds):
        raise GridError(f'--seeds: a seed is listed twice: {seeds}')
    return seeds


def parse_names(tokens: Iterable[object], known: Sequence[str], option: str) -> list[str]:
    """Names from tokens separated by spaces or commas, each checked against ``known``."""
    names = [n.strip() for t in tokens for n in str(t).split(',') if n.strip()]
    bad = [n for n in names if n not in known]
    if bad:
        raise GridError(f'{option}: unknown {", ".join(map(repr, bad))} (known: '
                        f'{", ".join(known)})')
    if not names:
        raise GridError(f'{option}: nothing given')
    return list(dict.fromkeys(names))


def run_name(reward: str, device: str, variant: str, seed: int) -> str:
    return f'{reward}__{device}__{variant}__s{seed}'


def run_key(row: Mapping[str, Any]) -> RunKey:
    return (row['reward'], row['device'], row['variant'], int(row['seed']))


def build_specs(rewards: Sequence[str], devices: Sequence[str], seeds: Iterable[int],
                episodes: int, env: str, out_dir: str,
                variants: Mapping[str, Sequence[str]] | None = None,
                overrides: Iterable[str] = (), base_config: dict[str, Any] | None = None,
                checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
                plant_changes: Mapping[str, Sequence[str]] | None = None,
                plants: Mapping[str, str] | None = None) -> list[RunSpec]:
    """Every run of the grid, seeds outermost (so early results cover every reward).
    plant_changes: each variant's plant changes (variant name -> texts; none if absent).
    plants: each variant's plant file (variant name -> name or path; CartPole-v1 if absent)."""
    variants = variants or {DEFAULT_VARIANT: []}
    plant_changes = plant_changes or {}
    plants = plants or {}
    specs: list[RunSpec] = []
    for seed in seeds:
        for reward in rewards:
            for device in devices:
                for variant, assignments in variants.items():
                    specs.append({
                        'reward': reward, 'device': device, 'variant': variant,
                        'seed': int(seed), 'overrides': list(overrides) + list(assignments),
                        'base_config': base_config, 'episodes': int(episodes), 'env': env,
                        'checkpoint_every': int(checkpoint_every),
                        'plant_changes': list(plant_changes.get(variant, ())),
                        'plant': plants.get(variant, ''),
                        'out_dir': os.path.join(out_dir, RUNS_FOLDER,
                                                run_name(reward, device, variant, seed))})
    return specs


def spec_config(spec: RunSpec) -> 'AgentConfig':
    """The AgentConfig of a spec, sized for its plant (ConfigError naming the field if it is
    invalid)."""
    from memsnn_controller.control.config import learner_for
    from memsnn_controller.envs.plant_file import load_plant_file
    from memsnn_controller.snn.config import AgentConfig

    base = AgentConfig.from_dict(spec['base_config']) if spec.get('base_config') else AgentConfig()
    if spec.get('plant'):
        base = learner_for(base, load_plant_file(spec['plant']))
    return base.with_overrides([f'reward.name={spec["reward"]}',
                                f'device.model={spec["device"]}'] + list(spec['overrides']))


def finished_summary(spec: RunSpec, config: 'AgentConfig | None' = None) -> Any:
    """The summary of a finished run (summary.json with at least the episodes asked), or None.

    Raises GridError when the run folder holds a finished run of a different configuration, seed
    or environment (it would otherwise be silently reported as this one)."""
    out = spec['out_dir']
    path = os.path.join(out, rf.SUMMARY_FILE)
    if not os.path.exists(path):
        return None
    summary = rf.read_json(path)
    if summary.get('episodes', 0) < spec['episodes']:
        return None
    from memsnn_controller.experiments.training import config_differences
    from memsnn_controller.snn.config import AgentConfig

    config = config or spec_config(spec)
    config_file = os.path.join(out, rf.CONFIG_FILE)
    if os.path.exists(config_file):
        diff = config_differences(AgentConfig.from_yaml(config_file).to_dict(), config.to_dict())
        if diff:
            raise GridError(f'{out}: holds a finished run of another configuration (differs in: '
                            f'{", ".join(diff)}); remove it or use another --out')
    run_file = os.path.join(out, rf.RUN_FILE)
    if os.path.exists(run_file):
        run = rf.read_json(run_file)
        if run.get('env', spec['env']) != spec['env'] or run.get('seed', spec['seed']) != \
                spec['seed']:
            raise GridError(f'{out}: holds a finished run on env {run.get("env")!r}, seed '
                            f'{run.get("seed")}; remove it or use another --out')
        if (run.get('plant') or '') != (spec.get('plant') or ''):
            raise GridError(f'{out}: holds a finished run on the plant '
                            f'{run.get("plant") or "(CartPole-v1)"}; remove it or use another '
                            f'--out')
        if run.get('plant_changes', []) != list(spec.get('plant_changes', [])):
            raise GridError(f'{out}: holds a finished run with the plant changes '
                            f'{run.get("plant_changes") or "(none)"}; remove it or use another '
                            f'--out')
    return summary


def result_row(spec: RunSpec, summary: Mapping[str, Any] | None = None, error: str = '',
               status: str = 'done') -> Row:
    row: Row = {key: spec[key] for key in GRID_KEYS}
    for key in metrics.SUMMARY_KEYS:
        row[key] = (summary or {}).get(key)
    row['error'] = error
    row['status'] = status
    return row


def _one_line(exc: BaseException) -> str:
    return ' '.join(f'{type(exc).__name__}: {exc}'.split())


# ---------------------------------------------------------------------------- one run
def run_trial(spec: RunSpec, should_stop: Callable[[], bool] | None = None) -> Row:
    """Train one run of the grid (see the module docstring); returns its result row."""
    from memsnn_controller.experiments.training import TrainingInterrupted, train

    out = spec['out_dir']
    try:
        config = spec_config(spec)
        summary = finished_summary(spec, config)
        if summary is not None:
            return result_row(spec, summary)
        os.makedirs(out, exist_ok=True)
        resume = os.path.exists(os.path.join(out, rf.CHECKPOINT_FILE))
        if not resume:
            # A run killed before its first checkpoint: start it again from scratch.
            for name in (rf.EPISODES_FILE, rf.SUMMARY_FILE):
                if os.path.exists(os.path.join(out, name)):
                    os.unlink(os.path.join(out, name))
        log = _file_log(os.path.join(out, 'train.log'))
        try:
            every = spec.get('checkpoint_every', DEFAULT_CHECKPOINT_EVERY)
            summary = train(config, seed=spec['seed'], env_id=spec['env'],
                            episodes=spec['episodes'], out_dir=out, resume=resume,
                            progress=False, checkpoint_every=every, should_stop=should_stop,
                            handle_signals=False, log=log,
                            plant_changes=list(spec.get('plant_changes', [])),
                            plant=spec.get('plant') or None)
        except TrainingInterrupted as exc:
            log(str(exc))
            raise
        return result_row(spec, summary)
    except TrainingInterrupted as exc:
        return result_row(spec, error=str(exc), status='interrupted')
    except Exception as exc:  # recorded, so that the sweep goes on
        try:
            os.makedirs(out, exist_ok=True)
            with open(os.path.join(out, 'error.log'), 'a', encoding='utf-8') as f:
                f.write(f'{time.strftime("%Y-%m-%d %H:%M:%S")}\n{traceback.format_exc()}\n')
        except OSError:
            pass
        return result_row(spec, error=_one_line(exc), status='error')


def _file_log(path: str) -> Callable[[str], None]:
    def log(message: str) -> None:
        with open(path, 'a', encoding='utf-8') as f:
            f.write(f'{time.strftime("%Y-%m-%d %H:%M:%S")} {message}\n')
    return log


# ---------------------------------------------------------------------------- backends
class SerialBackend:
    """Runs the specs one after another in this process."""

    def __init__(self) -> None:
        self._stop = threading.Event()

    def start(self) -> None:
        pass

    def describe(self) -> str:
        return '1 process'

    def run(self, specs: Sequence[RunSpec]) -> Iterator[tuple[RunSpec, Row]]:
        for spec in specs:
            if self._stop.is_set():
                return
            yield spec, run_trial(spec, should_stop=self._stop.is_set)

    def request_stop(self) -> None:
        self._stop.set()

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass


# Worker-process state of ProcessPoolBackend (set by _init_worker).
_WORKER: dict[str, Any] = {'stop': None, 'parent': None, 'busy': False}


def _init_worker(stop_event: Any, parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group: the parent decides, and tells workers by the event.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER.update(stop=stop_event, parent=parent_pid)
    threading.Thread(target=_watch_parent, name='watch-parent', daemon=True).start()


def _parent_gone() -> bool:
    return os.getppid() != _WORKER['parent']


def _watch_parent() -> None:
    # concurrent.futures workers outlive a killed parent (blocked on their call queue): leave
    # when it is gone; a run in progress stops after its episode (see _worker_should_stop).
    while True:
        time.sleep(1.0)
        if _parent_gone() and not _WORKER['busy']:
            os._exit(0)


def _worker_should_stop() -> bool:
    return _WORKER['stop'].is_set() or _parent_gone()


def _worker_run(spec: RunSpec) -> Row:
    if _worker_should_stop():
        return result_row(spec, error='not started: stop requested', status='interrupted')
    _WORKER['busy'] = True
    try:
        row = run_trial(spec, should_stop=_worker_should_stop)
    finally:
        _WORKER['busy'] = False
    if _parent_gone():
        os._exit(0)
    return row


class ProcessPoolBackend:
    """Runs the specs on ``jobs`` worker processes (spawned), at most ``jobs`` at a time; so a
    stop never leaves queued runs behind, and when a worker dies hard (a crash, the OOM killer)
    only the runs in flight are recorded as errors and the pool is rebuilt for the rest."""

    def __init__(self, jobs: int) -> None:
        if jobs < 1:
            raise GridError(f'--jobs: must be >= 1, got {jobs}')
        self.jobs = jobs
        self._ctx = multiprocessing.get_context('spawn')
        self._stop = self._ctx.Event()
        self._executor: cf.ProcessPoolExecutor | None = None

    def start(self) -> None:
        pass

    def describe(self) -> str:
        return f'{self.jobs} process{"es" if self.jobs > 1 else ""}'

    def _new_executor(self) -> 'cf.ProcessPoolExecutor':  # (quoted: cf imports it lazily)
        return cf.ProcessPoolExecutor(max_workers=self.jobs, mp_context=self._ctx,
                                      initializer=_init_worker,
                                      initargs=(self._stop, os.getpid()))

    def run(self, specs: Sequence[RunSpec]) -> Iterator[tuple[RunSpec, Row]]:
        pending = list(specs)
        pending.reverse()
        running: dict[cf.Future[Row], RunSpec] = {}
        executor = self._executor = self._new_executor()
        while pending or running:
            while pending and len(running) < self.jobs and not self._stop.is_set():
                spec = pending.pop()
                running[executor.submit(_worker_run, spec)] = spec
            if not running:
                return
            done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            broken = False
            for future in done:
                spec = running.pop(future)
                try:
                    row = future.result()
                except cf.process.BrokenProcessPool as exc:
                    broken = True
                    row = result_row(spec, error=f'worker process died ({_one_line(exc)}); this '
                                     f'run or one beside it crashed', status='error')
                yield spec, row
            if broken:
                for spec in running.values():
                    yield spec, result_row(spec, error='worker process died (BrokenProcessPool)',
                                           status='error')
                running.clear()
                executor.shutdown(wait=True, cancel_futures=True)
                executor = self._executor = self._new_executor()

    def request_stop(self) -> None:
        self._stop.set()

    def abort(self) -> None:
        """Stop at once: terminate the workers (their last periodic checkpoints stand)."""
        self._stop.set()
        if self._executor is not None:
            for process in list(getattr(self._executor, '_processes', {}).values()):
                try:
                    process.terminate()
                except (OSError, AttributeError):
                    pass
            self._executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def make_backend(jobs: int) -> SerialBackend | ProcessPoolBackend:
    """SerialBackend for one job, ProcessPoolBackend otherwise."""
    return SerialBackend() if jobs == 1 else ProcessPoolBackend(jobs)
