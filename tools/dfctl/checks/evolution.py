"""Rules that compare element sets with a base revision (``dfctl validate --base REV``).

Codes are compared within one set identity (set_code, fiscal_year, mof_div_code), whatever files
hold it: moving codes between the files of a set is not a change. A new fiscal year is a new set,
so the ministry's yearly revision is added as new files, and the old year's set stays.

A set identity that vanished entirely has no file left to point at. It is reported once, at the
``set_code`` of the first remaining file (in path order) of the same set_code; when no file of that
set_code is left the rule says nothing (the deletion is plain in the change itself). Sets whose
set_code has a file that failed to load are skipped, and so are sets one of whose files at base
now fails to load (a file that does not parse names no set_code): their codes are not all known.

Names are compared after NFKC normalisation with whitespace collapsed, so fixing a name's hygiene
(DFP-ELE-005: stray spaces, full-width/half-width forms) is not a change of meaning.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from dfctl.checks.element_index import SetIndex, SetKey, position, quote, show_key
from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import ElementSet

_SHOWN_CODES = 5


def _unchanged(now: SetIndex, before: SetIndex, key: SetKey) -> bool:
    """The identity is held by the very same models at both revisions: the files were not
    touched (``validate`` loads them once for both), so nothing in them can have changed."""
    current, earlier = now.files.get(key), before.files.get(key)
    if current is None or earlier is None or len(current) != len(earlier):
        return False
    return all(a is b for a, b in zip(current, earlier, strict=True))


@repo_rule("DFP-EVO-001", Severity.ERROR)
def code_removed(ctx: CheckContext) -> Iterator[Finding]:
    """A code present at the base revision is still present: codes are retired, never deleted.

    A code that existed may have been used by payments and vouchers; keep it and retire it with
    ``end_date`` and ``successor`` so history still resolves.

    Passing:
        # at base
        - code: "2010150"
          name: 事业运行
          start_date: 2026-01-01
        # now
        - code: "2010150"
          name: 事业运行
          start_date: 2026-01-01
          end_date: 2026-06-30
          successor: "2010199"

    Failing:
        # at base
        - code: "2010150"
          name: 事业运行
          start_date: 2026-01-01
        # now: the element is deleted
    """
    if ctx.base is None:
        return
    now, before = SetIndex(ctx.repo), SetIndex(ctx.base)
    first_of_code: dict[str, ElementSet] = {}
    for sets in now.files.values():
        for element_set in sets:
            earlier = first_of_code.get(element_set.set_code)
            if earlier is None or element_set.src.file < earlier.src.file:
                first_of_code[element_set.set_code] = element_set
    unreadable = set(ctx.repo.paths) - set(ctx.repo.documents)
    for key, base_sets in before.files.items():
        if _unchanged(now, before, key):
            continue
        if not now.known(key[0]) or any(s.src.file in unreadable for s in base_sets):
            continue
        current = now.files.get(key)
        if current is None:
            other = first_of_code.get(key[0])
            if other is not None:
                count = len(before.codes(key))
                yield Finding(
                    where=other,
                    key="set_code",
                    message=f"set {show_key(key)} ({base_sets[0].src.file} at base, {count} "
                    "codes) is gone; keep it and retire its codes (end_date, successor) instead",
                )
            continue
        codes = now.codes(key)
        by_file = {element_set.src.file: element_set for element_set in current}
        for code, old in before.codes(key).items():
            if code in codes:
                continue
            old_set = before.home(key, old)
            target = by_file.get(old_set.src.file, current[0])
            yield Finding(
                where=target,
                key="elements",
                at_key=True,
                message=f"code {quote(code)} ({position(old_set, old)} at base) is "
                f"gone from set {show_key(key)}; retire it (end_date, successor) instead of "
                "deleting it",
            )


def _meaning(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).split())


@repo_rule("DFP-EVO-002", Severity.ERROR)
def name_changed(ctx: CheckContext) -> Iterator[Finding]:
    """A code keeps its name: a new meaning needs a new code.

    Reports, payments and budgets of earlier months carry the code; renaming it would change
    what they say. Fixing stray whitespace or full-width/half-width forms is not a renaming.

    Passing:
        # at base
        - code: "20101"
          name: "人大事务 "
        # now
        - code: "20101"
          name: 人大事务

    Failing:
        # at base
        - code: "20101"
          name: 人大事务
        # now
        - code: "20101"
          name: 政协事务
    """
    if ctx.base is None:
        return
    now, before = SetIndex(ctx.repo), SetIndex(ctx.base)
    for key, current in now.files.items():
        if key not in before.files or _unchanged(now, before, key):
            continue
        base_codes = before.codes(key)
        for element_set in current:
            for element in element_set.elements:
                old = base_codes.get(element.code)
                if old is None or old.name == element.name:
                    continue
                if _meaning(old.name) == _meaning(element.name):
                    continue
                old_set = before.home(key, old)
                yield Finding(
                    where=element,
                    key="name",
                    message=f"code {quote(element.code)} was named {quote(old.name)} "
                    f"at base ({position(old_set, old, 'name')}); a code keeps its "
                    "meaning: retire it and add a new code instead",
                )


@repo_rule("DFP-EVO-003", Severity.ERROR)
def mapping_changed(ctx: CheckContext) -> Iterator[Finding]:
    """A code keeps the code it maps to (部门经济分类 → 政府经济分类) within a fiscal year.

    Spending already recorded under the departmental code rolled up to the government code it
    mapped to; changing the mapping mid-year would move it. A new year's set may map differently.
    Adding a mapping where there was none is allowed.

    Passing:
        # at base
        - code: "30101"
          maps_to: "50101"
        # now
        - code: "30101"
          maps_to: "50101"

    Failing:
        # at base
        - code: "30101"
          maps_to: "50101"
        # now
        - code: "30101"
          maps_to: "50102"
    """
    if ctx.base is None:
        return
    now, before = SetIndex(ctx.repo), SetIndex(ctx.base)
    for key, current in now.files.items():
        if key not in before.files or _unchanged(now, before, key):
            continue
        base_codes = before.codes(key)
        for element_set in current:
            for element in element_set.elements:
                old = base_codes.get(element.code)
                if old is None or old.maps_to is None or old.maps_to == element.maps_to:
                    continue
                old_set = before.home(key, old)
                new = quote(element.maps_to) if element.maps_to is not None else "nothing"
                yield Finding(
                    where=element,
                    key="maps_to" if element.maps_to is not None else "code",
                    message=f"code {quote(element.code)} mapped to {quote(old.maps_to)} at base "
                    f"({position(old_set, old, 'maps_to')}) and now maps to {new}; "
                    "a code keeps its mapping within a fiscal year",
                )


RULES = (code_removed, name_changed, mapping_changed)
