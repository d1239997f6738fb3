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

A name or mapping that was mistyped is put right with a correction in the set's provenance
(``provenance.corrections``: the codes, the fields, the notice that gives the right values). A
correction excuses the changes it names only in the change that adds it: once it is at the base,
it excuses nothing more, so it cannot cover a later renaming.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from dfctl.checks.element_index import SetIndex, SetKey, position, quote, show_key
from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import ElementSet
from dfctl.model.elements import UNIT_TYPES, Correction, Element, Provenance

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


def _provenance(index: SetIndex, key: SetKey) -> Provenance | None:
    """The provenance of the identity's first file (in path order) that records one."""
    for element_set in sorted(index.files.get(key, ()), key=lambda s: s.src.file):
        if element_set.provenance is not None:
            return element_set.provenance
    return None


def _corrections(index: SetIndex, key: SetKey) -> list[Correction]:
    return [c for s in index.files.get(key, ()) if s.provenance for c in s.provenance.corrections]


def new_corrections(now: SetIndex, before: SetIndex, key: SetKey) -> dict[str, set[str]]:
    """Code -> the fields that corrections added since the base say were mistyped."""
    at_base = [c.model_dump() for c in _corrections(before, key)]
    found: dict[str, set[str]] = {}
    for correction in _corrections(now, key):
        if correction.model_dump() in at_base:
            continue
        for code in correction.codes:
            found.setdefault(code, set()).update(correction.fields)
    return found


@repo_rule("DFP-EVO-002", Severity.ERROR)
def name_changed(ctx: CheckContext) -> Iterator[Finding]:
    """A code keeps its name: a new meaning needs a new code.

    Reports, payments and budgets of earlier months carry the code; renaming it would change
    what they say. Fixing stray whitespace or full-width/half-width forms is not a renaming, and
    neither is putting right a mistyped name with a correction added in the same change
    (``provenance.corrections`` naming the code, ``fields: [name]`` and the notice).

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
        corrected = new_corrections(now, before, key)
        for element_set in current:
            for element in element_set.elements:
                old = base_codes.get(element.code)
                if old is None or old.name == element.name:
                    continue
                if _meaning(old.name) == _meaning(element.name):
                    continue
                if "name" in corrected.get(element.code, ()):
                    continue
                old_set = before.home(key, old)
                yield Finding(
                    where=element,
                    key="name",
                    message=f"code {quote(element.code)} was named {quote(old.name)} "
                    f"at base ({position(old_set, old, 'name')}); a code keeps its "
                    "meaning: retire it and add a new code instead, or, if the name was "
                    "mistyped, record a correction in provenance.corrections",
                )


@repo_rule("DFP-EVO-003", Severity.ERROR)
def mapping_changed(ctx: CheckContext) -> Iterator[Finding]:
    """A code keeps the code it maps to (部门经济分类 → 政府经济分类) within a fiscal year.

    Spending already recorded under the departmental code rolled up to the government code it
    mapped to; changing the mapping mid-year would move it. The mapping is compared for every
    unit type (``maps_to`` is the mapping of all of them). A new year's set may map
    differently. Adding a mapping where there was none is allowed, and so is putting right a
    mistyped mapping with a correction added in the same change (``provenance.corrections``
    naming the code, ``fields: [maps_to]`` and the notice).

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
        # now: public institutions' salaries move from 50101 to 50501 mid-year
        - code: "30101"
          maps_to_by_unit_type: {administrative: "50101", public-institution: "50501"}
    """
    if ctx.base is None:
        return
    now, before = SetIndex(ctx.repo), SetIndex(ctx.base)
    for key, current in now.files.items():
        if key not in before.files or _unchanged(now, before, key):
            continue
        base_codes = before.codes(key)
        corrected = new_corrections(now, before, key)
        for element_set in current:
            for element in element_set.elements:
                old = base_codes.get(element.code)
                if old is None or "maps_to" in corrected.get(element.code, ()):
                    continue
                finding = _mapping_change(old, element, before.home(key, old))
                if finding is not None:
                    yield finding


def _mapping_change(old: Element, new: Element, old_set: ElementSet) -> Finding | None:
    if old.maps_to_by_unit_type is None and new.maps_to_by_unit_type is None:
        if old.maps_to is None or old.maps_to == new.maps_to:
            return None
        shown = quote(new.maps_to) if new.maps_to is not None else "nothing"
        return Finding(
            where=new,
            key="maps_to" if new.maps_to is not None else "code",
            message=f"code {quote(new.code)} mapped to {quote(old.maps_to)} at base "
            f"({position(old_set, old, 'maps_to')}) and now maps to {shown}; "
            "a code keeps its mapping within a fiscal year",
        )
    moved: dict[tuple[str, str], list[str]] = {}
    for unit_type in UNIT_TYPES:
        was, now = old.mapping_for(unit_type), new.mapping_for(unit_type)
        if was is not None and was != now:
            shown = quote(now) if now is not None else "nothing"
            moved.setdefault((was, shown), []).append(unit_type)
    if not moved:
        return None
    old_key = "maps_to" if old.maps_to_by_unit_type is None else "maps_to_by_unit_type"
    new_key = "maps_to_by_unit_type" if new.maps_to_by_unit_type is not None else "maps_to"
    changes = "; ".join(
        f"for {' and '.join(types)} units it mapped to {quote(was)} and now maps to {now}"
        for (was, now), types in moved.items()
    )
    return Finding(
        where=new,
        key=new_key if getattr(new, new_key) is not None else "code",
        message=f"code {quote(new.code)} changes its mapping since base "
        f"({position(old_set, old, old_key)}): {changes}; a code keeps its mapping within a "
        "fiscal year",
    )


def _changed_codes(now: SetIndex, before: SetIndex, key: SetKey) -> list[str]:
    new, old = now.codes(key), before.codes(key)
    changed = [code for code in old if code not in new]
    for code, element in new.items():
        was = old.get(code)
        if was is None or was.model_dump() != element.model_dump():
            changed.append(code)
    return sorted(changed)


@repo_rule("DFP-EVO-004", Severity.ERROR)
def imported_set_edited(ctx: CheckContext) -> Iterator[Finding]:
    """An imported set changes only with a new import or a correction that says why.

    A set with ``status: imported`` claims to be what the issuer's file says (its sha256). Codes
    edited by hand while the provenance still names the same file no longer match that claim:
    import the new file (``dfctl elements import``), or record the change as a correction with
    the notice that justifies it.

    Passing:
        # the codes change, and provenance names the new file
        provenance:
          status: imported
          notice: 财预〔2026〕3号
          sha256: 4b7e…(the new file)

    Failing:
        # at base and now
        provenance:
          status: imported
          notice: 财预〔2025〕12号
          sha256: 9f2c…
        # now: a name edited by hand
        - code: "20101"
          name: 人大事务（调整）
    """
    if ctx.base is None:
        return
    now, before = SetIndex(ctx.repo), SetIndex(ctx.base)
    for key in now.files:
        provenance, was = _provenance(now, key), _provenance(before, key)
        if provenance is None or was is None or provenance.status != "imported":
            continue
        if (provenance.file, provenance.sha256) != (was.file, was.sha256):
            continue
        corrected = new_corrections(now, before, key)
        changed = [code for code in _changed_codes(now, before, key) if code not in corrected]
        if not changed:
            continue
        shown = ", ".join(quote(c) for c in changed[:_SHOWN_CODES])
        more = f" and {len(changed) - _SHOWN_CODES} more" if len(changed) > _SHOWN_CODES else ""
        yield Finding(
            where=provenance,
            key="sha256",
            message=f"set {show_key(key)} changed since base ({shown}{more}) but its provenance "
            f"still names the imported file {quote(provenance.file or '')}; import the new "
            "file with `dfctl elements import`, or record the change in "
            "provenance.corrections",
        )


RULES = (code_removed, name_changed, mapping_changed, imported_set_edited)
