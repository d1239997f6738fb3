"""The pipeline's checked revisions against a real git repository: a revision is judged the same
whichever revision was checked before it and whether it is checked against a base."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import git
import pytest

from dfctl.diagnostics import Diagnostic, Severity
from dfctl.load.gitsource import GitRevision
from dfctl.load.repo import LoadCache, load_repo
from dfctl.pipeline import Revisions
from dfctl.validate import load_checked

pytestmark = pytest.mark.git

TODAY = dt.date(2026, 11, 27)
SCHEMA = "# yaml-language-server: $schema=../../schemas/ElementSet.json"
UNTOUCHED = "standards/elements/exp-func-2026.yaml"
ADDED = "standards/elements/exp-func-2027.yaml"


def exp_func(year: int, first_line: str) -> str:
    return (
        f"{first_line}\n"
        "apiVersion: dfp.config/v1\n"
        "kind: ElementSet\n"
        "set_code: exp_func\n"
        "name: 支出功能分类科目\n"
        f"fiscal_year: {year}\n"
        'mof_div_code: "990000000"\n'
        "management: ministry\n"
        "structure: [3, 2, 2]\n"
        "provenance:\n"
        "  status: from-memory\n"
        "  notes: a test fixture, not real codes\n"
        "elements:\n"
        '  - code: "201"\n'
        "    name: 一般公共服务支出\n"
        f"    start_date: {year}-01-01\n"
    )


def history(root: Path) -> tuple[str, str]:
    """A base whose 2026 set has no schema line (a file rule's finding), and a head that adds
    the 2027 set and leaves the 2026 file as it was."""
    repo = git.Repo.init(root)
    (root / "environments").mkdir(parents=True)
    (root / "standards/elements").mkdir(parents=True)
    author = git.Actor("XX市财政局信息中心", "xxzx@xx.gov.example")
    (root / UNTOUCHED).write_text(exp_func(2026, "# 支出功能分类科目 2026"), encoding="utf-8")
    repo.index.add([UNTOUCHED])
    base = repo.index.commit("2026", author=author, committer=author).hexsha
    (root / ADDED).write_text(exp_func(2027, SCHEMA), encoding="utf-8")
    repo.index.add([ADDED])
    head = repo.index.commit("2027", author=author, committer=author).hexsha
    repo.close()
    return base, head


NO_SCHEMA_LINE = Diagnostic(
    UNTOUCHED,
    1,
    1,
    "DFP-STR-006",
    Severity.WARNING,
    f'first line is not the schema line; expected "{SCHEMA}"',
)


@pytest.mark.parametrize("reuse_files", [False, True], ids=["fresh", "reusing-files"])
def test_the_file_rules_judge_an_unchanged_file_when_checked_against_a_base(
    tmp_path: Path, reuse_files: bool
) -> None:
    base, head = history(tmp_path)
    revisions = Revisions(tmp_path, reuse_files=reuse_files)
    try:
        # as the reconciler does: the target against the applied revision, then the target alone
        against = revisions.checked(head, TODAY, base=base).result
        alone = revisions.checked(head, TODAY).result
        applied = revisions.checked(base, TODAY).result
    finally:
        revisions.close()
    assert against.diagnostics == [NO_SCHEMA_LINE]
    assert alone.diagnostics == [NO_SCHEMA_LINE]
    assert applied.diagnostics == [NO_SCHEMA_LINE]


def test_a_file_loaded_without_the_file_rules_is_read_again_for_a_check(tmp_path: Path) -> None:
    base, _head = history(tmp_path)
    source = GitRevision(tmp_path, base)
    cache: LoadCache = {}
    # the gate looks the environments up before it checks the revision, through one cache
    looked_up = load_repo(source, cache=cache)
    checked = load_checked(source, cache=cache)
    again = load_checked(source, cache=cache)
    source.git.close()
    assert looked_up.diagnostics == []
    assert checked.diagnostics == [NO_SCHEMA_LINE]
    # once checked, the file is shared: the same model, not read a third time
    assert again.diagnostics == [NO_SCHEMA_LINE]
    assert again.documents[UNTOUCHED] is checked.documents[UNTOUCHED]
