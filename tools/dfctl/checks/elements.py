"""Rules for business element standards (业务标准要素): codes, hierarchy, names, dates, agencies.

A set's identity is (set_code, fiscal_year, mof_div_code); one identity may be split over several
files (the ministry's codes and the province's added children, say), so codes are indexed per
identity, never per file. Every rule is one pass over the elements with dict and set lookups: the
province-sized repository holds 200,000 codes.

Lower divisions may add children under a higher division's codes when that set is ``extensible``:
a code's parent is looked up in its own set first, then in the same set_code and fiscal year of the
divisions above (county → city → province).

When a file of some set_code failed to load, its codes are unknown, so rules that look codes up
(parents, successors, superiors, maps_to targets) say nothing about that set_code rather than report
codes as missing that may well be in the broken file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from dfctl.checks.element_index import (
    SetIndex,
    SetKey,
    ancestor_divisions,
    parent_lengths,
    position,
    quote,
    show_key,
)
from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model.elements import (
    UNIT_TYPE_NAMES,
    UNIT_TYPES,
    Element,
    ElementSet,
    Provenance,
    UnitType,
)

AGENCY_SET = "agency"
_UNIT_RANK = {"primary": 1, "secondary": 2, "basic": 3}
_DIGITS = re.compile(r"[0-9]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_FULLWIDTH_ALNUM = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_FULLWIDTH_PUNCT = re.compile(r"[\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff5e]")
_ODD_SPACE = re.compile(r"[^\S ]")  # whitespace that is not a plain space: tab, U+3000, U+00A0 …
# Everything name_problems looks for, in one pass: most names have none of it.
_SUSPECT = re.compile(r"^\s|\s$|  |[^\S ]|[\uff01-\uff5e()]|^$")


def _lengths(structure: list[int]) -> str:
    totals: list[str] = []
    total = 0
    for width in structure:
        total += width
        totals.append(str(total))
    return totals[0] if len(totals) == 1 else ", ".join(totals[:-1]) + " or " + totals[-1]


@repo_rule("DFP-ELE-001", Severity.ERROR)
def code_length(ctx: CheckContext) -> Iterator[Finding]:
    """A code's length is the length of one level of its set's structure (层码结构).

    Passing:
        structure: [3, 2, 2]
        elements:
          - code: "2010101"          # 7 = 3 + 2 + 2: level 3
            name: 行政运行

    Failing:
        structure: [3, 2, 2]
        elements:
          - code: "20101011"         # 8 digits is no level
            name: 行政运行
    """
    for element_set in ctx.repo.of(ElementSet):
        lengths = parent_lengths(element_set)
        for element in element_set.elements:
            code = element.code
            if len(code) in lengths:
                continue
            unit = "digits" if _DIGITS.fullmatch(code) else "characters"
            yield Finding(
                where=element,
                key="code",
                message=f"code {quote(code)} has {len(code)} {unit}; structure "
                f"{element_set.structure} allows {_lengths(element_set.structure)}",
            )


@repo_rule("DFP-ELE-002", Severity.ERROR)
def parent_exists(ctx: CheckContext) -> Iterator[Finding]:
    """Below the first level, a code's parent (its prefix of the previous level) exists.

    The parent may also come from the same set of a division above (a province's set for a city
    set) when that set is ``extensible``.

    Passing:
        elements:
          - code: "20101"
            name: 人大事务
          - code: "2010101"
            name: 行政运行

    Failing:
        elements:
          - code: "201"
            name: 一般公共服务支出
          - code: "2010101"          # parent "20101" is missing
            name: 行政运行
    """
    index = SetIndex(ctx.repo)
    for key, element_sets in index.files.items():
        if not index.known(key[0]):
            continue
        for element_set in element_sets:
            lengths = parent_lengths(element_set)
            for element in element_set.elements:
                cut = lengths.get(len(element.code))
                if not cut:
                    continue
                parent = element.code[:cut]
                holder = index.holder(key, parent)
                if holder is None:
                    yield Finding(
                        where=element,
                        key="code",
                        message=f"parent {quote(parent)} of code {quote(element.code)} is not in "
                        "set " + " or ".join(show_key(k) for k in index.lineage(key)),
                    )
                elif holder != key:
                    parent_set = index.home(holder, index.codes(holder)[parent])
                    if not parent_set.extensible:
                        yield Finding(
                            where=element,
                            key="code",
                            message=f"parent {quote(parent)} of code {quote(element.code)} is in "
                            f"set {show_key(holder)}, which is not extensible; lower divisions "
                            "may add children only to an extensible set",
                        )


@repo_rule("DFP-ELE-003", Severity.ERROR)
def code_unique(ctx: CheckContext) -> Iterator[Finding]:
    """A code appears once per set, fiscal year and division, across all the files of the set.

    Passing:
        elements:
          - code: "20101"
            name: 人大事务
          - code: "20102"
            name: 政协事务

    Failing:
        elements:
          - code: "20101"
            name: 人大事务
          - code: "20101"            # already defined two lines up
            name: 政协事务
    """
    index = SetIndex(ctx.repo)
    for key, element_sets in index.files.items():
        first = index.codes(key)
        for element_set in element_sets:
            for element in element_set.elements:
                earlier = first[element.code]
                if earlier is not element:
                    yield Finding(
                        where=element,
                        key="code",
                        message=f"code {quote(element.code)} is already defined in set "
                        f"{show_key(key)} at {position(index.home(key, earlier), earlier)}",
                    )


@repo_rule("DFP-ELE-004", Severity.ERROR)
def maps_to_valid(ctx: CheckContext) -> Iterator[Finding]:
    """Leaves of a set with maps_to map to a leaf of that set; other sets map nothing.

    部门预算支出经济分类 (dep_bgt_eco) maps each leaf to 政府预算支出经济分类 (gov_bgt_eco) leaves
    of the same fiscal year, in the same division or one above: with ``maps_to`` when every unit
    type maps to the same code, or with ``maps_to_by_unit_type`` when they differ (DFP-ELE-012
    checks that every unit type in use has its mapping). A leaf is a code with no children in
    its set. A set whose ``maps_to`` set does not exist is DFP-REF-001.

    Passing:
        set_code: dep_bgt_eco
        maps_to: gov_bgt_eco
        elements:
          - code: "301"
            name: 工资福利支出
          - code: "30101"
            name: 基本工资
            maps_to_by_unit_type: {administrative: "50101", public-institution: "50501"}
          - code: "30302"
            name: 退休费
            maps_to: "50905"

    Failing:
        set_code: dep_bgt_eco
        maps_to: gov_bgt_eco
        elements:
          - code: "30101"
            name: 基本工资             # a leaf without maps_to
          - code: "30102"
            name: 津贴补贴
            maps_to: "50109"           # gov_bgt_eco has no 50109
          - code: "30103"
            name: 奖金
            maps_to: "501"             # 501 has children: map to one of them
    """
    index = SetIndex(ctx.repo)
    for key, element_sets in index.files.items():
        mapped = any(element_set.maps_to is not None for element_set in element_sets)
        parents = index.parents(key) if mapped else set()
        for element_set in element_sets:
            target = element_set.maps_to
            if target is None:
                yield from _mapping_without_target_set(element_set)
                continue
            targets = index.lineage((target, key[1], key[2]))
            resolvable = bool(targets) and index.known(target)
            for element in element_set.elements:
                yield from _check_mapping(index, element_set, element, parents, targets, resolvable)


def _mapping_without_target_set(element_set: ElementSet) -> Iterator[Finding]:
    for element in element_set.elements:
        if element.maps_to is not None:
            yield Finding(
                where=element,
                key="maps_to",
                message=f"code {quote(element.code)} maps to {quote(element.maps_to)} "
                f"but set {element_set.set_code} declares no maps_to set",
            )
        if element.maps_to_by_unit_type is not None:
            yield Finding(
                where=element,
                key="maps_to_by_unit_type",
                message=f"code {quote(element.code)} maps by unit type but set "
                f"{element_set.set_code} declares no maps_to set",
            )


def _check_mapping(
    index: SetIndex,
    element_set: ElementSet,
    element: Element,
    parents: set[str],
    targets: list[SetKey],
    resolvable: bool,
) -> Iterator[Finding]:
    by_type = element.maps_to_by_unit_type
    if element.maps_to is not None and by_type is not None:
        yield Finding(
            where=element,
            key="maps_to_by_unit_type",
            message=f"code {quote(element.code)} has both maps_to and maps_to_by_unit_type; "
            "write maps_to when every unit type maps to the same code, maps_to_by_unit_type "
            "when they differ",
        )
        return
    if element.maps_to is None and by_type is None:
        if element.code not in parents:
            yield Finding(
                where=element,
                key="code",
                message=f"leaf code {quote(element.code)} has no maps_to; set "
                f"{element_set.set_code} maps every leaf to a {element_set.maps_to} code",
            )
        return
    if not resolvable:
        return
    written: list[tuple[str, str, str]] = []  # (key, shown field, target code)
    if element.maps_to is not None:
        written.append(("maps_to", "maps_to", element.maps_to))
    for unit_type, code in (by_type or {}).items():
        written.append(("maps_to_by_unit_type", f"maps_to_by_unit_type.{unit_type}", code))
    for key, shown, code in written:
        holder = next((t for t in targets if code in index.codes(t)), None)
        if holder is None:
            yield Finding(
                where=element,
                key=key,
                message=f"{shown} {quote(code)} is not a code of "
                + " or ".join(show_key(t) for t in targets),
            )
        elif code in index.parents(holder):
            yield Finding(
                where=element,
                key=key,
                message=f"{shown} {quote(code)} is not a leaf of {show_key(holder)}: it has "
                "children; map to one of them",
            )


def _space_name(char: str) -> str:
    named = {"\t": "tab", "\n": "line break", "\r": "carriage return"}
    return named.get(char) or unicodedata.name(char, "whitespace").lower()


def name_problems(name: str) -> list[str]:
    """What is wrong with a name, each with its fix; empty when the name is clean."""
    if _SUSPECT.search(name) is None:
        return []
    problems: list[str] = []
    if not name.strip():
        return ["no text; expected the element's name"]
    leading, trailing = name != name.lstrip(), name != name.rstrip()
    if leading or trailing:
        side = (
            "leading and trailing" if leading and trailing else "leading" if leading else "trailing"
        )
        problems.append(f"{side} whitespace (remove it)")
    if "  " in name.strip():
        problems.append("a double space (use one)")
    odd = sorted(set(_ODD_SPACE.findall(name)))
    if odd:
        shown = ", ".join(f"{_space_name(c)} U+{ord(c):04X}" for c in odd)
        problems.append(f"whitespace other than a plain space ({shown})")
    alnum = "".join(dict.fromkeys(_FULLWIDTH_ALNUM.findall(name)))
    if alnum:
        problems.append(
            f"full-width letters or digits {quote(alnum)} "
            f"(write {quote(unicodedata.normalize('NFKC', alnum))})"
        )
    if _CJK.search(name):
        if "(" in name or ")" in name:
            problems.append("half-width brackets in a Chinese name (write （ and ）)")
    else:
        punct = "".join(dict.fromkeys(_FULLWIDTH_PUNCT.findall(name)))
        if punct:
            problems.append(
                f"full-width punctuation {quote(punct)} in a name without Chinese characters "
                f"(write {quote(unicodedata.normalize('NFKC', punct))})"
            )
    return problems


@repo_rule("DFP-ELE-005", Severity.WARNING)
def name_hygiene(ctx: CheckContext) -> Iterator[Finding]:
    """Names of codes and sets carry no stray whitespace and no full-width/half-width look-alikes.

    The policy: no leading or trailing whitespace, no double spaces, no whitespace but the plain
    space (no tab, no ideographic space U+3000); full-width letters and digits (Ａ１) are always
    wrong; a name with Chinese characters uses full-width brackets （）, never ( ); a name
    without Chinese characters uses no full-width punctuation. Other full-width punctuation in
    Chinese names (、，：) is normal and allowed.

    Passing:
        - code: "50207"
          name: 因公出国（境）费用

    Failing:
        - code: "50207"
          name: "因公出国(境)费用 "    # half-width brackets, trailing space
        - code: "2050201"
          name: 学前教育Ａ             # a full-width letter
    """
    for element_set in ctx.repo.of(ElementSet):
        problems = name_problems(element_set.name)
        if problems:
            yield Finding(
                where=element_set,
                key="name",
                message=f"set name {quote(element_set.name)} has " + "; ".join(problems),
            )
        for element in element_set.elements:
            problems = name_problems(element.name)
            if problems:
                yield Finding(
                    where=element,
                    key="name",
                    message=f"name {quote(element.name)} has " + "; ".join(problems),
                )


@repo_rule("DFP-ELE-006", Severity.ERROR)
def dates_consistent(ctx: CheckContext) -> Iterator[Finding]:
    """A code starts before it ends, and lives within its parent's dates.

    Passing:
        - code: "20101"
          start_date: 2026-01-01
        - code: "2010101"
          start_date: 2026-01-01
          end_date: 2026-12-31

    Failing:
        - code: "20101"
          start_date: 2026-03-01
          end_date: 2026-06-30
        - code: "2010101"
          start_date: 2026-01-01       # before its parent starts
          end_date: 2026-12-31         # after its parent ends
    """
    index = SetIndex(ctx.repo)
    for key, element_sets in index.files.items():
        known = index.known(key[0])
        for element_set in element_sets:
            lengths = parent_lengths(element_set)
            for element in element_set.elements:
                if element.end_date is not None and element.start_date > element.end_date:
                    yield Finding(
                        where=element,
                        key="end_date",
                        message=f"end_date {element.end_date} is before start_date "
                        f"{element.start_date}",
                    )
                cut = lengths.get(len(element.code))
                if not cut or not known:
                    continue
                parent_code = element.code[:cut]
                holder = index.holder(key, parent_code)
                if holder is None:
                    continue
                parent = index.codes(holder)[parent_code]
                if element.start_date < parent.start_date:
                    yield Finding(
                        where=element,
                        key="start_date",
                        message=f"start_date {element.start_date} is before its parent "
                        f"{quote(parent_code)} starts ({parent.start_date})",
                    )
                if parent.end_date is None:
                    continue
                if element.end_date is None:
                    yield Finding(
                        where=element,
                        key="code",
                        message=f"code {quote(element.code)} has no end_date but its parent "
                        f"{quote(parent_code)} ends {parent.end_date}",
                    )
                elif element.end_date > parent.end_date:
                    yield Finding(
                        where=element,
                        key="end_date",
                        message=f"end_date {element.end_date} is after its parent "
                        f"{quote(parent_code)} ends ({parent.end_date})",
                    )


@repo_rule("DFP-ELE-007", Severity.ERROR)
def code_digits(ctx: CheckContext) -> Iterator[Finding]:
    """A code is made of the ASCII digits 0-9 only.

    Passing:
        - code: "2010101"

    Failing:
        - code: "2O10101"              # the letter O
        - code: "２０１"               # full-width digits
    """
    for element_set in ctx.repo.of(ElementSet):
        for element in element_set.elements:
            code = element.code
            if _DIGITS.fullmatch(code):
                continue
            if not code:
                message = "code is empty; expected digits 0-9"
            else:
                bad = "".join(dict.fromkeys(c for c in code if not ("0" <= c <= "9")))
                message = f"code {quote(code)} has characters other than digits 0-9: {quote(bad)}"
            yield Finding(where=element, key="code", message=message)


@repo_rule("DFP-ELE-008", Severity.ERROR)
def retired_successor(ctx: CheckContext) -> Iterator[Finding]:
    """A retired code (end_date set, or enabled: false) names an existing successor.

    The successor is a code of the same set and division, in the same or a later fiscal year, so
    history still resolves after the code stops being used.

    Passing:
        - code: "2010150"
          name: 事业运行
          start_date: 2026-01-01
          end_date: 2026-06-30
          successor: "2010199"

    Failing:
        - code: "2010150"
          name: 事业运行
          start_date: 2026-01-01
          end_date: 2026-06-30         # retired, but no successor
    """
    index = SetIndex(ctx.repo)
    for key, element_sets in index.files.items():
        known = index.known(key[0])
        codes = index.codes(key)
        for element_set in element_sets:
            for element in element_set.elements:
                if element.end_date is None and element.enabled:
                    continue
                successor = element.successor
                if successor is None:
                    how = (
                        f"end_date {element.end_date}"
                        if element.end_date is not None
                        else "enabled: false"
                    )
                    yield Finding(
                        where=element,
                        key="end_date" if element.end_date is not None else "enabled",
                        message=f"code {quote(element.code)} is retired ({how}) but names no "
                        "successor; set successor to the code that replaces it",
                    )
                elif successor == element.code:
                    yield Finding(
                        where=element,
                        key="successor",
                        message=f"successor {quote(successor)} is the code itself; name the code "
                        "that replaces it",
                    )
                elif (
                    known
                    and successor not in codes
                    and not any(successor in index.codes(k) for k in index.successor_sets(key))
                ):
                    yield Finding(
                        where=element,
                        key="successor",
                        message=f"successor {quote(successor)} is not a code of set "
                        f"{show_key(key)} or of a later fiscal year of it",
                    )


@repo_rule("DFP-ELE-009", Severity.ERROR)
def agency_superior(ctx: CheckContext) -> Iterator[Finding]:
    """Agencies (the agency set) form a valid unit tree: 一级 → 二级 → 基层 within one department.

    A primary unit (一级) is a first-level code (the department) with no superior. A secondary
    (二级) or basic (基层) unit names a superior in the same set and department (the same first
    level prefix) of a higher rank: a secondary unit's superior is primary, a basic unit's is
    primary or secondary. Other sets use neither unit_level nor superior.

    Passing:
        set_code: agency
        structure: [3, 3]
        elements:
          - code: "105"
            name: XX市教育局
            unit_level: primary
          - code: "105003"
            name: XX市教育考试院
            unit_level: secondary
            superior: "105"

    Failing:
        set_code: agency
        structure: [3, 3]
        elements:
          - code: "105003"
            name: XX市教育考试院
            unit_level: secondary
            superior: "112"            # another department
    """
    index = SetIndex(ctx.repo)
    for key, element_sets in index.files.items():
        is_agency = key[0] == AGENCY_SET
        known = index.known(key[0])
        codes = index.codes(key) if is_agency else {}
        for element_set in element_sets:
            dept = element_set.structure[0]
            for element in element_set.elements:
                if not is_agency:
                    for field in ("unit_level", "superior"):
                        if getattr(element, field) is not None:
                            yield Finding(
                                where=element,
                                key=field,
                                message=f"{field} applies to agencies only; set "
                                f"{element_set.set_code} is not {AGENCY_SET}",
                            )
                    continue
                yield from _check_agency(element_set, element, codes, dept, known)


def _check_agency(
    element_set: ElementSet, element: Element, codes: dict[str, Element], dept: int, known: bool
) -> Iterator[Finding]:
    code, level, superior = element.code, element.unit_level, element.superior
    if level is None:
        yield Finding(
            where=element,
            key="code",
            message=f"agency {quote(code)} has no unit_level; expected primary, secondary or basic",
        )
        return
    first_level = element_set.level_of(code) == 1
    if level == "primary":
        if not first_level:
            yield Finding(
                where=element,
                key="unit_level",
                message=f"primary unit {quote(code)} is not a department code of "
                f"{element_set.structure[0]} digits; a primary unit is a first-level code",
            )
        if superior is not None:
            yield Finding(
                where=element,
                key="superior",
                message=f"primary unit {quote(code)} has superior {quote(superior)}; a primary "
                "unit has none",
            )
        return
    if first_level:
        yield Finding(
            where=element,
            key="unit_level",
            message=f"department code {quote(code)} is {level}; "
            "a first-level code is a primary unit",
        )
        return
    if superior is None:
        yield Finding(
            where=element,
            key="code",
            message=f"{level} unit {quote(code)} has no superior; expected the unit above it",
        )
        return
    if superior == code:
        yield Finding(
            where=element,
            key="superior",
            message=f"superior {quote(superior)} is the unit itself; expected the unit above it",
        )
        return
    if superior[:dept] != code[:dept]:
        yield Finding(
            where=element,
            key="superior",
            message=f"superior {quote(superior)} is not in department {quote(code[:dept])} of "
            f"unit {quote(code)}",
        )
        return
    if not known:
        return
    above = codes.get(superior)
    if above is None:
        yield Finding(
            where=element,
            key="superior",
            message=f"superior {quote(superior)} of unit {quote(code)} is not an agency of "
            f"this set",
        )
        return
    above_level = above.unit_level
    if above_level is None:
        return  # the superior's missing unit_level is reported on the superior
    if _UNIT_RANK[above_level] >= _UNIT_RANK[level]:
        allowed = "primary" if level == "secondary" else "primary or secondary"
        yield Finding(
            where=element,
            key="superior",
            message=f"superior {quote(superior)} is a {above_level} unit; a {level} unit's "
            f"superior is {allowed}",
        )


# A 文号 as notices are numbered: issuer's abbreviation, the year in 〔〕, the number, 号.
_NOTICE_NUMBER = re.compile(r"[\u4e00-\u9fff]+〔\d{4}〕\d+号")
_WRONG_YEAR_BRACKETS = re.compile(r"[\[［【(（](\d{4})[\]］】)）]")
_PLACEHOLDER_NUMBER = re.compile(r"〔\d{4}〕\s*(?:[A-Za-zＡ-Ｚａ-ｚ×xX?？]+|[0-9]*[×xX?？]+)\s*号")
_REQUIRED_BY_STATUS: dict[str, tuple[str, ...]] = {
    "imported": ("notice", "issuer", "issued_on", "file", "sha256", "imported_on"),
    "official-unverified": ("notice", "issuer", "issued_on"),
    "from-memory": ("notes",),
}
_IMPORT_ONLY = ("file", "sha256", "imported_on")


@repo_rule("DFP-ELE-010", Severity.ERROR)
def provenance_recorded(ctx: CheckContext) -> Iterator[Finding]:
    """An element set records where its codes came from: notice, issuer, date and file checksum.

    ``status`` says how far to trust it: ``imported`` (taken in from the issuer's file by
    ``dfctl elements import``: notice, issuer, issued_on, file, sha256 and imported_on),
    ``official-unverified`` (typed in from a notice, not checked against its file: notice,
    issuer, issued_on) or ``from-memory`` (never official: notes say what to verify). A notice
    carries its document number with the year in 〔〕 (财预〔2025〕12号), not a placeholder; the
    file is not taken in before the notice was issued; corrections name codes of the set.

    Passing:
        provenance:
          status: imported
          notice: 财预〔2025〕12号
          issuer: 财政部
          issued_on: 2025-09-20
          file: 2026年政府收支分类科目.xlsx
          sha256: 9f2c…(64 hex digits)
          imported_on: 2025-10-08

    Failing:
        provenance:
          status: imported
          notice: 财预[2025]NN号        # brackets [ ], and NN is a placeholder
          issuer: 财政部                 # no issued_on, file, sha256, imported_on
    """
    index = SetIndex(ctx.repo)
    for key, element_sets in index.files.items():
        codes = index.codes(key)
        for element_set in element_sets:
            provenance = element_set.provenance
            if provenance is None:
                yield Finding(
                    where=element_set,
                    key="set_code",
                    message=f"set {show_key(key)} records no provenance; add provenance with "
                    "status imported, official-unverified or from-memory (docs/domain.md)",
                )
                continue
            yield from _provenance_problems(provenance, codes)


def _provenance_problems(provenance: Provenance, codes: dict[str, Element]) -> Iterator[Finding]:
    status = provenance.status
    missing = [f for f in _REQUIRED_BY_STATUS[status] if getattr(provenance, f) is None]
    if missing:
        yield Finding(
            where=provenance,
            key="status",
            message=f"provenance with status {status} needs " + ", ".join(missing),
        )
    if status != "imported":
        for field in _IMPORT_ONLY:
            if getattr(provenance, field) is not None:
                yield Finding(
                    where=provenance,
                    key=field,
                    message=f"{field} records a file taken in by `dfctl elements import`; a set "
                    f"with status {status} was not imported (set status: imported, or remove "
                    f"{field})",
                )
    if provenance.notice is not None:
        problem = notice_problem(provenance.notice)
        if problem:
            yield Finding(where=provenance, key="notice", message=problem)
    issued, imported = provenance.issued_on, provenance.imported_on
    if issued is not None and imported is not None and imported < issued:
        yield Finding(
            where=provenance,
            key="imported_on",
            message=f"imported_on {imported} is before the notice was issued ({issued})",
        )
    for correction in provenance.corrections:
        unknown = [code for code in correction.codes if code not in codes]
        if unknown:
            shown = ", ".join(quote(c) for c in unknown)
            yield Finding(
                where=correction,
                key="codes",
                message=f"corrected code {shown} is not a code of this set"
                if len(unknown) == 1
                else f"corrected codes {shown} are not codes of this set",
            )


def notice_problem(notice: str) -> str | None:
    """What is wrong with a notice's text, or None when it carries a proper document number."""
    wrong = _WRONG_YEAR_BRACKETS.search(notice)
    if wrong is not None:
        return (
            f"notice {quote(notice)} writes the year as {quote(wrong.group(0))}; a document "
            f"number writes it 〔{wrong.group(1)}〕 (U+3014, U+3015)"
        )
    if _PLACEHOLDER_NUMBER.search(notice):
        return (
            f"notice {quote(notice)} has a placeholder for its number; write the document "
            "number as issued, e.g. 财预〔2025〕12号"
        )
    if _NOTICE_NUMBER.search(notice) is None:
        return (
            f"notice {quote(notice)} has no document number such as 财预〔2025〕12号; name the "
            "notice by its number"
        )
    return None


@repo_rule("DFP-ELE-011", Severity.ERROR)
def agency_unit_type(ctx: CheckContext) -> Iterator[Finding]:
    """Every agency has a unit type; unit types appear only where they mean something.

    An agency's ``unit_type`` decides which government economic code its spending rolls into:
    administrative (行政单位) and civil-service-managed (参照公务员法管理事业单位) into the 机关
    codes 501-504, public-institution (其他事业单位) into 505-506. Only agencies carry
    ``unit_type``; ``unit_types`` (which unit types a code is for) belongs on the codes of a set
    that another set maps to.

    Passing:
        set_code: agency
        elements:
          - code: "202004"
            name: XX市第一中学
            unit_level: basic
            superior: "202003"
            unit_type: public-institution

    Failing:
        set_code: agency
        elements:
          - code: "202004"
            name: XX市第一中学
            unit_level: basic
            superior: "202003"           # no unit_type
    """
    mapped_onto = {s.maps_to for s in ctx.repo.of(ElementSet) if s.maps_to is not None}
    for element_set in ctx.repo.of(ElementSet):
        is_agency = element_set.set_code == AGENCY_SET
        for element in element_set.elements:
            if is_agency and element.unit_type is None:
                yield Finding(
                    where=element,
                    key="code",
                    message=f"agency {quote(element.code)} has no unit_type; expected "
                    + ", ".join(f"{t} ({UNIT_TYPE_NAMES[t]})" for t in UNIT_TYPES),
                )
            elif not is_agency and element.unit_type is not None:
                yield Finding(
                    where=element,
                    key="unit_type",
                    message=f"unit_type applies to agencies only; set {element_set.set_code} "
                    f"is not {AGENCY_SET}",
                )
            if element.unit_types is not None and element_set.set_code not in mapped_onto:
                yield Finding(
                    where=element,
                    key="unit_types",
                    message=f"unit_types applies to codes other codes map to; no set maps to "
                    f"{element_set.set_code}",
                )


def _agency_use(ctx: CheckContext) -> dict[tuple[int, str], dict[UnitType, list[Element]]]:
    """(fiscal year, division) -> unit type -> the agencies of that type in that division."""
    found: dict[tuple[int, str], dict[UnitType, list[Element]]] = {}
    for element_set in ctx.repo.of(ElementSet):
        if element_set.set_code != AGENCY_SET:
            continue
        by_type = found.setdefault((element_set.fiscal_year, element_set.mof_div_code), {})
        for element in element_set.elements:
            if element.unit_type is not None:
                by_type.setdefault(element.unit_type, []).append(element)
    return found


def _unit_types_in_use(
    use: dict[tuple[int, str], dict[UnitType, list[Element]]], year: int, division: str
) -> dict[UnitType, list[Element]]:
    """Agencies by unit type of ``division`` and every division below it, in ``year``."""
    merged: dict[UnitType, list[Element]] = {}
    for (agency_year, agency_division), by_type in sorted(use.items()):
        if agency_year != year:
            continue
        if agency_division != division and division not in ancestor_divisions(agency_division):
            continue
        for unit_type, agencies in by_type.items():
            merged.setdefault(unit_type, []).extend(agencies)
    return merged


def _target_unit_types(
    index: SetIndex, holder: SetKey, code: str
) -> tuple[str, list[UnitType]] | None:
    """(the code that says so, the unit types) the target code is for; None when it is for all."""
    codes = index.codes(holder)
    element_set = index.files[holder][0]
    lengths = parent_lengths(element_set)
    current: str | None = code
    while current:
        element = codes.get(current)
        if element is not None and element.unit_types is not None:
            return current, element.unit_types
        cut = lengths.get(len(current))
        current = current[:cut] if cut else None
    return None


@repo_rule("DFP-ELE-012", Severity.ERROR)
def mapping_per_unit_type(ctx: CheckContext) -> Iterator[Finding]:
    """Every leaf maps, for every unit type its agencies have, to a code meant for that type.

    The unit types in use are those of the agencies of the same fiscal year in the mapped set's
    division and the divisions below it. civil-service-managed units use the administrative
    mapping unless given their own. A target code marked ``unit_types`` (501-504 for 机关,
    505-506 for 事业单位, on the code or a parent) takes only those unit types: mapping 30101
    基本工资 to 50101 for every unit type puts the salaries of schools and hospitals into the
    机关 totals.

    Passing:
        # gov_bgt_eco: 501 has unit_types [administrative, civil-service-managed],
        #              505 has unit_types [public-institution]
        - code: "30101"
          name: 基本工资
          maps_to_by_unit_type: {administrative: "50101", public-institution: "50501"}

    Failing:
        # the agencies include public-institution units
        - code: "30101"
          name: 基本工资
          maps_to: "50101"           # 501 is for administrative, civil-service-managed only
    """
    index = SetIndex(ctx.repo)
    use = _agency_use(ctx)
    for key, element_sets in index.files.items():
        target = next((s.maps_to for s in element_sets if s.maps_to is not None), None)
        if target is None or not index.known(target) or not index.known(AGENCY_SET):
            continue
        in_use = _unit_types_in_use(use, key[1], key[2])
        if not in_use:
            continue
        targets = index.lineage((target, key[1], key[2]))
        parents = index.parents(key)
        for element_set in element_sets:
            for element in element_set.elements:
                if element.code in parents:
                    continue
                if element.maps_to is None and element.maps_to_by_unit_type is None:
                    continue  # DFP-ELE-004's
                yield from _check_unit_mappings(index, element, in_use, targets)


def _check_unit_mappings(
    index: SetIndex,
    element: Element,
    in_use: dict[UnitType, list[Element]],
    targets: list[SetKey],
) -> Iterator[Finding]:
    key = "maps_to" if element.maps_to_by_unit_type is None else "maps_to_by_unit_type"
    for unit_type in UNIT_TYPES:
        agencies = in_use.get(unit_type)
        if not agencies:
            continue
        example = f"{len(agencies)} agencies such as {quote(agencies[0].code)} {agencies[0].name}"
        if len(agencies) == 1:
            example = f"agency {quote(agencies[0].code)} {agencies[0].name}"
        code = element.mapping_for(unit_type)
        if code is None:
            yield Finding(
                where=element,
                key=key,
                message=f"code {quote(element.code)} has no mapping for {unit_type} units "
                f"({UNIT_TYPE_NAMES[unit_type]}: {example}); add {unit_type} to "
                "maps_to_by_unit_type",
            )
            continue
        holder = next((t for t in targets if code in index.codes(t)), None)
        if holder is None:
            continue  # DFP-ELE-004's
        marked = _target_unit_types(index, holder, code)
        if marked is None or unit_type in marked[1]:
            continue
        where, allowed = marked
        said = f"{quote(code)}" if where == code else f"{quote(code)} (under {quote(where)})"
        yield Finding(
            where=element,
            key=key,
            message=f"code {quote(element.code)} maps to {said} for {unit_type} units "
            f"({UNIT_TYPE_NAMES[unit_type]}: {example}), but {quote(where)} is for "
            + ", ".join(allowed)
            + " units only; "
            + (
                "use maps_to_by_unit_type to map each unit type to its own code"
                if element.maps_to_by_unit_type is None
                else f"map {unit_type} to a code meant for it"
            ),
        )


RULES = (
    code_length,
    parent_exists,
    code_unique,
    maps_to_valid,
    name_hygiene,
    dates_consistent,
    code_digits,
    retired_successor,
    agency_superior,
    provenance_recorded,
    agency_unit_type,
    mapping_per_unit_type,
)
