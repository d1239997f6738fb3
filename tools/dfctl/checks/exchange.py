"""Rules for how the data hub exchanges data with organisations outside the platform.

Payment vouchers, their receipts, clearing quotas and reconciliation travel through the
电子凭证库 (国库集中支付电子化) between the finance bureau, the People's Bank treasury (TCBS) and the
agent banks; tax and non-tax revenue comes through TIPS (财税库银横向联网), which connects the
finance bureau with the treasury. Other peers (the province, 政府采购, 非税) have connections of
their own.
"""

from __future__ import annotations

from collections.abc import Iterator

from dfctl.checks.element_index import ancestor_divisions, quote
from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import DatahubInterface, DatahubPeer, Environment

BANKING = ("pbc", "agent-bank")
CHANNEL_NAMES = {"evoucher": "电子凭证库", "tips": "TIPS", "direct": "a direct connection"}


def _peers_of(interface: DatahubInterface, peers: dict[str, DatahubPeer]) -> list[DatahubPeer]:
    return [peers[p] for p in (interface.provider, interface.consumer) if p in peers]


@repo_rule("DFP-XCH-001", Severity.ERROR)
def channel_fits_peers(ctx: CheckContext) -> Iterator[Finding]:
    """An interface with a peer names its channel, and the channel fits the peer.

    evoucher (电子凭证库) carries exchanges with the People's Bank treasury or an agent bank;
    tips (财税库银横向联网) connects with the People's Bank only; direct is a connection of the
    interface's own. Interfaces between platform systems name no channel.

    Passing:
        provider: treasury-payment
        consumer: bank-icbc              # an agent bank
        channel: evoucher

    Failing:
        provider: treasury-payment
        consumer: bank-icbc
        channel: tips                    # agent banks' vouchers do not travel through TIPS
    """
    peers = {peer.id: peer for peer in ctx.repo.of(DatahubPeer)}
    unreadable = ctx.repo.unreadable.get(DatahubPeer.KIND, set())
    for interface in ctx.repo.of(DatahubInterface):
        if {interface.provider, interface.consumer} & unreadable:
            continue
        found = _peers_of(interface, peers)
        channel = interface.channel
        names = " and ".join(f"{p.id} ({p.category})" for p in found)
        if channel is None:
            if found:
                yield Finding(
                    interface,
                    "id",
                    f"{interface.id} exchanges data with {names} but names no channel; set "
                    "channel: evoucher (vouchers, receipts, clearing, reconciliation), tips "
                    "(revenue) or direct",
                )
            continue
        if not found:
            yield Finding(
                interface,
                "channel",
                f"{interface.id} runs between platform systems; channel ({channel}) applies to "
                "exchanges with a data hub peer",
            )
        elif channel == "evoucher" and not any(p.category in BANKING for p in found):
            yield Finding(
                interface,
                "channel",
                f"{interface.id}: the 电子凭证库 (evoucher) carries exchanges with the People's "
                f"Bank treasury or an agent bank, and {names} is neither",
            )
        elif channel == "tips" and not any(p.category == "pbc" for p in found):
            yield Finding(
                interface,
                "channel",
                f"{interface.id}: TIPS (财税库银横向联网) connects the finance bureau with the "
                f"People's Bank treasury, and {names} is not a People's Bank peer",
            )


@repo_rule("DFP-XCH-002", Severity.ERROR)
def peer_organisation(ctx: CheckContext) -> Iterator[Finding]:
    """A peer's parent organisation is another peer, and its region is one the platform knows.

    ``parent`` names the peer of the organisation above (a county treasury office's city
    branch); following parents never comes back to the same peer. ``region`` is a division an
    environment serves, or a division above one (the province). A People's Bank peer names
    its region: whose treasury it keeps.

    Passing:
        id: pbc-qingshi
        category: pbc
        region: "990121000"              # 青石县, served by production
        parent: pbc-city

    Failing:
        id: pbc-qingshi
        category: pbc                    # no region
        parent: pbc-qingshi              # itself
    """
    peers = {peer.id: peer for peer in ctx.repo.of(DatahubPeer)}
    unreadable = ctx.repo.unreadable.get(DatahubPeer.KIND, set())
    served = {r.mof_div_code for env in ctx.repo.of(Environment) for r in env.regions}
    known = served | {d for code in served for d in ancestor_divisions(code)}
    environments_complete = not ctx.repo.unreadable.get(Environment.KIND) and bool(served)
    for peer in peers.values():
        if peer.region is None:
            if peer.category == "pbc":
                yield Finding(
                    peer,
                    "id",
                    f"People's Bank peer {peer.id} names no region; set region to the division "
                    "whose treasury it keeps",
                )
        elif environments_complete and peer.region not in known:
            yield Finding(
                peer,
                "region",
                f"region {quote(peer.region)} is not served by any environment, nor above a "
                "division that is",
            )
        parent = peer.parent
        if parent is None or parent in unreadable:
            continue
        if parent == peer.id:
            yield Finding(peer, "parent", f"peer {peer.id} names itself as its parent")
        elif parent not in peers:
            yield Finding(
                peer, "parent", f"parent {quote(parent)} is not a data hub peer in datahub/peers/"
            )
        elif _comes_back(peer.id, peers):
            yield Finding(
                peer,
                "parent",
                f"following the parents of {peer.id} comes back to {peer.id}",
            )


def _comes_back(start: str, peers: dict[str, DatahubPeer]) -> bool:
    seen = {start}
    current = peers[start].parent
    while current is not None and current in peers:
        if current in seen:
            return current == start
        seen.add(current)
        current = peers[current].parent
    return False


RULES = (channel_fits_peers, peer_organisation)
