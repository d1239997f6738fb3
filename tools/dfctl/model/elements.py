"""ElementSet: one code set of the province's business element standards (业务标准要素)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dfctl.model.base import CODE_PATTERN, Day, Document, MofDivCode, Strict, Text, kind_field

SetCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]

UnitType = Literal["administrative", "civil-service-managed", "public-institution"]
"""单位类型 of an agency, as the government economic classification tells them apart:
administrative (行政单位), civil-service-managed (参照公务员法管理事业单位, 参公: classified like
行政单位), public-institution (其他事业单位)."""

UNIT_TYPES: tuple[UnitType, ...] = ("administrative", "civil-service-managed", "public-institution")
UNIT_TYPE_NAMES: dict[str, str] = {
    "administrative": "行政单位",
    "civil-service-managed": "参照公务员法管理事业单位",
    "public-institution": "其他事业单位",
}
MAPS_LIKE: dict[UnitType, UnitType] = {"civil-service-managed": "administrative"}
"""A unit type whose departmental codes map like another's when it has no mapping of its own:
参公事业单位 are classified with the 机关 (501-504), like 行政单位."""

ProvenanceStatus = Literal["imported", "official-unverified", "from-memory"]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Correction(Strict):
    """Codes whose name or mapping was wrong in this repository and is put right.

    A code keeps its meaning (DFP-EVO-002, DFP-EVO-003); a correction added in the same change
    as the new values says that the old values were a typing mistake, not the meaning, and
    which notice gives the right ones.
    """

    date: Day = Field(description="when the correction was made")
    codes: list[Annotated[str, Field(min_length=1)]] = Field(
        min_length=1, description="the corrected codes"
    )
    fields: list[Literal["name", "maps_to"]] = Field(
        min_length=1,
        description="what was corrected: the name, the mapping (maps_to and "
        "maps_to_by_unit_type), or both",
    )
    notice: Text = Field(
        description="the notice or published list that gives the right values, e.g. "
        "财预〔2025〕12号 附件"
    )
    reason: Text = Field(description="what was wrong")


class Provenance(Strict):
    """Where a set's codes came from, so a reviewer can check a change against its source."""

    status: ProvenanceStatus = Field(
        description="imported: taken in from the issuer's file by `dfctl elements import`; "
        "official-unverified: typed in from the notice, not checked against its file; "
        "from-memory: written from memory, never to be taken as official"
    )
    notice: str | None = Field(default=None, description="文号, e.g. 财预〔2025〕12号")
    issuer: str | None = Field(default=None, description="who issued it, e.g. 财政部")
    issued_on: Day | None = Field(default=None, description="the notice's date")
    file: str | None = Field(default=None, description="the name of the file taken in")
    sha256: Sha256 | None = Field(default=None, description="SHA-256 of the file taken in")
    imported_on: Day | None = Field(default=None, description="when the file was taken in")
    notes: str | None = Field(
        default=None, description="what was checked, against what, and what to verify"
    )
    corrections: list[Correction] = Field(
        default_factory=list,
        description="names or mappings recorded wrongly and put right, each citing the notice "
        "that gives the right values",
    )


class Element(Strict):
    """One code. Level and leafness follow from the code's length and the set's structure."""

    code: str = Field(
        description='the code as a string of ASCII digits, e.g. "2010101"',
        json_schema_extra={"pattern": CODE_PATTERN},
    )
    name: str = Field(description="the code's name, e.g. 行政运行")
    start_date: Day = Field(description="the first day the code may be used")
    end_date: Day | None = Field(
        default=None, description="the last day it may be used: set when the code is retired"
    )
    enabled: bool = Field(default=True, description="false: kept for history, no longer chosen")
    successor: str | None = Field(
        default=None,
        description="the code that replaces a retired one",
        json_schema_extra={"pattern": CODE_PATTERN},
    )
    maps_to: str | None = Field(
        default=None, description="departmental economic codes: the government economic code"
    )
    unit_level: Literal["primary", "secondary", "basic"] | None = Field(
        default=None, description="agencies: 一级 (primary), 二级 (secondary) or 基层 (basic) unit"
    )
    superior: str | None = Field(
        default=None,
        description="agencies: the unit above this one",
        json_schema_extra={"pattern": CODE_PATTERN},
    )
    remark: str | None = Field(default=None, description="a note for people")
    unit_type: UnitType | None = Field(
        default=None,
        description="agencies: 行政单位 (administrative), 参照公务员法管理事业单位 "
        "(civil-service-managed) or 其他事业单位 (public-institution)",
    )
    maps_to_by_unit_type: dict[UnitType, str] | None = Field(
        default=None,
        description="departmental economic codes that map differently per unit type, e.g. "
        '{administrative: "50101", public-institution: "50501"}; civil-service-managed units '
        "use the administrative mapping unless given their own",
    )
    unit_types: list[UnitType] | None = Field(
        default=None,
        description="government economic codes for some unit types only (501-504 机关, "
        "505-506 事业单位); children inherit it",
    )

    def mapping_for(self, unit_type: UnitType) -> str | None:
        """The code this element maps to for agencies of ``unit_type``."""
        by_type = self.maps_to_by_unit_type
        if by_type is None:
            return self.maps_to
        found = by_type.get(unit_type)
        like = MAPS_LIKE.get(unit_type)
        if found is None and like is not None:
            found = by_type.get(like)
        return found


class ElementSet(Document):
    KIND = "ElementSet"
    kind: Literal["ElementSet"] = kind_field("ElementSet")
    set_code: SetCode = Field(description="the element's code in the catalog, e.g. exp_func")
    name: Text = Field(description="the set's name, e.g. 支出功能分类科目")
    fiscal_year: int = Field(ge=2000, le=2100, description="the fiscal year the codes are for")
    mof_div_code: MofDivCode = Field(description="the division that maintains this set")
    management: Literal["ministry", "province", "city", "county"] = Field(
        description="who maintains the codes: the Ministry, the province, the city or a county"
    )
    structure: list[Annotated[int, Field(ge=1, le=9)]] = Field(
        min_length=1, description="层码结构: digits added at each level, e.g. [3, 2, 2]"
    )
    extensible: bool = Field(default=False, description="lower divisions may add children")
    maps_to: SetCode | None = Field(
        default=None, description="the set every leaf maps to (部门经济分类 → 政府经济分类)"
    )
    elements: list[Element] = Field(min_length=1, description="the codes, one row each")
    provenance: Provenance | None = Field(
        default=None, description="the notice and file the codes came from (DFP-ELE-010)"
    )

    def identity(self) -> str:
        return f"{self.set_code}/{self.fiscal_year}/{self.mof_div_code}"

    def level_of(self, code: str) -> int | None:
        """1-based level of a code of this length, or None when no level has that length."""
        total = 0
        for level, width in enumerate(self.structure, start=1):
            total += width
            if len(code) == total:
                return level
        return None

    def parent_of(self, code: str) -> str | None:
        level = self.level_of(code)
        if level is None or level == 1:
            return None
        return code[: sum(self.structure[: level - 1])]
