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

# Shapes a dfctl rule checks with its own id and a better message than a schema error (a
# quantity's value, a CIDR's host bits, a code's digits …). The models leave them to the rules;
# the JSON Schemas in schemas/ carry what JSON Schema can say of them, so that an editor flags a
# mistake while it is typed. ECMA-262 and Python read these patterns alike (no \d, no \w).
QUANTITY_PATTERN = r"^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[eE][+-]?[0-9]+|[numkMGTPE])?$"
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
CIDR_PATTERN = (
    rf"^(({_OCTET}\.){{3}}{_OCTET}/(3[0-2]|[12]?[0-9])"
    r"|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))$"
)
DNS_LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
CODE_PATTERN = r"^[0-9]+$"
VERSION_PATTERN = r"^[0-9]+\.[0-9]+\.[0-9]+$"

Quantity = Annotated[
    str | int,
    Field(
        description="Kubernetes quantity, e.g. 500m, 4, 16Gi; never negative",
        json_schema_extra={"pattern": QUANTITY_PATTERN, "minimum": 0},
    ),
]
Cidr = Annotated[
    str,
    Field(
        description="an IPv4 or IPv6 network in CIDR notation, e.g. 10.20.0.0/16 (no host bits)",
        json_schema_extra={"pattern": CIDR_PATTERN},
    ),
]
Port = Annotated[
    int, Field(description="a TCP or UDP port", json_schema_extra={"minimum": 1, "maximum": 65535})
]
DnsLabel = Annotated[
    str,
    Field(
        description="a DNS-1123 label: a-z, 0-9 and '-', at most 63 characters",
        json_schema_extra={"pattern": DNS_LABEL_PATTERN, "maxLength": 63},
    ),
]
Code = Annotated[
    str,
    Field(
        description='an element code, ASCII digits as a string, e.g. "2010101"',
        json_schema_extra={"pattern": CODE_PATTERN},
    ),
]
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
    api_version: ApiVersion = Field(
        alias="apiVersion", description="the format version of the file: dfp.config/v1"
    )
    kind: str = Field(description="what the file describes; names its schema in schemas/")

    def identity(self) -> str:
        """The name other files use to refer to this document."""
        raise NotImplementedError


def kind_field(kind: str) -> Any:
    return Field(description=f"always {kind}", json_schema_extra={"const": kind})
