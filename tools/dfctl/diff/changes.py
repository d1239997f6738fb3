"""What a review diff is made of: changed objects and the risk flags raised on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from dfctl.diff.fields import FieldChange


@dataclass(frozen=True)
class ObjectChange:
    environment: str
    target: str  # a cluster name, or "configservice"
    kind: str
    ref: str
    op: Literal["add", "change", "remove"]
    fields: tuple[FieldChange, ...]
    source: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None


@dataclass(frozen=True)
class RiskFlag:
    code: str
    environment: str
    ref: str
    detail: str
