"""Atomic file replacement: write a temporary file in the same folder, fsync it, rename it over
the target, fsync the folder. A crash leaves either the old or the new file, never a torn one.
Files get the ordinary permissions of the process's umask (mkstemp alone would make them 0600).
"""

from contextlib import contextmanager
import os
import tempfile

# The umask can only be read by setting it; do it once, at import, on the main thread.
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_file(path, mode='wb', **open_kwargs):
    """Open a temporary file that replaces ``path`` when the block ends without an exception."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', suffix='.tmp',
                               dir=folder)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_folder(folder)


def write_atomic(path, data):
    """Replace ``path`` by ``data`` (bytes, or text written as UTF-8) atomically."""
    if isinstance(data, str):
        with atomic_file(path, 'w', encoding='utf-8', newline='') as f:
            f.write(data)
    else:
        with atomic_file(path, 'wb') as f:
            f.write(data)


def fsync_folder(folder):
    """Make a rename in ``folder`` durable (best effort: not every file system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
