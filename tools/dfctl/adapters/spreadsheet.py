"""Spreadsheets as plain cells: the only module that imports openpyxl.

The province publishes element standards as ``.xlsx`` workbooks (sometimes as ``.csv``). A
sheet is read into rows of :class:`Cell` values that keep what kind of value the cell held (a
number typed into a code column loses its leading zeros, so the reader must know it was a
number) and the merged ranges, so the caller can point at sheet, row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dfctl.errors import SpreadsheetError

CellKind = Literal["text", "number", "date", "bool", "empty"]
MAX_BYTES = 32 * 1024 * 1024
"""Largest file read; the biggest national list is a few MiB."""


@dataclass(frozen=True)
class Cell:
    row: int  # 1-based, as the spreadsheet shows it
    column: int  # 1-based
    kind: CellKind
    value: str | float | int | dt.date | bool | None
    shown: str  # the value as text, for messages

    @property
    def letter(self) -> str:
        return column_letter(self.column)


@dataclass(frozen=True)
class MergedRange:
    first_row: int
    last_row: int
    first_column: int
    last_column: int


@dataclass(frozen=True)
class Sheet:
    name: str | None  # None for a CSV file, which has no sheets
    rows: tuple[tuple[Cell, ...], ...]
    merged: tuple[MergedRange, ...] = ()


def column_letter(column: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def read_sheet(path: Path, sheet: str | None = None) -> Sheet:
    """The cells of ``sheet`` (default: the first) of an .xlsx file, or of a .csv file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpreadsheetError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    if len(data) > MAX_BYTES:
        raise SpreadsheetError(f"{path}: {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if sheet is not None:
            raise SpreadsheetError(f"{path}: a CSV file has no sheets; leave out --sheet")
        return _csv_sheet(path, data)
    if suffix == ".xlsx":
        return _xlsx_sheet(path, data, sheet)
    raise SpreadsheetError(f"{path}: not an .xlsx or .csv file; save the spreadsheet as .xlsx")


def _csv_sheet(path: Path, data: bytes) -> Sheet:
    text = _decoded(path, data)
    rows: list[tuple[Cell, ...]] = []
    for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        rows.append(
            tuple(
                Cell(number, column, "text" if value != "" else "empty", value or None, value)
                for column, value in enumerate(record, start=1)
            )
        )
    return Sheet(None, tuple(rows))


def _decoded(path: Path, data: bytes) -> str:
    """CSV text: UTF-8 (with or without a byte-order mark), else GB18030 as Excel saves it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(
            f"{path}: neither UTF-8 nor GB18030 text (byte {exc.start}); save it as UTF-8 CSV"
        ) from exc


def _xlsx_sheet(path: Path, data: bytes, wanted: str | None) -> Sheet:
    # openpyxl is imported here: only `dfctl elements import` needs it
    import openpyxl  # noqa: PLC0415
    from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SpreadsheetError(f"{path}: not a readable .xlsx workbook ({exc})") from exc
    try:
        names = book.sheetnames
        if wanted is None:
            worksheet = book.worksheets[0]
        elif wanted in names:
            worksheet = book[wanted]
        else:
            raise SpreadsheetError(
                f"{path}: no sheet {wanted!r}; the sheets are " + ", ".join(repr(n) for n in names)
            )
        rows = tuple(
            tuple(_cell(row_number, column, cell.value) for column, cell in enumerate(row, 1))
            for row_number, row in enumerate(worksheet.iter_rows(), start=1)
        )
        merged = tuple(
            MergedRange(r.min_row, r.max_row, r.min_col, r.max_col)
            for r in worksheet.merged_cells.ranges
        )
        return Sheet(worksheet.title, rows, merged)
    finally:
        book.close()


def _cell(row: int, column: int, value: object) -> Cell:
    if value is None or (isinstance(value, str) and value == ""):
        return Cell(row, column, "empty", None, "")
    if isinstance(value, bool):
        return Cell(row, column, "bool", value, str(value).upper())
    if isinstance(value, (int, float)):
        return Cell(row, column, "number", value, repr(value))
    if isinstance(value, dt.datetime):
        return Cell(row, column, "date", value.date(), value.date().isoformat())
    if isinstance(value, dt.date):
        return Cell(row, column, "date", value, value.isoformat())
    text = str(value)
    return Cell(row, column, "text", text, text)
