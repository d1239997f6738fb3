"""Read what the gate needs from git: first-parent commits with their trailers, what a merge
brings in, which files it changes, and files as they were at a revision.

A commit is read as the git object it is: the headers git wrote (tree, parents, author,
committer) are parsed by their fixed grammar, and the trailers by git's own trailer rules
(``git interpret-trailers``). Nothing a committer writes in a message or a name can change how
another field, or another commit, is read. A commit that does not read cleanly (bytes that are
not UTF-8, a NUL, a malformed identity) keeps its defects, and the gate refuses it for them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dfctl.adapters.git import GitRepository
from dfctl.errors import GitError

_GITLAB_MERGE = re.compile(r"^Merge branch '[^']+' into '[^']+'$")
_PERSON = re.compile(r"^(?P<name>[^<>]*?)\s*<(?P<email>[^<>\s@]+@[^<>\s@]+)>$")
_OBJECT_ID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_TIME = re.compile(r"^ (?P<seconds>\d{1,12}) (?P<zone>[+-]\d{4})$")

APPROVED_BY = "Approved-by"
BREAK_GLASS = "Break-glass"
CO_AUTHORED_BY = "Co-authored-by"
SUPERSEDES = "Supersedes"


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
    committer: Person | None = None
    tree: str = ""
    defects: tuple[str, ...] = ()  # why the commit does not read cleanly; the gate refuses it
    supersedes: tuple[str, ...] = ()  # raw trailer values: refused commits this one replaces
    committed_at: dt.datetime | None = None  # the committer's time, as the committer wrote it

    @property
    def title(self) -> str:
        """What the change is called: a GitLab merge commit's subject only names the branch, the
        merge request's title is the first line of its body. Lines end at ``\n`` only, as git
        reads them (``str.splitlines`` would also end them at characters like \x1e)."""
        if _GITLAB_MERGE.match(self.subject):
            for line in self.body.split("\n"):
                if line.strip():
                    return line.strip()
        return self.subject

    @property
    def short(self) -> str:
        return self.sha[:12]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


# -- reading one commit object ------------------------------------------------------------------


def _text(raw: bytes, what: str, defects: list[str]) -> str:
    """``raw`` as text; bytes that are not UTF-8, and NULs, are defects of the commit."""
    if b"\0" in raw:
        defects.append(f"its {what} holds a NUL byte")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        defects.append(f"its {what} is not valid UTF-8")
        return raw.decode("utf-8", "replace")


def _identity(
    raw: bytes | None, what: str, defects: list[str]
) -> tuple[Person, dt.datetime | None]:
    """``Name <email> seconds zone`` as git writes author and committer headers."""
    if raw is None:
        defects.append(f"it has no {what}")
        return Person("?", "?"), None
    text = _text(raw, what, defects)
    opening = text.find("<")
    closing = text.find(">", opening + 1)
    if opening < 0 or closing < 0:
        defects.append(f'its {what} is not "Name <email>"')
        return Person(text.strip()[:80] or "?", "?"), None
    person = Person(text[:opening].strip(), text[opening + 1 : closing].strip())
    stamp = _TIME.match(text[closing + 1 :])
    if stamp is None:
        defects.append(f"its {what} has no valid time")
        return person, None
    zone = int(stamp["zone"])
    offset = dt.timedelta(hours=abs(zone) // 100, minutes=abs(zone) % 100)
    try:
        moment = dt.datetime.fromtimestamp(
            int(stamp["seconds"]), dt.timezone(-offset if zone < 0 else offset)
        )
    except (OverflowError, OSError, ValueError):
        defects.append(f"its {what} has no valid time")
        return person, None
    return person, moment


def _headers(raw: bytes, defects: list[str]) -> tuple[dict[bytes, list[bytes]], bytes]:
    """The commit's headers (continuation lines folded in) and its message.

    git writes ``tree``, then every ``parent``, then ``author`` and ``committer``, each once and
    in that order, and reads parents only from the lines right after the tree. A commit object
    written otherwise (a ``parent`` line after the author, a second author …) is not what git
    shows: its structural headers are taken as git takes them, and the rest is a defect.
    """
    head, _, message = raw.partition(b"\n\n")
    headers: dict[bytes, list[bytes]] = {}
    last: list[bytes] | None = None
    order = [b"tree", b"parent", b"author", b"committer"]
    stage = 0  # how far through ``order`` the lines have come
    for line in head.split(b"\n"):
        if line.startswith(b" ") and last:
            last[-1] += b"\n" + line[1:]
            continue
        key, _, value = line.partition(b" ")
        if key in order:
            position = order.index(key)
            repeat_ok = key == b"parent" and stage == position
            if position < stage or (position == stage and not repeat_ok and key in headers):
                defects.append(f"its {key.decode()} header is out of place or repeated")
                last = None
                continue
            stage = position
        last = headers.setdefault(key, [])
        last.append(value)
    return headers, message


def _subject_and_body(message: str) -> tuple[str, str]:
    """git's ``%s`` (the first paragraph, its lines joined) and ``%b`` (the rest)."""
    lines = message.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    subject = " ".join(line.strip() for line in lines[start:end])
    rest = lines[end:]
    while rest and not rest[0].strip():
        rest = rest[1:]
    return subject, "\n".join(rest)


def read_commit(repo: GitRepository, sha: str) -> Commit:
    found = repo.read_object(sha)
    if found.type != "commit":
        raise GitError(f"{sha[:12]} is a {found.type}, not a commit")
    defects: list[str] = []
    headers, raw_message = _headers(found.data, defects)
    tree = headers.get(b"tree", [b""])[0].decode("ascii", "replace")
    parents = tuple(p.decode("ascii", "replace") for p in headers.get(b"parent", []))
    for name, value in (("tree", tree), *(("parent", p) for p in parents)):
        if not _OBJECT_ID.match(value):
            defects.append(f"its {name} {value[:80]!r} is not an object id")
    author, _authored_at = _identity(headers.get(b"author", [None])[0], "author", defects)
    committer, committed_at = _identity(headers.get(b"committer", [None])[0], "committer", defects)
    message = _text(raw_message, "message", defects)
    subject, body = _subject_and_body(message)
    trailers: dict[str, list[str]] = {}
    for key, value in repo.trailers(raw_message.replace(b"\0", b"")):
        trailers.setdefault(key.lower(), []).append(value)

    def values(key: str) -> tuple[str, ...]:
        return tuple(v for v in trailers.get(key.lower(), []) if v)

    return Commit(
        sha,
        parents,
        author,
        subject,
        values(APPROVED_BY),
        values(BREAK_GLASS),
        values(CO_AUTHORED_BY),
        body,
        committer,
        tree,
        tuple(defects),
        values(SUPERSEDES),
        committed_at,
    )


# -- history ------------------------------------------------------------------------------------


def first_parent_commits(repo: GitRepository, base: str | None, head: str) -> list[Commit]:
    """The commits main went through after ``base`` up to ``head``, oldest first."""
    head_sha = repo.resolve(head)
    exclude = [repo.resolve(base)] if base else []
    ids = repo.rev_list([head_sha], exclude, first_parent=True, reverse=True)
    return [read_commit(repo, sha) for sha in ids]


def merge_own_changes(repo: GitRepository, merge: Commit) -> tuple[str, ...]:
    """The paths a merge commit changes itself: where its tree differs from git's automatic
    merge of its two parents (``git merge-tree --write-tree``). A merge GitLab makes changes
    nothing itself; an "evil merge" (a change slipped into the merge commit) or a conflict
    resolved in it does, and that change is its merger's. GitError when git cannot merge them."""
    first, second = merge.parents
    automatic, _clean = repo.merge_tree(first, second)
    if automatic == merge.tree:
        return ()
    return tuple(repo.changed_paths(automatic, merge.tree))


def brought_in(repo: GitRepository, merge: Commit) -> list[Commit]:
    """The commits a merge brings into its first parent (the merge request's own commits)."""
    if not merge.is_merge:
        return []
    first, *others = merge.parents
    return [read_commit(repo, sha) for sha in repo.rev_list(others, [first])]
