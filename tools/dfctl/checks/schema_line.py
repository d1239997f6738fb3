"""Rules: the canonical form of data files (the schema line; what `dfctl fmt` cannot rewrite)."""

from __future__ import annotations

from collections.abc import Iterator

from dfctl.checks.registry import RawFinding, file_rule, loader_rule
from dfctl.diagnostics import Severity
from dfctl.fmt import RULE_FORMAT, SCHEMA_LINE, kind_of, schema_line_for, schema_target
from dfctl.load.yamlread import Document as YamlDocument


@file_rule("DFP-STR-006", Severity.WARNING)
def schema_line(doc: YamlDocument) -> Iterator[RawFinding]:
    """The first line names the JSON Schema of the file's kind, by a path relative to the file.

    Editors with the YAML language server complete and check a file through this line; `dfctl fmt`
    writes it.

    Passing:
        # yaml-language-server: $schema=../../schemas/Cluster.json
        apiVersion: dfp.config/v1
        kind: Cluster                     # cloud/clusters/tke-prod-a.yaml

    Failing:
        # yaml-language-server: $schema=../schemas/Cluster.json
        apiVersion: dfp.config/v1
        kind: Cluster                     # one folder too shallow: no completion in editors
    """
    kind = kind_of(doc.path, doc.root.get("kind"))
    wanted = schema_line_for(doc.path, kind)
    if kind is None or wanted is None or doc.first_line == wanted:
        return
    written = doc.first_line.strip()
    found = SCHEMA_LINE.fullmatch(written)
    expected = schema_target(doc.path, kind)
    if found is None:
        yield RawFinding(1, 1, f'first line is not the schema line; expected "{wanted}"')
    elif found.group("target") != expected:
        indent = len(doc.first_line) - len(doc.first_line.lstrip())
        column = indent + found.start("target") + 1
        yield RawFinding(
            1, column, f'schema line points to "{found.group("target")}"; expected "{expected}"'
        )
    else:
        yield RawFinding(1, 1, f'schema line is not written canonically; expected "{wanted}"')


canonical_format = loader_rule(
    RULE_FORMAT,
    """`dfctl fmt` can rewrite the file without losing a comment or changing its data.

    Reported by `dfctl fmt` only; the file is left as it is.

    Passing:
        ports:
          - 443   # 统一门户
          - 8443

    Failing:
        ports: [443,   # 统一门户: a comment inside [ ] cannot be kept
                8443]
    """,
)

RULES = (schema_line, canonical_format)
