"""Generate the JSON Schemas in ``schemas/`` from the models (they are never edited by hand)."""

from __future__ import annotations

import json
from pathlib import Path

from dfctl.model import KINDS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def render_schemas() -> dict[str, str]:
    """File name -> JSON text of every kind's schema, deterministic."""
    rendered: dict[str, str] = {}
    for kind, info in KINDS.items():
        schema = info.model.model_json_schema(by_alias=True, mode="validation")
        schema = {"$schema": SCHEMA_DIALECT, "$id": f"dfp.config/v1/{kind}", **schema}
        rendered[info.schema_file] = (
            json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        )
    return rendered


def stale_schemas(folder: Path) -> list[str]:
    """Schema files that are missing, different, or no longer generated."""
    expected = render_schemas()
    stale = [
        name
        for name, text in expected.items()
        if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text
    ]
    if folder.is_dir():
        stale += [p.name for p in folder.glob("*.json") if p.name not in expected]
    return sorted(stale)


def write_schemas(folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    expected = render_schemas()
    for name, text in expected.items():
        target = folder / name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            written.append(name)
    for old in folder.glob("*.json"):
        if old.name not in expected:
            old.unlink()
            written.append(old.name)
    return sorted(written)
