"""Read the data files of a git revision straight from git objects (no checkout), and name the
work tree's files by the same blob ids, so a revision and the work tree share unchanged files."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dfctl.adapters.git import GitRepository
from dfctl.errors import GitError, SourceError
from dfctl.load.repo import WorkTree, is_data_path


class GitRevision:
    """The data files as they are at ``rev``, for a work tree at ``root`` inside a git repo.

    Raises SourceError when ``root`` is in no git repository or ``rev`` names no commit.
    """

    def __init__(self, root: str | Path, rev: str, repo: GitRepository | None = None) -> None:
        self.git = repo or GitRepository.open(root)
        top = self.git.work_tree or self.git.git_dir
        prefix = Path(root).resolve().relative_to(top.resolve()).as_posix()
        self.prefix = "" if prefix == "." else prefix + "/"
        try:
            self.commit = self.git.resolve(rev)
        except GitError as exc:
            raise SourceError(str(exc)) from exc
        self.rev = rev
        self._blobs: dict[str, str] = {}
        for path, blob in self.git.tree_blobs(self.commit).items():
            if path.startswith(self.prefix):
                rel = path[len(self.prefix) :]
                if is_data_path(rel):
                    self._blobs[rel] = blob

    def data_paths(self) -> list[str]:
        return sorted(self._blobs)

    def content_id(self, path: str) -> str | None:
        return self._blobs[path]

    def read(self, path: str) -> bytes:
        return self.git.read_blob(self._blobs[path])

    @property
    def hash_name(self) -> str:
        """The object format's hash (``sha1``, or ``sha256`` for a SHA-256 repository)."""
        return "sha256" if len(self.commit) == 64 else "sha1"


def blob_id(data: bytes, hash_name: str = "sha1") -> str:
    """The id git gives a file with these bytes (``git hash-object``)."""
    digest = hashlib.new(hash_name, b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


class HashedWorkTree:
    """The work tree, each file named by its git blob id.

    Each file is read once: the bytes its id was computed from are the bytes that are parsed,
    so a file saved in between cannot be checked under another file's id. With a shared
    ``LoadCache``, a revision's files that the work tree holds unchanged are not parsed again.
    """

    def __init__(self, root: str | Path, hash_name: str = "sha1") -> None:
        self.tree = WorkTree(root)
        self.hash_name = hash_name
        self._paths: list[str] | None = None
        self._ids: dict[str, str] = {}
        self._unread: dict[str, bytes] = {}

    def data_paths(self) -> list[str]:
        if self._paths is None:
            self._paths = self.tree.data_paths()
        return self._paths

    def content_id(self, path: str) -> str | None:
        found = self._ids.get(path)
        if found is None:
            data = self.tree.read(path)
            self._unread[path] = data
            found = self._ids[path] = blob_id(data, self.hash_name)
        return found

    def read(self, path: str) -> bytes:
        data = self._unread.pop(path, None)
        return data if data is not None else self.tree.read(path)


def changed_since(base: GitRevision, work: HashedWorkTree) -> set[str]:
    """Data files that differ between ``base`` and the work tree: changed, added (untracked
    ones too) and deleted."""
    before = set(base.data_paths())
    now = work.data_paths()
    found = before - set(now)
    found.update(
        path for path in now if path not in before or base.content_id(path) != work.content_id(path)
    )
    return found
