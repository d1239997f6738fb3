"""The README's quickstart, run line by line as a newcomer would, in a copy of the repository.

The lines are read from the README's fenced block after the `quickstart` marker, so the README
and this test cannot drift apart. They run in one bash session (the `eval` of `dfctl sandbox
up` sets what the later commands read), against a real cluster and etcd the sandbox starts; HOME
points into the test's folder so the sandbox does not touch one of the machine's.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from dfctl.load.repo import WorkTree, load_repo
from dfctl.render import render
from dfctl.sandbox import session
from dfctl.sandbox.binaries import cache_root
from tests.content import PROJECT, commit_all, copy_content, init_repo

pytestmark = [pytest.mark.controlplane, pytest.mark.git, pytest.mark.slow]

MARKER = "<!-- quickstart:"
STEP = "### step: "


def quickstart_lines() -> list[str]:
    text = (PROJECT / "README.md").read_text(encoding="utf-8")
    after = text[text.index(MARKER) :]
    block = re.search(r"```sh\n(.*?)```", after, re.S)
    assert block is not None, "the README's quickstart has no ```sh block after its marker"
    return [line for line in block.group(1).splitlines() if line.strip()]


def outputs(stdout: str) -> list[tuple[str, str]]:
    """(line, what it printed) for each line run, in order."""
    found: list[tuple[str, str]] = []
    for text in stdout.split(STEP)[1:]:
        line, _, printed = text.partition("\n")
        found.append((line, printed))
    return found


def test_the_readme_quickstart_runs_as_written(tmp_path: Path) -> None:
    lines = quickstart_lines()
    assert lines[1] == 'eval "$(.venv/bin/dfctl sandbox up --env acceptance)"'
    work = copy_content(tmp_path / "repo")
    commit_all(init_repo(work), "the city's configuration")
    (work / ".venv").symlink_to(PROJECT / ".venv")
    home = tmp_path / "home"
    home.mkdir()
    script = "set -euo pipefail\n" + "".join(
        f"echo {shlex.quote(STEP + line)}\n{line} 2>&1\n" for line in lines
    )
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KUBECONFIG", "DFCTL_"))},
        "HOME": str(home),
        "DFCTL_CONTROLPLANE_CACHE": str(cache_root()),
        "GIT_AUTHOR_NAME": "李明",
        "GIT_AUTHOR_EMAIL": "liming@xx.gov.example",
        "GIT_COMMITTER_NAME": "李明",
        "GIT_COMMITTER_EMAIL": "liming@xx.gov.example",
    }
    try:
        run = subprocess.run(
            ["bash", "-c", script],
            cwd=work,
            env=environment,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    finally:
        session.down(home / ".cache" / "dfctl" / "sandbox")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    steps = outputs(run.stdout)
    assert [line for line, _ in steps] == lines  # every line ran
    printed = [text for _, text in steps]
    plan, apply, review, plan_again, apply_again, drift = (
        printed[lines.index(".venv/bin/dfctl plan --env acceptance")],
        printed[lines.index(".venv/bin/dfctl apply --env acceptance")],
        printed[lines.index(".venv/bin/dfctl diff --base HEAD~1")],
        printed[len(lines) - 1 - lines[::-1].index(".venv/bin/dfctl plan --env acceptance")],
        printed[len(lines) - 1 - lines[::-1].index(".venv/bin/dfctl apply --env acceptance")],
        printed[lines.index(".venv/bin/dfctl drift --env acceptance")],
    )
    counts = re.findall(r"^(tke-acc-a|configservice): (\d+) to create, (\d+) to update", plan, re.M)
    assert [name for name, *_ in counts] == ["tke-acc-a", "configservice"], plan
    assert all(int(create) > 0 for _name, create, _update in counts), plan
    # the installer's 8 namespaces and 28 Deployments are adopted and patched, not created
    assert int(counts[0][2]) == 8 + 28, plan
    assert "  ~ Deployment dfp-budget-acc/bgt-server" in plan
    assert " ! " not in plan
    assert re.search(
        r"^dfctl: applied \d+ changes to acceptance at [0-9a-f]{12}; markers moved to "
        r"[0-9a-f]{12} \(tke-acc-a, configservice\)$",
        apply,
        re.M,
    ), apply
    assert "limits.cpu" in review and "12" in review and "14" in review, review
    # the configuration service holds every document of acceptance, and the commit changed none
    documents = len(render(load_repo(WorkTree(work)), "acceptance").documents)
    assert plan_again.splitlines()[1:] == [
        "tke-acc-a: 0 to create, 1 to update, 0 to delete (46 managed now, 6 reads)",
        "  ~ ResourceQuota dfp-budget-acc/dfp-quota  (cloud/namespaces/acceptance/dfp-budget-acc.yaml:9)",
        "      spec.hard['limits.cpu']: 12 → 14",
        f"configservice: 0 to create, 0 to update, 0 to delete ({documents} managed now, 1 reads)",
    ], plan_again
    assert re.search(
        r"^dfctl: applied 1 changes to acceptance at [0-9a-f]{12}; markers moved to "
        r"[0-9a-f]{12} \(tke-acc-a, configservice\)$",
        apply_again,
        re.M,
    ), apply_again
    assert drift.startswith("no drift in acceptance: live state matches "), drift
