"""Read what the gate needs from git: first-parent commits with their trailers, what a merge
brings in, which files it changes, and files as they were at a revision.

Everything goes through git itself (trailers are parsed by ``git log``'s own trailer rules), so
the gate reads a commit exactly as git and GitLab do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import git

_FIELD = "\x1f"
_RECORD = "\x1e"
_VALUE = "\x1d"
_GITLAB_MERGE = re.compile(r"^Merge branch '[^']+' into '[^']+'$")
_PERSON = re.compile(r"^(?P<name>[^<>]*?)\s*<(?P<email>[^<>\s@]+@[^<>\s@]+)>$")

APPROVED_BY = "Approved-by"
BREAK_GLASS = "Break-glass"
CO_AUTHORED_BY = "Co-authored-by"


class HistoryError(Exception):
    """The repository or a revision cannot be read; the message says which."""


@dataclass(frozen=True, order=True)
class Person:
    name: str
    email: str

    @property
    def key(self) -> str:
        """Who this is: emails are compared without regard to case."""
        return self.email.lower()

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


def parse_person(text: str) -> Person | None:
    """``Name <email>`` as GitLab writes it in trailers; None when it is not that."""
    found = _PERSON.match(text.strip())
    if found is None:
        return None
    return Person(found["name"].strip(), found["email"])


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: Person
    subject: str
    approved_by: tuple[str, ...] = ()  # raw trailer values, in order
    break_glass: tuple[str, ...] = ()  # raw trailer values (the reasons)
    co_authors: tuple[str, ...] = ()
    body: str = ""

    @property
    def title(self) -> str:
        """What the change is called: a GitLab merge commit's subject only names the branch, the
        merge request's title is the first line of its body."""
        if _GITLAB_MERGE.match(self.subject):
            for line in self.body.splitlines():
                if line.strip():
                    return line.strip()
        return self.subject

    @property
    def short(self) -> str:
        return self.sha[:12]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


def _trailer(key: str) -> str:
    return f"%(trailers:key={key},valueonly,unfold,separator=%x1d)"


_FORMAT = (
    "%x1f".join(
        [
            "%H",
            "%P",
            "%an",
            "%ae",
            "%s",
            _trailer(APPROVED_BY),
            _trailer(BREAK_GLASS),
            _trailer(CO_AUTHORED_BY),
            "%b",
        ]
    )
    + "%x1e"
)


def open_repo(path: str | Path) -> git.Repo:
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise HistoryError(f"{path} is not a git repository") from exc


def _values(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(_VALUE) if v.strip())


def _commits(repo: git.Repo, *args: str) -> list[Commit]:
    try:
        out = repo.git.log(f"--format={_FORMAT}", *args)
    except git.GitCommandError as exc:
        raise HistoryError(f"git log {' '.join(args)}: {git_error(exc)}") from exc
    found = []
    for raw in out.split(_RECORD):
        record = raw.strip("\n")
        if not record:
            continue
        sha, parents, name, email, subject, approved, glass, co, body = record.split(_FIELD)
        found.append(
            Commit(
                sha,
                tuple(parents.split()),
                Person(name, email),
                subject,
                _values(approved),
                _values(glass),
                _values(co),
                body,
            )
        )
    return found


def resolve(repo: git.Repo, rev: str) -> str:
    """The full commit id ``rev`` names."""
    try:
        return str(repo.git.rev_parse("--verify", "--end-of-options", f"{rev}^{{commit}}"))
    except git.GitCommandError as exc:
        raise HistoryError(f"unknown revision {rev!r}") from exc


def commit(repo: git.Repo, rev: str) -> Commit:
    return _commits(repo, "-1", resolve(repo, rev))[0]


def first_parent_commits(repo: git.Repo, base: str | None, head: str) -> list[Commit]:
    """The commits main went through after ``base`` up to ``head``, oldest first."""
    head_sha = resolve(repo, head)
    spec = f"{resolve(repo, base)}..{head_sha}" if base else head_sha
    return _commits(repo, "--first-parent", "--reverse", spec)


def brought_in(repo: git.Repo, merge: Commit) -> list[Commit]:
    """The commits a merge brings into its first parent (the merge request's own commits)."""
    if not merge.is_merge:
        return []
    first, *others = merge.parents
    return _commits(repo, *others, f"^{first}")


def changed_paths(repo: git.Repo, old: str, new: str) -> list[str]:
    """Every path that differs between two revisions; a rename counts as both of its paths."""
    try:
        out = repo.git.diff("--name-only", "--no-renames", "-z", old, new, "--")
    except git.GitCommandError as exc:
        raise HistoryError(f"git diff {old[:12]} {new[:12]}: {git_error(exc)}") from exc
    return sorted(p for p in out.split("\0") if p)


def blob_at(repo: git.Repo, rev: str, path: str) -> tuple[str, bytes] | None:
    """(blob id, content) of ``path`` at ``rev``; None when the file is not there."""
    try:
        tree = repo.commit(rev).tree
        blob = tree / path
    except (KeyError, ValueError, git.BadName):
        return None
    data: bytes = blob.data_stream.read()
    return str(blob.hexsha), data


def is_ancestor(repo: git.Repo, older: str, newer: str) -> bool:
    """Whether ``older`` is in the history of ``newer``; False when git does not know it."""
    try:
        repo.git.cat_file("-e", f"{older}^{{commit}}")
    except git.GitCommandError:
        return False
    try:
        repo.git.merge_base("--is-ancestor", older, newer)
    except git.GitCommandError as exc:
        if exc.status == 1:
            return False
        raise HistoryError(f"git merge-base {older[:12]} {newer[:12]}: {git_error(exc)}") from exc
    return True


def git_error(exc: git.GitCommandError) -> str:
    """git's own complaint: its first ``fatal:`` or ``error:`` line, else its last line."""
    text = exc.stderr if isinstance(exc.stderr, str) else str(exc.stderr or "")
    lines = [
        line.strip().removeprefix("stderr: ").strip("'").strip()
        for line in text.strip().splitlines()
        if line.strip()
    ]
    lines = [line for line in lines if line]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[-1] if lines else str(exc)
