"""Province locks, against the base revision (``dfctl validate --base REV|auto``).

The province sets every configuration item's management level (管理级次) and owns the control
rules it manages (management_level 1). Within the rules of one revision a city can still loosen
them in two steps that each look valid: lower an item's level, then override it; or change a red
rule (红, 拦截) into another valid but weaker pair (黄, 预警). Compared with the base, both are
plain. "Weaker" is :mod:`dfctl.model.strictness`'s ordering, the one the review diff's risk
flags use too.

Only sets that changed are compared: ``validate`` loads a file the change did not touch once for
both revisions, so its models are the same objects at both.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.load.repo import Repo
from dfctl.model import ConfigItemSet, ControlRuleSet
from dfctl.model.base import Document
from dfctl.model.strictness import RULE_ASPECTS, Aspect, describe, is_weaker
from dfctl.model.sysconfig import ConfigItem, ControlRule

PROVINCE = 1
D = TypeVar("D", bound=Document)


def _changed_sets(now: Repo, before: Repo, kind: type[D]) -> tuple[list[D], list[D]]:
    """(sets now, sets at base) of ``kind``, without those the change did not touch."""
    shared = {id(document) for document in now.of(kind)} & {
        id(document) for document in before.of(kind)
    }
    return (
        [d for d in now.of(kind) if id(d) not in shared],
        [d for d in before.of(kind) if id(d) not in shared],
    )


def _at(item: ConfigItem | ControlRule, file: str, key: str) -> str:
    return f"{file}:{item.src.at(key)[0]}"


@repo_rule("DFP-LCK-001", Severity.ERROR)
def management_level_kept(ctx: CheckContext) -> Iterator[Finding]:
    """A configuration item's management level (管理级次) is never lowered.

    The province decides who may override an item: 1 nobody, 2 a city region, 3 any region.
    Lowering the level (1 → 2, say) unlocks the item, and the next change overrides it
    (DFP-CFG-004 then has nothing to say). Raising it is allowed. Needs --base.

    Passing:
        # at base
        - key: execution.indicator.controls_payment
          management_level: 1
        # now
        - key: execution.indicator.controls_payment
          management_level: 1

    Failing:
        # at base
        - key: execution.indicator.controls_payment
          management_level: 1
        # now
        - key: execution.indicator.controls_payment
          management_level: 2         # unlocked for the city
    """
    if ctx.base is None:
        return
    now_sets, base_sets = _changed_sets(ctx.repo, ctx.base, ConfigItemSet)
    before: dict[str, tuple[ConfigItem, str]] = {}
    for item_set in sorted(base_sets, key=lambda s: s.src.file):
        for item in item_set.items:
            before.setdefault(item.key, (item, item_set.src.file))
    for item_set in now_sets:
        for item in item_set.items:
            found = before.get(item.key)
            if found is None:
                continue
            old, file = found
            level: Aspect = "management_level"
            if is_weaker(level, old.management_level, item.management_level):
                yield Finding(
                    item,
                    level,
                    f'"{item.key}" has management_level {describe(level, item.management_level)}'
                    f"; it was {describe(level, old.management_level)} at base "
                    f"({_at(old, file, level)}): the city may not unlock what the province set",
                )


def _rules_by_id(sets: Sequence[ControlRuleSet]) -> dict[str, tuple[ControlRule, ControlRuleSet]]:
    found: dict[str, tuple[ControlRule, ControlRuleSet]] = {}
    for rule_set in sorted(sets, key=lambda s: s.src.file):
        for rule in rule_set.rules:
            found.setdefault(rule.id, (rule, rule_set))
    return found


@repo_rule("DFP-LCK-002", Severity.ERROR)
def province_rules_kept(ctx: CheckContext) -> Iterator[Finding]:
    """A province-managed control rule is never weakened, disabled, unlocked or dropped.

    For a rule with management_level 1 at base: its handling (禁止 > 冻结 > 拦截 > 预警 > 记录),
    warning level (灰 > 红 > 橙 > 黄 > 蓝, by the handling each prescribes) and trigger (事中 >
    定时) stay at least as strict; it stays enabled, stays at management_level 1, and stays in
    its domain's rule set. Making it stricter is allowed. Needs --base.

    Passing:
        # at base
        - id: ZXJK-ZF-003
          warning_level: 3        # 红
          handling: 2             # 拦截
          management_level: 1
        # now
        - id: ZXJK-ZF-003
          warning_level: 4        # 灰
          handling: 4             # 禁止: stricter
          management_level: 1

    Failing:
        # at base
        - id: ZXJK-ZF-003
          warning_level: 3        # 红
          handling: 2             # 拦截
          management_level: 1
        # now: a valid pair, and a weaker one
        - id: ZXJK-ZF-003
          warning_level: 1        # 黄
          handling: 1             # 预警
          management_level: 1
    """
    if ctx.base is None:
        return
    now_sets, base_sets = _changed_sets(ctx.repo, ctx.base, ControlRuleSet)
    before = _rules_by_id(base_sets)
    now = _rules_by_id(now_sets)
    all_now = {rule.id for rule_set in ctx.repo.of(ControlRuleSet) for rule in rule_set.rules}
    by_domain = {rule_set.domain: rule_set for rule_set in ctx.repo.of(ControlRuleSet)}
    for rule_id, (old, old_set) in before.items():
        if old.management_level != PROVINCE:
            continue
        found = now.get(rule_id)
        if found is None:
            holder = by_domain.get(old_set.domain)
            if rule_id not in all_now and holder is not None:
                yield Finding(
                    holder,
                    "rules",
                    f"province-managed control rule {rule_id} ({_at(old, old_set.src.file, 'id')}"
                    " at base) is gone; the city may not drop it",
                    at_key=True,
                )
            continue
        yield from _weakened(found[0], old, old_set.src.file)


def _weakened(rule: ControlRule, old: ControlRule, file: str) -> Iterator[Finding]:
    aspects: tuple[Aspect, ...] = ("management_level", *RULE_ASPECTS)
    for aspect in aspects:
        was, value = getattr(old, aspect), getattr(rule, aspect)
        if is_weaker(aspect, was, value):
            yield Finding(
                rule,
                aspect,
                f"province-managed control rule {rule.id} has {aspect} "
                f"{describe(aspect, value)}; it was {describe(aspect, was)} at base "
                f"({_at(old, file, aspect)}): the city may not weaken it",
            )
    if old.enabled and not rule.enabled:
        yield Finding(
            rule,
            "enabled",
            f"province-managed control rule {rule.id} is disabled; it was enabled at base "
            f"({_at(old, file, 'id')}): the city may not switch it off",
        )


RULES = (management_level_kept, province_rules_kept)
