"""Rules for where files live: a file's folder agrees with the environment it declares, and a
file named for agencies holds them.

approvals.yaml's path rules read the folder (``cloud/namespaces/production/**`` needs the
production approvers); the environment a file declares decides where its objects are rendered.
A production namespace filed under ``cloud/namespaces/acceptance/`` would be reviewed as an
acceptance change and applied to production. (The gate's content rules catch that too; this rule
says it where the file is written.)
"""

from __future__ import annotations

from collections.abc import Iterator

from dfctl.checks.elements import AGENCY_SET
from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import ElementSet, Environment, Namespace, TdsqlInventory
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


AGENCY_FILE_PREFIX = "agency_"


@repo_rule("DFP-PLC-002", Severity.ERROR)
def agency_file_holds_agencies(ctx: CheckContext) -> Iterator[Finding]:
    """A file named ``agency_<division>.yaml`` holds that division's agencies, and nothing else.

    approvals.yaml gives ``standards/elements/agency_*.yaml`` to the city's finance bureau: the
    agencies (预算单位) are the city's and the counties' to keep. Another set in such a file
    (codes of the Ministry's classifications, say) would be reviewed as agencies and merged
    without the province.

    Passing:
        # standards/elements/agency_990102000.yaml
        set_code: agency
        mof_div_code: "990102000"

    Failing:
        # standards/elements/agency_990102000.yaml
        set_code: exp_func                # not agencies
        mof_div_code: "990102000"
    """
    for element_set in ctx.repo.of(ElementSet):
        path = element_set.src.file
        name = path.rsplit("/", 1)[-1]
        if not name.startswith(AGENCY_FILE_PREFIX):
            continue
        if element_set.set_code != AGENCY_SET:
            folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
            yield Finding(
                element_set,
                "set_code",
                f"{path} holds set {element_set.set_code}, not agencies; files named "
                f"{AGENCY_FILE_PREFIX}*.yaml are reviewed as the city's agencies: name it "
                f"{folder}{element_set.set_code}_{element_set.mof_div_code}.yaml",
            )
            continue
        expected = f"{AGENCY_FILE_PREFIX}{element_set.mof_div_code}.yaml"
        if name != expected:
            yield Finding(
                element_set,
                "mof_div_code",
                f"{path} holds the agencies of {element_set.mof_div_code}; name it {expected}",
            )


RULES = (folder_matches_environment, agency_file_holds_agencies)
