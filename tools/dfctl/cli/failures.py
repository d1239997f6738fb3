"""The one place where an error becomes a message on stderr and an exit code.

dfctl's own errors (``dfctl.errors``) are expected: each kind has its message and code here.
Anything else is a fault in dfctl: one line, exit 2, and a traceback only with $DFCTL_DEBUG set.
"""

from __future__ import annotations

import os
import sys
import traceback

from dfctl.cli.common import EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_USAGE
from dfctl.errors import (
    ApplyRefused,
    DfctlError,
    RenderError,
    SandboxError,
    SourceError,
    SpreadsheetError,
    TargetError,
    UsageError,
    ValidationFailed,
)

_APPLY_HINT = "the applied-revision markers were not moved; re-run apply to converge"


def report(error: BaseException, command: str) -> int:
    """Print what went wrong for ``command`` and return the exit code."""
    if isinstance(error, KeyboardInterrupt):
        _say("interrupted")
        return EXIT_INTERRUPTED
    if isinstance(error, (UsageError, SourceError)):
        _say(str(error))
        return EXIT_USAGE
    if isinstance(error, ValidationFailed):
        sys.stdout.write("".join(f"{d}\n" for d in error.errors))
        _say(str(error))
        return EXIT_FINDINGS
    if isinstance(error, RenderError):
        if not error.problems:  # an environment that does not exist: a usage error
            _say(str(error))
            return EXIT_USAGE
        sys.stdout.write("".join(f"{p}\n" for p in error.problems))
        _say(str(error))
        return EXIT_FINDINGS
    if isinstance(error, SpreadsheetError):
        sys.stdout.write("".join(f"{p}\n" for p in error.problems))
        _say(str(error))
        return EXIT_FINDINGS
    if isinstance(error, ApplyRefused):
        _say(f"apply refused: {error}")
        return EXIT_FINDINGS
    if isinstance(error, TargetError):
        _say(f"{command} failed: {error}")
        if command == "apply":
            _say(_APPLY_HINT)
        return EXIT_FINDINGS
    if isinstance(error, (SandboxError, DfctlError)):
        _say(str(error))
        return EXIT_FINDINGS
    if isinstance(error, (SystemExit, GeneratorExit)):
        raise error
    _say(f"internal error: {type(error).__name__}: {error}")
    if os.environ.get("DFCTL_DEBUG"):
        traceback.print_exception(error)
    return EXIT_USAGE


def _say(message: str) -> None:
    sys.stderr.write(f"dfctl: {message}\n")
