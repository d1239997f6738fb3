"""Schemas that help editors: every field described, and what JSON Schema can say of a value's
shape (quantities, ports, CIDRs, codes, names, digests, dates) said, so that an editor flags it.

Checked with the real check-jsonschema, as an editor's YAML language server or a pre-commit hook
would: the repository's files pass, and the failing case folders of the rules that check those
shapes fail on exactly the values JSON Schema can judge.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from dfctl.load.repo import WorkTree
from dfctl.model import KINDS, kind_for_path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
CASES = Path(__file__).parent / "cases"
FIXTURE_REPO = Path(__file__).parent / "fixtures" / "data-repo"


def _models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """``model`` and every model its fields hold, each once."""
    seen: set[type[BaseModel]] = set()
    todo = [model]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        yield current
        for field in current.model_fields.values():
            todo += [t for t in _inner_types(field.annotation) if _is_model(t)]


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _inner_types(annotation: Any) -> list[Any]:
    found = [annotation]
    for arg in typing.get_args(annotation):
        found += _inner_types(arg)
    return found


def test_every_model_field_has_a_description() -> None:
    undescribed = sorted(
        f"{model.__module__}.{model.__name__}.{name}"
        for info in KINDS.values()
        for model in _models(info.model)
        for name, field in model.model_fields.items()
        if not (field.description or "").strip()
    )
    assert undescribed == []


def _properties(schema: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, prop in schema.get("properties", {}).items():
        yield f"{where}.{name}", prop
    for name, sub in schema.get("$defs", {}).items():
        yield from _properties(sub, name)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_schema_property_carries_its_description(kind: str) -> None:
    schema = json.loads((SCHEMAS / KINDS[kind].schema_file).read_text(encoding="utf-8"))
    assert [path for path, prop in _properties(schema, kind) if not prop.get("description")] == []


def _check_jsonschema(kind: str, files: list[Path]) -> tuple[int, dict[str, Any]]:
    """Run the real check-jsonschema over ``files`` with ``kind``'s schema."""
    tool = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert tool is not None, "check-jsonschema is a dev dependency"
    done = subprocess.run(
        [tool, "--output-format", "JSON", "--schemafile", str(SCHEMAS / f"{kind}.json")]
        + [str(f) for f in files],
        capture_output=True,
        text=True,
        check=False,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, report


def _by_kind(root: Path) -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {}
    for path in WorkTree(root).data_paths():
        kind = kind_for_path(path)
        assert kind is not None, path
        files.setdefault(kind, []).append(root / path)
    return files


@pytest.mark.parametrize("root", [ROOT, FIXTURE_REPO], ids=["repository", "fixture-repo"])
def test_check_jsonschema_accepts_every_data_file(root: Path) -> None:
    for kind, files in sorted(_by_kind(root).items()):
        code, report = _check_jsonschema(kind, files)
        assert (code, report["status"], report["errors"]) == (0, "ok", []), kind


# Failing cases of the rules that check a shape: (case, file, kind) → the paths check-jsonschema
# must flag. What JSON Schema cannot say is left to the rule alone: host bits of a CIDR, a pod
# count of 1.5. Every other value the rule reports is flagged by the schema too.
BAD_EXAMPLES: list[tuple[str, str, str, list[str]]] = [
    (
        "access/ports-invalid",
        "portal/access-policies/AP-2026-0005.yaml",
        "AccessPolicy",
        # 0 and 70000 out of range; 8443 twice
        ["$.ports", "$.ports[1]", "$.ports[2]"],
    ),
    (
        "access/cidr-invalid",
        "portal/access-policies/AP-2026-0005.yaml",
        "AccessPolicy",
        # 10.30.8.300/22; the source 10.88.12.7/24 only has host bits set
        ["$.destination.cidr"],
    ),
    (
        "access/cidr-invalid",
        "portal/access-policies/AP-2026-0006.yaml",
        "AccessPolicy",
        ["$.source.cidr"],  # no prefix length
    ),
    ("access/cidr-invalid", "datahub/peers/icbc-xx.yaml", "DatahubPeer", ["$.cidrs[1]"]),
    (
        "access/cidr-invalid",
        "portal/systems/treasury-payment.yaml",
        "PortalSystem",
        [],  # 10.30.9.0/22 is well formed; its host bits are DFP-ACC-001's to find
    ),
    ("cloud/quantity-invalid", "cloud/clusters/tke-prod-a.yaml", "Cluster", ["$.capacity.memory"]),
    (
        "cloud/quantity-invalid",
        "cloud/namespaces/production/dfp-budget-prod.yaml",
        "Namespace",
        # "16 cores", "-512Gi", "0.5.0", "16gi"; pods "1.5" is a quantity, only not a count
        [
            "$.limit_range.default_request.cpu",
            "$.limit_range.max.memory",
            "$.quota['limits.memory']",
            "$.quota['requests.cpu']",
        ],
    ),
    (
        "cloud/dns-names",
        "cloud/namespaces/production/DFP-Execution-Prod.yaml",
        "Namespace",
        ["$.name"],
    ),
    (
        "cloud/dns-names",
        "cloud/namespaces/production/dfp-budget-prod.yaml",
        "Namespace",
        ["$.workloads[0].name", "$.workloads[1].name"],
    ),
    (
        "elements/code-digits",
        "standards/elements/fund-type-2026.yaml",
        "ElementSet",
        ["$.elements[2].code", "$.elements[3].code"],
    ),
    (
        "releases/image-not-pinned",
        "standards/releases/3.8.0.yaml",
        "Release",
        ["$.components[4].image", "$.components[5].image", "$.components[6].image"],
    ),
    (
        "structure/date-invalid",
        "standards/elements/exp-func-2026.yaml",
        "ElementSet",
        ["$.elements[1].start_date"],
    ),
]


@pytest.mark.parametrize(
    ("case", "path", "kind", "flagged"),
    BAD_EXAMPLES,
    ids=[f"{case}:{Path(path).name}" for case, path, _k, _f in BAD_EXAMPLES],
)
def test_check_jsonschema_flags_the_bad_examples(
    case: str, path: str, kind: str, flagged: list[str]
) -> None:
    file = CASES / case / "repo" / path
    assert (CASES / case / "expected.txt").is_file()
    code, report = _check_jsonschema(kind, [file])
    assert report.get("parse_errors", []) == []
    assert sorted(e["path"] for e in report["errors"]) == flagged
    assert code == (1 if flagged else 0)
