"""`dfctl diff` between two revisions: the city repository (target < 3 s) and the generated
province-sized repository (target < 30 s).

Each repository is copied into a temporary git repository, committed as the base, changed the
way a merge request would (a replica count, a quota, a new access policy, a renamed region), and
committed as the head; then `dfctl diff --base HEAD~1 --format markdown` runs as a fresh process,
``--repeat`` times, and the median wall and CPU times are printed.

    .venv/bin/python benchmarks/bench_diff.py [--repeat 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROVINCE = ROOT / "benchmarks" / ".generated" / "province-21-cities-seed-1"
DATA = ("environments", "standards", "cloud", "portal", "datahub", "approvals.yaml")
GIT = [
    "git",
    "-c",
    "user.name=基准测试",
    "-c",
    "user.email=bench@xx.gov.example",
    "-c",
    "commit.gpgsign=false",
]


def prepare(source: Path, target: Path) -> None:
    target.mkdir(parents=True)
    for name in DATA:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name)
        elif (source / name).is_file():
            shutil.copy2(source / name, target / name)
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=target, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=target, check=True)
    subprocess.run([*GIT, "commit", "-qm", "base"], cwd=target, check=True)
    change(target)
    subprocess.run([*GIT, "commit", "-qam", "change"], cwd=target, check=True)


def change(repo: Path) -> None:
    """A merge request's worth: replicas and a quota in production, a region renamed."""
    namespace = sorted((repo / "cloud/namespaces/production").glob("*.yaml"))[0]
    text = namespace.read_text(encoding="utf-8")
    text = re.sub(r"replicas: (\d+)", lambda m: f"replicas: {int(m.group(1)) + 1}", text, count=1)
    text = re.sub(r'pods: "(\d+)"', lambda m: f'pods: "{int(m.group(1)) + 20}"', text, count=1)
    namespace.write_text(text, encoding="utf-8")
    environment = repo / "environments/acceptance/environment.yaml"
    text = environment.read_text(encoding="utf-8")
    environment.write_text(text.replace("本级\n", "本级（验收）\n", 1), encoding="utf-8")


def run_once(repo: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "dfctl", "diff", "--base", "HEAD~1", "--format", "markdown"],
        cwd=repo,
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "DFCTL_TODAY": "2026-11-27"},
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(
            f"dfctl diff failed in {repo}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not PROVINCE.is_dir():
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks/generate_province.py"), str(PROVINCE)],
            check=True,
        )
    results = {}
    targets = {"city": (ROOT, 3.0), "province": (PROVINCE, 30.0)}
    with tempfile.TemporaryDirectory(prefix="dfctl-bench-diff-") as tmp:
        for name, (source, _limit) in targets.items():
            repo = Path(tmp) / name
            prepare(source, repo)
            runs = [run_once(repo) for _ in range(args.repeat)]
            results[name] = {
                "wall_s": round(statistics.median(r[0] for r in runs), 2),
                "cpu_s": round(statistics.median(r[1] for r in runs), 2),
                "target_s": targets[name][1],
            }
    print(f"{'repository':12} {'wall s':>8} {'cpu s':>8} {'target s':>9}")
    for name, row in results.items():
        print(f"{name:12} {row['wall_s']:8.2f} {row['cpu_s']:8.2f} {row['target_s']:9.1f}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r["wall_s"] < r["target_s"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
