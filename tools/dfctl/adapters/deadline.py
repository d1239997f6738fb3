"""How long the adapters wait: per request (connect, read) and for a whole run (``--timeout``).

A request waits at most ``connect`` seconds for a connection (the TLS handshake included) and
``read`` seconds for each answer; a run that has a deadline never waits past it. The adapters
take their request timeouts from here and clip them to what the run has left.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from dfctl.errors import TargetUnreachable


@dataclass(frozen=True)
class Timeouts:
    connect: float
    read: float
    run_limit: float | None = None  # set when the run's deadline shortened them: its --timeout

    def waited(self, what: str) -> str:
        """``no answer within 10 s (read timeout)``, or the run's limit when that was shorter."""
        if self.run_limit is not None:
            return f"no {what} before the run's --timeout of {self.run_limit:g} s ran out"
        seconds = self.connect if what == "connection" else self.read
        kind = "connect" if what == "connection" else "read"
        return f"no {what} within {seconds:g} s ({kind} timeout)"


class Deadline:
    """The moment a run must end by; ``None`` seconds is no deadline at all."""

    def __init__(
        self, seconds: float | None, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.monotonic = monotonic
        self.ends = None if seconds is None else monotonic() + seconds

    def remaining(self) -> float | None:
        return None if self.ends is None else self.ends - self.monotonic()

    def clip(self, timeouts: Timeouts, what: str) -> Timeouts:
        """``timeouts`` shortened to what is left; TargetUnreachable when nothing is."""
        left = self.remaining()
        if left is None:
            return timeouts
        if left <= 0:
            raise TargetUnreachable(
                f"{what}: gave up, the run's --timeout of {self.seconds:g} s is spent"
            )
        if left >= max(timeouts.connect, timeouts.read):
            return timeouts
        return Timeouts(min(timeouts.connect, left), min(timeouts.read, left), self.seconds)


NO_DEADLINE = Deadline(None)
