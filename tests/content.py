"""The repository's own content, copied into temporary folders and git repositories for tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import git

from dfctl.model import DATA_ROOTS, ROOT_FILES

PROJECT = Path(__file__).resolve().parent.parent
TODAY = "2026-11-27"


def copy_content(target: Path) -> Path:
    """Copy every data file of this repository (not the code) into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for top in DATA_ROOTS:
        shutil.copytree(PROJECT / top, target / top)
    for name in ROOT_FILES:
        shutil.copy2(PROJECT / name, target / name)
    return target


def init_repo(path: Path) -> git.Repo:
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "李明")
        config.set_value("user", "email", "liming@xx.gov.example")
        config.set_value("commit", "gpgsign", "false")
    return repo


def commit_all(repo: git.Repo, message: str) -> str:
    repo.git.add(A=True)
    repo.index.commit(message)
    return repo.head.commit.hexsha


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` by ``new`` in a file; fail loudly when the text is not there."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not found in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
