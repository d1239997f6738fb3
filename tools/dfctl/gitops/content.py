"""What a change does to the environments, read from git for approvals.yaml's content rules.

Both revisions are loaded, validated and rendered (``dfctl.pipeline``), and compared by the same
review diff a merge request shows (``dfctl.diff.review``): every changed object with its
environment, its cluster (or the configuration service) and its risk flags. A production
namespace filed under an acceptance folder is then a production change, whatever its path.

The date the revisions are validated on is the change's own committer date (in Asia/Shanghai),
never the clock: a verdict is a function of git content, the same on every machine and every day.

When the change's revision fails validation, what it would do cannot be told; the gate then
applies every content rule (``unknown``). When only the revision it starts from fails, that
revision counts as empty: everything the change leaves is judged as added. Both err on the side
of asking for more approvals, never fewer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from dfctl.adapters.git import GitRepository
from dfctl.clock import today_in_shanghai
from dfctl.diff.review import change_items, review
from dfctl.errors import RenderError
from dfctl.gitops.history import Commit
from dfctl.load.gitsource import GitRevision
from dfctl.load.repo import LoadCache, Repo, is_data_path, load_repo
from dfctl.model import Environment
from dfctl.model.approvals import ChangeItem
from dfctl.pipeline import CheckedRevision, check, first_errors


@dataclass(frozen=True)
class ContentChange:
    """What a change does: its changed objects (``items``), or why that cannot be told."""

    items: tuple[ChangeItem, ...] = ()
    unknown: str | None = None  # the change's revision fails validation
    notes: tuple[str, ...] = ()


class Contents:
    """Revisions of one repository checked for the gate, each once per date; files that two
    revisions share are read and modelled once."""

    def __init__(self, root: Path, git: GitRepository) -> None:
        self.root = root
        self.git = git
        self._cache: LoadCache = {}
        self._checked: dict[tuple[str, dt.date], CheckedRevision] = {}

    def checked(self, rev: str, day: dt.date) -> CheckedRevision:
        key = (rev, day)
        if key not in self._checked:
            source = GitRevision(self.root, rev, self.git)
            self._checked[key] = check(source, day, f"revision {rev[:12]}", self._cache)
        return self._checked[key]

    def environments(self, rev: str) -> dict[str, Environment]:
        """The environments defined at ``rev`` (those that load), without validating them."""
        source = GitRevision(self.root, rev, self.git)
        only = {p for p in source.data_paths() if p.startswith("environments/")}
        return {e.name: e for e in load_repo(source, only=only, cache=self._cache).of(Environment)}

    def change(self, since: str, commit: Commit, changed: list[str]) -> ContentChange:
        """What ``commit`` does to the environments compared with ``since`` (its parent, or
        where the change it supersedes started)."""
        if not any(is_data_path(p) for p in changed):
            return ContentChange()
        assert commit.committed_at is not None  # a commit without a time is refused earlier
        day = today_in_shanghai(commit.committed_at)
        after = self.checked(commit.sha, day)
        if after.result.errors:
            errors = "; ".join(first_errors(after.result.diagnostics, 1))
            return ContentChange(
                unknown=f"{commit.short} fails validation on {day} "
                f"({after.result.errors} errors, the first: {errors})"
            )
        before = self.checked(since, day)
        notes: tuple[str, ...] = ()
        base: Repo = before.repo
        if before.result.errors:
            base = Repo()
            notes = (
                f"{since[:12]} fails validation on {day}: everything {commit.short} leaves is "
                "judged as added",
            )
        try:
            found = review(base, after.repo, since, commit.sha)
        except RenderError as exc:
            return ContentChange(
                unknown=f"{commit.short} or {since[:12]} cannot be rendered: {exc}"
            )
        return ContentChange(tuple(change_items(found.changes, found.flags)), None, notes)
