"""How strict a monitoring control rule (预算执行动态监控) or a configuration item is, in the
platform's own terms: the one ordering that both `dfctl validate` (the province locks,
DFP-LCK-*) and the review diff's risk flags use.

- Handling (处理方式), by how strongly it stops a payment: 4 禁止 > 3 冻结 > 2 拦截 > 1 预警 > 5 记录.
  记录 only records; 预警 warns and lets the payment go; 拦截 stops it until someone releases
  it; 冻结 freezes the funds; 禁止 refuses it outright.
- Warning level (预警级别), by the handling each level prescribes: 4 灰 (禁止) > 3 红 (拦截) >
  2 橙 (预警 with an attachment) > 1 黄 (预警) > 5 蓝 (记录).
- Trigger (触发方式): 1 事中 (real time, before the payment goes) > 2 定时 (scheduled, after the
  fact, so it can only record).
- Management level (管理级次), by who holds it: 1 province > 2 city > 3 county. A lower level
  lets more regions override the item.
"""

from __future__ import annotations

from typing import Literal

Aspect = Literal["warning_level", "handling", "trigger", "management_level"]

WARNING_LEVELS: dict[int, str] = {1: "黄", 2: "橙", 3: "红", 4: "灰", 5: "蓝"}
HANDLINGS: dict[int, str] = {1: "预警", 2: "拦截", 3: "冻结", 4: "禁止", 5: "记录"}
TRIGGERS: dict[int, str] = {1: "事中", 2: "定时"}
MANAGEMENT_LEVELS: dict[int, str] = {1: "province", 2: "city", 3: "county"}

# value -> rank; a higher rank is stricter
_RANKS: dict[Aspect, dict[int, int]] = {
    "handling": {4: 5, 3: 4, 2: 3, 1: 2, 5: 1},
    "warning_level": {4: 5, 3: 4, 2: 3, 1: 2, 5: 1},
    "trigger": {1: 2, 2: 1},
    "management_level": {1: 3, 2: 2, 3: 1},
}
_NAMES: dict[Aspect, dict[int, str]] = {
    "handling": HANDLINGS,
    "warning_level": WARNING_LEVELS,
    "trigger": TRIGGERS,
    "management_level": MANAGEMENT_LEVELS,
}
# what a control rule's strictness is made of, most telling first
RULE_ASPECTS: tuple[Aspect, ...] = ("handling", "warning_level", "trigger")


def strength(aspect: Aspect, value: int) -> int:
    """The rank of ``value``: higher is stricter; 0 for a value the platform does not define."""
    return _RANKS[aspect].get(value, 0)


def is_weaker(aspect: Aspect, old: int, new: int) -> bool:
    """Whether changing ``aspect`` from ``old`` to ``new`` relaxes it."""
    return strength(aspect, new) < strength(aspect, old)


def name(aspect: Aspect, value: int) -> str:
    """The platform's name of a value (``红``), or "" for one it does not define."""
    return _NAMES[aspect].get(value, "")


def describe(aspect: Aspect, value: int) -> str:
    """``3 (红)``: the code and its name."""
    named = name(aspect, value)
    return f"{value} ({named})" if named else str(value)
