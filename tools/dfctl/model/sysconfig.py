"""System configuration items (系统级配置项) and monitoring control rules (控制规则)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dfctl.model.base import Document, Domain, JsonObject, JsonValue, ManagementLevel, Strict, Text

ConfigKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$", max_length=120)]
RuleId = Annotated[str, Field(pattern=r"^[A-Z]{2,5}-[A-Z]{2,5}-\d{3}$")]


class ConfigItem(Strict):
    key: ConfigKey
    name: Text
    type: Literal["boolean", "integer", "number", "string", "object", "array"]
    value_schema: JsonObject = Field(alias="schema", description="JSON Schema of the value")
    default: JsonValue
    management_level: ManagementLevel
    description: str | None = None


class ConfigItemSet(Document):
    KIND = "ConfigItemSet"
    kind: Literal["ConfigItemSet"]
    domain: Domain
    items: list[ConfigItem] = Field(min_length=1)

    def identity(self) -> str:
        return self.domain


class ControlRule(Strict):
    """A 预算执行动态监控 rule. Levels and handlings are the platform's numeric codes."""

    id: RuleId
    name: Text
    warning_level: Literal[1, 2, 3, 4, 5] = Field(description="1 黄 2 橙 3 红 4 灰 5 蓝")
    handling: Literal[1, 2, 3, 4, 5] = Field(description="1 预警 2 拦截 3 冻结 4 禁止 5 记录")
    trigger: Literal[1, 2] = Field(description="1 事中 (real time), 2 定时 (scheduled)")
    attachment_required: bool = Field(default=False, description="橙 warnings need an attachment")
    schedule: str | None = Field(default=None, description="cron expression of a scheduled rule")
    management_level: ManagementLevel
    enabled: bool = True
    condition: Text
    description: str | None = None


class ControlRuleSet(Document):
    KIND = "ControlRuleSet"
    kind: Literal["ControlRuleSet"]
    domain: Domain
    rules: list[ControlRule] = Field(min_length=1)

    def identity(self) -> str:
        return self.domain
