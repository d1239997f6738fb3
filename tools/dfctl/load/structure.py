"""Check one parsed document against its model and turn every failure into a positioned Diagnostic.

Pydantic reports a failure as a path (``("elements", 5, "code")``); the path is walked through the
positions the reader kept, so the diagnostic points at the value itself, at the key for an unknown
key, and at the enclosing mapping for a missing one.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from dfctl.diagnostics import Diagnostic, Severity
from dfctl.load.yamlread import Document as YamlDocument
from dfctl.load.yamlread import YMap, YSeq
from dfctl.model import KINDS, kind_for_path
from dfctl.model.base import Document, Source, Strict

RULE_ENVELOPE = "DFP-STR-001"
RULE_SCHEMA = "DFP-STR-002"
RULE_UNKNOWN_KEY = "DFP-STR-003"
RULE_NUMBER_FOR_STRING = "DFP-STR-004"
RULE_FOLDER = "DFP-STR-005"


def check_structure(ydoc: YamlDocument) -> tuple[Document | None, list[Diagnostic]]:
    """Validate ``ydoc`` against the model its ``kind`` names; attach positions on success."""
    root = ydoc.root
    path = ydoc.path
    found: list[Diagnostic] = []
    kind = root.get("kind")
    api_version = root.get("apiVersion")
    if api_version != "dfp.config/v1":
        line, column = _value_pos(root, "apiVersion")
        shown = "missing" if api_version is None else repr(api_version)
        found.append(
            Diagnostic(path, line, column, RULE_ENVELOPE, Severity.ERROR, f"apiVersion is {shown}; expected dfp.config/v1")
        )
    if not isinstance(kind, str) or kind not in KINDS:
        line, column = _value_pos(root, "kind")
        shown = "missing" if kind is None else repr(kind)
        expected = kind_for_path(path)
        hint = f"; this folder holds {expected}" if expected else f"; one of {', '.join(sorted(KINDS))}"
        found.append(Diagnostic(path, line, column, RULE_ENVELOPE, Severity.ERROR, f"kind is {shown}{hint}"))
        return None, found
    info = KINDS[kind]
    if not info.path.match(path):
        line, column = _value_pos(root, "kind")
        where = kind_for_path(path)
        found.append(
            Diagnostic(
                path,
                line,
                column,
                RULE_FOLDER,
                Severity.ERROR,
                f"{kind} files belong in {info.folder}"
                + (f"; this folder holds {where}" if where else "; this folder holds no kind"),
            )
        )
    if found:
        return None, found
    try:
        model = info.model.model_validate(root)
    except ValidationError as exc:
        return None, list(_diagnostics_from(exc, ydoc, info.model))
    attach_sources(model, root, path)
    return model, []


def _value_pos(node: YMap, key: str) -> tuple[int, int]:
    pos = node.key_pos.get(key)
    return (pos[2], pos[3]) if pos else (node.line, node.column)


def _diagnostics_from(
    exc: ValidationError, ydoc: YamlDocument, model: type[BaseModel]
) -> Iterator[Diagnostic]:
    merged: dict[tuple[int, int, str], list[str]] = {}
    order: list[tuple[int, int, str]] = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        kind = error["type"]
        data_path, node, line, column = _walk(ydoc.root, loc, at_key=kind == "extra_forbidden")
        shown_path = _show_path(data_path)
        if kind == "extra_forbidden":
            rule = RULE_UNKNOWN_KEY
            name = str(data_path[-1]) if data_path else "?"
            allowed = _allowed_keys(model, data_path[:-1])
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = f"unknown key {name!r}{hint} (allowed: {', '.join(allowed)})"
        elif kind == "missing":
            rule = RULE_SCHEMA
            message = f"missing required key {shown_path!r}"
        elif kind == "string_type" and isinstance(node, (int, float)) and not isinstance(node, bool):
            rule = RULE_NUMBER_FOR_STRING
            text = ydoc.number_text.get((line, column), str(node))
            message = f'{shown_path} is the number {text}; codes and names are strings: write "{text}"'
        else:
            rule = RULE_SCHEMA
            message = f"{shown_path}: {error['msg']}" if shown_path else str(error["msg"])
        slot = (line, column, rule)
        if slot not in merged:
            merged[slot] = []
            order.append(slot)
        if message not in merged[slot]:
            merged[slot].append(message)
    for slot in order:
        line, column, rule = slot
        yield Diagnostic(ydoc.path, line, column, rule, Severity.ERROR, " or ".join(merged[slot]))


def _walk(root: YMap, loc: tuple[int | str, ...], at_key: bool) -> tuple[list[str | int], Any, int, int]:
    """Follow ``loc`` through the data; stop at the first segment that is not in it."""
    node: Any = root
    line, column = root.line, root.column
    path: list[str | int] = []
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, YMap) and isinstance(part, str):
            pos = node.key_pos.get(part)
            path.append(part)
            if pos is None:
                # a missing key: point at the mapping that should hold it
                return path, None, line, column
            line, column = (pos[0], pos[1]) if (last and at_key) else (pos[2], pos[3])
            node = node[part]
        elif isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            line, column = node.item_pos[part]
            node = node[part]
        elif isinstance(node, YMap) and isinstance(part, int):
            continue
        else:
            # union branches and validator names are not data: the value is where we are
            continue
    return path, node, line, column


def _show_path(path: list[str | int]) -> str:
    shown = ""
    for part in path:
        shown += f"[{part}]" if isinstance(part, int) else (f".{part}" if shown else part)
    return shown


def _allowed_keys(model: type[BaseModel], path: list[str | int]) -> list[str]:
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        current = _field_model(current, part)
        if current is None:
            return []
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return []
    return [field.alias or name for name, field in current.model_fields.items()]


def _field_model(model: Any, key: str) -> Any:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    for name, field in model.model_fields.items():
        if (field.alias or name) == key:
            return _inner_model(field.annotation)
    return None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


# -- positions ---------------------------------------------------------------------------------

_PLANS: dict[type[Strict], list[tuple[str, str]]] = {}


def _plan(model: type[Strict]) -> list[tuple[str, str]]:
    """(attribute, key) of each field that can hold nested models; computed once per class."""
    plan = _PLANS.get(model)
    if plan is None:
        plan = [
            (name, field.alias or name)
            for name, field in model.model_fields.items()
            if _holds_model(field.annotation)
        ]
        _PLANS[model] = plan
    return plan


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        return any(_holds_model(arg) for arg in typing.get_args(annotation))
    return False


def attach_sources(model: Strict, raw: YMap, file: str) -> None:
    """Give ``model`` and every nested model the position of the mapping it was read from."""
    model._source = Source(file, raw.line, raw.column, raw.key_pos)
    for attribute, key in _plan(type(model)):
        value = getattr(model, attribute)
        raw_value = raw.get(key)
        if isinstance(value, Strict) and isinstance(raw_value, YMap):
            attach_sources(value, raw_value, file)
        elif isinstance(value, list) and isinstance(raw_value, YSeq):
            for item, raw_item in zip(value, raw_value, strict=False):
                if isinstance(item, Strict) and isinstance(raw_item, YMap):
                    attach_sources(item, raw_item, file)
        elif isinstance(value, dict) and isinstance(raw_value, YMap):
            for name, item in value.items():
                raw_item = raw_value.get(name)
                if isinstance(item, Strict) and isinstance(raw_item, YMap):
                    attach_sources(item, raw_item, file)
