"""How fast is `dfctl validate`, cold, on the city repository and on a province-sized one?

Runs, in one go on one machine, each as a fresh process:

(a) ``dfctl validate`` on the city repository (this repository)         target < 2 s
(b) ``dfctl validate`` on the generated province repository             target < 20 s, < 1 GiB
(c) ``check-jsonschema`` on the same files with the same schemas (one run per kind, summed),
    the general-purpose tool a team would otherwise use: it only checks the schemas, so the
    ratio (c) / (b) says what dfctl's rules cost on top of a plain schema check.   target ≥ 2×
(d) ``dfctl validate --base HEAD~1`` on the province as a git repository whose last commit is
    a merge request touching a few files of the kinds the base rules read (three element sets,
    a configuration item set, a control rule set) and a namespace: every file checked, and
    the evolution and province-lock rules against the base.          target (d) / (b) ≤ 1.5
(e) ``dfctl validate --base HEAD~1 --changed`` on the same: only what the merge request
    changed, as the pre-commit hook and an incremental pipeline run it.

``--baseline DIR`` runs (b), (d) and (e) a second time with the ``dfctl`` package of another
source tree (``DIR/tools``, e.g. ``git archive`` of an older commit), interleaved with the
current one in every round, so a change is measured against what it replaces under the same
load. (e) is skipped for a baseline whose dfctl has no ``--changed``.

Each measurement is repeated ``--repeat`` times and the median is reported, with CPU time (user +
system, which the load of other processes on the machine disturbs less than wall time) and the
child's peak resident set size. The province repository is generated into
``benchmarks/.generated/`` when missing or when the generator changed.

Usage: ``.venv/bin/python benchmarks/bench_validate.py [--repeat 3] [--json FILE]
[--baseline DIR]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dfctl.load.repo import WorkTree
from dfctl.model import KINDS, kind_for_path
from dfctl.schemagen import render_schemas

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GENERATED = HERE / ".generated"
TODAY = "2026-11-27"

if str(REPO) not in sys.path:  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(REPO))
from benchmarks import generate_province  # noqa: E402


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    rss_mib: float  # peak resident set size of the child
    exit_code: int


@dataclass
class Measurement:
    name: str
    runs: list[Run] = field(default_factory=list)
    note: str = ""

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def rss_mib(self) -> float:
        return max(r.rss_mib for r in self.runs)


def run_child(command: list[str], expect_clean: bool = True, source: Path | None = None) -> Run:
    """Run ``command`` to completion and measure it with the child's own resource usage; with
    ``source``, the dfctl package is imported from ``source/tools``."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = str(source / "tools")
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if expect_clean and child.returncode != 0:
            out.seek(0)
            shown = out.read().decode("utf-8", "replace").splitlines()
            tail = "\n".join(shown[-15:])
            raise SystemExit(f"{' '.join(command[:6])} … exited {child.returncode}:\n{tail}")
    # ru_maxrss is in KiB on Linux
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode)


def dfctl(repo: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dfctl",
        "--repo",
        str(repo),
        "validate",
        "--today",
        TODAY,
        *extra,
    ]


# the merge request of (d) and (e): the files it touches, by kind, and how many of each
MERGE_REQUEST = (("ElementSet", 3), ("ConfigItemSet", 1), ("ControlRuleSet", 1), ("Namespace", 1))


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "省运营中心",
        "GIT_AUTHOR_EMAIL": "dfp-ops@xx.gov.example",
        "GIT_COMMITTER_NAME": "省运营中心",
        "GIT_COMMITTER_EMAIL": "dfp-ops@xx.gov.example",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def ensure_history(province: Path) -> tuple[Path, list[str]]:
    """The province as a git repository: the generated files committed, then a merge request
    that touches the largest files of the kinds in MERGE_REQUEST (a comment line appended, so
    each is read and compared at both revisions and stays valid). Written again when the
    province was."""
    target = GENERATED / f"{province.name}-history"
    stamp = (province / ".generator").read_text()
    marker = target / ".git" / "dfctl-generator"
    by_kind: dict[str, list[str]] = defaultdict(list)
    for path in WorkTree(province).data_paths():
        kind = kind_for_path(path)
        if kind is not None:
            by_kind[kind].append(path)
    touched = [
        path
        for kind, count in MERGE_REQUEST
        for path in sorted(by_kind[kind], key=lambda p: -(province / p).stat().st_size)[:count]
    ]
    if marker.exists() and marker.read_text() == stamp:
        return target, touched
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(province, target)
    _git(target, "init", "--quiet", "--initial-branch=main")
    _git(target, "add", "-A")
    _git(target, "commit", "--quiet", "-m", "省级配置")
    for path in touched:
        with (target / path).open("a", encoding="utf-8") as data:
            data.write("# 2026年11月调整\n")
    _git(target, "commit", "--quiet", "-am", "合并请求：调整")
    marker.write_text(stamp)
    return target, touched


def has_changed_option(source: Path | None) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "dfctl", "validate", "--help"],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **({"PYTHONPATH": str(source / "tools")} if source else {})},
    )
    return "--changed" in done.stdout


def check_jsonschema_commands(repo: Path, schemas: Path) -> list[list[str]]:
    """One check-jsonschema command per kind: its schema and every file of that kind."""

    executable = Path(sys.executable).parent / "check-jsonschema"
    program = str(executable) if executable.exists() else shutil.which("check-jsonschema")
    if program is None:
        raise SystemExit("check-jsonschema is not installed (pip install -e '.[dev]')")
    by_kind: dict[str, list[str]] = defaultdict(list)
    for path in WorkTree(repo).data_paths():
        kind = kind_for_path(path)
        if kind is not None:
            by_kind[kind].append(str(repo / path))
    return [
        [program, "--schemafile", str(schemas / KINDS[kind].schema_file), *files]
        for kind, files in sorted(by_kind.items())
    ]


def ensure_province(cities: int, seed: int, regenerate: bool) -> Path:
    """The generated repository, written again when missing or when the generator or the
    models (through their schemas) changed since it was written."""

    target = GENERATED / f"province-{cities}-cities-seed-{seed}"
    digest = hashlib.sha256(Path(generate_province.__file__).read_bytes())
    for name, text in sorted(render_schemas().items()):
        digest.update(name.encode() + text.encode())
    stamp = digest.hexdigest()
    marker = target / ".generator"
    if regenerate or not marker.exists() or marker.read_text() != stamp:
        summary = generate_province.generate(target, cities, seed)
        marker.write_text(stamp)
        print(f"generated {target.relative_to(REPO)} in {summary.seconds:.1f} s", file=sys.stderr)
    return target


def stale_schemas(province: Path) -> list[str]:
    """Schemas of the repository that differ from the ones the generator wrote (and dfctl uses)."""
    mine = REPO / "schemas"
    return sorted(
        p.name
        for p in (province / "schemas").glob("*.json")
        if not (mine / p.name).exists() or (mine / p.name).read_bytes() != p.read_bytes()
    )


def count_files(repo: Path) -> tuple[int, int]:
    """(data files, bytes) of a repository."""

    tree = WorkTree(repo)
    paths = tree.data_paths()
    return len(paths), sum((repo / p).stat().st_size for p in paths)


def measure(
    repeat: int,
    cities: int,
    seed: int,
    regenerate: bool,
    skip_cjs: bool,
    baseline: Path | None = None,
) -> dict[str, object]:
    province = ensure_province(cities, seed, regenerate)
    history, touched = ensure_history(province)
    load_before = os.getloadavg()
    city = Measurement("dfctl validate, city repository")
    prov = Measurement("dfctl validate, province repository")
    cjs = Measurement("check-jsonschema, province repository")
    base = Measurement("dfctl validate --base HEAD~1, province")
    changed = Measurement("dfctl validate --base HEAD~1 --changed, province")
    before = {
        "province": Measurement("baseline: dfctl validate, province repository"),
        "base": Measurement("baseline: dfctl validate --base HEAD~1, province"),
        "changed": Measurement("baseline: dfctl validate --base HEAD~1 --changed, province"),
    }
    baseline_changed = baseline is not None and has_changed_option(baseline)
    commands = [] if skip_cjs else check_jsonschema_commands(province, REPO / "schemas")
    cjs.note = f"{len(commands)} runs, one per kind, summed"
    base.note = f"the merge request touches {len(touched)} files"
    for round_ in range(1, repeat + 1):
        print(f"round {round_}/{repeat}", file=sys.stderr)
        city.runs.append(run_child(dfctl(REPO), expect_clean=False))
        # current and baseline alternate, each pair under the same load
        prov.runs.append(run_child(dfctl(province)))
        if baseline is not None:
            before["province"].runs.append(run_child(dfctl(province), source=baseline))
        base.runs.append(run_child(dfctl(history, "--base", "HEAD~1")))
        if baseline is not None:
            before["base"].runs.append(
                run_child(dfctl(history, "--base", "HEAD~1"), source=baseline)
            )
        changed.runs.append(run_child(dfctl(history, "--base", "HEAD~1", "--changed")))
        if baseline_changed:
            before["changed"].runs.append(
                run_child(dfctl(history, "--base", "HEAD~1", "--changed"), source=baseline)
            )
        if commands:
            parts = [run_child(command) for command in commands]
            cjs.runs.append(
                Run(
                    sum(p.wall for p in parts),
                    sum(p.cpu for p in parts),
                    max(p.rss_mib for p in parts),
                    max(p.exit_code for p in parts),
                )
            )
    city_files, city_bytes = count_files(REPO)
    prov_files, prov_bytes = count_files(province)
    results: dict[str, object] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "repeat": repeat,
        "city": {"files": city_files, "bytes": city_bytes, "exit_code": city.runs[-1].exit_code},
        "province": {
            "path": str(province.relative_to(REPO)),
            "cities": cities,
            "seed": seed,
            "files": prov_files,
            "bytes": prov_bytes,
            "stale_schemas": stale_schemas(province),
            "merge_request": touched,
        },
        "baseline": str(baseline) if baseline is not None else None,
        "measurements": {},
    }
    measured = results["measurements"]
    assert isinstance(measured, dict)
    named = [
        ("city", city),
        ("province", prov),
        ("check_jsonschema", cjs),
        ("base", base),
        ("changed", changed),
        *((f"baseline_{key}", m) for key, m in before.items()),
    ]
    for key, m in named:
        if m.runs:
            measured[key] = {
                "name": m.name,
                "note": m.note,
                "median_wall_s": round(m.wall, 3),
                "median_cpu_s": round(m.cpu, 3),
                "peak_rss_mib": round(m.rss_mib, 1),
                "runs": [asdict(r) for r in m.runs],
            }
    if cjs.runs:
        results["ratio_wall"] = round(cjs.wall / prov.wall, 2)
        results["ratio_cpu"] = round(cjs.cpu / prov.cpu, 2)
    results["base_ratio_wall"] = round(base.wall / prov.wall, 2)
    results["base_ratio_cpu"] = round(base.cpu / prov.cpu, 2)
    results["targets"] = {
        "city_wall_below_2_s": city.wall < 2,
        "province_wall_below_20_s": prov.wall < 20,
        "province_rss_below_1_gib": prov.rss_mib < 1024,
        "ratio_at_least_2": (cjs.wall / prov.wall >= 2) if cjs.runs else None,
        "base_adds_at_most_half": base.cpu / prov.cpu <= 1.5,
        "not_slower_than_baseline": (
            prov.cpu <= before["province"].cpu * 1.05 if before["province"].runs else None
        ),
    }
    return results


def table(results: dict[str, object]) -> str:
    measured = results["measurements"]
    city = results["city"]
    province = results["province"]
    assert isinstance(measured, dict) and isinstance(city, dict) and isinstance(province, dict)
    sizes = {
        "city": f"{city['files']} files, {city['bytes'] / 1e6:.1f} MB",
        "province": f"{province['files']} files, {province['bytes'] / 1e6:.1f} MB",
        "check_jsonschema": f"{province['files']} files",
        "base": f"{len(province['merge_request'])} files changed",
        "changed": f"{len(province['merge_request'])} files changed",
    }
    sizes.update({f"baseline_{key}": sizes[key] for key in ("province", "base", "changed")})
    targets = {
        "city": "< 2 s",
        "province": "< 20 s, < 1024 MiB",
        "check_jsonschema": "",
        "base": "<= 1.5 × province (cpu)",
        "changed": "",
        "baseline_province": "current <= baseline (cpu)",
        "baseline_base": "",
        "baseline_changed": "",
    }
    rows = [
        (f"measurement (median of {results['repeat']})", "wall s", "cpu s", "RSS MiB", "target")
    ]
    for key, m in measured.items():
        rows.append(
            (
                f"{m['name']} ({sizes[key]})",
                f"{m['median_wall_s']:.2f}",
                f"{m['median_cpu_s']:.2f}",
                f"{m['peak_rss_mib']:.0f}",
                targets[key],
            )
        )
    if "ratio_wall" in results:
        rows.append(
            (
                "ratio check-jsonschema / dfctl (province)",
                f"{results['ratio_wall']:.1f}×",
                f"{results['ratio_cpu']:.1f}×",
                "",
                ">= 2×",
            )
        )
    rows.append(
        (
            "ratio --base / without (province)",
            f"{results['base_ratio_wall']:.2f}×",
            f"{results['base_ratio_cpu']:.2f}×",
            "",
            "<= 1.5×",
        )
    )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.ljust(widths[i]) if i in (0, 4) else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    machine = results["machine"]
    assert isinstance(machine, dict)
    lines.append("")
    lines.append(
        f"{machine['cpus']} CPUs, Python {machine['python']}, load average before "
        f"{machine['load_average_before'][0]:.1f}, after {machine['load_average_after'][0]:.1f}"
    )
    if city.get("exit_code"):
        lines.append(
            f"note: dfctl exited {city['exit_code']} on the city repository (it has findings)"
        )
    if province.get("stale_schemas"):
        lines.append(
            f"note: schemas/ differs from the models for {', '.join(province['stale_schemas'])}"
        )
    targets_met = results["targets"]
    assert isinstance(targets_met, dict)
    missed = [name for name, met in targets_met.items() if met is False]
    lines.append("targets: " + ("all met" if not missed else "missed " + ", ".join(missed)))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    parser.add_argument("--cities", type=int, default=generate_province.MAX_CITIES)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--regenerate", action="store_true", help="write the province repository again"
    )
    parser.add_argument("--skip-check-jsonschema", action="store_true", help="measure dfctl only")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also run dfctl from DIR/tools (another commit's source) in every round",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.baseline is not None and not (args.baseline / "tools" / "dfctl").is_dir():
        parser.error(f"--baseline {args.baseline}: no tools/dfctl in it")
    results = measure(
        args.repeat,
        args.cities,
        args.seed,
        args.regenerate,
        args.skip_check_jsonschema,
        args.baseline.resolve() if args.baseline else None,
    )
    sys.stdout.write(table(results))
    if args.json:
        args.json.write_text(
            json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    targets = results["targets"]
    assert isinstance(targets, dict)
    return 1 if any(met is False for met in targets.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
