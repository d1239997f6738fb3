"""From files to desired state, one way for every caller: load → check → render.

The commands (render, diff, plan, apply, drift) and the reconcile loop all go through here, so a
revision is loaded and validated once however many environments are rendered from it, and a
revision that fails validation is never rendered, whoever asks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dfctl.adapters.git import GitRepository
from dfctl.diagnostics import Diagnostic, Severity
from dfctl.errors import ValidationFailed
from dfctl.load.gitsource import GitRevision
from dfctl.load.repo import FileSource, LoadCache, LoadedFile, Repo, load_repo, paused_gc
from dfctl.model import Environment
from dfctl.render import DesiredState, render
from dfctl.validate import ValidationResult, check_loaded, check_source, load_checked


@dataclass(frozen=True)
class CheckedRevision:
    """A loaded and validated revision (or work tree); ``commit`` is None for a work tree."""

    label: str
    repo: Repo
    result: ValidationResult
    commit: str | None = None

    def environment(self, name: str) -> Environment | None:
        return next((e for e in self.repo.of(Environment) if e.name == name), None)

    def require_valid(self) -> None:
        """ValidationFailed, with the errors, when the revision has any."""
        if self.result.errors:
            errors = [d for d in self.result.diagnostics if d.severity is Severity.ERROR]
            raise ValidationFailed(self.label, errors)

    def desired_state(self, env: str) -> DesiredState:
        """The desired state of ``env``. ValidationFailed when the revision has errors;
        RenderError when the environment is unknown or renders objects the API would reject."""
        self.require_valid()
        return render(self.repo, env)


def check(
    source: FileSource,
    today: dt.date,
    label: str = "the repository",
    cache: LoadCache | None = None,
) -> CheckedRevision:
    """Load and check every data file of ``source`` (``Revisions.checked`` checks one against
    a base too)."""
    repo, result = check_source(source, today, cache)
    commit = source.commit if isinstance(source, GitRevision) else None
    return CheckedRevision(label, repo, result, commit)


def check_revision(
    root: Path,
    rev: str,
    today: dt.date,
    cache: LoadCache | None = None,
    repo: GitRepository | None = None,
) -> CheckedRevision:
    """Load and check the data files of a committed revision (no checkout)."""
    return check(GitRevision(root, rev, repo), today, f"revision {rev}", cache)


def check_pair(
    root: Path, base: str, head: str, today: dt.date
) -> tuple[CheckedRevision, CheckedRevision, list[str]]:
    """Two revisions for a review, and every path the change touches (code too), relative to
    ``root``. Each file both revisions hold unchanged is read once, and what is derived from its
    model for rendering is computed once."""
    shared: LoadCache = {}
    git = GitRepository.open(root)
    before_source = GitRevision(root, base, git)
    before = check(before_source, today, f"revision {base}", shared)
    after_source = GitRevision(root, head, git)
    after = check(after_source, today, f"revision {head}", shared)
    # the derived values are keyed by the models' identities, which unchanged files share
    after.repo.derived = before.repo.derived
    prefix = after_source.prefix
    changed = [
        path.removeprefix(prefix)
        for path in git.changed_paths(before_source.commit, after_source.commit)
        if path.startswith(prefix)
    ]
    return before, after, changed


class _Kept(dict[tuple[str, str], LoadedFile]):
    """A LoadCache that remembers which files the last load used, so the rest can go."""

    def __init__(self) -> None:
        super().__init__()
        self.used: set[tuple[str, str]] = set()

    def get(self, key: tuple[str, str], default: Any = None) -> Any:
        self.used.add(key)
        return super().get(key, default)

    def keep_used(self) -> None:
        for key in [k for k in self if k not in self.used]:
            del self[key]
        self.used = set()


class Revisions:
    """Checked revisions of one repository, by commit, date and base: each is loaded and
    validated once. Only the most recent is held: a province-sized revision is large.

    With ``reuse_files``, the files a revision shares with the one checked before it (the same
    blob at the same path) are not read and parsed again: a continuous reconciler checks each
    merge, which changes a file or two. Only the files of the last revision (and its base) are
    kept.
    """

    def __init__(
        self, root: Path, git: GitRepository | None = None, *, reuse_files: bool = False
    ) -> None:
        self.root = root
        self.git = git or GitRepository.open(root)
        self._held: tuple[tuple[str, dt.date, str | None], CheckedRevision] | None = None
        self._files: _Kept | None = _Kept() if reuse_files else None

    def checked(self, rev: str, today: dt.date, base: str | None = None) -> CheckedRevision:
        """``rev`` validated on ``today``; with ``base`` (a revision), also against it for the
        evolution rules (DFP-EVO-*), as ``dfctl validate --base`` does."""
        key = (self.git.resolve(rev), today, self.git.resolve(base) if base else None)
        if self._held is None or self._held[0] != key:
            self._held = None  # drop the old one before loading the next
            shared: LoadCache = self._files if self._files is not None else {}
            with paused_gc():
                # the revision first, with the file rules: the base then takes every file the
                # change left alone from it, the same model at both revisions (which the base
                # rules skip), and no file of the revision is taken unchecked from the base
                repo = load_checked(GitRevision(self.root, key[0], self.git), cache=shared)
                earlier = None
                if key[2] is not None:
                    earlier = load_repo(GitRevision(self.root, key[2], self.git), cache=shared)
                result = check_loaded(repo, today, earlier)
            if self._files is not None:
                self._files.keep_used()
            self._held = (key, CheckedRevision(f"revision {rev}", repo, result, key[0]))
        return self._held[1]

    def close(self) -> None:
        self._held = None
        self.git.close()


def first_errors(diagnostics: Sequence[Diagnostic], limit: int) -> list[str]:
    """The first ``limit`` errors, one line each, for places that cannot list them all."""
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    return [str(d) for d in errors[:limit]]
