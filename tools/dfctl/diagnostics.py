"""The one record every check produces: a finding with a rule id and a 1-based position."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from dfctl.redact import redact


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    """A finding at ``file:line:column``. Positions are 1-based; line 0 is rejected.

    The message is masked as the record is made: whatever a rule quotes, a secret that
    :mod:`dfctl.redact` recognises never reaches an output format (or a log)."""

    file: str
    line: int
    column: int
    rule: str
    severity: Severity
    message: str

    def __post_init__(self) -> None:
        if self.line < 1 or self.column < 1:
            raise ValueError(
                f"positions are 1-based, got {self.line}:{self.column} for {self.rule}"
            )
        masked = redact(self.message)
        if masked != self.message:
            object.__setattr__(self, "message", masked)

    def __str__(self) -> str:
        """The one text form: ``file:line:col: severity RULE message``."""
        return (
            f"{self.file}:{self.line}:{self.column}: {self.severity.value} {self.rule} "
            f"{self.message}"
        )

    def as_dict(self) -> dict[str, str | int]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
        }


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    return (d.file, d.line, d.column, d.rule, d.message)
