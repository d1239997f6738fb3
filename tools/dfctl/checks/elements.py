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
    parent_lengths,
    position,
    quote,
    show_key,
)
from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model.elements import Element, ElementSet

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
    """Leaves of a set with maps_to map to a code of that set; other sets map nothing.

    部门预算支出经济分类 (dep_bgt_eco) maps each leaf to one 政府预算支出经济分类 (gov_bgt_eco) code
    of the same fiscal year, in the same division or one above. A leaf is a code with no children
    in its set. A set whose ``maps_to`` set does not exist is DFP-REF-001.

    Passing:
        set_code: dep_bgt_eco
        maps_to: gov_bgt_eco
        elements:
          - code: "301"
            name: 工资福利支出
          - code: "30101"
            name: 基本工资
            maps_to: "50101"

    Failing:
        set_code: dep_bgt_eco
        maps_to: gov_bgt_eco
        elements:
          - code: "30101"
            name: 基本工资             # a leaf without maps_to
          - code: "30102"
            name: 津贴补贴
            maps_to: "50109"           # gov_bgt_eco has no 50109
    """
    index = SetIndex(ctx.repo)
    for key, element_sets in index.files.items():
        parents: set[str] = set()
        if any(element_set.maps_to is not None for element_set in element_sets):
            for element_set in element_sets:
                lengths = parent_lengths(element_set)
                parents.update(
                    element.code[:cut]
                    for element in element_set.elements
                    if (cut := lengths.get(len(element.code)))
                )
        for element_set in element_sets:
            target = element_set.maps_to
            if target is None:
                for element in element_set.elements:
                    if element.maps_to is not None:
                        yield Finding(
                            where=element,
                            key="maps_to",
                            message=f"code {quote(element.code)} maps to {quote(element.maps_to)} "
                            f"but set {element_set.set_code} declares no maps_to set",
                        )
                continue
            targets = index.lineage((target, key[1], key[2]))
            resolvable = bool(targets) and index.known(target)
            for element in element_set.elements:
                if element.maps_to is None:
                    if element.code not in parents:
                        yield Finding(
                            where=element,
                            key="code",
                            message=f"leaf code {quote(element.code)} has no maps_to; set "
                            f"{element_set.set_code} maps every leaf to a {target} code",
                        )
                elif resolvable and not any(element.maps_to in index.codes(t) for t in targets):
                    yield Finding(
                        where=element,
                        key="maps_to",
                        message=f"maps_to {quote(element.maps_to)} is not a code of "
                        + " or ".join(show_key(t) for t in targets),
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
)
