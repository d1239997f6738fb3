"""Data hub (数据中枢): external peers and the interfaces hooked to the hub."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dfctl.model.base import Cidr, Document, Identifier, MofDivCode, Stage, Text, kind_field


class DatahubPeer(Document):
    """An organisation outside the platform that exchanges data with it (a bank, 人民银行 …)."""

    KIND = "DatahubPeer"
    kind: Literal["DatahubPeer"] = kind_field("DatahubPeer")
    id: Identifier = Field(description="the peer's id, e.g. pbc-tips")
    name: Text = Field(description="the organisation's name")
    category: Literal["pbc", "agent-bank", "non-tax", "procurement", "government", "other"] = Field(
        description="pbc: 人民银行; agent-bank: 代理银行; non-tax: 非税; procurement: 政府采购"
    )
    bank_code: str | None = Field(
        default=None, pattern=r"^\d{3}$", description="agent banks: 行别代码"
    )
    cidrs: list[Cidr] = Field(default_factory=list, description="the networks it connects from")
    contact: Text = Field(description="who answers for the connection")
    region: MofDivCode | None = Field(
        default=None,
        description="the finance division the peer serves, e.g. a county treasury's county",
    )
    parent: str | None = Field(
        default=None,
        description="the peer id of the organisation above it, e.g. the city branch of the "
        "People's Bank above a county office",
    )

    def identity(self) -> str:
        return self.id


class DatahubInterface(Document):
    KIND = "DatahubInterface"
    kind: Literal["DatahubInterface"] = kind_field("DatahubInterface")
    id: Identifier = Field(description="the interface's id, e.g. tips-revenue-entry")
    name: Text = Field(description="the interface's name for people")
    provider: Text = Field(description="the system or peer that sends the data")
    consumer: Text = Field(description="the system or peer that receives it")
    protocol: Literal["rest", "mq", "file", "db"] = Field(description="how data is exchanged")
    direction: Literal["inbound", "outbound"] = Field(description="relative to the data hub")
    mode: Literal["online", "batch"] = Field(description="online: per request; batch: scheduled")
    channel: Literal["evoucher", "tips", "direct"] | None = Field(
        default=None,
        description="how the data travels: evoucher (电子凭证库: payment vouchers, receipts, "
        "clearing and reconciliation between the finance bureau, the treasury and the agent "
        "banks), tips (财税库银横向联网: tax and non-tax revenue), direct (a connection of its own)",
    )
    schedule: str | None = Field(default=None, description="cron expression, for batch interfaces")
    message_types: list[str] = Field(
        default_factory=list,
        description="message type numbers of the exchange standard the interface carries; list "
        "only numbers checked against the published standard (国库集中支付电子化 for the "
        "电子凭证库, the TIPS interface specification for TIPS)",
    )
    element_sets: list[str] = Field(
        default_factory=list, description="set codes whose codes it carries"
    )
    access_policies: dict[Stage, str] = Field(
        default_factory=dict, description="the AccessPolicy that opens its path, per stage"
    )
    environments: list[Stage] = Field(min_length=1, description="the stages it runs in")
    owner: Text = Field(description="who answers for the interface")

    def identity(self) -> str:
        return self.id
