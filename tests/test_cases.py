"""Case folders: each ``tests/cases/<group>/<case>/`` holds a small repository under ``repo/`` and
the exact output ``dfctl validate`` must print for it in ``expected.txt``.

An optional ``args.txt`` adds arguments (one per line); the date is fixed at 2026-11-27 unless a
case sets ``--today`` itself. The exit code must be 1 exactly when an error line is expected.

A case with a ``base/`` folder is about a change (the rules run with ``--base``): it runs in a
real git repository whose one commit holds ``base/`` and whose work tree holds ``repo/``, and its
``args.txt`` names the base (``--base`` and ``HEAD``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import git
import pytest

from dfctl.cli import main

CASES = Path(__file__).parent / "cases"
CASE_DIRS = sorted(p.parent for p in CASES.glob("*/*/expected.txt"))


def checkout(case: Path, root: Path) -> Path:
    """A git repository at ``root``: ``base/`` committed, ``repo/`` in the work tree."""
    shutil.copytree(case / "base", root)
    repo = git.Repo.init(root)
    repo.git.add(A=True)
    author = git.Actor("XX市财政局信息中心", "xxzx@xx.gov.example")
    repo.index.commit("base", author=author, committer=author)
    repo.close()
    for child in root.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(case / "repo", root, dirs_exist_ok=True)
    return root


def run_case(case: Path, capsys: pytest.CaptureFixture[str], work: Path) -> tuple[int, str]:
    args_file = case / "args.txt"
    extra = (
        [line for line in args_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        if args_file.exists()
        else []
    )
    if not any(a.startswith("--today") for a in extra):
        extra += ["--today", "2026-11-27"]
    root = checkout(case, work / "repo") if (case / "base").is_dir() else case / "repo"
    code = main(["--repo", str(root), "validate", *extra])
    return code, capsys.readouterr().out


def _param(case: Path) -> object:
    marks = [pytest.mark.git] if (case / "base").is_dir() else []
    return pytest.param(case, id=f"{case.parent.name}/{case.name}", marks=marks)


@pytest.mark.parametrize("case", [_param(case) for case in CASE_DIRS])
def test_case(case: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out = run_case(case, capsys, tmp_path)
    expected = (case / "expected.txt").read_text(encoding="utf-8")
    assert out == expected
    assert code == (1 if " error " in expected else 0)


def test_there_are_cases() -> None:
    assert len(CASE_DIRS) >= 1
