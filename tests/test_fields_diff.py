"""The diff of two JSON-like values: identified lists by their key, other lists as sequences."""

from __future__ import annotations

from typing import Any

from dfctl.diff.fields import (
    Delta,
    FieldChange,
    RowChange,
    RowCounts,
    count_rows,
    diff,
    diff_values,
    identity,
)


def code(value: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"code": value, "name": name, **extra}


BASE = [code("201", "一般公共服务支出"), code("20101", "人大事务"), code("2010101", "行政运行")]


def test_equal_values_have_no_delta() -> None:
    assert diff({"spec": {"elements": BASE}}, {"spec": {"elements": list(BASE)}}) == Delta()
    assert not diff(BASE, BASE)


def test_inserted_code_is_one_added_row() -> None:
    new = [BASE[0], code("20102", "政协事务"), *BASE[1:]]
    delta = diff({"elements": BASE}, {"elements": new})
    assert delta == Delta(
        (),
        (
            RowChange(
                "add", "elements", "code", "20102", "政协事务", (), None, code("20102", "政协事务")
            ),
        ),
    )


def test_reorder_is_no_change() -> None:
    assert diff({"elements": BASE}, {"elements": list(reversed(BASE))}) == Delta()


def test_rename_is_a_changed_row_named_as_it_was() -> None:
    new = [*BASE[:2], code("2010101", "行政运行（机关）")]
    (row,) = diff({"elements": BASE}, {"elements": new}).rows
    assert (row.op, row.key, row.label, row.fields) == (
        "change",
        "2010101",
        "行政运行",
        (FieldChange("change", "name", "行政运行", "行政运行（机关）"),),
    )
    assert row.flat() == [
        FieldChange("change", "elements[code=2010101].name", "行政运行", "行政运行（机关）")
    ]


def test_a_new_end_date_retires_the_row() -> None:
    new = [*BASE[:2], code("2010101", "行政运行", end_date="2026-06-30", successor="2010199")]
    (row,) = diff({"elements": BASE}, {"elements": new}).rows
    assert (row.op, row.fields) == (
        "retire",
        (
            FieldChange("add", "end_date", None, "2026-06-30"),
            FieldChange("add", "successor", None, "2010199"),
        ),
    )
    # an end date that moves is a change, not a second retirement
    later = [*BASE[:2], code("2010101", "行政运行", end_date="2026-09-30", successor="2010199")]
    (moved,) = diff({"elements": new}, {"elements": later}).rows
    assert moved.op == "change"


def test_removed_row_and_counts() -> None:
    new = [BASE[0], code("20101", "人大事务（改）"), code("20199", "其他")]
    delta = diff({"elements": BASE}, {"elements": new})
    assert [(r.op, r.key) for r in delta.rows] == [
        ("change", "20101"),
        ("remove", "2010101"),
        ("add", "20199"),
    ]
    assert delta.flat()[1] == FieldChange("remove", "elements[code=2010101]", BASE[2], None)
    assert count_rows(delta.rows) == [RowCounts("elements", "code", add=1, change=1, remove=1)]
    assert count_rows(delta.rows)[0].summary() == "1 added, 1 changed, 1 removed"


def test_identity_prefers_code_then_id_then_key_and_needs_unique_scalars() -> None:
    assert identity([{"key": "a", "name": "x"}], [{"key": "a", "name": "y"}]) == "key"
    assert identity([{"id": "R-1", "name": "x"}], []) == "id"
    assert identity([{"protocol": "TCP", "port": 8443}], [{"protocol": "TCP", "port": 9443}]) == (
        "port"
    )
    # duplicates on one side, mixed types, booleans, scalars: not identified
    assert identity([{"name": "a"}, {"name": "a"}], []) is None
    assert identity([{"code": "1"}], [{"code": 1}]) is None
    assert identity([{"code": True}], []) is None
    assert identity(["a", "b"], ["a"]) is None
    assert identity([], []) is None


def test_nested_identified_lists_inside_a_row_are_plain_fields() -> None:
    old = {"ingress": [{"ports": [{"port": 8443}], "from": [{"cidr": "10.1.0.0/24"}]}]}
    new = {
        "ingress": [{"ports": [{"port": 8443}, {"port": 9443}], "from": old["ingress"][0]["from"]}]
    }
    (row,) = diff(old, new).rows
    assert (row.path, row.key, row.op) == ("ingress[0].ports", "9443", "add")
    containers_old = {"containers": [{"name": "web", "ports": [{"port": 80}]}]}
    containers_new = {"containers": [{"name": "web", "ports": [{"port": 81}]}]}
    (web,) = diff(containers_old, containers_new).rows
    assert web.fields == (
        FieldChange("remove", "ports[port=80]", {"port": 80}, None),
        FieldChange("add", "ports[port=81]", None, {"port": 81}),
    )


def test_unidentified_lists_are_compared_as_sequences() -> None:
    assert diff_values({"regions": ["a", "b"]}, {"regions": ["a", "x", "b"]}) == [
        FieldChange("add", "regions[1]", None, "x")
    ]
    assert diff_values({"regions": ["a", "b", "c"]}, {"regions": ["b", "c"]}) == [
        FieldChange("remove", "regions[0]", "a", None)
    ]
    # same length: item by item, so a changed structure reads as one value
    assert diff_values({"structure": [3, 2, 2]}, {"structure": [3, 2, 3]}) == [
        FieldChange("change", "structure[2]", 2, 3)
    ]
    assert diff_values([{"a": 1}, {"a": 2}], [{"a": 1}, {"a": 3}, {"a": 4}]) == [
        FieldChange("change", "[1].a", 2, 3),
        FieldChange("add", "[2]", None, {"a": 4}),
    ]


def test_diff_values_flattens_rows_into_keyed_paths() -> None:
    new = [*BASE[:2], code("2010101", "行政运行（机关）"), code("2010102", "一般行政管理事务")]
    assert diff_values({"elements": BASE}, {"elements": new}) == [
        FieldChange("change", "elements[code=2010101].name", "行政运行", "行政运行（机关）"),
        FieldChange("add", "elements[code=2010102]", None, code("2010102", "一般行政管理事务")),
    ]


def test_scalar_change_at_the_top() -> None:
    assert diff_values(1, 2) == [FieldChange("change", "(value)", 1, 2)]
    assert diff({"a": 1}, {"a": "1"}).fields == (FieldChange("change", "a", 1, "1"),)
