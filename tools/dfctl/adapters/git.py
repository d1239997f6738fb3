"""The git adapter: the only module that imports gitpython.

Everything dfctl asks of git goes through :class:`GitRepository`, typed, with git's complaints
turned into :class:`~dfctl.errors.GitError`. Commits are read as git objects (the raw bytes of
the commit object through ``git cat-file``), never by splitting formatted ``git log`` output:
a committer controls messages and names, and no byte in them may change how a record is read.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import git

from dfctl.errors import GitError, MirrorError, SourceError

FETCH_TIMEOUT = 300.0


@dataclass(frozen=True)
class RawObject:
    """A git object as stored: its type (``commit``, ``tree``, ``blob``, ``tag``) and bytes."""

    type: str
    data: bytes


@dataclass(frozen=True)
class SignatureCheck:
    """What ``git verify-commit`` made of a commit's signature."""

    valid: bool
    status: str  # git's %G? letter: G good, N none, B bad, U/E unknown key, X/Y expired, R revoked
    key: str  # the signing key's fingerprint, when there is a signature
    principal: str = ""  # who the allowed-signers file names for that key (git's %GS)


class GitRepository:
    """A git repository, with or without a work tree."""

    def __init__(self, repo: git.Repo) -> None:
        self._repo = repo

    # -- opening -----------------------------------------------------------------------------
    @staticmethod
    def open(path: str | Path) -> GitRepository:
        """The repository holding ``path`` (a work tree folder or a bare repository)."""
        try:
            return GitRepository(git.Repo(path, search_parent_directories=True))
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise SourceError(f"{path} is not inside a git repository") from exc

    @staticmethod
    def open_or_init_bare(path: Path) -> GitRepository:
        """The bare repository at ``path``, created empty when it does not exist yet."""
        if not (path / "HEAD").exists():
            path.mkdir(parents=True, exist_ok=True)
            return GitRepository(git.Repo.init(path, bare=True))
        return GitRepository(git.Repo(path))

    @staticmethod
    def work_tree_of(path: Path) -> Path | None:
        """The top folder of the work tree around ``path``; None outside any."""
        try:
            top = git.Repo(path, search_parent_directories=True).working_tree_dir
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            return None
        return Path(top).resolve() if top else None

    @property
    def work_tree(self) -> Path | None:
        top = self._repo.working_tree_dir
        return Path(top).resolve() if top else None

    @property
    def git_dir(self) -> Path:
        return Path(self._repo.git_dir)

    def close(self) -> None:
        self._repo.close()

    # -- names and history -------------------------------------------------------------------
    def resolve(self, rev: str) -> str:
        """The full commit id ``rev`` names."""
        try:
            return str(self._git("rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}"))
        except GitError as exc:
            raise GitError(f"unknown revision {rev!r}") from exc

    def head(self) -> str | None:
        """The commit HEAD points at (a branch or a detached HEAD); None before the first
        commit."""
        try:
            return str(self._git("rev-parse", "--verify", "--quiet", "HEAD^{commit}"))
        except GitError:
            return None

    def try_resolve(self, rev: str) -> str | None:
        """The full commit id ``rev`` names, or None when it names none."""
        try:
            return self.resolve(rev)
        except GitError:
            return None

    def merge_base(self, one: str, other: str) -> str | None:
        """The best common ancestor of two commits (full ids); None when this clone holds none
        (unrelated histories, or a shallow clone cut above it)."""
        _check_id(one)
        _check_id(other)
        try:
            out = self._repo.git.merge_base(one, other)
        except git.GitCommandError as exc:
            if exc.status == 1:
                return None
            raise GitError(f"git merge-base {one[:12]} {other[:12]}: {_complaint(exc)}") from exc
        return str(out).strip() or None

    def is_shallow(self) -> bool:
        """Whether this clone's history is cut short (``git clone --depth``)."""
        return self._git("rev-parse", "--is-shallow-repository").strip() == "true"

    def has_commit(self, sha: str) -> bool:
        try:
            self._git("cat-file", "-e", f"{sha}^{{commit}}")
        except GitError:
            return False
        return True

    def rev_list(
        self,
        include: Sequence[str],
        exclude: Sequence[str] = (),
        *,
        first_parent: bool = False,
        reverse: bool = False,
    ) -> list[str]:
        """Commit ids reachable from ``include`` and not from ``exclude`` (full ids only)."""
        for sha in (*include, *exclude):
            _check_id(sha)
        options = [
            *(["--first-parent"] if first_parent else []),
            *(["--reverse"] if reverse else []),
        ]
        out = self._git("rev-list", *options, *include, *(f"^{sha}" for sha in exclude), "--")
        return out.split()

    def read_object(self, sha: str) -> RawObject:
        """The object's type and its exact bytes, from git's object database."""
        _check_id(sha)
        try:
            stream = self._repo.odb.stream(bytes.fromhex(sha))
        except (ValueError, git.BadObject, git.BadName) as exc:
            raise GitError(f"no object {sha[:12]}") from exc
        kind = stream.type.decode() if isinstance(stream.type, bytes) else str(stream.type)
        data: bytes = stream.read()
        return RawObject(kind, data)

    def trailers(self, message: bytes) -> list[tuple[str, str]]:
        """The trailers git finds in a commit message, by git's own rules, in order.

        ``git interpret-trailers --parse`` prints each trailer unfolded on a line of its own,
        so reading one trailer per output line is exact whatever the message holds.
        """
        out = self._git_bytes("interpret-trailers", "--parse", "--no-divider", stdin=message)
        found = []
        for line in out.decode("utf-8", "replace").split("\n"):
            key, sep, value = line.partition(":")
            if sep:
                found.append((key.strip(), value.strip()))
        return found

    def is_ancestor(self, older: str, newer: str) -> bool:
        """Whether ``older`` is in the history of ``newer``; False when git does not know it."""
        if not self.has_commit(older):
            return False
        try:
            self._repo.git.merge_base("--is-ancestor", older, newer)
        except git.GitCommandError as exc:
            if exc.status == 1:
                return False
            raise GitError(f"git merge-base {older[:12]} {newer[:12]}: {_complaint(exc)}") from exc
        return True

    def merge_tree(self, ours: str, theirs: str) -> tuple[str, bool]:
        """(tree id, clean) of git's automatic merge of two commits, written to the object
        database but to no branch. ``clean`` is False when the merge has conflicts."""
        _check_id(ours)
        _check_id(theirs)
        try:
            out = self._repo.git.merge_tree("--write-tree", "--no-messages", ours, theirs)
        except git.GitCommandError as exc:
            if exc.status == 1 and isinstance(exc.stdout, str):
                # conflicts: the first line of output is still the tree, with conflict markers
                tree = exc.stdout.strip().removeprefix("stdout: ").strip("'").split()[0]
                return tree, False
            raise GitError(f"git merge-tree {ours[:12]} {theirs[:12]}: {_complaint(exc)}") from exc
        return str(out).split()[0], True

    # -- trees and files ---------------------------------------------------------------------
    def changed_paths(self, old: str, new: str) -> list[str]:
        """Every path that differs between two trees or commits; a rename counts as both paths.

        Paths are git's bytes; bytes that are not UTF-8 come back as lone surrogates
        (``surrogateescape``), so no two paths read alike and none fails to decode."""
        _check_id(old)
        _check_id(new)
        out = self._git_bytes("diff", "--name-only", "--no-renames", "-z", old, new, "--")
        return sorted(p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p)

    def tree_blobs(self, rev: str) -> dict[str, str]:
        """Every file of ``rev``'s tree: repository path → blob id."""
        out = self._git_bytes("ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev)
        found: dict[str, str] = {}
        for entry in out.split(b"\0"):
            if not entry:
                continue
            meta, _, path = entry.partition(b"\t")
            _mode, kind, sha = meta.decode().split()
            if kind == "blob":
                found[path.decode("utf-8", "surrogateescape")] = sha
        return found

    def read_blob(self, sha: str) -> bytes:
        found = self.read_object(sha)
        if found.type != "blob":
            raise GitError(f"{sha[:12]} is a {found.type}, not a file")
        return found.data

    def blob_at(self, rev: str, path: str) -> tuple[str, bytes] | None:
        """(blob id, content) of ``path`` at ``rev``; None when the file is not there."""
        try:
            blob = self._repo.commit(rev).tree / path
        except (KeyError, ValueError, git.BadName):
            return None
        data: bytes = blob.data_stream.read()
        return str(blob.hexsha), data

    # -- the remote --------------------------------------------------------------------------
    def fetch_branch(self, url: str, branch: str, timeout: float = FETCH_TIMEOUT) -> str:
        """Fetch ``branch`` from ``url`` into the same ref (forced); the commit it points at."""
        ref = f"refs/heads/{branch}"
        try:
            self._repo.git.fetch(
                "--no-tags", "--prune", "--quiet", url, f"+{ref}:{ref}", kill_after_timeout=timeout
            )
            return str(self._repo.git.rev_parse("--verify", f"{ref}^{{commit}}"))
        except git.GitCommandError as exc:
            raise MirrorError(f"cannot fetch {branch} from {url}: {_complaint(exc)}") from exc

    # -- signatures --------------------------------------------------------------------------
    def verify_signature(self, sha: str, allowed_signers: str) -> SignatureCheck:
        """git's own verification of ``sha``'s SSH signature against ``allowed_signers`` (the
        ssh-keygen ALLOWED SIGNERS text); the machine's git and GnuPG settings are not read."""
        _check_id(sha)
        with tempfile.TemporaryDirectory(prefix="dfctl-signers-") as folder:
            signers = Path(folder) / "allowed_signers"
            signers.write_text(allowed_signers, encoding="utf-8")
            gnupg = Path(folder) / "gnupg"  # an empty keyring: OpenPGP signatures never verify
            gnupg.mkdir(mode=0o700)
            options = (
                "-c",
                f"gpg.ssh.allowedSignersFile={signers}",
                "-c",
                "gpg.ssh.revocationFile=",
            )
            env = {**os.environ, "GNUPGHOME": str(gnupg)}
            status = self._repo.git.execute(
                ["git", *options, "log", "-1", "--format=%G?%x00%GK%x00%GS", sha], env=env
            )
            code, key, principal = [*str(status).split("\0"), "", ""][:3]
            try:
                self._repo.git.execute(["git", *options, "verify-commit", sha], env=env)
            except git.GitCommandError:
                return SignatureCheck(False, code.strip(), key.strip())
        return SignatureCheck(True, code.strip(), key.strip(), principal.strip())

    # -- plumbing ----------------------------------------------------------------------------
    def _git(self, *args: str) -> str:
        try:
            return str(self._repo.git.execute(["git", *args]))
        except git.GitCommandError as exc:
            raise GitError(f"git {args[0]}: {_complaint(exc)}") from exc

    def _git_bytes(self, *args: str, stdin: bytes | None = None) -> bytes:
        try:
            process = self._repo.git.execute(
                ["git", *args],
                as_process=True,
                istream=-1 if stdin is not None else None,  # a pipe
            )
        except git.GitCommandError as exc:
            raise GitError(f"git {args[0]}: {_complaint(exc)}") from exc
        proc = process.proc
        if proc is None:
            raise GitError(f"git {args[0]}: could not be started")
        out, err = proc.communicate(stdin)
        if proc.returncode != 0:
            text = err.decode("utf-8", "replace") if isinstance(err, bytes) else str(err or "")
            raise GitError(f"git {args[0]}: {_first_complaint(text) or 'failed'}")
        return out if isinstance(out, bytes) else bytes(out or b"")


def _check_id(sha: str) -> None:
    """Ids passed on to git are full object ids, never options or revision expressions."""
    if len(sha) not in (40, 64) or any(c not in "0123456789abcdef" for c in sha):
        raise GitError(f"not a full object id: {sha[:80]!r}")


def _complaint(exc: git.GitCommandError) -> str:
    text = exc.stderr if isinstance(exc.stderr, str) else str(exc.stderr or "")
    return _first_complaint(text) or str(exc)


def _first_complaint(text: str) -> str:
    """git's own complaint: its first ``fatal:`` or ``error:`` line, else its last line."""
    lines = [
        line.strip().removeprefix("stderr: ").strip("'").strip()
        for line in text.strip().splitlines()
        if line.strip()
    ]
    lines = [line for line in lines if line]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[-1] if lines else ""
