"""Release: one version of the province's platform catalog, its components pinned by digest."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dfctl.model.base import Day, Document, Domain, Identifier, Strict, Text, kind_field


class Component(Strict):
    name: Identifier = Field(description="the component's name, e.g. bgt-server")
    domain: Domain = Field(description="the domain the component belongs to")
    image: Text = Field(
        description="registry/repository:tag@sha256:<64 hex>",
        json_schema_extra={"pattern": r"^[^\s@]+@sha256:[0-9a-f]{64}$"},
    )


class Release(Document):
    KIND = "Release"
    kind: Literal["Release"] = kind_field("Release")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$", description="MAJOR.MINOR.PATCH, e.g. 3.7.2")
    published: Day = Field(description="the day the province published it")
    title: Text = Field(description="the release's name for people")
    notes: str | None = Field(default=None, description="what changed, in brief")
    components: list[Component] = Field(
        min_length=1, description="every component's image, pinned by digest"
    )

    def identity(self) -> str:
        return self.version

    def sort_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split("."))
