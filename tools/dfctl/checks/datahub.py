"""Rules for interfaces hooked to the data hub (数据中枢) and the paths they need."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import AccessPolicy, DatahubInterface, DatahubPeer
from dfctl.model.portal import Endpoint

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(cidr: str) -> Network | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None  # DFP-ACC-001's


def _peers_reached(endpoint: Endpoint, peers: dict[str, list[Network]]) -> list[str]:
    """The data hub peers an endpoint names, or whose ranges its range overlaps."""
    if endpoint.system is not None:
        return [endpoint.system] if endpoint.system in peers else []
    network = _network(endpoint.cidr) if endpoint.cidr is not None else None
    if network is None:
        return []
    return sorted(
        peer for peer, ranges in peers.items() if any(_overlap(r, network) for r in ranges)
    )


def _overlap(one: Network, other: Network) -> bool:
    if isinstance(one, ipaddress.IPv4Network) and isinstance(other, ipaddress.IPv4Network):
        return one.overlaps(other)
    if isinstance(one, ipaddress.IPv6Network) and isinstance(other, ipaddress.IPv6Network):
        return one.overlaps(other)
    return False


@repo_rule("DFP-DHB-001", Severity.ERROR)
def policy_reaches_own_peer(ctx: CheckContext) -> Iterator[Finding]:
    """An interface's access policy opens a path to the interface's own peer, not another one.

    The peer is the provider or consumer that is a data hub peer (a bank, 人民银行, …). A policy
    endpoint that names another peer, or a range inside another peer's cidrs, opens the wrong
    path: the interface will not work, and a bank's channel is open to an interface of another.
    Endpoints that name a portal system or a namespace (the 电子凭证库 relaying bank vouchers, the
    hub's own namespace) are not peers and are not compared.

    Passing:
        # datahub/interfaces/bank-icbc-receipt.yaml
        provider: bank-icbc
        access_policies: {production: AP-2026-0031}
        # portal/access-policies/AP-2026-0031.yaml
        source: {system: bank-icbc}

    Failing:
        # datahub/interfaces/bank-icbc-receipt.yaml
        provider: bank-icbc
        access_policies: {production: AP-2026-0032}
        # portal/access-policies/AP-2026-0032.yaml
        source: {cidr: 10.210.12.0/24}      # bank-boc's range
    """
    peers: dict[str, list[Network]] = {
        peer.id: [n for n in map(_network, peer.cidrs) if n is not None]
        for peer in ctx.repo.of(DatahubPeer)
    }
    policies = {policy.id: policy for policy in ctx.repo.of(AccessPolicy)}
    for interface in ctx.repo.of(DatahubInterface):
        own = {party for party in (interface.provider, interface.consumer) if party in peers}
        for stage, policy_id in interface.access_policies.items():
            policy = policies.get(policy_id)
            if policy is None:
                continue  # DFP-REF-001's
            for side, endpoint in (("source", policy.source), ("destination", policy.destination)):
                others = [peer for peer in _peers_reached(endpoint, peers) if peer not in own]
                if others:
                    yield Finding(
                        interface,
                        "access_policies",
                        _message(interface, stage, policy, side, others, own),
                    )


def _message(
    interface: DatahubInterface,
    stage: str,
    policy: AccessPolicy,
    side: str,
    others: list[str],
    own: set[str],
) -> str:
    opened = f"{stage} access policy {policy.id} opens a path to {', '.join(others)} ({side})"
    if own:
        return f"{opened}, not to this interface's peer {', '.join(sorted(own))}"
    return (
        f"{opened}, but this interface is between {interface.provider} and "
        f"{interface.consumer}, neither of them a data hub peer"
    )


RULES = (policy_reaches_own_peer,)
