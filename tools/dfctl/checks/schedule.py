"""Rules for when an environment may change: change windows and freezes (变更窗口, 封网期)."""

from __future__ import annotations

from collections.abc import Iterator

from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import Environment


@repo_rule("DFP-ENV-001", Severity.ERROR)
def freeze_ends_after_start(ctx: CheckContext) -> Iterator[Finding]:
    """A freeze ends on or after the day it starts.

    A freeze covers whole days, start and end included; one whose end precedes its start
    covers no day at all, and the year-end close would go unprotected.

    Passing:
        freezes:
          - name: 2026年度年终决算
            start: "2026-12-20"
            end: "2027-01-15"

    Failing:
        freezes:
          - name: 2026年度年终决算
            start: "2026-12-20"
            end: "2026-01-15"         # the year is wrong: the freeze covers nothing
    """
    for environment in ctx.repo.of(Environment):
        for freeze in environment.freezes:
            if freeze.end < freeze.start:
                yield Finding(
                    freeze,
                    "end",
                    f'freeze "{freeze.name}" ends on'
                    f" {freeze.end}, before it starts on "
                    f"{freeze.start}; it covers no day",
                )


@repo_rule("DFP-ENV-002", Severity.ERROR)
def window_has_a_length(ctx: CheckContext) -> Iterator[Finding]:
    """A change window ends at another time than it starts.

    A window whose end is earlier than its start crosses midnight (22:00-06:00 closes the next
    morning), so that is not a mistake; one whose end equals its start could mean no time or the
    whole day, and is read as 24 hours. Write what is meant.

    Passing:
        change_windows:
          - days: [mon, tue, wed, thu, fri]
            start: "22:00"
            end: "06:00"              # crosses midnight

    Failing:
        change_windows:
          - days: [sat]
            start: "09:00"
            end: "09:00"
    """
    for environment in ctx.repo.of(Environment):
        for window in environment.change_windows:
            if window.start == window.end:
                yield Finding(
                    window,
                    "end",
                    f"change window {','.join(window.days)} starts and ends at {window.start}; "
                    "write the time it closes (an end before the start crosses midnight)",
                )


RULES = (freeze_ends_after_start, window_has_a_length)
