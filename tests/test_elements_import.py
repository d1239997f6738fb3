"""`dfctl elements import` with real spreadsheets: .xlsx workbooks built with openpyxl (merged
cells, numbers in code columns, a title row) and .csv files (UTF-8 and GB18030), into a small
repository whose files must keep their comments."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import textwrap
from pathlib import Path
from typing import Any

import git
import openpyxl
import pytest

from dfctl.cli import main

EXP_FUNC = "standards/elements/exp_func.yaml"
DEP_ECO = "standards/elements/dep_bgt_eco.yaml"
GOV_ECO = "standards/elements/gov_bgt_eco.yaml"
TODAY = "2026-11-27"

EXP_FUNC_TEXT = """\
# yaml-language-server: $schema=../../schemas/ElementSet.json
# 支出功能分类科目: the national list and the province's children
apiVersion: dfp.config/v1
kind: ElementSet
set_code: exp_func
name: 支出功能分类科目
fiscal_year: 2026
mof_div_code: "990000000"
management: ministry
structure: [3, 2, 2]
extensible: true
provenance:
  status: from-memory
  notes: written from memory
elements:
  - code: "201"
    name: 一般公共服务支出
    start_date: 2026-01-01
  - code: "20101"
    name: 人大事务
    start_date: 2026-01-01
  # 行政运行 is the first item of every 款
  - code: "2010101"
    name: 行政运行
    start_date: 2026-01-01
  - code: "2010102"
    name: 一般行政管理事务
    start_date: 2026-01-01
  - code: "2010150"
    name: 事业运行
    start_date: 2026-01-01
"""

GOV_ECO_TEXT = """\
# yaml-language-server: $schema=../../schemas/ElementSet.json
apiVersion: dfp.config/v1
kind: ElementSet
set_code: gov_bgt_eco
name: 政府预算支出经济分类
fiscal_year: 2026
mof_div_code: "990000000"
management: ministry
structure: [3, 2]
provenance:
  status: from-memory
  notes: written from memory
elements:
  - code: "501"
    name: 机关工资福利支出
    start_date: 2026-01-01
    unit_types: [administrative, civil-service-managed]
  - code: "50101"
    name: 工资奖金津补贴
    start_date: 2026-01-01
  - code: "505"
    name: 对事业单位经常性补助
    start_date: 2026-01-01
    unit_types: [public-institution]
  - code: "50501"
    name: 工资福利支出
    start_date: 2026-01-01
"""

DEP_ECO_TEXT = """\
# yaml-language-server: $schema=../../schemas/ElementSet.json
apiVersion: dfp.config/v1
kind: ElementSet
set_code: dep_bgt_eco
name: 部门预算支出经济分类
fiscal_year: 2026
mof_div_code: "990000000"
management: ministry
structure: [3, 2]
maps_to: gov_bgt_eco
provenance:
  status: from-memory
  notes: written from memory
elements:
  - code: "301"
    name: 工资福利支出
    start_date: 2026-01-01
  - code: "30101"
    name: 基本工资
    start_date: 2026-01-01
    maps_to: "50101"
"""

HEADER = ["编码", "名称", "上级编码", "级次", "是否末级", "启用日期", "停用日期", "替代编码"]
EXP_ROWS: list[list[Any]] = [
    ["201", "一般公共服务支出", "", 1, "否", dt.date(2026, 1, 1), None, None],
    ["20101", "人大事务", "201", 2, "否", dt.date(2026, 1, 1), None, None],
    ["2010101", "行政运行", "20101", 3, "是", dt.date(2026, 1, 1), None, None],
    ["2010102", "一般行政管理事务", "20101", 3, "是", dt.date(2026, 1, 1), None, None],
    ["2010103", "机关服务", "20101", 3, "是", dt.date(2026, 3, 1), None, None],
]


def repository(root: Path, files: dict[str, str]) -> Path:
    """A configuration repository (validate and fmt refuse a folder with neither approvals.yaml
    nor environments/) holding ``files``."""
    for path, text in {"environments/.gitkeep": "", **files}.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def workbook(
    path: Path,
    rows: list[list[Any]],
    title: str | None = "2026年支出功能分类科目",
    sheet: str = "支出功能分类",
    header: list[str] = HEADER,
) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    if title is not None:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--repo", str(root), "elements", "import", *args, "--today", TODAY])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


NOTICE = ["--notice", "财预〔2026〕3号", "--issued-on", "2026-11-20", "--issuer", "财政部"]


def test_daily_update_adds_retires_and_keeps_comments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path / "repo", {EXP_FUNC: EXP_FUNC_TEXT})
    xlsx = workbook(tmp_path / "2026年支出功能分类科目.xlsx", EXP_ROWS)
    digest = hashlib.sha256(xlsx.read_bytes()).hexdigest()

    code, out, err = run(capsys, root, str(xlsx), "--set", "exp_func", "--year", "2026", *NOTICE)

    assert (code, err) == (0, "")
    assert out == (
        f'set exp_func/2026/990000000 from sheet "支出功能分类", 5 rows (sha256 {digest[:12]}…)\n'
        "compared with exp_func/2026/990000000\n"
        "  + 2010103 机关服务\n"
        "  - 2010150 事业运行 (retired 2026-11-27, no successor: add one)\n"
        "added 1, retired 1, renamed 0, remapped 0, unchanged 4\n"
        f"wrote {EXP_FUNC}\n"
    )
    text = (root / EXP_FUNC).read_text(encoding="utf-8")
    assert text == EXP_FUNC_TEXT.replace(
        "provenance:\n  status: from-memory\n  notes: written from memory\n",
        "provenance:\n"
        "  status: imported\n"
        "  notice: 财预〔2026〕3号\n"
        "  issuer: 财政部\n"
        "  issued_on: 2026-11-20\n"
        "  file: 2026年支出功能分类科目.xlsx\n"
        f"  sha256: {digest}\n"
        "  imported_on: 2026-11-27\n",
    ).replace(
        '  - code: "2010150"\n    name: 事业运行\n    start_date: 2026-01-01\n',
        '  - code: "2010103"\n    name: 机关服务\n    start_date: 2026-03-01\n'
        '  - code: "2010150"\n    name: 事业运行\n    start_date: 2026-01-01\n'
        "    end_date: 2026-11-27\n",
    )
    # canonical: fmt has nothing to change
    assert main(["--repo", str(root), "fmt", "--check"]) == 0


def test_dry_run_prints_the_change_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path / "repo", {EXP_FUNC: EXP_FUNC_TEXT})
    rows = [list(r) for r in EXP_ROWS]
    rows[3][1] = "一般行政管理事务支出"
    xlsx = workbook(tmp_path / "list.xlsx", rows)

    code, out, _ = run(
        capsys, root, str(xlsx), "--set", "exp_func", "--year", "2026", "--dry-run", *NOTICE
    )

    assert code == 0
    assert "  ~ 2010102 一般行政管理事务 → 一般行政管理事务支出\n" in out
    assert out.endswith(
        f"added 1, retired 1, renamed 1, remapped 0, unchanged 3\ndry run: {EXP_FUNC} not written\n"
    )
    assert (root / EXP_FUNC).read_text(encoding="utf-8") == EXP_FUNC_TEXT


@pytest.mark.git
def test_renames_can_be_recorded_as_corrections_and_pass_the_evolution_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path / "repo", {EXP_FUNC: EXP_FUNC_TEXT})
    repo = git.Repo.init(root)
    repo.index.add([EXP_FUNC])
    author = git.Actor("XX市财政局信息中心", "xxzx@xx.gov.example")
    base = repo.index.commit("base", author=author, committer=author).hexsha
    rows = [list(r) for r in EXP_ROWS]
    rows[3][1] = "一般行政管理事务支出"
    rows.append(["2010150", "事业运行", "20101", 3, "是", dt.date(2026, 1, 1), None, None])
    xlsx = workbook(tmp_path / "list.xlsx", rows)

    code, _, _ = run(
        capsys, root, str(xlsx), "--set", "exp_func", "--year", "2026", "--corrections", *NOTICE
    )

    assert code == 0
    text = (root / EXP_FUNC).read_text(encoding="utf-8")
    assert (
        "  corrections:\n"
        "    - date: 2026-11-27\n"
        '      codes: ["2010102"]\n'
        "      fields: [name]\n"
        "      notice: 财预〔2026〕3号\n"
        "      reason: the names or mappings as 财预〔2026〕3号 gives them (list.xlsx)\n"
    ) in text
    assert main(["--repo", str(root), "validate", "--base", base, "--today", TODAY]) == 0
    capsys.readouterr()


def test_mapping_columns_per_unit_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = repository(
        tmp_path / "repo", {EXP_FUNC: EXP_FUNC_TEXT, GOV_ECO: GOV_ECO_TEXT, DEP_ECO: DEP_ECO_TEXT}
    )
    header = ["编码", "名称", "对应政府经济分类(行政单位)", "对应政府经济分类（事业单位）"]
    rows: list[list[Any]] = [
        ["301", "工资福利支出", None, None],
        ["30101", "基本工资", "50101", "50501"],
        ["30102", "津贴补贴", "50101", "50101"],
    ]
    xlsx = workbook(tmp_path / "dep.xlsx", rows, title=None, sheet="部门经济分类", header=header)

    code, out, _ = run(capsys, root, str(xlsx), "--set", "dep_bgt_eco", "--year", "2026", *NOTICE)

    assert code == 0
    assert "  ≠ 30101 maps public-institution 50101 → 50501\n" in out
    assert "  + 30102 津贴补贴\n" in out
    text = (root / DEP_ECO).read_text(encoding="utf-8")
    assert text.endswith(
        '  - code: "30101"\n'
        "    name: 基本工资\n"
        "    start_date: 2026-01-01\n"
        '    maps_to_by_unit_type: {administrative: "50101", public-institution: "50501"}\n'
        '  - code: "30102"\n'
        "    name: 津贴补贴\n"
        "    start_date: 2026-01-01\n"
        '    maps_to: "50101"\n'
    )


def test_year_rollover_makes_a_new_set_from_last_years(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path / "repo", {EXP_FUNC: EXP_FUNC_TEXT})
    rows = [r[:6] for r in EXP_ROWS]
    xlsx = workbook(tmp_path / "2027.xlsx", rows, header=HEADER[:6])

    code, out, _ = run(
        capsys,
        root,
        str(xlsx),
        "--set",
        "exp_func",
        "--year",
        "2027",
        "--format",
        "json",
        "--notice",
        "财预〔2026〕88号",
        "--issued-on",
        "2026-10-20",
        "--issuer",
        "财政部",
    )

    assert code == 0
    report = json.loads(out)
    assert report["format_version"] == 1
    assert (report["path"], report["created"], report["written"]) == (
        "standards/elements/exp_func_2027.yaml",
        True,
        True,
    )
    assert report["compared_with"] == "exp_func/2026/990000000"
    assert report["rollover"] is True
    assert report["added"] == [{"code": "2010103", "name": "机关服务"}]
    assert report["retired"] == [
        {"code": "2010150", "name": "事业运行", "end_date": None, "successor": None}
    ]
    assert report["unchanged"] == 4
    text = (root / "standards/elements/exp_func_2027.yaml").read_text(encoding="utf-8")
    assert text.startswith(
        "# yaml-language-server: $schema=../../schemas/ElementSet.json\n"
        "apiVersion: dfp.config/v1\n"
        "kind: ElementSet\n"
        "set_code: exp_func\n"
        "name: 支出功能分类科目\n"
        "fiscal_year: 2027\n"
        'mof_div_code: "990000000"\n'
        "management: ministry\n"
        "structure: [3, 2, 2]\n"
        "extensible: true\n"
        "provenance:\n"
        "  status: imported\n"
        "  notice: 财预〔2026〕88号\n"
    )
    assert main(["--repo", str(root), "validate", "--today", TODAY]) == 0
    capsys.readouterr()


def test_bad_cells_are_named_by_sheet_row_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path / "repo", {EXP_FUNC: EXP_FUNC_TEXT})
    rows: list[list[Any]] = [
        ["201", "一般公共服务支出", "", 1, "否", dt.date(2026, 1, 1), None, None],
        [20101, "人大事务", "201", 2, "否", dt.date(2026, 1, 1), None, None],
        ["2010101", "行政运行", "20101", 3, "是", "2026-13-01", None, None],
        ["2010101", "行政运行", "20101", 3, "是", dt.date(2026, 1, 1), None, None],
        ["2010102", "一般行政管理事务", "20101", 3, "是", 46023, None, None],
        ["2010150", "事业运行", "20101", 3, "是", dt.date(2026, 1, 1), None, None],
        ["2010199", "其他人大事务支出", "20101", 3, "是", dt.date(2026, 1, 1), None, None],
    ]
    xlsx = workbook(tmp_path / "bad.xlsx", rows)
    book = openpyxl.load_workbook(xlsx)
    sheet = book.active
    assert sheet is not None
    sheet.merge_cells("B8:B9")  # 事业运行 and 其他人大事务支出 share one cell
    book.save(xlsx)

    code, out, err = run(capsys, root, str(xlsx), "--set", "exp_func", "--year", "2026", *NOTICE)

    where = 'bad.xlsx: sheet "支出功能分类"'
    assert code == 1
    assert out.splitlines() == [
        f"{where}, rows 8-9, column B (名称): merged cells; unmerge them so every row has its "
        "own value",
        f"{where}, row 4, column A (编码): the code is stored as a number (20101), which loses "
        "leading zeros; store the column as text",
        f"{where}, row 5, column F (启用日期): '2026-13-01' is not a date (YYYY-MM-DD)",
        f"{where}, row 6, column A (编码): code 2010101 is already on row 5",
        f"{where}, row 7, column F (启用日期): 46023 is a number, not a date; format the cell as "
        "a date or write YYYY-MM-DD",
        f"{where}, row 9, column B (名称): the name is empty",
    ]
    assert err == "dfctl: bad.xlsx: 6 problems; nothing written\n"
    assert (root / EXP_FUNC).read_text(encoding="utf-8") == EXP_FUNC_TEXT


def test_a_broken_tree_is_named_by_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = repository(tmp_path / "repo", {EXP_FUNC: EXP_FUNC_TEXT})
    rows: list[list[Any]] = [
        ["201", "一般公共服务支出", "", 1, "否", None, None, None],
        ["20101", "人大事务", "201", 2, "否", None, None, None],
        ["2010101", "行政运行", "20101", 3, "是", None, None, None],
        ["2010102", "一般行政管理事务", "20102", 2, "否", None, None, None],
        ["201010", "机关服务", "20101", 3, "是", None, None, None],
        ["2020101", "外交行政运行", "20201", 3, "是", None, None, None],
    ]
    xlsx = workbook(tmp_path / "tree.xlsx", rows)

    code, out, err = run(capsys, root, str(xlsx), "--set", "exp_func", "--year", "2026", *NOTICE)

    where = 'tree.xlsx: sheet "支出功能分类"'
    assert code == 1
    assert out.splitlines() == [
        f"{where}, row 6, column A (编码): 上级编码 is 20102 but the parent of code 2010102 is "
        "20101",
        f"{where}, row 6, column A (编码): 级次 is 2 but code 2010102 is level 3",
        f"{where}, row 6, column A (编码): 是否末级 is 否 but code 2010102 has no children",
        f"{where}, row 7, column A (编码): code 201010 has 6 digits; structure [3, 2, 2] allows "
        "3, 5, 7",
        f"{where}, row 8, column A (编码): the parent 20201 of code 2020101 is not in the file",
    ]
    assert err == "dfctl: tree.xlsx: 5 problems; nothing written\n"


def test_a_missing_column_is_named_with_the_header_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path / "repo", {EXP_FUNC: EXP_FUNC_TEXT})
    xlsx = workbook(
        tmp_path / "nameless.xlsx",
        [["201", "一般公共服务支出"]],
        header=["编码", "科目名"],
        title=None,
    )

    code, out, err = run(capsys, root, str(xlsx), "--set", "exp_func", "--year", "2026", *NOTICE)

    assert code == 1
    assert err == (
        'dfctl: nameless.xlsx: sheet "支出功能分类" has no header row with the columns 编码 and '
        "名称 in its first 10 rows (row 1 has: 编码, 科目名)\n"
    )
    xlsx = workbook(
        tmp_path / "no-name.xlsx",
        [["201", "一般公共服务支出", "x"]],
        header=["编码", "名称", "编码"],
        title=None,
    )
    code, out, err = run(capsys, root, str(xlsx), "--set", "exp_func", "--year", "2026", *NOTICE)
    assert code == 1
    assert out == (
        'no-name.xlsx: sheet "支出功能分类", row 1, column C (编码): a second 编码 column (the '
        "first is column A)\n"
    )


def test_csv_in_gb18030_with_zeros_lost_by_a_spreadsheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path / "repo", {EXP_FUNC: EXP_FUNC_TEXT})
    csv = tmp_path / "list.csv"
    csv.write_bytes(
        textwrap.dedent(
            """\
            编码,名称,上级编码
            201,一般公共服务支出,
            20101,人大事务,201
            2010101,行政运行,20101
            2.010102E+06,一般行政管理事务,20101
            """
        ).encode("gb18030")
    )

    code, out, _ = run(capsys, root, str(csv), "--set", "exp_func", "--year", "2026", *NOTICE)

    assert code == 1
    assert out == (
        "list.csv: row 5, column A (编码): '2.010102E+06' looks like a number written by a "
        "spreadsheet, which loses leading zeros; store the column as text\n"
    )


def test_unusable_arguments_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path / "repo", {EXP_FUNC: EXP_FUNC_TEXT})
    xlsx = workbook(tmp_path / "list.xlsx", EXP_ROWS)
    cases = {
        ("--notice", "财预[2026]3号"): 'dfctl: --notice: notice "财预[2026]3号" writes the year '
        'as "[2026]"; a document number writes it 〔2026〕 (U+3014, U+3015)\n',
        ("--set", "rev_cls"): "dfctl: no set rev_cls in standards/elements/\n",
        ("--sheet", "收入"): f"dfctl: {xlsx}: no sheet '收入'; the sheets are '支出功能分类'\n",
        ("--year", "2030"): "dfctl: no set exp_func of 2030 or 2029 in division 990000000 to "
        "take the structure and header from\n",
    }
    for (option, value), message in cases.items():
        args = {
            "--set": "exp_func",
            "--year": "2026",
            **dict(zip(NOTICE[::2], NOTICE[1::2], strict=True)),
        }
        args[option] = value
        flat = [part for pair in args.items() for part in pair]
        code, out, err = run(capsys, root, str(xlsx), *flat)
        assert (code, out, err) == (2 if option != "--sheet" else 1, "", message), option
    for into, message in (
        (
            "docs/exp_func.yaml",
            "--into docs/exp_func.yaml: element sets live in standards/elements/",
        ),
        ("../outside.yaml", "--into ../outside.yaml: give a path inside the repository"),
    ):
        code, out, err = run(
            capsys, root, str(xlsx), "--set", "exp_func", "--year", "2027", "--into", into, *NOTICE
        )
        assert (code, out, err) == (2, "", f"dfctl: {message}\n")
    assert not (root / "docs").exists()
    code, _, err = run(
        capsys, root, str(tmp_path / "list.txt"), "--set", "exp_func", "--year", "2026", *NOTICE
    )
    assert (code, err) == (
        2,
        f"dfctl: {tmp_path / 'list.txt'}: cannot be read: No such file or directory\n",
    )


def test_a_folder_that_is_no_configuration_repository_gets_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    xlsx = workbook(tmp_path / "list.xlsx", EXP_ROWS)
    code, out, err = run(capsys, folder, str(xlsx), "--set", "exp_func", "--year", "2026", *NOTICE)
    assert (code, out, err) == (
        2,
        "",
        f"dfctl: not a configuration repository: {folder.resolve()} "
        "(no approvals.yaml or environments/)\n",
    )
    assert list(folder.iterdir()) == []
