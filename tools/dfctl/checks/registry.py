"""The rule registry: every rule has an id, a severity and a docstring with examples.

Rules are plain functions registered with a decorator. A repository rule receives the
:class:`CheckContext` and yields :class:`Finding` values; a file rule receives one parsed YAML
document (before it is modelled) and yields :class:`RawFinding` values. The runner turns both into
Diagnostics. Rules never print.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from dfctl.diagnostics import Diagnostic, Severity
from dfctl.load.repo import Repo
from dfctl.load.yamlread import Document as YamlDocument
from dfctl.model.base import Source, Strict


@dataclass(frozen=True)
class CheckContext:
    repo: Repo
    today: dt.date
    base: Repo | None = None  # the same repository at --base REV, for evolution rules


@dataclass(frozen=True)
class Finding:
    """A problem with ``where`` (a model object or its Source), at ``key``'s value or the key."""

    where: Strict | Source
    key: str | None
    message: str
    severity: Severity | None = None
    at_key: bool = False


@dataclass(frozen=True)
class RawFinding:
    line: int
    column: int
    message: str
    severity: Severity | None = None


RepoCheck = Callable[[CheckContext], Iterable[Finding]]
FileCheckFn = Callable[[YamlDocument], Iterable[RawFinding]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    scope: Literal["repo", "file", "loader"]
    doc: str
    check: RepoCheck | FileCheckFn | None = None

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""


RULES: dict[str, Rule] = {}


def _register(rule: Rule) -> None:
    if rule.id in RULES:
        raise ValueError(f"rule {rule.id} is registered twice")
    RULES[rule.id] = rule


def repo_rule(
    rule_id: str, severity: Severity = Severity.ERROR
) -> Callable[[RepoCheck], RepoCheck]:
    def register(check: RepoCheck) -> RepoCheck:
        _register(Rule(rule_id, severity, "repo", inspect.cleandoc(check.__doc__ or ""), check))
        return check

    return register


def file_rule(
    rule_id: str, severity: Severity = Severity.ERROR
) -> Callable[[FileCheckFn], FileCheckFn]:
    def register(check: FileCheckFn) -> FileCheckFn:
        _register(Rule(rule_id, severity, "file", inspect.cleandoc(check.__doc__ or ""), check))
        return check

    return register


def loader_rule(rule_id: str, doc: str, severity: Severity = Severity.ERROR) -> None:
    """Document a rule the loader itself enforces (it has no check function of its own)."""
    _register(Rule(rule_id, severity, "loader", inspect.cleandoc(doc)))


def to_diagnostic(rule: Rule, finding: Finding) -> Diagnostic:
    source = finding.where if isinstance(finding.where, Source) else finding.where.src
    if finding.at_key and finding.key is not None:
        line, column = source.key_at(finding.key)
    else:
        line, column = source.at(finding.key)
    return Diagnostic(
        source.file, line, column, rule.id, finding.severity or rule.severity, finding.message
    )


def run_file_rules(document: YamlDocument) -> Iterator[Diagnostic]:
    for rule in RULES.values():
        if rule.scope == "file" and rule.check is not None:
            for raw in rule.check(document):  # type: ignore[arg-type]
                assert isinstance(raw, RawFinding)
                yield Diagnostic(
                    document.path,
                    raw.line,
                    raw.column,
                    rule.id,
                    raw.severity or rule.severity,
                    raw.message,
                )


def run_repo_rules(context: CheckContext) -> Iterator[Diagnostic]:
    for rule in RULES.values():
        if rule.scope == "repo" and rule.check is not None:
            for finding in rule.check(context):  # type: ignore[arg-type]
                assert isinstance(finding, Finding)
                yield to_diagnostic(rule, finding)
