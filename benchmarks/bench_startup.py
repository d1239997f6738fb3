"""How long `dfctl --help` (and `dfctl explain`) take to start, now and at an earlier revision.

    python benchmarks/bench_startup.py [--against REV] [--runs N]

Each command runs N times in a fresh interpreter (`python -m dfctl ...`); the median wall time is
reported. With ``--against REV``, the package as it was at REV (taken with `git archive`, no
checkout) runs the same commands in the same run, so both are measured under the same load.
The goal: `dfctl --help` under 0.3 s.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMANDS = (["--help"], ["explain", "DFP-ELE-001"], ["validate", "--help"])


def median_seconds(tools: Path, words: list[str], runs: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tools)}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "dfctl", *words],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=REPO,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def tools_at(rev: str, folder: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev, "tools/dfctl"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "tools"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REV", help="also time the package at REV")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        trees = {"now": REPO / "tools"}
        if args.against:
            trees[args.against] = tools_at(args.against, Path(folder))
        print(f"{'command':32}" + "".join(f"{name[:12]:>14}" for name in trees))
        for words in COMMANDS:
            cells = [median_seconds(tools, words, args.runs) for tools in trees.values()]
            print(f"{'dfctl ' + ' '.join(words):32}" + "".join(f"{c:>13.3f}s" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
