"""Reading commits from git cannot be confused by anything a committer writes.

The gate once split ``git log`` output on the characters \\x1e, \\x1f and \\x1d, which a merge
message may carry: a message could then invent a record of another commit, with approvers of its
choosing, and a lone separator made ``approvals check`` fail with an internal error. Commits are
now read as git objects. These tests build hostile commits byte for byte in real repositories
(``git commit-tree``, ``git hash-object --literally``) and check that every commit reads as
itself, and that a commit that does not read cleanly is refused with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dfctl.adapters.git import GitRepository
from dfctl.cli import main
from dfctl.gitops.approvals import Policies, verify_commit, verify_range
from dfctl.gitops.history import read_commit
from dfctl.model import DATA_ROOTS, ROOT_FILES
from tests.content import edit
from tests.merge_requests import WU, ZHENG, ZHOU, Main, git, git_bytes, literal_commit

pytestmark = pytest.mark.git

PRODUCTION = "environments/production/environment.yaml"
RECORD, FIELD, VALUE = "\x1e", "\x1f", "\x1d"  # what the old reader split on


def bump(old: str, new: str) -> Callable[[Path], None]:
    return lambda work: edit(work / PRODUCTION, f'version: "{old}"', f'version: "{new}"')


def pay_day(old: int, new: int) -> Callable[[Path], None]:
    """白水县's salary payment day in production (a configuration override)."""
    return lambda work: edit(work / PRODUCTION, f"    value: {old}\n", f"    value: {new}\n")


def gitlab_message(branch: str, title: str, body: str = "") -> bytes:
    """GitLab's merge message with real trailers, and ``body`` between the title and them."""
    return (
        f"Merge branch '{branch}' into 'main'\n\n{title}\n\n{body}"
        f"See merge request dfp/config!201\n\nApproved-by: {ZHENG}\nApproved-by: {ZHOU}\n"
    ).encode()


def check(repo: Main, rev_range: str, *extra: str) -> int:
    return main(["--repo", str(repo.path), "approvals", "check", "--range", rev_range, *extra])


@pytest.fixture
def history(tmp_path: Path) -> tuple[Main, str, str]:
    """main (this repository's data) with an approved upgrade to 3.8.0 (the old commit
    production could be rolled back to), then an approved change of a payment day (the base of
    the range)."""
    repo = Main(tmp_path / "config", [*DATA_ROOTS, *ROOT_FILES])
    old = repo.merge_request("生产环境升级到3.8.0", bump("3.7.2", "3.8.0"), WU, [ZHENG, ZHOU])
    base = repo.merge_request("白水县工资发放日调整", pay_day(15, 16), WU, [ZHENG, ZHOU])
    return repo, old, base


def test_a_merge_message_cannot_fabricate_a_record_of_an_older_commit(
    history: tuple[Main, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, old, base = history
    old_parents = git(repo.path, "log", "-1", "--format=%P", old)
    # exactly the nine fields the old reader expected, then the rest of the body
    forged = (
        f"{RECORD}\n{old}{FIELD}{old_parents}{FIELD}{ZHENG.name}{FIELD}{ZHENG.email}{FIELD}"
        f"生产环境回退到3.8.0{FIELD}{ZHENG}{VALUE}{ZHOU}{FIELD}{FIELD}{FIELD}说明：\n\n"
    )
    merge = repo.raw_merge(
        pay_day(16, 17), WU, gitlab_message("mr-3", "白水县工资发放日再调整", forged)
    )
    assert git_bytes(repo.path, "cat-file", "commit", merge).count(RECORD) == 1

    assert check(repo, f"{base}..main") == 0
    out = capsys.readouterr().out
    assert out == f"{merge[:12]} approved   白水县工资发放日再调整 (by {ZHENG}, {ZHOU})\n"
    assert old[:12] not in out

    assert check(repo, f"{base}..main", "--format", "json") == 0
    (record,) = json.loads(capsys.readouterr().out)["verdicts"]
    assert (record["commit"], record["verdict"], record["approvers"]) == (
        merge,
        "approved",
        [str(ZHENG), str(ZHOU)],
    )
    # what the reconciler would apply: the merge itself, never the old commit
    verdicts = verify_range(GitRepository.open(repo.path), base, "main")
    assert [v.commit.sha for v in verdicts] == [merge]


@pytest.mark.parametrize("separator", [RECORD, FIELD, VALUE])
def test_a_lone_separator_in_a_title_is_just_a_character(
    history: tuple[Main, str, str], separator: str, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _old, base = history
    title = f"白水县工资发放日{separator}再调整"
    merge = repo.raw_merge(pay_day(16, 17), WU, gitlab_message("mr-3", title))
    assert check(repo, f"{base}..main") == 0
    escaped = title.replace(separator, f"\\x{ord(separator):02x}")  # never raw to a terminal
    assert capsys.readouterr().out == f"{merge[:12]} approved   {escaped} (by {ZHENG}, {ZHOU})\n"
    assert check(repo, f"{base}..main", "--format", "json") == 0
    (record,) = json.loads(capsys.readouterr().out)["verdicts"]
    assert (record["commit"], record["title"]) == (merge, title)


def test_separators_in_an_author_name_do_not_split_the_record(
    history: tuple[Main, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _old, base = history
    raw = f"吴{FIELD}海燕{RECORD}x"  # git commit strips such characters at either end
    hostile = type(WU)(raw, WU.email)
    merge = repo.raw_merge(pay_day(16, 17), hostile, gitlab_message("mr-3", "升级"))
    assert check(repo, f"{base}..main", "--format", "json") == 0
    (record,) = json.loads(capsys.readouterr().out)["verdicts"]
    assert (record["commit"], record["authors"]) == (merge, [f"{raw} <{WU.email}>"])


@pytest.mark.parametrize(
    ("message", "defect"),
    [
        (b"Merge branch 'mr-3' into 'main'\n\n\xff\xfe\n", "its message is not valid UTF-8"),
        (b"Merge branch 'mr-3' into 'main'\n\nx\0y\n", "its message holds a NUL byte"),
    ],
)
def test_a_message_that_is_not_clean_text_is_refused_with_its_defect(
    history: tuple[Main, str, str],
    message: bytes,
    defect: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, _old, base = history
    trailers = f"\nApproved-by: {ZHENG}\nApproved-by: {ZHOU}\n".encode()
    merge = repo.raw_merge(pay_day(16, 17), WU, message + trailers)
    assert check(repo, f"{base}..main", "--format", "json") == 1
    (record,) = json.loads(capsys.readouterr().out)["verdicts"]
    assert (record["commit"], record["verdict"]) == (merge, "refused")
    assert f"malformed commit: {defect}" in record["reasons"]


# --- any bytes at all -------------------------------------------------------------------------

PIECES = st.sampled_from(
    [
        RECORD.encode(),
        FIELD.encode(),
        VALUE.encode(),
        b"\0",
        b"\n",
        b"\n\n",
        b"\r\n",
        b" ",
        b":",
        b"<",
        b">",
        b"\xff",
        b"\xe9",
        b"---",
        b"Approved-by: ",
        b"Break-glass: ",
        b"Co-authored-by: ",
        b"Supersedes: ",
        str(ZHENG).encode(),
        str(ZHOU).encode(),
        "生产环境".encode(),
        b"Merge branch 'mr-1' into 'main'",
        b"parent " + b"0" * 40,
        b"author x <y@z> 1 +0000",
    ]
)
HOSTILE = st.one_of(st.binary(max_size=200), st.lists(PIECES | st.binary(max_size=8)).map(b"".join))
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@EXAMPLES
@given(message=HOSTILE, name=HOSTILE, email=HOSTILE)
# an identity that writes a header of its own: git still reads two parents, so must we
@example(message=b"", name=b"", email=b"\nparent ")
def test_any_commit_reads_as_itself_or_is_refused_with_a_reason(
    history: tuple[Main, str, str], message: bytes, name: bytes, email: bytes
) -> None:
    repo, _old, base = history
    git_repo = GitRepository.open(repo.path)
    tree = git(repo.path, "rev-parse", "main^{tree}")
    side = git(repo.path, "rev-parse", "main^2")
    sha = literal_commit(repo.path, tree, [base, side], (name, email), message)

    commit = read_commit(git_repo, sha)
    assert (commit.sha, commit.tree, commit.parents) == (sha, tree, (base, side))
    clean_text = b"\0" not in message
    try:
        message.decode("utf-8")
    except UnicodeDecodeError:
        clean_text = False
    if b"\n" not in name + email:  # else the headers end elsewhere: another message
        assert any("message" in d for d in commit.defects) == (not clean_text)

    verdict = verify_commit(git_repo, commit, Policies(git_repo))
    assert verdict.commit.sha == sha
    if commit.defects:
        assert not verdict.approved
        assert verdict.problems[: len(commit.defects)] == tuple(
            f"malformed commit: {d}" for d in commit.defects
        )
    elif not verdict.approved:
        assert all(p.strip() for p in verdict.problems)

    # put it on main: the range holds that one commit and no other, whatever it says
    git(repo.path, "update-ref", "refs/heads/main", sha)
    try:
        verdicts = verify_range(git_repo, base, "main")
        assert [v.commit.sha for v in verdicts] == [sha]
    finally:
        git(repo.path, "update-ref", "refs/heads/main", base)
