"""Rules for system configuration items (系统级配置项) and the environments' overrides of them.

Every item carries the JSON Schema (Draft 2020-12) of its value. The schema is compiled once per
distinct schema; the default and every override must validate against it, and the item's
management level (管理级次) decides who may override it: 1 nobody (province-managed), 2 a city
region, 3 any region.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable

from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.load.repo import Repo
from dfctl.model import ConfigItemSet, Environment
from dfctl.model.environment import ConfigOverride
from dfctl.model.sysconfig import ConfigItem

# Schemas must be self-contained: an empty registry makes a remote "$ref" an error instead of
# a network fetch in the middle of a check.
_NO_REMOTE = Registry()
_COMPILED_LIMIT = 4096


@dataclass(frozen=True)
class _Checked:
    """An item's schema, compiled, and its default checked against it."""

    validator: Draft202012Validator | None
    schema_error: SchemaError | None = None
    unresolvable: Unresolvable | None = None
    default_errors: tuple[ValidationError, ...] = ()


# Items with the same schema share one compiled validator; the 20,000 items of a province
# repository have far fewer distinct schemas.
_compiled: dict[str, Draft202012Validator | SchemaError] = {}
# The checked items of the repository the rules last ran on, by id(item): the items stay alive,
# and their ids valid, exactly as long as that repository.
_last_repo: weakref.ref[Repo] | None = None
_last_checked: dict[int, _Checked] = {}


def _compile(schema: dict[str, Any]) -> Draft202012Validator | SchemaError:
    text = json.dumps(schema, sort_keys=True, default=str)
    found = _compiled.get(text)
    if found is None:
        try:
            Draft202012Validator.check_schema(schema)
            found = Draft202012Validator(schema, registry=_NO_REMOTE)
        except SchemaError as error:
            found = error
        if len(_compiled) >= _COMPILED_LIMIT:
            _compiled.clear()
        _compiled[text] = found
    return found


def _check_item(item: ConfigItem) -> _Checked:
    compiled = _compile(item.value_schema)
    if isinstance(compiled, SchemaError):
        return _Checked(None, schema_error=compiled)
    try:
        return _Checked(compiled, default_errors=_sorted(compiled.iter_errors(item.default)))
    except Unresolvable as error:
        return _Checked(compiled, unresolvable=error)


def _checked(ctx: CheckContext, item: ConfigItem) -> _Checked:
    """``item`` with its schema compiled and its default checked, once per repository."""
    global _last_repo, _last_checked
    if _last_repo is None or _last_repo() is not ctx.repo:
        _last_repo, _last_checked = weakref.ref(ctx.repo), {}
    found = _last_checked.get(id(item))
    if found is None:
        found = _last_checked[id(item)] = _check_item(item)
    return found


def _sorted(errors: Iterable[ValidationError]) -> tuple[ValidationError, ...]:
    return tuple(sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]))


def _errors(ctx: CheckContext, item: ConfigItem, value: Any) -> tuple[ValidationError, ...]:
    validator = _checked(ctx, item).validator
    if validator is None:
        return ()  # DFP-CFG-001's
    try:
        return _sorted(validator.iter_errors(value))
    except Unresolvable:
        return ()  # DFP-CFG-001 reports the reference


def _items(ctx: CheckContext) -> Iterator[ConfigItem]:
    for item_set in ctx.repo.of(ConfigItemSet):
        yield from item_set.items


def _items_by_key(ctx: CheckContext) -> dict[str, ConfigItem]:
    found: dict[str, ConfigItem] = {}
    for item in _items(ctx):
        found.setdefault(item.key, item)
    return found


def _overrides(ctx: CheckContext) -> Iterator[tuple[Environment, ConfigOverride]]:
    for environment in ctx.repo.of(Environment):
        for override in environment.config_overrides:
            yield environment, override


def _shown_path(error: ValidationError) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return f" at {path.lstrip('.')}" if path else ""


@repo_rule("DFP-CFG-001", Severity.ERROR)
def schema_is_valid(ctx: CheckContext) -> Iterator[Finding]:
    """An item's `schema` is a valid, self-contained JSON Schema (Draft 2020-12).

    Passing:
        - key: execution.payment.single_limit
          type: integer
          schema: {type: integer, minimum: 0, maximum: 50000000}

    Failing:
        - key: execution.payment.single_limit
          type: integer
          schema: {type: int, minimum: 0}       # "int" is not a JSON Schema type
    """
    for item in _items(ctx):
        checked = _checked(ctx, item)
        if checked.schema_error is not None:
            error = checked.schema_error
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
            at = f" at {where.lstrip('.')}" if where else ""
            yield Finding(
                item,
                "schema",
                f'schema of "{item.key}" is not a valid JSON Schema (Draft 2020-12){at}: '
                f"{error.message}",
            )
        elif checked.unresolvable is not None:
            yield Finding(
                item,
                "schema",
                f'schema of "{item.key}" refers to {checked.unresolvable.ref!r}, which it does '
                "not contain; schemas must be self-contained",
            )


@repo_rule("DFP-CFG-002", Severity.ERROR)
def default_matches_schema(ctx: CheckContext) -> Iterator[Finding]:
    """An item's `default` validates against its `schema`.

    Passing:
        - key: execution.refund.cross_year_days
          type: integer
          schema: {type: integer, minimum: 0, maximum: 90}
          default: 30

    Failing:
        - key: execution.refund.cross_year_days
          type: integer
          schema: {type: integer, minimum: 0, maximum: 90}
          default: 120                         # above the maximum of 90
    """
    for item in _items(ctx):
        for error in _checked(ctx, item).default_errors:
            yield Finding(
                item,
                "default",
                f'default of "{item.key}" does not match its schema{_shown_path(error)}: '
                f"{error.message}",
            )


@repo_rule("DFP-CFG-003", Severity.ERROR)
def override_matches_schema(ctx: CheckContext) -> Iterator[Finding]:
    """An environment's override value validates against the item's `schema`.

    Passing:
        config_overrides:
          - key: execution.refund.cross_year_days
            mof_div_code: "990102000"
            value: 45                          # schema: integer, 0 to 90

    Failing:
        config_overrides:
          - key: execution.refund.cross_year_days
            mof_div_code: "990102000"
            value: "45"                        # a string; the schema wants an integer
    """
    items = _items_by_key(ctx)
    for _environment, override in _overrides(ctx):
        item = items.get(override.key)
        if item is None:
            continue  # an unknown key is DFP-REF-001's
        for error in _errors(ctx, item, override.value):
            yield Finding(
                override,
                "value",
                f'override of "{override.key}" for {override.mof_div_code} does not match the '
                f"item's schema{_shown_path(error)}: {error.message}",
            )


@repo_rule("DFP-CFG-004", Severity.ERROR)
def province_items_not_overridden(ctx: CheckContext) -> Iterator[Finding]:
    """A province-managed item (management_level 1) is never overridden by a city or county.

    Passing:
        # standards/system-config/execution.yaml
        - key: execution.indicator.controls_payment
          management_level: 1                  # no override of it anywhere

    Failing:
        # environments/production/environment.yaml
        config_overrides:
          - key: execution.indicator.controls_payment   # management_level 1
            mof_div_code: "990102000"
            value: false
    """
    items = _items_by_key(ctx)
    for _environment, override in _overrides(ctx):
        item = items.get(override.key)
        if item is not None and item.management_level == 1:
            yield Finding(
                override,
                "key",
                f'"{override.key}" is managed by the province (management_level 1); '
                f"{override.mof_div_code} may not override it",
            )


@repo_rule("DFP-CFG-005", Severity.ERROR)
def override_region_level(ctx: CheckContext) -> Iterator[Finding]:
    """A city-level item (management_level 2) is overridden only for a city region, not a county.

    Passing:
        config_overrides:
          - key: budget.compile.carry_over_enabled      # management_level 2
            mof_div_code: "990100000"                   # XX市本级, level city

    Failing:
        config_overrides:
          - key: budget.compile.carry_over_enabled      # management_level 2
            mof_div_code: "990102000"                   # 临江区本级, level county
    """
    items = _items_by_key(ctx)
    for environment, override in _overrides(ctx):
        item = items.get(override.key)
        if item is None or item.management_level != 2:
            continue
        region = next(
            (r for r in environment.regions if r.mof_div_code == override.mof_div_code), None
        )
        if region is not None and region.level == "county":
            cities = [r.mof_div_code for r in environment.regions if r.level == "city"]
            example = f" such as {cities[0]}" if cities else ""
            yield Finding(
                override,
                "mof_div_code",
                f'{override.mof_div_code} ({region.name}) is a county region; "{override.key}" has '
                f"management_level 2 and is set per city region{example}",
            )


@repo_rule("DFP-CFG-006", Severity.ERROR)
def config_keys_unique(ctx: CheckContext) -> Iterator[Finding]:
    """A configuration key is defined once across all files, and overridden once per region.

    Passing:
        # standards/system-config/execution.yaml
        - key: execution.payment.single_limit
        # standards/system-config/budget.yaml
        - key: budget.compile.carry_over_enabled

    Failing:
        # standards/system-config/execution.yaml
        - key: execution.payment.single_limit
        # standards/system-config/budget.yaml
        - key: execution.payment.single_limit           # defined twice
    """
    first: dict[str, ConfigItem] = {}
    in_file_order = sorted(ctx.repo.of(ConfigItemSet), key=lambda s: s.src.file)
    for item in (item for item_set in in_file_order for item in item_set.items):
        seen = first.setdefault(item.key, item)
        if seen is not item:
            yield Finding(
                item,
                "key",
                f'config key "{item.key}" is already defined at '
                f"{seen.src.file}:{seen.src.at('key')[0]}",
            )
    for environment in ctx.repo.of(Environment):
        overridden: dict[tuple[str, str], ConfigOverride] = {}
        for override in environment.config_overrides:
            earlier = overridden.setdefault((override.key, override.mof_div_code), override)
            if earlier is not override:
                yield Finding(
                    override,
                    "key",
                    f'"{override.key}" is already overridden for {override.mof_div_code} at line '
                    f"{earlier.src.at('key')[0]}; one region has one value",
                )


_JSON_TYPES = ("boolean", "integer", "number", "string", "object", "array", "null")


@repo_rule("DFP-CFG-007", Severity.ERROR)
def declared_type_matches_schema(ctx: CheckContext) -> Iterator[Finding]:
    """An item's declared `type` is the type its `schema` gives the value.

    Passing:
        - key: execution.payment.single_limit
          type: integer
          schema: {type: integer, minimum: 0}

    Failing:
        - key: execution.payment.single_limit
          type: string
          schema: {type: integer, minimum: 0}
    """
    for item in _items(ctx):
        schema_type = item.value_schema.get("type")
        if schema_type is None or _checked(ctx, item).schema_error is not None:
            continue  # no type to compare with, or DFP-CFG-001's
        allowed = [schema_type] if isinstance(schema_type, str) else list(schema_type)
        if item.type not in allowed:
            shown = " or ".join(f'"{t}"' for t in allowed if t in _JSON_TYPES)
            yield Finding(
                item,
                "type",
                f'"{item.key}" declares type "{item.type}" but its schema says {shown}',
            )


RULES = (
    schema_is_valid,
    default_matches_schema,
    override_matches_schema,
    province_items_not_overridden,
    override_region_level,
    config_keys_unique,
    declared_type_matches_schema,
)
