"""Rendering the repository's own content: golden files, determinism, provenance, schemas."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dfctl.cli import main
from dfctl.errors import RenderError
from dfctl.load.repo import WorkTree
from dfctl.render import render
from dfctl.render.openapi import validate_objects
from dfctl.render.state import MANAGED_BY_LABEL, PATCHED_BY_LABEL, SOURCE_ANNOTATION, KubeObject
from dfctl.render.write import as_stream, write_tree
from dfctl.validate import load_checked
from tests.content import PROJECT, TODAY, copy_content, edit

GOLDEN = Path(__file__).parent / "golden" / "render"
ENVIRONMENTS = ["acceptance", "pre-release", "production"]
UPDATE = os.environ.get("DFCTL_UPDATE_GOLDEN") == "1"


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_render_matches_golden(env: str, tmp_path: Path) -> None:
    """Regenerate with DFCTL_UPDATE_GOLDEN=1 after an intended content change, then review it."""
    assert (
        main(
            [
                "--repo",
                str(PROJECT),
                "render",
                "--env",
                env,
                "--out",
                str(tmp_path),
                "--today",
                TODAY,
            ]
        )
        == 0
    )
    rendered = tree(tmp_path / env)
    if UPDATE:
        shutil.rmtree(GOLDEN / env, ignore_errors=True)
        write_tree(render(load_checked(WorkTree(PROJECT)), env), GOLDEN)
    assert rendered == tree(GOLDEN / env)


def test_render_is_deterministic() -> None:
    first = as_stream(render(load_checked(WorkTree(PROJECT)), "production"))
    second = as_stream(render(load_checked(WorkTree(PROJECT)), "production"))
    assert first == second
    assert first.count("\nkind: Namespace\n") == 8


def test_every_object_names_its_source_line() -> None:
    state = render(load_checked(WorkTree(PROJECT)), "production")
    assert state.objects and state.documents
    for obj in state.objects:
        metadata = obj.body["metadata"]
        label = PATCHED_BY_LABEL if obj.patch_only else MANAGED_BY_LABEL
        assert metadata["labels"][label] == "dfctl", obj.ref
        path, line = metadata["annotations"][SOURCE_ANNOTATION].rsplit(":", 1)
        lines = (PROJECT / path).read_text(encoding="utf-8").splitlines()
        assert 1 <= int(line) <= len(lines), obj.ref
    for doc in state.documents:
        path, line = doc.value["source"].rsplit(":", 1)
        assert (PROJECT / path).is_file() and int(line) >= 1, doc.key


def test_workload_patch_sets_only_image_and_replicas() -> None:
    state = render(load_checked(WorkTree(PROJECT)), "production")
    patches = [o for o in state.objects if o.kind == "Deployment"]
    assert patches and all(o.patch_only for o in patches)
    for patch in patches:
        spec = patch.body["spec"]
        assert set(spec) == {"replicas", "template"}
        (container,) = spec["template"]["spec"]["containers"]
        assert set(container) == {"name", "image"}
        assert "@sha256:" in container["image"]
        assert spec["replicas"] >= 2


def test_schema_validation_rejects_an_unknown_field() -> None:
    good = KubeObject(
        "c", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}, "f:1"
    )
    bad = KubeObject(
        "c",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "datta": {}},
        "f:2",
    )
    wrong_type = KubeObject(
        "c",
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "q"},
            "spec": {"hard": []},
        },
        "f:3",
    )
    problems = list(validate_objects([good, bad, wrong_type], {"c": "1.30"}))
    assert [(o.source, p.split(":")[0]) for o, p in problems] == [
        ("f:2", "(object)"),
        ("f:3", "spec.hard"),
    ]
    assert "datta" in problems[0][1]


def test_unsupported_kubernetes_version_is_reported() -> None:
    obj = KubeObject(
        "c", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}, "f:1"
    )
    ((_, problem),) = validate_objects([obj], {"c": "1.99"})
    assert problem == "no Kubernetes 1.99 schemas ship with kubernetes-validate"


def test_override_applies_to_its_region_only() -> None:
    state = render(load_checked(WorkTree(PROJECT)), "production")
    docs = {d.key: d.value for d in state.documents}
    env_text = (PROJECT / "environments/production/environment.yaml").read_text(encoding="utf-8")
    assert "config_overrides:" in env_text
    overridden = {
        (region, key)
        for region_key, doc in docs.items()
        if region_key.startswith("/dfp/production/config/")
        for region in [doc["spec"]["mof_div_code"]]
        for key in doc["spec"]["overrides"]
    }
    assert overridden, "production has overrides"
    region, key = sorted(overridden)[0]
    others = [
        d["spec"]["items"][key]
        for k, d in docs.items()
        if k.startswith("/dfp/production/config/")
        and d["spec"]["mof_div_code"] != region
        and key not in d["spec"]["overrides"]
    ]
    mine = docs[f"/dfp/production/config/{region}"]["spec"]["items"][key]
    assert others and all(value != mine for value in others)


def test_render_unknown_environment_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--repo", str(PROJECT), "render", "--env", "staging", "--today", TODAY]) == 2
    assert (
        "no environment 'staging'; there are: acceptance, pre-release, production"
        in capsys.readouterr().err
    )


def test_render_refuses_an_invalid_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = copy_content(tmp_path / "repo")
    edit(content / "cloud/namespaces/production/dfp-budget-prod.yaml", "replicas: 3", "replicas: 1")
    code = main(["--repo", str(content), "render", "--env", "production", "--today", TODAY])
    out, err = capsys.readouterr()
    assert code == 1
    assert "error DFP-CLD-003" in out
    assert "nothing rendered" in err


def test_render_out_refuses_a_foreign_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "production").mkdir()
    (tmp_path / "production" / "notes.txt").write_text("keep me", encoding="utf-8")
    code = main(
        [
            "--repo",
            str(PROJECT),
            "render",
            "--env",
            "production",
            "--out",
            str(tmp_path),
            "--today",
            TODAY,
        ]
    )
    assert code == 2
    assert "was not written by dfctl render" in capsys.readouterr().err
    assert (tmp_path / "production" / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_render_error_lists_problems() -> None:
    with pytest.raises(RenderError) as raised:
        render(load_checked(WorkTree(PROJECT)), "nowhere")
    assert raised.value.problems == []


def test_config_map_values_must_be_strings() -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x"},
        "data": {"a": "1", "b": 2},
    }
    problems = [p for _, p in validate_objects([KubeObject("c", body, "f:1")], {"c": "1.30"})]
    assert problems == ["data.b: 2 is not of type 'string'"]
