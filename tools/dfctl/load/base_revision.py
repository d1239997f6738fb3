"""Which revision a change is judged against (``dfctl validate --base auto``).

- In a pre-commit hook (pre-commit sets ``PRE_COMMIT=1``): ``HEAD``, the commit being extended.
- In a GitLab merge-request pipeline: ``CI_MERGE_REQUEST_DIFF_BASE_SHA``, the commit of the
  target branch the merge request's diff starts from.
- Anywhere else (a branch pipeline, a laptop, ``.ci/run`` on main): the merge base of ``HEAD``
  with the default branch, ``origin/HEAD``, else ``main``, else ``origin/main``. On main itself
  that is ``HEAD`` (nothing to compare), or the last pushed commit when main is ahead.

Before the first commit there is nothing to compare with: every file is new, so nothing can have
been removed. Every other way of not finding the base (not a git repository, no default branch,
a base commit a shallow clone does not hold) is an error that says what to do, never a silent
run without the evolution rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dfctl.adapters.git import GitRepository
from dfctl.errors import GitError, SourceError

PRE_COMMIT = "PRE_COMMIT"
MERGE_REQUEST_BASE = "CI_MERGE_REQUEST_DIFF_BASE_SHA"
DEFAULT_BRANCHES = ("origin/HEAD", "main", "origin/main")
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class BaseChoice:
    """The base found: a full commit id (None before the first commit), and how it was found."""

    commit: str | None
    how: str


def find_base(root: Path, environ: Mapping[str, str]) -> BaseChoice:
    """The base revision for the work tree at ``root`` (see the module's description).

    Raises SourceError, with what to do, when it cannot be found.
    """
    git = GitRepository.open(root)
    try:
        return _find(git, environ)
    finally:
        git.close()


def _find(git: GitRepository, environ: Mapping[str, str]) -> BaseChoice:
    head = git.head()
    if environ.get(PRE_COMMIT) == "1":
        if head is None:
            return BaseChoice(None, "the first commit: nothing to compare with")
        return BaseChoice(head, "HEAD")
    given = environ.get(MERGE_REQUEST_BASE, "").strip()
    if given:
        return BaseChoice(_merge_request_base(git, given), MERGE_REQUEST_BASE)
    if head is None:
        return BaseChoice(None, "no commit yet: nothing to compare with")
    for branch in DEFAULT_BRANCHES:
        tip = git.try_resolve(branch)
        if tip is None:
            continue
        found = git.merge_base(head, tip)
        if found is None:
            raise SourceError(
                f"HEAD and {branch} have no common ancestor in this clone{_shallow(git)}; "
                "fetch more history (git fetch --unshallow) or name the base with --base REV"
            )
        return BaseChoice(found, f"merge base of HEAD and {branch}")
    raise SourceError(
        f"no default branch to compare with: none of {', '.join(DEFAULT_BRANCHES)} names a "
        "commit; fetch it (git fetch origin main) or name the base with --base REV"
    )


def _merge_request_base(git: GitRepository, given: str) -> str:
    sha = given.lower()
    if len(sha) not in (40, 64) or not set(sha) <= _HEX:
        raise SourceError(f"{MERGE_REQUEST_BASE} is not a commit id: {given[:80]!r}")
    if not git.has_commit(sha):
        raise SourceError(
            f"{MERGE_REQUEST_BASE} {sha[:12]} is not in this clone{_shallow(git)}; fetch it "
            f"(git fetch origin {sha}) or clone more history (GIT_DEPTH: 0)"
        )
    try:
        return git.resolve(sha)
    except GitError as exc:
        raise SourceError(str(exc)) from exc


def _shallow(git: GitRepository) -> str:
    try:
        return " (a shallow clone)" if git.is_shallow() else ""
    except GitError:
        return ""
