"""The command line: exit codes, output formats, validating some paths, and internal errors."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dfctl.cli import COMMANDS, build_parser, main
from dfctl.cli import validate as validate_command

ELEMENTS = "standards/elements/exp-func-2026.yaml"
CLUSTER = "cloud/clusters/tke-prod-a.yaml"
NAMESPACE = "cloud/namespaces/production/dfp-budget-prod.yaml"
CONTROL_RULES = "standards/control-rules/budget.yaml"

FILES = {
    ELEMENTS: """\
# yaml-language-server: $schema=../../schemas/ElementSet.json
apiVersion: dfp.config/v1
kind: ElementSet
set_code: exp_func
name: 支出功能分类科目
fiscal_year: 2026
mof_div_code: "990000000"
management: ministry
structure: [3, 2, 2]
elements:
  - code: 201
    name: 一般公共服务支出
    start_date: 2026-01-01
provenance:
  status: from-memory
  notes: a test fixture, not real codes
""",
    CLUSTER: """\
# yaml-language-server: $schema=../../schemas/Cluster.json
apiVersion: dfp.config/v1
kind: Cluster
name: tke-prod-a
provider: tke
cluster_id: cls-9p01a7kx
cloud_region: xx-gov-cloud-1
kubernetes_version: 1.30
environment: production
capacity:
  cpu: "384"
  memory: 1536Gi
  pods: "3000"
""",
    NAMESPACE: """\
# yaml-language-server: $schema=../../../schemas/Namespace.json
apiVersion: dfp.config/v1
kind: Namespace
name: dfp-budget-prod
cluster: tke-prod-a
environment: production
domain: budget
quota:
  requests.cpu: "64"
  requests.memory: 128Gi
  limits.cpu: "96"
  limits.memory: 192Gi
  pods: "300"
limit_range:
  default: {cpu: "1", memory: 2Gi}
  default_request: {cpu: 500m, memory: 1Gi}
  max: {cpu: "8", memory: 16Gi}
workloads:
  - name: budget-web
    component: budget-web
    replicas: "3"
""",
    CONTROL_RULES: """\
# yaml-language-server: $schema=../../schemas/ControlRuleSet.json
apiVersion: dfp.config/v1
kind: ControlRuleSet
domain: budget
rules:
  - id: BGT-CTL-001
    name: 超指标支付
    warning_level: 3
    handling: 2
    trigger: 1
    management_level: 1
    condition: payment.amount > indicator.balance
    severity: high
""",
}

# What each file above is wrong about: one structure error apiece, so no rule across files fires.
FOUND = {
    ELEMENTS: (
        f"{ELEMENTS}:11:11: error DFP-STR-004 elements[0].code must be a string, not the number"
        ' 201: write "201"'
    ),
    CLUSTER: (
        f"{CLUSTER}:8:21: error DFP-STR-004 kubernetes_version must be a string, not the number"
        ' 1.30: write "1.30"'
    ),
    NAMESPACE: (
        f"{NAMESPACE}:21:15: error DFP-STR-002 workloads[0].replicas: expected an integer, got '3'"
    ),
    CONTROL_RULES: (
        f"{CONTROL_RULES}:13:5: error DFP-STR-003 unknown key 'severity' (allowed: id, name,"
        " warning_level, handling, trigger, attachment_required, schedule, management_level,"
        " enabled, condition, description, reads)"
    ),
}

VALID_ELEMENTS = FILES[ELEMENTS].replace("code: 201", 'code: "201"')


def make_repo(root: Path, files: dict[str, str]) -> Path:
    """A configuration repository holding ``files`` (and an environments/ folder, which marks
    it as one)."""
    (root / "environments").mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def bad_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", FILES)


def lines(*paths: str) -> str:
    return "".join(FOUND[p] + "\n" for p in sorted(paths))


# -- exit codes --------------------------------------------------------------------------------


def test_a_clean_repository_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path, {ELEMENTS: VALID_ELEMENTS})
    assert run(capsys, "--repo", str(repo), "validate", "--today", "2026-11-27") == (
        0,
        "",
        "dfctl: checked 1 files: 0 errors, 0 warnings\n",
    )


def test_warnings_alone_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path, {ELEMENTS: VALID_ELEMENTS.split("\n", 1)[1]})
    code, out, err = run(capsys, "--repo", str(repo), "validate", "--today", "2026-11-27")
    assert code == 0
    assert out.startswith(f"{ELEMENTS}:1:1: warning DFP-STR-006 ")
    assert out.count("\n") == 1
    assert err == "dfctl: checked 1 files: 0 errors, 1 warnings\n"


def test_errors_exit_1(bad_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--repo", str(bad_repo), "validate", "--today", "2026-11-27")
    assert (code, out) == (1, lines(*FILES))
    assert err == "dfctl: checked 4 files: 4 errors, 0 warnings\n"


def test_an_unknown_subcommand_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "lint")
    assert (code, out) == (2, "")
    assert "invalid choice: 'lint'" in err


def test_a_bad_today_exits_2(bad_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--repo", str(bad_repo), "validate", "--today", "2026-13-01")
    assert (code, out) == (2, "")
    assert "not a date (YYYY-MM-DD): '2026-13-01'" in err


def test_a_bad_dfctl_today_exits_2(
    bad_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DFCTL_TODAY", "27.11.2026")
    assert run(capsys, "--repo", str(bad_repo), "validate") == (
        2,
        "",
        "dfctl: DFCTL_TODAY='27.11.2026' is not a date (YYYY-MM-DD)\n",
    )


def test_a_repo_that_does_not_exist_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    assert run(capsys, "--repo", str(missing), "validate", "--today", "2026-11-27") == (
        2,
        "",
        f"dfctl: --repo {missing}: no such folder\n",
    )


def test_a_path_outside_the_repository_exits_2(
    bad_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("a: 1\n", encoding="utf-8")
    code, out, err = run(
        capsys, "--repo", str(bad_repo), "validate", "--today", "2026-11-27", str(outside)
    )
    assert (code, out) == (2, "")
    assert err == f"dfctl: {outside} is outside the repository {bad_repo.resolve()}\n"


def test_outside_a_configuration_repository_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    (elsewhere / "notes.yaml").write_text("a: 1\n", encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    for command in ("validate", "fmt"):
        assert run(capsys, command) == (
            2,
            "",
            f"dfctl: not a configuration repository: {elsewhere.resolve()} "
            "(no approvals.yaml or environments/)\n",
        )


def test_a_path_that_does_not_exist_exits_2(
    bad_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(bad_repo)
    for command in ("validate", "fmt"):
        assert run(capsys, "--repo", str(bad_repo), command, "cloud/clusters/tke-prod-z.yaml") == (
            2,
            "",
            "dfctl: cloud/clusters/tke-prod-z.yaml: no such file or folder\n",
        )


def test_a_folder_stands_for_its_data_files(
    bad_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(bad_repo)
    code, out, err = run(capsys, "validate", "--today", "2026-11-27", "cloud/clusters")
    # the cluster, and the namespace whose rules read clusters
    assert (code, out) == (1, lines(CLUSTER, NAMESPACE))
    assert err == "dfctl: checked 2 files: 2 errors, 0 warnings\n"


def test_repo_may_follow_the_command(
    bad_repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    before = run(capsys, "--repo", str(bad_repo), "validate", "--today", "2026-11-27")
    after = run(capsys, "validate", "--repo", str(bad_repo), "--today", "2026-11-27")
    # given in both places, the one after the command wins
    both = run(
        capsys,
        "--repo",
        str(elsewhere),
        "validate",
        "--repo",
        str(bad_repo),
        "--today",
        "2026-11-27",
    )
    assert before == after == both
    assert before[0] == 1


@pytest.mark.parametrize(
    "words",
    [
        ["approvals", "check", "--range", "HEAD~1..HEAD"],
        [
            *("elements", "import", "list.xlsx", "--set", "exp_func", "--year", "2026"),
            *("--notice", "财预〔2026〕3号", "--issued-on", "2026-11-20"),
        ],
    ],
    ids=["approvals check", "elements import"],
)
def test_repo_may_follow_a_commands_action(
    words: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing"
    expected = (2, "", f"dfctl: --repo {missing}: no such folder\n")
    assert run(capsys, "--repo", str(missing), *words) == expected
    assert run(capsys, *words, "--repo", str(missing)) == expected
    # given in both places, the one after the action wins
    assert run(capsys, "--repo", str(tmp_path), *words, "--repo", str(missing)) == expected


def test_changed_needs_a_base(bad_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--repo", str(bad_repo), "validate", "--changed") == (
        2,
        "",
        "dfctl: --changed needs --base REV (or --base auto)\n",
    )


def test_explain_of_an_unknown_rule_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "explain", "DFP-YAML-099") == (
        2,
        "",
        "dfctl: no rule 'DFP-YAML-099'; `dfctl explain` lists them\n",
    )


def test_explain_of_a_loader_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "dfp-yaml-003")
    assert code == 0
    assert out.startswith("DFP-YAML-003 (error)\n\nA key appears once in a mapping")
    assert "Passing:" in out
    assert "Failing:" in out


# -- formats -----------------------------------------------------------------------------------


def test_json_format_is_versioned_with_a_list_of_flat_objects(
    bad_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--repo", str(bad_repo), "validate", "--today", "2026-11-27", "--format", "json"
    )
    assert code == 1
    document = json.loads(out)
    assert list(document) == ["format_version", "diagnostics"]
    assert document["format_version"] == 1
    found = document["diagnostics"]
    assert len(found) == len(FILES)
    for item in found:
        assert set(item) == {"file", "line", "column", "rule", "severity", "message"}
    assert found[0] == {
        "file": CLUSTER,
        "line": 8,
        "column": 21,
        "rule": "DFP-STR-004",
        "severity": "error",
        "message": 'kubernetes_version must be a string, not the number 1.30: write "1.30"',
    }
    assert [item["file"] for item in found] == sorted(FILES)


def test_json_format_of_a_clean_repository_has_no_diagnostics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path, {ELEMENTS: VALID_ELEMENTS})
    code, out, _ = run(
        capsys, "--repo", str(repo), "validate", "--today", "2026-11-27", "--format", "json"
    )
    assert (code, json.loads(out)) == (0, {"format_version": 1, "diagnostics": []})


def test_github_format_writes_workflow_annotations(
    bad_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--repo", str(bad_repo), "validate", "--today", "2026-11-27", "--format", "github"
    )
    assert code == 1
    assert out.splitlines()[0] == (
        f"::error file={CLUSTER},line=8,col=21,title=DFP-STR-004::"
        'kubernetes_version must be a string, not the number 1.30: write "1.30"'
    )
    assert len(out.splitlines()) == len(FILES)
    assert all(line.startswith("::error file=") for line in out.splitlines())


def test_sarif_format_is_sarif_2_1_0(bad_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "--repo", str(bad_repo), "validate", "--today", "2026-11-27", "--format", "sarif"
    )
    assert code == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    (sarif_run,) = log["runs"]
    assert sarif_run["tool"]["driver"]["name"] == "dfctl"
    rules = sarif_run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["DFP-STR-002", "DFP-STR-003", "DFP-STR-004"]
    assert rules[2]["shortDescription"]["text"] == (
        "Codes and identifiers are strings, never numbers: YAML would drop leading zeros."
    )
    results = sarif_run["results"]
    assert len(results) == len(FILES)
    assert results[0] == {
        "ruleId": "DFP-STR-004",
        "level": "error",
        "message": {
            "text": 'kubernetes_version must be a string, not the number 1.30: write "1.30"'
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": CLUSTER},
                    "region": {"startLine": 8, "startColumn": 21},
                }
            }
        ],
    }


def test_gitlab_format_is_a_code_quality_report(
    bad_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--repo", str(bad_repo), "validate", "--today", "2026-11-27", "--format", "gitlab"
    )
    assert code == 1
    report = json.loads(out)
    assert isinstance(report, list)
    assert [issue["location"]["path"] for issue in report] == sorted(FILES)
    first = report[0]
    assert set(first) == {"description", "check_name", "fingerprint", "severity", "location"}
    assert {k: v for k, v in first.items() if k != "fingerprint"} == {
        "description": "DFP-STR-004 kubernetes_version must be a string, not the number 1.30: "
        'write "1.30"',
        "check_name": "DFP-STR-004",
        "severity": "critical",
        "location": {"path": CLUSTER, "lines": {"begin": 8}},
    }
    assert len({issue["fingerprint"] for issue in report}) == len(report)
    assert all(len(issue["fingerprint"]) == 64 for issue in report)


def test_gitlab_fingerprints_survive_moved_lines(
    bad_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--repo", str(bad_repo), "validate", "--today", "2026-11-27", "--format", "gitlab")
    before = json.loads(run(capsys, *args)[1])
    cluster = bad_repo / CLUSTER
    text = cluster.read_text(encoding="utf-8")
    cluster.write_text(text.replace("kind: Cluster\n", "kind: Cluster\n# 生产集群A\n"), "utf-8")
    after = json.loads(run(capsys, *args)[1])
    assert after[0]["location"]["lines"]["begin"] == before[0]["location"]["lines"]["begin"] + 1
    assert [i["fingerprint"] for i in after] == [i["fingerprint"] for i in before]


# -- validating some paths ---------------------------------------------------------------------


def test_given_paths_report_only_themselves_and_their_dependents(
    bad_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # namespace rules read clusters, so a changed cluster re-checks the namespaces
    code, out, err = run(
        capsys,
        "--repo",
        str(bad_repo),
        "validate",
        "--today",
        "2026-11-27",
        str(bad_repo / CLUSTER),
    )
    assert (code, out) == (1, lines(CLUSTER, NAMESPACE))
    assert err == "dfctl: checked 2 files: 2 errors, 0 warnings\n"


def test_a_path_nothing_depends_on_reports_only_itself(
    bad_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "--repo",
        str(bad_repo),
        "validate",
        "--today",
        "2026-11-27",
        str(bad_repo / CONTROL_RULES),
    )
    assert (code, out) == (1, lines(CONTROL_RULES))


def test_a_clean_path_passes_while_other_files_are_broken(
    bad_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (bad_repo / ELEMENTS).write_text(VALID_ELEMENTS, encoding="utf-8")
    # control rules read the element sets' codes, so they are checked with them: mend them too
    rules = (bad_repo / CONTROL_RULES).read_text(encoding="utf-8")
    (bad_repo / CONTROL_RULES).write_text(rules.replace("    severity: high\n", ""), "utf-8")
    code, out, _ = run(
        capsys,
        "--repo",
        str(bad_repo),
        "validate",
        "--today",
        "2026-11-27",
        str(bad_repo / ELEMENTS),
    )
    assert (code, out) == (0, "")


# -- internal errors ---------------------------------------------------------------------------


def test_an_internal_error_is_one_line_and_exit_2(
    bad_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a fault that no input can produce: the checker itself breaks
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("checker exploded")

    monkeypatch.delenv("DFCTL_DEBUG", raising=False)
    monkeypatch.setattr(validate_command, "validate", broken)
    code, out, err = run(capsys, "--repo", str(bad_repo), "validate", "--today", "2026-11-27")
    assert (code, out) == (2, "")
    assert err == "dfctl: internal error: RuntimeError: checker exploded\n"
    assert "Traceback" not in err


# -- help ----------------------------------------------------------------------------------------


def _parsers(
    parser: argparse.ArgumentParser, name: str
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


def _undocumented(parser: argparse.ArgumentParser, name: str) -> Iterator[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from (f"{name} {c.dest}" for c in action._choices_actions if not c.help)
        elif action.help is None and action.dest != "help":
            yield f"{name} {'/'.join(action.option_strings) or action.dest}"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_subcommand_and_option_has_a_help_line(command: str) -> None:
    parsers = list(_parsers(build_parser(command), "dfctl"))
    # the command's own parser, with its arguments, is among them
    assert any(name == f"dfctl {command}" for name, _ in parsers)
    missing = [line for name, parser in parsers for line in _undocumented(parser, name)]
    assert missing == []


@pytest.mark.parametrize(
    ("args", "example"),
    [
        (["validate"], "dfctl validate --base auto"),
        (["diff"], "dfctl diff --base"),
        (["approvals", "check"], "dfctl approvals check --range"),
    ],
)
def test_help_shows_examples_and_exit_codes(
    args: list[str], example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*args, "--help"]) == 0
    out = capsys.readouterr().out
    epilog = out[out.index("\nexamples:\n") :]
    assert f"\n  {example}" in epilog
    exit_codes = epilog[epilog.index("\nexit codes:\n") :].splitlines()[1:]
    assert [
        line.split()[0]
        for line in exit_codes
        if line.startswith("  ") and line.split()[0].isdigit()
    ] == ["0", "1", "2"]
