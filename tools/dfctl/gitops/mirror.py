"""A local bare copy of the configuration repository, fetched with git before every pass.

The cache folder holds one bare repository per URL. Each fetch takes the branch as the server
has it (a forced update included: the reconciler then finds the applied revision missing from
main's history and stops, rather than following a rewritten history).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import git

from dfctl.gitops.history import git_error

FETCH_TIMEOUT = 300.0


class MirrorError(Exception):
    """The repository could not be cloned or fetched; the message is git's."""


def _folder_name(url: str) -> str:
    tail = re.sub(r"[^A-Za-z0-9._-]+", "-", url.rstrip("/").rsplit("/", 1)[-1]) or "repo"
    return f"{tail.removesuffix('.git')}-{hashlib.sha256(url.encode()).hexdigest()[:12]}.git"


class Mirror:
    def __init__(self, url: str, cache: Path) -> None:
        self.url = url
        self.path = cache / _folder_name(url)
        self._repo: git.Repo | None = None

    @property
    def repo(self) -> git.Repo:
        if self._repo is None:
            if not (self.path / "HEAD").exists():
                self.path.mkdir(parents=True, exist_ok=True)
                self._repo = git.Repo.init(self.path, bare=True)
            else:
                self._repo = git.Repo(self.path)
        return self._repo

    def fetch(self, branch: str) -> str:
        """Fetch ``branch`` from the URL; the commit it points at."""
        ref = f"refs/heads/{branch}"
        try:
            self.repo.git.fetch(
                "--no-tags",
                "--prune",
                "--quiet",
                self.url,
                f"+{ref}:{ref}",
                kill_after_timeout=FETCH_TIMEOUT,
            )
            return str(self.repo.git.rev_parse("--verify", f"{ref}^{{commit}}"))
        except git.GitCommandError as exc:
            raise MirrorError(f"cannot fetch {branch} from {self.url}: {git_error(exc)}") from exc

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
