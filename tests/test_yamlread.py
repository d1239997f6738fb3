"""The YAML reader: YAML 1.2 core schema, positions, limits and the diagnostics of bad input.

Bad-input cases that make sense as files live in ``tests/cases/loader``; this file covers what a
case folder cannot show (values and positions in the tree, limits at their exact boundary) and
inputs too large to commit.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from dfctl.diagnostics import Diagnostic, Severity
from dfctl.load import yamlread
from dfctl.load.yamlread import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    Document,
    YMap,
    YSeq,
    read_yaml,
    resolve_plain,
)

PATH = "standards/elements/exp-func-2026.yaml"


def read(text: str) -> Document:
    result = read_yaml(PATH, text.encode("utf-8"))
    assert result.diagnostics == []
    assert result.document is not None
    return result.document


def problems(data: bytes | str) -> list[tuple[int, int, str, str]]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    result = read_yaml(PATH, raw)
    assert result.document is None
    return [(d.line, d.column, d.rule, d.message) for d in result.diagnostics]


# -- YAML 1.2 core schema ---------------------------------------------------------------------

CORE_SCHEMA: list[tuple[str, Any]] = [
    # integers: decimal (leading zeros are still decimal), octal 0o, hex 0x, a sign
    ("0", 0),
    ("010", 10),
    ("2026", 2026),
    ("+1", 1),
    ("-0", 0),
    ("-17", -17),
    ("0o17", 15),
    ("0x1f", 31),
    ("0x1F", 31),
    # YAML 1.1 spellings that are plain strings in 1.2
    ("1_000", "1_000"),
    ("0b101", "0b101"),
    ("017:30", "017:30"),
    ("0o8", "0o8"),
    ("0x", "0x"),
    ("0xg1", "0xg1"),
    ("+0o17", "+0o17"),
    # floats
    ("1e3", 1000.0),
    ("1.5", 1.5),
    ("1.30", 1.3),
    (".5", 0.5),
    ("1.", 1.0),
    ("-2.5e-3", -0.0025),
    ("6E+2", 600.0),
    (".inf", math.inf),
    (".Inf", math.inf),
    ("+.INF", math.inf),
    ("-.inf", -math.inf),
    # booleans: only true/false in three spellings
    ("true", True),
    ("True", True),
    ("TRUE", True),
    ("false", False),
    ("FALSE", False),
    ("tRUE", "tRUE"),
    ("yes", "yes"),
    ("no", "no"),
    ("on", "on"),
    ("off", "off"),
    ("y", "y"),
    ("N", "N"),
    # null
    ("~", None),
    ("null", None),
    ("Null", None),
    ("NULL", None),
    ("nULL", "nULL"),
    ("none", "none"),
    # strings that look like something else
    ("2026-01-01", "2026-01-01"),
    ("2026-01-01T08:00:00+08:00", "2026-01-01T08:00:00+08:00"),
    ("3.8.0", "3.8.0"),
    ("1,000", "1,000"),
    ("12:30", "12:30"),
    (".", "."),
    ("+", "+"),
    ("e3", "e3"),
    ("1e", "1e"),
    ("nan", "nan"),
    ("infinity", "infinity"),
    ("行政运行", "行政运行"),
    ("2010101a", "2010101a"),
    ("tke-prod-a", "tke-prod-a"),
    ("fiscal_year", "fiscal_year"),
]


@pytest.mark.parametrize(("plain", "expected"), CORE_SCHEMA, ids=[p for p, _ in CORE_SCHEMA])
def test_plain_scalars_follow_the_yaml_1_2_core_schema(plain: str, expected: Any) -> None:
    value = read(f"v: {plain}\n").root["v"]
    assert value == expected
    assert type(value) is type(expected)
    assert resolve_plain(plain) == expected


@pytest.mark.parametrize(("plain", "expected"), [("-", "-"), ("", None), ("0o", "0o")])
def test_resolve_plain_on_text_a_document_cannot_hold_bare(plain: str, expected: Any) -> None:
    assert resolve_plain(plain) == expected


@pytest.mark.parametrize("plain", [".nan", ".NaN", ".NAN"])
def test_nan(plain: str) -> None:
    value = read(f"v: {plain}\n").root["v"]
    assert isinstance(value, float)
    assert math.isnan(value)


def test_empty_value_is_null() -> None:
    assert read("v:\nw: ''\n").root == {"v": None, "w": ""}


def test_quoted_and_block_scalars_are_strings_whatever_they_look_like() -> None:
    root = read('a: "010"\nb: \'true\'\nc: "~"\nd: |\n  2026\ne: >-\n  1.5\n').root
    assert root == {"a": "010", "b": "true", "c": "~", "d": "2026\n", "e": "1.5"}


def test_a_number_too_long_for_int_stays_text() -> None:
    digits = "1" * 5000
    assert read(f"v: {digits}\n").root["v"] == digits


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("!!str 010", "010"),
        ("!!str true", "true"),
        ('!!int "12"', 12),
        ("!!int 0x1f", 31),
        ("!!float 1", 1.0),
        ("!!float .inf", math.inf),
        ('!!bool "true"', True),
        ("!!null ~", None),
        ("! 2026", "2026"),
        ('!!str "201"', "201"),
    ],
)
def test_explicit_core_tags_decide_the_type(written: str, expected: Any) -> None:
    value = read(f"v: {written}\n").root["v"]
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("!!int abc", "'abc' is not a valid !!int"),
        ("!!int 1.5", "'1.5' is not a valid !!int"),
        ("!!float 2026-01-01", "'2026-01-01' is not a valid !!float"),
        ("!!bool yes", "'yes' is not a valid !!bool"),
        ("!!null 0", "'0' is not a valid !!null"),
        ("!!map x", "tag !!map does not fit this value"),
        ("!!seq [1]", ""),
        ("!!map [1]", "tag !!map does not fit this value"),
        ("!!set {a: null}", "custom tag !!set is not allowed"),
        ("!!omap [a: 1]", "custom tag !!omap is not allowed"),
        ("!!binary aGVsbG8=", "custom tag !!binary is not allowed"),
        ("!Ref Stage", "custom tag !Ref is not allowed"),
        ("!<tag:example.com,2026:x> 1", "custom tag !<tag:example.com,2026:x> is not allowed"),
    ],
)
def test_tags_that_do_not_fit(written: str, message: str) -> None:
    result = read_yaml(PATH, f"v: {written}\n".encode())
    if not message:
        assert result.diagnostics == []
        return
    assert [(d.line, d.column, d.rule, d.message) for d in result.diagnostics] == [
        (1, 4, "DFP-YAML-004", message)
    ]


def test_yaml_11_merge_key_is_an_ordinary_key() -> None:
    root = read("base: &b {cpu: '2'}\nlimits:\n  <<: *b\n").root
    assert root["limits"] == {"<<": {"cpu": "2"}}


# -- positions ---------------------------------------------------------------------------------

NESTED = """\
# yaml-language-server: $schema=../../schemas/ElementSet.json
apiVersion: dfp.config/v1
kind: ElementSet
名称: 支出功能分类科目
structure: [3, 2, 2]
elements:
  - code: "201"
    name: 一般公共服务支出
    start_date: 2026-01-01
  - {code: "20101", name: 人大事务}
"""


def test_positions_of_keys_values_and_items() -> None:
    doc = read(NESTED)
    root = doc.root
    assert (root.line, root.column) == (2, 1)
    assert root.key_pos["apiVersion"] == (2, 1, 2, 13)
    # columns count characters: 名称 is two columns wide in the count, not six bytes
    assert root.key_pos["名称"] == (4, 1, 4, 5)
    structure = root["structure"]
    assert isinstance(structure, YSeq)
    assert (structure.line, structure.column) == (5, 12)
    assert structure.item_pos == [(5, 13), (5, 16), (5, 19)]
    elements = root["elements"]
    assert isinstance(elements, YSeq)
    assert (elements.line, elements.column) == (7, 3)
    assert elements.item_pos == [(7, 5), (10, 5)]
    first, second = elements
    assert isinstance(first, YMap)
    assert (first.line, first.column) == (7, 5)
    assert first.key_pos["code"] == (7, 5, 7, 11)
    assert first.key_pos["name"] == (8, 5, 8, 11)
    assert first.key_pos["start_date"] == (9, 5, 9, 17)
    assert isinstance(second, YMap)
    assert second.key_pos["code"] == (10, 6, 10, 12)
    assert second.key_pos["name"] == (10, 21, 10, 27)


def test_chinese_text_before_a_value_counts_one_column_per_character() -> None:
    doc = read("说明: 二〇二六年预算口径调整，见附件\n备注: [行政运行, 201]\n")
    assert doc.root.key_pos["说明"] == (1, 1, 1, 5)
    assert doc.root.key_pos["备注"] == (2, 1, 2, 5)
    assert doc.root["备注"].item_pos == [(2, 6), (2, 12)]
    assert doc.number_text == {(2, 12): "201"}
    doc = read('a: {说明: 一般公共服务支出, code: "201"}\n')
    inner = doc.root["a"]
    assert isinstance(inner, YMap)
    assert inner.key_pos["说明"] == (1, 5, 1, 9)
    assert inner.key_pos["code"] == (1, 19, 1, 25)


def test_a_byte_order_mark_does_not_shift_columns() -> None:
    result = read_yaml(PATH, b"\xef\xbb\xbf" + "名称: 行政运行\n".encode())
    assert result.document is not None
    assert result.document.root.key_pos["名称"] == (1, 1, 1, 5)
    assert result.document.first_line == "名称: 行政运行"


def test_crlf_line_endings_keep_positions_and_first_line() -> None:
    doc = read("# first\r\na: 1\r\nb:\r\n  - x\r\n")
    assert doc.root.key_pos["b"] == (3, 1, 4, 3)
    assert doc.first_line == "# first"


def test_an_alias_shares_the_anchored_value() -> None:
    doc = read("defaults: &limits {cpu: '2', memory: 4Gi}\nmax: *limits\n")
    assert doc.root["max"] is doc.root["defaults"]
    assert doc.root.key_pos["max"] == (2, 1, 2, 6)


def test_number_text_keeps_numbers_as_written() -> None:
    doc = read("code: 0101\nversion: 1.30\nmask: 0x1F\nname: 行政运行\nflag: true\nq: '12'\n")
    assert doc.number_text == {(1, 7): "0101", (2, 10): "1.30", (3, 7): "0x1F"}
    assert doc.root["code"] == 101


def test_first_line_is_kept_for_the_schema_line_rule() -> None:
    doc = read("# yaml-language-server: $schema=../../schemas/ElementSet.json\na: 1\n")
    assert doc.first_line == "# yaml-language-server: $schema=../../schemas/ElementSet.json"


# -- limits ------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_parsing() -> None:
    data = b"a: 1\n" + b"#" * (MAX_FILE_BYTES - 4)
    assert len(data) == MAX_FILE_BYTES + 1
    assert problems(data) == [
        (1, 1, "DFP-YAML-006", "file is 8,388,609 bytes; the limit is 8,388,608")
    ]


def test_a_file_at_the_size_limit_is_read() -> None:
    head = b"name: " + "行政运行".encode() + b"\n# "
    data = head + b"x" * (MAX_FILE_BYTES - len(head) - 1) + b"\n"
    assert len(data) == MAX_FILE_BYTES
    result = read_yaml(PATH, data)
    assert result.diagnostics == []
    assert result.document is not None
    assert result.document.root == {"name": "行政运行"}


def nested_lists(depth: int) -> str:
    # the root mapping is the first level
    return "a: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"


def test_nesting_at_the_limit_is_read() -> None:
    assert read(nested_lists(MAX_DEPTH)).root["a"] is not None


def test_nesting_one_past_the_limit_is_refused_where_it_starts() -> None:
    assert problems(nested_lists(MAX_DEPTH + 1)) == [
        (1, 4 + MAX_DEPTH - 1, "DFP-YAML-012", "nesting deeper than 64 levels")
    ]


def aliases(count: int) -> str:
    # an anchored list of 99 items is 100 nodes; each alias of it adds 100
    items = ", ".join(["行政运行"] * 99)
    return f"a: &a [{items}]\nb: [{', '.join(['*a'] * count)}]\n"


def test_aliases_up_to_the_limit_are_read() -> None:
    assert MAX_ALIAS_NODES == 100 * 100
    doc = read(aliases(100))
    assert len(doc.root["b"]) == 100


def test_one_alias_past_the_limit_is_refused_at_that_alias() -> None:
    assert problems(aliases(101)) == [
        (2, 5 + 4 * 100, "DFP-YAML-005", "aliases expand to more than 10,000 nodes (alias bomb?)")
    ]


# -- problems a case folder cannot show well ----------------------------------------------------


def test_tabs_inside_block_text_are_content() -> None:
    doc = read("sql: |\n  SELECT code\n  \tFROM ele\nnext: 1\n")
    assert doc.root == {"sql": "SELECT code\n\tFROM ele\n", "next": 1}


def test_a_tab_indented_line_after_block_text_is_reported() -> None:
    assert problems("sql: |\n  SELECT 1\n\tnext: 1\n") == [
        (3, 1, "DFP-YAML-007", "tab in indentation; YAML indents with spaces")
    ]


def test_tab_reports_are_capped() -> None:
    text = "a:\n" + "".join(f"\tk{i}: {i}\n" for i in range(30))
    found = problems(text)
    assert len(found) == yamlread.MAX_TAB_REPORTS
    assert found[0] == (2, 1, "DFP-YAML-007", "tab in indentation; YAML indents with spaces")


def test_whitespace_only_lines_with_tabs_are_not_indentation() -> None:
    assert read("a: 1\n \t \nb: 2\n").root == {"a": 1, "b": 2}


def test_several_key_problems_are_all_reported() -> None:
    assert problems("201: a\n202: b\n'203': c\n") == [
        (1, 1, "DFP-YAML-010", 'key 201 is not a string; quote it: "201"'),
        (2, 1, "DFP-YAML-010", 'key 202 is not a string; quote it: "202"'),
    ]


def test_an_empty_explicit_key_is_reported() -> None:
    assert problems("? \n: value\n") == [
        (1, 2, "DFP-YAML-010", "a key is empty; write a name before ':'")
    ]


def test_problems_found_before_a_syntax_error_are_kept() -> None:
    assert problems("a: 1\na: 2\nb: [1, 2\n") == [
        (2, 1, "DFP-YAML-003", "duplicate key 'a' (first at line 1)"),
        (
            3,
            4,
            "DFP-YAML-002",
            "'[' is not closed on its line (reading on, the parser fails at line 4, column 1)",
        ),
    ]


def test_a_flow_list_across_lines_names_where_it_starts() -> None:
    assert problems('paths: [\n  "a"\n  "b",\n]\n') == [
        (3, 3, "DFP-YAML-002", "expected ',' or ']' (in the list that starts at line 1, column 8)")
    ]


def test_invalid_utf8_column_counts_characters_on_its_line() -> None:
    data = "a: 1\nname: 一般公共".encode() + b"\x80" + "服务\n".encode()
    assert problems(data) == [
        (2, 11, "DFP-YAML-001", "not UTF-8: byte 0x80 cannot start a character; save it as UTF-8")
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfea\x00:\x00", "file is UTF-16; save it as UTF-8"),
        (b"\xfe\xff\x00a\x00:", "file is UTF-16; save it as UTF-8"),
        (b"\xff\xfe\x00\x00a\x00\x00\x00", "file is UTF-32; save it as UTF-8"),
        (b"\x00\x00\xfe\xff\x00\x00\x00a", "file is UTF-32; save it as UTF-8"),
        (
            "a: 1\n".encode("utf-16-be"),
            "file looks like UTF-16 without a byte-order mark; save it as UTF-8",
        ),
        (
            "名称: 一般\n".encode("utf-16-le"),
            "file looks like UTF-16 without a byte-order mark; save it as UTF-8",
        ),
    ],
)
def test_utf16_and_utf32_are_named(data: bytes, message: str) -> None:
    assert problems(data) == [(1, 1, "DFP-YAML-001", message)]


def test_control_characters_are_found_after_line_feeds_and_named() -> None:
    assert problems("a: 1\nb: x\x7fy\n") == [
        (2, 5, "DFP-YAML-011", "control character U+007F (delete) is not allowed")
    ]
    assert problems("a: \x01\n") == [
        (1, 4, "DFP-YAML-011", "control character U+0001 is not allowed")
    ]


def test_the_first_control_character_is_reported_whichever_kind() -> None:
    assert problems("a: 1\rb: \x00\n") == [
        (
            1,
            5,
            "DFP-YAML-011",
            "control character U+000D (carriage return without a line feed) is not allowed",
        )
    ]
    assert problems("a: \x00\rb: 1\n") == [
        (1, 4, "DFP-YAML-011", "control character U+0000 (NUL) is not allowed")
    ]


def test_diagnostics_carry_the_path_and_severity() -> None:
    result = read_yaml("cloud/clusters/x.yaml", b"a: 1\na: 2\n")
    assert result.diagnostics == [
        Diagnostic(
            "cloud/clusters/x.yaml",
            2,
            1,
            "DFP-YAML-003",
            Severity.ERROR,
            "duplicate key 'a' (first at line 1)",
        )
    ]
