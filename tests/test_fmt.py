"""`dfctl fmt`: the canonical form, what it keeps, and what it refuses to touch."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest

from dfctl import fmt
from dfctl.cli import main
from dfctl.diagnostics import Diagnostic, Severity
from dfctl.fmt import format_bytes, format_paths, format_text
from dfctl.load.repo import WorkTree
from dfctl.load.yamlread import read_yaml
from dfctl.validate import validate

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_REPO = Path(__file__).resolve().parent / "fixtures" / "data-repo"
TODAY = dt.date(2026, 11, 27)

CLUSTER_PATH = "cloud/clusters/tke-prod-a.yaml"
CLUSTER = """\
# yaml-language-server: $schema=../../schemas/Cluster.json
apiVersion: dfp.config/v1
kind: Cluster
name: tke-prod-a
provider: tke
cluster_id: cls-9p01a7kx
cloud_region: xx-gov-cloud-1
kubernetes_version: "1.30"
environment: production
capacity:
  cpu: "384"
  memory: 1536Gi
  pods: "3000"
"""

NAMESPACE_PATH = "cloud/namespaces/production/dfp-budget-prod.yaml"
NAMESPACE_MIXED = """\
apiVersion: dfp.config/v1
kind: Namespace
name: dfp-budget-prod
cluster: tke-prod-a
environment: production
domain: budget
quota:
    requests.cpu: "64"
    requests.memory: 256Gi
    limits.cpu: "128"
    limits.memory: 512Gi
    pods: "400"
limit_range:
   default: {cpu: "2", memory: 4Gi}
   default_request:
       cpu: 500m
       memory: 1Gi
   max:
     cpu: "8"
     memory: 32Gi
workloads:
- name: budget-compile   # 预算编制
  component: budget-compile
  replicas: 3
-   name: budget-execute
    component: budget-execute
    replicas: 2
"""
NAMESPACE_CANONICAL = """\
# yaml-language-server: $schema=../../../schemas/Namespace.json
apiVersion: dfp.config/v1
kind: Namespace
name: dfp-budget-prod
cluster: tke-prod-a
environment: production
domain: budget
quota:
  requests.cpu: "64"
  requests.memory: 256Gi
  limits.cpu: "128"
  limits.memory: 512Gi
  pods: "400"
limit_range:
  default: {cpu: "2", memory: 4Gi}
  default_request:
    cpu: 500m
    memory: 1Gi
  max:
    cpu: "8"
    memory: 32Gi
workloads:
  - name: budget-compile # 预算编制
    component: budget-compile
    replicas: 3
  - name: budget-execute
    component: budget-execute
    replicas: 2
"""

ELEMENTS_PATH = "standards/elements/exp-func.yaml"
ELEMENTS_COMMENTED = """\
# 支出功能分类科目: 财政部《2026年政府收支分类科目》
# yaml-language-server: $schema=../schemas/ElementSet.json
kind: ElementSet
apiVersion: dfp.config/v1
set_code: exp_func
name: 支出功能分类科目
fiscal_year: 2026
mof_div_code: "990000000"
management: ministry
structure: [3, 2, 2]

elements:
    # 类
    - name: 一般公共服务支出
      code: '201'        # 类级科目
      start_date: "2026-01-01"
          # 款
    - name: 人大事务
      code: "20101"
      start_date: "2026-01-01"
# 以下为项级科目, 由省财政厅补充
"""
ELEMENTS_CANONICAL = """\
# yaml-language-server: $schema=../../schemas/ElementSet.json
# 支出功能分类科目: 财政部《2026年政府收支分类科目》
kind: ElementSet
apiVersion: dfp.config/v1
set_code: exp_func
name: 支出功能分类科目
fiscal_year: 2026
mof_div_code: "990000000"
management: ministry
structure: [3, 2, 2]

elements:
  # 类
  - name: 一般公共服务支出
    code: '201'          # 类级科目
    start_date: "2026-01-01"
  # 款
  - name: 人大事务
    code: "20101"
    start_date: "2026-01-01"
# 以下为项级科目, 由省财政厅补充
"""


def make_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    (root / "environments").mkdir(parents=True, exist_ok=True)  # marks a configuration repository
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8", newline="")
        else:
            target.write_bytes(content)
    return root


def run_fmt(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--repo", str(root), "fmt", *args])
    return code, capsys.readouterr().out


def test_mixed_indentation_becomes_canonical(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path, {NAMESPACE_PATH: NAMESPACE_MIXED})
    code, out = run_fmt(tmp_path, capsys)
    assert (code, out) == (0, f"reformatted {NAMESPACE_PATH}\n")
    assert (tmp_path / NAMESPACE_PATH).read_text(encoding="utf-8") == NAMESPACE_CANONICAL


def test_comments_and_key_order_are_kept(tmp_path: Path) -> None:
    make_repo(tmp_path, {ELEMENTS_PATH: ELEMENTS_COMMENTED})
    outcome = format_paths(tmp_path)
    assert (outcome.changed, outcome.checked, outcome.diagnostics) == ([ELEMENTS_PATH], 1, [])
    assert (tmp_path / ELEMENTS_PATH).read_text(encoding="utf-8") == ELEMENTS_CANONICAL


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (NAMESPACE_PATH, NAMESPACE_MIXED),
        (ELEMENTS_PATH, ELEMENTS_COMMENTED),
        (CLUSTER_PATH, CLUSTER),
    ],
)
def test_formatting_twice_gives_the_same_bytes(tmp_path: Path, path: str, text: str) -> None:
    make_repo(tmp_path, {path: text})
    format_paths(tmp_path)
    once = (tmp_path / path).read_bytes()
    second = format_paths(tmp_path)
    assert (second.changed, second.diagnostics) == ([], [])
    assert (tmp_path / path).read_bytes() == once


def test_canonical_file_is_not_rewritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path, {CLUSTER_PATH: CLUSTER})
    before = (tmp_path / CLUSTER_PATH).stat().st_mtime_ns
    os.utime(tmp_path / CLUSTER_PATH, ns=(before - 10**9, before - 10**9))
    assert run_fmt(tmp_path, capsys) == (0, "")
    assert (tmp_path / CLUSTER_PATH).stat().st_mtime_ns == before - 10**9


@pytest.mark.parametrize(
    ("first_lines", "why"),
    [
        ("", "missing"),
        ("# yaml-language-server: $schema=../schemas/Cluster.json\n", "one folder too shallow"),
        ("# yaml-language-server: $schema=../../schemas/Namespace.json\n", "another kind"),
        ("#yaml-language-server:   $schema=../../schemas/Cluster.json   \n", "spacing"),
        (
            "# 生产集群 A\n# yaml-language-server: $schema=../../schemas/Cluster.json\n",
            "second line",
        ),
    ],
)
def test_schema_line_is_inserted_or_corrected(tmp_path: Path, first_lines: str, why: str) -> None:
    body = CLUSTER.split("\n", 1)[1]
    make_repo(tmp_path, {CLUSTER_PATH: first_lines + body})
    outcome = format_paths(tmp_path)
    assert outcome.changed == [CLUSTER_PATH], why
    expected = CLUSTER if why != "second line" else CLUSTER.replace("\n", "\n# 生产集群 A\n", 1)
    assert (tmp_path / CLUSTER_PATH).read_text(encoding="utf-8") == expected


def test_schema_line_follows_the_declared_kind_and_the_folder_depth() -> None:
    text = "apiVersion: dfp.config/v1\nkind: ApprovalPolicy\n"
    assert format_text("approvals.yaml", text, "ApprovalPolicy").split("\n")[0] == (
        "# yaml-language-server: $schema=schemas/ApprovalPolicy.json"
    )
    env = "apiVersion: dfp.config/v1\nkind: Environment\n"
    assert format_text("environments/production/environment.yaml", env, "Environment").split("\n")[
        0
    ] == ("# yaml-language-server: $schema=../../schemas/Environment.json")
    # no kind of its own: the folder decides
    assert format_text("cloud/tdsql/production.yaml", "apiVersion: dfp.config/v1\n").startswith(
        "# yaml-language-server: $schema=../../schemas/TdsqlInventory.json\n"
    )


def test_fmt_clears_the_schema_line_warning(tmp_path: Path) -> None:
    body = CLUSTER.split("\n", 1)[1]
    make_repo(tmp_path, {CLUSTER_PATH: body})
    assert validate(tmp_path, TODAY).diagnostics == [
        Diagnostic(
            CLUSTER_PATH,
            1,
            1,
            "DFP-STR-006",
            Severity.WARNING,
            'first line is not the schema line; expected "# yaml-language-server:'
            ' $schema=../../schemas/Cluster.json"',
        )
    ]
    format_paths(tmp_path)
    assert validate(tmp_path, TODAY).diagnostics == []


def test_malformed_file_is_reported_and_left_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = (
        'apiVersion: dfp.config/v1\nkind: Cluster\ncapacity:\n  cpu: "384"\n   memory: 1536Gi\n'
    )
    make_repo(tmp_path, {CLUSTER_PATH: broken, NAMESPACE_PATH: NAMESPACE_MIXED})
    # the loader's own diagnostic, word for word
    [syntax] = read_yaml(CLUSTER_PATH, broken.encode("utf-8")).diagnostics
    assert (syntax.file, syntax.line, syntax.column, syntax.rule) == (
        CLUSTER_PATH,
        5,
        4,
        "DFP-YAML-002",
    )
    code, out = run_fmt(tmp_path, capsys)
    assert code == 1
    assert out == (
        f"{CLUSTER_PATH}:5:4: error DFP-YAML-002 {syntax.message}\nreformatted {NAMESPACE_PATH}\n"
    )
    assert (tmp_path / CLUSTER_PATH).read_bytes() == broken.encode("utf-8")
    assert (tmp_path / NAMESPACE_PATH).read_text(encoding="utf-8") == NAMESPACE_CANONICAL


def test_a_file_the_loader_rejects_is_not_formatted() -> None:
    duplicate = b"apiVersion: dfp.config/v1\nkind: Cluster\nname: tke-prod-a\nname: tke-prod-b\n"
    text, diagnostics = format_bytes(CLUSTER_PATH, duplicate)
    assert text is None
    assert [(d.file, d.line, d.column, d.rule, d.severity) for d in diagnostics] == [
        (CLUSTER_PATH, 4, 1, "DFP-YAML-003", Severity.ERROR)
    ]
    assert diagnostics == read_yaml(CLUSTER_PATH, duplicate).diagnostics


def test_a_comment_that_cannot_be_kept_stops_the_rewrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = "portal/access-policies/AP-2026-0001.yaml"
    text = "apiVersion: dfp.config/v1\nkind: AccessPolicy\nports: [443,   # 统一门户\n  8443]\n"
    make_repo(tmp_path, {policy: text})
    code, out = run_fmt(tmp_path, capsys)
    assert (code, out) == (
        1,
        f"{policy}:3:16: error DFP-FMT-001 formatting would lose the comment '# 统一门户';"
        " comments inside [ ] or { } cannot be kept\n",
    )
    assert (tmp_path / policy).read_text(encoding="utf-8") == text


def test_comments_above_a_directive_and_document_start_are_kept(tmp_path: Path) -> None:
    # the first file leaves a %YAML version behind in a shared dumper; the second must not get it
    make_repo(
        tmp_path,
        {
            "cloud/clusters/a.yaml": "# 验收集群\n%YAML 1.2\n---\n" + CLUSTER.split("\n", 1)[1],
            CLUSTER_PATH: "---\n" + CLUSTER.split("\n", 1)[1],
        },
    )
    assert format_paths(tmp_path).changed == ["cloud/clusters/a.yaml", CLUSTER_PATH]
    assert (tmp_path / "cloud/clusters/a.yaml").read_text(encoding="utf-8") == CLUSTER.replace(
        "\n", "\n# 验收集群\n", 1
    )
    assert (tmp_path / CLUSTER_PATH).read_text(encoding="utf-8") == CLUSTER


def test_check_changes_nothing_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path, {NAMESPACE_PATH: NAMESPACE_MIXED, CLUSTER_PATH: CLUSTER})
    assert run_fmt(tmp_path, capsys, "--check") == (1, f"would reformat {NAMESPACE_PATH}\n")
    assert (tmp_path / NAMESPACE_PATH).read_text(encoding="utf-8") == NAMESPACE_MIXED
    assert run_fmt(tmp_path, capsys) == (0, f"reformatted {NAMESPACE_PATH}\n")
    assert run_fmt(tmp_path, capsys, "--check") == (0, "")


def test_long_chinese_names_are_not_folded() -> None:
    name = "中央对地方专项转移支付" * 12 + "（含以前年度结转资金）"
    remark = "根据《财政部关于印发〈2026年政府收支分类科目〉的通知》" * 6
    text = (
        "apiVersion: dfp.config/v1\nkind: ElementSet\nelements:\n"
        f'  - code: "2300201"\n    name: {name}\n    remark: "{remark}"\n'
    )
    out = format_text(ELEMENTS_PATH, text, "ElementSet")
    assert out.split("\n")[5:7] == [f"    name: {name}", f'    remark: "{remark}"']
    assert format_text(ELEMENTS_PATH, out, "ElementSet") == out


def test_trailing_spaces_go_except_inside_block_scalars() -> None:
    text = (
        "apiVersion: dfp.config/v1   \nkind: ControlRuleSet  # 监控规则  \n"
        "description: |\n  第一行  \n  第二行\n"
    )
    assert format_text("standards/control-rules/x.yaml", text, "ControlRuleSet") == (
        "# yaml-language-server: $schema=../../schemas/ControlRuleSet.json\n"
        "apiVersion: dfp.config/v1\nkind: ControlRuleSet  # 监控规则\n"
        "description: |\n  第一行  \n  第二行\n"
    )


def test_bom_crlf_and_extra_blank_lines_are_normalised(tmp_path: Path) -> None:
    raw = ("\ufeff" + CLUSTER.replace("\n", "\r\n") + "\r\n\r\n").encode("utf-8")
    make_repo(tmp_path, {CLUSTER_PATH: raw})
    assert format_paths(tmp_path).changed == [CLUSTER_PATH]
    assert (tmp_path / CLUSTER_PATH).read_bytes() == CLUSTER.encode("utf-8")


def test_only_named_data_files_are_touched(tmp_path: Path) -> None:
    other = "cloud/namespaces/production/dfp-execution-prod.yaml"
    make_repo(
        tmp_path,
        {NAMESPACE_PATH: NAMESPACE_MIXED, other: NAMESPACE_MIXED, "notes/a.yaml": "a:   1\n"},
    )
    outcome = format_paths(tmp_path, [NAMESPACE_PATH, "notes/a.yaml", "README.md"])
    assert (outcome.changed, outcome.checked) == ([NAMESPACE_PATH], 1)
    assert (tmp_path / other).read_text(encoding="utf-8") == NAMESPACE_MIXED
    assert (tmp_path / "notes/a.yaml").read_text(encoding="utf-8") == "a:   1\n"


def test_large_sets_are_formatted_in_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    others = [f"cloud/namespaces/production/dfp-{d}-prod.yaml" for d in ("execution", "portal")]
    make_repo(tmp_path, {NAMESPACE_PATH: NAMESPACE_MIXED, CLUSTER_PATH: CLUSTER})
    make_repo(tmp_path, dict.fromkeys(others, NAMESPACE_MIXED))
    monkeypatch.setattr(fmt, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    outcome = format_paths(tmp_path)
    assert (outcome.changed, outcome.checked, outcome.diagnostics) == (
        sorted([*others, NAMESPACE_PATH]),
        4,
        [],
    )
    for path in [*others, NAMESPACE_PATH]:
        assert (tmp_path / path).read_text(encoding="utf-8") == NAMESPACE_CANONICAL


def test_rewrite_is_atomic_and_keeps_the_mode(tmp_path: Path) -> None:
    make_repo(tmp_path, {NAMESPACE_PATH: NAMESPACE_MIXED})
    target = tmp_path / NAMESPACE_PATH
    target.chmod(0o640)
    format_paths(tmp_path)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


def _data_files(root: Path) -> list[tuple[Path, str]]:
    return [(root, path) for path in WorkTree(root).data_paths()]


@pytest.mark.parametrize(
    ("root", "path"),
    _data_files(ROOT) + _data_files(FIXTURE_REPO),
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_real_files_format_idempotently(root: Path, path: str) -> None:
    once, diagnostics = format_bytes(path, (root / path).read_bytes())
    assert diagnostics == []
    assert once is not None
    assert format_bytes(path, once.encode("utf-8")) == (once, [])


def test_fixture_repository_is_canonical() -> None:
    outcome = format_paths(FIXTURE_REPO, check=True)
    assert (outcome.changed, outcome.checked, outcome.diagnostics) == ([], 3, [])
