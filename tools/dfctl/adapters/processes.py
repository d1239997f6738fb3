"""The processes adapter: the only module that starts programs (``subprocess``).

The sandbox runs etcd, kube-apiserver and kube-controller-manager as child processes; this
module starts them, finds them again by pid and start time, and stops their process groups.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STOP_GRACE = 15.0
LOG_TAIL_LINES = 40

_PR_SET_PDEATHSIG = 1
_libc: Any = None


def _load_libc() -> Any:
    global _libc  # noqa: PLW0603 - loaded once, before any fork, never in a child
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _libc


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: if the test process is killed outright, its
    # control planes go with it instead of lingering on the machine. SIGKILL, because all three
    # get the signal at once, and an apiserver whose etcd is gone hangs in graceful shutdown.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def process_start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (tells a reused pid apart)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):  # exited, waiting to be reaped
        return None
    return int(fields[19])


def stop_process_group(pid: int, start_time: int | None, grace: float = STOP_GRACE) -> bool:
    """SIGTERM the process group led by pid, then SIGKILL after the grace period.

    Only when pid still is the process recorded (same start time); returns whether it was.
    """
    if start_time is not None and process_start_time(pid) != start_time:
        return False
    steps = [(signal.SIGTERM, grace)] if grace > 0 else []
    for sig, wait in [*steps, (signal.SIGKILL, 5.0)]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if process_start_time(pid) is None:
                return True
            time.sleep(0.1)
    return True


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


class Process:
    """A long-running program started in a session of its own, its output in a log file.

    ``detach``: the program may outlive this one (``dfctl sandbox up``); otherwise it is killed
    when this process dies, however it dies.
    """

    def __init__(self, name: str, argv: Sequence[str], log: Path, *, detach: bool) -> None:
        self.name = name
        self.log = log
        self.argv = list(argv)
        log.parent.mkdir(parents=True, exist_ok=True)
        if not detach:
            _load_libc()
        with log.open("ab") as output:
            # A session of its own: a Ctrl-C meant for the caller does not hit it, and the
            # whole group can be signalled.
            self.popen: subprocess.Popen[bytes] | None = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=None if detach else _die_with_parent,  # noqa: PLW1509
            )
        self.pid = self.popen.pid
        self.start_time = process_start_time(self.pid)

    def exit_code(self) -> int | None:
        if self.popen is not None:
            return self.popen.poll()
        return None if process_start_time(self.pid) is not None else -1

    def failure(self, cluster: str) -> str:
        code = self.exit_code()
        return (
            f"cluster {cluster}: {self.name} exited with code {code} during start-up; "
            f"last lines of {self.log}:\n{tail(self.log)}"
        )

    def address_in_use(self) -> bool:
        return "address already in use" in tail(self.log, 200).lower()

    def stop(self, grace: float = STOP_GRACE) -> None:
        stop_process_group(self.pid, self.start_time, grace)
        if self.popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=5)

    def release(self) -> None:
        """Let the process outlive this one (dfctl sandbox up): forget it without reaping it."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            self.popen = None

    def record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "pid": self.pid,
            "start_time": self.start_time,
            "log": str(self.log),
        }
