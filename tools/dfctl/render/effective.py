"""Effective configuration: the province's defaults with each region's allowed overrides applied.

An override applies to the one region it names; a county does not inherit the city's override.
Validation has already refused overrides of province-managed items, so none are seen here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dfctl.load.repo import Repo
from dfctl.model import ConfigItemSet, Environment
from dfctl.model.sysconfig import ConfigItem


@dataclass(frozen=True)
class EffectiveValue:
    value: Any
    source: str  # where the value was written: the item's default or the override
    ticket: str | None  # the override's ticket; None for the province default


def items_by_key(repo: Repo) -> dict[str, tuple[str, ConfigItem]]:
    """key -> (domain, item) for every configuration item."""
    return {item.key: (s.domain, item) for s in repo.of(ConfigItemSet) for item in s.items}


def province_defaults(repo: Repo) -> dict[str, EffectiveValue]:
    """Every item's default, computed once per Repo (a province holds tens of thousands)."""
    cached = repo.derived.get("province_defaults")
    if cached is None:
        cached = {
            key: EffectiveValue(item.default, f"{item.src.file}:{item.src.at('default')[0]}", None)
            for key, (_domain, item) in items_by_key(repo).items()
        }
        repo.derived["province_defaults"] = cached
    return cached


def effective_config(repo: Repo, env: Environment) -> dict[str, dict[str, EffectiveValue]]:
    """mof_div_code -> item key -> the value that region runs with in ``env``."""
    defaults = province_defaults(repo)
    result: dict[str, dict[str, EffectiveValue]] = {}
    for region in env.regions:
        result[region.mof_div_code] = dict(defaults)
    for override in env.config_overrides:
        region_values = result.get(override.mof_div_code)
        if region_values is not None and override.key in region_values:
            region_values[override.key] = EffectiveValue(
                override.value,
                f"{override.src.file}:{override.src.at('value')[0]}",
                override.ticket,
            )
    return result
