"""What a rule is: an id, a severity, a docstring with examples, and a check function.

A rule is a plain function turned into a :class:`Rule` by a decorator; each rule module lists its
rules in a ``RULES`` tuple, and ``dfctl.checks`` puts them in one table. A repository rule
receives the :class:`CheckContext` and yields :class:`Finding` values; a file rule receives one
parsed YAML document (before it is modelled) and yields :class:`RawFinding` values. The runners
turn both into Diagnostics. Rules never print.
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


def repo_rule(rule_id: str, severity: Severity = Severity.ERROR) -> Callable[[RepoCheck], Rule]:
    def make(check: RepoCheck) -> Rule:
        return Rule(rule_id, severity, "repo", inspect.cleandoc(check.__doc__ or ""), check)

    return make


def file_rule(rule_id: str, severity: Severity = Severity.ERROR) -> Callable[[FileCheckFn], Rule]:
    def make(check: FileCheckFn) -> Rule:
        return Rule(rule_id, severity, "file", inspect.cleandoc(check.__doc__ or ""), check)

    return make


def loader_rule(rule_id: str, doc: str, severity: Severity = Severity.ERROR) -> Rule:
    """Document a rule the loader itself enforces (it has no check function of its own)."""
    return Rule(rule_id, severity, "loader", inspect.cleandoc(doc))


def rule_table(*groups: Iterable[Rule]) -> dict[str, Rule]:
    """Every rule of ``groups`` by id; an id used twice is a mistake in dfctl."""
    table: dict[str, Rule] = {}
    for group in groups:
        for rule in group:
            if rule.id in table:
                raise ValueError(f"rule {rule.id} is defined twice")
            table[rule.id] = rule
    return table


def to_diagnostic(rule: Rule, finding: Finding) -> Diagnostic:
    source = finding.where if isinstance(finding.where, Source) else finding.where.src
    if finding.at_key and finding.key is not None:
        line, column = source.key_at(finding.key)
    else:
        line, column = source.at(finding.key)
    return Diagnostic(
        source.file, line, column, rule.id, finding.severity or rule.severity, finding.message
    )


def run_file_rules(rules: Iterable[Rule], document: YamlDocument) -> Iterator[Diagnostic]:
    for rule in rules:
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


def run_repo_rules(rules: Iterable[Rule], context: CheckContext) -> Iterator[Diagnostic]:
    for rule in rules:
        if rule.scope == "repo" and rule.check is not None:
            for finding in rule.check(context):  # type: ignore[arg-type]
                assert isinstance(finding, Finding)
                yield to_diagnostic(rule, finding)
