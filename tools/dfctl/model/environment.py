"""Environment: one stage of the platform (验收 / 预发布 / 生产) and what runs there."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dfctl.model.base import (
    VERSION_PATTERN,
    Day,
    Document,
    JsonValue,
    MofDivCode,
    Stage,
    Strict,
    Text,
    Ticket,
    kind_field,
)

# The configuration service as a target, named beside an environment's clusters: in plans and
# reviews (render.state) and in approvals.yaml's content rules (changes.clusters).
CONFIG_SERVICE = "configservice"

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM")]


class Region(Strict):
    """A finance division served by the environment, keyed by its 财政区划 code."""

    mof_div_code: MofDivCode
    name: Text = Field(description="the division's name, e.g. XX市本级")
    level: Literal["province", "city", "county"] = Field(
        description="province (ends in 0000000), city (ends in 00000) or county (ends in 000)"
    )


class ComponentPin(Strict):
    """A single component held at another release than the environment's (a hotfix)."""

    component: Text = Field(description="a component name of the release catalog")
    version: Text = Field(
        description="the catalog version whose image of the component runs",
        json_schema_extra={"pattern": VERSION_PATTERN},
    )
    ticket: Ticket


class ReleasePin(Strict):
    version: Text = Field(
        description="a version from standards/releases/",
        json_schema_extra={"pattern": VERSION_PATTERN},
    )
    hotfixes: list[ComponentPin] = Field(
        default_factory=list, description="components held at another release (hotfixes)"
    )


class ChangeWindow(Strict):
    """When changes may be applied (Asia/Shanghai). An end before the start crosses midnight."""

    days: list[Weekday] = Field(min_length=1, description="the weekdays the window is open")
    start: ClockTime
    end: ClockTime


class Freeze(Strict):
    """Dates when nothing may be applied, e.g. the fiscal year-end close (年终决算)."""

    name: Text = Field(description="what the freeze is for, e.g. 年终决算")
    start: Day = Field(description="the first day of the freeze")
    end: Day = Field(description="the last day of the freeze")
    reason: str | None = Field(default=None, description="why nothing may be applied then")


class ConfigOverride(Strict):
    """A region's own value for a configuration item the province lets cities or counties set."""

    key: Text = Field(
        description="the configuration item's key, e.g. execution.payment.single_limit",
        json_schema_extra={"pattern": r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"},
    )
    mof_div_code: MofDivCode
    value: JsonValue = Field(description="the region's value; must fit the item's schema")
    ticket: Ticket
    reason: Text = Field(description="why the region needs its own value")


EtcdEndpoint = Annotated[
    str,
    Field(
        pattern=r"^https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?:[0-9]{1,5}$",
        description="an etcd client URL, https://HOST:PORT (credentials never go here)",
    ),
]


class ConfigService(Strict):
    """The etcd v3 cluster the platform's services read their configuration from."""

    endpoints: list[EtcdEndpoint] = Field(
        min_length=1, description="the etcd client URLs of the configuration service"
    )


class Environment(Document):
    KIND = "Environment"
    kind: Literal["Environment"] = kind_field("Environment")
    name: Stage = Field(description="the stage this environment is; also its folder name")
    title: Text = Field(description="the environment's name for people, e.g. 生产环境")
    clusters: list[Text] = Field(min_length=1, description="the clusters it runs on, by name")
    regions: list[Region] = Field(min_length=1, description="the finance divisions it serves")
    release: ReleasePin = Field(description="the province release it runs")
    timezone: Literal["Asia/Shanghai"] = Field(
        default="Asia/Shanghai", description="the time zone of its change windows and freezes"
    )
    change_windows: list[ChangeWindow] = Field(
        default_factory=list, description="when changes may be applied; none: at any time"
    )
    freezes: list[Freeze] = Field(default_factory=list, description="when nothing may be applied")
    config_overrides: list[ConfigOverride] = Field(
        default_factory=list, description="regions' own values of configuration items"
    )
    config_service: ConfigService | None = Field(
        default=None, description="where its configuration service (etcd) runs"
    )

    def identity(self) -> str:
        return self.name
