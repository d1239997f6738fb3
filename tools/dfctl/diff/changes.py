"""What a review diff is made of: changed objects and the risk flags raised on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from dfctl.diff.fields import FieldChange, RowChange, RowCounts, count_rows


@dataclass(frozen=True)
class ObjectChange:
    """One object or document of one environment, added, changed or removed.

    A change lists its plain field changes in ``fields`` and the rows of its identified lists
    (element codes, configuration items, control rules, ports …) in ``rows``.
    """

    environment: str
    target: str  # a cluster name, or "configservice"
    kind: str
    ref: str
    op: Literal["add", "change", "remove"]
    fields: tuple[FieldChange, ...]
    source: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    rows: tuple[RowChange, ...] = ()

    def row_counts(self) -> list[RowCounts]:
        """Rows added, retired, changed and removed, per list."""
        return count_rows(self.rows)


@dataclass(frozen=True)
class RiskFlag:
    code: str
    environment: str
    ref: str
    detail: str
