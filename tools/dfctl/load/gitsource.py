"""Read the data files of a git revision straight from git objects (no checkout)."""

from __future__ import annotations

from pathlib import Path

import git

from dfctl.load.repo import is_data_path


class RevisionError(Exception):
    """The revision cannot be read (unknown name, not a git repository)."""


class GitRevision:
    """The data files as they are at ``rev``, for a work tree at ``root`` inside a git repo."""

    def __init__(self, root: str | Path, rev: str) -> None:
        try:
            self.repo = git.Repo(root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise RevisionError(f"{root} is not inside a git repository") from exc
        top = Path(self.repo.working_tree_dir or root).resolve()
        prefix = Path(root).resolve().relative_to(top).as_posix()
        self.prefix = "" if prefix == "." else prefix + "/"
        try:
            self.commit = self.repo.commit(rev)
        except (git.BadName, ValueError) as exc:
            raise RevisionError(f"unknown revision {rev!r}") from exc
        self.rev = rev
        self._blobs: dict[str, git.Blob] = {}
        for item in self.commit.tree.traverse():
            if not isinstance(item, git.Blob):
                continue
            path = str(item.path)
            if path.startswith(self.prefix):
                rel = path[len(self.prefix) :]
                if is_data_path(rel):
                    self._blobs[rel] = item

    def data_paths(self) -> list[str]:
        return sorted(self._blobs)

    def content_id(self, path: str) -> str | None:
        return str(self._blobs[path].hexsha)

    def read(self, path: str) -> bytes:
        data: bytes = self._blobs[path].data_stream.read()
        return data
