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


class ApprovalPolicy(Document):
    KIND = "ApprovalPolicy"
    kind: Literal["ApprovalPolicy"]
    groups: dict[Identifier, Group] = Field(min_length=1)
    rules: list[ApprovalRule] = Field(min_length=1)
    break_glass: BreakGlass

    def identity(self) -> str:
        return "approvals"
