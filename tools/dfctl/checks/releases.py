"""Rules for the province release catalog (版本管控) and the versions the environments pin.

A release reaches production only after it ran in acceptance and pre-release: along the stages
acceptance → pre-release → production the pinned version never goes up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import Environment, Release
from dfctl.model.base import STAGES
from dfctl.model.release import Component

_PINNED = re.compile(r"@sha256:[0-9a-f]{64}")
_VERSION = re.compile(r"\d+(?:\.\d+)*")


def _version_key(version: str) -> tuple[int, ...] | None:
    if not _VERSION.fullmatch(version):
        return None
    return tuple(int(part) for part in version.split("."))


def _image_problem(image: str) -> str | None:
    at = image.rfind("@")
    if at < 0:
        return "is not pinned by digest; append @sha256:<64 hex digits> (a tag can be moved)"
    digest = image[at:]
    if _PINNED.fullmatch(digest):
        return None
    if digest.startswith("@sha256:"):
        hexpart = digest[len("@sha256:") :]
        if len(hexpart) == 64:
            return "has a sha256 digest with characters other than lower-case hex (0-9, a-f)"
        return (
            f"has a sha256 digest of {len(hexpart)} characters; it needs 64 lower-case hex digits"
        )
    return f"is pinned by {digest[1:].split(':')[0]!r}; pin it by @sha256:<64 hex digits>"


@repo_rule("DFP-REL-001", Severity.ERROR)
def images_pinned_by_digest(ctx: CheckContext) -> Iterator[Finding]:
    """Every component image is pinned by its sha256 digest, not only by a tag.

    Passing:
        image: ccr.xx-gov.example/dfp/budget-api:3.2.0@sha256:<64 lower-case hex digits>

    Failing:
        image: ccr.xx-gov.example/dfp/budget-api:3.2.0    # the tag can be moved
    """
    for release in ctx.repo.of(Release):
        for component in release.components:
            problem = _image_problem(component.image)
            if problem:
                yield Finding(component, "image", f"image of {component.name} {problem}")


@repo_rule("DFP-REL-002", Severity.ERROR)
def promotion_order(ctx: CheckContext) -> Iterator[Finding]:
    """A version runs in acceptance and pre-release before production pins it.

    Along acceptance → pre-release → production the pinned version never goes up (by version
    number, 3.10.0 after 3.9.2). Production is reported at its release.version; a pre-release
    newer than acceptance at pre-release's.

    Passing:
        # acceptance: release: {version: "3.3.0"}
        # pre-release: release: {version: "3.2.0"}
        # production: release: {version: "3.2.0"}

    Failing:
        # acceptance: release: {version: "3.2.0"}
        # pre-release: release: {version: "3.2.0"}
        # production: release: {version: "3.3.0"}      # never ran in acceptance or pre-release
    """
    # STAGES is the promotion order: each stage runs no newer version than those before it
    stages: dict[str, Environment] = {
        environment.name: environment for environment in ctx.repo.of(Environment)
    }
    for index in range(1, len(STAGES)):
        later = stages.get(STAGES[index])
        pinned = _version_key(later.release.version) if later is not None else None
        if later is None or pinned is None:
            continue  # a pin that is not a version is DFP-REF-001's
        before = [stages[name] for name in STAGES[:index] if name in stages]
        ahead = [e for e in before if (key := _version_key(e.release.version)) and key < pinned]
        if ahead:
            runs = ", ".join(f"{e.name} runs {e.release.version}" for e in ahead)
            path = " and ".join(STAGES[:index])
            yield Finding(
                later.release,
                "version",
                f"{later.name} pins {later.release.version}, newer than what ran before it "
                f"({runs}); a version goes through {path} first",
            )


@repo_rule("DFP-REL-003", Severity.ERROR)
def hotfixes_in_catalog(ctx: CheckContext) -> Iterator[Finding]:
    """A hotfix pins a component at a version of the catalog that contains that component.

    Passing:
        # standards/releases/3.2.1.yaml has component pay-gateway
        hotfixes:
          - component: pay-gateway
            version: "3.2.1"
            ticket: TAPD-1020391

    Failing:
        hotfixes:
          - component: pay-gateway
            version: "3.2.9"          # no such release in standards/releases/
            ticket: TAPD-1020391
    """
    releases = {release.version: release for release in ctx.repo.of(Release)}
    for environment in ctx.repo.of(Environment):
        for pin in environment.release.hotfixes:
            release = releases.get(pin.version)
            if release is None:
                if not ctx.repo.could_not_load(Release, pin.version):
                    known = ", ".join(sorted(releases, key=lambda v: _version_key(v) or ()))
                    yield Finding(
                        pin,
                        "version",
                        f"hotfix of {pin.component} pins version {pin.version}, which is not in "
                        f"standards/releases/ (versions: {known or 'none'})",
                    )
                continue
            if all(component.name != pin.component for component in release.components):
                yield Finding(
                    pin,
                    "component",
                    f"release {pin.version} has no component {pin.component}",
                )


@repo_rule("DFP-REL-004", Severity.ERROR)
def components_unique(ctx: CheckContext) -> Iterator[Finding]:
    """A release lists each component once.

    Passing:
        components:
          - name: budget-api
          - name: budget-web

    Failing:
        components:
          - name: budget-api
          - name: budget-api        # which image runs?
    """
    for release in ctx.repo.of(Release):
        first: dict[str, Component] = {}
        for component in release.components:
            seen = first.setdefault(component.name, component)
            if seen is not component:
                yield Finding(
                    component,
                    "name",
                    f"component {component.name} is already listed in release {release.version} "
                    f"at line {seen.src.at('name')[0]}",
                )


RULES = (images_pinned_by_digest, promotion_order, hotfixes_in_catalog, components_unique)
