"""Documents for the configuration service, one per stable key under ``/dfp/<environment>/``.

Key layout (documented in docs/configuration-service.md):
  /dfp/<env>/release                                  the pinned release: version and images
  /dfp/<env>/config/<mof_div_code>                    effective configuration of one region
  /dfp/<env>/config-items/<domain>                    item definitions: schema, default, level
  /dfp/<env>/elements/<set_code>/<year>/<mof_div>     one element set, in the platform's row shape
  /dfp/<env>/control-rules/<domain>                   monitoring/control rules of one domain
  /dfp/<env>/portal/systems/<id>                      one integrated system
  /dfp/<env>/datahub/peers/<id>                       one data hub peer
  /dfp/<env>/datahub/interfaces/<id>                  one data hub interface
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from dfctl import API_VERSION
from dfctl.load.repo import Repo
from dfctl.model import (
    ConfigItemSet,
    ControlRuleSet,
    DatahubInterface,
    DatahubPeer,
    ElementSet,
    Environment,
    PortalSystem,
    Release,
)
from dfctl.model.base import Strict
from dfctl.model.elements import UNIT_TYPES
from dfctl.render.effective import RegionConfig
from dfctl.render.state import ConfigDocument

KEY_ROOT = "/dfp"


def env_prefix(env: str) -> str:
    return f"{KEY_ROOT}/{env}/"


def _doc(
    key: str,
    kind: str,
    obj: Strict,
    spec: Any,
    row_lines: Mapping[str, Mapping[str, int]] | None = None,
) -> ConfigDocument:
    source = f"{obj.src.file}:{obj.src.line}"
    return ConfigDocument(
        key,
        {"apiVersion": API_VERSION, "kind": kind, "source": source, "spec": spec},
        source,
        row_lines or {},
    )


def _lines(
    repo: Repo, path: str, owner: Strict, rows: Iterable[Strict], key: str
) -> dict[str, dict[str, int]]:
    """Where each row of the list at ``path`` is written, by its ``key`` (see ConfigDocument).

    The same in every environment, so built once per Repo, like the element sets' bodies. (No
    tuple per row: a province has a quarter of a million rows, and every tracked allocation
    brings the next full garbage collection of a large heap closer.)"""
    cache_key = ("row-lines", path, id(owner))
    lines: dict[str, dict[str, int]] | None = repo.derived.get(cache_key)
    if lines is None:
        lines = {path: {getattr(row, key): row.src.line for row in rows}}
        repo.derived[cache_key] = lines
    return lines


def _dump(obj: Strict, exclude: set[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = obj.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude=exclude
    )
    data.pop("apiVersion", None)
    data.pop("kind", None)
    return data


def element_rows(element_set: ElementSet) -> list[dict[str, Any]]:
    """The platform's row shape: code, name, parent, level, is_leaf, dates, enabled, …

    A mapped code carries ``maps_to_by_unit_type`` resolved for every unit type (civil-service-
    managed units' fallback applied), so the platform looks an agency's unit type up directly.
    """
    parents = {element_set.parent_of(e.code) for e in element_set.elements}
    rows = []
    for element in element_set.elements:
        row: dict[str, Any] = {
            "code": element.code,
            "name": element.name,
            "parent": element_set.parent_of(element.code),
            "level": element_set.level_of(element.code),
            "is_leaf": element.code not in parents,
            "start_date": element.start_date.isoformat(),
            "end_date": element.end_date.isoformat() if element.end_date else None,
            "enabled": element.enabled,
            "fiscal_year": element_set.fiscal_year,
            "mof_div_code": element_set.mof_div_code,
        }
        for optional in ("successor", "maps_to", "unit_level", "superior", "unit_type"):
            value = getattr(element, optional)
            if value is not None:
                row[optional] = value
        if element.maps_to is not None or element.maps_to_by_unit_type is not None:
            resolved = {t: element.mapping_for(t) for t in UNIT_TYPES}
            row["maps_to_by_unit_type"] = {t: c for t, c in resolved.items() if c is not None}
        if element.unit_types is not None:
            row["unit_types"] = list(element.unit_types)
        rows.append(row)
    return rows


def _element_spec(repo: Repo, element_set: ElementSet) -> dict[str, Any]:
    """The set's document body; the same in every environment, so built once per Repo (the
    Repo keeps the set alive, so its id cannot be reused while the entry exists)."""
    key = ("element-spec", id(element_set))
    spec = repo.derived.get(key)
    if spec is None:
        # rows by code, so that reordering a set's file changes nothing the platform reads
        rows = sorted(element_rows(element_set), key=lambda row: str(row["code"]))
        spec = {**_dump(element_set, exclude={"elements"}), "elements": rows}
        repo.derived[key] = spec
    return spec


def config_documents(
    repo: Repo, env: Environment, effective: dict[str, RegionConfig]
) -> Iterator[ConfigDocument]:
    prefix = env_prefix(env.name)
    release = next(r for r in repo.of(Release) if r.version == env.release.version)
    yield _doc(
        prefix + "release",
        "Release",
        env,
        {
            "version": release.version,
            "hotfixes": [h.model_dump(mode="json") for h in env.release.hotfixes],
            "images": {c.name: c.image for c in sorted(release.components, key=lambda c: c.name)},
        },
        _lines(repo, "spec.hotfixes", env, env.release.hotfixes, "component"),
    )
    for region in env.regions:
        config = effective[region.mof_div_code]
        yield _doc(
            f"{prefix}config/{region.mof_div_code}",
            "EffectiveConfig",
            region,
            {
                "mof_div_code": region.mof_div_code,
                "name": region.name,
                "items": config.plain(),
                "overrides": {
                    key: {"ticket": found.ticket, "source": found.source}
                    for key, found in config.overrides.items()
                },
            },
        )
    for item_set in repo.of(ConfigItemSet):
        yield _doc(
            f"{prefix}config-items/{item_set.domain}",
            "ConfigItemSet",
            item_set,
            {
                "domain": item_set.domain,
                "items": [_dump(i) for i in sorted(item_set.items, key=lambda i: i.key)],
            },
            _lines(repo, "spec.items", item_set, item_set.items, "key"),
        )
    for element_set in repo.of(ElementSet):
        yield _doc(
            f"{prefix}elements/{element_set.set_code}/{element_set.fiscal_year}/{element_set.mof_div_code}",
            "ElementSet",
            element_set,
            _element_spec(repo, element_set),
            _lines(repo, "spec.elements", element_set, element_set.elements, "code"),
        )
    for rule_set in repo.of(ControlRuleSet):
        yield _doc(
            f"{prefix}control-rules/{rule_set.domain}",
            "ControlRuleSet",
            rule_set,
            {
                "domain": rule_set.domain,
                "rules": [_dump(r) for r in sorted(rule_set.rules, key=lambda r: r.id)],
            },
            _lines(repo, "spec.rules", rule_set, rule_set.rules, "id"),
        )
    for system in repo.of(PortalSystem):
        if env.name in system.environments:
            yield _doc(f"{prefix}portal/systems/{system.id}", "PortalSystem", system, _dump(system))
    for peer in repo.of(DatahubPeer):
        yield _doc(f"{prefix}datahub/peers/{peer.id}", "DatahubPeer", peer, _dump(peer))
    for interface in repo.of(DatahubInterface):
        if env.name in interface.environments:
            yield _doc(
                f"{prefix}datahub/interfaces/{interface.id}",
                "DatahubInterface",
                interface,
                _dump(interface),
            )
