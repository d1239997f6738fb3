"""Rendering: from the model to the desired state of one environment. Pure: reads only the Repo."""

from __future__ import annotations

from dfctl.errors import RenderError
from dfctl.load.repo import Repo
from dfctl.model import Cluster, Environment
from dfctl.render.config_service import config_documents
from dfctl.render.effective import effective_config
from dfctl.render.kube import kube_objects
from dfctl.render.openapi import validate_objects
from dfctl.render.state import ConfigDocument, DesiredState, KubeObject


def environment_names(repo: Repo) -> list[str]:
    return sorted(e.name for e in repo.of(Environment))


def render(repo: Repo, env_name: str) -> DesiredState:
    """The desired state of ``env_name``. The repository must have passed validation."""
    env = next((e for e in repo.of(Environment) if e.name == env_name), None)
    if env is None:
        raise RenderError(
            f"no environment {env_name!r}; there are: {', '.join(environment_names(repo))}"
        )
    effective = effective_config(repo, env)
    city = next(
        (r.mof_div_code for r in env.regions if r.level == "city"), env.regions[0].mof_div_code
    )
    objects = sorted(kube_objects(repo, env, effective, city), key=KubeObject.sort_key)
    documents = sorted(config_documents(repo, env, effective), key=lambda d: d.key)
    versions = {c.name: c.kubernetes_version for c in repo.of(Cluster)}
    problems = [
        f"{obj.source}: {obj.ref} in {obj.cluster}: {problem}"
        for obj, problem in validate_objects(objects, versions)
    ]
    if problems:
        raise RenderError(f"{len(problems)} rendered objects fail the Kubernetes schema", problems)
    return DesiredState(env.name, tuple(env.clusters), tuple(objects), tuple(documents))


__all__ = [
    "ConfigDocument",
    "DesiredState",
    "KubeObject",
    "RenderError",
    "environment_names",
    "render",
]
