"""Rules for monitoring control rules (预算执行动态监控).

A warning level fixes how a hit is handled: 1 黄 → 1 预警, 2 橙 → 1 预警 with an attachment,
3 红 → 2 拦截, 4 灰 → 4 禁止, 5 蓝 → 5 记录. A scheduled rule (trigger 2, 定时) runs after the fact
and can only record (5 记录), so it is a blue rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import ControlRuleSet
from dfctl.model.sysconfig import ControlRule

LEVELS = {1: "黄", 2: "橙", 3: "红", 4: "灰", 5: "蓝"}
HANDLINGS = {1: "预警", 2: "拦截", 3: "冻结", 4: "禁止", 5: "记录"}
HANDLING_FOR_LEVEL = {1: 1, 2: 1, 3: 2, 4: 4, 5: 5}
RECORD = 5
SCHEDULED = 2
ORANGE = 2


def _rules(ctx: CheckContext) -> Iterator[ControlRule]:
    for rule_set in ctx.repo.of(ControlRuleSet):
        yield from rule_set.rules


def _level(level: int) -> str:
    return f"{level} ({LEVELS[level]})"


def _handling(handling: int) -> str:
    return f"{handling} ({HANDLINGS[handling]})"


@repo_rule("DFP-CTL-001", Severity.ERROR)
def handling_fits_level(ctx: CheckContext) -> Iterator[Finding]:
    """A rule's handling is the one its warning level prescribes.

    黄 and 橙 预警, 红 拦截, 灰 禁止, 蓝 记录.

    Passing:
        - id: ZXJK-ZF-003
          warning_level: 3        # 红
          handling: 2             # 拦截

    Failing:
        - id: ZXJK-ZF-003
          warning_level: 3        # 红
          handling: 1             # 预警: a red rule blocks the payment
    """
    for rule in _rules(ctx):
        expected = HANDLING_FOR_LEVEL[rule.warning_level]
        if rule.handling != expected:
            yield Finding(
                rule,
                "handling",
                f"{rule.id}: warning level {_level(rule.warning_level)} is handled with "
                f"{_handling(expected)}, not {_handling(rule.handling)}",
            )


@repo_rule("DFP-CTL-002", Severity.ERROR)
def scheduled_rules_only_record(ctx: CheckContext) -> Iterator[Finding]:
    """A scheduled rule (trigger 2, 定时) only records (handling 5, 记录) and has a schedule.

    Passing:
        - id: ZXJK-JZ-011
          warning_level: 5        # 蓝
          handling: 5             # 记录
          trigger: 2              # 定时
          schedule: "0 2 * * *"

    Failing:
        - id: ZXJK-JZ-011
          warning_level: 3
          handling: 2             # 拦截: nothing is left to block when a scheduled rule runs
          trigger: 2              # and no schedule
    """
    for rule in _rules(ctx):
        if rule.trigger != SCHEDULED:
            continue
        if rule.handling != RECORD:
            yield Finding(
                rule,
                "handling",
                f"{rule.id} is scheduled (trigger 2, 定时) and can only record: handling "
                f"{_handling(RECORD)} with warning level {_level(5)}, "
                f"not {_handling(rule.handling)}",
            )
        if not (rule.schedule or "").strip():
            yield Finding(
                rule,
                "trigger",
                f"{rule.id} is scheduled (trigger 2, 定时) but has no schedule; add a cron "
                f'expression such as schedule: "0 2 * * *"',
            )


@repo_rule("DFP-CTL-003", Severity.ERROR)
def orange_requires_attachment(ctx: CheckContext) -> Iterator[Finding]:
    """An orange rule (warning level 2, 橙) requires an attachment explaining the payment.

    Passing:
        - id: ZXJK-ZF-002
          warning_level: 2        # 橙
          handling: 1             # 预警
          attachment_required: true

    Failing:
        - id: ZXJK-ZF-002
          warning_level: 2        # 橙
          handling: 1             # attachment_required defaults to false
    """
    for rule in _rules(ctx):
        if rule.warning_level == ORANGE and not rule.attachment_required:
            written = "attachment_required" in rule.src.keys
            yield Finding(
                rule,
                "attachment_required" if written else "warning_level",
                f"{rule.id} has warning level {_level(ORANGE)} and must set "
                f"attachment_required: true"
                + ("" if written else " (it is missing and defaults to false)"),
            )


@repo_rule("DFP-CTL-004", Severity.ERROR)
def rule_ids_unique(ctx: CheckContext) -> Iterator[Finding]:
    """A control rule id is used once, across all files.

    Passing:
        - id: ZXJK-ZF-001
        - id: ZXJK-ZF-002

    Failing:
        - id: ZXJK-ZF-001
        - id: ZXJK-ZF-001         # the platform would keep only one of them
    """
    first: dict[str, ControlRule] = {}
    in_file_order = sorted(ctx.repo.of(ControlRuleSet), key=lambda s: s.src.file)
    for rule in (rule for rule_set in in_file_order for rule in rule_set.rules):
        seen = first.setdefault(rule.id, rule)
        if seen is not rule:
            yield Finding(
                rule,
                "id",
                f"control rule id {rule.id} is already used at "
                f"{seen.src.file}:{seen.src.at('id')[0]}",
            )


RULES = (
    handling_fits_level,
    scheduled_rules_only_record,
    orange_requires_attachment,
    rule_ids_unique,
)
