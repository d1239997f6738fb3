"""approvals.yaml as data: content rules, and what weakens a group's requirement."""

from __future__ import annotations

from dfctl.diff.risk import FLAG_TITLES, PRODUCTION
from dfctl.gitops.approvals import parse_policy
from dfctl.model.approvals import (
    FLAG_CODES,
    ApprovalPolicy,
    ChangeItem,
    Weakening,
    weakenings,
)
from dfctl.model.environment import CONFIG_SERVICE
from tests.content import PROJECT

TEXT = (PROJECT / "approvals.yaml").read_text(encoding="utf-8")
POLICY = parse_policy(TEXT.encode())


def policy(text: str) -> ApprovalPolicy:
    return parse_policy(text.encode())


def test_content_rules_speak_the_review_diffs_words() -> None:
    assert set(FLAG_CODES) == set(FLAG_TITLES) - {PRODUCTION}
    # one name for the configuration service, in plans, reviews and content rules alike: the one
    # docs/gitops.md tells approvals.yaml's authors to write under clusters
    assert CONFIG_SERVICE == "configservice"


def test_a_content_rule_applies_to_every_object_it_matches_wherever_its_file_is() -> None:
    items = [
        ChangeItem("production", "tke-prod-a", "production tke-prod-a: Namespace dfp-x"),
        ChangeItem("acceptance", "tke-acc-a", "acceptance tke-acc-a: Namespace dfp-y", ("scale",)),
        ChangeItem("pre-release", "tke-pre-a", "pre-release tke-pre-a: Deployment z", ("scale",)),
        ChangeItem(
            "acceptance", "configservice", "acceptance /dfp/acceptance/e", ("code-removed",)
        ),
    ]
    needs, uncovered = POLICY.needs_for(["cloud/namespaces/acceptance/x.yaml"], items)
    assert uncovered == []
    assert [(n.group, n.rules, n.paths, n.changes) for n in needs] == [
        (
            "city-finance-bureau",
            ("生产环境的对象（无论文件放在哪个目录）",),
            (),
            ("production tke-prod-a: Namespace dfp-x",),
        ),
        (
            "ops-lead",
            ("预发布和生产环境的大幅扩缩容", "生产环境的对象（无论文件放在哪个目录）"),
            (),
            ("pre-release tke-pre-a: Deployment z", "production tke-prod-a: Namespace dfp-x"),
        ),
        ("platform-ops", ("其他配置、工具和文档",), ("cloud/namespaces/acceptance/x.yaml",), ()),
        (
            "province-team",
            ("放宽控制规则、改动省统管配置项、停用或删除要素代码",),
            (),
            ("acceptance /dfp/acceptance/e",),
        ),
    ]


# --- weakenings -------------------------------------------------------------------------------


def test_an_unchanged_or_stricter_policy_weakens_nothing() -> None:
    assert weakenings(POLICY, POLICY, ["standards/elements/exp_func.yaml"]) == []
    stricter = policy(
        TEXT.replace(
            "break_glass:\n  group: ops-lead\n  count: 2",
            "break_glass:\n  group: ops-lead\n  count: 3",
        )
    )
    assert weakenings(POLICY, stricter) == []


def test_dropping_a_rule_weakens_its_groups() -> None:
    dropped = policy(
        TEXT.replace(
            "  - name: 网络访问策略\n    paths:\n      - portal/access-policies/**\n    require:\n"
            "      - group: security\n",
            "",
        )
    )
    assert weakenings(POLICY, dropped, ["portal/access-policies/AP-2026-0001.yaml"]) == [
        Weakening("security", "portal/access-policies/AP-2026-0001.yaml needs 0 of its 1 approvals")
    ]


def test_narrowing_a_content_rule_weakens_its_groups() -> None:
    narrowed = policy(
        TEXT.replace(
            "      flags:\n        - control-rule-relaxed\n        - province-item\n",
            "      flags:\n        - province-item\n",
        )
    )
    assert weakenings(POLICY, narrowed) == [
        Weakening(
            "province-team",
            "a change of acceptance control-rule-relaxed needs 0 of its 1 approvals",
        )
    ]


def test_widening_a_pattern_to_files_no_one_has_written_yet_weakens_its_groups() -> None:
    """Hole: the city widens its agency pattern to ``agency*.yaml``; no such file exists yet, so
    probing the files and the old patterns found nothing, and the next merge could add
    ``standards/elements/agencyx.yaml`` (any set) with the city's approval alone."""
    widened = policy(
        TEXT.replace(
            "      - standards/elements/agency_*.yaml\n",
            "      - standards/elements/agency*.yaml\n",
        )
    )
    assert weakenings(POLICY, widened, ["standards/elements/agency_990100000.yaml"]) == [
        Weakening("province-team", "standards/elements/agencyx.yaml needs 0 of its 1 approvals")
    ]


def test_members_keys_break_glass_and_signatures() -> None:
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBT0Q8j9vXcN1kYlq0e1Rj7w3tqXy1nU4ZPb3m5D8aXq"
    signed = TEXT + (
        "signatures:\n  signers:\n    - name: GitLab\n      email: gitlab@xx.gov.example\n"
        f"      public_key: {key}\n"
    )
    before = policy(signed)
    after = policy(
        signed.replace(
            "      - name: 陈志刚\n",
            "      - name: 李明\n        email: liming@xx.gov.example\n      - name: 陈志刚\n",
        )
        .replace(
            "email: wu.haiyan@xx.gov.example\n",
            f"email: wu.haiyan@xx.gov.example\n        public_key: {key}\n",
        )
        .replace(
            "break_glass:\n  group: ops-lead\n  count: 2",
            "break_glass:\n  group: platform-ops\n  count: 2",
        )
    )
    assert weakenings(before, after) == [
        Weakening(
            "ops-lead", "break-glass needs 2 from platform-ops instead of 2 from ops-lead", 2
        ),
        Weakening("platform-ops", "gives 吴海燕 another public key"),
        Weakening("security", "adds 李明 <liming@xx.gov.example> to security"),
    ]
    dropped = policy(TEXT)
    assert {w.group for w in weakenings(before, dropped)} == set(POLICY.groups)
    assert {w.what for w in weakenings(before, dropped)} == {"drops the signature policy"}
