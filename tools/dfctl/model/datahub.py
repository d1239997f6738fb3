"""Data hub (数据中枢): external peers and the interfaces hooked to the hub."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dfctl.model.base import Document, Identifier, Stage, Text


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
    schedule: str | None = Field(default=None, description="cron expression, for batch interfaces")
    message_types: list[str] = Field(default_factory=list, description="e.g. TIPS 5201, 3501")
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
