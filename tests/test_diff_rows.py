"""Keyed review diffs: an element set's codes, configuration items, control rules and a policy's
ports are compared row by row, by their key, with each row's own line in the YAML.

Golden files: ``tests/golden/diff/rows/``; regenerate with DFCTL_UPDATE_GOLDEN=1 after an
intended change, then read the difference.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dfctl.cli import main
from tests.content import TODAY, commit_all, copy_content, edit, init_repo
from tests.test_diff import GOLDEN, UPDATE, history

pytestmark = pytest.mark.git

EXP_FUNC = "standards/elements/exp_func.yaml"
EXP_KEY = "/dfp/acceptance/elements/exp_func/2026/990000000"


def _text(work: Path) -> str:
    return (work / EXP_FUNC).read_text(encoding="utf-8")


def append_code(work: Path) -> None:
    (work / EXP_FUNC).write_text(
        _text(work)
        + '  - code: "2330399"\n    name: 其他地方政府一般债务发行费用支出\n'
        + "    start_date: 2026-01-01\n",
        encoding="utf-8",
    )


def insert_code(work: Path) -> None:
    edit(
        work / EXP_FUNC,
        '  - code: "2010150"\n',
        '  - code: "2010110"\n    name: 人大预算审查监督\n    start_date: 2026-07-01\n'
        '  - code: "2010150"\n',
    )


def delete_code(work: Path) -> None:
    edit(
        work / EXP_FUNC, '  - code: "2010108"\n    name: 代表工作\n    start_date: 2026-01-01\n', ""
    )


def retire_code(work: Path) -> None:
    edit(
        work / EXP_FUNC,
        "    name: 人大信访工作\n    start_date: 2026-01-01\n",
        "    name: 人大信访工作\n    start_date: 2026-01-01\n    end_date: 2026-06-30\n"
        '    enabled: false\n    successor: "2010199"\n',
    )


def rename_code(work: Path) -> None:
    edit(
        work / EXP_FUNC,
        '  - code: "2010101"\n    name: 行政运行\n',
        '  - code: "2010101"\n    name: 行政运行（机关）\n',
    )


def reorder_codes(work: Path) -> None:
    first = '  - code: "2010102"\n    name: 一般行政管理事务\n    start_date: 2026-01-01\n'
    second = '  - code: "2010103"\n    name: 机关服务\n    start_date: 2026-01-01\n'
    edit(work / EXP_FUNC, first + second, second + first)


CASES: dict[str, Callable[[Path], None]] = {
    "add": append_code,
    "insert": insert_code,
    "delete": delete_code,
    "retire": retire_code,
    "rename": rename_code,
    "reorder": reorder_codes,
}


def run_diff(work: Path, capsys: pytest.CaptureFixture[str], fmt: str, *extra: str) -> str:
    code = main(
        [
            "--repo",
            str(work),
            "diff",
            "--base",
            "HEAD~1",
            "--format",
            fmt,
            "--today",
            TODAY,
            *extra,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def matches_golden(name: str, out: str) -> None:
    golden = GOLDEN / "rows" / name
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(CASES))
def test_element_set_change_as_text_matches_golden(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work, _base, _head = history(tmp_path, CASES[case])
    out = run_diff(work, capsys, "text", "--env", "acceptance")
    matches_golden(f"{case}.txt", out)


def test_every_case_at_once_as_markdown_matches_golden(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def every(work: Path) -> None:
        for change in CASES.values():
            change(work)

    work, _base, _head = history(tmp_path, every)
    matches_golden("all.md", run_diff(work, capsys, "markdown", "--env", "acceptance"))


def _change(result: dict[str, Any], ref: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [c for c in result["changes"] if c["ref"] == ref]
    assert len(found) == 1, found
    return found[0]


def test_json_gives_each_row_with_its_key_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def change(work: Path) -> None:
        retire_code(work)
        rename_code(work)
        delete_code(work)

    work, _base, _head = history(tmp_path, change)
    result = json.loads(run_diff(work, capsys, "json", "--env", "acceptance"))
    assert result["format_version"] == 1
    found = _change(result, EXP_KEY)
    assert (found["op"], found["fields"]) == ("change", [])
    assert found["row_counts"] == [
        {
            "list": "spec.elements",
            "key_field": "code",
            "added": 0,
            "retired": 1,
            "changed": 1,
            "removed": 1,
        }
    ]
    rows = {r["key"]: r for r in found["rows"]}
    assert sorted(rows) == ["2010101", "2010108", "2010109"]
    renamed = rows["2010101"]
    assert {k: v for k, v in renamed.items() if k not in ("old", "new")} == {
        "list": "spec.elements",
        "key_field": "code",
        "key": "2010101",
        "name": "行政运行",
        "op": "change",
        "source": f"{EXP_FUNC}:48",
        "fields": [{"op": "change", "path": "name", "old": "行政运行", "new": "行政运行（机关）"}],
    }
    assert renamed["new"]["name"] == "行政运行（机关）"
    retired = rows["2010109"]
    assert (retired["op"], retired["source"], retired["fields"]) == (
        "retire",
        # the head's line: 2010108 above it was deleted
        f"{EXP_FUNC}:69",
        [
            {"op": "change", "path": "enabled", "old": True, "new": False},
            {"op": "change", "path": "end_date", "old": None, "new": "2026-06-30"},
            {"op": "add", "path": "successor", "old": None, "new": "2010199"},
        ],
    )
    removed = rows["2010108"]
    # a removed row points at its line in the base revision
    assert (removed["op"], removed["source"], removed["new"]) == ("remove", f"{EXP_FUNC}:69", None)
    assert removed["old"]["name"] == "代表工作"


def test_items_rules_and_ports_are_rows_too(
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
        edit(
            work / "portal/access-policies/AP-2026-0015.yaml", "  - 8443\n", "  - 8443\n  - 9443\n"
        )

    work, _base, _head = history(tmp_path, change)
    text = run_diff(work, capsys, "text", "--env", "production")
    assert (
        "      spec.rules: 1 changed\n"
        "        ~ BGT-IND-001 指标超额分解: enabled true → false  "
        "(standards/control-rules/budget.yaml:7)\n"
    ) in text
    assert (
        "      spec.items: 1 changed\n"
        "        ~ execution.payment.control_caliber 计划与支付控制口径: "
        "default indicator → indicator_economic  (standards/system-config/execution.yaml:14)\n"
    ) in text
    assert (
        "  ~ NetworkPolicy dfp-execution-prod/dfp-ap-2026-0015  "
        "(portal/access-policies/AP-2026-0015.yaml:2)\n"
        "      spec.ingress[0].ports: 1 added\n"
        "        + 9443\n"
    ) in text
    summary = [line for line in text.splitlines() if line.startswith("ROWS ")]
    assert summary == [
        "ROWS production: /dfp/production/config-items/execution spec.items: 1 changed",
        "ROWS production: /dfp/production/control-rules/budget spec.rules: 1 changed",
    ]


def test_markdown_folds_a_long_list_and_keeps_every_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def many(work: Path) -> None:
        rows = "".join(
            f'  - code: "23303{n:02d}"\n    name: 发行费用明细{n}\n    start_date: 2026-01-01\n'
            for n in range(1, 51)
        )
        (work / EXP_FUNC).write_text(_text(work) + rows, encoding="utf-8")

    work, _base, _head = history(tmp_path, many)
    out = run_diff(work, capsys, "markdown", "--env", "acceptance")
    assert "<summary>51 rows of <code>spec.elements</code></summary>" in out
    assert "**`spec.elements`** by `code`: 50 added, 1 changed" in out
    for n in range(1, 51):
        assert f"| + | `23303{n:02d}` 发行费用明细{n} | added |" in out
    assert "| ~ | `23303` 地方政府一般债务发行费用支出 | is_leaf true → false |" in out
    text = run_diff(work, capsys, "text", "--env", "acceptance")
    assert sum(line.startswith("        + 23303") for line in text.splitlines()) == 50


def test_a_county_retiring_one_of_its_agencies_needs_the_bureau_not_the_province(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cities and counties maintain their agencies (预算单位) under their own division code: an
    agency merged away is retired with the city's approval; the province's approval is for the
    ministry's and the province's code sets."""
    agencies = "standards/elements/agency_990102000.yaml"

    def retire_agency(work: Path) -> None:
        edit(
            work / agencies,
            '  - code: "202002"\n    name: XX市临江区教育事业发展中心\n    start_date: 2019-01-01\n',
            '  - code: "202002"\n    name: XX市临江区教育事业发展中心\n    start_date: 2019-01-01\n'
            '    end_date: 2026-12-31\n    successor: "202001"\n',
        )

    work, _base, _head = history(tmp_path, retire_agency)
    result = json.loads(run_diff(work, capsys, "json", "--env", "acceptance"))
    key = "/dfp/acceptance/elements/agency/2026/990102000"
    assert [(f["code"], f["ref"], f["detail"]) for f in result["flags"]] == [
        ("local-code-retired", key, "202002 ends on 2026-12-31")
    ]
    assert [(a["group"], a["rules"]) for a in result["approvals"]] == [
        (
            "city-finance-bureau",
            ["预算单位（市、县区财政局维护）", "停用或删除市、县区维护的要素代码"],
        )
    ]


CITY_EXTENSION = """\
# yaml-language-server: $schema=../../schemas/ElementSet.json
apiVersion: dfp.config/v1
kind: ElementSet
set_code: exp_func
name: 支出功能分类科目（XX市补充）
fiscal_year: 2026
mof_div_code: "990100000"
management: city
structure: [3, 2, 2]
provenance:
  status: from-memory
  notes: a test's city extension, not real codes
elements:
  - code: "2010180"
    name: 人大代表联络站运行
    start_date: 2026-03-01
  - code: "2010181"
    name: 人大代表履职服务
    start_date: 2026-03-01
"""


def test_a_city_retiring_a_code_of_its_extension_of_a_ministry_set_needs_the_province(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only agencies are the city's own to retire: a code the city added under the Ministry's
    classification is retired with the province's approval, as every code of those sets."""
    work = copy_content(tmp_path / "repo")
    extension = work / "standards/elements/exp_func_990100000.yaml"
    extension.write_text(CITY_EXTENSION, encoding="utf-8")
    repo = init_repo(work)
    commit_all(repo, "the city's extension")
    edit(
        extension,
        "    name: 人大代表联络站运行\n    start_date: 2026-03-01\n",
        "    name: 人大代表联络站运行\n    start_date: 2026-03-01\n    end_date: 2026-12-31\n"
        '    successor: "2010181"\n',
    )
    commit_all(repo, "retire it")
    result = json.loads(run_diff(work, capsys, "json", "--env", "acceptance"))
    assert [(f["code"], f["ref"], f["detail"]) for f in result["flags"]] == [
        (
            "code-retired",
            "/dfp/acceptance/elements/exp_func/2026/990100000",
            "2010180 ends on 2026-12-31",
        )
    ]
    assert [a["group"] for a in result["approvals"]] == ["province-team"]
