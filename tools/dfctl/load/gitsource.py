"""Read the data files of a git revision straight from git objects (no checkout)."""

from __future__ import annotations

from pathlib import Path

from dfctl.adapters.git import GitRepository
from dfctl.errors import GitError, SourceError
from dfctl.load.repo import is_data_path


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
