"""The review diff against real git histories built from the repository's own content."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dfctl.cli import main
from tests.content import TODAY, commit_all, copy_content, edit, init_repo

pytestmark = pytest.mark.git

GOLDEN = Path(__file__).parent / "golden" / "diff"
UPDATE = os.environ.get("DFCTL_UPDATE_GOLDEN") == "1"

NEW_POLICY = """\
# yaml-language-server: $schema=../../schemas/AccessPolicy.json
apiVersion: dfp.config/v1
kind: AccessPolicy
id: AP-2026-0099
title: 审计局审计数据采集前置机访问国库支付
environment: production
source:
  cidr: 10.99.12.0/24
destination:
  namespace: dfp-execution-prod
ports:
  - 8443
protocol: TCP
ticket: TAPD-1020999
requested_by: 王建华
approver: 陈志刚（安全管控组）
approved_on: "2026-11-20"
expires_on: "2027-11-19"
"""


def history(tmp_path: Path, change: Callable[[Path], object]) -> tuple[Path, str, str]:
    """A real repository: the content as the base commit, ``change`` applied as the head commit."""
    work = copy_content(tmp_path / "repo")
    repo = init_repo(work)
    base = commit_all(repo, "base")
    change(work)
    head = commit_all(repo, "change")
    return work, base, head


def review(
    work: Path, base: str, head: str, capsys: pytest.CaptureFixture[str], *extra: str
) -> dict[str, Any]:
    code = main(
        [
            "--repo",
            str(work),
            "diff",
            "--base",
            base,
            "--head",
            head,
            "--format",
            "json",
            "--today",
            TODAY,
            *extra,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    result: dict[str, Any] = json.loads(out)
    return result


def flags(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(f["code"], f["environment"], f["ref"], f["detail"]) for f in result["flags"]]


def test_quota_doubling_is_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work, base, head = history(
        tmp_path,
        lambda w: edit(
            w / "cloud/namespaces/production/dfp-budget-prod.yaml",
            'limits.cpu: "64"',
            'limits.cpu: "128"',
        ),
    )
    result = review(work, base, head, capsys)
    assert flags(result) == [
        ("production", "production", "environment production", "1 change"),
        (
            "scale",
            "production",
            "tke-prod-a: ResourceQuota dfp-budget-prod/dfp-quota",
            "spec.hard['limits.cpu'] 64 → 128 (+100%)",
        ),
    ]
    (change,) = result["changes"]
    assert change["fields"] == [
        {"op": "change", "path": "spec.hard['limits.cpu']", "old": "64", "new": "128"}
    ]
    assert change["source"] == "cloud/namespaces/production/dfp-budget-prod.yaml:9"


def test_small_replica_change_is_not_a_scale_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work, base, head = history(
        tmp_path,
        lambda w: edit(
            w / "cloud/namespaces/production/dfp-budget-prod.yaml", "replicas: 6", "replicas: 8"
        ),
    )
    result = review(work, base, head, capsys)
    assert [f[0] for f in flags(result)] == ["production"]
    (change,) = result["changes"]
    assert (change["kind"], change["ref"]) == (
        "Deployment",
        "Deployment dfp-budget-prod/bgt-server",
    )
    assert change["fields"] == [{"op": "change", "path": "spec.replicas", "old": 6, "new": 8}]


def test_replicas_halved_is_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work, base, head = history(
        tmp_path,
        lambda w: edit(
            w / "cloud/namespaces/production/dfp-budget-prod.yaml", "replicas: 6", "replicas: 2"
        ),
    )
    assert (
        "scale",
        "production",
        "tke-prod-a: Deployment dfp-budget-prod/bgt-server",
        "spec.replicas 6 → 2 (-67%)",
    ) in flags(review(work, base, head, capsys))


def test_new_outside_path_is_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work, base, head = history(
        tmp_path,
        lambda w: (w / "portal/access-policies/AP-2026-0099.yaml").write_text(
            NEW_POLICY, encoding="utf-8"
        ),
    )
    result = review(work, base, head, capsys)
    assert flags(result) == [
        ("production", "production", "environment production", "1 change"),
        (
            "external-path",
            "production",
            "tke-prod-a: NetworkPolicy dfp-execution-prod/dfp-ap-2026-0099",
            "ingress from 10.99.12.0/24 on TCP 8443",
        ),
    ]
    assert [c["op"] for c in result["changes"]] == ["add"]


def test_relaxed_control_rule_is_flagged_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def relax(work: Path) -> None:
        edit(
            work / "standards/control-rules/budget.yaml",
            "    warning_level: 3\n    handling: 2\n    trigger: 1\n    management_level: 1\n"
            "    condition: 预算调剂后单位三公经费预算合计高于调剂前",
            "    warning_level: 1\n    handling: 1\n    trigger: 1\n    management_level: 1\n"
            "    condition: 预算调剂后单位三公经费预算合计高于调剂前",
        )

    work, base, head = history(tmp_path, relax)
    relaxed = [f for f in flags(review(work, base, head, capsys)) if f[0] == "control-rule-relaxed"]
    assert relaxed == [
        (
            "control-rule-relaxed",
            env,
            f"/dfp/{env}/control-rules/budget",
            "BGT-ADJ-002 handling 2 拦截 → 1 预警",
        )
        for env in ("acceptance", "pre-release", "production")
    ]


def test_disabled_rule_and_province_item(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def change(work: Path) -> None:
        edit(
            work / "standards/control-rules/budget.yaml",
            "    condition: 下级指标分解金额合计超过上级指标金额\n",
            "    enabled: false\n    condition: 下级指标分解金额合计超过上级指标金额\n",
        )
        edit(
            work / "standards/system-config/execution.yaml",
            "      - indicator_function_economic\n    default: indicator\n",
            "      - indicator_function_economic\n    default: indicator_economic\n",
        )

    work, base, head = history(tmp_path, change)
    found = list(flags(review(work, base, head, capsys, "--env", "acceptance")))
    assert found == [
        (
            "control-rule-relaxed",
            "acceptance",
            "/dfp/acceptance/control-rules/budget",
            "BGT-IND-001 is disabled",
        ),
        (
            "province-item",
            "acceptance",
            "/dfp/acceptance/config-items/execution",
            "execution.payment.control_caliber: default changed",
        ),
    ]


def test_deletion_and_release_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(work: Path) -> None:
        (work / "portal/access-policies/AP-2026-0015.yaml").unlink()
        edit(
            work / "environments/production/environment.yaml",
            'version: "3.7.2"',
            'version: "3.8.0"',
        )

    work, base, head = history(tmp_path, change)
    result = review(work, base, head, capsys)
    codes = [f[0] for f in flags(result)]
    assert codes[:2] == ["production", "release"]
    assert ("release", "production", "environment production", "release 3.7.2 → 3.8.0") in flags(
        result
    )
    assert (
        "deletion",
        "production",
        "tke-prod-a: NetworkPolicy dfp-execution-prod/dfp-ap-2026-0015",
        "NetworkPolicy is removed",
    ) in flags(result)
    images = [c for c in result["changes"] if c["kind"] == "Deployment"]
    # each Deployment's one container, matched by name, changes its image and nothing else
    assert images and all(
        c["fields"] == []
        and [(r["list"], r["op"], [f["path"] for f in r["fields"]]) for r in c["rows"]]
        == [("spec.template.spec.containers", "change", ["image"])]
        for c in images
    )


def test_acceptance_only_change_has_no_production_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work, base, head = history(
        tmp_path,
        lambda w: edit(
            w / "cloud/namespaces/acceptance/dfp-budget-acc.yaml", "replicas: 1", "replicas: 2"
        ),
    )
    result = review(work, base, head, capsys)
    assert flags(result) == [
        (
            "scale",
            "acceptance",
            "tke-acc-a: Deployment dfp-budget-acc/bgt-server",
            "spec.replicas 1 → 2 (+100%)",
        )
    ]


def test_no_change_prints_no_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work, base, _ = history(tmp_path, lambda w: None)
    assert (
        main(
            ["--repo", str(work), "diff", "--base", base, "--format", "markdown", "--today", TODAY]
        )
        == 0
    )
    assert "No change to any environment's desired state." in capsys.readouterr().out


def test_invalid_head_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work, base, head = history(
        tmp_path,
        lambda w: edit(
            w / "cloud/namespaces/production/dfp-budget-prod.yaml", "replicas: 6", "replicas: 1"
        ),
    )
    code = main(["--repo", str(work), "diff", "--base", base, "--head", head, "--today", TODAY])
    out, err = capsys.readouterr()
    assert code == 1
    assert "cloud/namespaces/production/dfp-budget-prod.yaml:28:15: error DFP-CLD-003" in out
    assert f"revision {head} fails validation" in err


def test_unknown_revision_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work, _base, _ = history(tmp_path, lambda w: None)
    assert main(["--repo", str(work), "diff", "--base", "nope", "--today", TODAY]) == 2
    assert "unknown revision 'nope'" in capsys.readouterr().err


def test_diff_reads_git_objects_and_leaves_the_work_tree_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work, base, head = history(
        tmp_path,
        lambda w: edit(
            w / "cloud/namespaces/production/dfp-budget-prod.yaml", "replicas: 6", "replicas: 8"
        ),
    )
    # an uncommitted, invalid edit in the work tree must neither be read nor touched
    target = work / "cloud/namespaces/production/dfp-budget-prod.yaml"
    edit(target, "replicas: 8", "replicas: 0")
    before = target.read_bytes()
    result = review(work, base, head, capsys)
    assert result["changes"][0]["fields"][0]["new"] == 8
    assert target.read_bytes() == before


def test_markdown_review_matches_golden(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Regenerate with DFCTL_UPDATE_GOLDEN=1 after an intended content change, then review it."""

    def change(work: Path) -> None:
        edit(
            work / "cloud/namespaces/production/dfp-budget-prod.yaml",
            'limits.cpu: "64"',
            'limits.cpu: "128"',
        )
        edit(
            work / "cloud/namespaces/production/dfp-budget-prod.yaml", "replicas: 6", "replicas: 8"
        )
        (work / "portal/access-policies/AP-2026-0099.yaml").write_text(NEW_POLICY, encoding="utf-8")

    work, _base, _head = history(tmp_path, change)
    assert (
        main(
            [
                "--repo",
                str(work),
                "diff",
                "--base",
                "HEAD~1",
                "--format",
                "markdown",
                "--today",
                TODAY,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    golden = GOLDEN / "review.md"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")


def test_markdown_stays_readable_with_500_changed_objects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def many(work: Path) -> None:
        for number in range(500):
            text = NEW_POLICY.replace("AP-2026-0099", f"AP-2027-{number:04d}")
            text = text.replace("10.99.12.0/24", f"10.{100 + number // 250}.{number % 250}.0/24")
            (work / f"portal/access-policies/AP-2027-{number:04d}.yaml").write_text(
                text, encoding="utf-8"
            )

    work, base, head = history(tmp_path, many)
    code = main(
        [
            "--repo",
            str(work),
            "diff",
            "--base",
            base,
            "--head",
            head,
            "--format",
            "markdown",
            "--today",
            TODAY,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("<details>") == 500
    assert out.count("opens a path from outside the cluster | production | `tke-prod-a") == 10
    assert "| and 490 more like it (all are in the details below) |" in out
    assert "| production | `tke-prod-a` | 500 | 0 | 0 |" in out
