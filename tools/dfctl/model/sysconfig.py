"""System configuration items (系统级配置项) and monitoring control rules (控制规则)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dfctl.model.base import Document, Domain, JsonObject, JsonValue, ManagementLevel, Strict, Text

ConfigKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$", max_length=120)]
RuleId = Annotated[str, Field(pattern=r"^[A-Z]{2,5}-[A-Z]{2,5}-\d{3}$")]
RecordKind = Literal[
    "accounting-voucher",
    "treasury-voucher",
    "ledger",
    "periodic-report",
    "annual-report",
    "treasury-annual-report",
    "bank-reconciliation",
    "bank-statement",
    "tax-return",
    "handover-register",
    "custody-register",
    "destruction-register",
    "appraisal-opinion",
]
"""Accounting records (会计档案) as 会计档案管理办法 (财政部 国家档案局令第79号, 2015) lists them,
each with its legal minimum retention (DFP-RET-001 holds the table)."""


class ConfigItem(Strict):
    key: ConfigKey
    name: Text
    type: Literal["boolean", "integer", "number", "string", "object", "array"]
    value_schema: JsonObject = Field(alias="schema", description="JSON Schema of the value")
    default: JsonValue
    management_level: ManagementLevel
    description: str | None = None
    retains: list[RecordKind] | None = Field(
        default=None,
        description="a retention period in days: the accounting records (会计档案) it keeps, "
        "e.g. [accounting-voucher] for payment vouchers and receipts",
    )


class ConfigItemSet(Document):
    KIND = "ConfigItemSet"
    kind: Literal["ConfigItemSet"]
    domain: Domain
    items: list[ConfigItem] = Field(min_length=1)

    def identity(self) -> str:
        return self.domain


class Threshold(Strict):
    """A number a rule compares with, written in the rule rather than in a configuration item."""

    name: Text
    value: int | float = Field(ge=0)
    unit: Literal["yuan", "percent", "percentage-points", "days", "count"]


class RuleInputs(Strict):
    """What a control rule reads, as data: checked against the element sets of the rule set's
    fiscal year and the configuration items (DFP-CTL-005, DFP-CTL-006)."""

    codes: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], list[str]] = Field(
        default_factory=dict,
        description='element codes by set, e.g. {dep_bgt_eco: ["30212", "30217"]}; a code '
        "stands for itself and every code below it",
    )
    config_items: list[ConfigKey] = Field(
        default_factory=list, description="configuration items whose values the rule reads"
    )
    thresholds: list[Threshold] = Field(default_factory=list)
    fields: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]] = Field(
        default_factory=list,
        description="other business fields the rule reads (payee account, settlement method …)",
    )


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
    reads: RuleInputs | None = Field(
        default=None,
        description="the codes, configuration items, thresholds and fields the condition "
        "reads; the condition stays as the human-readable text",
    )


class ControlRuleSet(Document):
    KIND = "ControlRuleSet"
    kind: Literal["ControlRuleSet"]
    domain: Domain
    rules: list[ControlRule] = Field(min_length=1)
    fiscal_year: int | None = Field(
        default=None,
        ge=2000,
        le=2100,
        description="the fiscal year whose element sets the rules' codes belong to",
    )

    def identity(self) -> str:
        return self.domain
