"""`dfctl validate`: load, check, and collect every diagnostic, sorted and de-duplicated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dfctl.checks import CheckContext, run_file_rules, run_repo_rules
from dfctl.checks.depends import BASE_KINDS, selection
from dfctl.diagnostics import Diagnostic, Severity, sort_key
from dfctl.load.gitsource import GitRevision, HashedWorkTree, changed_since
from dfctl.load.repo import FileSource, LoadCache, Repo, WorkTree, load_repo, paused_gc
from dfctl.model import kind_for_path


@dataclass(frozen=True)
class ValidationResult:
    diagnostics: list[Diagnostic]
    files_checked: int

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.WARNING)


def load_checked(
    source: FileSource,
    only: set[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache: LoadCache | None = None,
) -> Repo:
    return load_repo(
        source,
        file_checks=lambda doc: list(run_file_rules(doc)),
        only=only,
        progress=progress,
        cache=cache,
    )


def check_source(
    source: FileSource,
    today: dt.date,
    cache: LoadCache | None = None,
    base: Repo | None = None,
) -> tuple[Repo, ValidationResult]:
    """Load and check every data file of ``source``; the Repo is returned for rendering.

    Revisions checked with the same ``cache`` read each distinct file once. With ``base`` (the
    same repository at an earlier revision, loaded), the evolution rules run against it.
    """
    with paused_gc():
        repo = load_checked(source, cache=cache)
        return repo, check_loaded(repo, today, base)


def check_loaded(repo: Repo, today: dt.date, base: Repo | None = None) -> ValidationResult:
    """What loading ``repo`` found (it was loaded with ``load_checked``) and the repository
    rules, against ``base`` (loaded, for the evolution and province-lock rules) when given."""
    with paused_gc():
        found = set(repo.diagnostics)
        found.update(run_repo_rules(CheckContext(repo=repo, today=today, base=base)))
    return ValidationResult(sorted(found, key=sort_key), len(repo.paths))


def validate(
    root: str | Path,
    today: dt.date,
    paths: list[str] | None = None,
    base: str | None = None,
    source: FileSource | None = None,
    progress: Callable[[int, int], None] | None = None,
    changed: bool = False,
) -> ValidationResult:
    """Check the repository at ``root`` (or just ``paths`` and what depends on them).

    ``paths`` are repository-relative. ``base`` names a git revision to compare against for the
    evolution and province-lock rules; with ``changed`` the files that differ from it (deleted
    ones included) are checked as if named in ``paths``. Raises SourceError when ``base``
    cannot be read.

    Against a base, the work tree's files are named by their git blob ids and the base's files
    of the kinds the base rules read are loaded through the same cache: a file the change did
    not touch is parsed once, and its model is the same object at both revisions, which lets
    those rules skip it.
    """
    base_source = GitRevision(root, base) if base is not None else None
    hashed = HashedWorkTree(root, base_source.hash_name) if base_source and not source else None
    source = source or hashed or WorkTree(root)
    if changed:
        if base_source is None or hashed is None:
            raise ValueError("checking the changed files needs a base and the work tree")
        paths = sorted(set(paths or ()) | changed_since(base_source, hashed))
    only: set[str] | None = None
    report: set[str] | None = None
    if paths is not None:
        only, report = selection(paths, source.data_paths())
        # files named but not data files (or absent) are reported by the loader as they are
        only |= set(paths) & set(source.data_paths())
    cache: LoadCache | None = {} if base_source is not None else None
    with paused_gc():
        repo = load_checked(source, only, progress, cache)
        base_repo = None
        if base_source is not None:
            base_repo = load_repo(base_source, only=_base_paths(base_source, only), cache=cache)
        context = CheckContext(repo=repo, today=today, base=base_repo)
        found = set(repo.diagnostics)
        found.update(run_repo_rules(context))
        files_checked = len(repo.paths)
        # Dropped while collection is still paused: once it is back on, its first passes would
        # walk every loaded object again (most of a second on a province-sized repository).
        del repo, base_repo, context, cache
    if report is not None:
        found = {d for d in found if d.file in report}
    return ValidationResult(sorted(found, key=sort_key), files_checked)


def _base_paths(base: GitRevision, only: set[str] | None) -> set[str]:
    """The base's files the base rules read: of their kinds, and of the kinds checked now."""
    kinds = BASE_KINDS
    if only is not None:
        kinds = kinds & {kind_for_path(path) for path in only}
    return {path for path in base.data_paths() if kind_for_path(path) in kinds}
