"""Rules for access policies (访问策略): the approved network paths into and out of the platform,
and the network ranges that systems and data hub peers declare."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterator

from pydantic import TypeAdapter, ValidationError

from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import AccessPolicy, ApprovalPolicy, DatahubPeer, PortalSystem
from dfctl.model.base import Strict, Ticket
from dfctl.model.portal import Endpoint

PRODUCTION = "production"
MAX_APPROVAL_DAYS = 365
PUBLIC_PORTS = [443]
_TICKET: TypeAdapter[str] = TypeAdapter(Ticket)
_ENDPOINT_KEYS = ("system", "namespace", "cidr")


def _cidrs(ctx: CheckContext) -> Iterator[tuple[Strict, str, str, str | None]]:
    """(object, key, shown path, value) of every network range: policy endpoints, portal
    systems, data hub peers."""
    for policy in ctx.repo.of(AccessPolicy):
        yield policy.source, "cidr", "source.cidr", policy.source.cidr
        yield policy.destination, "cidr", "destination.cidr", policy.destination.cidr
    for system in ctx.repo.of(PortalSystem):
        for index, cidr in enumerate(system.network.cidrs):
            yield system.network, f"cidrs[{index}]", f"network.cidrs[{index}]", cidr
    for peer in ctx.repo.of(DatahubPeer):
        for index, cidr in enumerate(peer.cidrs):
            yield peer, f"cidrs[{index}]", f"cidrs[{index}]", cidr


def _cidr_problem(text: str) -> str | None:
    if "/" not in text:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return f'"{text}" is not an IPv4 or IPv6 range in CIDR notation, e.g. 10.20.0.0/16'
        return (
            f'"{text}" has no prefix length; for one address write {text}/{address.max_prefixlen}'
        )
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            return f'"{text}" is not an IPv4 or IPv6 range in CIDR notation, e.g. 10.20.0.0/16'
        return f'"{text}" has host bits set; the range is {network}'
    return None


@repo_rule("DFP-ACC-001", Severity.ERROR)
def cidrs_are_valid(ctx: CheckContext) -> Iterator[Finding]:
    """Network ranges are valid CIDR blocks with no host bits set.

    Checked: access policy endpoints, portal systems' network.cidrs and data hub peers' cidrs.

    Passing:
        source:
          cidr: 10.20.0.0/16

    Failing:
        source:
          cidr: 10.20.3.0/16        # host bits set: the range is 10.20.0.0/16
    """
    for obj, key, shown, cidr in _cidrs(ctx):
        problem = _cidr_problem(cidr) if cidr is not None else None
        if problem:
            yield Finding(obj, key, f"{shown} {problem}")


@repo_rule("DFP-ACC-002", Severity.ERROR)
def ports_are_valid(ctx: CheckContext) -> Iterator[Finding]:
    """An access policy's ports are within 1-65535 and listed once.

    Passing:
        ports: [443, 8443]

    Failing:
        ports: [443, 70000, 443]
    """
    for policy in ctx.repo.of(AccessPolicy):
        first: dict[int, int] = {}
        for index, port in enumerate(policy.ports):
            key = f"ports[{index}]"
            if not 1 <= port <= 65535:
                yield Finding(policy, key, f"port {port} is outside 1-65535")
            elif port in first:
                line = policy.src.at(f"ports[{first[port]}]")[0]
                yield Finding(policy, key, f"port {port} is listed twice (first at line {line})")
            else:
                first[port] = index


def _opens_everything(cidr: str | None) -> bool:
    if cidr is None:
        return False
    try:
        return ipaddress.ip_network(cidr, strict=True).prefixlen == 0
    except ValueError:
        return False  # DFP-ACC-001's


@repo_rule("DFP-ACC-003", Severity.ERROR)
def no_open_source(ctx: CheckContext) -> Iterator[Finding]:
    """0.0.0.0/0 (or ::/0) as a source only to a public portal system on exactly port 443.

    Passing:
        source: {cidr: 0.0.0.0/0}
        destination: {system: unified-portal}     # exposure: public
        ports: [443]

    Failing:
        source: {cidr: 0.0.0.0/0}
        destination: {namespace: dfp-budget-prod}
        ports: [443, 8080]
    """
    systems = {system.id: system for system in ctx.repo.of(PortalSystem)}
    for policy in ctx.repo.of(AccessPolicy):
        if not _opens_everything(policy.source.cidr):
            continue
        target = policy.destination.system
        system = systems.get(target) if target else None
        if system is not None and system.exposure == "public" and policy.ports == PUBLIC_PORTS:
            continue
        if system is None:
            shown = f"system {target}" if target else _describe(policy.destination)
            why = f"the destination {shown} is not a portal system"
        elif system.exposure != "public":
            why = f'portal system {system.id} has exposure "{system.exposure}", not "public"'
        else:
            why = f"the ports are {policy.ports}, not [443]"
        yield Finding(
            policy.source,
            "cidr",
            f"source {policy.source.cidr} lets every address in; that is allowed only to a "
            f"public portal system on ports [443], but {why}",
        )


def _describe(endpoint: Endpoint) -> str:
    for key in _ENDPOINT_KEYS:
        value = getattr(endpoint, key)
        if value is not None:
            return f"{key} {value}"
    return "(none)"


@repo_rule("DFP-ACC-004", Severity.ERROR)
def ticket_present(ctx: CheckContext) -> Iterator[Finding]:
    """An access policy names the ticket (e.g. TAPD-1020384) under which it was requested.

    Passing:
        id: AP-2026-0042
        ticket: TAPD-1020384

    Failing:
        id: AP-2026-0042
        ticket: tbd
    """
    for policy in ctx.repo.of(AccessPolicy):
        ticket = policy.ticket
        if ticket is None or not ticket.strip():
            yield Finding(
                policy, "ticket", f"{policy.id} has no ticket; name the request, e.g. TAPD-1020384"
            )
            continue
        try:
            _TICKET.validate_python(ticket)
        except ValidationError:
            yield Finding(
                policy,
                "ticket",
                f'{policy.id}: ticket "{ticket}" is not a ticket id such as TAPD-1020384',
            )


@repo_rule("DFP-ACC-005", Severity.ERROR)
def expiry_within_a_year(ctx: CheckContext) -> Iterator[Finding]:
    """An access policy expires, at most 365 days after it was approved.

    Passing:
        approved_on: 2026-03-02
        expires_on: 2027-03-01

    Failing:
        approved_on: 2026-03-02
        expires_on: 2028-03-01      # 730 days
    """
    for policy in ctx.repo.of(AccessPolicy):
        expires = policy.expires_on
        if expires is None:
            yield Finding(
                policy,
                "expires_on",
                f"{policy.id} has no expires_on; approvals last at most {MAX_APPROVAL_DAYS} days "
                f"(until {policy.approved_on + dt.timedelta(days=MAX_APPROVAL_DAYS)})",
            )
            continue
        days = (expires - policy.approved_on).days
        if days > MAX_APPROVAL_DAYS:
            yield Finding(
                policy,
                "expires_on",
                f"expires_on {expires} is {days} days after approved_on {policy.approved_on}; "
                f"approvals last at most {MAX_APPROVAL_DAYS} days",
            )
        elif days < 0:
            yield Finding(
                policy,
                "expires_on",
                f"expires_on {expires} is before approved_on {policy.approved_on}",
            )


@repo_rule("DFP-ACC-006", Severity.ERROR)
def not_expired(ctx: CheckContext) -> Iterator[Finding]:
    """An access policy has not expired (an error in production, a warning elsewhere).

    Passing:
        environment: production
        expires_on: 2027-03-01      # today 2026-11-27

    Failing:
        environment: production
        expires_on: 2026-10-31      # expired 27 days ago: renew the approval or remove the path
    """
    for policy in ctx.repo.of(AccessPolicy):
        expires = policy.expires_on
        if expires is None or expires >= ctx.today:
            continue
        days = (ctx.today - expires).days
        yield Finding(
            policy,
            "expires_on",
            f"{policy.id} expired on {expires}, {days} day{'' if days == 1 else 's'} before "
            f"{ctx.today}; renew the approval or remove the policy",
            severity=Severity.ERROR if policy.environment == PRODUCTION else Severity.WARNING,
        )


@repo_rule("DFP-ACC-007", Severity.ERROR)
def endpoint_names_one_thing(ctx: CheckContext) -> Iterator[Finding]:
    """A source or destination names exactly one of: system, namespace, cidr.

    Passing:
        destination:
          system: unified-portal

    Failing:
        destination:
          system: unified-portal
          cidr: 10.20.0.0/16        # which one is meant?
    """
    for policy in ctx.repo.of(AccessPolicy):
        for side in ("source", "destination"):
            endpoint: Endpoint = getattr(policy, side)
            named = [key for key in _ENDPOINT_KEYS if getattr(endpoint, key) is not None]
            if len(named) == 1:
                continue
            what = "none of" if not named else " and ".join(named) + "; it needs exactly one of"
            yield Finding(
                policy,
                side,
                f"{side} names {what} system, namespace, cidr",
            )


# "陈志刚（安全管控组）": the person, then what they approve as, in brackets
_APPROVER_ROLE = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")


def approver_name(approver: str) -> str:
    """The person in an approver field, without the role written after the name in brackets."""
    return _APPROVER_ROLE.sub("", approver).strip()


@repo_rule("DFP-ACC-008", Severity.ERROR)
def open_source_justified(ctx: CheckContext) -> Iterator[Finding]:
    """A source open to every address gives its reason and is approved by the security group.

    A policy with source 0.0.0.0/0 or ::/0 says in ``reason`` why the path must be open to the
    internet, and its ``approver`` is a member of a group approvals.yaml requires for the
    policy's file (the security group for portal/access-policies/).

    Passing:
        source: {cidr: 0.0.0.0/0}
        destination: {system: unified-portal}
        approver: 陈志刚（安全管控组）       # a member of the security group
        reason: 统一门户是唯一面向互联网的门户网关入口 …

    Failing:
        source: {cidr: 0.0.0.0/0}
        destination: {system: unified-portal}
        approver: 周晓峰                    # not in the security group; and no reason
    """
    policies = ctx.repo.of(ApprovalPolicy)
    approvals = policies[0] if policies else None
    for policy in ctx.repo.of(AccessPolicy):
        if not _opens_everything(policy.source.cidr):
            continue
        if not (policy.reason or "").strip():
            yield Finding(
                policy,
                "source",
                f"{policy.id} opens the path to every address (source {policy.source.cidr}) but "
                "gives no reason; say in reason why it must be open to the internet",
                at_key=True,
            )
        if approvals is None:
            continue
        rule = approvals.rule_for(policy.src.file)
        if rule is None:
            continue
        groups = [r.group for r in rule.require if r.group in approvals.groups]
        members = {m.name for g in groups for m in approvals.groups[g].members}
        if groups and approver_name(policy.approver) not in members:
            yield Finding(
                policy,
                "approver",
                f"{policy.id} opens the path to every address; its approver "
                f'"{policy.approver}" is not a member of {" or ".join(groups)} '
                f"(approvals.yaml, rule {rule.name})",
            )


RULES = (
    cidrs_are_valid,
    ports_are_valid,
    no_open_source,
    ticket_present,
    expiry_within_a_year,
    not_expired,
    endpoint_names_one_thing,
    open_source_justified,
)
