"""System configuration items (系统级配置项) and monitoring control rules (控制规则)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dfctl.model.base import (
    Document,
    Domain,
    JsonObject,
    JsonValue,
    ManagementLevel,
    Strict,
    Text,
    kind_field,
)

ConfigKey = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$",
        max_length=120,
        description="dotted key, domain first, e.g. execution.payment.single_limit",
    ),
]
RuleId = Annotated[
    str, Field(pattern=r"^[A-Z]{2,5}-[A-Z]{2,5}-\d{3}$", description="e.g. BGT-IND-001")
]
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
    name: Text = Field(description="the item's name, e.g. 计划与支付控制口径")
    type: Literal["boolean", "integer", "number", "string", "object", "array"] = Field(
        description="the JSON type of the value"
    )
    value_schema: JsonObject = Field(alias="schema", description="JSON Schema of the value")
    default: JsonValue = Field(description="the value where no region overrides it")
    management_level: ManagementLevel
    description: str | None = Field(default=None, description="what the item controls")
    retains: list[RecordKind] | None = Field(
        default=None,
        description="a retention period in days: the accounting records (会计档案) it keeps, "
        "e.g. [accounting-voucher] for payment vouchers and receipts",
    )


class ConfigItemSet(Document):
    KIND = "ConfigItemSet"
    kind: Literal["ConfigItemSet"] = kind_field("ConfigItemSet")
    domain: Domain = Field(description="the domain whose items these are; one set per domain")
    items: list[ConfigItem] = Field(min_length=1, description="the items, keyed by key")

    def identity(self) -> str:
        return self.domain


class Threshold(Strict):
    """A number a rule compares with, written in the rule rather than in a configuration item."""

    name: Text = Field(description="what the number is, as the condition says it, e.g. 现金比例")
    value: int | float = Field(
        ge=0,
        description="the number in unit: at most 100 for percent and percentage-points, a whole "
        "number for days and count",
    )
    unit: Literal["yuan", "percent", "percentage-points", "days", "count"] = Field(
        description="yuan (元), percent, percentage-points (百分点), days or count"
    )


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
    thresholds: list[Threshold] = Field(
        default_factory=list,
        description="numbers the rule compares with that no configuration item holds",
    )
    fields: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]] = Field(
        default_factory=list,
        description="other business fields the rule reads (payee account, settlement method …)",
    )


class ControlRule(Strict):
    """A 预算执行动态监控 rule. Levels and handlings are the platform's numeric codes."""

    id: RuleId
    name: Text = Field(description="the rule's name, e.g. 指标超额分解")
    warning_level: Literal[1, 2, 3, 4, 5] = Field(description="1 黄 2 橙 3 红 4 灰 5 蓝")
    handling: Literal[1, 2, 3, 4, 5] = Field(description="1 预警 2 拦截 3 冻结 4 禁止 5 记录")
    trigger: Literal[1, 2] = Field(description="1 事中 (real time), 2 定时 (scheduled)")
    attachment_required: bool = Field(default=False, description="橙 warnings need an attachment")
    schedule: str | None = Field(default=None, description="cron expression of a scheduled rule")
    management_level: ManagementLevel
    enabled: bool = Field(default=True, description="false: the rule does not run")
    condition: Text = Field(description="when the rule fires, as the platform states it")
    description: str | None = Field(default=None, description="why the rule exists")
    reads: RuleInputs | None = Field(
        default=None,
        description="the codes, configuration items, thresholds and fields the condition "
        "reads; the condition stays as the human-readable text",
    )


class ControlRuleSet(Document):
    KIND = "ControlRuleSet"
    kind: Literal["ControlRuleSet"] = kind_field("ControlRuleSet")
    domain: Domain = Field(description="the domain whose rules these are")
    rules: list[ControlRule] = Field(min_length=1, description="the rules, keyed by id")
    fiscal_year: int | None = Field(
        default=None,
        ge=2000,
        le=2100,
        description="the fiscal year whose element sets the rules' codes belong to",
    )

    def identity(self) -> str:
        return self.domain
