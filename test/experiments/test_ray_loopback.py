"""A local sweep on Ray opens nothing to the network: every socket that ``memsnn-compare
--backend ray`` (no address) and the Ray processes it starts listen on is a loopback one.

Read from the listening sockets themselves (/proc/net/{tcp,tcp6,udp,udp6} and each process's
file descriptors), while the sweep runs. Skipped when Ray (the 'cluster' extra) is missing."""

import ipaddress
import os
import subprocess
import sys
import time

from exp_support import TINY_ARGS, cli_env, warm_numba
import pytest

LISTEN, UNCONNECTED = '0A', '07'  # TCP LISTEN; UDP bound and not connected


def _address(hex_text):
    """ipaddress of a /proc/net address field (32-bit words in host byte order)."""
    raw = b''.join(bytes.fromhex(hex_text[i:i + 8])[::-1] for i in range(0, len(hex_text), 8))
    address = ipaddress.ip_address(raw)
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def listening_sockets():
    """{socket inode: (protocol, address, port)} of every listening TCP / bound UDP socket."""
    sockets = {}
    for protocol, state in (('tcp', LISTEN), ('tcp6', LISTEN), ('udp', UNCONNECTED),
                            ('udp6', UNCONNECTED)):
        try:
            lines = open(f'/proc/net/{protocol}').read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] != state:
                continue
            host, port = fields[1].split(':')
            sockets[fields[9]] = (protocol, _address(host), int(port, 16))
    return sockets


def descendants(root):
    """The pids of ``root`` and all its descendants, now."""
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            stat = open(f'/proc/{entry}/stat').read()
        except OSError:
            continue
        ppid = int(stat.rsplit(')', 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo.extend(children.get(pid, ()))
    return found


def sockets_of(pids, sockets):
    """{(process name, protocol, address, port)} of the listening sockets that ``pids`` hold."""
    held = set()
    for pid in pids:
        try:
            name = open(f'/proc/{pid}/comm').read().strip()
            fds = os.listdir(f'/proc/{pid}/fd')
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f'/proc/{pid}/fd/{fd}')
            except OSError:
                continue
            if target.startswith('socket:['):
                inode = target[len('socket:['):-1]
                if inode in sockets:
                    held.add((name, *sockets[inode]))
    return held


def test_a_local_ray_sweep_listens_on_loopback_only(tmp_path):
    pytest.importorskip('ray', reason="Ray is not installed (the 'cluster' extra)")
    warm_numba()
    argv = [sys.executable, '-m', 'memsnn_controller.apps.compare', '--backend', 'ray',
            '--jobs', '1', '--rewards', 'sparse', 'angle', '--seeds', '1', '--episodes', '3',
            '--no-progress', '--out', str(tmp_path / 'cmp'), *TINY_ARGS]
    proc = subprocess.Popen(argv, cwd=tmp_path, env=cli_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = set()
    try:
        deadline = time.monotonic() + 180
        while proc.poll() is None and time.monotonic() < deadline:
            seen |= sockets_of(descendants(proc.pid), listening_sockets())
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
        output = proc.communicate()[0]
    assert proc.returncode == 0, output
    names = {name for name, *_ in seen}
    assert {'gcs_server', 'raylet'} <= names, (names, output)  # the poll saw Ray's servers
    exposed = sorted(s for s in seen if not s[2].is_loopback)
    assert not exposed, f'listening beyond loopback: {exposed}'
