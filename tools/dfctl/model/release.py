"""Release: one version of the province's platform catalog, its components pinned by digest."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dfctl.model.base import Day, Document, Domain, Identifier, Strict, Text


class Component(Strict):
    name: Identifier
    domain: Domain
    image: Text = Field(description="registry/repository:tag@sha256:<64 hex>")


class Release(Document):
    KIND = "Release"
    kind: Literal["Release"]
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    published: Day
    title: Text
    notes: str | None = None
    components: list[Component] = Field(min_length=1)

    def identity(self) -> str:
        return self.version

    def sort_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split("."))
