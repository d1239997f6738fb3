"""Offline validation of rendered objects against the Kubernetes OpenAPI schemas of the
cluster's version, as shipped by the kubernetes-validate package (its "-strict" schemas reject
unknown fields).

Building a validator costs milliseconds and thousands of objects are checked, so validators are
cached per (version, kind). Workload patches are partial by design (only image and replicas), so
for them ``required`` is not enforced; types and unknown fields still are.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
from jsonschema.protocols import Validator
from kubernetes_validate import utils as kv  # type: ignore[import-untyped]
from referencing import Registry, Resource

from dfctl.errors import SchemaUnavailable
from dfctl.render.state import KubeObject

_PatchValidator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft202012Validator, {"required": lambda _v, _req, _inst, _schema: iter(())}
)


@functools.cache
def schema_version(kubernetes_version: str) -> str:
    """The newest shipped schema not newer than the cluster's (as kubernetes-validate picks)."""
    wanted = kv.major_minor(kubernetes_version)
    if wanted > kv.latest_version():
        raise SchemaUnavailable(
            f"no Kubernetes {kubernetes_version} schemas ship with kubernetes-validate"
        )
    candidates = [v for v in kv.all_versions() if kv.major_minor(v) <= wanted]
    if not candidates:
        raise SchemaUnavailable(
            f"Kubernetes {kubernetes_version} is older than every shipped schema"
        )
    return str(candidates[-1])


@functools.cache
def _validator(version: str, api_version: str, kind: str, patch: bool) -> Validator:
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = f"v{version}-local-strict"
    try:
        schema = kv.schema_contents(
            f"kubernetes-json-schema/{folder}/{kind.lower()}-{group_version}.json", version
        )
    except FileNotFoundError as exc:
        raise SchemaUnavailable(
            f"no schema for {api_version} {kind} in Kubernetes {version}"
        ) from exc
    definitions = kv.schema_contents(f"kubernetes-json-schema/{folder}/_definitions.json", version)
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(definitions) @ registry
    cls = _PatchValidator if patch else jsonschema.Draft202012Validator
    validator: Validator = cls(schema, registry=registry)
    return validator


_checked: dict[tuple[str, bool, str], tuple[str, ...]] = {}
_CHECKED_LIMIT = 100_000


def validate_objects(
    objects: list[KubeObject], versions: dict[str, str]
) -> Iterator[tuple[KubeObject, str]]:
    """(object, problem) for each rendered object the cluster's API would reject.

    A review renders two revisions of every environment, whose objects are nearly all the same:
    outcomes are remembered by content, so each distinct object is checked once.
    """
    for obj in objects:
        version = versions.get(obj.cluster, "")
        memo_key = (version, obj.patch_only, json.dumps(obj.body, sort_keys=True))
        known = _checked.get(memo_key)
        if known is None:
            known = tuple(_problems(obj, version))
            if len(_checked) < _CHECKED_LIMIT:
                _checked[memo_key] = known
        for problem in known:
            yield obj, problem


def _problems(obj: KubeObject, kubernetes_version: str) -> Iterator[str]:
    try:
        version = schema_version(kubernetes_version)
        validator = _validator(version, obj.api_version, obj.kind, obj.patch_only)
    except SchemaUnavailable as exc:
        yield str(exc)
        return
    body = obj.body
    data = body.get("data") if obj.kind == "ConfigMap" else None
    if isinstance(data, dict) and len(data) > 1:
        # A province's ConfigMaps carry thousands of entries of one schema type (string):
        # check their type here and let the schema see one of them.
        for key, value in data.items():
            if not isinstance(value, str):
                yield f"data.{key}: {value!r} is not of type 'string'"
        first = next(iter(data))
        body = {**body, "data": {first: data[first]}}
    for error in validator.iter_errors(body):
        where = ".".join(str(p) for p in error.absolute_path) or "(object)"
        yield f"{where}: {error.message}"
