"""How long from an approved merge pushed to the forge until it is live in Kubernetes and etcd?

Against real servers on this machine: a kube-apiserver, controller-manager and etcd (one
cluster named like acceptance's, tke-acc-a, started by dfctl.sandbox), a real etcd for the
configuration service (tests/etcd_server.py), and a bare git repository playing GitLab. The
repository is this one's content, the city's configuration. The platform installer is played
first (namespaces and Deployments), then the continuous reconciler is started as its own process,
as deploy/reconciler/deployment.yaml runs it (`dfctl reconcile --interval 60 --webhook-port …`,
with the first revision given by --initial), and left to make its first apply.

Each round then:

1. makes an approved merge request in a working clone (a branch, a commit by one person, a
   `git merge --no-ff` with the `Approved-by:` trailer of another, as GitLab writes it) that
   changes acceptance's override of `execution.payment.single_limit` for the city (990100000);
2. starts the clock, pushes main to the bare repository, and sends the push event GitLab sends
   after it (POST /hooks/gitlab with the secret token);
3. stops the clock when both the ConfigMap `dfp-execution-acc/dfp-config-execution` in the
   apiserver and the key `/dfp/acceptance/config/990100000` in etcd hold the new value (each
   polled every 20 ms, straight from the servers, not through dfctl).

The median of ``--rounds`` (10) rounds is the figure; the goal is ≤ 5 s. The reconciler's own
pass times (its `pass` log events) are reported beside it. The exit status is 1 when the goal is
missed or a round does not end.

Usage: ``.venv/bin/python -m benchmarks.bench_merge_to_live [--rounds 10] [--json FILE]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dfctl.adapters.kube import KubeClient
from dfctl.cli.sandbox import installer_workloads
from dfctl.load.gitsource import GitRevision
from dfctl.model import DATA_ROOTS, ROOT_FILES
from dfctl.render import render
from dfctl.render.state import DesiredState
from dfctl.sandbox import ControlPlane
from dfctl.sandbox.control_plane import free_ports
from dfctl.sandbox.installer import install
from dfctl.validate import check_source
from tests.content import TODAY
from tests.etcd_server import EtcdServer
from tests.forge import push_event
from tests.merge_requests import JIANG, MERGER, WU, Main, git

ENV = "acceptance"
CLUSTER = "tke-acc-a"
FILE = "environments/acceptance/environment.yaml"
NAMESPACE, CONFIGMAP = "dfp-execution-acc", "dfp-config-execution"
ITEM = "execution.payment.single_limit"
REGION = "990100000"
KEY = f"/dfp/{ENV}/config/{REGION}"
TOKEN = "bench-7f3a9c1e5d2b8046a1c3e5f7"
GOAL = 5.0
POLL = 0.02
ROUND_TIMEOUT = 120.0
NOW = "2026-11-27T10:00:00+08:00"  # acceptance's change window is open


def desired_state(repo: Path) -> DesiredState:
    state_repo, result = check_source(GitRevision(repo, "HEAD"), dt.date.fromisoformat(TODAY))
    if result.errors:
        raise SystemExit(f"the content has {result.errors} errors")
    return render(state_repo, ENV)


def live_values(client: KubeClient, etcd: EtcdServer) -> tuple[Any, Any]:
    found = client.get("ConfigMap", NAMESPACE, CONFIGMAP)
    in_cluster = json.loads(found["data"][ITEM]) if found else None
    raw = etcd.get(KEY)
    in_etcd = json.loads(raw)["spec"]["items"].get(ITEM) if raw else None
    return in_cluster, in_etcd


def wait_for(
    what: str, probe: Callable[[], bool], timeout: float, reconciler: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if reconciler.poll() is not None:
            raise SystemExit(
                f"the reconciler exited ({reconciler.returncode}) while waiting: {what}"
            )
        if time.monotonic() > deadline:
            raise SystemExit(f"after {timeout:.0f} s still waiting: {what}")
        time.sleep(POLL)


def passes(log: Path) -> list[float]:
    found = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("event") == "pass" and event.get("status") == "applied":
                found.append(float(event["seconds"]))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="dfctl-merge-to-live-"))
    plane = ControlPlane(CLUSTER, folder / "cluster").start()
    try:
        etcd = EtcdServer(folder / "etcd").start()
        try:
            return _run(args, folder, plane, etcd)
        finally:
            etcd.stop()
    finally:
        plane.stop()


def one_round(
    number: int, work: Main, webhook_port: int, client: KubeClient, etcd: EtcdServer
) -> dict[str, float]:
    """One approved merge, pushed and announced; seconds until each server holds it."""
    value = 10000000 + number
    old = f"    value: {value - 1}\n    ticket: TAPD-1020245"
    new = f"    value: {value}\n    ticket: TAPD-1020245"

    def change(path: Path) -> None:
        target = path / FILE
        text = target.read_text(encoding="utf-8")
        if old not in text:
            raise SystemExit(f"round {number}: {old!r} not in {FILE}")
        target.write_text(text.replace(old, new), encoding="utf-8")

    merged = work.merge_request(f"验收市本级单笔支付限额调整为{value}元", change, WU, [JIANG])
    began = time.monotonic()
    git(work.path, "push", "-q", "gitlab", "main", who=MERGER)
    pushed = time.monotonic()
    status = push_event(webhook_port, merged, TOKEN)
    if status != 202:
        raise SystemExit(f"the webhook answered {status}")
    called = time.monotonic()
    cluster_at = etcd_at = 0.0
    deadline = time.monotonic() + ROUND_TIMEOUT
    while not (cluster_at and etcd_at):
        in_cluster, in_etcd = live_values(client, etcd)
        now = time.monotonic()
        if in_cluster == value and not cluster_at:
            cluster_at = now
        if in_etcd == value and not etcd_at:
            etcd_at = now
        if now > deadline:
            raise SystemExit(f"round {number}: not live after {ROUND_TIMEOUT:.0f} s")
        time.sleep(POLL)
    return {
        "push": pushed - began,
        "webhook": called - pushed,
        "configmap": cluster_at - began,
        "etcd": etcd_at - began,
        "live": max(cluster_at, etcd_at) - began,
    }


def _run(args: argparse.Namespace, folder: Path, plane: ControlPlane, etcd: EtcdServer) -> int:
    work = Main(folder / "work", [*DATA_ROOTS, *ROOT_FILES])
    bare = folder / "gitlab.git"
    git(folder, "clone", "-q", "--bare", str(work.path), str(bare))
    git(work.path, "remote", "add", "gitlab", str(bare))
    client = KubeClient(CLUSTER, plane.kubeconfig)
    install(client, installer_workloads(desired_state(work.path)))
    metrics_port, webhook_port = free_ports(2)
    log = folder / "reconciler.log"
    command = [
        sys.executable, "-m", "dfctl", "reconcile", "--repo", str(bare), "--env", ENV,
        "--interval", "60", "--webhook-port", str(webhook_port), "--webhook-address", "127.0.0.1",
        "--metrics-port", str(metrics_port), "--metrics-address", "127.0.0.1",
        "--initial", work.root, "--kubeconfig", str(plane.kubeconfig),
        "--etcd-endpoints", etcd.endpoint, "--cache", str(folder / "cache"),
        "--identity", "bench-reconciler", "--now", NOW, "--force-conflicts",
    ]  # fmt: skip
    environment = {**os.environ, "DFCTL_WEBHOOK_TOKEN": TOKEN}
    with log.open("wb") as output:
        reconciler = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=environment
        )
    try:
        start = time.monotonic()
        wait_for(
            "the first apply",
            lambda: live_values(client, etcd) == (10000000, 10000000),
            300,
            reconciler,
        )
        first = time.monotonic() - start
        rounds: list[dict[str, float]] = []
        for number in range(1, args.rounds + 1):
            rounds.append(one_round(number, work, webhook_port, client, etcd))
            print(
                f"round {number:2d}: live after {rounds[-1]['live']:.2f} s "
                f"(push {rounds[-1]['push']:.2f} s, ConfigMap {rounds[-1]['configmap']:.2f} s, "
                f"etcd {rounds[-1]['etcd']:.2f} s)",
                flush=True,
            )
            time.sleep(1.0)  # let the reconciler's pass end before the next merge
    finally:
        reconciler.terminate()
        reconciler.wait(timeout=60)
        client.close()
    return _report(args, rounds, passes(log), first)


def _report(
    args: argparse.Namespace,
    rounds: list[dict[str, float]],
    pass_seconds: list[float],
    first: float,
) -> int:
    live = [r["live"] for r in rounds]
    median = statistics.median(live)
    print()
    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(f"first apply (reconciler start to live): {first:.2f} s")
    print(f"merge pushed → ConfigMap and etcd key live, {len(live)} rounds:")
    print(
        f"  median {median:.2f} s, min {min(live):.2f} s, max {max(live):.2f} s (goal ≤ {GOAL:g} s)"
    )
    for part in ("push", "webhook", "configmap", "etcd"):
        print(f"  {part:9s} median {statistics.median(r[part] for r in rounds):.2f} s")
    if pass_seconds:
        print(
            f"  reconciler passes that applied: median {statistics.median(pass_seconds):.2f} s "
            f"({len(pass_seconds)} passes)"
        )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {"rounds": rounds, "median": median, "passes": pass_seconds, "first": first},
                indent=2,
            ),
            encoding="utf-8",
        )
    return 0 if median <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
