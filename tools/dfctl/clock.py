"""The platform's clock: the finance bureau works in Asia/Shanghai, and so do dates in the data
(expiry dates, change windows, freezes)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today_in_shanghai(now: dt.datetime | None = None) -> dt.date:
    """The date in Shanghai at ``now`` (default: the clock)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(SHANGHAI).date()
