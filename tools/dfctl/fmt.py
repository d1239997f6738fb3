"""`dfctl fmt`: rewrite data files in one canonical form, keeping comments and key order.

The canonical form is what ruamel.yaml's round-trip dumper writes with these settings:

- two-space mapping indentation, sequences indented under their key (``  - code: "201"``);
- quotes kept as written (codes stay ``"201"``), flow collections kept as flow;
- lines never folded, so long Chinese names stay on one line;
- no ``---``, UTF-8 without a byte-order mark, ``\\n`` line ends, no trailing spaces, one final
  newline;
- first line ``# yaml-language-server: $schema=<relative path>/schemas/<Kind>.json``, so editors
  complete and check the file.

A file the loader rejects is never rewritten; its diagnostics are returned instead. Every rewrite
is verified: the new text must parse to exactly the same data and keep every comment; when it
cannot (a comment inside a flow collection, say) the file is left as it is and DFP-FMT-001 says why.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import ScalarEvent

from dfctl.diagnostics import Diagnostic, Severity, sort_key
from dfctl.errors import FormatError
from dfctl.load.repo import WorkTree, is_data_path
from dfctl.load.yamlread import read_yaml
from dfctl.model import KINDS, kind_for_path

SCHEMA_LINE_PREFIX = "# yaml-language-server: $schema="
SCHEMA_LINE = re.compile(r"#\s*yaml-language-server:\s*\$schema=(?P<target>\S*)\s*")
"""A schema line as editors accept it (spacing may vary); the canonical one uses the prefix."""

WIDTH = 4096
"""Longer than any line we write, so the dumper never folds a long name."""

PARALLEL_BYTES = 1024 * 1024
"""Below this much input, starting worker processes costs more than it saves."""

RULE_FORMAT = "DFP-FMT-001"

_MAX_PASSES = 3
_YAML_12 = re.compile(r"%YAML\s+1\.2(\s+#.*)?")


@dataclass
class FormatOutcome:
    changed: list[str] = field(default_factory=list)  # repository-relative paths
    checked: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)


def schema_target(path: str, kind: str) -> str:
    """The schema of ``kind`` relative to the folder of ``path`` (repository-relative)."""
    folder = posixpath.dirname(path) or "."
    return posixpath.relpath(f"schemas/{KINDS[kind].schema_file}", folder)


def kind_of(path: str, declared: object) -> str | None:
    """The kind a file's schema line names: its own ``kind`` when known, else its folder's."""
    if isinstance(declared, str) and declared in KINDS:
        return declared
    return kind_for_path(path)


def schema_line_for(path: str, declared: object) -> str | None:
    kind = kind_of(path, declared)
    return None if kind is None else SCHEMA_LINE_PREFIX + schema_target(path, kind)


def round_trip_yaml() -> YAML:
    # a fresh instance per file: loading a document with a %YAML directive sets the version on
    # the instance, and every later dump would repeat it
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = WIDTH
    yaml.preserve_quotes = True
    yaml.explicit_start = False
    yaml.allow_unicode = True
    return yaml


_events = YAML(typ="safe", pure=False)


def _without_prelude(text: str) -> str:
    """Drop what the canonical form writes itself from the comment block that opens the file.

    Schema lines go (the right one is re-added), and so do a ``%YAML 1.2`` directive and a bare
    ``---`` ending the block: the round trip would drop the comments above them.
    """
    lines = text.split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped == "---" or _YAML_12.fullmatch(stripped):
            continue
        if stripped and not stripped.startswith("#"):
            kept.extend(lines[index:])
            break
        if not SCHEMA_LINE.fullmatch(stripped):
            kept.append(line)
    return "\n".join(kept)


def _dump(text: str) -> str:
    yaml = round_trip_yaml()
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise FormatError(line, column, f"cannot be rewritten: {exc.problem or exc}") from exc
    except YAMLError as exc:
        raise FormatError(1, 1, f"cannot be rewritten: {exc}") from exc
    yaml.version = None  # canonical files carry no %YAML directive (and so no ---)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _scalar_spans(text: str) -> list[tuple[int, int, int, int]]:
    """(start line, start column, end line, end column), 0-based, of every scalar in ``text``."""
    return [
        (e.start_mark.line, e.start_mark.column, e.end_mark.line, e.end_mark.column)
        for e in _events.parse(io.StringIO(text))
        if isinstance(e, ScalarEvent)
    ]


def _continuation_lines(spans: list[tuple[int, int, int, int]]) -> set[int]:
    """0-based numbers of the lines that continue a multi-line scalar: their spaces are data."""
    inside: set[int] = set()
    for start_line, _, end_line, end_column in spans:
        if end_line > start_line:
            last = end_line if end_column > 0 else end_line - 1
            inside.update(range(start_line + 1, last + 1))
    return inside


def _comments(text: str) -> list[tuple[str, int, int]]:
    """Every comment (text, 1-based line, column) in ``text``, schema lines left out."""
    lines = text.split("\n")
    covered: dict[int, list[tuple[int, int]]] = {}
    for start_line, start_column, end_line, end_column in _scalar_spans(text):
        for number in range(start_line, end_line + 1):
            first = start_column if number == start_line else 0
            last = end_column if number == end_line else len(lines[number]) + 1
            covered.setdefault(number, []).append((first, last))
    found: list[tuple[str, int, int]] = []
    for number, line in enumerate(lines):
        column = line.find("#")
        while column >= 0:
            in_scalar = any(a <= column < b for a, b in covered.get(number, ()))
            if not in_scalar and (column == 0 or line[column - 1] in " \t"):
                comment = line[column:].rstrip()
                if not SCHEMA_LINE.fullmatch(comment):
                    found.append((comment, number + 1, column + 1))
                break
            column = line.find("#", column + 1)
    return found


def _tidy(text: str) -> str:
    """Strip trailing spaces and indent each full-line comment like the line it precedes."""
    lines = text.split("\n")
    inside = _continuation_lines(_scalar_spans(text))
    indent = 0
    for number in range(len(lines) - 1, -1, -1):
        if number in inside:
            continue
        line = lines[number].rstrip(" \t")
        body = line.lstrip(" ")
        if body.startswith("#"):
            line = " " * indent + body
        elif body:
            indent = len(line) - len(body)
        lines[number] = line
    return "\n".join(lines)


def _one_pass(text: str, schema_line: str | None) -> str:
    body = _dump(_without_prelude(text))
    if schema_line:
        body = f"{schema_line}\n{body}"
    return _tidy(body.rstrip("\n") + "\n")


def _data_of(path: str, text: str) -> str | None:
    """The file's data as canonical JSON, or None when it does not load cleanly."""
    result = read_yaml(path, text.encode("utf-8"))
    if result.document is None:
        return None
    return json.dumps(result.document.root, ensure_ascii=False, default=str)


def format_text(path: str, text: str, declared_kind: object = None) -> str:
    """The canonical form of ``text`` (a data file at ``path`` that the loader accepts).

    Raises FormatError when the rewrite would lose a comment, change the data, or not settle.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    schema_line = schema_line_for(path, declared_kind)
    current = text
    for _ in range(_MAX_PASSES):
        formatted = _one_pass(current, schema_line)
        if formatted == current:
            break
        current = formatted
    else:
        raise FormatError(1, 1, f"formatting does not settle after {_MAX_PASSES} passes")
    if current == text:
        return current
    kept = Counter(comment for comment, _, _ in _comments(current))
    for comment, line, column in _comments(text):
        if kept[comment] == 0:
            raise FormatError(
                line,
                column,
                f"formatting would lose the comment {comment!r}; comments inside [ ] or {{ }}"
                " cannot be kept",
            )
        kept[comment] -= 1
    if _data_of(path, current) != _data_of(path, text):
        raise FormatError(1, 1, "formatting would change the data; write the file in block style")
    return current


def format_bytes(path: str, data: bytes) -> tuple[str | None, list[Diagnostic]]:
    """(canonical text, or None when the file cannot be rewritten; the reasons why not)."""
    result = read_yaml(path, data)
    if result.document is None:
        return None, result.diagnostics
    try:
        return format_text(path, data.decode("utf-8"), result.document.root.get("kind")), []
    except FormatError as exc:
        return None, [Diagnostic(path, exc.line, exc.column, RULE_FORMAT, Severity.ERROR, str(exc))]


def write_atomically(target: Path, text: str) -> None:
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def format_file(root: str, path: str, check: bool) -> tuple[bool, list[Diagnostic]]:
    """Format one file; (whether it changes, the loader's diagnostics when it is not rewritable)."""
    target = Path(root) / path
    data = target.read_bytes()
    text, diagnostics = format_bytes(path, data)
    if text is None:
        return False, diagnostics
    new = text.encode("utf-8")
    if new == data:
        return False, []
    if not check:
        write_atomically(target, text)
    return True, []


def _selected(root: Path, paths: Iterable[str] | None) -> list[str]:
    if paths is None:
        return WorkTree(root).data_paths()
    # files named on the command line that are not data files (README.md, a deleted file) are
    # not ours to format; hooks pass every staged file
    return sorted({p for p in paths if is_data_path(p) and (root / p).is_file()})


def _run(root: Path, selected: list[str], check: bool) -> Iterator[tuple[bool, list[Diagnostic]]]:
    total = sum((root / p).stat().st_size for p in selected)
    workers = min(os.cpu_count() or 1, len(selected))
    if workers < 2 or total < PARALLEL_BYTES:
        for path in selected:
            yield format_file(str(root), path, check)
        return
    # the round-trip loader is pure Python; spread large sets over the cores
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        yield from pool.map(
            format_file, [str(root)] * len(selected), selected, [check] * len(selected)
        )


def format_paths(
    root: Path, paths: Iterable[str] | None = None, check: bool = False
) -> FormatOutcome:
    """Format the data files under ``root`` (all, or the repository-relative ``paths``).

    With ``check`` nothing is written; ``changed`` lists the files that would change.
    """
    selected = _selected(root, paths)
    outcome = FormatOutcome(checked=len(selected))
    for path, (changed, diagnostics) in zip(selected, _run(root, selected, check), strict=True):
        if changed:
            outcome.changed.append(path)
        outcome.diagnostics.extend(diagnostics)
    outcome.diagnostics.sort(key=sort_key)
    return outcome
