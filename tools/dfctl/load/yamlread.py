"""Read one YAML file into plain data that remembers where every value came from.

The reader walks ruamel.yaml's event stream (its C parser) and builds the tree itself rather than
using a constructor. That keeps every node's 1-based line and column, applies the YAML 1.2 core
schema for plain scalars (``yes`` and ``2026-01-01`` stay strings, ``010`` is ten), and lets each
input rule of the repository be enforced at the exact place it is broken: duplicate keys, custom
tags, alias bombs, tabs in indentation, oversize files, bad encodings. Nothing here raises on bad
input; every problem becomes a :class:`~dfctl.diagnostics.Diagnostic`.

Columns count characters, not bytes, as editors do: the value in ``名称: 行政运行`` starts in
column 5.

The round-trip loader is kept for ``dfctl fmt``; composing through it is several times slower and
checking needs positions, not comments.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ruamel.yaml.main
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
from dfctl.redact import shown

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
# C0 and C1 controls except tab, LF and CR; U+2028/U+2029, which YAML parsers count as line breaks
# but editors do not (every later position would be off); a byte-order mark past the start;
# noncharacters. A lone CR (not before LF) is looked for separately, only when a CR is present.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_LONE_CR = re.compile("\r(?!\n)")
_CONTROL_NAMES = {
    "\x00": "NUL",
    "\x08": "backspace",
    "\x0b": "vertical tab",
    "\x0c": "form feed",
    "\r": "carriage return without a line feed",
    "\x1b": "escape",
    "\x7f": "delete",
    "\x85": "next line",
    "\u2028": "line separator",
    "\u2029": "paragraph separator",
    "\ufeff": "byte-order mark inside the file",
}
_CJK = re.compile("[\u4e00-\u9fff]")

_NULL_WORDS = frozenset({"~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT10 = re.compile(r"[-+]?[0-9]+")
_INT8 = re.compile(r"0o[0-7]+")
_INT16 = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
# First characters of the only plain scalars that are not strings under the core schema: words
# (null, true, false, ~) and numbers. Everything else (names, Chinese text) is returned at once.
_WORD_START = frozenset("~nNtTfF")
_NUMBER_START = frozenset("-+.0123456789")

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
    # the file's first line as written, for rules about it (the schema line, DFP-STR-006)
    first_line: str = ""


@dataclass(slots=True)
class ReadResult:
    document: Document | None
    diagnostics: list[Diagnostic]


class _Stop(Exception):
    """Ends tree building at the first problem that makes the rest meaningless."""


_parser_yaml = YAML(typ="safe", pure=False)
# libyaml's event parser from ruamel.yaml.clib; None where the C extension is not installed
_CPARSER: Any = getattr(ruamel.yaml.main, "CParser", None)


def _events(text: str) -> Iterator[Any]:
    """The parser events of ``text``, from the C parser (ruamel.yaml.clib) when it is there.

    Going through ``YAML.parse`` builds a new loader class for every call, which leaves reference
    cycles behind each file and costs a second C call per event.
    """
    if _CPARSER is None:
        yield from _parser_yaml.parse(io.StringIO(text))
        return
    parser = _CPARSER(text)
    try:
        while (event := parser.get_event()) is not None:
            yield event
    finally:
        parser.dispose()


def read_yaml(path: str, data: bytes) -> ReadResult:
    """Parse ``data`` (the bytes of ``path``) into a :class:`Document` or diagnostics."""
    text = _decoded(path, data)
    if isinstance(text, ReadResult):
        return text
    tabs = _tab_indentation(path, text) if "\t" in text else None
    builder = _TreeBuilder(path, track_blocks=tabs is not None)
    syntax: Diagnostic | None = None
    stopped = False
    try:
        for event in _events(text):
            builder.feed(event)
    except _Stop:
        stopped = True
    except MarkedYAMLError as exc:
        syntax = _syntax(path, text, exc)
    except YAMLError as exc:  # reader-level errors carry no mark
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        syntax = Diagnostic(path, 1, 1, RULE_SYNTAX, Severity.ERROR, first)
    if tabs:
        # A tab inside a block scalar (after its indentation) is text, not indentation. Any other
        # tab explains whatever else went wrong, so it is reported alone.
        tabs = [d for d in tabs if not builder.in_block_scalar(d.line)]
        if tabs:
            return ReadResult(None, tabs[:MAX_TAB_REPORTS])
    if syntax is not None:
        return ReadResult(None, [*builder.diagnostics, syntax])
    if stopped:
        return ReadResult(None, builder.diagnostics)
    result = builder.result()
    if result.document is not None:
        result.document.first_line = text.partition("\n")[0].rstrip("\r")
    return result


def _decoded(path: str, data: bytes) -> str | ReadResult:
    """The file's text, or why it is not text the parser may read (size, encoding, controls)."""
    if len(data) > MAX_FILE_BYTES:
        return _fail(
            path, 1, 1, RULE_SIZE, f"file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}"
        )
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return _fail(path, 1, 1, RULE_ENCODING, "file is UTF-32; save it as UTF-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _fail(path, 1, 1, RULE_ENCODING, "file is UTF-16; save it as UTF-8")
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _not_utf8(path, data, exc)
    found = _CONTROL.search(text)
    if "\r" in text:
        lone = _LONE_CR.search(text)
        if lone is not None and (found is None or lone.start() < found.start()):
            found = lone
    if found is not None:
        return _control(path, text, found.start())
    return text


def _fail(path: str, line: int, column: int, rule: str, message: str) -> ReadResult:
    return ReadResult(None, [Diagnostic(path, line, column, rule, Severity.ERROR, message)])


def _not_utf8(path: str, data: bytes, exc: UnicodeDecodeError) -> ReadResult:
    line_start = data.rfind(b"\n", 0, exc.start) + 1
    line = data.count(b"\n", 0, exc.start) + 1
    # GBK pairs can pass for UTF-8 for a character or two: find where the non-ASCII run begins
    start = exc.start
    while start > line_start and data[start - 1] >= 0x80:
        start -= 1
    if b"\x00" in data[:64]:
        # UTF-8 text never holds NUL (and it is not UTF-8 anyway): UTF-16 puts one beside every
        # ASCII character
        return _fail(
            path,
            1,
            1,
            RULE_ENCODING,
            "file looks like UTF-16 without a byte-order mark; save it as UTF-8",
        )
    if data[:start].isascii() and _looks_gbk(data):
        message = "not UTF-8: the text from here looks GBK-encoded"
    else:
        start = exc.start
        bad = data[exc.start : max(exc.end, exc.start + 1)]
        shown = " ".join(f"0x{b:02x}" for b in bad)
        if exc.reason == "invalid start byte":
            message = f"not UTF-8: byte {shown} cannot start a character"
        elif len(bad) == 1:
            message = f"not UTF-8: byte {shown} begins a character that is cut short"
        else:
            message = f"not UTF-8: bytes {shown} begin a character that is cut short"
    # Column in characters: everything on the line before ``start`` decodes cleanly.
    column = len(data[line_start:start].decode("utf-8")) + 1
    return _fail(path, line, column, RULE_ENCODING, f"{message}; save it as UTF-8")


def _looks_gbk(data: bytes) -> bool:
    try:
        decoded = data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return _CJK.search(decoded) is not None


def _control(path: str, text: str, offset: int) -> ReadResult:
    line, column = _char_position(text, offset)
    char = text[offset]
    head = text[:64]
    if char == "\x00" and head.count("\x00") * 4 >= len(head):
        # ASCII saved as UTF-16 without a byte-order mark decodes as UTF-8 with every other
        # character NUL.
        return _fail(
            path,
            1,
            1,
            RULE_ENCODING,
            "file looks like UTF-16 without a byte-order mark; save it as UTF-8",
        )
    name = _CONTROL_NAMES.get(char)
    shown = f"U+{ord(char):04X}" + (f" ({name})" if name else "")
    return _fail(path, line, column, RULE_CONTROL, f"control character {shown} is not allowed")


def _char_position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _tab_indentation(path: str, text: str) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.lstrip(" \t")
        indent = line[: len(line) - len(stripped)]
        if "\t" in indent and stripped.strip() and not stripped.startswith("#"):
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
    return found


# libyaml's terse problems, said the way a person editing the file needs to hear them.
_PROBLEMS = {
    "mapping values are not allowed in this context": (
        "':' is not allowed here; quote a value that contains ': ', or check the indentation"
    ),
    "did not find expected key": "expected a key here; check the indentation",
    "did not find expected '-' indicator": (
        "expected a '-' list item at this indentation; check the indentation"
    ),
    "did not find expected ',' or ']'": "expected ',' or ']'",
    "did not find expected ',' or '}'": "expected ',' or '}'",
    "did not find expected node content": "expected a value here",
    "found unknown escape character": (
        "unknown escape in a double-quoted string; escape the backslash (\\\\) or use single quotes"
    ),
}


# What libyaml's contexts are about, in the words of someone editing the file.
_CONTEXTS = {
    "while parsing a block mapping": "the mapping",
    "while parsing a flow mapping": "the mapping",
    "while parsing a block collection": "the list",
    "while parsing a flow sequence": "the list",
    "while parsing a quoted scalar": "the quoted string",
    "while scanning a quoted scalar": "the quoted string",
    "while scanning a block scalar": "the block text",
    "while parsing a block node": "the value",
    "while parsing a flow node": "the value",
}


def _syntax(path: str, text: str, exc: MarkedYAMLError) -> Diagnostic:
    problem = exc.problem or "invalid YAML"
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    context = exc.context_mark
    opened = (context.line + 1, context.column + 1) if context is not None else None

    def at(where: tuple[int, int], message: str) -> Diagnostic:
        return Diagnostic(path, where[0], where[1], RULE_SYNTAX, Severity.ERROR, message)

    later = f"(reading on, the parser fails at line {line}, column {column})"
    unclosed = problem == "found unexpected end of stream" and "quoted" in (exc.context or "")
    if unclosed and opened is not None:
        # the end of the file is no place to look: point at the quote that was never closed
        return at(opened, "quoted string is never closed")
    if problem in _PROBLEMS:
        # a quoted value left open swallows the lines after it; the parser only fails later
        quote = _unclosed_quote(text, line)
        if quote is not None:
            return at(quote, f"quoted string is not closed on its line {later}")
    if problem.startswith("did not find expected ','") and opened and opened[0] < line:
        # "[3, 2, 2" with nothing closing it on its line: the bracket is the mistake
        opening_row = _row(text, opened[0])
        if opening_row[opened[1] :].strip():
            bracket = opening_row[opened[1] - 1 : opened[1]]
            return at(opened, f"{bracket!r} is not closed on its line {later}")
    row = _row(text, line)
    if problem == "did not find expected key" and row[: column - 1].rstrip().endswith(('"', "'")):
        return at(
            (line, column), "text after a quoted value; put the whole value inside the quotes"
        )
    if problem == "found character that cannot start any token" and 0 < column <= len(row):
        message = f"{row[column - 1]!r} cannot start a value; quote the value"
    else:
        message = _PROBLEMS.get(problem, problem)
    if opened is not None and opened != (line, column) and exc.context:
        where = _CONTEXTS.get(exc.context)
        if where is None:
            where = exc.context.removeprefix("while parsing ").removeprefix("while scanning ")
            where = "the " + where.split(" ", 1)[-1] if where.startswith(("a ", "an ")) else where
        message += f" (in {where} that starts at line {opened[0]}, column {opened[1]})"
    return at((line, column), message)


def _row(text: str, line: int) -> str:
    rows = text.split("\n", line)
    return rows[line - 1] if 0 < line <= len(rows) else ""


# A quote that opens a value: at the start of a line, after "key: " or "- ", or in flow style.
_CLOSING_DOUBLE = re.compile(r'(?<!\\)(?:\\\\)*"')  # a '"' not escaped by a backslash
_OPENING_QUOTE = re.compile(r"""(?:^[ ]*|[:,\-\[{][ ]+|[\[{,])(["'])""")


def _unclosed_quote(text: str, before: int) -> tuple[int, int] | None:
    """The nearest value before line ``before`` that opens a quote and leaves it open."""
    rows = text.split("\n", before)[: before - 1]
    for number in range(len(rows), 0, -1):
        row = rows[number - 1]
        found = _OPENING_QUOTE.search(row)
        if found is None:
            continue
        start = found.end()
        rest = row[start:]
        if found.group(1) == '"':
            if _CLOSING_DOUBLE.search(rest) is None:
                return number, start
        elif "'" not in rest.replace("''", ""):
            return number, start
    return None


def resolve_plain(value: str) -> Any:
    """The YAML 1.2 core schema for an untagged plain scalar."""
    if not value:
        return None
    first = value[0]
    if first in _WORD_START:
        if value in _NULL_WORDS:
            return None
        return _BOOL.get(value, value)
    if first not in _NUMBER_START:
        return value
    if _INT10.fullmatch(value):
        try:
            return int(value)
        except ValueError:  # beyond Python's digit limit for str -> int; keep the text
            return value
    if first == "0" and len(value) > 2:
        if _INT8.fullmatch(value):
            return int(value[2:], 8)
        if _INT16.fullmatch(value):
            return int(value[2:], 16)
    if _FLOAT.fullmatch(value):
        return float(value)
    if _INF.fullmatch(value):
        return float("-inf") if first == "-" else float("inf")
    if _NAN.fullmatch(value):
        return float("nan")
    return value


_MISSING = object()


class _TreeBuilder:
    """Turns parser events into YMap/YSeq/scalars, enforcing the input rules as it goes."""

    def __init__(self, path: str, track_blocks: bool = False) -> None:
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self.documents = 0
        self.root: Any = _MISSING
        self.root_pos = (1, 1)
        self.numbers: dict[tuple[int, int], str] = {}
        # each frame: [container, pending key or _MISSING, key line, key col, node count at the
        # start, anchor]
        self.stack: list[list[Any]] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.nodes = 0
        self.alias_nodes = 0
        # (first, last) content lines of block scalars; kept only when the file has tabs
        self.blocks: list[tuple[int, int]] | None = [] if track_blocks else None

    def in_block_scalar(self, line: int) -> bool:
        return any(first <= line <= last for first, last in self.blocks or ())

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
        if tag is None or tag in ("!", expected):
            return
        line, column = event.start_mark.line + 1, event.start_mark.column + 1
        if tag in _ALLOWED_TAGS:
            self._error(
                line, column, RULE_TAG, f"tag {_short(tag)} does not fit this value", fatal=True
            )
        self._error(line, column, RULE_TAG, f"custom tag {_short(tag)} is not allowed", fatal=True)

    def _scalar(self, event: Any) -> None:
        start = event.start_mark
        line, column = start.line + 1, start.column + 1
        tag = event.tag
        text: str = event.value
        value: Any
        if tag is None:
            # plain style is "", quoted and block styles are strings whatever they look like
            value = text if event.style else resolve_plain(text)
        elif tag == "!" or tag == _CORE + "str":
            value = text
        elif tag in _ALLOWED_TAGS:
            value = self._tagged(text, tag[len(_CORE) :], line, column)
        else:
            self._error(
                line, column, RULE_TAG, f"custom tag {_short(tag)} is not allowed", fatal=True
            )
            return
        if value.__class__ is int or value.__class__ is float:
            self.numbers[(line, column)] = text
        if self.blocks is not None and event.style in ("|", ">"):
            end = event.end_mark
            # the content starts on the line after the header; an end at column 0 is the next line
            self.blocks.append((line + 1, end.line + (1 if end.column else 0)))
        self.nodes += 1
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self._add(value, line, column, text)

    def _tagged(self, text: str, wanted: str, line: int, column: int) -> Any:
        """A scalar with an explicit core tag (``!!int "3"``): the tag decides, not the style."""
        if wanted in ("map", "seq"):
            self._error(
                line, column, RULE_TAG, f"tag !!{wanted} does not fit this value", fatal=True
            )
        value = resolve_plain(text)
        if wanted == "float" and value.__class__ is int:
            value = float(value)
        if not _fits_tag(value, wanted):
            self._error(
                line, column, RULE_TAG, f"{shown(text)} is not a valid !!{wanted}", fatal=True
            )
        return value

    def _open(self, container: YMap | YSeq, event: Any) -> None:
        if len(self.stack) >= MAX_DEPTH:
            self._error(
                container.line,
                container.column,
                RULE_DEPTH,
                f"nesting deeper than {MAX_DEPTH} levels",
                fatal=True,
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
            inside = any(frame[5] == event.anchor for frame in self.stack)
            self._error(
                line,
                column,
                RULE_SYNTAX,
                f"alias *{event.anchor} refers to the node that contains it"
                if inside
                else f"alias *{event.anchor} names no anchor before it",
                fatal=True,
            )
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

    def _add(self, value: Any, line: int, column: int, text: str | None = None) -> None:
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
                if not text:
                    self._error(line, column, RULE_KEY, "a key is empty; write a name before ':'")
                else:
                    self._error(
                        line, column, RULE_KEY, f'key {text} is not a string; quote it: "{text}"'
                    )
                value = text or ""
            frame[1], frame[2], frame[3] = value, line, column
            return
        key: str = frame[1]
        if key in container:
            first = container.key_pos[key]
            self._error(
                frame[2],
                frame[3],
                RULE_DUPLICATE_KEY,
                f"duplicate key {key!r} (first at line {first[0]})",
            )
        else:
            container[key] = value
            container.key_pos[key] = (frame[2], frame[3], line, column)
        frame[1] = _MISSING

    def result(self) -> ReadResult:
        if self.diagnostics:
            return ReadResult(None, self.diagnostics)
        if self.root is _MISSING or self.root is None:
            return _fail(
                self.path, 1, 1, RULE_DOCUMENTS, "file is empty; it needs apiVersion and kind"
            )
        if not isinstance(self.root, YMap):
            what = "a list" if isinstance(self.root, YSeq) else "a single value"
            line, column = self.root_pos
            return _fail(
                self.path,
                line,
                column,
                RULE_ROOT,
                f"the file holds {what}; it must be a mapping with apiVersion and kind",
            )
        return ReadResult(Document(self.path, self.root, self.numbers), [])


def _fits_tag(value: Any, wanted: str) -> bool:
    if wanted == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if wanted == "float":
        return isinstance(value, float)
    if wanted == "bool":
        return isinstance(value, bool)
    if wanted == "null":
        return value is None
    return False


def _short(tag: str) -> str:
    if tag.startswith(_CORE):
        return "!!" + tag[len(_CORE) :]
    return tag if tag.startswith("!") else f"!<{tag}>"
