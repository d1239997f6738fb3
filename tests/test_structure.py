"""Structure checks: where each kind of schema failure is reported, and positions on models."""

from __future__ import annotations

from dfctl.load.structure import attach_sources, check_structure
from dfctl.load.yamlread import read_yaml
from dfctl.model import ApprovalPolicy, Cluster, ElementSet, Environment
from dfctl.model.base import Document

ELEMENTS_PATH = "standards/elements/exp-func-2026.yaml"
CLUSTER_PATH = "cloud/clusters/tke-prod-a.yaml"

ELEMENTS = """\
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
  - code: "201"
    name: 一般公共服务支出
    start_date: 2026-01-01
  - code: "20101"
    name: 人大事务
    start_date: 2026-01-01
"""

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
  storage: 20Ti
"""


def check(text: str, path: str = ELEMENTS_PATH) -> list[tuple[int, int, str, str]]:
    result = read_yaml(path, text.encode())
    assert result.document is not None, result.diagnostics
    model, found = check_structure(result.document)
    assert (model is None) == bool(found)
    assert all(d.file == path for d in found)
    return sorted((d.line, d.column, d.rule, d.message) for d in found)


def load(text: str, path: str) -> Document:
    result = read_yaml(path, text.encode())
    assert result.document is not None
    model, found = check_structure(result.document)
    assert found == []
    assert model is not None
    return model


def test_valid_documents_have_no_findings() -> None:
    assert check(ELEMENTS) == []
    assert check(CLUSTER, CLUSTER_PATH) == []


# -- missing keys ------------------------------------------------------------------------------


def test_a_missing_key_points_at_the_mapping_that_should_hold_it() -> None:
    text = ELEMENTS.replace("    name: 人大事务\n", "")
    assert check(text) == [(14, 5, "DFP-STR-002", "elements[1]: missing required key 'name'")]


def test_a_missing_top_level_key_points_at_the_document() -> None:
    text = ELEMENTS.replace("fiscal_year: 2026\n", "")
    assert check(text) == [(2, 1, "DFP-STR-002", "missing required key 'fiscal_year'")]


def test_missing_keys_of_one_mapping_are_one_diagnostic() -> None:
    text = CLUSTER.replace('  cpu: "384"\n  memory: 1536Gi\n  pods: "3000"\n', "")
    assert check(text, CLUSTER_PATH) == [
        (11, 3, "DFP-STR-002", "capacity: missing required keys 'cpu', 'memory', 'pods'")
    ]


# -- unknown keys ------------------------------------------------------------------------------


def test_an_unknown_key_points_at_the_key_and_suggests_the_near_one() -> None:
    text = CLUSTER.replace("  storage: 20Ti", "  storge: 20Ti")
    assert check(text, CLUSTER_PATH) == [
        (
            14,
            3,
            "DFP-STR-003",
            "unknown key 'storge'; did you mean 'storage'? (allowed: cpu, memory, pods, storage)",
        )
    ]


def test_a_misspelt_required_key_is_reported_once_as_unknown() -> None:
    # pydantic also says "start_date" is missing; the suggestion already says so
    text = ELEMENTS.replace(
        "    start_date: 2026-01-01\n  - code", "    start_dat: 2026-01-01\n  - code"
    )
    assert check(text) == [
        (
            13,
            5,
            "DFP-STR-003",
            "unknown key 'start_dat'; did you mean 'start_date'? (allowed: code, name, start_date,"
            " end_date, enabled, successor, maps_to, unit_level, superior, remark, unit_type,"
            " maps_to_by_unit_type, unit_types)",
        )
    ]


def test_an_unknown_key_without_a_near_one_still_lists_the_allowed() -> None:
    text = CLUSTER.replace("provider: tke\n", "provider: tke\nowner: 平台运维组\n")
    assert check(text, CLUSTER_PATH) == [
        (
            6,
            1,
            "DFP-STR-003",
            "unknown key 'owner' (allowed: apiVersion, kind, name, provider, cluster_id,"
            " cloud_region, kubernetes_version, environment, capacity)",
        )
    ]


def test_an_unknown_key_and_a_different_missing_key_are_both_reported() -> None:
    text = ELEMENTS.replace("    name: 人大事务\n", "    owner: 人大\n")
    assert check(text) == [
        (14, 5, "DFP-STR-002", "elements[1]: missing required key 'name'"),
        (
            15,
            5,
            "DFP-STR-003",
            "unknown key 'owner' (allowed: code, name, start_date, end_date, enabled, successor,"
            " maps_to, unit_level, superior, remark, unit_type, maps_to_by_unit_type, unit_types)",
        ),
    ]


APPROVALS = """\
# yaml-language-server: $schema=schemas/ApprovalPolicy.json
apiVersion: dfp.config/v1
kind: ApprovalPolicy
groups:
  platform-ops:
    description: 平台运维组
    members:
      - name: 李强
        email: liqiang@czj.xx.gov.example
rules:
  - name: 要素标准
    paths: ["standards/elements/**"]
    require:
      - group: platform-ops
break_glass:
  group: platform-ops
"""


def test_unknown_keys_inside_values_of_a_dict_know_the_allowed_keys() -> None:
    text = APPROVALS.replace("        email:", "        mail:")
    assert check(text, "approvals.yaml") == [
        (
            9,
            9,
            "DFP-STR-003",
            "unknown key 'mail'; did you mean 'email'? (allowed: name, email, public_key)",
        )
    ]


def test_a_bad_dict_key_points_at_the_key() -> None:
    text = APPROVALS.replace("  platform-ops:\n", "  Platform Ops:\n")
    assert check(text, "approvals.yaml") == [
        (
            5,
            3,
            "DFP-STR-002",
            "key of groups: expected a string matching ^[a-z][a-z0-9-]*[a-z0-9]$,"
            " got 'Platform Ops'",
        )
    ]


# -- values ------------------------------------------------------------------------------------


def test_a_union_of_types_fails_as_one_diagnostic() -> None:
    text = CLUSTER.replace('pods: "3000"', "pods: {max: 3000}")
    assert check(text, CLUSTER_PATH) == [
        (13, 9, "DFP-STR-002", "capacity.pods: expected a string or an integer, got a mapping")
    ]


def test_a_number_that_no_union_branch_takes_asks_for_quotes_once() -> None:
    text = CLUSTER.replace('cpu: "384"', "cpu: 0.5")
    assert check(text, CLUSTER_PATH) == [
        (11, 8, "DFP-STR-004", 'capacity.cpu must be a string, not the number 0.5: write "0.5"')
    ]


def test_a_number_for_a_string_shows_the_number_as_written() -> None:
    text = ELEMENTS.replace('code: "20101"', "code: 020101")
    assert check(text) == [
        (
            14,
            11,
            "DFP-STR-004",
            'elements[1].code must be a string, not the number 020101: write "020101"',
        )
    ]


def test_a_hex_looking_code_is_shown_as_written() -> None:
    text = CLUSTER.replace("cluster_id: cls-9p01a7kx", "cluster_id: 0x1f")
    assert check(text, CLUSTER_PATH) == [
        (6, 13, "DFP-STR-004", 'cluster_id must be a string, not the number 0x1f: write "0x1f"')
    ]


def test_value_errors_name_the_value_and_what_was_expected() -> None:
    text = (
        ELEMENTS.replace("management: ministry", "management: Ministry")
        .replace("structure: [3, 2, 2]", "structure: [3, 2, 0]")
        .replace("fiscal_year: 2026", "fiscal_year: 2026.0")
    )
    assert check(text) == [
        (6, 14, "DFP-STR-002", "fiscal_year: expected an integer, got 2026.0"),
        (
            8,
            13,
            "DFP-STR-002",
            "management: expected 'ministry', 'province', 'city' or 'county', got 'Ministry'",
        ),
        (9, 19, "DFP-STR-002", "structure[2]: expected a number greater than or equal to 1, got 0"),
    ]


def test_long_values_are_shortened_in_messages() -> None:
    text = CLUSTER.replace("environment: production", "environment: " + "生产" * 30)
    assert check(text, CLUSTER_PATH) == [
        (
            9,
            14,
            "DFP-STR-002",
            "environment: expected 'acceptance', 'pre-release' or 'production', got '"
            + "生产" * 20
            + "…'",
        )
    ]


# -- envelope and folder -----------------------------------------------------------------------


def test_envelope_problems_stop_before_the_schema() -> None:
    text = ELEMENTS.replace("apiVersion: dfp.config/v1", "apiVersion: dfp.config/v2").replace(
        "fiscal_year: 2026\n", ""
    )
    assert check(text) == [
        (2, 13, "DFP-STR-001", "apiVersion is 'dfp.config/v2'; expected dfp.config/v1")
    ]


def test_a_kind_that_is_not_a_string() -> None:
    text = ELEMENTS.replace("kind: ElementSet", "kind: [ElementSet]")
    assert check(text) == [(3, 7, "DFP-STR-001", "kind is a list; this folder holds ElementSet")]


def test_a_known_kind_in_another_kinds_folder() -> None:
    assert check(ELEMENTS, "environments/production/exp-func-2026.yaml") == [
        (
            3,
            7,
            "DFP-STR-005",
            "ElementSet files belong in standards/elements/; this folder holds Environment",
        )
    ]


# -- positions on models -----------------------------------------------------------------------


def test_attach_sources_gives_every_nested_model_its_positions() -> None:
    cluster = load(CLUSTER, CLUSTER_PATH)
    assert isinstance(cluster, Cluster)
    assert (cluster.src.file, cluster.src.line, cluster.src.column) == (CLUSTER_PATH, 2, 1)
    assert cluster.src.at("cluster_id") == (6, 13)
    assert cluster.src.key_at("cluster_id") == (6, 1)
    assert cluster.src.at("capacity") == (11, 3)
    assert cluster.capacity.src.file == CLUSTER_PATH
    assert cluster.capacity.src.at("memory") == (12, 11)
    assert cluster.capacity.src.key_at("memory") == (12, 3)
    # a key that is absent (or None) falls back to the object itself
    assert cluster.capacity.src.at("nonexistent") == (11, 3)
    assert cluster.capacity.src.at() == (11, 3)


def test_attach_sources_reaches_items_of_lists() -> None:
    elements = load(ELEMENTS, ELEMENTS_PATH)
    assert isinstance(elements, ElementSet)
    assert [e.src.at("code") for e in elements.elements] == [(11, 11), (14, 11)]
    assert [e.src.at("start_date") for e in elements.elements] == [(13, 17), (16, 17)]
    assert elements.elements[1].src.key_at("name") == (15, 5)


def test_attach_sources_reaches_values_of_dicts() -> None:
    policy = load(APPROVALS, "approvals.yaml")
    assert isinstance(policy, ApprovalPolicy)
    group = policy.groups["platform-ops"]
    assert (group.src.line, group.src.column) == (6, 5)
    assert group.members[0].src.at("email") == (9, 16)
    assert policy.rules[0].require[0].src.at("group") == (14, 16)
    assert policy.break_glass.src.at("group") == (16, 10)


def test_attach_sources_on_a_model_built_elsewhere() -> None:
    text = """\
# yaml-language-server: $schema=../../schemas/Environment.json
apiVersion: dfp.config/v1
kind: Environment
name: production
title: 生产环境
clusters: [tke-prod-a]
regions:
  - {mof_div_code: "990100000", name: XX市本级, level: city}
release:
  version: 3.7.2
  hotfixes:
    - component: budget-web
      version: 3.7.3
      ticket: TAPD-1020384
"""
    result = read_yaml("environments/production/environment.yaml", text.encode())
    assert result.document is not None
    root = result.document.root
    model = Environment.model_validate(root)
    attach_sources(model, root, "environments/production/environment.yaml")
    assert model.regions[0].src.at("name") == (8, 39)
    assert model.release.src.at("version") == (10, 12)
    assert model.release.hotfixes[0].src.at("ticket") == (14, 15)
    assert model.release.hotfixes[0].src.file == "environments/production/environment.yaml"
