"""Effective configuration: the province's defaults with each region's allowed overrides applied.

An override applies to the one region it names; a county does not inherit the city's override.
Validation has already refused overrides of province-managed items, so none are seen here.

A province holds tens of thousands of items and a hundred regions, so the defaults (and their
encodings) are computed once and shared; a region only carries what it overrides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dfctl.load.repo import Repo
from dfctl.model import ConfigItemSet, Environment
from dfctl.model.sysconfig import ConfigItem


@dataclass(frozen=True)
class EffectiveValue:
    value: Any
    source: str  # where the value was written: the item's default or the override
    ticket: str | None  # the override's ticket; None for the province default


@dataclass(frozen=True)
class Defaults:
    """Every item's default, in key order, with each value's JSON encoding."""

    values: dict[str, EffectiveValue]
    plain: dict[str, Any]  # key -> value, sorted by key
    encoded: dict[str, str]  # key -> the value as JSON text (ConfigMap data)


@dataclass(frozen=True)
class RegionConfig:
    defaults: Defaults
    overrides: dict[str, EffectiveValue] = field(default_factory=dict)

    def value(self, key: str) -> EffectiveValue:
        return self.overrides.get(key) or self.defaults.values[key]

    def plain(self) -> dict[str, Any]:
        if not self.overrides:
            return self.defaults.plain
        merged = dict(self.defaults.plain)
        merged.update({key: found.value for key, found in self.overrides.items()})
        return merged

    def encoded(self, key: str) -> str:
        found = self.overrides.get(key)
        return encode(found.value) if found else self.defaults.encoded[key]


def encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def items_by_key(repo: Repo) -> dict[str, tuple[str, ConfigItem]]:
    """key -> (domain, item) for every configuration item."""
    return {item.key: (s.domain, item) for s in repo.of(ConfigItemSet) for item in s.items}


def province_defaults(repo: Repo) -> Defaults:
    """Computed once per set of item files (shared by two revisions that load the same ones)."""
    sets = repo.of(ConfigItemSet)
    memo_key = ("province-defaults", tuple(id(s) for s in sets))
    cached = repo.derived.get(memo_key)
    if cached is None:
        values = {
            key: EffectiveValue(item.default, f"{item.src.file}:{item.src.at('default')[0]}", None)
            for key, (_domain, item) in sorted(items_by_key(repo).items())
        }
        cached = Defaults(
            values,
            {key: found.value for key, found in values.items()},
            {key: encode(found.value) for key, found in values.items()},
        )
        repo.derived[memo_key] = cached
    assert isinstance(cached, Defaults)
    return cached


def effective_config(repo: Repo, env: Environment) -> dict[str, RegionConfig]:
    """mof_div_code -> the configuration that region runs with in ``env``."""
    defaults = province_defaults(repo)
    overrides: dict[str, dict[str, EffectiveValue]] = {r.mof_div_code: {} for r in env.regions}
    for override in env.config_overrides:
        region = overrides.get(override.mof_div_code)
        if region is not None and override.key in defaults.values:
            region[override.key] = EffectiveValue(
                override.value,
                f"{override.src.file}:{override.src.at('value')[0]}",
                override.ticket,
            )
    return {
        code: RegionConfig(defaults, dict(sorted(found.items())))
        for code, found in overrides.items()
    }
