"""The benchmark's province generator writes a valid repository of the documented shape."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from benchmarks import generate_province
from dfctl.cli import main
from dfctl.load.repo import WorkTree, load_repo
from dfctl.model import (
    ConfigItemSet,
    ElementSet,
    Environment,
    Namespace,
    kind_for_path,
)

pytestmark = pytest.mark.slow

CITIES = 2
SET_CODES = {
    "agency",
    "exp_func",
    "gov_bgt_eco",
    "dep_bgt_eco",
    "income_sort",
    "fund_type",
    "account_type",
}


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, generate_province.Summary]:
    root = tmp_path_factory.mktemp("province") / "repo"
    return root, generate_province.generate(root, cities=CITIES, seed=1)


def test_dfctl_finds_nothing_to_report(
    province: tuple[Path, generate_province.Summary], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = province
    code = main(["--repo", str(root), "validate", "--today", "2026-11-27"])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert code == 0
    assert ": 0 errors, 0 warnings" in captured.err


def test_summary_matches_the_files_written(
    province: tuple[Path, generate_province.Summary],
) -> None:
    root, summary = province
    paths = WorkTree(root).data_paths()
    kinds = Counter(kind_for_path(p) or p for p in paths)
    assert dict(kinds) == summary.files
    assert summary.bytes == sum((root / p).stat().st_size for p in paths)


def test_counts_scale_as_documented(province: tuple[Path, generate_province.Summary]) -> None:
    root, summary = province
    repo = load_repo(WorkTree(root))
    production = next(e for e in repo.of(Environment) if e.name == "production")
    seats = [r for r in production.regions if r.level == "city"]
    counties = [r for r in production.regions if r.level == "county"]
    # every city has its seat and 4 to 8 counties; the first city is XX市 with six
    assert [r.mof_div_code for r in seats] == [f"99{n:02d}00000" for n in range(1, CITIES + 1)]
    assert 4 * CITIES <= len(counties) <= 8 * CITIES
    assert [r.mof_div_code for r in counties if r.mof_div_code.startswith("9901")] == [
        "990102000",
        "990103000",
        "990104000",
        "990105000",
        "990121000",
        "990122000",
    ]
    # seven element sets per region, one file each
    sets = repo.of(ElementSet)
    by_region = Counter(s.mof_div_code for s in sets)
    assert by_region == {r.mof_div_code: len(SET_CODES) for r in production.regions}
    assert {s.set_code for s in sets} == SET_CODES
    elements = sum(len(s.elements) for s in sets)
    assert elements == summary.elements
    # thousands of budget units per city, most of them at the seat
    for seat in seats:
        units = sum(
            len(s.elements)
            for s in sets
            if s.set_code == "agency" and s.mof_div_code[:4] == seat.mof_div_code[:4]
        )
        assert units >= 1000
    # about 10,000 codes per city, so 21 cities hold at least 200,000
    assert 8_000 * CITIES <= elements <= 12_000 * CITIES
    # configuration items do not scale: 8 domains × 16 modules × 8 areas × 20 settings
    item_sets = repo.of(ConfigItemSet)
    assert len(item_sets) == 8
    assert sum(len(s.items) for s in item_sets) == summary.config_items == 20_480
    # shared namespaces per stage and domain, plus one per city and domain in production
    assert len(repo.of(Namespace)) == 8 * 3 + 8 * CITIES


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    def digest(root: Path) -> str:
        files = sorted(p for p in root.rglob("*") if p.is_file())
        sha = hashlib.sha256()
        for path in files:
            sha.update(path.relative_to(root).as_posix().encode())
            sha.update(path.read_bytes())
        return sha.hexdigest()

    generate_province.generate(tmp_path / "a", cities=1, seed=7)
    generate_province.generate(tmp_path / "b", cities=1, seed=7)
    generate_province.generate(tmp_path / "c", cities=1, seed=8)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_rejects_a_city_count_out_of_range(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"cities must be 1\.\.21"):
        generate_province.generate(tmp_path / "x", cities=22)
