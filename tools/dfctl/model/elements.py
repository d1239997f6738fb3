"""ElementSet: one code set of the province's business element standards (业务标准要素)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dfctl.model.base import CODE_PATTERN, Day, Document, MofDivCode, Strict, Text, kind_field

SetCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


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
