"""Child processes started by the helpers are stopped together with their own children."""

import os
import sys
import time

from memsnn_controller.common.processes import ManagedProcess

STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])
print(child.pid, flush=True)
time.sleep(600)
"""


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f'/proc/{pid}/stat') as f:
        return f.read().split()[2] != 'Z'


def test_stop_kills_a_process_that_ignores_sigint_and_its_children(tmp_path):
    proc = ManagedProcess([sys.executable, '-c', STUBBORN], log_path=tmp_path / 'log')
    proc.start()
    deadline = time.monotonic() + 20
    while not proc.log_text().strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = int(proc.log_text().split()[0])
    assert proc.running() and _alive(grandchild)
    code = proc.stop(grace=0.5)
    assert code is not None and not proc.running()
    time.sleep(0.2)
    assert not _alive(grandchild)


def test_exit_code_of_a_finished_process(tmp_path):
    with ManagedProcess([sys.executable, '-c', 'import sys; sys.exit(3)']) as proc:
        assert proc.wait(timeout=20) == 3
