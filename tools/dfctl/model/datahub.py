"""Data hub (数据中枢): external peers and the interfaces hooked to the hub."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dfctl.model.base import Document, Identifier, MofDivCode, Stage, Text


class DatahubPeer(Document):
    """An organisation outside the platform that exchanges data with it (a bank, 人民银行 …)."""

    KIND = "DatahubPeer"
    kind: Literal["DatahubPeer"]
    id: Identifier
    name: Text
    category: Literal["pbc", "agent-bank", "non-tax", "procurement", "government", "other"]
    bank_code: str | None = Field(
        default=None, pattern=r"^\d{3}$", description="agent banks: 行别代码"
    )
    cidrs: list[str] = Field(default_factory=list)
    contact: Text
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
    kind: Literal["DatahubInterface"]
    id: Identifier
    name: Text
    provider: Text = Field(description="the system or peer that sends the data")
    consumer: Text = Field(description="the system or peer that receives it")
    protocol: Literal["rest", "mq", "file", "db"]
    direction: Literal["inbound", "outbound"] = Field(description="relative to the data hub")
    mode: Literal["online", "batch"]
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
    environments: list[Stage] = Field(min_length=1)
    owner: Text

    def identity(self) -> str:
        return self.id
