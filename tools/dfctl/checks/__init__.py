"""Every rule, in one explicit table (as yamllint's ``rules/__init__.py`` keeps its own).

A rule module lists its rules in ``RULES``; adding a module means adding it here.
"""

from __future__ import annotations

from collections.abc import Iterator

from dfctl.checks import (
    access,
    approvals,
    capacity,
    cloud,
    control_rules,
    datahub,
    elements,
    evolution,
    exchange,
    loader_rules,
    locks,
    placement,
    portal,
    references,
    registry,
    releases,
    retention,
    schedule,
    schema_line,
    secrets,
    sysconfig,
)
from dfctl.checks.registry import CheckContext, Finding, RawFinding, Rule
from dfctl.diagnostics import Diagnostic
from dfctl.load.yamlread import Document as YamlDocument

RULES: dict[str, Rule] = registry.rule_table(
    loader_rules.RULES,
    schema_line.RULES,
    secrets.RULES,
    elements.RULES,
    evolution.RULES,
    locks.RULES,
    references.RULES,
    sysconfig.RULES,
    control_rules.RULES,
    releases.RULES,
    cloud.RULES,
    capacity.RULES,
    access.RULES,
    retention.RULES,
    exchange.RULES,
    approvals.RULES,
    placement.RULES,
    portal.RULES,
    datahub.RULES,
    schedule.RULES,
)


def run_file_rules(document: YamlDocument) -> Iterator[Diagnostic]:
    """Every file rule on one parsed document, before it is modelled."""
    return registry.run_file_rules(RULES.values(), document)


def run_repo_rules(context: CheckContext) -> Iterator[Diagnostic]:
    """Every repository rule on a loaded repository."""
    return registry.run_repo_rules(RULES.values(), context)


__all__ = [
    "RULES",
    "CheckContext",
    "Finding",
    "RawFinding",
    "Rule",
    "run_file_rules",
    "run_repo_rules",
]
