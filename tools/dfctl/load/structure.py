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
from dfctl.redact import is_secret_key, shown

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
        shown = _show(api_version) if "apiVersion" in root else "missing"
        found.append(
            Diagnostic(
                path,
                line,
                column,
                RULE_ENVELOPE,
                Severity.ERROR,
                f"apiVersion is {shown}; expected dfp.config/v1",
            )
        )
    if not isinstance(kind, str) or kind not in KINDS:
        line, column = _value_pos(root, "kind")
        shown = _show(kind) if "kind" in root else "missing"
        expected = kind_for_path(path)
        hint = (
            f"; this folder holds {expected}"
            if expected
            else f"; one of {', '.join(sorted(KINDS))}"
        )
        found.append(
            Diagnostic(path, line, column, RULE_ENVELOPE, Severity.ERROR, f"kind is {shown}{hint}")
        )
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
    """One diagnostic per place: a union's branches, or several missing keys, become one."""
    missing: dict[tuple[str | int, ...], list[str]] = {}
    missing_at: dict[tuple[str | int, ...], tuple[int, int]] = {}
    unknown: list[tuple[tuple[str | int, ...], str, int, int]] = []
    values: dict[tuple[int, int], _ValueProblem] = {}
    for error in exc.errors(include_url=False):
        kind = error["type"]
        data_path, node, line, column = _walk(ydoc.root, error["loc"], kind)
        if kind == "missing" and data_path and isinstance(data_path[-1], str):
            parent = tuple(data_path[:-1])
            missing.setdefault(parent, [])
            if data_path[-1] not in missing[parent]:
                missing[parent].append(data_path[-1])
            missing_at[parent] = (line, column)
        elif kind == "extra_forbidden" and data_path:
            unknown.append((tuple(data_path[:-1]), str(data_path[-1]), line, column))
        else:
            problem = values.setdefault((line, column), _ValueProblem(data_path, node))
            problem.add(error, ydoc.number_text.get((line, column)))
    for parent, name, line, column in unknown:
        allowed = _allowed_keys(model, list(parent))
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = ""
        if close:
            hint = f"; did you mean {close[0]!r}?"
            # the misspelt key is the missing one: say it once, here
            if close[0] in missing.get(parent, []):
                missing[parent].remove(close[0])
        listed = f" (allowed: {', '.join(allowed)})" if allowed else ""
        yield Diagnostic(
            ydoc.path,
            line,
            column,
            RULE_UNKNOWN_KEY,
            Severity.ERROR,
            f"unknown key {shown(name)}{hint}{listed}",
        )
    for parent, names in missing.items():
        if not names:
            continue
        line, column = missing_at[parent]
        where = f"{_show_path(list(parent))}: " if parent else ""
        keys = ", ".join(repr(name) for name in names)
        plural = "s" if len(names) > 1 else ""
        yield Diagnostic(
            ydoc.path,
            line,
            column,
            RULE_SCHEMA,
            Severity.ERROR,
            f"{where}missing required key{plural} {keys}",
        )
    for (line, column), problem in values.items():
        rule, message = problem.describe()
        yield Diagnostic(ydoc.path, line, column, rule, Severity.ERROR, message)


_LENGTHS = {
    "too_short": "at least",
    "too_long": "at most",
    "string_too_short": "at least",
    "string_too_long": "at most",
}
_BOUNDS = frozenset(
    {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "multiple_of"}
)

# What each pydantic type error expected, said plainly.
_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD)",
    "none_required": "null",
}


class _ValueProblem:
    """Every error pydantic reported about one value (one per branch of a union)."""

    def __init__(self, data_path: list[str | int], node: Any) -> None:
        self.data_path = data_path
        self.node = node
        self.expected: list[str] = []
        self.other: list[str] = []
        self.number_text: str | None = None
        self.got: str | None = None  # what the value is, when its text does not say it best
        self.text: str | None = None  # a number as written

    def add(self, error: Any, number_text: str | None) -> None:
        kind = error["type"]
        node = self.node
        self.text = number_text
        if kind == "string_type" and node.__class__ in (int, float):
            self.number_text = number_text or str(node)
            return
        if kind in _EXPECTED:
            wanted = _EXPECTED[kind]
        elif kind == "literal_error":
            wanted = str(error["msg"]).removeprefix("Input should be ")
        elif kind == "string_pattern_mismatch":
            wanted = f"a string matching {error['ctx']['pattern']}"
        elif kind in _LENGTHS:
            context = error["ctx"]
            bound = context.get("min_length", context.get("max_length"))
            unit = "character" if kind.startswith("string") else "item"
            wanted = f"{_LENGTHS[kind]} {bound} {unit}{'' if bound == 1 else 's'}"
            if "actual_length" in context:
                self.got = str(context["actual_length"])
        elif kind in _BOUNDS:
            wanted = "a number " + str(error["msg"]).removeprefix("Input should be ")
        else:
            message = (
                str(error["msg"]).removeprefix("Value error, ").replace(" after validation", "")
            )
            message = message[:1].lower() + message[1:]
            if message not in self.other:
                self.other.append(message)
            return
        if wanted not in self.expected:
            self.expected.append(wanted)

    def describe(self) -> tuple[str, str]:
        path = _show_path(self.data_path)
        if self.data_path and self.data_path[-1] == "[key]":
            path = f"key of {_show_path(self.data_path[:-2])}" if len(self.data_path) > 2 else "key"
        secret_path = any(isinstance(p, str) and is_secret_key(p) for p in self.data_path)
        if self.number_text is not None:
            text = self.number_text
            if secret_path:
                return RULE_NUMBER_FOR_STRING, (
                    f"{path} must be a string, not a number (not shown: its key names a "
                    "secret); quote it"
                )
            return RULE_NUMBER_FOR_STRING, (
                f'{path} must be a string, not the number {text}: write "{text}"'
            )
        if secret_path and self.got is None and isinstance(self.node, (str, int, float)):
            got = "a value that is not shown (its key names a secret)"
        else:
            got = self.got or self.text or _show(self.node)
        parts = []
        if self.expected:
            parts.append(f"expected {' or '.join(self.expected)}, got {got}")
        if self.other:
            parts.append(" or ".join(self.other) + ("" if self.expected else f" (got {got})"))
        body = "; ".join(parts)
        return RULE_SCHEMA, f"{path}: {body}" if path else body


def _show(value: Any) -> str:
    """A value as the file wrote it, short enough for one line; never one that may be a
    secret (a secret pasted into the wrong field must not reach a CI log)."""
    if isinstance(value, YMap):
        return "a mapping"
    if isinstance(value, YSeq):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return shown(value)
    return str(value)


def _walk(
    root: YMap, loc: tuple[int | str, ...], kind: str
) -> tuple[list[str | int], Any, int, int]:
    """Follow ``loc`` through the data to the value it names (the key, for an unknown key).

    Pydantic's locations also hold names that are not data (a union's branch such as ``str``);
    they are skipped. A missing key ends the walk at the mapping that should hold it.
    """
    at_key = kind == "extra_forbidden"
    node: Any = root
    line, column = root.line, root.column
    key_line, key_column = line, column
    path: list[str | int] = []
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if part == "[key]" and path:
            # a dict key that fails its own type: point at the key, not its value
            path.append(part)
            line, column = key_line, key_column
            node = path[-2]
            break
        if isinstance(node, YMap) and isinstance(part, str):
            pos = node.key_pos.get(part)
            if pos is None:
                if last and kind == "missing":
                    path.append(part)
                    break
                continue
            path.append(part)
            key_line, key_column = pos[0], pos[1]
            line, column = (pos[0], pos[1]) if (last and at_key) else (pos[2], pos[3])
            node = node[part]
        elif isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            line, column = node.item_pos[part]
            node = node[part]
    return path, node, line, column


def _show_path(path: list[str | int]) -> str:
    shown = ""
    for part in path:
        shown += f"[{part}]" if isinstance(part, int) else (f".{part}" if shown else part)
    return shown


def _allowed_keys(model: type[BaseModel], path: list[str | int]) -> list[str]:
    """Keys the mapping at ``path`` may hold, following the model's field types."""
    current: Any = model
    for part in path:
        current = _step(current, part)
        if current is None:
            return []
    found = _inner_model(current)
    if found is None:
        return []
    return [field.alias or name for name, field in found.model_fields.items()]


def _step(annotation: Any, part: str | int) -> Any:
    """The type of ``part`` inside a value of type ``annotation``, or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(part, str):
            return None
        for name, field in annotation.model_fields.items():
            if (field.alias or name) == part:
                return field.annotation
        return None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list and isinstance(part, int) and args:
        return args[0]
    if origin is dict and isinstance(part, str) and len(args) == 2:
        return args[1]
    if origin is typing.Annotated and args:
        return _step(args[0], part)
    if origin is typing.Union or isinstance(annotation, types.UnionType):
        for arg in args:
            found = _step(arg, part)
            if found is not None:
                return found
    return None


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, dict):
        return None
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


_ITEM_PLANS: dict[type[Strict], list[str]] = {}


def _item_plan(model: type[Strict]) -> list[str]:
    """Keys of fields holding lists of plain values (clusters, regions …); once per class."""
    plan = _ITEM_PLANS.get(model)
    if plan is None:
        plan = [
            field.alias or name
            for name, field in model.model_fields.items()
            if typing.get_origin(field.annotation) is list and not _holds_model(field.annotation)
        ]
        _ITEM_PLANS[model] = plan
    return plan


def attach_sources(model: Strict, raw: YMap, file: str) -> None:
    """Give ``model`` and every nested model the position of the mapping it was read from.

    Items of lists of plain values get positions of their own, as ``key[index]``, so a finding
    about one item (``obj.src.at("clusters[1]")``) points at that item.
    """
    keys = raw.key_pos
    for key in _item_plan(type(model)):
        items = raw.get(key)
        if isinstance(items, YSeq):
            keys = dict(keys) if keys is raw.key_pos else keys
            for index, (line, column) in enumerate(items.item_pos):
                keys[f"{key}[{index}]"] = (line, column, line, column)
    model._source = Source(file, raw.line, raw.column, keys)
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
