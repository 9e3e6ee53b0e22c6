"""Atomic file replacement: write a temporary file in the same folder, fsync it, rename it over
the target, fsync the folder. A crash leaves either the old or the new file, never a torn one.
Files get the ordinary permissions of the process's umask (mkstemp alone would make them 0600).

A process killed while writing leaves its temporary file (``.NAME.<random>.tmp`` next to NAME);
``remove_stale_temps(path)`` removes those of ``path`` that no live writer holds: each writer
holds an exclusive flock on its temporary file until the rename, and the kernel releases it when
the writer dies. With ``backup=True`` the file being replaced is kept as ``NAME.bak`` (a hard
link, renamed atomically, so at every instant NAME and NAME.bak are each a complete file).
"""

from collections.abc import Iterator
from contextlib import contextmanager
import fcntl
import glob
import os
import shutil
import tempfile
from typing import IO, Any

PathLike = str | os.PathLike[str]

BACKUP_SUFFIX = '.bak'
TEMP_SUFFIX = '.tmp'

# The umask can only be read by setting it; do it once, at import, on the main thread.
_UMASK = os.umask(0)
os.umask(_UMASK)


def _temp_prefix(path: str) -> str:
    return '.' + os.path.basename(path) + '.'


def backup_path(path: PathLike) -> str:
    """Where ``atomic_file(path, backup=True)`` keeps the previous file."""
    return os.fspath(path) + BACKUP_SUFFIX


@contextmanager
def atomic_file(path: PathLike, mode: str = 'wb', backup: bool = False,
                **open_kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file that replaces ``path`` when the block ends without an exception;
    with ``backup``, the replaced file is kept as ``path + '.bak'``."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=TEMP_SUFFIX, dir=folder)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # held until the rename: not stale while we write
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, mode, closefd=False, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if backup and os.path.exists(path):
            _keep_backup(path, folder)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        os.close(fd)
    fsync_folder(folder)


def _keep_backup(path: str, folder: str) -> None:
    """Make ``path.bak`` the current ``path`` (a hard link renamed into place; a copy where the
    file system has no hard links)."""
    fd, link = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=TEMP_SUFFIX, dir=folder)
    os.close(fd)
    try:
        os.unlink(link)
        try:
            os.link(path, link)
        except OSError:
            shutil.copy2(path, link)
        os.replace(link, backup_path(path))
    except BaseException:
        if os.path.exists(link):
            os.unlink(link)
        raise


def write_atomic(path: PathLike, data: str | bytes) -> None:
    """Replace ``path`` by ``data`` (bytes, or text written as UTF-8) atomically."""
    if isinstance(data, str):
        with atomic_file(path, 'w', encoding='utf-8', newline='') as f:
            f.write(data)
    else:
        with atomic_file(path, 'wb') as f:
            f.write(data)


def stale_temps(path: PathLike) -> list[str]:
    """The temporary files of ``path`` (``.NAME.*.tmp`` in its folder)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    pattern = glob.escape(_temp_prefix(path)) + '*' + TEMP_SUFFIX
    return sorted(glob.glob(os.path.join(glob.escape(folder), pattern)))


def remove_stale_temps(path: PathLike) -> list[str]:
    """Remove the temporary files that writers of ``path`` left when they died (a kill -9
    during a write); a file a live writer holds is kept. Returns the paths removed."""
    removed = []
    for temp in stale_temps(path):
        try:
            fd = os.open(temp, os.O_RDONLY)
        except OSError:
            continue  # gone meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a live writer holds it
        else:
            os.unlink(temp)
            removed.append(temp)
        finally:
            os.close(fd)
    return removed


def fsync_folder(folder: str) -> None:
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
