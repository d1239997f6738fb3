"""Read one YAML file into plain data that remembers where every value came from.

The reader walks ruamel.yaml's event stream (its C parser) and builds the tree itself rather than
using a constructor. That keeps every node's 1-based line and column, applies the YAML 1.2 core
schema for plain scalars (``yes`` and ``2026-01-01`` stay strings, ``010`` is ten), and lets each
input rule of the repository be enforced at the exact place it is broken: duplicate keys, custom
tags, alias bombs, tabs in indentation, oversize files, bad encodings. Nothing here raises on bad
input; every problem becomes a :class:`~dfctl.diagnostics.Diagnostic`.

The round-trip loader is kept for ``dfctl fmt``; composing through it is several times slower and
checking needs positions, not comments.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from dfctl.diagnostics import Diagnostic, Severity

MAX_FILE_BYTES = 8 * 1024 * 1024
"""Largest file accepted. The biggest real set (支出功能分类 with every province's children) is
well under 1 MiB; anything near this is a mistake or an attack."""

MAX_ALIAS_NODES = 10_000
"""How many nodes aliases may add to a file once expanded. Anchors for a repeated block are fine;
the "billion laughs" shape, where aliases of aliases multiply, is stopped long before it costs."""

MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences; real files stay under ten."""

MAX_TAB_REPORTS = 20

_BOM = b"\xef\xbb\xbf"
_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT10 = re.compile(r"[-+]?[0-9]+")
_INT8 = re.compile(r"0o[0-7]+")
_INT16 = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
# Characters a plain scalar must start with to be anything but a string under the core schema.
_NON_STR_START = frozenset("-+.0123456789~nNtTfF")

RULE_ENCODING = "DFP-YAML-001"
RULE_SYNTAX = "DFP-YAML-002"
RULE_DUPLICATE_KEY = "DFP-YAML-003"
RULE_TAG = "DFP-YAML-004"
RULE_ALIAS = "DFP-YAML-005"
RULE_SIZE = "DFP-YAML-006"
RULE_TAB = "DFP-YAML-007"
RULE_DOCUMENTS = "DFP-YAML-008"
RULE_ROOT = "DFP-YAML-009"
RULE_KEY = "DFP-YAML-010"
RULE_CONTROL = "DFP-YAML-011"
RULE_DEPTH = "DFP-YAML-012"


class YMap(dict[str, Any]):
    """A mapping that knows its own position and, per key, where the key and its value start."""

    __slots__ = ("column", "key_pos", "line")

    def __init__(self, line: int, column: int) -> None:
        super().__init__()
        self.line = line
        self.column = column
        # key -> (key line, key column, value line, value column)
        self.key_pos: dict[str, tuple[int, int, int, int]] = {}


class YSeq(list[Any]):
    """A sequence that knows its own position and where each item starts."""

    __slots__ = ("column", "item_pos", "line")

    def __init__(self, line: int, column: int) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.item_pos: list[tuple[int, int]] = []


@dataclass(slots=True)
class Document:
    """One parsed file: its root mapping and the source text of every number in it."""

    path: str
    root: YMap
    # (line, column) -> the number as written, so "write it quoted" can show the original text
    number_text: dict[tuple[int, int], str] = field(default_factory=dict)


@dataclass(slots=True)
class ReadResult:
    document: Document | None
    diagnostics: list[Diagnostic]


class _Stop(Exception):
    """Ends tree building at the first problem that makes the rest meaningless."""


_parser_yaml = YAML(typ="safe", pure=False)


def read_yaml(path: str, data: bytes) -> ReadResult:
    """Parse ``data`` (the bytes of ``path``) into a :class:`Document` or diagnostics."""
    if len(data) > MAX_FILE_BYTES:
        return _fail(path, 1, 1, RULE_SIZE, f"file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _fail(path, 1, 1, RULE_ENCODING, "file is UTF-16; save it as UTF-8")
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(data, exc.start)
        return _fail(
            path, line, column, RULE_ENCODING, f"not UTF-8: byte 0x{data[exc.start]:02x} cannot start a character"
        )
    found = _CONTROL.search(text)
    if found is not None:
        line, column = _char_position(text, found.start())
        return _fail(
            path, line, column, RULE_CONTROL, f"control character U+{ord(found.group()):04X} is not allowed"
        )
    tabs = _tab_indentation(path, text)
    if tabs:
        return ReadResult(None, tabs)
    builder = _TreeBuilder(path)
    try:
        for event in _parser_yaml.parse(io.StringIO(text)):
            builder.feed(event)
    except _Stop:
        return ReadResult(None, builder.diagnostics)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        return _fail(path, line, column, RULE_SYNTAX, f"{problem}{context}")
    except YAMLError as exc:  # reader-level errors carry no mark
        return _fail(path, 1, 1, RULE_SYNTAX, str(exc).splitlines()[0] if str(exc) else "invalid YAML")
    return builder.result()


def _fail(path: str, line: int, column: int, rule: str, message: str) -> ReadResult:
    return ReadResult(None, [Diagnostic(path, line, column, rule, Severity.ERROR, message)])


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def _char_position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _tab_indentation(path: str, text: str) -> list[Diagnostic]:
    if "\t" not in text:
        return []
    found: list[Diagnostic] = []
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.lstrip(" \t")
        indent = line[: len(line) - len(stripped)]
        if "\t" in indent and stripped and not stripped.startswith("#"):
            found.append(
                Diagnostic(
                    path,
                    number,
                    indent.index("\t") + 1,
                    RULE_TAB,
                    Severity.ERROR,
                    "tab in indentation; YAML indents with spaces",
                )
            )
            if len(found) == MAX_TAB_REPORTS:
                break
    return found


def resolve_plain(value: str) -> Any:
    """The YAML 1.2 core schema for an untagged plain scalar."""
    if value and value[0] not in _NON_STR_START:
        return value
    if _NULL.fullmatch(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT10.fullmatch(value):
        return int(value)
    if _INT8.fullmatch(value):
        return int(value[2:], 8)
    if _INT16.fullmatch(value):
        return int(value[2:], 16)
    if _INF.fullmatch(value):
        return float("-inf") if value.startswith("-") else float("inf")
    if _NAN.fullmatch(value):
        return float("nan")
    if _FLOAT.fullmatch(value):
        return float(value)
    return value


_MISSING = object()


class _TreeBuilder:
    """Turns parser events into YMap/YSeq/scalars, enforcing the input rules as it goes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self.documents = 0
        self.root: Any = _MISSING
        self.root_pos = (1, 1)
        self.numbers: dict[tuple[int, int], str] = {}
        # each frame: [container, pending key or _MISSING, key line, key col, start node count, anchor]
        self.stack: list[list[Any]] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.nodes = 0
        self.alias_nodes = 0

    # -- diagnostics -------------------------------------------------------------------------
    def _error(self, line: int, column: int, rule: str, message: str, fatal: bool = False) -> None:
        self.diagnostics.append(Diagnostic(self.path, line, column, rule, Severity.ERROR, message))
        if fatal:
            raise _Stop

    # -- events ------------------------------------------------------------------------------
    def feed(self, event: Any) -> None:
        if isinstance(event, ScalarEvent):
            self._scalar(event)
        elif isinstance(event, MappingStartEvent):
            self._check_tag(event, _CORE + "map")
            self._open(YMap(event.start_mark.line + 1, event.start_mark.column + 1), event)
        elif isinstance(event, SequenceStartEvent):
            self._check_tag(event, _CORE + "seq")
            self._open(YSeq(event.start_mark.line + 1, event.start_mark.column + 1), event)
        elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            self._close()
        elif isinstance(event, AliasEvent):
            self._alias(event)
        elif isinstance(event, DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self._error(
                    event.start_mark.line + 1,
                    event.start_mark.column + 1,
                    RULE_DOCUMENTS,
                    "a file holds one document; split this one into its own file",
                    fatal=True,
                )

    def _check_tag(self, event: Any, expected: str) -> None:
        tag = event.tag
        if tag is None or tag == "!" or tag == expected:
            return
        line, column = event.start_mark.line + 1, event.start_mark.column + 1
        if tag in _ALLOWED_TAGS:
            self._error(line, column, RULE_TAG, f"tag {_short(tag)} does not fit this value", fatal=True)
        self._error(line, column, RULE_TAG, f"custom tag {_short(tag)} is not allowed", fatal=True)

    def _scalar(self, event: Any) -> None:
        line, column = event.start_mark.line + 1, event.start_mark.column + 1
        tag = event.tag
        text: str = event.value
        value: Any
        if tag is not None and tag != "!" and tag not in _ALLOWED_TAGS:
            self._error(line, column, RULE_TAG, f"custom tag {_short(tag)} is not allowed", fatal=True)
        if tag == _CORE + "str" or tag == "!" or (event.style and tag is None):
            value = text
        elif tag is None:
            value = resolve_plain(text)
        else:
            value = resolve_plain(text) if not event.style else text
            wanted = tag[len(_CORE) :]
            if not _fits_tag(value, wanted):
                self._error(line, column, RULE_TAG, f"{text!r} is not a valid !!{wanted}", fatal=True)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.numbers[(line, column)] = text
        self.nodes += 1
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self._add(value, line, column)

    def _open(self, container: YMap | YSeq, event: Any) -> None:
        if len(self.stack) >= MAX_DEPTH:
            self._error(
                container.line, container.column, RULE_DEPTH, f"nesting deeper than {MAX_DEPTH} levels", fatal=True
            )
        frame: list[Any] = [container, _MISSING, 0, 0, self.nodes, event.anchor]
        self.nodes += 1
        if self.stack and isinstance(self.stack[-1][0], YMap) and self.stack[-1][1] is _MISSING:
            self._error(
                container.line,
                container.column,
                RULE_KEY,
                "a key must be a plain string, not a mapping or a list",
                fatal=True,
            )
        self.stack.append(frame)

    def _close(self) -> None:
        container, _key, _kl, _kc, start, anchor = self.stack.pop()
        if anchor:
            self.anchors[anchor] = (container, self.nodes - start)
        self._add(container, container.line, container.column)

    def _alias(self, event: Any) -> None:
        line, column = event.start_mark.line + 1, event.start_mark.column + 1
        target = self.anchors.get(event.anchor)
        if target is None:
            self._error(line, column, RULE_SYNTAX, f"alias *{event.anchor} names no anchor before it", fatal=True)
            return
        value, size = target
        self.alias_nodes += size
        self.nodes += size
        if self.alias_nodes > MAX_ALIAS_NODES:
            self._error(
                line,
                column,
                RULE_ALIAS,
                f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes (alias bomb?)",
                fatal=True,
            )
        if self.stack and isinstance(self.stack[-1][0], YMap) and self.stack[-1][1] is _MISSING:
            self._error(line, column, RULE_KEY, "an alias cannot be a key", fatal=True)
        self._add(value, line, column)

    def _add(self, value: Any, line: int, column: int) -> None:
        if not self.stack:
            self.root = value
            self.root_pos = (line, column)
            return
        frame = self.stack[-1]
        container = frame[0]
        if isinstance(container, YSeq):
            container.append(value)
            container.item_pos.append((line, column))
            return
        if frame[1] is _MISSING:
            if not isinstance(value, str):
                shown = "null" if value is None else str(value).lower() if isinstance(value, bool) else value
                self._error(line, column, RULE_KEY, f'key {shown} is not a string; quote it: "{shown}"')
                value = str(shown)
            frame[1], frame[2], frame[3] = value, line, column
            return
        key: str = frame[1]
        if key in container:
            first = container.key_pos[key]
            self._error(
                frame[2], frame[3], RULE_DUPLICATE_KEY, f"duplicate key {key!r} (first at line {first[0]})"
            )
        else:
            container[key] = value
            container.key_pos[key] = (frame[2], frame[3], line, column)
        frame[1] = _MISSING

    def result(self) -> ReadResult:
        if self.diagnostics:
            return ReadResult(None, self.diagnostics)
        if self.root is _MISSING or self.root is None:
            return _fail(self.path, 1, 1, RULE_DOCUMENTS, "file is empty; it needs apiVersion and kind")
        if not isinstance(self.root, YMap):
            what = "a list" if isinstance(self.root, YSeq) else "a single value"
            line, column = self.root_pos
            return _fail(
                self.path, line, column, RULE_ROOT, f"the file holds {what}; it must be a mapping with apiVersion and kind"
            )
        return ReadResult(Document(self.path, self.root, self.numbers), [])


def _fits_tag(value: Any, wanted: str) -> bool:
    if wanted == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if wanted == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if wanted == "bool":
        return isinstance(value, bool)
    if wanted == "null":
        return value is None
    return False


def _short(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag
