"""How every command of the package reports a failure: ``PROG: error: message`` on stderr (one
line, no traceback), as argparse does, and an exit code."""

import sys

EXIT_FAILED = 1       # the job ran and failed (a node died, some runs of a grid failed)
EXIT_USAGE = 2        # bad arguments, parameters, configuration or run folder: nothing ran
EXIT_INTERRUPTED = 130


def fail(prog: str, message: object, code: int = EXIT_USAGE) -> int:
    """Print ``prog: error: message`` to stderr and return ``code``."""
    print(f'{prog}: error: {message}', file=sys.stderr)
    return code
