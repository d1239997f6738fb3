"""A local bare copy of the configuration repository, fetched with git before every pass.

The cache folder holds one bare repository per URL. Each fetch takes the branch as the server
has it (a forced update included: the reconciler then finds the applied revision missing from
main's history and stops, rather than following a rewritten history).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from dfctl.adapters.git import GitRepository


def _folder_name(url: str) -> str:
    tail = re.sub(r"[^A-Za-z0-9._-]+", "-", url.rstrip("/").rsplit("/", 1)[-1]) or "repo"
    return f"{tail.removesuffix('.git')}-{hashlib.sha256(url.encode()).hexdigest()[:12]}.git"


class Mirror:
    def __init__(self, url: str, cache: Path) -> None:
        self.url = url
        self.path = cache / _folder_name(url)
        self._repo: GitRepository | None = None

    @property
    def repo(self) -> GitRepository:
        if self._repo is None:
            self._repo = GitRepository.open_or_init_bare(self.path)
        return self._repo

    def fetch(self, branch: str) -> str:
        """Fetch ``branch`` from the URL; the commit it points at. MirrorError when git fails."""
        return self.repo.fetch_branch(self.url, branch)

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
