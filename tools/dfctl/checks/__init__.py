"""All rules. Importing this package registers every rule module."""

from dfctl.checks import (  # noqa: F401  (imported to register their rules)
    access,
    cloud,
    control_rules,
    elements,
    evolution,
    loader_rules,
    references,
    releases,
    schema_line,
    secrets,
    sysconfig,
)
from dfctl.checks.registry import (
    RULES,
    CheckContext,
    Finding,
    RawFinding,
    Rule,
    run_file_rules,
    run_repo_rules,
)

__all__ = [
    "RULES",
    "CheckContext",
    "Finding",
    "RawFinding",
    "Rule",
    "run_file_rules",
    "run_repo_rules",
]
