"""Shared helpers of the experiments tests: a tiny network, CLI runners, a warm numba cache."""

import functools
import os
import subprocess
import sys

# A small network keeps every run fast; the loop, files and metrics are the same.
TINY = ('critic.neurons_per_half=10', 'actor.neurons_per_side=5')
TINY_ARGS = tuple(arg for item in TINY for arg in ('--set', item))

# train() keyword arguments for a run inside a test: no progress bar, no signal handlers, no log.
QUIET = {'progress': False, 'handle_signals': False, 'log': lambda message: None}


@functools.cache
def warm_numba():
    """Compile (or load) the kernels once per session, so that numba's on-disk cache is warm
    for the CLI subprocesses (a cold compile costs ~15 s in every fresh process)."""
    from memsnn_controller.snn.agent import Agent
    from memsnn_controller.snn.config import AgentConfig

    Agent(AgentConfig().with_overrides(list(TINY)), seed=0).warm_up()
    return True


def cli_env():
    env = dict(os.environ)
    env['PYTHONUNBUFFERED'] = '1'
    env.pop('MPLBACKEND', None)
    return env


def run_module(module, args, cwd, timeout=120):
    """Run ``python -m module args`` to completion; returns the CompletedProcess (text)."""
    return subprocess.run([sys.executable, '-m', module, *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, env=cli_env(),
                          stdin=subprocess.DEVNULL)


def data_rows(path):
    """The lines of a CSV file after its header."""
    with open(path, encoding='utf-8') as f:
        return f.read().splitlines()[1:]


def header(path):
    with open(path, encoding='utf-8') as f:
        return f.readline().rstrip('\n').split(',')


def is_png(path):
    with open(path, 'rb') as f:
        return f.read(8) == b'\x89PNG\r\n\x1a\n'
