"""Systems integrated into the unified portal (统一门户) and the access policies that open paths."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dfctl.model.base import Day, Document, Identifier, MofDivCode, SecretRef, Stage, Strict, Text


class Menu(Strict):
    group: Text
    order: int = Field(ge=0)


class SystemNetwork(Strict):
    namespaces: dict[Stage, str] = Field(
        default_factory=dict, description="platform systems: their namespace in each stage"
    )
    cidrs: list[str] = Field(default_factory=list, description="systems outside the cluster")


class PortalSystem(Document):
    KIND = "PortalSystem"
    kind: Literal["PortalSystem"]
    id: Identifier
    name: Text
    owner: Text = Field(description="the department responsible for the system")
    contact: Text
    category: Literal["platform", "integrated"] = Field(
        description="platform: part of 数字财政; integrated: another system joined to the portal"
    )
    exposure: Literal["internal", "public"]
    url: str = Field(pattern=r"^https://[^\s/]+(/\S*)?$")
    sso: Literal["oauth2", "cas", "saml2", "none"]
    client_secret: SecretRef | None = None
    regions: list[MofDivCode] = Field(min_length=1)
    environments: list[Literal["acceptance", "pre-release", "production"]] = Field(min_length=1)
    menu: Menu
    network: SystemNetwork

    def identity(self) -> str:
        return self.id


class Endpoint(Strict):
    """Exactly one of: a known system, a namespace, or a network range."""

    system: str | None = None
    namespace: str | None = None
    cidr: str | None = None
    description: str | None = None


class AccessPolicy(Document):
    KIND = "AccessPolicy"
    kind: Literal["AccessPolicy"]
    id: str = Field(pattern=r"^AP-\d{4}-\d{4}$")
    title: Text
    environment: Stage
    source: Endpoint
    destination: Endpoint
    ports: list[int] = Field(min_length=1)
    protocol: Literal["TCP", "UDP"]
    ticket: str | None = None
    requested_by: Text
    approver: Text
    approved_on: Day
    expires_on: Day | None = None
    reason: str | None = Field(
        default=None,
        description="why the path is needed; required for a source open to every address",
    )

    def identity(self) -> str:
        return self.id
