"""Rules for how long the platform keeps accounting records (会计档案).

会计档案管理办法 (财政部 国家档案局令第79号, 2015-12-11, in force 2016-01-01) sets the minimum
periods; its 附表1 (企业和其他组织) and 附表2 (财政总预算、行政单位、事业单位和税收会计) list them.
The table below is written from those lists as published; verify it against the official text
before relying on it for anything but these checks (docs/domain.md).

A period runs from the first day after the end of the fiscal year the record belongs to (第十四条),
while a retention setting in days counts from the day a record was made. So a record of
1 January must be kept through 31 December of its N-th following year: N + 1 years, with up to
one leap day in four years. Thirty years are 11,323 days, not 10,950.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import get_args

from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import ConfigItemSet, Environment
from dfctl.model.sysconfig import ConfigItem, RecordKind

PERMANENT = None
# record kind -> (years kept, or None for permanently; what 会计档案管理办法 calls it)
RETENTION: dict[str, tuple[int | None, str]] = {
    "accounting-voucher": (30, "会计凭证"),
    "treasury-voucher": (10, "国家金库编送的报表及缴库退库凭证"),
    "ledger": (30, "会计账簿"),
    "periodic-report": (10, "月度、季度、半年度财务会计报告"),
    "annual-report": (PERMANENT, "年度财务会计报告和决算"),
    "treasury-annual-report": (10, "国家金库年报（决算）"),
    "bank-reconciliation": (10, "银行存款余额调节表"),
    "bank-statement": (10, "银行对账单"),
    "tax-return": (10, "纳税申报表"),
    "handover-register": (30, "会计档案移交清册"),
    "custody-register": (PERMANENT, "会计档案保管清册"),
    "destruction-register": (PERMANENT, "会计档案销毁清册"),
    "appraisal-opinion": (PERMANENT, "会计档案鉴定意见书"),
}
assert set(RETENTION) == set(get_args(RecordKind))

RETENTION_SUFFIX = "retention_days"


def minimum_days(years: int) -> int:
    """Days a record made on 1 January must be kept to last ``years`` full years after the end
    of its fiscal year: ``years + 1`` calendar years with the most leap days they can hold."""
    spanned = years + 1
    return spanned * 365 + (spanned + 3) // 4


def _longest(kinds: list[str]) -> tuple[int | None, str]:
    """(the longest period in years, or None when some kind is kept permanently; its kind)."""
    longest: tuple[int | None, str] = (0, kinds[0])
    for kind in kinds:
        years = RETENTION[kind][0]
        if years is None:
            return None, kind
        if longest[0] is not None and years > longest[0]:
            longest = (years, kind)
    return longest


@repo_rule("DFP-RET-001", Severity.ERROR)
def retention_meets_law(ctx: CheckContext) -> Iterator[Finding]:
    """A retention period is at least the legal minimum of the accounting records it keeps.

    An item with ``retains`` is a period in days (type integer, key ending in _days). Its
    default, the minimum its schema allows and every region's override are at least the
    longest period of the records it keeps (会计档案管理办法, 2015: 会计凭证 and 会计账簿 30 years,
    bank statements 10 years …), counted from the end of the records' fiscal year: 30 years is
    11,323 days. Records kept permanently (annual reports, 决算) cannot be held by a period.

    Passing:
        - key: datahub.exchange.retention_days
          type: integer
          schema: {type: integer, minimum: 11323}
          default: 11323
          retains: [accounting-voucher, bank-statement]

    Failing:
        - key: datahub.exchange.retention_days
          type: integer
          schema: {type: integer, minimum: 365}    # a division could set one year
          default: 1825                            # five years: vouchers are kept 30
          retains: [accounting-voucher]
    """
    minimums: dict[str, tuple[int, str]] = {}
    for item_set in ctx.repo.of(ConfigItemSet):
        for item in item_set.items:
            if not item.retains:
                continue
            if item.type != "integer" or not item.key.endswith("_days"):
                yield Finding(
                    item,
                    "retains",
                    f"{item.key} retains records but is not a period in days; retains applies "
                    "to an integer item whose key ends in _days",
                )
                continue
            years, kind = _longest(list(item.retains))
            if years is None:
                yield Finding(
                    item,
                    "retains",
                    f"{item.key} retains {kind} ({RETENTION[kind][1]}), which are kept "
                    "permanently (会计档案管理办法); a period in days would delete them: keep "
                    "them out of this item",
                )
                continue
            least = minimum_days(years)
            minimums[item.key] = (least, kind)
            yield from _item_below(item, least, years, kind)
    for env in ctx.repo.of(Environment):
        for override in env.config_overrides:
            found = minimums.get(override.key)
            value = override.value
            if found is None or not isinstance(value, int) or isinstance(value, bool):
                continue
            least, kind = found
            if value < least:
                yield Finding(
                    override,
                    "value",
                    f"{override.key} for {override.mof_div_code} is {value} days; it keeps "
                    f"{kind} ({RETENTION[kind][1]}), which the law keeps at least "
                    f"{least} days",
                )


def _item_below(item: ConfigItem, least: int, years: int, kind: str) -> Iterator[Finding]:
    why = (
        f"it keeps {kind} ({RETENTION[kind][1]}), kept {years} years from the end of their "
        f"fiscal year (会计档案管理办法): at least {least} days"
    )
    default = item.default
    if isinstance(default, int) and not isinstance(default, bool) and default < least:
        yield Finding(item, "default", f"{item.key} defaults to {default} days; {why}")
    floor = item.value_schema.get("minimum")
    if not isinstance(floor, int) or isinstance(floor, bool) or floor < least:
        allowed = f"allows {floor} days" if isinstance(floor, int) else "sets no minimum"
        yield Finding(
            item,
            "schema",
            f"{item.key}'s schema {allowed}; {why}, so set minimum: {least} and no division "
            "can set less",
        )


@repo_rule("DFP-RET-002", Severity.ERROR)
def retention_declares_records(ctx: CheckContext) -> Iterator[Finding]:
    """A retention item says which accounting records it keeps.

    An item whose key ends in retention_days declares ``retains``: the kinds of records it
    keeps, or ``[]`` when it keeps no accounting records, so DFP-RET-001 can hold it to the law.

    Passing:
        - key: datahub.exchange.retention_days
          retains: [accounting-voucher, bank-statement]

    Failing:
        - key: datahub.exchange.retention_days
          default: 10950                  # which records? nothing to check it against
    """
    for item_set in ctx.repo.of(ConfigItemSet):
        for item in item_set.items:
            if item.key.endswith(RETENTION_SUFFIX) and item.retains is None:
                yield Finding(
                    item,
                    "key",
                    f"{item.key} is a retention period but does not say which accounting "
                    "records it keeps; add retains (e.g. [accounting-voucher]), or [] when it "
                    "keeps none",
                )


RULES = (retention_meets_law, retention_declares_records)
