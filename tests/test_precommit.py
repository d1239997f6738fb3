"""The hooks, run by the real pre-commit in real git repositories.

The first tests commit through a `repo: local` hook that runs this checkout's dfctl; the last one
consumes the hooks this repository exports (.pre-commit-hooks.yaml) the way a county's repository
would, which makes pre-commit pip-install dfctl into its own environment (network to PyPI).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from dfctl.load.repo import WorkTree, is_data_path
from dfctl.report.diagnostics import as_text
from dfctl.validate import validate

pytestmark = [pytest.mark.precommit, pytest.mark.git]

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_REPO = Path(__file__).resolve().parent / "fixtures" / "data-repo"
CACHE = Path.home() / ".cache" / "dfctl-tests"
DATA_FILES = r"^((environments|standards|cloud|portal|datahub)/.*\.ya?ml|approvals\.yaml)$"

ELEMENTS = "standards/elements/exp-func.yaml"
CLUSTER = "cloud/clusters/tke-acc-a.yaml"
TODAY = dt.date(2026, 11, 27)
BROKEN_AT = [(CLUSTER, 14, 3, "DFP-STR-003"), (ELEMENTS, 12, 11, "DFP-STR-004")]


def expected_lines(repo: Path) -> list[str]:
    """What dfctl itself reports for the broken files, checked to be the two planted problems."""
    found = validate(repo, TODAY, paths=[CLUSTER, ELEMENTS]).diagnostics
    assert [(d.file, d.line, d.column, d.rule) for d in found] == BROKEN_AT
    return as_text(found).splitlines()


def hook_env(tmp_path: Path) -> dict[str, str]:
    """An environment that ignores the caller's git configuration and any git hook around us."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    empty = tmp_path / "empty-gitconfig"
    empty.touch()
    env.update(
        GIT_CONFIG_GLOBAL=str(empty),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="周立新",
        GIT_AUTHOR_EMAIL="zhou.lixin@czj.xx.gov.example",
        GIT_COMMITTER_NAME="周立新",
        GIT_COMMITTER_EMAIL="zhou.lixin@czj.xx.gov.example",
        PRE_COMMIT_HOME=str(CACHE / "pre-commit"),
        PRE_COMMIT_COLOR="never",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        DFCTL_TODAY=TODAY.isoformat(),
    )
    return env


def run(
    args: list[str], cwd: Path, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=900,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"{shlex.join(args)} exited {done.returncode}:\n{done.stdout}")
    return done


def git(repo: Path, env: dict[str, str], *args: str, check: bool = True) -> str:
    return run(["git", *args], repo, env, check).stdout


def init_repo(repo: Path, env: dict[str, str]) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, env, "-c", "init.defaultBranch=main", "init", "--quiet")


def pre_commit(*args: str) -> list[str]:
    return [sys.executable, "-m", "pre_commit", *args]


def break_files(repo: Path) -> None:
    """Write an element code as a number and misspell a capacity key."""
    elements = repo / ELEMENTS
    elements.write_text(
        elements.read_text("utf-8").replace('code: "201"\n', "code: 201\n"), "utf-8"
    )
    cluster = repo / CLUSTER
    cluster.write_text(cluster.read_text("utf-8") + "  storag: 20Ti\n", "utf-8")


def local_config() -> str:
    """This repository's own dfctl-validate hook, with this checkout's dfctl."""
    entry = f"{shlex.quote(sys.executable)} -m dfctl validate --base auto --changed"
    return (
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        "      - id: dfctl-validate\n"
        "        name: dfctl validate\n"
        f"        entry: {entry}\n"
        "        language: system\n"
        f"        files: {DATA_FILES}\n"
        "        always_run: true\n"
        "        require_serial: true\n"
    )


def test_local_config_is_the_repositorys_own_hook() -> None:
    """The tests commit through the hook as .pre-commit-config.yaml defines it."""
    loaded: Any = YAML(typ="safe").load((ROOT / ".pre-commit-config.yaml").read_text("utf-8"))
    ours = next(h for h in loaded["repos"][0]["hooks"] if h["id"] == "dfctl-validate")
    tested: Any = YAML(typ="safe").load(local_config())["repos"][0]["hooks"][0]
    assert ours["entry"] == "dfctl validate --base auto --changed"
    assert tested["entry"].endswith(" -m " + ours["entry"])
    for key in ("language", "files", "always_run", "require_serial"):
        assert tested[key] == ours[key], key


def test_commit_is_checked_by_the_local_hook(tmp_path: Path) -> None:
    env = hook_env(tmp_path)
    repo = tmp_path / "city"
    shutil.copytree(FIXTURE_REPO, repo)
    init_repo(repo, env)
    (repo / ".pre-commit-config.yaml").write_text(local_config(), "utf-8")
    installed = run(pre_commit("install"), repo, env)
    assert installed.stdout == "pre-commit installed at .git/hooks/pre-commit\n"

    git(repo, env, "add", "-A")
    good = run(["git", "commit", "-m", "经济分类与验收集群"], repo, env, check=False)
    assert good.returncode == 0, good.stdout
    assert re.search(r"^dfctl validate\.+Passed$", good.stdout, re.MULTILINE), good.stdout
    head = git(repo, env, "rev-parse", "HEAD").strip()
    assert git(repo, env, "log", "--format=%s").splitlines() == ["经济分类与验收集群"]

    break_files(repo)
    expected = expected_lines(repo)
    git(repo, env, "add", "-A")
    bad = run(["git", "commit", "-m", "新增科目"], repo, env, check=False)
    assert bad.returncode != 0
    lines = bad.stdout.splitlines()
    assert re.search(r"^dfctl validate\.+Failed$", bad.stdout, re.MULTILINE), bad.stdout
    assert "- hook id: dfctl-validate" in lines
    assert "- exit code: 1" in lines
    assert [line for line in lines if line in expected] == expected
    assert git(repo, env, "rev-parse", "HEAD").strip() == head
    assert git(repo, env, "diff", "--cached", "--name-only").splitlines() == [CLUSTER, ELEMENTS]


def test_a_commit_without_data_files_checks_nothing(tmp_path: Path) -> None:
    env = hook_env(tmp_path)
    repo = tmp_path / "city"
    shutil.copytree(FIXTURE_REPO, repo)
    init_repo(repo, env)
    (repo / ".pre-commit-config.yaml").write_text(local_config(), "utf-8")
    run(pre_commit("install"), repo, env)
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "--quiet", "-m", "经济分类与验收集群")
    # broken, but not staged: pre-commit sets it aside while the hooks run
    break_files(repo)
    (repo / "README.md").write_text("# XX市 数字财政\n", "utf-8")
    git(repo, env, "add", "README.md")
    done = run(["git", "commit", "-m", "说明"], repo, env, check=False)
    assert done.returncode == 0, done.stdout
    assert re.search(r"^dfctl validate\.+Passed$", done.stdout, re.M), done.stdout


def _committed_city(tmp_path: Path, env: dict[str, str], extra: dict[str, str]) -> Path:
    repo = tmp_path / "city"
    shutil.copytree(FIXTURE_REPO, repo)
    for path, text in extra.items():
        (repo / path).write_text(text, "utf-8")
    init_repo(repo, env)
    (repo / ".pre-commit-config.yaml").write_text(local_config(), "utf-8")
    run(pre_commit("install"), repo, env)
    git(repo, env, "add", "-A")
    done = run(["git", "commit", "-m", "经济分类与验收集群"], repo, env, check=False)
    assert done.returncode == 0, done.stdout
    return repo


def test_deleting_a_code_is_refused_by_the_hook(tmp_path: Path) -> None:
    env = hook_env(tmp_path)
    repo = _committed_city(tmp_path, env, {})
    head = git(repo, env, "rev-parse", "HEAD").strip()
    elements = repo / ELEMENTS
    text = elements.read_text("utf-8")
    elements.write_text(text[: text.index('  - code: "2010102"')], "utf-8")
    git(repo, env, "add", "-A")

    done = run(["git", "commit", "-m", "删除科目"], repo, env, check=False)

    assert done.returncode != 0
    assert re.search(r"^dfctl validate\.+Failed$", done.stdout, re.MULTILINE), done.stdout
    assert (
        f'{ELEMENTS}:11:1: error DFP-EVO-001 code "2010102" ({ELEMENTS}:21 at base) is gone '
        "from set exp_func/2026/990000000; retire it (end_date, successor) instead of deleting it"
    ) in done.stdout.splitlines()
    assert git(repo, env, "rev-parse", "HEAD").strip() == head


PROVINCE_FILE = "standards/elements/exp-func-province.yaml"


def test_deleting_a_whole_file_is_refused_by_the_hook(tmp_path: Path) -> None:
    env = hook_env(tmp_path)
    # a second file of the same set: the fixture's header and provenance, one code of its own
    fixture = (FIXTURE_REPO / ELEMENTS).read_text("utf-8")
    province = (
        fixture[: fixture.index("elements:\n")]
        + 'elements:\n  - code: "2010150"\n    name: 事业运行\n    start_date: "2026-01-01"\n'
        + fixture[fixture.index("provenance:\n") :]
    )
    repo = _committed_city(tmp_path, env, {PROVINCE_FILE: province})
    head = git(repo, env, "rev-parse", "HEAD").strip()
    # a commit that only deletes: git passes the hook no file name at all
    git(repo, env, "rm", "--quiet", PROVINCE_FILE)

    done = run(["git", "commit", "-m", "删除省级扩展科目"], repo, env, check=False)

    assert done.returncode != 0
    assert (
        f'{ELEMENTS}:11:1: error DFP-EVO-001 code "2010150" ({PROVINCE_FILE}:12 at base) is gone '
        "from set exp_func/2026/990000000; retire it (end_date, successor) instead of deleting it"
    ) in done.stdout.splitlines(), done.stdout
    assert git(repo, env, "rev-parse", "HEAD").strip() == head


def _hook_patterns(path: Path) -> dict[str, re.Pattern[str]]:
    loaded: Any = YAML(typ="safe").load(path.read_text("utf-8"))
    hooks = loaded if isinstance(loaded, list) else loaded["repos"][0]["hooks"]
    return {hook["id"]: re.compile(hook.get("files", "")) for hook in hooks}


def test_hook_files_patterns_select_exactly_the_data_files() -> None:
    candidates = [
        *WorkTree(ROOT).data_paths(),
        *WorkTree(FIXTURE_REPO).data_paths(),
        "approvals.yaml",
        "approvals.yml",
        "README.md",
        "pyproject.toml",
        ".pre-commit-config.yaml",
        "schemas/Cluster.json",
        "tools/dfctl/model/cloud.py",
        "cloud/clusters/tke-prod-a.json",
        "tests/cases/structure/unknown-key/repo/cloud/clusters/tke-prod-a.yaml",
    ]
    for manifest in (ROOT / ".pre-commit-config.yaml", ROOT / ".pre-commit-hooks.yaml"):
        patterns = _hook_patterns(manifest)
        for hook in ("dfctl-fmt", "dfctl-validate"):
            selected = [p for p in candidates if patterns[hook].search(p)]
            assert selected == [p for p in candidates if is_data_path(p)], (manifest.name, hook)
    schemas = _hook_patterns(ROOT / ".pre-commit-config.yaml")["dfctl-schemas"]
    assert [p for p in candidates if schemas.search(p)] == [
        "schemas/Cluster.json",
        "tools/dfctl/model/cloud.py",
    ]


def test_config_and_manifest_are_valid(tmp_path: Path) -> None:
    env = hook_env(tmp_path)
    run(pre_commit("validate-config", ".pre-commit-config.yaml"), ROOT, env)
    run(pre_commit("validate-manifest", ".pre-commit-hooks.yaml"), ROOT, env)


_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "__pycache__",
    "*.egg-info",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    ".generated",
    "build",
    "out",
    ".coverage",
)


@pytest.mark.slow
def test_exported_hooks_from_another_repository(tmp_path: Path) -> None:
    env = hook_env(tmp_path)
    # the hooks as a county would pin them: a git repository holding this work tree, committed
    source = tmp_path / "dfctl-source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    init_repo(source, env)
    git(source, env, "add", "-A")
    git(source, env, "commit", "--quiet", "-m", "dfctl")

    county = tmp_path / "county"
    shutil.copytree(FIXTURE_REPO, county)
    init_repo(county, env)
    break_files(county)
    expected = expected_lines(county)
    # mixed indentation in the cluster file: the formatter fixes it without moving any line
    cluster = county / CLUSTER
    cluster.write_text(cluster.read_text("utf-8").replace("\n  ", "\n    "), "utf-8")
    git(county, env, "add", "-A")

    done = run(
        pre_commit("try-repo", str(source), "--files", ELEMENTS, CLUSTER),
        county,
        env,
        check=False,
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 1, done.stdout
    assert re.search(r"^dfctl fmt\.+Failed$", done.stdout, re.MULTILINE), done.stdout
    assert "- files were modified by this hook" in lines
    assert f"reformatted {CLUSTER}" in lines
    assert re.search(r"^dfctl validate\.+Failed$", done.stdout, re.MULTILINE), done.stdout
    assert [line for line in lines if line in expected] == expected
    assert cluster.read_text("utf-8") == (FIXTURE_REPO / CLUSTER).read_text("utf-8") + (
        "  storag: 20Ti\n"
    )
