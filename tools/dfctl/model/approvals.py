"""ApprovalPolicy (approvals.yaml): who must approve which paths."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dfctl.model.base import Document, Identifier, Strict, Text


class Member(Strict):
    name: Text
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Group(Strict):
    description: Text
    members: list[Member] = Field(min_length=1)


class Requirement(Strict):
    group: Identifier
    count: int = Field(default=1, ge=1)


class ApprovalRule(Strict):
    name: Text
    paths: list[Text] = Field(min_length=1, description="glob patterns, ** crosses folders")
    require: list[Requirement] = Field(min_length=1)


class BreakGlass(Strict):
    group: Identifier
    count: int = Field(default=2, ge=2)


class Signer(Strict):
    """A key allowed to sign merge commits on main (GitLab's instance key, a maintainer's key)."""

    name: Text
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    public_key: str = Field(
        pattern=r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com"
        r"|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}$",
        description="an SSH public key as in authorized_keys, without a comment",
    )


class SignaturePolicy(Strict):
    """When present, every merge commit must carry a valid SSH signature by one of ``signers``."""

    signers: list[Signer] = Field(min_length=1)


class ApprovalPolicy(Document):
    KIND = "ApprovalPolicy"
    kind: Literal["ApprovalPolicy"]
    groups: dict[Identifier, Group] = Field(min_length=1)
    rules: list[ApprovalRule] = Field(min_length=1)
    break_glass: BreakGlass
    signatures: SignaturePolicy | None = None

    def identity(self) -> str:
        return "approvals"
