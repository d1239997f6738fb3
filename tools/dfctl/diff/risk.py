"""Risk flags a reviewer must see before anything else in a review diff."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from dfctl.diff.changes import ObjectChange, RiskFlag
from dfctl.errors import QuantityError
from dfctl.load.repo import Repo
from dfctl.model import Environment
from dfctl.model.environment import CONFIG_SERVICE
from dfctl.model.strictness import RULE_ASPECTS, is_weaker, name
from dfctl.quantity import parse_quantity

PRODUCTION = "production"
SCALE = "scale"
EXTERNAL_PATH = "external-path"
RULE_RELAXED = "control-rule-relaxed"
PROVINCE_ITEM = "province-item"
DELETION = "deletion"
RELEASE = "release"
CODE_RETIRED = "code-retired"
CODE_REMOVED = "code-removed"
# the same for the agencies (预算单位) the city or a county maintains under its own division:
# theirs to approve, not the province's. A code the city adds under one of the Ministry's sets
# stays a code of that set, the province's to retire.
LOCAL_CODE_RETIRED = "local-code-retired"
LOCAL_CODE_REMOVED = "local-code-removed"
_LOCAL_SET = "agency"
_LOCAL_MANAGEMENT = frozenset({"city", "county"})

FLAG_TITLES: dict[str, str] = {
    PRODUCTION: "changes production",
    RELEASE: "release version changes",
    DELETION: "deletes",
    EXTERNAL_PATH: "opens a path from outside the cluster",
    RULE_RELAXED: "relaxes or disables a control rule",
    PROVINCE_ITEM: "changes a province-managed configuration item",
    SCALE: "changes quota or replicas by more than 50%",
    CODE_RETIRED: "retires or disables an element code",
    CODE_REMOVED: "removes an element code",
    LOCAL_CODE_RETIRED: "retires or disables an agency the city or a county maintains",
    LOCAL_CODE_REMOVED: "removes an agency the city or a county maintains",
}

SCALE_LIMIT = Fraction(1, 2)


def risk_flags(
    base: Repo, head: Repo, changes: list[ObjectChange], environments: list[str]
) -> list[RiskFlag]:
    flags: list[RiskFlag] = []
    production = [c for c in changes if c.environment == PRODUCTION]
    if production:
        flags.append(
            RiskFlag(
                PRODUCTION,
                PRODUCTION,
                "environment production",
                f"{len(production)} change{'s' if len(production) != 1 else ''}",
            )
        )
    flags.extend(_release_flags(base, head, environments))
    for change in changes:
        if change.op == "remove":
            flags.append(
                RiskFlag(
                    DELETION, change.environment, where_changed(change), f"{change.kind} is removed"
                )
            )
        if change.kind in ("ResourceQuota", "Deployment"):
            flags.extend(_scale_flags(change))
        if change.kind == "NetworkPolicy":
            flags.extend(_path_flags(change))
        if change.target == CONFIG_SERVICE and change.kind == "ControlRuleSet":
            flags.extend(_rule_flags(change))
        if change.target == CONFIG_SERVICE and change.kind == "ConfigItemSet":
            flags.extend(_province_item_flags(change))
        if change.target == CONFIG_SERVICE and change.kind == "ElementSet":
            flags.extend(_code_flags(change))
    order = list(FLAG_TITLES)
    return sorted(flags, key=lambda f: (order.index(f.code), f.environment, f.ref, f.detail))


def where_changed(change: ObjectChange) -> str:
    """Where a change is, as a flag's ``ref`` names it."""
    return change.ref if change.target == CONFIG_SERVICE else f"{change.target}: {change.ref}"


def _release_flags(base: Repo, head: Repo, environments: list[str]) -> list[RiskFlag]:
    before = {e.name: e.release.version for e in base.of(Environment)}
    after = {e.name: e.release.version for e in head.of(Environment)}
    return [
        RiskFlag(RELEASE, env, f"environment {env}", f"release {before[env]} → {after[env]}")
        for env in environments
        if env in before and env in after and before[env] != after[env]
    ]


def _ratio_beyond(old: Any, new: Any) -> str | None:
    try:
        a, b = parse_quantity(str(old)).value, parse_quantity(str(new)).value
    except QuantityError:
        return None
    if a == 0:
        return "from zero" if b != 0 else None
    change = (b - a) / a
    if abs(change) > SCALE_LIMIT:
        return f"{float(change) * 100:+.0f}%"
    return None


def _scale_flags(change: ObjectChange) -> list[RiskFlag]:
    if change.op != "change":
        return []
    flags = []
    for field in change.fields:
        relevant = field.path.startswith("spec.hard") or field.path == "spec.replicas"
        if relevant and field.op == "change":
            beyond = _ratio_beyond(field.old, field.new)
            if beyond is not None:
                flags.append(
                    RiskFlag(
                        SCALE,
                        change.environment,
                        where_changed(change),
                        f"{field.path} {field.old} → {field.new} ({beyond})",
                    )
                )
    return flags


def _ip_blocks(body: dict[str, Any] | None) -> set[tuple[str, str]]:
    """(cidr, ports) pairs the policy admits from outside the cluster."""
    found: set[tuple[str, str]] = set()
    for rule in (body or {}).get("spec", {}).get("ingress", []) or []:
        ports = (
            ", ".join(
                f"{p.get('protocol', 'TCP')} {p.get('port', '*')}" for p in rule.get("ports", [])
            )
            or "all ports"
        )
        for peer in rule.get("from", []) or []:
            block = peer.get("ipBlock")
            if block:
                found.add((block["cidr"], ports))
    return found


def _path_flags(change: ObjectChange) -> list[RiskFlag]:
    new_paths = _ip_blocks(change.new) - _ip_blocks(change.old)
    return [
        RiskFlag(
            EXTERNAL_PATH,
            change.environment,
            where_changed(change),
            f"ingress from {cidr} on {ports}",
        )
        for cidr, ports in sorted(new_paths)
    ]


def _rules(body: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in ((body or {}).get("spec", {}).get("rules", []) or [])}


def _rule_flags(change: ObjectChange) -> list[RiskFlag]:
    before, after = _rules(change.old), _rules(change.new)
    flags = []
    for rule_id in sorted(before):
        old = before[rule_id]
        new = after.get(rule_id)
        if new is None:
            detail = f"{rule_id} is removed"
        elif old.get("enabled", True) and not new.get("enabled", True):
            detail = f"{rule_id} is disabled"
        elif relaxed := [
            f"{aspect} {old[aspect]} {name(aspect, old[aspect])} → "
            f"{new[aspect]} {name(aspect, new[aspect])}"
            for aspect in RULE_ASPECTS
            if aspect in old and aspect in new and is_weaker(aspect, old[aspect], new[aspect])
        ]:
            detail = f"{rule_id} {relaxed[0]}"
        elif old.get("attachment_required") and not new.get("attachment_required"):
            detail = f"{rule_id} no longer requires an attachment"
        else:
            continue
        flags.append(RiskFlag(RULE_RELAXED, change.environment, change.ref, detail))
    return flags


def _items(body: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {i["key"]: i for i in ((body or {}).get("spec", {}).get("items", []) or [])}


def _province_item_flags(change: ObjectChange) -> list[RiskFlag]:
    before, after = _items(change.old), _items(change.new)
    flags = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        managed = any(i is not None and i.get("management_level") == 1 for i in (old, new))
        if not managed:
            continue
        if new is None:
            detail = f"{key} is removed"
        elif old is None:
            detail = f"{key} is added"
        else:
            changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            detail = f"{key}: {', '.join(changed)} changed"
        flags.append(RiskFlag(PROVINCE_ITEM, change.environment, change.ref, detail))
    return flags


def _codes(body: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in ((body or {}).get("spec", {}).get("elements", []) or [])}


def _code_flags(change: ObjectChange) -> list[RiskFlag]:
    """Codes a change removes, and codes it retires (an end date set, or disabled); flagged as
    local ones in the agencies of the city or a county."""
    before, after = _codes(change.old), _codes(change.new)
    spec = (change.new or change.old or {}).get("spec", {})
    local = spec.get("set_code") == _LOCAL_SET and spec.get("management") in _LOCAL_MANAGEMENT
    removed, retired = (
        (LOCAL_CODE_REMOVED, LOCAL_CODE_RETIRED) if local else (CODE_REMOVED, CODE_RETIRED)
    )
    flags = []
    for code in sorted(before):
        old, new = before[code], after.get(code)
        if new is None:
            flags.append(RiskFlag(removed, change.environment, change.ref, f"{code} is removed"))
        elif new.get("end_date") and not old.get("end_date"):
            flags.append(
                RiskFlag(
                    retired,
                    change.environment,
                    change.ref,
                    f"{code} ends on {new['end_date']}",
                )
            )
        elif old.get("enabled", True) and not new.get("enabled", True):
            flags.append(RiskFlag(retired, change.environment, change.ref, f"{code} is disabled"))
    return flags
