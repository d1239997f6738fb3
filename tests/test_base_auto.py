"""`dfctl validate --base auto` in real git repositories: how the base is found in a pre-commit
hook, a GitLab merge-request pipeline and elsewhere, and the clear errors when it cannot be
(a shallow clone without it, no default branch, no git at all). `--changed` checks what differs
from the base, deletions included."""

from __future__ import annotations

from pathlib import Path

import pytest

from dfctl.cli import main
from tests.merge_requests import ZHOU, git, write
from tests.test_evolution import BASE_CODES, EXP_FUNC, PROVINCE, PROVINCE_CODES, exp_func

pytestmark = pytest.mark.git

DELETED = (
    f'{EXP_FUNC}:10:1: error DFP-EVO-001 code "2010102" ({EXP_FUNC}:20 at base) is gone from '
    "set exp_func/2026/990000000; retire it (end_date, successor) instead of deleting it"
)
WITHOUT_2010102 = BASE_CODES.rsplit('  - code: "2010102"', 1)[0]


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever runs these tests (pre-commit, a GitLab job), the tests set the variables."""
    monkeypatch.delenv("PRE_COMMIT", raising=False)
    monkeypatch.delenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", raising=False)


def repository(root: Path, files: dict[str, str], branch: str = "main") -> str:
    """A repository at ``root`` on ``branch`` with one commit of ``files``; its sha."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "--quiet", f"--initial-branch={branch}")
    write(root / "environments/.gitkeep", "")  # marks a configuration repository
    for path, text in files.items():
        write(root / path, text)
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "科目", who=ZHOU)
    return git(root, "rev-parse", "HEAD")


def commit(root: Path, files: dict[str, str], message: str) -> str:
    for path, text in files.items():
        write(root / path, text)
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", message, who=ZHOU)
    return git(root, "rev-parse", "HEAD")


def validate(
    root: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[str], str]:
    code = main(["--repo", str(root), "validate", "--today", "2026-11-27", *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_in_a_pre_commit_hook_the_base_is_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    head = repository(tmp_path, {EXP_FUNC: exp_func(BASE_CODES)})
    write(tmp_path / EXP_FUNC, exp_func(WITHOUT_2010102))
    monkeypatch.setenv("PRE_COMMIT", "1")
    monkeypatch.chdir(tmp_path)  # pre-commit runs hooks at the top of the work tree

    code, lines, err = validate(tmp_path, capsys, "--base", "auto", EXP_FUNC)

    assert (code, lines) == (1, [DELETED])
    assert err == f"dfctl: checked 1 files (base {head[:12]}, HEAD): 1 errors, 0 warnings\n"


def test_the_first_commit_has_nothing_to_compare_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    git(tmp_path, "init", "--quiet", "--initial-branch=main")
    (tmp_path / "environments").mkdir()
    write(tmp_path / EXP_FUNC, exp_func(BASE_CODES))
    git(tmp_path, "add", "-A")
    monkeypatch.setenv("PRE_COMMIT", "1")

    assert validate(tmp_path, capsys, "--base", "auto", "--changed") == (
        0,
        [],
        "dfctl: checked 1 files (the first commit: nothing to compare with): "
        "0 errors, 0 warnings\n",
    )
    monkeypatch.delenv("PRE_COMMIT")
    assert validate(tmp_path, capsys, "--base", "auto") == (
        0,
        [],
        "dfctl: checked 1 files (no commit yet: nothing to compare with): 0 errors, 0 warnings\n",
    )


def test_a_merge_request_pipeline_uses_its_diff_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = repository(tmp_path, {EXP_FUNC: exp_func(BASE_CODES)})
    git(tmp_path, "checkout", "--quiet", "-b", "feature/retire")
    commit(tmp_path, {EXP_FUNC: exp_func(WITHOUT_2010102)}, "删除科目")
    # GitLab checks out the merge request's head, detached
    git(tmp_path, "checkout", "--quiet", "--detach")
    monkeypatch.setenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", base)

    code, lines, err = validate(tmp_path, capsys, "--base", "auto")

    assert (code, lines) == (1, [DELETED])
    assert err == (
        f"dfctl: checked 1 files (base {base[:12]}, CI_MERGE_REQUEST_DIFF_BASE_SHA): "
        "1 errors, 0 warnings\n"
    )


def test_a_shallow_clone_without_the_base_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = tmp_path / "origin"
    base = repository(origin, {EXP_FUNC: exp_func(BASE_CODES)})
    commit(origin, {EXP_FUNC: exp_func(WITHOUT_2010102)}, "删除科目")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{origin}", str(clone))
    monkeypatch.setenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", base)

    assert validate(clone, capsys, "--base", "auto") == (
        2,
        [],
        f"dfctl: --base auto: CI_MERGE_REQUEST_DIFF_BASE_SHA {base[:12]} is not in this clone "
        f"(a shallow clone); fetch it (git fetch origin {base}) or clone more history "
        "(GIT_DEPTH: 0)\n",
    )


def test_a_malformed_merge_request_base_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repository(tmp_path, {EXP_FUNC: exp_func(BASE_CODES)})
    monkeypatch.setenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", "--output=/tmp/x")

    assert validate(tmp_path, capsys, "--base", "auto") == (
        2,
        [],
        "dfctl: --base auto: CI_MERGE_REQUEST_DIFF_BASE_SHA is not a commit id: "
        "'--output=/tmp/x'\n",
    )


def test_elsewhere_the_base_is_the_merge_base_with_main(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = repository(tmp_path, {EXP_FUNC: exp_func(BASE_CODES)})
    git(tmp_path, "checkout", "--quiet", "-b", "feature/retire")
    commit(tmp_path, {EXP_FUNC: exp_func(WITHOUT_2010102)}, "删除科目")
    # main moves on meanwhile; the merge base stays where the branch started
    git(tmp_path, "checkout", "--quiet", "main")
    commit(tmp_path, {"environments/README.md": "# 环境\n"}, "其他变更")
    git(tmp_path, "checkout", "--quiet", "feature/retire")

    code, lines, err = validate(tmp_path, capsys, "--base", "auto")

    assert (code, lines) == (1, [DELETED])
    assert err == (
        f"dfctl: checked 1 files (base {base[:12]}, merge base of HEAD and main): "
        "1 errors, 0 warnings\n"
    )


def test_origin_head_comes_before_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    origin = tmp_path / "origin"
    base = repository(origin, {EXP_FUNC: exp_func(BASE_CODES)})
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", f"file://{origin}", str(clone))
    # a local main that ran ahead (unpushed) does not hide the deletion from origin's view
    commit(clone, {EXP_FUNC: exp_func(WITHOUT_2010102)}, "删除科目")

    code, lines, err = validate(clone, capsys, "--base", "auto")

    assert (code, lines) == (1, [DELETED])
    assert err == (
        f"dfctl: checked 1 files (base {base[:12]}, merge base of HEAD and origin/HEAD): "
        "1 errors, 0 warnings\n"
    )


def test_on_main_itself_the_base_is_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = repository(tmp_path, {EXP_FUNC: exp_func(BASE_CODES)})

    assert validate(tmp_path, capsys, "--base", "auto") == (
        0,
        [],
        f"dfctl: checked 1 files (base {head[:12]}, merge base of HEAD and main): "
        "0 errors, 0 warnings\n",
    )


def test_no_default_branch_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repository(tmp_path, {EXP_FUNC: exp_func(BASE_CODES)}, branch="trunk")

    assert validate(tmp_path, capsys, "--base", "auto") == (
        2,
        [],
        "dfctl: --base auto: no default branch to compare with: none of origin/HEAD, main, "
        "origin/main names a commit; fetch it (git fetch origin main) or name the base with "
        "--base REV\n",
    )


def test_a_shallow_clone_without_a_common_ancestor_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    origin = tmp_path / "origin"
    repository(origin, {EXP_FUNC: exp_func(BASE_CODES)})
    git(origin, "checkout", "--quiet", "-b", "feature/retire")
    commit(origin, {EXP_FUNC: exp_func(WITHOUT_2010102)}, "删除科目")
    git(origin, "checkout", "--quiet", "main")
    commit(origin, {"environments/README.md": "# 环境\n"}, "其他变更")
    clone = tmp_path / "clone"
    git(
        tmp_path,
        "clone",
        "--quiet",
        "--depth",
        "1",
        "--no-single-branch",
        "--branch",
        "feature/retire",
        f"file://{origin}",
        str(clone),
    )

    assert validate(clone, capsys, "--base", "auto") == (
        2,
        [],
        "dfctl: --base auto: HEAD and origin/HEAD have no common ancestor in this clone "
        "(a shallow clone); fetch more history (git fetch --unshallow) or name the base with "
        "--base REV\n",
    )


def test_outside_git_the_base_cannot_be_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "environments").mkdir()
    write(tmp_path / EXP_FUNC, exp_func(BASE_CODES))

    assert validate(tmp_path, capsys, "--base", "auto") == (
        2,
        [],
        f"dfctl: --base auto: {tmp_path} is not inside a git repository\n",
    )


def test_changed_finds_a_deleted_file_no_path_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    head = repository(
        tmp_path, {EXP_FUNC: exp_func(BASE_CODES), PROVINCE: exp_func(PROVINCE_CODES)}
    )
    git(tmp_path, "rm", "--quiet", PROVINCE)
    monkeypatch.setenv("PRE_COMMIT", "1")

    code, lines, err = validate(tmp_path, capsys, "--base", "auto", "--changed")

    assert code == 1
    assert lines == [
        f'{EXP_FUNC}:10:1: error DFP-EVO-001 code "{code_}" ({PROVINCE}:{line} at base) is gone '
        "from set exp_func/2026/990000000; retire it (end_date, successor) instead of deleting it"
        for code_, line in (("2010150", 11), ("2010199", 14))
    ]
    assert err == f"dfctl: checked 1 files (base {head[:12]}, HEAD): 2 errors, 0 warnings\n"


def test_changed_with_nothing_changed_checks_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    head = repository(tmp_path, {EXP_FUNC: exp_func(BASE_CODES)})
    # only a file that is not data changed
    write(tmp_path / "README.md", "# XX市 数字财政\n")
    monkeypatch.setenv("PRE_COMMIT", "1")

    assert validate(tmp_path, capsys, "--base", "auto", "--changed") == (
        0,
        [],
        f"dfctl: checked 0 files (base {head[:12]}, HEAD): 0 errors, 0 warnings\n",
    )


def test_changed_includes_untracked_data_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repository(tmp_path, {EXP_FUNC: exp_func(BASE_CODES)})
    write(tmp_path / PROVINCE, exp_func(PROVINCE_CODES).replace('"2010150"', "2010150"))

    code, lines, _ = validate(tmp_path, capsys, "--base", "HEAD", "--changed")

    assert code == 1
    assert [line.split(" ")[2] for line in lines] == ["DFP-STR-004"]
    assert lines[0].startswith(f"{PROVINCE}:11:")
