"""Plans and drift of the configuration service show a set's rows as the review does: by key,
with the row's line, in text and in versioned JSON. Against a real etcd."""

from __future__ import annotations

import json
from pathlib import Path

from dfctl.diff.fields import FieldChange, RowChange
from dfctl.load.repo import WorkTree
from dfctl.reconcile.runner import apply_plan, find_drift, make_plan
from dfctl.render import render
from dfctl.render.state import DesiredState
from dfctl.report.plan import drift_json, drift_text, plan_json, plan_text
from dfctl.validate import load_checked
from tests.content import copy_content, edit
from tests.etcd_server import EtcdServer
from tests.test_config_service import C1, C2, ENV, acceptance, target

EXP_FUNC = "standards/elements/exp_func.yaml"
KEY = "/dfp/acceptance/elements/exp_func/2026/990000000"


def renamed(tmp_path: Path) -> DesiredState:
    """Acceptance with 2010101 renamed and 2010108 removed."""
    work = copy_content(tmp_path / "repo")
    edit(
        work / EXP_FUNC,
        '  - code: "2010101"\n    name: 行政运行\n',
        '  - code: "2010101"\n    name: 行政运行（机关）\n',
    )
    edit(
        work / EXP_FUNC, '  - code: "2010108"\n    name: 代表工作\n    start_date: 2026-01-01\n', ""
    )
    return render(load_checked(WorkTree(work)), ENV)


def test_plan_lists_changed_rows_by_key(etcd: EtcdServer, tmp_path: Path) -> None:
    service = target(etcd)
    apply_plan(make_plan(acceptance(), C1, [service]), [service])
    state = renamed(tmp_path)
    plan = make_plan(state, C2, [target(etcd, C2)])
    (action,) = plan.actions
    assert (action.op, action.ref, action.fields) == ("update", KEY, ())
    before = next(d for d in acceptance().documents if d.key == KEY).value["spec"]["elements"]
    old_row = next(r for r in before if r["code"] == "2010101")
    gone = next(r for r in before if r["code"] == "2010108")
    assert action.rows == (
        RowChange(
            "change",
            "spec.elements",
            "code",
            "2010101",
            "行政运行",
            (FieldChange("change", "name", "行政运行", "行政运行（机关）"),),
            old_row,
            {**old_row, "name": "行政运行（机关）"},
            f"{EXP_FUNC}:48",
        ),
        # the live side has no file: a row only it holds has no line
        RowChange("remove", "spec.elements", "code", "2010108", "代表工作", (), gone, None, ""),
    )
    text = plan_text(plan).splitlines()
    assert text[2:6] == [
        f"  ~ {KEY}  ({EXP_FUNC}:2)",
        "      spec.elements: 1 changed, 1 removed",
        f"        ~ 2010101 行政运行: name 行政运行 → 行政运行（机关）  ({EXP_FUNC}:48)",
        "        - 2010108 代表工作",
    ]
    data = json.loads(plan_json(plan))
    assert data["format_version"] == 1
    (row, _removed) = data["targets"][0]["actions"][0]["rows"]
    assert {k: v for k, v in row.items() if k not in ("live", "desired")} == {
        "list": "spec.elements",
        "key_field": "code",
        "key": "2010101",
        "name": "行政运行",
        "op": "change",
        "source": f"{EXP_FUNC}:48",
        "fields": [
            {"op": "change", "path": "name", "live": "行政运行", "desired": "行政运行（机关）"}
        ],
    }
    assert (row["live"]["name"], row["desired"]["name"]) == ("行政运行", "行政运行（机关）")


def test_drift_lists_changed_rows_by_key(etcd: EtcdServer, tmp_path: Path) -> None:
    service = target(etcd)
    apply_plan(make_plan(acceptance(), C1, [service]), [service])
    state = renamed(tmp_path)
    (item,) = find_drift(state, [target(etcd)])
    assert (item.ref, item.problem, item.fields) == (KEY, "changed", ())
    assert [(r.op, r.key, r.source) for r in item.rows] == [
        ("change", "2010101", f"{EXP_FUNC}:48"),
        ("remove", "2010108", ""),
    ]
    assert drift_text(ENV, C1, [item]).splitlines()[1:] == [
        f"configservice: {KEY}: changed",
        "    spec.elements: 1 changed, 1 removed",
        f"      ~ 2010101 行政运行: name 行政运行 → 行政运行（机关）  ({EXP_FUNC}:48)",
        "      - 2010108 代表工作",
    ]
    data = json.loads(drift_json(ENV, C1, [item]))
    assert (data["format_version"], data["environment"], data["revision"]) == (1, ENV, C1)
    assert [(r["op"], r["key"]) for r in data["drift"][0]["rows"]] == [
        ("change", "2010101"),
        ("remove", "2010108"),
    ]


def test_reordered_rows_are_no_change_to_the_service(etcd: EtcdServer, tmp_path: Path) -> None:
    service = target(etcd)
    apply_plan(make_plan(acceptance(), C1, [service]), [service])
    work = copy_content(tmp_path / "repo")
    first = '  - code: "2010102"\n    name: 一般行政管理事务\n    start_date: 2026-01-01\n'
    second = '  - code: "2010103"\n    name: 机关服务\n    start_date: 2026-01-01\n'
    edit(work / EXP_FUNC, first + second, second + first)
    state = render(load_checked(WorkTree(work)), ENV)
    assert make_plan(state, C1, [target(etcd)]).is_empty()
