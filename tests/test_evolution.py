"""Evolution rules (DFP-EVO-*) against real git repositories: commit a base, change the work tree,
and run ``dfctl validate --base``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import git
import pytest

from dfctl.cli import main

pytestmark = pytest.mark.git

HEADER = "# yaml-language-server: $schema=../../schemas/ElementSet.json\n"
EXP_FUNC = "standards/elements/exp-func-2026.yaml"
PROVINCE = "standards/elements/exp-func-2026-province.yaml"
DEP_ECO = "standards/elements/dep-bgt-eco-2026.yaml"
GOV_ECO = "standards/elements/gov-bgt-eco-2026.yaml"


NAMES = {
    "exp_func": "支出功能分类科目",
    "gov_bgt_eco": "政府预算支出经济分类",
    "dep_bgt_eco": "部门预算支出经济分类",
}


FROM_MEMORY = "provenance:\n  status: from-memory\n  notes: a test fixture, not real codes\n"


def element_set(
    set_code: str,
    year: int,
    structure: str,
    elements: str,
    extra: str = "",
    provenance: str = FROM_MEMORY,
) -> str:
    """A set file; provenance comes after the elements, so the codes' lines do not move."""
    return (
        HEADER
        + textwrap.dedent(
            f"""\
        apiVersion: dfp.config/v1
        kind: ElementSet
        set_code: {set_code}
        name: {NAMES[set_code]}
        fiscal_year: {year}
        mof_div_code: "990000000"
        management: ministry
        structure: {structure}
        """
        )
        + extra
        + "elements:\n"
        + textwrap.indent(textwrap.dedent(elements), "  ")
        + provenance
    )


def exp_func(elements: str, year: int = 2026) -> str:
    return element_set("exp_func", year, "[3, 2, 2]", elements)


BASE_CODES = """\
  - code: "201"
    name: 一般公共服务支出
    start_date: 2026-01-01
  - code: "20101"
    name: 人大事务
    start_date: 2026-01-01
  - code: "2010101"
    name: 行政运行
    start_date: 2026-01-01
  - code: "2010102"
    name: 一般行政管理事务
    start_date: 2026-01-01
"""


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        # environments/ marks the folder holding the data as a configuration repository
        (root / path.split("standards/")[0] / "environments").mkdir(parents=True, exist_ok=True)
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def commit_base(root: Path, files: dict[str, str]) -> str:
    """A git repository at ``root`` whose only commit holds ``files``; returns its sha."""
    repo = git.Repo.init(root)
    write(root, files)
    repo.index.add(list(files))
    author = git.Actor("XX市财政局信息中心", "xxzx@xx.gov.example")
    return repo.index.commit("base", author=author, committer=author).hexsha


def validate(
    root: Path, base: str | None, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[str]]:
    args = ["--repo", str(root), "validate", "--today", "2026-11-27"]
    if base is not None:
        args += ["--base", base]
    code = main(args)
    return code, capsys.readouterr().out.splitlines()


def test_deleted_code_is_reported_at_the_sets_elements_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = commit_base(tmp_path, {EXP_FUNC: exp_func(BASE_CODES)})
    write(tmp_path, {EXP_FUNC: exp_func(BASE_CODES.rsplit('  - code: "2010102"', 1)[0])})

    code, lines = validate(tmp_path, base, capsys)

    assert lines == [
        f'{EXP_FUNC}:10:1: error DFP-EVO-001 code "2010102" ({EXP_FUNC}:20 at base) is gone from '
        "set exp_func/2026/990000000; retire it (end_date, successor) instead of deleting it"
    ]
    assert code == 1
    # without --base the same tree is clean: evolution rules need a base
    assert validate(tmp_path, None, capsys) == (0, [])


def test_retiring_a_code_is_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = commit_base(tmp_path, {EXP_FUNC: exp_func(BASE_CODES)})
    retired = BASE_CODES.replace(
        "    name: 一般行政管理事务\n    start_date: 2026-01-01\n",
        "    name: 一般行政管理事务\n    start_date: 2026-01-01\n"
        '    end_date: 2026-06-30\n    successor: "2010101"\n',
    )
    write(tmp_path, {EXP_FUNC: exp_func(retired)})

    assert validate(tmp_path, base, capsys) == (0, [])


def test_renamed_code_is_reported_but_a_hygiene_fix_is_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    untidy = BASE_CODES.replace("name: 行政运行", 'name: "行政运行 "')
    base = commit_base(tmp_path, {EXP_FUNC: exp_func(untidy)})
    renamed = BASE_CODES.replace("name: 人大事务", "name: 政协事务")
    write(tmp_path, {EXP_FUNC: exp_func(renamed)})

    code, lines = validate(tmp_path, base, capsys)

    assert lines == [
        f'{EXP_FUNC}:15:11: error DFP-EVO-002 code "20101" was named "人大事务" at base '
        f"({EXP_FUNC}:15); a code keeps its meaning: retire it and add a new code instead, or, if the name was "
        "mistyped, record a correction in provenance.corrections"
    ]
    assert code == 1


GOV_SET = element_set(
    "gov_bgt_eco",
    2026,
    "[3, 2]",
    """\
      - code: "501"
        name: 机关工资福利支出
        start_date: 2026-01-01
      - code: "50101"
        name: 工资奖金津补贴
        start_date: 2026-01-01
      - code: "50102"
        name: 社会保障缴费
        start_date: 2026-01-01
      - code: "505"
        name: 对事业单位经常性补助
        start_date: 2026-01-01
      - code: "50501"
        name: 工资福利支出
        start_date: 2026-01-01
    """,
)
DEP_CODES = """\
  - code: "301"
    name: 工资福利支出
    start_date: 2026-01-01
  - code: "30101"
    name: 基本工资
    start_date: 2026-01-01
    maps_to: "50101"
  - code: "30108"
    name: 机关事业单位基本养老保险缴费
    start_date: 2026-01-01
    maps_to: "50102"
"""


def test_changed_mapping_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dep_codes = DEP_CODES
    maps = "maps_to: gov_bgt_eco\n"
    base = commit_base(
        tmp_path,
        {GOV_ECO: GOV_SET, DEP_ECO: element_set("dep_bgt_eco", 2026, "[3, 2]", dep_codes, maps)},
    )
    changed = dep_codes.replace('maps_to: "50102"', 'maps_to: "50101"')
    write(tmp_path, {DEP_ECO: element_set("dep_bgt_eco", 2026, "[3, 2]", changed, maps)})

    code, lines = validate(tmp_path, base, capsys)

    assert lines == [
        f'{DEP_ECO}:22:14: error DFP-EVO-003 code "30108" mapped to "50102" at base ({DEP_ECO}:22) '
        'and now maps to "50101"; a code keeps its mapping within a fiscal year'
    ]
    assert code == 1


PROVINCE_CODES = """\
  - code: "2010150"
    name: 事业运行
    start_date: 2026-01-01
  - code: "2010199"
    name: 其他人大事务支出
    start_date: 2026-01-01
"""


def test_deleted_file_of_a_set_reports_its_codes_where_the_set_remains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = commit_base(
        tmp_path, {EXP_FUNC: exp_func(BASE_CODES), PROVINCE: exp_func(PROVINCE_CODES)}
    )
    (tmp_path / PROVINCE).unlink()

    code, lines = validate(tmp_path, base, capsys)

    assert lines == [
        f'{EXP_FUNC}:10:1: error DFP-EVO-001 code "2010150" ({PROVINCE}:11 at base) is gone from '
        "set exp_func/2026/990000000; retire it (end_date, successor) instead of deleting it",
        f'{EXP_FUNC}:10:1: error DFP-EVO-001 code "2010199" ({PROVINCE}:14 at base) is gone from '
        "set exp_func/2026/990000000; retire it (end_date, successor) instead of deleting it",
    ]
    assert code == 1


def test_moving_codes_between_files_of_a_set_is_no_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = commit_base(
        tmp_path, {EXP_FUNC: exp_func(BASE_CODES), PROVINCE: exp_func(PROVINCE_CODES)}
    )
    write(tmp_path, {EXP_FUNC: exp_func(BASE_CODES + PROVINCE_CODES)})
    (tmp_path / PROVINCE).unlink()

    assert validate(tmp_path, base, capsys) == (0, [])


def test_vanished_set_is_reported_once_at_a_remaining_file_of_its_set_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_year = "standards/elements/exp-func-2025.yaml"
    codes_2025 = BASE_CODES.replace("2026-01-01", "2025-01-01")
    base = commit_base(
        tmp_path, {EXP_FUNC: exp_func(BASE_CODES), old_year: exp_func(codes_2025, 2025)}
    )
    (tmp_path / old_year).unlink()

    code, lines = validate(tmp_path, base, capsys)

    assert lines == [
        f"{EXP_FUNC}:4:11: error DFP-EVO-001 set exp_func/2025/990000000 ({old_year} at base, 4 "
        "codes) is gone; keep it and retire its codes (end_date, successor) instead"
    ]
    assert code == 1


def test_set_with_a_file_that_fails_to_load_is_not_compared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = commit_base(
        tmp_path, {EXP_FUNC: exp_func(BASE_CODES), PROVINCE: exp_func(PROVINCE_CODES)}
    )
    broken = exp_func(PROVINCE_CODES).replace("structure: [3, 2, 2]", "structure: [3, 2, 2")
    write(tmp_path, {PROVINCE: broken})

    code, lines = validate(tmp_path, base, capsys)

    assert [line.split(" ")[2] for line in lines] == ["DFP-YAML-002"]
    assert code == 1


def test_configuration_in_a_subfolder_of_the_git_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = commit_base(tmp_path, {f"config/{EXP_FUNC}": exp_func(BASE_CODES)})
    renamed = BASE_CODES.replace("name: 行政运行", "name: 机关服务")
    write(tmp_path, {f"config/{EXP_FUNC}": exp_func(renamed)})

    code, lines = validate(tmp_path / "config", base, capsys)

    assert lines == [
        f'{EXP_FUNC}:18:11: error DFP-EVO-002 code "2010101" was named "行政运行" at base '
        f"({EXP_FUNC}:18); a code keeps its meaning: retire it and add a new code instead, or, if the name was "
        "mistyped, record a correction in provenance.corrections"
    ]
    assert code == 1


def test_unknown_base_revision_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_base(tmp_path, {EXP_FUNC: exp_func(BASE_CODES)})

    code = main(["--repo", str(tmp_path), "validate", "--base", "no-such-rev"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err == "dfctl: --base: unknown revision 'no-such-rev'\n"


def correction(codes: str, fields: str, date: str = "2026-11-20") -> str:
    return (
        "  corrections:\n"
        f"    - date: {date}\n"
        f"      codes: {codes}\n"
        f"      fields: {fields}\n"
        "      notice: 支出功能分类科目 (national list)\n"
        "      reason: the names sat one code too low\n"
    )


def test_a_correction_added_with_the_rename_excuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mistyped = BASE_CODES.replace("name: 人大事务", "name: 人大事物")
    base = commit_base(tmp_path, {EXP_FUNC: exp_func(mistyped)})
    corrected = element_set(
        "exp_func",
        2026,
        "[3, 2, 2]",
        BASE_CODES,
        provenance=FROM_MEMORY + correction('["20101"]', "[name]"),
    )
    write(tmp_path, {EXP_FUNC: corrected})

    assert validate(tmp_path, base, capsys) == (0, [])


def test_a_correction_already_at_base_excuses_no_later_rename(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_correction = FROM_MEMORY + correction('["20101"]', "[name]")
    base = commit_base(
        tmp_path,
        {
            EXP_FUNC: element_set(
                "exp_func", 2026, "[3, 2, 2]", BASE_CODES, provenance=with_correction
            )
        },
    )
    renamed = BASE_CODES.replace("name: 人大事务", "name: 政协事务")
    write(
        tmp_path,
        {EXP_FUNC: element_set("exp_func", 2026, "[3, 2, 2]", renamed, provenance=with_correction)},
    )

    code, lines = validate(tmp_path, base, capsys)

    assert lines == [
        f'{EXP_FUNC}:15:11: error DFP-EVO-002 code "20101" was named "人大事务" at base '
        f"({EXP_FUNC}:15); a code keeps its meaning: retire it and add a new code instead, or, "
        "if the name was mistyped, record a correction in provenance.corrections"
    ]
    assert code == 1


def test_a_correction_of_names_does_not_excuse_a_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    maps = "maps_to: gov_bgt_eco\n"
    base = commit_base(
        tmp_path,
        {GOV_ECO: GOV_SET, DEP_ECO: element_set("dep_bgt_eco", 2026, "[3, 2]", DEP_CODES, maps)},
    )
    split = DEP_CODES.replace(
        'maps_to: "50101"',
        'maps_to_by_unit_type: {administrative: "50101", public-institution: "50501"}',
    )
    names_only = FROM_MEMORY + correction('["30101"]', "[name]")
    write(
        tmp_path,
        {DEP_ECO: element_set("dep_bgt_eco", 2026, "[3, 2]", split, maps, names_only)},
    )

    code, lines = validate(tmp_path, base, capsys)

    assert lines == [
        f'{DEP_ECO}:18:27: error DFP-EVO-003 code "30101" changes its mapping since base '
        f'({DEP_ECO}:18): for public-institution units it mapped to "50101" and now maps to '
        '"50501"; a code keeps its mapping within a fiscal year'
    ]
    assert code == 1
    # the same change with a correction of the mapping is accepted
    fixed = FROM_MEMORY + correction('["30101"]', "[maps_to]")
    write(tmp_path, {DEP_ECO: element_set("dep_bgt_eco", 2026, "[3, 2]", split, maps, fixed)})
    assert validate(tmp_path, base, capsys) == (0, [])


def test_a_mapping_per_unit_type_is_compared_for_every_unit_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    maps = "maps_to: gov_bgt_eco\n"
    split = DEP_CODES.replace(
        'maps_to: "50101"',
        'maps_to_by_unit_type: {administrative: "50101", public-institution: "50501"}',
    )
    base = commit_base(
        tmp_path,
        {GOV_ECO: GOV_SET, DEP_ECO: element_set("dep_bgt_eco", 2026, "[3, 2]", split, maps)},
    )
    # civil-service-managed units get their own mapping: they mapped like administrative ones
    moved = split.replace(
        '{administrative: "50101", public-institution: "50501"}',
        '{administrative: "50101", civil-service-managed: "50102", public-institution: "50501"}',
    )
    write(tmp_path, {DEP_ECO: element_set("dep_bgt_eco", 2026, "[3, 2]", moved, maps)})

    code, lines = validate(tmp_path, base, capsys)

    assert lines == [
        f'{DEP_ECO}:18:27: error DFP-EVO-003 code "30101" changes its mapping since base '
        f'({DEP_ECO}:18): for civil-service-managed units it mapped to "50101" and now maps to '
        '"50102"; a code keeps its mapping within a fiscal year'
    ]
    assert code == 1


IMPORTED = """\
provenance:
  status: imported
  notice: 财预〔2025〕12号
  issuer: 财政部
  issued_on: 2025-09-20
  file: 2026年支出功能分类科目.xlsx
  sha256: {sha}
  imported_on: 2025-10-08
"""
SHA_A = "9f2c1d6a7b0e4c3f8a5d2e1b0c9f8e7d6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"
SHA_B = "4b7e0c2d9a8f1e3b5c6d7a8e9f0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b"


def test_an_imported_set_edited_by_hand_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    imported = IMPORTED.format(sha=SHA_A)
    base = commit_base(
        tmp_path,
        {EXP_FUNC: element_set("exp_func", 2026, "[3, 2, 2]", BASE_CODES, provenance=imported)},
    )
    added = BASE_CODES + '  - code: "2010103"\n    name: 机关服务\n    start_date: 2026-01-01\n'
    write(
        tmp_path,
        {EXP_FUNC: element_set("exp_func", 2026, "[3, 2, 2]", added, provenance=imported)},
    )

    code, lines = validate(tmp_path, base, capsys)

    assert lines == [
        f"{EXP_FUNC}:32:11: error DFP-EVO-004 set exp_func/2026/990000000 changed since base "
        '("2010103") but its provenance still names the imported file '
        '"2026年支出功能分类科目.xlsx"; import the new file with `dfctl elements import`, or '
        "record the change in provenance.corrections"
    ]
    assert code == 1
    # the same codes taken in from a new file of the notice are no hand edit
    reimported = IMPORTED.format(sha=SHA_B)
    write(
        tmp_path,
        {EXP_FUNC: element_set("exp_func", 2026, "[3, 2, 2]", added, provenance=reimported)},
    )
    assert validate(tmp_path, base, capsys) == (0, [])
