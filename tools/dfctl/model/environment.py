"""Environment: one stage of the platform (验收 / 预发布 / 生产) and what runs there."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dfctl.model.base import Day, Document, JsonValue, MofDivCode, Stage, Strict, Text, Ticket

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM")]


class Region(Strict):
    """A finance division served by the environment, keyed by its 财政区划 code."""

    mof_div_code: MofDivCode
    name: Text
    level: Literal["province", "city", "county"]


class ComponentPin(Strict):
    """A single component held at another release than the environment's (a hotfix)."""

    component: Text
    version: Text
    ticket: Ticket


class ReleasePin(Strict):
    version: Text = Field(description="a version from standards/releases/")
    hotfixes: list[ComponentPin] = Field(default_factory=list)


class ChangeWindow(Strict):
    """When changes may be applied (Asia/Shanghai). An end before the start crosses midnight."""

    days: list[Weekday] = Field(min_length=1)
    start: ClockTime
    end: ClockTime


class Freeze(Strict):
    """Dates when nothing may be applied, e.g. the fiscal year-end close (年终决算)."""

    name: Text
    start: Day
    end: Day
    reason: str | None = None


class ConfigOverride(Strict):
    """A region's own value for a configuration item the province lets cities or counties set."""

    key: Text
    mof_div_code: MofDivCode
    value: JsonValue
    ticket: Ticket
    reason: Text


EtcdEndpoint = Annotated[
    str,
    Field(
        pattern=r"^https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?:[0-9]{1,5}$",
        description="an etcd client URL, https://HOST:PORT (credentials never go here)",
    ),
]


class ConfigService(Strict):
    """The etcd v3 cluster the platform's services read their configuration from."""

    endpoints: list[EtcdEndpoint] = Field(min_length=1)


class Environment(Document):
    KIND = "Environment"
    kind: Literal["Environment"]
    name: Stage = Field(description="the stage this environment is; also its folder name")
    title: Text
    clusters: list[Text] = Field(min_length=1)
    regions: list[Region] = Field(min_length=1)
    release: ReleasePin
    timezone: Literal["Asia/Shanghai"] = "Asia/Shanghai"
    change_windows: list[ChangeWindow] = Field(default_factory=list)
    freezes: list[Freeze] = Field(default_factory=list)
    config_overrides: list[ConfigOverride] = Field(default_factory=list)
    config_service: ConfigService | None = None

    def identity(self) -> str:
        return self.name
