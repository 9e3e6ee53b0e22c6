"""Atomic files: the backup of the replaced file, and the temporary files a killed writer left."""

import os
import signal
import subprocess
import sys
import textwrap
import time

from memsnn_controller.common.atomic import (
    atomic_file,
    backup_path,
    remove_stale_temps,
    stale_temps,
    write_atomic,
)

WRITER = textwrap.dedent("""
    import os, signal, sys, time
    from memsnn_controller.common.atomic import atomic_file
    with atomic_file(sys.argv[1], 'wb') as f:
        f.write(b'x' * 100000)
        f.flush()
        print('writing', flush=True)
        if sys.argv[2] == 'die':
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(60)
""")


def writer(path, how):
    """A process in the middle of an atomic write of ``path``: killed there ('die') or held
    there ('hold')."""
    proc = subprocess.Popen([sys.executable, '-c', WRITER, str(path), how], stdout=subprocess.PIPE,
                            text=True)
    if how == 'hold':
        assert proc.stdout.readline().strip() == 'writing'
    else:
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    return proc


def test_backup_keeps_the_replaced_file_and_plain_writes_keep_none(tmp_path):
    path = tmp_path / 'state.bin'
    for data in (b'first', b'second', b'third'):
        with atomic_file(path, 'wb', backup=True) as f:
            f.write(data)
    assert path.read_bytes() == b'third'
    assert open(backup_path(path), 'rb').read() == b'second'
    write_atomic(tmp_path / 'plain.txt', 'one')
    write_atomic(tmp_path / 'plain.txt', 'two')
    assert sorted(os.listdir(tmp_path)) == ['plain.txt', 'state.bin', 'state.bin.bak']


def test_a_killed_writer_leaves_a_temp_file_that_is_removed_unless_a_writer_holds_it(tmp_path):
    path = tmp_path / 'checkpoint.npz'
    write_atomic(path, b'good')
    for _ in range(3):
        writer(path, 'die')
    assert len(stale_temps(path)) == 3 and path.read_bytes() == b'good'
    held = writer(path, 'hold')
    try:
        temps = stale_temps(path)
        assert len(temps) == 4
        removed = remove_stale_temps(path)
        assert len(removed) == 3  # the live writer's file stays
        assert stale_temps(path) == sorted(set(temps) - set(removed))
    finally:
        held.kill()
        held.wait()
    time.sleep(0.05)
    assert len(remove_stale_temps(path)) == 1 and stale_temps(path) == []
    assert path.read_bytes() == b'good'
    write_atomic(tmp_path / 'other.npz', b'x')  # other files' temps are not touched
    assert remove_stale_temps(tmp_path / 'other.npz') == []
