"""ROS_DOMAIN_IDs that no other test run on this machine is using (one lock file per id)."""

import fcntl
import os
import random
import tempfile

_LOCK_DIR = os.path.join(tempfile.gettempdir(), 'memsnn_ros_domains')
# 1..101 are valid on Linux with the default port ranges; 0 is everyone's default, so skip it.
_IDS = range(1, 102)


class DomainPool:
    """Hands out ROS domain ids held by exclusive file locks until released or process exit."""

    def __init__(self):
        os.makedirs(_LOCK_DIR, exist_ok=True)
        self._held = {}

    def acquire(self):
        ids = list(_IDS)
        random.Random(os.getpid()).shuffle(ids)
        for domain_id in ids:
            if domain_id in self._held:
                continue
            f = open(os.path.join(_LOCK_DIR, f'{domain_id}.lock'), 'w')
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                continue
            self._held[domain_id] = f
            return domain_id
        raise RuntimeError(f'no free ROS_DOMAIN_ID in {_IDS}: too many concurrent test runs')

    def release(self, domain_id):
        f = self._held.pop(domain_id, None)
        if f is not None:
            fcntl.flock(f, fcntl.LOCK_UN)
            f.close()
