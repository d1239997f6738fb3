"""The offline gate: `dfctl approvals check --env` says, from git alone, whether each commit of
main would be applied now (approved), never (refused) or later (waits: a change window, a
freeze, promotion, or a commit before it), and a refused commit can be superseded."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dfctl.cli import main
from dfctl.errors import EvidenceUnreadable
from dfctl.gitops import evidence as ev
from tests.content import edit
from tests.merge_requests import DENG, JIANG, LI, WU, XIE, ZHENG, ZHOU, Main
from tests.test_approvals import BUDGET_ACC, PRODUCTION, acceptance_change, main_repo

pytestmark = pytest.mark.git

WEDNESDAY_MORNING = "2026-11-25T10:00:00+08:00"  # production's windows are closed
WEDNESDAY_NIGHT = "2026-11-25T23:00:00+08:00"  # inside mon-fri 22:00-06:00
YEAR_END = "2026-12-22T23:00:00+08:00"  # the year-end freeze
ORDER = "production takes a release only after acceptance and then pre-release ran it"
CLOSED = (
    "production is outside its change windows at wed 2026-11-25 10:00 Asia/Shanghai "
    "(mon,tue,wed,thu,fri 22:00-06:00 (next day); sat,sun 09:00-21:00); next opening "
    "wed 2026-11-25 22:00"
)
OPEN = "inside the change window mon,tue,wed,thu,fri 22:00-06:00 (next day)"


def pay_day(old: int, new: int) -> Callable[[Path], None]:
    return lambda work: edit(work / PRODUCTION, f"    value: {old}\n", f"    value: {new}\n")


def upgrade(work: Path) -> None:
    edit(work / PRODUCTION, 'version: "3.7.2"', 'version: "3.8.0"')


def check(repo: Main, *args: str) -> int:
    return main(["--repo", str(repo.path), "approvals", "check", *args])


def json_check(
    repo: Main, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[dict[str, Any]]]:
    code = check(repo, *args, "--format", "json")
    return code, json.loads(capsys.readouterr().out)["verdicts"]


def outcomes(records: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    return [(r["commit"], r["verdict"], r["reasons"]) for r in records]


@pytest.fixture
def repo(tmp_path: Path) -> Main:
    return main_repo(tmp_path)


def test_an_approved_change_waits_for_the_window_and_goes_inside_it(
    repo: Main, capsys: pytest.CaptureFixture[str]
) -> None:
    change = repo.merge_request("白水县工资发放日调整", pay_day(15, 16), WU, [ZHENG, ZHOU])
    span = f"{repo.root}..main"
    assert check(repo, "--range", span, "--env", "production", "--now", WEDNESDAY_MORNING) == 0
    assert capsys.readouterr().out == (
        f"{change[:12]} waits      白水县工资发放日调整 (by {ZHENG}, {ZHOU})\n    {CLOSED}\n"
    )
    code, records = json_check(
        repo, capsys, "--range", span, "--env", "production", "--now", WEDNESDAY_NIGHT
    )
    assert (code, outcomes(records)) == (0, [(change, "approved", [OPEN])])
    code, records = json_check(
        repo, capsys, "--range", span, "--env", "production", "--now", YEAR_END
    )
    assert (code, outcomes(records)) == (
        0,
        [
            (
                change,
                "waits",
                [
                    "production is frozen at tue 2026-12-22 23:00 Asia/Shanghai: 2026年度年终决算 "
                    "(2026-12-20 to 2027-01-15): 年终结转、跨年退款和年终结账期间，除紧急修复外不做任何"
                    "变更。; next opening sat 2027-01-16 00:00"
                ],
            )
        ],
    )
    # without an environment only the approvals count
    code, records = json_check(repo, capsys, "--range", span)
    assert (code, outcomes(records)) == (0, [(change, "approved", [])])


def test_the_windows_are_those_of_the_applied_revision(
    repo: Main, capsys: pytest.CaptureFixture[str]
) -> None:
    opened = repo.merge_request(
        "生产环境增加周三上午变更窗口",
        lambda w: edit(
            w / PRODUCTION,
            "change_windows:\n",
            'change_windows:\n  - days:\n      - wed\n    start: "09:00"\n    end: "12:00"\n',
        ),
        WU,
        [ZHENG, ZHOU],
    )
    change = repo.merge_request("白水县工资发放日调整", pay_day(15, 16), WU, [ZHENG, ZHOU])
    args = ["--range", f"{repo.root}..main", "--env", "production", "--now", WEDNESDAY_MORNING]
    code, records = json_check(repo, capsys, *args)
    assert [r["verdict"] for r in records] == ["waits", "waits"]  # the new window is not in force
    code, records = json_check(
        repo,
        capsys,
        "--range",
        f"{opened}..main",
        "--env",
        "production",
        "--now",
        WEDNESDAY_MORNING,
    )
    assert (code, outcomes(records)) == (
        0,
        [(change, "approved", ["inside the change window wed 09:00-12:00"])],
    )
    code, records = json_check(repo, capsys, *args, "--applied", opened)
    assert [r["verdict"] for r in records] == ["approved", "approved"]


def test_break_glass_passes_a_closed_window_but_not_behind_an_ordinary_change(
    repo: Main, capsys: pytest.CaptureFixture[str]
) -> None:
    emergency = repo.merge_request(
        "紧急修复：工资发放日", pay_day(15, 16), WU, [ZHOU, DENG], break_glass="TAPD-1021003 紧急"
    )
    ordinary = repo.merge_request("白水县工资发放日调整", pay_day(16, 17), WU, [ZHENG, ZHOU])
    late = repo.merge_request(
        "紧急修复：再调整", pay_day(17, 18), WU, [ZHOU, DENG], break_glass="TAPD-1021004 紧急"
    )
    code, records = json_check(
        repo,
        capsys,
        "--range",
        f"{repo.root}..main",
        "--env",
        "production",
        "--now",
        WEDNESDAY_MORNING,
    )
    assert (code, outcomes(records)) == (
        0,
        [
            (emergency, "approved", [f"break-glass passes: {CLOSED}"]),
            (ordinary, "waits", [CLOSED]),
            (late, "waits", [f"behind {ordinary[:12]} (白水县工资发放日调整), which waits"]),
        ],
    )


def record(stage: str, finished: dt.datetime, reconciler: str = "reconciler-a") -> ev.Evidence:
    return ev.Evidence(
        stage,
        "a" * 40,
        None,
        "3.8.0",
        (),
        {"files": 1, "errors": 0, "warnings": 0},
        {"digest": "d", "actions": 0, "targets": {}},
        ev.APPLIED,
        finished.isoformat(),
        finished.isoformat(),
        reconciler,
        "inside the change window",
    )


def test_a_release_waits_for_the_earlier_stages_records(
    repo: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change = repo.merge_request("白水县工资发放日调整", pay_day(15, 16), WU, [ZHENG, ZHOU])
    release = repo.merge_request("生产环境升级到3.8.0", upgrade, WU, [ZHENG, ZHOU])
    args = ["--range", f"{repo.root}..main", "--env", "production", "--now", WEDNESDAY_NIGHT]
    code, records = json_check(repo, capsys, *args)
    assert (code, outcomes(records)) == (
        0,
        [
            (change, "approved", [OPEN]),
            (release, "waits", [f"release 3.8.0 has not been applied to acceptance; {ORDER}"]),
        ],
    )
    # the records as `dfctl audit --format json` prints them
    log = ev.LocalLog(tmp_path / "evidence.jsonl")
    for stage, days in (("acceptance", 5), ("pre-release", 2)):
        moment = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC) - dt.timedelta(days=days)
        log.append(record(stage, moment, f"{stage}-reconciler"))
    assert main(["audit", "--log", str(log.path), "--format", "json"]) == 0
    audit = tmp_path / "audit.json"
    audit.write_text(capsys.readouterr().out, encoding="utf-8")
    code, records = json_check(repo, capsys, *args, "--evidence", str(audit))
    assert (code, outcomes(records)) == (
        0,
        [(change, "approved", [OPEN]), (release, "approved", [OPEN])],
    )


def test_offline_usage_errors_exit_2(
    repo: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    span = f"{repo.root}..main"
    assert check(repo, "--range", span, "--now", WEDNESDAY_NIGHT) == 2
    assert (
        "--now, --applied and --evidence judge an environment: give --env"
        in capsys.readouterr().err
    )
    assert check(repo, "--range", span, "--env", "staging") == 2
    assert f"--env: no valid environment 'staging' at {repo.root[:12]}" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('[{"environment": "acceptance"}', encoding="utf-8")
    assert check(repo, "--range", span, "--env", "production", "--evidence", str(broken)) == 2
    assert capsys.readouterr().err == (
        f"dfctl: --evidence {broken}: not JSON (Expecting ',' delimiter: line 1 column 31 "
        "(char 30))\n"
    )
    broken.write_text('[{"environment": "acceptance"}]', encoding="utf-8")
    assert check(repo, "--range", span, "--env", "production", "--evidence", str(broken)) == 2
    assert capsys.readouterr().err == f"dfctl: --evidence {broken}: record 1 has no 'commits'\n"


def test_a_corrupt_line_of_the_evidence_log_is_named_and_nothing_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = ev.LocalLog(tmp_path / "evidence.jsonl")
    log.append(record("acceptance", dt.datetime(2026, 11, 20, 2, tzinfo=dt.UTC)))
    with log.path.open("a", encoding="utf-8") as out:
        out.write('{"environment": "acceptance"\n\n[]\n')
    assert main(["audit", "--log", str(log.path)]) == 1
    assert capsys.readouterr() == (
        "",
        f"dfctl: evidence log {log.path} line 2 is not JSON (Expecting ',' delimiter: "
        "line 1 column 29 (char 28))\n",
    )
    first = log.path.read_text(encoding="utf-8").splitlines()[0]
    for line, problem in (
        ("[]", "is not an evidence record (not an object)"),
        ('{"environment": "acceptance"}', "has no 'commits'"),
    ):
        log.path.write_text(f"{first}\n\n{line}\n", encoding="utf-8")
        with pytest.raises(EvidenceUnreadable) as raised:
            log.read()
        assert str(raised.value) == f"evidence log {log.path} line 3 {problem}"


def test_two_records_of_one_revision_in_one_second_have_names_of_their_own() -> None:
    moment = dt.datetime(2026, 11, 20, 2, 0, 0, tzinfo=dt.UTC)
    first = record("acceptance", moment)
    again = record("acceptance", moment + dt.timedelta(microseconds=400), "reconciler-b")
    assert first.name != again.name
    assert first.name.startswith(f"dfctl-evidence-acceptance-20261120t020000z-{'a' * 12}-")
    assert len(first.name) <= 253  # a ConfigMap's name
    # the same record written again is the same ConfigMap
    assert record("acceptance", moment).name == first.name


# --- the way past a refused commit ---------------------------------------------------------------


def test_a_later_approved_merge_supersedes_a_refused_commit(
    repo: Main, capsys: pytest.CaptureFixture[str]
) -> None:
    pushed = repo.push("直接修改工资发放日", pay_day(15, 16), ZHOU)
    between = repo.merge_request("验收预算域扩容", acceptance_change, WU, [JIANG])
    fix = repo.merge_request(
        "确认工资发放日调整并取代直接提交",
        lambda w: edit(w / BUDGET_ACC, "replicas: 2", "replicas: 3"),
        WU,
        [ZHENG, XIE, JIANG],
        extra_trailers=[f"Supersedes: {pushed}"],
    )
    code = check(repo, "--range", f"{repo.root}..main")
    assert code == 0
    assert capsys.readouterr().out == (
        f"{pushed[:12]} refused    直接修改工资发放日\n"
        "    direct commit on main: changes reach main only through merge requests (a merge "
        "commit with Approved-by trailers)\n"
        f"    superseded by {fix[:12]}\n"
        f"{between[:12]} approved   验收预算域扩容 (by {JIANG})\n"
        f"    goes with {fix[:12]}, which supersedes a refused commit before it\n"
        f"{fix[:12]} approved   确认工资发放日调整并取代直接提交 (by {ZHENG}, {XIE}, {JIANG})\n"
        f"    note: judged over everything since {repo.root[:12]} with its approvals.yaml, as it "
        f"supersedes {pushed[:12]}\n"
    )
    code, records = json_check(repo, capsys, "--range", f"{repo.root}..main")
    assert [(r["commit"], r["superseded_by"], r["supersedes"]) for r in records] == [
        (pushed, fix, []),
        (between, None, []),
        (fix, None, [pushed]),
    ]
    # 周晓峰 pushed the change: he is one of its authors, and could not approve it
    assert records[2]["authors"] == [str(WU), str(ZHOU)]


def test_a_superseding_merge_needs_the_approvals_of_everything_it_takes_in(
    repo: Main, capsys: pytest.CaptureFixture[str]
) -> None:
    pushed = repo.push("直接修改工资发放日", pay_day(15, 16), LI)
    fix = repo.merge_request(
        "验收预算域扩容",
        acceptance_change,
        WU,
        [JIANG, ZHOU],
        extra_trailers=[f"Supersedes: {pushed}"],
    )
    code, records = json_check(repo, capsys, "--range", f"{repo.root}..main")
    assert code == 1
    assert [(r["commit"], r["verdict"], r["superseded_by"]) for r in records] == [
        (pushed, "refused", None),
        (fix, "refused", None),
    ]
    assert records[1]["reasons"][0].startswith(
        "needs 1 approval from city-finance-bureau (生产环境（环境定义、命名空间、集群和数据库）; "
        f"生产环境的对象（无论文件放在哪个目录）: {PRODUCTION}"
    )


def test_supersedes_names_a_refused_commit_before_it(
    repo: Main, capsys: pytest.CaptureFixture[str]
) -> None:
    approved = repo.merge_request("验收预算域扩容", acceptance_change, WU, [JIANG])
    repo.merge_request(
        "验收预算域再扩容",
        lambda w: edit(w / BUDGET_ACC, "replicas: 2", "replicas: 3"),
        WU,
        [JIANG],
        extra_trailers=[f"Supersedes: {approved}", "Supersedes: HEAD~1", f"Supersedes: {'0' * 40}"],
    )
    code, records = json_check(repo, capsys, "--range", f"{repo.root}..main")
    assert code == 1
    assert records[1]["reasons"] == [
        f"Supersedes: {approved[:12]} is approved; only a refused commit is superseded",
        "Supersedes: 'HEAD~1' is not a full commit id",
        f"Supersedes: {'0' * 12} is not a commit of main before {records[1]['commit'][:12]}",
    ]
