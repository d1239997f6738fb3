"""Render diagnostics as text, JSON, SARIF or GitHub workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from dfctl import __version__
from dfctl.checks import RULES
from dfctl.diagnostics import Diagnostic, Severity


def as_text(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(f"{d}\n" for d in diagnostics)


def as_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps([d.as_dict() for d in diagnostics], ensure_ascii=False, indent=2) + "\n"


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
}
