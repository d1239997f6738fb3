"""Rules for monitoring control rules (预算执行动态监控).

A warning level fixes how a hit is handled: 1 黄 → 1 预警, 2 橙 → 1 预警 with an attachment,
3 红 → 2 拦截, 4 灰 → 4 禁止, 5 蓝 → 5 记录. A scheduled rule (trigger 2, 定时) runs after the fact
and can only record (5 记录), so it is a blue rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import get_args

from dfctl.checks.element_index import SetIndex, SetKey, quote
from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import ConfigItemSet, ControlRuleSet
from dfctl.model.base import Domain
from dfctl.model.sysconfig import ControlRule, Threshold

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


# Numbers in a condition's text that read as element codes (3 to 9 digits), and configuration
# item keys (domain.group.name).
_CODE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z.])[0-9]{3,9}(?![0-9A-Za-z])")
_KEY_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_.])[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")
# configuration item keys start with their domain; other dotted words (payment.amount) are not keys
_DOMAINS = frozenset(d.replace("-", "_") for d in get_args(Domain))
_PERCENT_UNITS = ("percent", "percentage-points")


def _year_sets(index: SetIndex, set_code: str, year: int) -> list[SetKey]:
    """Every identity of ``set_code`` in ``year`` (all divisions), the highest division first."""
    return sorted(k for k in index.files if k[0] == set_code and k[1] == year)


@repo_rule("DFP-CTL-005", Severity.ERROR)
def rule_codes_exist(ctx: CheckContext) -> Iterator[Finding]:
    """The element codes a rule reads exist in the element sets of its rule set's fiscal year.

    ``reads.codes`` lists codes by set; a rule set whose rules read codes names its
    ``fiscal_year``. A code retired before the year ends is reported too: the rule would stop
    matching when it retires.

    Passing:
        fiscal_year: 2026
        rules:
          - id: EXE-PAY-008
            reads:
              codes:
                dep_bgt_eco: ["30212", "30217", "30231", "30913", "31013"]

    Failing:
        fiscal_year: 2026
        rules:
          - id: EXE-PAY-008
            reads:
              codes:
                dep_bgt_eco: ["30219"]       # no such code in dep_bgt_eco of 2026
    """
    index = SetIndex(ctx.repo)
    for rule_set in ctx.repo.of(ControlRuleSet):
        reading = [r for r in rule_set.rules if r.reads is not None and r.reads.codes]
        if not reading:
            continue
        year = rule_set.fiscal_year
        if year is None:
            yield Finding(
                rule_set,
                "domain",
                ("rule " if len(reading) == 1 else "rules ")
                + ", ".join(r.id for r in reading)
                + (" reads" if len(reading) == 1 else " read")
                + " element codes but the rule set names no fiscal_year to look them up in",
            )
            continue
        for rule in reading:
            assert rule.reads is not None
            for set_code, codes in rule.reads.codes.items():
                if not index.known(set_code):
                    continue
                yield from _codes_in_year(index, rule, set_code, codes, year)


def _codes_in_year(
    index: SetIndex, rule: ControlRule, set_code: str, codes: list[str], year: int
) -> Iterator[Finding]:
    assert rule.reads is not None
    keys = _year_sets(index, set_code, year)
    if not keys:
        yield Finding(
            rule.reads,
            "codes",
            f"{rule.id} reads codes of set {quote(set_code)}, which has no set for fiscal year "
            f"{year} in standards/elements/",
        )
        return
    for code in codes:
        element = next((index.codes(k)[code] for k in keys if code in index.codes(k)), None)
        if element is None:
            yield Finding(
                rule.reads,
                "codes",
                f"{rule.id} reads {set_code} code {quote(code)}, which is not a code of "
                f"{set_code} in fiscal year {year}",
            )
        elif element.end_date is not None and element.end_date.year <= year:
            yield Finding(
                rule.reads,
                "codes",
                f"{rule.id} reads {set_code} code {quote(code)} {element.name}, which retires "
                f"on {element.end_date}; read its successor"
                + (f" {quote(element.successor)}" if element.successor else ""),
            )


@repo_rule("DFP-CTL-006", Severity.ERROR)
def condition_matches_reads(ctx: CheckContext) -> Iterator[Finding]:
    """Every code and configuration item named in a rule's condition text is listed in reads.

    The text is for people, ``reads`` is what is checked; a code or key written only in the
    text is never checked against the element sets and configuration items.

    Passing:
        condition: 经济分类为30215会议费或30216培训费 …
        reads:
          codes:
            dep_bgt_eco: ["30215", "30216"]

    Failing:
        condition: 经济分类为30215会议费或30216培训费 …
        reads:
          codes:
            dep_bgt_eco: ["30215"]           # 30216 is only in the text
    """
    for rule_set in ctx.repo.of(ControlRuleSet):
        for rule in rule_set.rules:
            codes_by_set = rule.reads.codes if rule.reads else {}
            listed_codes = {code for codes in codes_by_set.values() for code in codes}
            listed_keys = set(rule.reads.config_items) if rule.reads else set()
            in_text = list(dict.fromkeys(_CODE_IN_TEXT.findall(rule.condition)))
            missing = [code for code in in_text if code not in listed_codes]
            keys = [
                key
                for key in dict.fromkeys(_KEY_IN_TEXT.findall(rule.condition))
                if key.split(".", 1)[0] in _DOMAINS
            ]
            missing_keys = [key for key in keys if key not in listed_keys]
            if missing:
                yield Finding(
                    rule,
                    "condition",
                    f"{rule.id}: the condition names "
                    + ", ".join(missing)
                    + " but reads.codes does not list "
                    + ("it" if len(missing) == 1 else "them")
                    + "; list every code the rule reads under its set",
                )
            if missing_keys:
                yield Finding(
                    rule,
                    "condition",
                    f"{rule.id}: the condition names configuration item "
                    + ", ".join(missing_keys)
                    + " but reads.config_items does not list "
                    + ("it" if len(missing_keys) == 1 else "them"),
                )


@repo_rule("DFP-CTL-007", Severity.ERROR)
def rule_inputs_valid(ctx: CheckContext) -> Iterator[Finding]:
    """A rule's configuration items exist and hold plain values; its thresholds are in range.

    Percentages are at most 100; counts and days are whole numbers.

    Passing:
        reads:
          config_items: [execution.payment.cash_withdrawal_limit]
          thresholds:
            - {name: 低于序时进度, value: 10, unit: percentage-points}

    Failing:
        reads:
          config_items: [execution.payment.cash_limit]      # no such item
          thresholds:
            - {name: 支出比例, value: 150, unit: percent}    # more than 100
    """
    items = {item.key: item for s in ctx.repo.of(ConfigItemSet) for item in s.items}
    complete = not ctx.repo.unreadable.get(ConfigItemSet.KIND)
    for rule_set in ctx.repo.of(ControlRuleSet):
        for rule in rule_set.rules:
            reads = rule.reads
            if reads is None:
                continue
            for position, key in enumerate(reads.config_items):
                item = items.get(key)
                if item is None:
                    if complete:
                        yield Finding(
                            reads,
                            f"config_items[{position}]",
                            f"{rule.id} reads configuration item {key}, which is not defined in "
                            "standards/system-config/",
                        )
                elif item.type not in ("integer", "number", "boolean", "string", "array"):
                    yield Finding(
                        reads,
                        f"config_items[{position}]",
                        f"{rule.id} reads configuration item {key} of type {item.type}; a "
                        "condition compares a number, switch, text or list, so read the item "
                        "that holds the value",
                    )
            for threshold in reads.thresholds:
                yield from _threshold_problems(rule, threshold)


def _threshold_problems(rule: ControlRule, threshold: Threshold) -> Iterator[Finding]:
    if threshold.unit in _PERCENT_UNITS and threshold.value > 100:
        yield Finding(
            threshold,
            "value",
            f"{rule.id}: threshold {threshold.name} is {threshold.value} {threshold.unit}; a "
            "percentage is at most 100",
        )
    if threshold.unit in ("days", "count") and not isinstance(threshold.value, int):
        yield Finding(
            threshold,
            "value",
            f"{rule.id}: threshold {threshold.name} counts {threshold.unit}; write a whole "
            f"number, not {threshold.value}",
        )


RULES = (
    handling_fits_level,
    scheduled_rules_only_record,
    orange_requires_attachment,
    rule_ids_unique,
    rule_codes_exist,
    condition_matches_reads,
    rule_inputs_valid,
)
