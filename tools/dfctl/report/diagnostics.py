"""Render diagnostics as text, JSON, SARIF, GitHub workflow annotations or a GitLab Code Quality
report. Messages are already masked (a Diagnostic masks its own): no format prints a secret."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence

from dfctl import __version__
from dfctl.checks import RULES
from dfctl.diagnostics import Diagnostic, Severity


def as_text(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(f"{d}\n" for d in diagnostics)


FORMAT_VERSION = 1


def as_json(diagnostics: Sequence[Diagnostic]) -> str:
    """``{"format_version": 1, "diagnostics": [...]}`` (docs/output.md)."""
    document = {
        "format_version": FORMAT_VERSION,
        "diagnostics": [d.as_dict() for d in diagnostics],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


_GITLAB_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "minor", Severity.INFO: "info"}


def as_gitlab(diagnostics: Sequence[Diagnostic]) -> str:
    """A GitLab Code Quality report: the JSON array GitLab reads from a job's
    ``artifacts:reports:codequality`` and shows in the merge request.

    The fingerprint identifies a finding across pipelines, so GitLab can tell new findings from
    fixed ones: it hashes the rule, the file and the message, not the line (a line moves when
    lines are added above it), and the occurrence number when the same finding repeats.
    """
    seen: dict[str, int] = {}
    issues = []
    for d in diagnostics:
        identity = f"{d.rule}\0{d.file}\0{d.message}"
        seen[identity] = seen.get(identity, 0) + 1
        fingerprint = hashlib.sha256(f"{identity}\0{seen[identity]}".encode()).hexdigest()
        issues.append(
            {
                "description": f"{d.rule} {d.message}",
                "check_name": d.rule,
                "fingerprint": fingerprint,
                "severity": _GITLAB_SEVERITY[d.severity],
                "location": {"path": d.file, "lines": {"begin": d.line}},
            }
        )
    return json.dumps(issues, ensure_ascii=False, indent=2) + "\n"


def as_github(diagnostics: Sequence[Diagnostic]) -> str:
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    return "".join(
        f"::{level[d.severity]} file={d.file},line={d.line},col={d.column},title={d.rule}::"
        f"{_escape_github(d.message)}\n"
        for d in diagnostics
    )


def _escape_github(message: str) -> str:
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def as_sarif(diagnostics: Sequence[Diagnostic]) -> str:
    used = sorted({d.rule for d in diagnostics})
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dfctl",
                        "version": __version__,
                        "rules": [
                            {
                                "id": rule_id,
                                "shortDescription": {
                                    "text": RULES[rule_id].summary if rule_id in RULES else rule_id
                                },
                                "fullDescription": {
                                    "text": RULES[rule_id].doc if rule_id in RULES else rule_id
                                },
                            }
                            for rule_id in used
                        ],
                    }
                },
                "results": [
                    {
                        "ruleId": d.rule,
                        "level": level[d.severity],
                        "message": {"text": d.message},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": d.file},
                                    "region": {"startLine": d.line, "startColumn": d.column},
                                }
                            }
                        ],
                    }
                    for d in diagnostics
                ],
            }
        ],
    }
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


FORMATS: dict[str, Callable[[Sequence[Diagnostic]], str]] = {
    "text": as_text,
    "json": as_json,
    "sarif": as_sarif,
    "github": as_github,
    "gitlab": as_gitlab,
}
