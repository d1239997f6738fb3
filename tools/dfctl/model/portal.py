"""Systems integrated into the unified portal (统一门户) and the access policies that open paths."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dfctl.model.base import (
    Cidr,
    Day,
    DnsLabel,
    Document,
    Identifier,
    MofDivCode,
    Port,
    SecretRef,
    Stage,
    Strict,
    Text,
    kind_field,
)


class Menu(Strict):
    group: Text = Field(description="the portal menu group it is listed under")
    order: int = Field(ge=0, description="its place in the group, smallest first")


class SystemNetwork(Strict):
    namespaces: dict[Stage, DnsLabel] = Field(
        default_factory=dict, description="platform systems: their namespace in each stage"
    )
    cidrs: list[Cidr] = Field(
        default_factory=list, description="systems outside the cluster: their networks"
    )


class PortalSystem(Document):
    KIND = "PortalSystem"
    kind: Literal["PortalSystem"] = kind_field("PortalSystem")
    id: Identifier = Field(description="the system's id, e.g. budget-mgmt")
    name: Text = Field(description="the system's name, e.g. 预算管理系统")
    owner: Text = Field(description="the department responsible for the system")
    contact: Text = Field(description="who answers for it: name and phone or mail")
    category: Literal["platform", "integrated"] = Field(
        description="platform: part of 数字财政; integrated: another system joined to the portal"
    )
    exposure: Literal["internal", "public"] = Field(
        description="internal: government network only; public: reachable from the internet"
    )
    url: str = Field(pattern=r"^https://[^\s/]+(/\S*)?$", description="its https:// address")
    sso: Literal["oauth2", "cas", "saml2", "none"] = Field(
        description="how the portal signs users in to it"
    )
    client_secret: SecretRef | None = Field(
        default=None, description="its SSO client secret, as a reference into the secret store"
    )
    regions: list[MofDivCode] = Field(min_length=1, description="the divisions that use it")
    environments: list[Literal["acceptance", "pre-release", "production"]] = Field(
        min_length=1, description="the stages it is integrated in"
    )
    menu: Menu = Field(description="where the portal lists it")
    network: SystemNetwork = Field(description="where it runs, for access policies")

    def identity(self) -> str:
        return self.id


class Endpoint(Strict):
    """Exactly one of: a known system, a namespace, or a network range."""

    system: str | None = Field(default=None, description="a portal system or data hub peer id")
    namespace: DnsLabel | None = Field(default=None, description="a namespace of the cluster")
    cidr: Cidr | None = Field(default=None, description="a network outside the cluster")
    description: str | None = Field(default=None, description="what the endpoint is, for people")


class AccessPolicy(Document):
    KIND = "AccessPolicy"
    kind: Literal["AccessPolicy"] = kind_field("AccessPolicy")
    id: str = Field(pattern=r"^AP-\d{4}-\d{4}$", description="AP-YEAR-NUMBER, e.g. AP-2026-0015")
    title: Text = Field(description="what the path is for")
    environment: Stage = Field(description="the stage whose network it opens")
    source: Endpoint = Field(description="where connections come from")
    destination: Endpoint = Field(description="where they go")
    ports: list[Port] = Field(
        min_length=1,
        description="the destination ports, each once",
        json_schema_extra={"uniqueItems": True},
    )
    protocol: Literal["TCP", "UDP"] = Field(description="the transport protocol")
    ticket: str | None = Field(
        default=None,
        description="the ticket it was requested under, e.g. TAPD-1020384",
        json_schema_extra={"pattern": r"^[A-Z][A-Z0-9]*-[0-9]+$"},
    )
    requested_by: Text = Field(description="who asked for the path")
    approver: Text = Field(description="who approved it (security)")
    approved_on: Day = Field(description="the day it was approved")
    expires_on: Day | None = Field(
        default=None, description="the last day it is open; at most a year after approval"
    )
    reason: str | None = Field(
        default=None,
        description="why the path is needed; required for a source open to every address",
    )

    def identity(self) -> str:
        return self.id
