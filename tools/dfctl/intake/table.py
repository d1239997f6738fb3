"""The province's code list as rows: find the header, read each row's cells, say what is wrong.

The header row is the first of the sheet's first rows that names both 编码 and 名称 (a title row
above it, often merged across the columns, is skipped). Column names are matched after removing
spaces and unifying brackets, so "是否 末级" and "对应政府经济分类(事业单位)" are recognised.
Every problem names the sheet, the row and the column as the spreadsheet shows them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from dfctl.adapters.spreadsheet import Cell, Sheet, column_letter
from dfctl.errors import SpreadsheetError
from dfctl.model.elements import UnitType

Say = Callable[[str], None]

HEADER_SEARCH_ROWS = 10

# field -> the column names the province writes for it
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("编码", "代码", "科目编码"),
    "name": ("名称", "科目名称"),
    "parent": ("上级编码", "上级代码", "父级编码"),
    "level": ("级次", "级别", "层级"),
    "is_leaf": ("是否末级", "末级"),
    "start_date": ("启用日期", "生效日期"),
    "end_date": ("停用日期", "失效日期"),
    "enabled": ("是否启用", "启用状态"),
    "successor": ("替代编码", "继任编码", "新编码"),
    "remark": ("备注", "说明"),
    "maps_to": ("对应政府经济分类", "对应政府预算支出经济分类", "政府经济分类编码"),
}
# mapping columns per unit type: "对应政府经济分类（行政单位）" and the like
MAPPING_PREFIXES = ("对应政府经济分类", "对应政府预算支出经济分类", "政府经济分类编码")
UNIT_TYPE_COLUMNS: dict[str, UnitType] = {
    "行政单位": "administrative",
    "机关": "administrative",
    "参公事业单位": "civil-service-managed",
    "参照公务员法管理事业单位": "civil-service-managed",
    "其他事业单位": "public-institution",
    "事业单位": "public-institution",
}
REQUIRED = ("code", "name")
CODE_FIELDS = ("code", "parent", "successor", "maps_to")

_YES = {"是", "1", "Y", "y", "TRUE", "True", "true"}
_NO = {"否", "0", "N", "n", "FALSE", "False", "false"}
_SPACES = re.compile(r"\s+")
_SPREADSHEET_NUMBER = re.compile(r"^[0-9]+\.[0-9]*$|^[0-9.]+[eE][+-]?[0-9]+$")
_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def _normal(header: str) -> str:
    text = _SPACES.sub("", header)
    return text.replace("(", "（").replace(")", "）")


@dataclass(frozen=True)
class Place:
    """Where a value was read: for messages."""

    sheet: str | None
    row: int
    column: int
    header: str

    def __str__(self) -> str:
        where = f'sheet "{self.sheet}", ' if self.sheet is not None else ""
        return f"{where}row {self.row}, column {column_letter(self.column)} ({self.header})"


@dataclass
class Row:
    """One code as the file gives it; None where the file has no such column or an empty cell."""

    place: Place  # of the code cell
    code: str
    name: str
    parent: str | None = None
    level: int | None = None
    is_leaf: bool | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    enabled: bool | None = None
    successor: str | None = None
    remark: str | None = None
    maps_to: str | None = None
    maps_by_unit_type: dict[UnitType, str] = field(default_factory=dict)


@dataclass
class Table:
    """The rows of a sheet, the columns it had, and what was wrong with it."""

    sheet: str | None
    columns: set[str]  # fields present (code, name, …, "maps_by_unit_type")
    rows: list[Row]
    problems: list[str]


def read_table(sheet: Sheet, source: str) -> Table:
    """Rows of ``sheet``; problems are prefixed with ``source`` (the file's name)."""
    problems: list[str] = []
    header_row = _header_row(sheet)
    if header_row is None:
        where = f'sheet "{sheet.name}"' if sheet.name is not None else "the file"
        raise _missing_header(source, where, sheet)
    columns, unit_columns, header_problems = _columns(sheet, header_row, source)
    problems.extend(header_problems)
    table = Table(
        sheet.name, set(columns) | ({"maps_by_unit_type"} if unit_columns else set()), [], problems
    )
    problems.extend(_merged_problems(sheet, header_row.row, columns, unit_columns, source))
    first: dict[str, Row] = {}
    for cells in sheet.rows[header_row.row :]:
        if all(cell.kind == "empty" for cell in cells):
            continue
        row = _read_row(sheet.name, cells, columns, unit_columns, source, problems)
        if row is None:
            continue
        earlier = first.get(row.code)
        if earlier is not None:
            problems.append(
                f"{source}: {row.place}: code {row.code} is already on row {earlier.place.row}"
            )
            continue
        first[row.code] = row
        table.rows.append(row)
    return table


@dataclass(frozen=True)
class _HeaderRow:
    row: int
    cells: tuple[Cell, ...]


def _header_row(sheet: Sheet) -> _HeaderRow | None:
    code_names = {_normal(n) for n in COLUMNS["code"]}
    name_names = {_normal(n) for n in COLUMNS["name"]}
    for cells in sheet.rows[:HEADER_SEARCH_ROWS]:
        texts = {_normal(c.shown) for c in cells if c.kind == "text"}
        if texts & code_names and texts & name_names:
            return _HeaderRow(cells[0].row if cells else 0, cells)
    return None


def _missing_header(source: str, where: str, sheet: Sheet) -> SpreadsheetError:
    seen = [c.shown for cells in sheet.rows[:1] for c in cells if c.kind == "text"]
    found = f" (row 1 has: {', '.join(seen)})" if seen else ""
    return SpreadsheetError(
        f"{source}: {where} has no header row with the columns 编码 and 名称 in its first "
        f"{HEADER_SEARCH_ROWS} rows{found}"
    )


def _columns(
    sheet: Sheet, header: _HeaderRow, source: str
) -> tuple[dict[str, Cell], dict[UnitType, Cell], list[str]]:
    by_name = {_normal(name): key for key, names in COLUMNS.items() for name in names}
    columns: dict[str, Cell] = {}
    unit_columns: dict[UnitType, Cell] = {}
    problems: list[str] = []
    for cell in header.cells:
        if cell.kind != "text":
            continue
        text = _normal(cell.shown)
        key = by_name.get(text)
        unit_type = _unit_type_column(text)
        place = Place(sheet.name, cell.row, cell.column, cell.shown)
        if key is not None:
            if key in columns:
                problems.append(
                    f"{source}: {place}: a second {cell.shown} column (the first is column "
                    f"{columns[key].letter})"
                )
            else:
                columns[key] = cell
        elif unit_type is not None:
            if unit_type in unit_columns:
                problems.append(
                    f"{source}: {place}: a second mapping column for {unit_type} (the first is "
                    f"column {unit_columns[unit_type].letter})"
                )
            else:
                unit_columns[unit_type] = cell
    for key in REQUIRED:
        if key not in columns:
            where = f'sheet "{sheet.name}"' if sheet.name is not None else "the file"
            problems.append(
                f"{source}: {where}, row {header.row}: no column {COLUMNS[key][0]} "
                f"(the header has: {', '.join(c.shown for c in header.cells if c.kind == 'text')})"
            )
    return columns, unit_columns, problems


def _unit_type_column(text: str) -> UnitType | None:
    for prefix in MAPPING_PREFIXES:
        if text.startswith(prefix + "（") and text.endswith("）"):
            return UNIT_TYPE_COLUMNS.get(text[len(prefix) + 1 : -1])
    return None


def _merged_problems(
    sheet: Sheet,
    header_row: int,
    columns: dict[str, Cell],
    unit_columns: dict[UnitType, Cell],
    source: str,
) -> list[str]:
    headers = {cell.column: cell.shown for cell in [*columns.values(), *unit_columns.values()]}
    problems = []
    for merged in sorted(sheet.merged, key=lambda m: (m.first_row, m.first_column)):
        if merged.last_row <= header_row:
            continue  # a title or header spanning columns
        used = [c for c in range(merged.first_column, merged.last_column + 1) if c in headers]
        if not used:
            continue
        rows = (
            f"rows {merged.first_row}-{merged.last_row}"
            if merged.last_row > merged.first_row
            else f"row {merged.first_row}"
        )
        shown = ", ".join(f"{column_letter(c)} ({headers[c]})" for c in used)
        noun = "column" if len(used) == 1 else "columns"
        where = f'sheet "{sheet.name}", ' if sheet.name is not None else ""
        problems.append(
            f"{source}: {where}{rows}, {noun} {shown}: merged cells; unmerge them so every row "
            "has its own value"
        )
    return problems


def _read_row(
    sheet: str | None,
    cells: tuple[Cell, ...],
    columns: dict[str, Cell],
    unit_columns: dict[UnitType, Cell],
    source: str,
    problems: list[str],
) -> Row | None:
    def cell_of(header: Cell) -> Cell:
        index = header.column - 1
        if index < len(cells):
            return cells[index]
        row = cells[0].row if cells else 0
        return Cell(row, header.column, "empty", None, "")

    def place(header: Cell) -> Place:
        return Place(sheet, cell_of(header).row, header.column, header.shown)

    def say_at(header: Cell) -> Say:
        def say(message: str) -> None:
            problems.append(f"{source}: {place(header)}: {message}")

        return say

    code_header, name_header = columns.get("code"), columns.get("name")
    if code_header is None or name_header is None:
        return None
    code = _code(cell_of(code_header), say_at(code_header), required=True)
    name_cell = cell_of(name_header)
    name = name_cell.shown.strip() if name_cell.kind != "empty" else ""
    if not name:
        say_at(name_header)("the name is empty")
    if code is None or not name:
        return None
    row = Row(place(code_header), code, name)
    for key, read in _READERS.items():
        if (header := columns.get(key)) is not None:
            setattr(row, key, read(cell_of(header), say_at(header)))
    for unit_type, header in unit_columns.items():
        found = _code(cell_of(header), say_at(header))
        if found is not None:
            row.maps_by_unit_type[unit_type] = found
    return row


def _code(cell: Cell, say: Say, required: bool = False) -> str | None:
    if cell.kind == "empty":
        if required:
            say("the code is empty")
        return None
    if cell.kind == "number":
        say(
            f"the code is stored as a number ({cell.shown}), which loses leading zeros; store "
            "the column as text"
        )
        return None
    if cell.kind != "text":
        say(f"{cell.shown} is not a code; store codes as text")
        return None
    text = str(cell.value).strip()
    if _SPREADSHEET_NUMBER.match(text):
        say(
            f"{text!r} looks like a number written by a spreadsheet, which loses leading zeros; "
            "store the column as text"
        )
        return None
    if not text.isascii() or not text.isdigit():
        say(f"{text!r} is not a code of digits 0-9")
        return None
    return text


def _level(cell: Cell, say: Say) -> int | None:
    if cell.kind == "empty":
        return None
    value = cell.value
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and float(value).is_integer()
    ):
        return int(value)
    if cell.kind == "text" and str(cell.value).strip().isdigit():
        return int(str(cell.value).strip())
    say(f"{cell.shown!r} is not a level (1, 2, 3 …)")
    return None


def _flag(cell: Cell, say: Say) -> bool | None:
    if cell.kind == "empty":
        return None
    if cell.kind == "bool":
        return bool(cell.value)
    text = cell.shown.strip()
    if cell.kind == "number" and cell.value in (0, 1):
        return cell.value == 1
    if text in _YES:
        return True
    if text in _NO:
        return False
    say(f"{text!r} is neither 是 nor 否")
    return None


def _date(cell: Cell, say: Say) -> dt.date | None:
    if cell.kind == "empty":
        return None
    if cell.kind == "date":
        assert isinstance(cell.value, dt.date)
        return cell.value
    if cell.kind == "text":
        text = str(cell.value).strip()
        for form in _DATE_FORMS:
            found = form.match(text)
            if found:
                try:
                    return dt.date(*(int(part) for part in found.groups()))
                except ValueError:
                    break
        say(f"{text!r} is not a date (YYYY-MM-DD)")
        return None
    say(f"{cell.shown} is a number, not a date; format the cell as a date or write YYYY-MM-DD")
    return None


def _text(cell: Cell, say: Say) -> str | None:
    return cell.shown.strip() or None


_READERS: dict[str, Callable[[Cell, Say], object]] = {
    "parent": _code,
    "successor": _code,
    "maps_to": _code,
    "level": _level,
    "is_leaf": _flag,
    "enabled": _flag,
    "start_date": _date,
    "end_date": _date,
    "remark": _text,
}
