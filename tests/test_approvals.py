"""Approvals proven from git history: real repositories, real merge commits, real signatures."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
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
from dfctl.model import DATA_ROOTS, ROOT_FILES
from dfctl.report.review import as_json, as_text
from tests.content import PROJECT, edit
from tests.merge_requests import (
    CHEN,
    DENG,
    JIANG,
    LI,
    LIN,
    MERGER,
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
BUDGET_ACC = "cloud/namespaces/acceptance/dfp-budget-acc.yaml"
PORTAL_SYSTEM = "portal/systems/budget-mgmt.yaml"
ACCESS_POLICY = "portal/access-policies/AP-2026-0023.yaml"  # acceptance
STANDARD = "standards/releases/3.7.2.yaml"
POLICY = parse_policy((PROJECT / "approvals.yaml").read_bytes())
PRODUCTION_RULE = "生产环境（环境定义、命名空间、集群和数据库）"
PRODUCTION_OBJECTS = "生产环境的对象（无论文件放在哪个目录）"
UPGRADE_OBJECTS = 29  # what the release upgrade changes in production (images, the release)


def production_change(work: Path) -> None:
    edit(work / PRODUCTION, 'version: "3.7.2"', 'version: "3.8.0"')


def upgrade_need(group: str) -> str:
    """What the release upgrade asks of a production group it lacks."""
    return (
        f"needs 1 approval from {group} ({PRODUCTION_RULE}; {PRODUCTION_OBJECTS}: {PRODUCTION}; "
        f"{UPGRADE_OBJECTS} changed objects); has 0"
    )


def acceptance_change(work: Path) -> None:
    edit(work / BUDGET_ACC, "replicas: 1", "replicas: 2")


def main_repo(tmp_path: Path) -> Main:
    """GitLab's copy of this repository's data, on main."""
    return Main(tmp_path / "config", [*DATA_ROOTS, *ROOT_FILES])


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
    found = judge(narrow, "a" * 40, [str(WU)], {}, narrow.needs_for(["tools/dfctl/cli.py"]))
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
        upgrade_need("ops-lead"),
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
        upgrade_need("ops-lead"),
    )


def test_a_member_of_the_wrong_group_does_not_count(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)
    repo.merge_request("生产环境升级到3.8.0", production_change, WU, [ZHENG, XU])
    (verdict,) = verdicts(repo)
    assert verdict.problems == (upgrade_need("ops-lead"),)


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
        f"needs 1 approval from ops-lead (审批规则本身; {PRODUCTION_RULE}; {PRODUCTION_OBJECTS}; "
        "approvals.yaml protects itself: approvals.yaml and 1 more file; "
        f"{UPGRADE_OBJECTS} changed objects); has 0",
    )
    # adding someone to ops-lead weakens what ops-lead's approval means: ops-lead must agree
    assert verdict.notes == (f"approvals.yaml weakens ops-lead: adds {LI} to ops-lead",)
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


# --- an "evil merge": what the merge commit changes itself is its merger's -----------------------


def test_a_merger_cannot_approve_what_she_changed_in_the_merge_itself(tmp_path: Path) -> None:
    """Hole: the merge request (an acceptance replica) is approved by platform-ops; the merger
    slips the production upgrade into the merge commit and approves it herself."""
    repo = main_repo(tmp_path)
    merge = repo.merge_request(
        "验收预算域扩容",
        acceptance_change,
        WU,
        [JIANG, ZHENG, ZHOU],
        merger=ZHOU,
        in_merge=production_change,
    )
    (verdict,) = verdicts(repo)
    assert verdict.problems == (
        f"{ZHOU} approved a change they authored ({short(merge)}, changes made in the merge "
        "commit itself)",
        upgrade_need("ops-lead"),
    )
    assert verdict.merge_changes == (PRODUCTION,)
    assert verdict.changed == (BUDGET_ACC, PRODUCTION)
    # the evidence names her as an author of the change
    assert [str(p) for p in verdict.authors] == [str(WU), str(ZHOU)]


def test_a_clean_merge_by_a_person_is_unaffected(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)
    repo.merge_request("生产环境升级到3.8.0", production_change, WU, [ZHENG, ZHOU], merger=ZHOU)
    (verdict,) = verdicts(repo)
    assert (verdict.problems, verdict.merge_changes) == ((), ())
    assert [str(p) for p in verdict.authors] == [str(WU)]


def test_a_conflict_resolved_in_the_merge_commit_is_the_mergers_change(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)
    repo.merge_request("生产环境升级到3.8.0", production_change, WU, [ZHENG, ZHOU])
    # a branch from before that upgrade edits the same line; the merger resolves the conflict
    merge = repo.merge_request(
        "生产环境回退到3.7.1",
        lambda w: edit(w / PRODUCTION, 'version: "3.7.2"', 'version: "3.7.1"'),
        JIANG,
        [ZHENG, XIE],
        merger=XIE,
        branch_from=repo.root,
    )
    _first, second = verdicts(repo)
    assert second.commit.sha == merge
    assert second.merge_changes == (PRODUCTION,)
    assert second.problems[0] == (
        f"{XIE} approved a change they authored ({short(merge)}, changes made in the merge "
        "commit itself)"
    )


# --- what the change does, wherever its files are ----------------------------------------------


def test_a_change_that_reaches_production_needs_production_approvals(tmp_path: Path) -> None:
    """Hole: a portal system is configured once for every environment; its path rule asks for
    platform-ops only, but what it changes in production needs the production approvers."""
    repo = main_repo(tmp_path)
    repo.merge_request(
        "预算管理菜单调整",
        lambda w: edit(w / PORTAL_SYSTEM, "  order: 10\n", "  order: 11\n"),
        WU,
        [JIANG],
    )
    (verdict,) = verdicts(repo)
    assert verdict.problems == (
        f"needs 1 approval from city-finance-bureau ({PRODUCTION_OBJECTS}: "
        "production /dfp/production/portal/systems/budget-mgmt); has 0",
        f"needs 1 approval from ops-lead ({PRODUCTION_OBJECTS}: "
        "production /dfp/production/portal/systems/budget-mgmt); has 0",
    )
    assert [(n.group, n.rules) for n in verdict.needs] == [
        ("city-finance-bureau", (PRODUCTION_OBJECTS,)),
        ("ops-lead", (PRODUCTION_OBJECTS,)),
        ("platform-ops", ("其他配置、工具和文档",)),
    ]


def test_a_production_namespace_filed_as_acceptance_is_not_an_acceptance_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hole: a namespace declared for production, placed under cloud/namespaces/acceptance/,
    used to validate clean and ask only for platform-ops."""
    repo = main_repo(tmp_path)
    source = repo.path / "cloud/namespaces/production/dfp-budget-prod.yaml"
    text = source.read_text(encoding="utf-8").replace("dfp-budget-prod", "dfp-budget-prod2")
    placed = "cloud/namespaces/acceptance/dfp-budget-prod2.yaml"
    repo.merge_request("新增预算命名空间", lambda w: write(w / placed, text), WU, [JIANG])
    assert main(["--repo", str(repo.path), "validate"]) == 1
    assert (
        f"{placed}:6:14: error DFP-PLC-001 {placed} declares production but lives in the "
        "acceptance folder; move it to cloud/namespaces/production/ or declare acceptance"
    ) in capsys.readouterr().out
    (verdict,) = verdicts(repo)
    assert not verdict.approved
    groups = {n.group for n in verdict.needs}
    assert {"city-finance-bureau", "ops-lead"} <= groups
    assert (
        f"what it changes cannot be told ({short(repo.head)} fails validation" in verdict.notes[0]
    )
    # what it changes cannot be told: every content rule naming the group applies
    assert verdict.problems[0].startswith(
        f"needs 1 approval from city-finance-bureau ({PRODUCTION_OBJECTS}; "
        f"停用或删除市、县区维护的要素代码: {short(repo.head)} fails validation"
    )


# --- approvals.yaml protects itself -------------------------------------------------------------


def drop_province_rule(work: Path) -> None:
    edit(
        work / "approvals.yaml",
        "  - name: 省统管标准（要素、系统级配置项、控制规则、版本目录）\n    paths:\n"
        "      - standards/**\n    require:\n      - group: province-team\n",
        "",
    )


def test_the_city_cannot_drop_the_provinces_hold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hole: one merge, approved by the city, drops province-team's rule on standards/**; the
    next changes a province standard without province-team."""
    repo = main_repo(tmp_path)
    dropped = repo.merge_request("简化审批规则", drop_province_rule, WU, [ZHOU, ZHENG])
    after = repo.merge_request(
        "调整要素",
        lambda w: write(w / STANDARD, (w / STANDARD).read_text(encoding="utf-8") + "# 注\n"),
        WU,
        [JIANG],
    )
    first, second = verdicts(repo)
    assert first.problems == (
        "needs 1 approval from province-team (approvals.yaml protects itself: approvals.yaml); "
        "has 0",
    )
    assert first.notes == (
        "approvals.yaml weakens province-team: standards/control-rules/accounting.yaml needs 0 "
        "of its 1 approvals",
    )
    assert second.approved  # by the rules it was merged under, which were never approved
    code = main(["--repo", str(repo.path), "approvals", "check", "--range", f"{repo.root}..main"])
    assert code == 1
    assert capsys.readouterr().out == (
        f"{short(dropped)} refused    简化审批规则\n"
        "    needs 1 approval from province-team (approvals.yaml protects itself: "
        "approvals.yaml); has 0\n"
        "    note: approvals.yaml weakens province-team: standards/control-rules/"
        "accounting.yaml needs 0 of its 1 approvals\n"
        f"{short(after)} waits      调整要素 (by {JIANG})\n"
        f"    behind {short(dropped)} (简化审批规则), which is refused\n"
    )


def test_a_weakening_the_weakened_group_approves_goes(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)
    repo.merge_request("简化审批规则", drop_province_rule, WU, [ZHOU, ZHENG, XU])
    (verdict,) = verdicts(repo)
    assert verdict.problems == ()
    assert [(n.group, n.rules) for n in verdict.needs] == [
        ("city-finance-bureau", ("审批规则本身",)),
        ("ops-lead", ("审批规则本身",)),
        ("province-team", ("approvals.yaml protects itself",)),
    ]


def test_break_glass_cannot_change_the_gate(tmp_path: Path) -> None:
    repo = main_repo(tmp_path)
    repo.merge_request(
        "紧急：放宽审批",
        drop_province_rule,
        WU,
        [ZHOU, DENG],
        break_glass="TAPD-1021009 紧急",
    )
    repo.merge_request(
        "紧急：取消年终冻结",
        lambda w: edit(w / PRODUCTION, 'start: "2026-12-20"', 'start: "2027-01-10"'),
        WU,
        [ZHOU, DENG],
        break_glass="TAPD-1021010 紧急",
    )
    first, second = verdicts(repo)
    assert first.problems == (
        "break-glass cannot change approvals.yaml (its rules, groups, keys and signature policy "
        "need the ordinary approvals)",
    )
    assert second.problems == (
        "break-glass cannot change the change windows or freezes of production",
    )


# --- the signature policy and who is who -----------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    bot: Path  # GitLab's instance key: it signs merge commits
    wu: Path  # 吴海燕's own key: she signs her commits
    rogue: Path  # a key approvals.yaml does not list


def signed_main(tmp_path: Path) -> tuple[Main, Keys]:
    """main whose approvals.yaml lists GitLab's key as the signer and 吴海燕's public key."""
    keys = {name: ssh_key(tmp_path, name) for name in ("gitlab-bot", "wu", "rogue")}
    repo = main_repo(tmp_path)
    policy = repo.path / "approvals.yaml"
    text = policy.read_text(encoding="utf-8").replace(
        f"email: {WU.email}\n", f"email: {WU.email}\n        public_key: {keys['wu'][1]}\n"
    )
    text += (
        "signatures:\n  signers:\n    - name: GitLab\n      email: gitlab@xx.gov.example\n"
        f"      public_key: {keys['gitlab-bot'][1]}\n"
    )
    write(policy, text)
    git(repo.path, "add", "-A")
    git(repo.path, "commit", "-q", "--amend", "--no-edit", who=MERGER)
    repo.root = repo.head
    return repo, Keys(keys["gitlab-bot"][0], keys["wu"][0], keys["rogue"][0])


def test_under_the_signature_policy_an_unsigned_or_foreign_merge_is_refused(
    tmp_path: Path,
) -> None:
    repo, keys = signed_main(tmp_path)
    signed = repo.merge_request(
        "生产环境升级到3.8.0",
        production_change,
        WU,
        [ZHENG, ZHOU],
        sign_with=keys.bot,
        author_key=keys.wu,
    )
    forged = repo.merge_request(
        "验收预算域扩容", acceptance_change, WU, [JIANG], author_key=keys.wu
    )
    foreign = repo.merge_request(
        "验收预算域再扩容",
        lambda w: edit(w / BUDGET_ACC, "replicas: 2", "replicas: 3"),
        WU,
        [JIANG],
        sign_with=keys.rogue,
        author_key=keys.wu,
    )
    found = {v.commit.sha: v for v in verdicts(repo)}
    assert found[signed].problems == ()
    assert found[forged].problems == (
        f"merge commit is not signed; approvals.yaml at {short(signed)} requires merge commits "
        "signed by a key it lists",
    )
    rogue = subprocess.run(
        ["ssh-keygen", "-lf", f"{keys.rogue}.pub"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert found[foreign].problems == (
        f"merge commit is signed by a key approvals.yaml does not list ({rogue}); approvals.yaml "
        f"at {short(forged)} requires merge commits signed by a key it lists",
    )


def test_a_signed_commit_altered_afterwards_is_refused(tmp_path: Path) -> None:
    repo, keys = signed_main(tmp_path)
    signed = repo.merge_request(
        "生产环境升级到3.8.0",
        production_change,
        WU,
        [ZHENG, LIN],
        sign_with=keys.bot,
        author_key=keys.wu,
    )
    # rewrite the signed merge object with one more approver, keeping the old signature
    raw = git(repo.path, "cat-file", "commit", signed)
    altered = raw.replace(f"Approved-by: {LIN}", f"Approved-by: {LIN}\nApproved-by: {ZHOU}")
    object_file = tmp_path / "altered"
    object_file.write_text(altered + "\n", encoding="utf-8")
    forged = git(repo.path, "hash-object", "-t", "commit", "-w", str(object_file))
    git(repo.path, "update-ref", "refs/heads/main", forged)
    (verdict,) = verdicts(repo)
    assert verdict.commit.sha == forged
    assert verdict.problems[-1].startswith(
        "merge commit has a bad signature (the commit was altered after it was signed)"
    )


def test_with_signatures_the_author_is_whose_key_signed(tmp_path: Path) -> None:
    """吴海燕 commits under 李明's name, signed with her own key, then approves it herself.
    Without a signature policy the typed name is all there is, and the approval counts."""
    unsigned = main_repo(tmp_path / "plain")
    unsigned.merge_request("验收预算域扩容", acceptance_change, LI, [WU])
    (plain,) = verdicts(unsigned)
    assert plain.problems == ()  # documented: without signatures an author's email is typed

    repo, keys = signed_main(tmp_path)
    repo.merge_request(
        "验收预算域扩容", acceptance_change, LI, [WU], sign_with=keys.bot, author_key=keys.wu
    )
    (verdict,) = verdicts(repo)
    brought = git(repo.path, "rev-parse", "HEAD^2")
    assert verdict.problems == (
        f"{WU} approved a change they authored ({short(brought)}, signed with their key)",
        f"needs 1 approval from platform-ops (其他配置、工具和文档: {BUDGET_ACC}); has 0",
    )
    assert [str(p) for p in verdict.authors] == [str(WU), str(LI)]


def test_with_signatures_a_commit_nobody_signed_is_refused(tmp_path: Path) -> None:
    repo, keys = signed_main(tmp_path)
    repo.merge_request("验收预算域扩容", acceptance_change, WU, [JIANG], sign_with=keys.bot)
    (verdict,) = verdicts(repo)
    brought = git(repo.path, "rev-parse", "HEAD^2")
    assert verdict.problems == (
        f"{short(brought)} (验收预算域扩容) is not signed: approvals.yaml at {short(repo.root)} "
        "requires each commit signed by its author's key",
    )


# --- the command --------------------------------------------------------------------------------


def loosen_access(work: Path) -> None:
    edit(work / ACCESS_POLICY, "  - 443\n", "  - 443\n  - 8443\n")


def test_approvals_check_prints_every_commit_and_exits_1_on_a_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = main_repo(tmp_path)
    good = repo.merge_request("生产环境升级到3.8.0", production_change, WU, [ZHENG, ZHOU])
    bad = repo.merge_request("访问策略放开", loosen_access, WU, [JIANG])
    code = main(["--repo", str(repo.path), "approvals", "check", "--range", f"{repo.root}..main"])
    out = capsys.readouterr().out
    assert code == 1
    assert out == (
        f"{short(good)} approved   生产环境升级到3.8.0 (by {ZHENG}, {ZHOU})\n"
        f"{short(bad)} refused    访问策略放开\n"
        f"    needs 1 approval from security (网络访问策略; 从集群外开放访问路径: {ACCESS_POLICY}; "
        "1 changed object); "
        "has 0\n"
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
            f"needs 1 approval from security (网络访问策略; 从集群外开放访问路径: {ACCESS_POLICY}; "
            "1 changed object); has 0"
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
                "rules": ["网络访问策略", "从集群外开放访问路径"],
                "paths": [ACCESS_POLICY],
                "changes": ["acceptance tke-acc-a: NetworkPolicy dfp-portal-acc/dfp-ap-2026-0023"],
            },
        ],
        "merge_changes": [],
        "supersedes": [],
        "superseded_by": None,
        "notes": [],
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
    repo.merge_request("访问策略放开", loosen_access, WU, [CHEN, JIANG])
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
        "changes": [],
    }
    assert approvals_needed(base, []) == ((), ())


def test_the_review_lists_what_the_content_rules_ask_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The merge request shows the production approvals a portal change needs before anyone
    approves, as the gate will ask for them."""
    repo = main_repo(tmp_path)
    repo.merge_request(
        "预算管理菜单调整",
        lambda w: edit(w / PORTAL_SYSTEM, "  order: 10\n", "  order: 11\n"),
        WU,
        [JIANG],
    )
    diff = ["--repo", str(repo.path), "diff", "--base", "main~1", "--head", "main"]
    assert main([*diff, "--today", "2026-11-27"]) == 0
    lines = capsys.readouterr().out.splitlines()
    shown = "production /dfp/production/portal/systems/budget-mgmt"
    assert [line for line in lines if line.startswith("APPROVAL")] == [
        f"APPROVAL 1 from city-finance-bureau ({PRODUCTION_OBJECTS}: {shown})",
        f"APPROVAL 1 from ops-lead ({PRODUCTION_OBJECTS}: {shown})",
        f"APPROVAL 1 from platform-ops (其他配置、工具和文档: {PORTAL_SYSTEM})",
    ]
    assert main([*diff, "--today", "2026-11-27", "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "| group | approvals | rule | files and changed objects |" in markdown
    assert f"| city-finance-bureau | 1 | {PRODUCTION_OBJECTS} | `{shown}` |" in markdown
