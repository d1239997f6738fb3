"""Rules for where files live: a file's folder agrees with the environment it declares.

approvals.yaml's path rules read the folder (``cloud/namespaces/production/**`` needs the
production approvers); the environment a file declares decides where its objects are rendered.
A production namespace filed under ``cloud/namespaces/acceptance/`` would be reviewed as an
acceptance change and applied to production. (The gate's content rules catch that too; this rule
says it where the file is written.)
"""

from __future__ import annotations

from collections.abc import Iterator

from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import Environment, Namespace, TdsqlInventory
from dfctl.model.base import STAGES, Document


def _stage_folder(path: str, prefix: str) -> str | None:
    """The first folder under ``prefix`` in ``path``, or None when the file is directly in it."""
    rest = path.removeprefix(prefix)
    return rest.split("/", 1)[0] if "/" in rest else None


def _disagreement(document: Document, declared: str, folder: str | None, where: str) -> str | None:
    if folder == declared:
        return None
    if folder is None or folder not in STAGES:
        return f"{document.src.file} declares {declared} but is not in a stage folder ({where})"
    return (
        f"{document.src.file} declares {declared} but lives in the {folder} folder; move it to "
        f"{where.replace('<stage>', declared)} or declare {folder}"
    )


@repo_rule("DFP-PLC-001", Severity.ERROR)
def folder_matches_environment(ctx: CheckContext) -> Iterator[Finding]:
    """A file's folder agrees with the environment it declares.

    Environments live in ``environments/<stage>/``, namespaces in
    ``cloud/namespaces/<stage>/``, TDSQL inventories in ``cloud/tdsql/<stage>.yaml``.

    Passing:
        # cloud/namespaces/acceptance/dfp-budget-acc.yaml
        name: dfp-budget-acc
        environment: acceptance

    Failing:
        # cloud/namespaces/acceptance/dfp-budget-prod.yaml
        name: dfp-budget-prod
        environment: production
    """
    for env in ctx.repo.of(Environment):
        folder = _stage_folder(env.src.file, "environments/")
        problem = _disagreement(env, env.name, folder, "environments/<stage>/")
        if problem is not None:
            yield Finding(env, "name", problem)
    for namespace in ctx.repo.of(Namespace):
        folder = _stage_folder(namespace.src.file, "cloud/namespaces/")
        problem = _disagreement(
            namespace, namespace.environment, folder, "cloud/namespaces/<stage>/"
        )
        if problem is not None:
            yield Finding(namespace, "environment", problem)
    for inventory in ctx.repo.of(TdsqlInventory):
        stem = inventory.src.file.removeprefix("cloud/tdsql/").rsplit(".", 1)[0]
        if stem != inventory.environment:
            yield Finding(
                inventory,
                "environment",
                f"{inventory.src.file} declares {inventory.environment}; the inventory of "
                f"{inventory.environment} is cloud/tdsql/{inventory.environment}.yaml",
            )


RULES = (folder_matches_environment,)
