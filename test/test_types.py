"""The package passes its type check (mypy; mypy.ini says which modules, at which strictness)."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_mypy_passes():
    # mypy.ini names the files and keeps the cache in .mypy_cache (a warm run takes about 1 s).
    result = subprocess.run([sys.executable, '-m', 'mypy', '--config-file',
                             os.path.join(ROOT, 'mypy.ini')], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
