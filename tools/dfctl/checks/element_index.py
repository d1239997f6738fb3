"""An index of the loaded element sets, shared by the element, reference and evolution rules.

A set's identity is (set_code, fiscal_year, mof_div_code); one identity may be split over several
files, so codes are indexed per identity, never per file. Lower divisions may add children under a
higher division's codes when that set is ``extensible``, so lookups fall back to the same set_code
and fiscal year of the divisions above (county → city → province).
"""

from __future__ import annotations

import json

from dfctl.load.repo import Repo
from dfctl.model.elements import Element, ElementSet

SetKey = tuple[str, int, str]  # (set_code, fiscal_year, mof_div_code)


def quote(text: str) -> str:
    """``text`` in double quotes, with invisible characters such as tabs escaped."""
    return json.dumps(text, ensure_ascii=False)


def set_key(element_set: ElementSet) -> SetKey:
    return (element_set.set_code, element_set.fiscal_year, element_set.mof_div_code)


def show_key(key: SetKey) -> str:
    return f"{key[0]}/{key[1]}/{key[2]}"


def position(element_set: ElementSet, element: Element, key: str = "code") -> str:
    """``file:line`` of an element's key, for messages that point at an earlier definition."""
    line, _ = element.src.at(key)
    return f"{element_set.src.file}:{line}"


def ancestor_divisions(mof_div_code: str) -> list[str]:
    """The divisions above ``mof_div_code``, nearest first (county → city → province)."""
    found: list[str] = []
    for keep in (6, 4, 2):
        candidate = mof_div_code[:keep].ljust(len(mof_div_code), "0")
        if candidate != mof_div_code and candidate not in found:
            found.append(candidate)
    return found


def parent_lengths(element_set: ElementSet) -> dict[int, int]:
    """Code length → length of its parent's code (0 at the first level), for each level.

    The model's ``parent_of`` answers the same per call; rules over 200,000 codes ask once per
    file instead.
    """
    found: dict[int, int] = {}
    total = 0
    for width in element_set.structure:
        found[total + width] = total
        total += width
    return found


class SetIndex:
    """Element sets grouped by identity; each identity's codes are indexed on first use.

    Lookups return elements and identities that already exist rather than new pairs: building
    hundreds of thousands of small objects wakes the garbage collector, which then walks every
    loaded model.
    """

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.files: dict[SetKey, list[ElementSet]] = {}
        for element_set in repo.of(ElementSet):
            self.files.setdefault(set_key(element_set), []).append(element_set)
        self._codes: dict[SetKey, dict[str, Element]] = {}
        self._homes: dict[SetKey, dict[int, ElementSet]] = {}
        self._above: dict[SetKey, list[SetKey]] = {}
        self._later: dict[SetKey, list[SetKey]] = {}
        self._parents: dict[SetKey, set[str]] = {}
        self._years: dict[tuple[str, str], list[int]] = {}
        for set_code, year, division in self.files:
            self._years.setdefault((set_code, division), []).append(year)

    def codes(self, key: SetKey) -> dict[str, Element]:
        """Every code of the identity, at its first occurrence (files in path order)."""
        found = self._codes.get(key)
        if found is None:
            found = {}
            for element_set in self.files.get(key, ()):
                for element in element_set.elements:
                    found.setdefault(element.code, element)
            self._codes[key] = found
        return found

    def parents(self, key: SetKey) -> set[str]:
        """The codes of the identity that have a child in it (its non-leaves)."""
        found = self._parents.get(key)
        if found is None:
            found = set()
            for element_set in self.files.get(key, ()):
                lengths = parent_lengths(element_set)
                found.update(
                    element.code[:cut]
                    for element in element_set.elements
                    if (cut := lengths.get(len(element.code)))
                )
            self._parents[key] = found
        return found

    def home(self, key: SetKey, element: Element) -> ElementSet:
        """The file of the identity that holds ``element``; for messages, so built on demand."""
        homes = self._homes.get(key)
        if homes is None:
            homes = self._homes[key] = {
                id(e): element_set for element_set in self.files[key] for e in element_set.elements
            }
        return homes[id(element)]

    def known(self, set_code: str) -> bool:
        """False when a file of this set_code failed to load, so its codes are not all known."""
        return not self.repo.could_not_load(ElementSet, set_code)

    def above(self, key: SetKey) -> list[SetKey]:
        """The same set in the divisions above the identity's, nearest first, as present."""
        found = self._above.get(key)
        if found is None:
            set_code, year, division = key
            candidates = [(set_code, year, d) for d in ancestor_divisions(division)]
            found = self._above[key] = [k for k in candidates if k in self.files]
        return found

    def lineage(self, key: SetKey) -> list[SetKey]:
        """The identity and the same set in the divisions above it, nearest first, as present."""
        return ([key] if key in self.files else []) + self.above(key)

    def holder(self, key: SetKey, code: str) -> SetKey | None:
        """The identity that has ``code``: ``key`` itself, or the nearest division above."""
        if code in self.codes(key):
            return key
        for candidate in self.above(key):
            if code in self.codes(candidate):
                return candidate
        return None

    def successor_sets(self, key: SetKey) -> list[SetKey]:
        """The identity and the same set of later fiscal years, which a successor may come from."""
        found = self._later.get(key)
        if found is None:
            set_code, year, division = key
            years = sorted(y for y in self._years.get((set_code, division), []) if y >= year)
            found = self._later[key] = [(set_code, y, division) for y in years]
        return found
