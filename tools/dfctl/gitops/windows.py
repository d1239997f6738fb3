"""Change windows and freezes: may an environment be changed at a given moment?

Times are the environment's own (Asia/Shanghai). A window whose end is not after its start
crosses midnight: it opens on its listed days and closes the next morning. A freeze covers whole
days, start and end included, and wins over any window. An environment that declares no window
may be changed at any time outside its freezes. The moment is always passed in, never read from
the system clock here, so the decision can be tested and replayed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dfctl.model.environment import ChangeWindow, Environment, Freeze

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LOOKAHEAD_DAYS = 60


@dataclass(frozen=True)
class WindowCheck:
    allowed: bool
    reason: str  # why not, or which window is open


def _clock(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def _opens_on(window: ChangeWindow, day: dt.date) -> bool:
    return WEEKDAYS[day.weekday()] in window.days


def _span(window: ChangeWindow, day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The window as it opens on ``day``: (open, close) as aware datetimes."""
    start, end = _clock(window.start), _clock(window.end)
    opened = dt.datetime.combine(day, start, zone)
    closes_on = day if end > start else day + dt.timedelta(days=1)
    return opened, dt.datetime.combine(closes_on, end, zone)


def _describe(window: ChangeWindow) -> str:
    crosses = " (next day)" if _clock(window.end) <= _clock(window.start) else ""
    return f"{','.join(window.days)} {window.start}-{window.end}{crosses}"


def freeze_on(env: Environment, day: dt.date) -> Freeze | None:
    return next((f for f in env.freezes if f.start <= day <= f.end), None)


def open_window(env: Environment, now: dt.datetime) -> ChangeWindow | None:
    """The window of ``env`` that is open at ``now``, if any."""
    zone = ZoneInfo(env.timezone)
    local = now.astimezone(zone)
    for window in env.change_windows:
        for day in (local.date() - dt.timedelta(days=1), local.date()):
            if _opens_on(window, day):
                opened, closes = _span(window, day, zone)
                if opened <= local < closes:
                    return window
    return None


def next_opening(env: Environment, now: dt.datetime) -> dt.datetime | None:
    """When ``env`` may next be changed after ``now``: a window opening outside a freeze."""
    zone = ZoneInfo(env.timezone)
    local = now.astimezone(zone)
    candidates: list[dt.datetime] = []
    for offset in range(_LOOKAHEAD_DAYS):
        day = local.date() + dt.timedelta(days=offset)
        frozen = freeze_on(env, day)
        if not env.change_windows:
            if frozen is None and offset > 0:
                candidates.append(dt.datetime.combine(day, dt.time(0, 0), zone))
            continue
        for window in env.change_windows:
            if not _opens_on(window, day):
                continue
            opened, closes = _span(window, day, zone)
            if closes <= local:
                continue
            # a freeze ending mid-window lets the rest of it through from midnight
            start = max(opened, local)
            while freeze_on(env, start.date()) is not None and start < closes:
                start = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(), zone)
            if start < closes and start > local:
                candidates.append(start)
        if candidates:
            break
    return min(candidates) if candidates else None


def check_window(env: Environment, now: dt.datetime) -> WindowCheck:
    """May ``env`` be changed at ``now``? The reason names the freeze or the windows."""
    zone = ZoneInfo(env.timezone)
    local = now.astimezone(zone)
    stamp = f"{WEEKDAYS[local.weekday()]} {local:%Y-%m-%d %H:%M} {env.timezone}"
    frozen = freeze_on(env, local.date())
    if frozen is not None:
        why = f": {frozen.reason}" if frozen.reason else ""
        reason = (
            f"{env.name} is frozen at {stamp}: {frozen.name} "
            f"({frozen.start.isoformat()} to {frozen.end.isoformat()}){why}"
        )
        return WindowCheck(False, reason + _next(env, now))
    if not env.change_windows:
        return WindowCheck(True, f"{env.name} declares no change window")
    window = open_window(env, now)
    if window is None:
        windows = "; ".join(_describe(w) for w in env.change_windows)
        return WindowCheck(
            False,
            f"{env.name} is outside its change windows at {stamp} ({windows})" + _next(env, now),
        )
    return WindowCheck(True, f"inside the change window {_describe(window)}")


def _next(env: Environment, now: dt.datetime) -> str:
    upcoming = next_opening(env, now)
    if upcoming is None:
        return ""
    return f"; next opening {WEEKDAYS[upcoming.weekday()]} {upcoming:%Y-%m-%d %H:%M}"
