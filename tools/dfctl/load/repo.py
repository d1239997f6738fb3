"""Load the repository's data files, from the work tree or from a git revision, into a `Repo`."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from dfctl.diagnostics import Diagnostic, Severity
from dfctl.load.structure import RULE_FOLDER, check_structure
from dfctl.load.yamlread import Document as YamlDocument
from dfctl.load.yamlread import YMap, read_yaml
from dfctl.model import DATA_ROOTS, KINDS, ROOT_FILES, kind_for_path
from dfctl.model.base import Document

T = TypeVar("T", bound=Document)
FileCheck = Callable[[YamlDocument], Iterable[Diagnostic]]

_YAML_SUFFIXES = (".yaml", ".yml")

_COLLECT_EVERY = 32
"""Files loaded between two young-generation collections while automatic collection is paused."""


@contextmanager
def paused_gc() -> Iterator[None]:
    """Switch off Python's automatic garbage collection for a bulk load or check.

    A province-sized repository keeps a few million small objects alive, and every automatic
    full collection walks all of them again: that was a third of the CPU time of `validate`.
    What is loaded holds no reference cycles, so reference counting frees it; the few cycles
    that parsing a file leaves behind are freed by a young-generation collection every
    ``_COLLECT_EVERY`` files (see `load_repo`), which looks at recent objects only.

    Pauses nest: only the outermost one switches collection back on. The first automatic
    collection after that walks what is still alive once more, so a caller that can (`validate`)
    drops the repository before its pause ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class FileSource(Protocol):
    """Where data files come from: the work tree, or a revision's git objects."""

    def data_paths(self) -> list[str]:
        """Repository-relative paths (forward slashes) of every data file, sorted."""
        ...

    def read(self, path: str) -> bytes: ...

    def content_id(self, path: str) -> str | None:
        """An id that changes whenever the file's bytes do (a git blob id), or None."""
        ...


@dataclass(frozen=True)
class LoadedFile:
    """What reading one file gave: a pure function of its path and bytes, so it can be shared
    between two revisions that hold the same blob (a review loads both)."""

    diagnostics: tuple[Diagnostic, ...]
    model: Document | None
    unreadable: tuple[str, str] | None  # (kind, identity) of a file that failed to load
    # whether the file rules ran: a file loaded without them (a base revision, the environments
    # looked up for the gate) is read again when a check needs them, never shared unchecked
    checked: bool = False


LoadCache = dict[tuple[str, str], LoadedFile]


def is_data_path(path: str) -> bool:
    if path in ROOT_FILES:
        return True
    top = path.split("/", 1)[0]
    return top in DATA_ROOTS and path.endswith(_YAML_SUFFIXES)


class WorkTree:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def data_paths(self) -> list[str]:
        found: list[str] = [name for name in ROOT_FILES if (self.root / name).is_file()]
        for top in DATA_ROOTS:
            base = self.root / top
            if not base.is_dir():
                continue
            for folder, dirs, files in os.walk(base):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                rel = Path(folder).relative_to(self.root).as_posix()
                found.extend(f"{rel}/{name}" for name in files if name.endswith(_YAML_SUFFIXES))
        return sorted(found)

    def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()

    def content_id(self, path: str) -> str | None:
        return None  # work-tree files change under us; nothing is shared


@dataclass
class Repo:
    """Every valid document, indexed by kind, plus what loading them found wrong."""

    documents: dict[str, Document] = field(default_factory=dict)  # path -> document
    diagnostics: list[Diagnostic] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    # every data file of the source, loaded or not (a partial validation loads only some)
    source_paths: list[str] = field(default_factory=list)
    # identities named by files that failed to load, so references to them do not cascade
    unreadable: dict[str, set[str]] = field(default_factory=dict)
    _by_kind: dict[str, list[Document]] = field(default_factory=dict)
    # values derived from the documents (element rows, effective defaults …), computed once
    # however many environments are rendered from this Repo
    derived: dict[Any, Any] = field(default_factory=dict)

    def add(self, path: str, document: Document) -> None:
        self.documents[path] = document
        self._by_kind.setdefault(document.KIND, []).append(document)

    def of(self, model: type[T]) -> list[T]:
        return self._by_kind.get(model.KIND, [])  # type: ignore[return-value]

    def names(self, model: type[Document]) -> set[str]:
        """Identities of this kind, including ones in files that failed to load."""
        return {d.identity() for d in self.of(model)} | self.unreadable.get(model.KIND, set())

    def could_not_load(self, model: type[Document], identity: str) -> bool:
        return identity in self.unreadable.get(model.KIND, set())


_IDENTITY_KEYS = {
    "Environment": "name",
    "Cluster": "name",
    "Release": "version",
    "PortalSystem": "id",
    "AccessPolicy": "id",
    "DatahubPeer": "id",
    "DatahubInterface": "id",
    "ConfigItemSet": "domain",
    "ControlRuleSet": "domain",
}


def _unreadable_identity(root: YMap) -> tuple[str, str] | None:
    kind = root.get("kind")
    key = _IDENTITY_KEYS.get(kind) if isinstance(kind, str) else None
    if kind == "ElementSet":
        name = root.get("set_code")
    elif kind == "Namespace":
        name = f"{root.get('cluster')}/{root.get('name')}"
    else:
        name = root.get(key) if key else None
    if isinstance(kind, str) and isinstance(name, str):
        return kind, name
    return None


def load_repo(
    source: FileSource,
    file_checks: FileCheck | None = None,
    only: set[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache: LoadCache | None = None,
) -> Repo:
    """Read, parse and model every data file (or those in ``only``).

    With a ``cache``, files whose content id was loaded before (the same blob in another
    revision) are not read again: their diagnostics and model are shared (unless they were
    loaded without the ``file_checks`` asked for now).
    """
    repo = Repo()
    paths = source.data_paths()
    repo.source_paths = paths
    if only is not None:
        paths = [p for p in paths if p in only]
    repo.paths = paths
    with paused_gc():
        for done, path in enumerate(paths, start=1):
            if progress is not None:
                progress(done, len(paths))
            if done % _COLLECT_EVERY == 0:
                gc.collect(0)
            content_id = source.content_id(path) if cache is not None else None
            loaded = cache.get((path, content_id)) if cache is not None and content_id else None
            if loaded is None or (file_checks is not None and not loaded.checked):
                loaded = _load_file(source, path, file_checks)
                if cache is not None and content_id:
                    cache[(path, content_id)] = loaded
            repo.diagnostics.extend(loaded.diagnostics)
            if loaded.model is not None:
                repo.add(path, loaded.model)
            elif loaded.unreadable is not None:
                kind, name = loaded.unreadable
                repo.unreadable.setdefault(kind, set()).add(name)
    return repo


def _load_file(source: FileSource, path: str, file_checks: FileCheck | None) -> LoadedFile:
    """Read, parse and model one file; the raw tree is dropped on return."""
    checked = file_checks is not None
    if kind_for_path(path) is None and path not in ROOT_FILES:
        folder = Diagnostic(
            path,
            1,
            1,
            RULE_FOLDER,
            Severity.ERROR,
            "no kind of file lives in this folder; the folders are: "
            + ", ".join(info.folder for info in KINDS.values()),
        )
        return LoadedFile((folder,), None, None, checked)
    result = read_yaml(path, source.read(path))
    found = list(result.diagnostics)
    if result.document is None:
        return LoadedFile(tuple(found), None, None, checked)
    if file_checks is not None:
        found.extend(file_checks(result.document))
    model, problems = check_structure(result.document)
    found.extend(problems)
    unreadable = _unreadable_identity(result.document.root) if model is None else None
    return LoadedFile(tuple(found), model, unreadable, checked)
