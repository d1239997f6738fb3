"""`schemas/`: generated from the models, kept in step, valid Draft 2020-12, accepting data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from dfctl.cli import main
from dfctl.fmt import kind_of
from dfctl.load.repo import WorkTree
from dfctl.load.yamlread import read_yaml
from dfctl.model import KINDS

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
FIXTURE_REPO = Path(__file__).resolve().parent / "fixtures" / "data-repo"


def run_schemas(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--repo", str(root), "schemas", *args])
    return code, capsys.readouterr().out


def copy_schemas(tmp_path: Path) -> Path:
    shutil.copytree(SCHEMAS, tmp_path / "schemas")
    return tmp_path


def load_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / KINDS[kind].schema_file).read_text("utf-8"))
    return schema


def test_schemas_are_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_schemas(ROOT, capsys, "--check") == (0, "")


def test_one_schema_per_kind() -> None:
    assert sorted(p.name for p in SCHEMAS.glob("*.json")) == sorted(
        info.schema_file for info in KINDS.values()
    )


def test_an_edited_schema_is_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy_schemas(tmp_path)
    target = tmp_path / "schemas" / "Cluster.json"
    schema = json.loads(target.read_text("utf-8"))
    schema["properties"]["name"]["maxLength"] = 30
    target.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", "utf-8")
    expected = "schemas/Cluster.json is stale; run `dfctl schemas`\n"
    assert run_schemas(tmp_path, capsys, "--check") == (1, expected)


def test_missing_and_extra_schemas_are_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy_schemas(tmp_path)
    (tmp_path / "schemas" / "Namespace.json").unlink()
    (tmp_path / "schemas" / "Workload.json").write_text("{}\n", "utf-8")
    assert run_schemas(tmp_path, capsys, "--check") == (
        1,
        "schemas/Namespace.json is stale; run `dfctl schemas`\n"
        "schemas/Workload.json is stale; run `dfctl schemas`\n",
    )
    assert run_schemas(tmp_path, capsys) == (
        0,
        "wrote schemas/Namespace.json\nwrote schemas/Workload.json\n",
    )
    assert run_schemas(tmp_path, capsys, "--check") == (0, "")
    assert not (tmp_path / "schemas" / "Workload.json").exists()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_schema_is_valid_draft_2020_12(kind: str) -> None:
    schema = load_schema(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["kind"]["const"] == kind


def _data_files(root: Path) -> list[tuple[Path, str]]:
    return [(root, path) for path in WorkTree(root).data_paths()]


def _errors(kind: str, data: object) -> list[str]:
    validator = Draft202012Validator(
        load_schema(kind), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return sorted(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)
    )


@pytest.mark.parametrize(
    ("root", "path"),
    _data_files(ROOT) + _data_files(FIXTURE_REPO),
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_data_file_validates_against_its_schema(root: Path, path: str) -> None:
    result = read_yaml(path, (root / path).read_bytes())
    assert result.diagnostics == []
    assert result.document is not None
    kind = kind_of(path, result.document.root.get("kind"))
    assert kind is not None
    assert _errors(kind, result.document.root) == []


def test_schema_rejects_what_the_model_rejects() -> None:
    path = "cloud/clusters/tke-acc-a.yaml"
    result = read_yaml(path, (FIXTURE_REPO / path).read_bytes())
    assert result.document is not None
    data = json.loads(json.dumps(result.document.root))
    data["capacity"]["storag"] = "20Ti"
    data["kubernetes_version"] = 1.3
    assert _errors("Cluster", data) == [
        "capacity: Additional properties are not allowed ('storag' was unexpected)",
        "kubernetes_version: 1.3 is not of type 'string'",
    ]
