"""Shared building blocks of every kind: strict parsing, the envelope, and source positions."""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Mapping
from itertools import chain
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr

from dfctl import API_VERSION

ApiVersion = Literal["dfp.config/v1"]
assert API_VERSION == "dfp.config/v1"

# Dates are written as YAML strings (YAML 1.2 has no timestamp type); parse them leniently.
Day = Annotated[dt.date, Field(strict=False, json_schema_extra={"format": "date"})]
MofDivCode = Annotated[
    str,
    Field(
        pattern=r"^\d{9}$",
        description=(
            "9-digit finance division code (财政区划): province 2 + city 2 + county 2 + suffix 3"
        ),
    ),
]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*[a-z0-9]$", max_length=63)]
Ticket = Annotated[
    str, Field(pattern=r"^[A-Z][A-Z0-9]*-\d+$", description="change ticket, e.g. TAPD-1020384")
]
Text = Annotated[str, Field(min_length=1)]
Quantity = Annotated[str | int, Field(description="Kubernetes quantity, e.g. 500m, 4, 16Gi")]
SecretRef = Annotated[
    str,
    Field(
        pattern=r"^secret://[a-z0-9-]+/[A-Za-z0-9_./-]+$",
        description="a reference into the secret store, never the secret itself",
    ),
]


def _plain(value: Any) -> Any:
    """Free-form values (a default, a schema) as plain dicts and lists, without reader positions."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


JsonValue = Annotated[Any, BeforeValidator(_plain)]
JsonObject = Annotated[dict[str, Any], BeforeValidator(_plain)]
Stage = Literal["acceptance", "pre-release", "production"]
STAGES: tuple[str, ...] = ("acceptance", "pre-release", "production")
Domain = Literal[
    "budget",
    "execution",
    "accounting",
    "portal",
    "datahub",
    "masterdata",
    "business-platform",
    "tech-platform",
]
ManagementLevel = Annotated[
    Literal[1, 2, 3],
    Field(description="管理级次: 1 province-managed (never relaxed by a city), 2 city, 3 county"),
]


class Source:
    """Where a model object was written: its own position and, per key, where the value starts.

    A province-sized repository has a quarter of a million of these, so they are kept small: the
    key names are one tuple shared by every object written with the same keys, and the
    positions are packed into an array of four unsigned ints per key (key line, key column,
    value line, value column) instead of a dict of tuples of int objects.
    """

    __slots__ = ("_names", "_positions", "column", "file", "line")

    def __init__(
        self, file: str, line: int, column: int, keys: Mapping[str, tuple[int, int, int, int]]
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        names = tuple(keys)
        self._names = _SHARED_NAMES.setdefault(names, names)
        self._positions = array("I", chain.from_iterable(keys.values()))

    @property
    def keys(self) -> dict[str, tuple[int, int, int, int]]:
        """Key -> (key line, key column, value line, value column), built on each call."""
        p = self._positions
        return {
            name: (p[i * 4], p[i * 4 + 1], p[i * 4 + 2], p[i * 4 + 3])
            for i, name in enumerate(self._names)
        }

    def _slot(self, key: str) -> int:
        try:
            return self._names.index(key) * 4
        except ValueError:
            return -1

    def at(self, key: str | None = None) -> tuple[int, int]:
        """Line and column of ``key``'s value, or of the object itself when absent."""
        if key is not None:
            slot = self._slot(key)
            if slot >= 0:
                return self._positions[slot + 2], self._positions[slot + 3]
        return self.line, self.column

    def key_at(self, key: str) -> tuple[int, int]:
        slot = self._slot(key)
        if slot >= 0:
            return self._positions[slot], self._positions[slot + 1]
        return self.line, self.column


# key-name tuples shared by all Sources with the same keys (a few hundred distinct ones)
_SHARED_NAMES: dict[tuple[str, ...], tuple[str, ...]] = {}


_NOWHERE = Source("<unknown>", 1, 1, {})


class Strict(BaseModel):
    """Every model is strict (no type coercion), closed (unknown keys are errors) and frozen."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=False)
    _source: Source | None = PrivateAttr(default=None)

    @property
    def src(self) -> Source:
        # Read the private attribute's storage directly: pydantic's __getattr__ path for
        # private attributes costs microseconds, and rules and rendering ask millions of times.
        private = self.__pydantic_private__
        found = private.get("_source") if private else None
        return found or _NOWHERE


class Document(Strict):
    """The envelope every data file carries."""

    KIND: ClassVar[str] = ""
    api_version: ApiVersion = Field(alias="apiVersion")
    kind: str

    def identity(self) -> str:
        """The name other files use to refer to this document."""
        raise NotImplementedError


def kind_field(kind: str) -> Any:
    return Field(description=f"always {kind}", json_schema_extra={"const": kind})
