"""How the report shows numbers: amounts in a quota's own unit, percentages and times."""

from __future__ import annotations

from datetime import datetime, timedelta

from dfctl.inspect.findings import LocalText

_BINARY_UNITS = ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei")


def number(amount: float) -> str:
    """At most two decimals and no trailing zeros: 4 → "4", 30.72 → "30.72", 0.5 → "0.5"."""
    text = f"{amount:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def binary_bytes(amount: float) -> str:
    """Bytes in the largest binary unit that keeps the number at least 1, Kubernetes style."""
    unit = ""
    for suffix in _BINARY_UNITS:
        if amount < 1024:
            break
        amount /= 1024
        unit = suffix
    return number(amount) + unit


def quota_amount(resource: str, amount: float) -> str:
    """A ResourceQuota amount as kubectl users read it: memory and storage in Ki/Mi/Gi/Ti, CPU in
    cores, anything else (pods, counts) as a plain number."""
    if resource.endswith(("memory", "storage")):
        return binary_bytes(amount)
    return number(amount)


def percent(value: int) -> str:
    return f"{value} %"


def moment(when: datetime) -> str:
    """A time in its own offset, which for this report is Beijing time: "2025-11-30 09:30 UTC+08:00"."""
    offset = when.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    zone = "UTC" if minutes == 0 else f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return f"{when:%Y-%m-%d %H:%M} {zone}"


def day(when: datetime) -> LocalText:
    """The date of a time in its own offset: "2025年11月30日" in Chinese, "2025-11-30" in English."""
    return LocalText(f"{when.year}年{when.month}月{when.day}日", f"{when:%Y-%m-%d}")
