"""`dfctl elements import`: take in the province's spreadsheet of a code set.

Read the sheet (:mod:`dfctl.intake.table`), check the tree its codes make
(:mod:`dfctl.intake.hierarchy`), work out what it changes against the set in the repository
(:mod:`dfctl.intake.change`) and write the set's file (:mod:`dfctl.intake.write`) with a
provenance naming the notice and the file's SHA-256. A spreadsheet with problems writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from dfctl.adapters.spreadsheet import read_sheet
from dfctl.checks.element_index import ancestor_divisions
from dfctl.checks.elements import notice_problem
from dfctl.errors import SpreadsheetError, UsageError
from dfctl.fmt import write_atomically
from dfctl.intake.change import ElementChange, Fields, plan_change
from dfctl.intake.hierarchy import hierarchy_problems
from dfctl.intake.table import read_table
from dfctl.intake.write import new_text, updated_text
from dfctl.load.repo import Repo, WorkTree, load_repo
from dfctl.model import ElementSet, kind_for_path

ELEMENTS_FOLDER = "standards/elements"


@dataclass(frozen=True)
class ImportRequest:
    file: Path
    set_code: str
    year: int
    notice: str
    issued_on: dt.date
    today: dt.date
    issuer: str | None = None
    division: str | None = None
    sheet: str | None = None
    into: str | None = None  # repository-relative path for a new year's file
    retire_on: dt.date | None = None
    corrections: bool = False  # renamed and remapped codes are corrections of mistyped values
    dry_run: bool = False


@dataclass(frozen=True)
class ImportResult:
    set_key: str  # set_code/year/division
    path: str  # repository-relative path of the set's file
    created: bool
    written: bool
    change: ElementChange
    sheet: str | None
    rows: int
    sha256: str
    text: str


def import_elements(root: Path, request: ImportRequest) -> ImportResult:
    """Take ``request.file`` in as the set; write it unless ``dry_run``.

    SpreadsheetError when the file has problems (each with sheet, row and column); UsageError
    when the set, division or notice cannot be made out.
    """
    problem = notice_problem(request.notice)
    if problem:
        raise UsageError(f"--notice: {problem}")
    source = request.file.name
    data_hash = hashlib.sha256(_read(request.file)).hexdigest()
    sheet = read_sheet(request.file, request.sheet)
    table = read_table(sheet, source)
    repo = load_repo(WorkTree(root))
    division = _division(repo, request)
    key = (request.set_code, request.year, division)
    shown_key = f"{request.set_code}/{request.year}/{division}"
    current = _files(repo, key)
    previous = _files(repo, (request.set_code, request.year - 1, division))
    if len(current) > 1:
        raise UsageError(
            f"set {shown_key} is split over "
            + ", ".join(s.src.file for s in current)
            + "; import needs it in one file"
        )
    model = current[0] if current else (previous[0] if previous else None)
    if model is None:
        raise UsageError(
            f"no set {request.set_code} of {request.year} or {request.year - 1} in division "
            f"{division} to take the structure and header from"
        )
    problems = list(table.problems)
    if not problems:
        # a row that could not be read would make its children look orphaned: the tree is
        # checked once every row reads
        problems += hierarchy_problems(table, model.structure, source, _codes_above(repo, key))
    if model.maps_to is None and {"maps_to", "maps_by_unit_type"} & table.columns:
        problems.append(
            f"{source}: the file has mapping columns but set {request.set_code} maps to no set"
        )
    if problems:
        raise SpreadsheetError(
            f"{source}: {len(problems)} problem{'s' if len(problems) != 1 else ''}; nothing "
            "written",
            problems,
        )
    plan = plan_change(
        table,
        _target(model, request.year),
        list(current[0].elements) if current else [],
        None if current else [e for s in previous for e in s.elements],
        f"{request.set_code}/{request.year - (0 if current else 1)}/{division}",
        request.retire_on or request.today,
    )
    provenance = _provenance(request, model, shown_key, source, data_hash)
    if current:
        path = current[0].src.file
        text = (root / path).read_text(encoding="utf-8")
        correction = _correction(request, plan.change) if request.corrections else None
        new = updated_text(path, text, plan, provenance, correction)
    else:
        path = request.into or _new_path(request, division)
        if kind_for_path(path) != ElementSet.KIND:
            raise UsageError(f"--into {path}: element sets live in {ELEMENTS_FOLDER}/")
        if (root / path).exists():
            raise UsageError(f"{path} exists; name another file with --into")
        new = new_text(path, model, request.year, plan, provenance)
    if not request.dry_run:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, new)
    return ImportResult(
        shown_key,
        path,
        not current,
        not request.dry_run,
        plan.change,
        sheet.name,
        len(table.rows),
        data_hash,
        new,
    )


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise UsageError(f"{file}: cannot be read: {exc.strerror or exc}") from exc


def _files(repo: Repo, key: tuple[str, int, str]) -> list[ElementSet]:
    found = [s for s in repo.of(ElementSet) if (s.set_code, s.fiscal_year, s.mof_div_code) == key]
    return sorted(found, key=lambda s: s.src.file)


def _division(repo: Repo, request: ImportRequest) -> str:
    divisions = sorted(
        {s.mof_div_code for s in repo.of(ElementSet) if s.set_code == request.set_code}
    )
    if request.division is not None:
        return request.division
    if not divisions:
        raise UsageError(f"no set {request.set_code} in {ELEMENTS_FOLDER}/")
    if len(divisions) > 1:
        raise UsageError(
            f"set {request.set_code} is kept by several divisions ({', '.join(divisions)}); "
            "name one with --division"
        )
    return divisions[0]


def _codes_above(repo: Repo, key: tuple[str, int, str]) -> set[str]:
    """Codes of the same set and year in the divisions above, which the file's codes may extend."""
    set_code, year, division = key
    above = set(ancestor_divisions(division))
    return {
        e.code
        for s in repo.of(ElementSet)
        if s.set_code == set_code and s.fiscal_year == year and s.mof_div_code in above
        for e in s.elements
    }


def _target(model: ElementSet, year: int) -> ElementSet:
    return model if model.fiscal_year == year else model.model_copy(update={"fiscal_year": year})


def _provenance(
    request: ImportRequest, model: ElementSet, shown_key: str, source: str, data_hash: str
) -> Fields:
    issuer = request.issuer or (model.provenance.issuer if model.provenance else None)
    if issuer is None:
        raise UsageError(f"--issuer is needed: set {shown_key} records no issuer yet")
    return {
        "status": "imported",
        "notice": request.notice,
        "issuer": issuer,
        "issued_on": request.issued_on,
        "file": source,
        "sha256": data_hash,
        "imported_on": request.today,
    }


def _correction(request: ImportRequest, change: ElementChange) -> Fields | None:
    renamed = [r.code for r in change.renamed]
    remapped = [r.code for r in change.remapped]
    codes = sorted(set(renamed) | set(remapped))
    if not codes:
        return None
    fields = (["name"] if renamed else []) + (["maps_to"] if remapped else [])
    return {
        "date": request.today,
        "codes": codes,
        "fields": fields,
        "notice": request.notice,
        "reason": f"the names or mappings as {request.notice} gives them ({request.file.name})",
    }


def _new_path(request: ImportRequest, division: str) -> str:
    where = "" if division.endswith("0000000") else f"_{division}"
    return f"{ELEMENTS_FOLDER}/{request.set_code}{where}_{request.year}.yaml"
