"""ROS_DOMAIN_IDs that no other test run on this machine is using (one lock file per id)."""

import fcntl
import os
import random
import tempfile

_LOCK_DIR = os.path.join(tempfile.gettempdir(), 'memsnn_ros_domains')
# 1..101 are valid on Linux with the default port ranges; 0 is everyone's default, so skip it.
_IDS = range(1, 102)


class DomainPool:
    """Hands out ROS domain ids held by exclusive file locks until released or process exit.

    The ids are handed out round robin (in an order shuffled per process), so consecutive tests
    get different ones: a node of an earlier test that lives on in this process (rclpy keeps a
    node's DDS participant until its last Python reference is gone) is never on the next test's
    domain, where it would answer for a node of the same name."""

    def __init__(self):
        os.makedirs(_LOCK_DIR, exist_ok=True)
        self._held = {}
        self._order = list(_IDS)
        random.Random(os.getpid()).shuffle(self._order)
        self._next = 0

    def acquire(self):
        count = len(self._order)
        ids = [self._order[(self._next + k) % count] for k in range(count)]
        for index, domain_id in enumerate(ids):
            if domain_id in self._held:
                continue
            f = open(os.path.join(_LOCK_DIR, f'{domain_id}.lock'), 'w')
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                continue
            self._held[domain_id] = f
            self._next = (self._next + index + 1) % count
            return domain_id
        raise RuntimeError(f'no free ROS_DOMAIN_ID in {_IDS}: too many concurrent test runs')

    def release(self, domain_id):
        f = self._held.pop(domain_id, None)
        if f is not None:
            fcntl.flock(f, fcntl.LOCK_UN)
            f.close()
