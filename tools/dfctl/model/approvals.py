"""ApprovalPolicy (approvals.yaml): who must approve which paths and which kinds of change, and
what a change needs.

Two kinds of rule. A **path rule** (``paths``) applies to the files a change touches: for each
file the first path rule (in file order) with a matching pattern decides, so specific rules come
first and a catch-all ``**`` last. ``*`` matches within one folder, ``**`` across folders. A file
no path rule matches is uncovered: the gate refuses it, never waves it through. A **content
rule** (``changes``) applies to what the change does to the environments, as the review diff
computes it (:class:`ChangeItem`): every content rule that matches any changed object applies,
wherever its file lives. A change needs the union of both.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from pydantic import Field

from dfctl.model.base import STAGES, Document, Identifier, Stage, Strict, Text, kind_field

PublicKey = Annotated[
    str,
    Field(
        pattern=r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com"
        r"|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}$",
        description="an SSH public key as in authorized_keys, without a comment",
    ),
]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]

# What the review diff can say a change does (its risk flags, diff/risk.py), for content rules.
FlagCode = Literal[
    "release",
    "deletion",
    "external-path",
    "control-rule-relaxed",
    "province-item",
    "scale",
    "code-retired",
    "code-removed",
    "local-code-retired",
    "local-code-removed",
]
FLAG_CODES: tuple[str, ...] = get_args(FlagCode)


class Member(Strict):
    name: Text = Field(description="the person's name, as in an Approved-by trailer")
    email: Email = Field(description="the address their approvals carry")
    public_key: PublicKey | None = Field(
        default=None,
        description="the key this member signs commits with; with a signature policy, who wrote "
        "a commit is the member whose key signed it",
    )


class Group(Strict):
    description: Text = Field(description="who the group is")
    members: list[Member] = Field(min_length=1, description="the people in it")


class Requirement(Strict):
    group: Identifier = Field(description="a group of this file")
    count: int = Field(default=1, ge=1, description="how many of its members must approve")


class ChangeMatch(Strict):
    """Which changed objects a content rule applies to: an object matches when it satisfies
    every key given (an environment listed, a cluster listed, a flag listed)."""

    environments: list[Stage] = Field(
        default_factory=list, description="stages whose changed objects match, e.g. production"
    )
    clusters: list[Text] = Field(
        default_factory=list,
        description="cluster names; configservice for the configuration service",
    )
    flags: list[FlagCode] = Field(
        default_factory=list, description="risk flags of the review diff, e.g. code-removed"
    )

    def matches(self, item: ChangeItem) -> bool:
        return (
            (not self.environments or item.environment in self.environments)
            and (not self.clusters or item.target in self.clusters)
            and (not self.flags or not set(self.flags).isdisjoint(item.flags))
        )

    @property
    def empty(self) -> bool:
        return not (self.environments or self.clusters or self.flags)


class ApprovalRule(Strict):
    name: Text = Field(description="what the rule protects")
    paths: list[Text] = Field(
        default_factory=list, description="glob patterns, ** crosses folders (a path rule)"
    )
    changes: ChangeMatch | None = Field(
        default=None, description="what a change does to the environments (a content rule)"
    )
    require: list[Requirement] = Field(min_length=1, description="the approvals a change needs")


class BreakGlass(Strict):
    group: Identifier = Field(description="the group that may approve outside a change window")
    count: int = Field(default=2, ge=2, description="how many of its members must approve")


class Signer(Strict):
    """A key allowed to sign merge commits on main (GitLab's instance key): what a commit signed
    by it says (its merger, its Approved-by trailers) is that signer's statement."""

    name: Text = Field(description="whose key it is")
    email: Email = Field(description="the address the key signs as")
    public_key: PublicKey


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
        """The first path rule with a pattern that matches ``path``."""
        for rule in self.rules:
            if any(path_pattern(p).match(path) for p in rule.paths):
                return rule
        return None

    @property
    def content_rules(self) -> list[ApprovalRule]:
        return [rule for rule in self.rules if rule.changes is not None]

    def needs_for(
        self, paths: Iterable[str], items: Iterable[ChangeItem] = ()
    ) -> tuple[list[Need], list[str]]:
        """What changing ``paths`` with the effects ``items`` needs, group by group, and the
        paths no path rule covers."""
        needs = NeedsBuilder()
        uncovered = self.collect(needs, paths, items)
        return needs.needs(), uncovered

    def collect(
        self, needs: NeedsBuilder, paths: Iterable[str], items: Iterable[ChangeItem] = ()
    ) -> list[str]:
        """Add what ``paths`` and ``items`` need to ``needs``; the paths no path rule covers."""
        uncovered: list[str] = []
        for path in sorted(set(paths)):
            rule = self.rule_for(path)
            if rule is None:
                uncovered.append(path)
                continue
            needs.add(rule.name, rule.require, path=path)
        for item in sorted(set(items)):
            for rule in self.content_rules:
                assert rule.changes is not None
                if rule.changes.matches(item):
                    needs.add(rule.name, rule.require, change=item.what)
        return uncovered

    def member(self, email: str) -> Member | None:
        """The member with this email (compared without regard to case)."""
        wanted = email.lower()
        for group in self.groups.values():
            for member in group.members:
                if member.email.lower() == wanted:
                    return member
        return None

    def groups_of(self, email: str) -> set[str]:
        """The groups the member with this email belongs to."""
        wanted = email.lower()
        return {
            name
            for name, group in self.groups.items()
            if any(m.email.lower() == wanted for m in group.members)
        }


@dataclass(frozen=True, order=True)
class ChangeItem:
    """One thing a change does to an environment, as the review diff found it: an object of a
    cluster or of the configuration service (``target``), or the environment itself (``target``
    empty, e.g. its release), with the risk flags raised on it. ``what`` names it for people."""

    environment: str
    target: str
    what: str
    flags: tuple[str, ...] = ()  # sorted


class NeedsBuilder:
    """Requirements gathered rule by rule into one Need per group (the largest count wins)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._rules: dict[str, list[str]] = {}
        self._paths: dict[str, list[str]] = {}
        self._changes: dict[str, list[str]] = {}

    def add(
        self,
        rule: str,
        require: Iterable[Requirement],
        *,
        path: str | None = None,
        change: str | None = None,
    ) -> None:
        for requirement in require:
            group = requirement.group
            self._counts[group] = max(self._counts.get(group, 0), requirement.count)
            if rule not in self._rules.setdefault(group, []):
                self._rules[group].append(rule)
            for value, found in ((path, self._paths), (change, self._changes)):
                listed = found.setdefault(group, [])
                if value is not None and value not in listed:
                    listed.append(value)

    def needs(self) -> list[Need]:
        return [
            Need(
                group,
                self._counts[group],
                tuple(self._rules[group]),
                tuple(self._paths[group]),
                tuple(self._changes[group]),
            )
            for group in sorted(self._counts)
        ]


@dataclass(frozen=True)
class Need:
    """``count`` distinct approvers from ``group``, asked for by ``rules`` for the files
    ``paths`` and the changed objects ``changes``."""

    group: str
    count: int
    rules: tuple[str, ...]
    paths: tuple[str, ...]
    changes: tuple[str, ...] = ()

    def describe(self) -> str:
        return (
            f"{plural(self.count, 'approval')} from {self.group} "
            f"({'; '.join(self.rules)}: {self.what()})"
        )

    def what(self) -> str:
        """The first file (or changed object) and how many more."""
        if not self.paths:
            return _first_and_more(self.changes, "change")
        files = _first_and_more(self.paths, "file")
        if not self.changes:
            return files
        return f"{files}; {plural(len(self.changes), 'changed object')}"


def _first_and_more(items: tuple[str, ...], what: str) -> str:
    more = len(items) - 1
    return f"{items[0]} and {plural(more, f'more {what}')}" if more else items[0]


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


# --- approvals.yaml protects itself ------------------------------------------------------------


@dataclass(frozen=True)
class Weakening:
    """A way a change to approvals.yaml lets ``group``'s approval be needed less, or be given by
    someone it was not: then ``count`` approvals of that group (as many as it weakens) must
    approve the change."""

    group: str
    what: str
    count: int = 1


def _sample(pattern: str) -> str:
    """A path the glob matches (each wildcard as ``x``)."""
    return pattern.replace("**/", "x/").replace("**", "x").replace("*", "x").replace("?", "x")


def _counts(needs: Iterable[Need]) -> dict[str, int]:
    return {need.group: need.count for need in needs}


def _content_probes(policy: ApprovalPolicy) -> list[ChangeItem]:
    """A changed object of every kind a content rule of ``policy`` applies to."""
    probes = []
    for rule in policy.content_rules:
        assert rule.changes is not None
        match = rule.changes
        environments: list[str] = list(match.environments) or list(STAGES)
        flags: list[tuple[str, ...]] = [(f,) for f in match.flags] or [()]
        for env in environments:
            for target in match.clusters or [""]:
                for flag in flags:
                    shown = " ".join(filter(None, (env, target, *flag)))
                    probes.append(ChangeItem(env, target, f"a change of {shown}", flag))
    return probes


def _fewer_approvals(
    before: ApprovalPolicy, after: ApprovalPolicy, paths: Iterable[str]
) -> Iterator[Weakening]:
    """Files and kinds of change that need fewer approvals of a group under ``after``: the
    files given, and a file for each pattern of either policy (a widened pattern reaches files
    no one has written yet)."""
    patterns = [p for policy in (before, after) for rule in policy.rules for p in rule.paths]
    probes = {*paths, *(_sample(p) for p in patterns)}
    cases: list[tuple[str, list[str], list[ChangeItem]]] = [
        (path, [path], []) for path in sorted(probes)
    ]
    cases += [(item.what, [], [item]) for item in _content_probes(before)]
    for what, files, items in cases:
        old, _ = before.needs_for(files, items)
        new, _ = after.needs_for(files, items)
        now = _counts(new)
        for group, count in _counts(old).items():
            if now.get(group, 0) < count:
                yield Weakening(
                    group, f"{what} needs {now.get(group, 0)} of its {count} approvals", count
                )


def _new_members(before: ApprovalPolicy, after: ApprovalPolicy) -> Iterator[Weakening]:
    """Members added to a group, or given another key: they could approve (or sign) as it."""
    for name, group in before.groups.items():
        members = {m.email.lower(): m for m in group.members}
        count = max(
            (r.count for rule in before.rules for r in rule.require if r.group == name), default=1
        )
        for member in after.groups[name].members if name in after.groups else []:
            old = members.get(member.email.lower())
            if old is None:
                yield Weakening(name, f"adds {member.name} <{member.email}> to {name}", count)
            elif member.public_key != old.public_key:
                yield Weakening(name, f"gives {member.name} another public key", count)


def _looser_gate(before: ApprovalPolicy, after: ApprovalPolicy) -> Iterator[Weakening]:
    """Break-glass that needs less, a signature policy dropped or given more keys."""
    old, new = before.break_glass, after.break_glass
    if new.group != old.group or new.count < old.count:
        yield Weakening(
            old.group,
            f"break-glass needs {new.count} from {new.group} instead of {old.count} from "
            f"{old.group}",
            old.count,
        )
    if before.signatures is None:
        return
    kept = {s.public_key for s in before.signatures.signers}
    if after.signatures is None:
        loosened = "drops the signature policy"
    else:
        added = [s.name for s in after.signatures.signers if s.public_key not in kept]
        loosened = f"adds signing keys ({', '.join(added)})" if added else ""
    if loosened:  # signatures protect every group's approvals from being forged
        yield from (Weakening(name, loosened) for name in before.groups)


def weakenings(
    before: ApprovalPolicy, after: ApprovalPolicy, paths: Iterable[str] = ()
) -> list[Weakening]:
    """How ``after`` weakens ``before``: a file (of ``paths``, or one a rule's pattern names) or
    a kind of change that needs fewer approvals of a group; a member added to a group, or given
    another key; break-glass or the signature policy loosened. The first reason of each kind
    for each group."""
    found: dict[tuple[str, str], Weakening] = {}
    for kind, weakened in (
        ("fewer", _fewer_approvals(before, after, paths)),
        ("members", _new_members(before, after)),
        ("gate", _looser_gate(before, after)),
    ):
        for weakening in weakened:
            found.setdefault((weakening.group, kind), weakening)
    return sorted(found.values(), key=lambda w: (w.group, w.what))
