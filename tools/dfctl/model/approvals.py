"""ApprovalPolicy (approvals.yaml): who must approve which paths, and what a change needs.

Which rule applies to a file: the first rule (in file order) with a matching pattern, so
specific rules come first and a catch-all ``**`` last. ``*`` matches within one folder, ``**``
across folders. A file no rule matches is uncovered: the gate refuses it, never waves it
through.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from dfctl.model.base import Document, Identifier, Strict, Text, kind_field

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Member(Strict):
    name: Text = Field(description="the person's name, as in an Approved-by trailer")
    email: str = Field(pattern=_EMAIL, description="the address their approvals carry")


class Group(Strict):
    description: Text = Field(description="who the group is")
    members: list[Member] = Field(min_length=1, description="the people in it")


class Requirement(Strict):
    group: Identifier = Field(description="a group of this file")
    count: int = Field(default=1, ge=1, description="how many of its members must approve")


class ApprovalRule(Strict):
    name: Text = Field(description="what the rule protects")
    paths: list[Text] = Field(min_length=1, description="glob patterns, ** crosses folders")
    require: list[Requirement] = Field(min_length=1, description="the approvals a change needs")


class BreakGlass(Strict):
    group: Identifier = Field(description="the group that may approve outside a change window")
    count: int = Field(default=2, ge=2, description="how many of its members must approve")


class Signer(Strict):
    """A key allowed to sign merge commits on main (GitLab's instance key, a maintainer's key)."""

    name: Text = Field(description="whose key it is")
    email: str = Field(pattern=_EMAIL, description="the address the key signs as")
    public_key: str = Field(
        pattern=r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com"
        r"|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}$",
        description="an SSH public key as in authorized_keys, without a comment",
    )


class SignaturePolicy(Strict):
    """When present, every merge commit must carry a valid SSH signature by one of ``signers``."""

    signers: list[Signer] = Field(min_length=1, description="the keys allowed to sign")


class ApprovalPolicy(Document):
    KIND = "ApprovalPolicy"
    kind: Literal["ApprovalPolicy"] = kind_field("ApprovalPolicy")
    groups: dict[Identifier, Group] = Field(min_length=1, description="approver groups by id")
    rules: list[ApprovalRule] = Field(
        min_length=1, description="which paths need whose approval; the first match applies"
    )
    break_glass: BreakGlass = Field(description="who may approve an emergency change")
    signatures: SignaturePolicy | None = Field(
        default=None, description="when present, merge commits must be signed"
    )

    def identity(self) -> str:
        return "approvals"

    def rule_for(self, path: str) -> ApprovalRule | None:
        """The first rule with a pattern that matches ``path``."""
        for rule in self.rules:
            if any(path_pattern(p).match(path) for p in rule.paths):
                return rule
        return None

    def needs_for(self, paths: Iterable[str]) -> tuple[list[Need], list[str]]:
        """What changing ``paths`` needs, group by group, and the paths no rule covers."""
        counts: dict[str, int] = {}
        rules: dict[str, list[str]] = {}
        covered: dict[str, list[str]] = {}
        uncovered: list[str] = []
        for path in sorted(set(paths)):
            rule = self.rule_for(path)
            if rule is None:
                uncovered.append(path)
                continue
            for requirement in rule.require:
                group = requirement.group
                counts[group] = max(counts.get(group, 0), requirement.count)
                if rule.name not in rules.setdefault(group, []):
                    rules[group].append(rule.name)
                covered.setdefault(group, []).append(path)
        needs = [
            Need(group, counts[group], tuple(rules[group]), tuple(covered[group]))
            for group in sorted(counts)
        ]
        return needs, uncovered


@dataclass(frozen=True)
class Need:
    """``count`` distinct approvers from ``group``, asked for by ``rules`` for ``paths``."""

    group: str
    count: int
    rules: tuple[str, ...]
    paths: tuple[str, ...]

    def describe(self) -> str:
        shown = self.paths[0]
        more = len(self.paths) - 1
        files = f"{shown} and {more} more file{'s' if more > 1 else ''}" if more else shown
        return (
            f"{plural(self.count, 'approval')} from {self.group} ({'; '.join(self.rules)}: {files})"
        )


def plural(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


@functools.cache
def path_pattern(glob: str) -> re.Pattern[str]:
    """A compiled ``glob``: ``**/`` any folders, ``**`` anything, ``*`` and ``?`` within one."""
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")
