"""Case folders: each ``tests/cases/<group>/<case>/`` holds a small repository under ``repo/`` and
the exact output ``dfctl validate`` must print for it in ``expected.txt``.

An optional ``args.txt`` adds arguments (one per line); the date is fixed at 2026-11-27 unless a
case sets ``--today`` itself. The exit code must be 1 exactly when an error line is expected.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dfctl.cli import main

CASES = Path(__file__).parent / "cases"
CASE_DIRS = sorted(p.parent for p in CASES.glob("*/*/expected.txt"))


def run_case(case: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    args_file = case / "args.txt"
    extra = (
        [line for line in args_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        if args_file.exists()
        else []
    )
    if not any(a.startswith("--today") for a in extra):
        extra += ["--today", "2026-11-27"]
    code = main(["--repo", str(case / "repo"), "validate", *extra])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("case", CASE_DIRS, ids=[f"{p.parent.name}/{p.name}" for p in CASE_DIRS])
def test_case(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_case(case, capsys)
    expected = (case / "expected.txt").read_text(encoding="utf-8")
    assert out == expected
    assert code == (1 if " error " in expected else 0)


def test_there_are_cases() -> None:
    assert len(CASE_DIRS) >= 1
