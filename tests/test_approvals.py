"""Approvals proven from git history: real repositories, real merge commits, real signatures."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from dfctl.adapters.git import GitRepository
from dfctl.cli import main
from dfctl.diff.review import Review, approvals_needed
from dfctl.gitops.approvals import (
    DIRECT_COMMIT,
    Verdict,
    judge,
    parse_policy,
    verify_range,
)
from dfctl.load.repo import WorkTree, load_repo
from dfctl.report.review import as_json, as_text
from tests.content import PROJECT, edit
from tests.merge_requests import (
    CHEN,
    DENG,
    JIANG,
    LI,
    LIN,
    WU,
    XIE,
    XU,
    ZHENG,
    ZHOU,
    Main,
    git,
    ssh_key,
    write,
)

pytestmark = pytest.mark.git

PRODUCTION = "environments/production/environment.yaml"
POLICY = parse_policy((PROJECT / "approvals.yaml").read_bytes())


def production_change(work: Path) -> None:
    edit(work / PRODUCTION, 'version: "3.7.2"', 'version: "3.8.0"')


def main_repo(tmp_path: Path) -> Main:
    return Main(tmp_path / "config", ["approvals.yaml", PRODUCTION])


def verdicts(repo: Main, base: str | None = None) -> list[Verdict]:
    return verify_range(GitRepository.open(repo.path), base or repo.root, repo.head)


def short(sha: str) -> str:
    return sha[:12]


# --- which rule covers which file ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("approvals.yaml", "审批规则本身"),
        ("deploy/reconciler/rbac.yaml", "对账程序的部署和集群权限"),
        (
            "standards/elements/gov-economic.yaml",
            "省统管标准（要素、系统级配置项、控制规则、版本目录）",
        ),
        (PRODUCTION, "生产环境（环境定义、命名空间、集群和数据库）"),
        (
            "cloud/namespaces/production/dfp-budget-prod.yaml",
            "生产环境（环境定义、命名空间、集群和数据库）",
        ),
        ("cloud/clusters/tke-prod-b.yaml", "生产环境（环境定义、命名空间、集群和数据库）"),
        ("cloud/clusters/tke-acc-a.yaml", "其他配置、工具和文档"),
        ("portal/access-policies/AP-2026-0001.yaml", "网络访问策略"),
        ("environments/acceptance/environment.yaml", "其他配置、工具和文档"),
        ("tools/dfctl/cli.py", "其他配置、工具和文档"),
    ],
)
def test_the_first_matching_rule_decides(path: str, rule: str) -> None:
    found = POLICY.rule_for(path)
    assert found is not None
    assert found.name == rule


def test_needs_combine_the_rules_of_every_file() -> None:
    needs, uncovered = POLICY.needs_for(
        [PRODUCTION, "cloud/namespaces/production/dfp-budget-prod.yaml", "standards/x.yaml"],
    )
    assert uncovered == []
    assert [(n.group, n.count, n.paths) for n in needs] == [
        (
            "city-finance-bureau",
            1,
            ("cloud/namespaces/production/dfp-budget-prod.yaml", PRODUCTION),
        ),
        ("ops-lead", 1, ("cloud/namespaces/production/dfp-budget-prod.yaml", PRODUCTION)),
        ("province-team", 1, ("standards/x.yaml",)),
    ]


def test_a_file_no_rule_covers_is_refused() -> None:
    text = (PROJECT / "approvals.yaml").read_text(encoding="utf-8")
    narrow = parse_policy(text.replace('      - "**"\n', "      - portal/systems/**\n").encode())
    found = judge(narrow, "a" * 40, ["tools/dfctl/cli.py"], [str(WU)], {}, break_glass=False)
    assert found.problems == ("no rule of approvals.yaml covers tools/dfctl/cli.py",)


# --- merge commits ------------------------------------------------------------------------------


def test_an_approved_merge_passes(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)
    merge = repo.merge_request("生产环境升级到3.8.0", production_change, WU, [ZHENG, ZHOU])
    (verdict,) = verdicts(repo)
    assert verdict.commit.sha == merge
    assert verdict.problems == ()
    assert verdict.approved
    assert [str(p) for p in verdict.approvers] == [str(ZHENG), str(ZHOU)]
    assert [(n.group, n.count) for n in verdict.needs] == [
        ("city-finance-bureau", 1),
        ("ops-lead", 1),
    ]
    assert [str(p) for p in verdict.authors] == [str(WU)]
    assert verdict.changed == (PRODUCTION,)


def test_self_approval_is_refused(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)
    repo.merge_request("生产环境升级到3.8.0", production_change, ZHOU, [ZHENG, ZHOU])
    (verdict,) = verdicts(repo)
    authored = git(repo.path, "rev-parse", "HEAD^2")
    assert verdict.problems == (
        f"{ZHOU} approved a change they authored ({short(authored)})",
        "needs 1 approval from ops-lead (生产环境（环境定义、命名空间、集群和数据库）: "
        f"{PRODUCTION}); has 0",
    )


def test_a_co_author_cannot_approve_either(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)
    repo.merge_request("生产环境升级到3.8.0", production_change, WU, [ZHENG, XIE], co_authors=[XIE])
    (verdict,) = verdicts(repo)
    authored = git(repo.path, "rev-parse", "HEAD^2")
    assert verdict.problems[0] == f"{XIE} approved a change they authored ({short(authored)})"
    assert not verdict.approved


def test_an_approver_in_no_group_is_refused(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)
    repo.merge_request("生产环境升级到3.8.0", production_change, WU, [ZHENG, LI])
    (verdict,) = verdicts(repo)
    assert verdict.problems == (
        f"{LI} is in no group of approvals.yaml at {short(repo.root)}",
        "needs 1 approval from ops-lead (生产环境（环境定义、命名空间、集群和数据库）: "
        f"{PRODUCTION}); has 0",
    )


def test_a_member_of_the_wrong_group_does_not_count(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)
    repo.merge_request("生产环境升级到3.8.0", production_change, WU, [ZHENG, XU])
    (verdict,) = verdicts(repo)
    assert verdict.problems == (
        "needs 1 approval from ops-lead (生产环境（环境定义、命名空间、集群和数据库）: "
        f"{PRODUCTION}); has 0",
    )


def test_an_approval_that_edits_approvals_yaml_does_not_count(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)

    def promote_li(work: Path) -> None:
        edit(
            work / "approvals.yaml",
            "  ops-lead:\n    description: 运营项目负责人和技术负责人\n    members:\n",
            "  ops-lead:\n    description: 运营项目负责人和技术负责人\n    members:\n"
            f"      - name: {LI.name}\n        email: {LI.email}\n",
        )
        production_change(work)

    repo.merge_request("增加运营负责人并升级生产", promote_li, WU, [ZHENG, LI])
    (verdict,) = verdicts(repo)
    assert verdict.problems == (
        f"{LI} is in no group of approvals.yaml at {short(repo.root)}; this change adds them to "
        "a group, but the rules are read from the parent revision",
        "needs 1 approval from ops-lead (审批规则本身; 生产环境（环境定义、命名空间、集群和数据库）: "
        "approvals.yaml and 1 more file); has 0",
    )
    # the same people approve the next change: now the parent's rules name 李明
    repo.merge_request(
        "生产环境回退到3.7.2", lambda w: edit(w / PRODUCTION, "3.8.0", "3.7.2"), WU, [LIN, LI]
    )
    assert verdicts(repo)[1].problems == ()


def test_a_direct_push_to_main_is_refused(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)
    approved = repo.merge_request("生产环境升级到3.8.0", production_change, WU, [ZHENG, ZHOU])
    pushed = repo.push("直接修改生产环境", lambda w: edit(w / PRODUCTION, "3.8.0", "3.8.1"), ZHOU)
    first, second = verdicts(repo)
    assert (first.commit.sha, first.approved) == (approved, True)
    assert (second.commit.sha, second.problems) == (pushed, (DIRECT_COMMIT,))


def test_trailers_that_are_not_name_and_email_are_refused(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)
    repo.merge_request(
        "生产环境升级到3.8.0",
        production_change,
        WU,
        [ZHENG, ZHOU],
        extra_trailers=["Approved-by: 谢宏伟"],
    )
    (verdict,) = verdicts(repo)
    assert verdict.problems == ("Approved-by: '谢宏伟' is not \"Name <email>\"",)


def test_only_the_first_parent_chain_is_judged(tmp_path: Path) -> None:
    """The merge request's own commits are not on main's first-parent chain: only the merge."""
    repo = main_repo(tmp_path)
    merge = repo.merge_request("生产环境升级到3.8.0", production_change, WU, [ZHENG, ZHOU])
    assert [v.commit.sha for v in verdicts(repo)] == [merge]


# --- break-glass --------------------------------------------------------------------------------


def test_break_glass_needs_two_operations_leads(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)
    repo.merge_request(
        "紧急修复：生产支付服务回滚",
        production_change,
        WU,
        [ZHOU, DENG],
        break_glass="TAPD-1021001 国库支付凭证无法签章，紧急回滚",
    )
    repo.merge_request(
        "紧急修复：再次调整",
        lambda w: edit(w / PRODUCTION, "3.8.0", "3.8.1"),
        WU,
        [ZHOU, ZHENG],
        break_glass="TAPD-1021002 夜间批量失败",
    )
    first, second = verdicts(repo)
    assert first.problems == ()
    assert first.break_glass == "TAPD-1021001 国库支付凭证无法签章，紧急回滚"
    assert second.problems == (f"break-glass needs 2 approvals from ops-lead; has 1: {ZHOU}",)


# --- the signature policy -----------------------------------------------------------------------


def test_under_the_signature_policy_an_unsigned_or_foreign_merge_is_refused(
    tmp_path: Path,
) -> None:
    bot_key, bot_public = ssh_key(tmp_path, "gitlab-bot")
    rogue_key, _ = ssh_key(tmp_path, "rogue")
    repo = main_repo(tmp_path)
    signatures = (
        "signatures:\n  signers:\n    - name: GitLab\n      email: gitlab@xx.gov.example\n"
        f"      public_key: {bot_public}\n"
    )
    repo.merge_request(
        "启用合并提交签名",
        lambda w: write(
            w / "approvals.yaml", (w / "approvals.yaml").read_text(encoding="utf-8") + signatures
        ),
        WU,
        [ZHOU, LIN],
    )
    enabled = repo.head
    signed = repo.merge_request(
        "生产环境升级到3.8.0", production_change, WU, [ZHENG, ZHOU], sign_with=bot_key
    )
    forged = repo.merge_request(
        "生产环境升级到3.8.1",
        lambda w: edit(w / PRODUCTION, "3.8.0", "3.8.1"),
        WU,
        [ZHENG, ZHOU],
    )
    foreign = repo.merge_request(
        "生产环境升级到3.8.2",
        lambda w: edit(w / PRODUCTION, "3.8.1", "3.8.2"),
        WU,
        [ZHENG, ZHOU],
        sign_with=rogue_key,
    )
    found = {v.commit.sha: v for v in verdicts(repo)}
    assert found[enabled].problems == ()  # its parent had no signature policy yet
    assert found[signed].problems == ()
    assert found[forged].problems == (
        f"merge commit is not signed; approvals.yaml at {short(signed)} requires merge commits "
        "signed by a key it lists",
    )
    rogue = subprocess.run(
        ["ssh-keygen", "-lf", f"{rogue_key}.pub"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert found[foreign].problems == (
        f"merge commit is signed by a key approvals.yaml does not list ({rogue}); approvals.yaml "
        f"at {short(forged)} requires merge commits signed by a key it lists",
    )


def test_a_signed_commit_altered_afterwards_is_refused(tmp_path: Path) -> None:
    bot_key, bot_public = ssh_key(tmp_path, "gitlab-bot")
    signatures = (
        "signatures:\n  signers:\n    - name: GitLab\n      email: gitlab@xx.gov.example\n"
        f"      public_key: {bot_public}\n"
    )
    repo = main_repo(tmp_path)
    text = (repo.path / "approvals.yaml").read_text(encoding="utf-8")
    (repo.path / "approvals.yaml").write_text(text + signatures, encoding="utf-8")
    git(repo.path, "commit", "-q", "-am", "启用签名", who=ZHOU)
    base = repo.head
    signed = repo.merge_request(
        "生产环境升级到3.8.0", production_change, WU, [ZHENG, LIN], sign_with=bot_key
    )
    # rewrite the signed merge object with one more approver, keeping the old signature
    raw = git(repo.path, "cat-file", "commit", signed)
    altered = raw.replace(f"Approved-by: {LIN}", f"Approved-by: {LIN}\nApproved-by: {ZHOU}")
    object_file = tmp_path / "altered"
    object_file.write_text(altered + "\n", encoding="utf-8")
    forged = git(repo.path, "hash-object", "-t", "commit", "-w", str(object_file))
    git(repo.path, "update-ref", "refs/heads/main", forged)
    (verdict,) = verdicts(repo, base)
    assert verdict.commit.sha == forged
    assert verdict.problems[0].startswith(
        "merge commit has a bad signature (the commit was altered after it was signed)"
    )


# --- the command --------------------------------------------------------------------------------


def test_approvals_check_prints_every_commit_and_exits_1_on_a_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = main_repo(tmp_path)
    good = repo.merge_request("生产环境升级到3.8.0", production_change, WU, [ZHENG, ZHOU])
    bad = repo.merge_request(
        "访问策略放开",
        lambda w: write(w / "portal/access-policies/AP-2026-0100.yaml", "x: 1\n"),
        WU,
        [JIANG],
    )
    code = main(["--repo", str(repo.path), "approvals", "check", "--range", f"{repo.root}..main"])
    out = capsys.readouterr().out
    assert code == 1
    assert out == (
        f"{short(good)} approved   生产环境升级到3.8.0 (by {ZHENG}, {ZHOU})\n"
        f"{short(bad)} refused    访问策略放开\n"
        "    needs 1 approval from security (网络访问策略: "
        "portal/access-policies/AP-2026-0100.yaml); has 0\n"
    )
    assert (
        main(["--repo", str(repo.path), "approvals", "check", "--range", f"{repo.root}..{good}"])
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "--repo",
                str(repo.path),
                "approvals",
                "check",
                "--range",
                f"{good}..main",
                "--format",
                "json",
            ]
        )
        == 1
    )
    output = json.loads(capsys.readouterr().out)
    assert output["format_version"] == 1
    (record,) = output["verdicts"]
    assert record == {
        "commit": bad,
        "verdict": "refused",
        "reasons": [
            "needs 1 approval from security (网络访问策略: "
            "portal/access-policies/AP-2026-0100.yaml); has 0"
        ],
        "approvers": [str(JIANG)],
        "title": "访问策略放开",
        "merged_by": "GitLab <gitlab@xx.gov.example>",
        "authors": [str(WU)],
        "break_glass": None,
        "needs": [
            {
                "group": "security",
                "count": 1,
                "rules": ["网络访问策略"],
                "paths": ["portal/access-policies/AP-2026-0100.yaml"],
            }
        ],
    }


def test_approvals_check_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = main_repo(tmp_path)
    assert main(["--repo", str(repo.path), "approvals", "check", "--range", "main"]) == 2
    assert "--range: expected BASE..HEAD" in capsys.readouterr().err
    assert main(["--repo", str(repo.path), "approvals", "check", "--range", "nope..main"]) == 2
    assert "unknown revision 'nope'" in capsys.readouterr().err


def test_the_security_group_approves_access_policies(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)
    repo.merge_request(
        "开放非税收缴接口",
        lambda w: write(w / "portal/access-policies/AP-2026-0100.yaml", "x: 1\n"),
        WU,
        [CHEN],
    )
    assert verdicts(repo)[0].problems == ()


# --- the review diff lists the approvals a change needs --------------------------------------


def test_the_review_names_the_approvals_the_base_revision_asks_for() -> None:

    base = load_repo(WorkTree(PROJECT), only={"approvals.yaml"})
    paths = [PRODUCTION, "tools/dfctl/cli.py", "portal/access-policies/AP-2026-0001.yaml"]
    approvals, uncovered = approvals_needed(base, paths)
    review = Review("main", "HEAD", (), (), (), approvals, uncovered)
    assert as_text(review) == (
        "review main..HEAD: 0 changes\n"
        f"APPROVAL 1 from city-finance-bureau (生产环境（环境定义、命名空间、集群和数据库）: {PRODUCTION})\n"
        f"APPROVAL 1 from ops-lead (生产环境（环境定义、命名空间、集群和数据库）: {PRODUCTION})\n"
        "APPROVAL 1 from platform-ops (其他配置、工具和文档: tools/dfctl/cli.py)\n"
        "APPROVAL 1 from security (网络访问策略: portal/access-policies/AP-2026-0001.yaml)\n"
    )
    assert json.loads(as_json(review))["approvals"][2] == {
        "group": "platform-ops",
        "count": 1,
        "rules": ["其他配置、工具和文档"],
        "paths": ["tools/dfctl/cli.py"],
    }
    assert approvals_needed(base, []) == ((), ())
