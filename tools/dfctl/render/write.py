"""Serialise a DesiredState deterministically: to a folder tree, or to one YAML stream."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from dfctl.errors import OutputError
from dfctl.render.state import DesiredState, KubeObject

MARKER = ".dfctl-render"


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.width = 4096
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    return yaml


def dump_yaml(data: Any) -> str:
    stream = io.StringIO()
    _yaml().dump(data, stream)
    return stream.getvalue()


def document_json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def as_stream(state: DesiredState) -> str:
    parts: list[str] = []
    for obj in state.objects:
        parts.append(f"# cluster: {obj.cluster}\n" + dump_yaml(obj.body))
    for doc in state.documents:
        parts.append(dump_yaml({"key": doc.key, "value": doc.value}))
    return "---\n" + "---\n".join(parts) if parts else ""


def _object_file(obj: KubeObject) -> str:
    namespace = obj.namespace or "_cluster"
    return f"{namespace}/{obj.kind.lower()}-{obj.name}.yaml"


def write_tree(state: DesiredState, out: Path) -> int:
    """Write ``out/<env>/kubernetes/<cluster>/<namespace>/<kind>-<name>.yaml`` and
    ``out/<env>/configservice/<key>.json``. Returns the number of files written."""
    target = out / state.environment
    if target.exists():
        if not (target / MARKER).is_file():
            raise OutputError(
                f"{target} exists and was not written by dfctl render; choose another --out"
            )
        shutil.rmtree(target)
    written = 0
    for obj in state.objects:
        path = target / "kubernetes" / obj.cluster / _object_file(obj)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_yaml(obj.body), encoding="utf-8")
        written += 1
    for doc in state.documents:
        relative = doc.key.removeprefix(f"/dfp/{state.environment}/")
        path = target / "configservice" / f"{relative}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document_json(doc.value), encoding="utf-8")
        written += 1
    (target / MARKER).write_text(
        "written by dfctl render; the folder is replaced on every run\n", encoding="utf-8"
    )
    return written
