"""How long does ``dfctl inspect`` of the city's production environment take? Target: < 10 s.

Runs against real servers started here: two control planes named like production's clusters
(tke-prod-a, tke-prod-b; etcd, kube-apiserver and kube-controller-manager built by
tools/controlplane/build.sh) and one etcd for the configuration service (tests/etcd_server.py).

The platform is this repository's production as it would run: the installer's 28 Deployments
(made with 0 replicas, as the reconciler tests do), then production applied with the reconciler's
runner, so the Deployments get their declared replicas and the controllers make their pods
(about 90; Pending, since no scheduler runs), the quotas count them, and the markers and one
evidence record are written. The script waits until the pod count is stable.

Then ``dfctl inspect --env production`` runs ``--repeat`` times as a process of its own, timed from
start to exit (wall clock, and its CPU from ``wait4``), with the cluster history on (read and
written, as the CronJob does). The table gives the median, the objects and requests per cluster
(from the report's sources) and the findings.

Usage: ``.venv/bin/python -m benchmarks.bench_inspect [--repeat 3] [--json FILE]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dfctl.adapters.etcd import EtcdClient, parse_endpoints
from dfctl.adapters.kube import KubeClient
from dfctl.gitops import evidence as ev
from dfctl.load.gitsource import GitRevision
from dfctl.model import Environment
from dfctl.reconcile.cluster import ClusterTarget
from dfctl.reconcile.config_service import ConfigServiceTarget
from dfctl.reconcile.runner import apply_plan, make_plan
from dfctl.reconcile.target import Target
from dfctl.render import render
from dfctl.sandbox import ControlPlane, find_binaries, start_all
from dfctl.sandbox import kubeconfig as sandbox_kubeconfig
from dfctl.validate import check_source
from tests.content import commit_all, copy_content, init_repo
from tests.etcd_server import EtcdServer

ENV = "production"
CLUSTERS = ("tke-prod-a", "tke-prod-b")
TARGET_S = 10.0
DFCTL = Path(sys.executable).with_name("dfctl")


def note(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def install(client: KubeClient, namespace: str, name: str, image: str) -> None:
    """The platform installer: the namespace and its Deployment, with 0 replicas."""
    if client.get("Namespace", None, namespace) is None:
        client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    labels = {"app": name}
    client.request(
        "PATCH",
        f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
        [("fieldManager", "installer"), ("force", "true")],
        body={
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": name, "image": image}]},
                },
            },
        },
        content_type="application/apply-patch+yaml",
    )


def pods(clients: dict[str, KubeClient]) -> int:
    return sum(len(c.list("Pod")) for c in clients.values())


def prepare(folder: Path, planes: list[ControlPlane], etcd: EtcdServer) -> tuple[Path, Path, int]:
    repo_path = folder / "repo"
    copy_content(repo_path)
    repo = init_repo(repo_path)
    head = commit_all(repo, "初始化配置仓库")
    repo.close()
    today = dt.datetime.now(dt.UTC).date()
    loaded, result = check_source(GitRevision(repo_path, head), today)
    if result.errors:
        raise SystemExit(f"bench_inspect: the repository has {result.errors} errors")
    state = render(loaded, ENV)
    kubeconfig = sandbox_kubeconfig.write(
        [p.access("bench-admin", ["system:masters"]) for p in planes], folder / "kubeconfig"
    )
    clients = {name: KubeClient(name, kubeconfig) for name in CLUSTERS}
    for obj in state.objects:
        if obj.patch_only:
            image = obj.body["spec"]["template"]["spec"]["containers"][0]["image"]
            install(clients[obj.cluster], obj.namespace, obj.name, image)
    service = EtcdClient(parse_endpoints([etcd.endpoint]))
    targets: list[Target] = [ClusterTarget(c) for c in clients.values()]
    targets.append(ConfigServiceTarget(service, ENV, head))
    plan = make_plan(state, head, targets)
    apply_plan(plan, targets, force_conflicts=True)
    service.close()
    note(f"applied {len(plan.actions)} changes; waiting for the controllers' pods")
    last, stable_since = -1, time.monotonic()
    while time.monotonic() - stable_since < 5:
        count = pods(clients)
        if count != last:
            last, stable_since = count, time.monotonic()
        time.sleep(0.5)
    now = dt.datetime.now(dt.UTC).isoformat()
    record = ev.Evidence(
        environment=ENV,
        revision=head,
        previous=None,
        release=next(e for e in loaded.of(Environment) if e.name == ENV).release.version,
        commits=(),
        validation={"files": result.files_checked, "errors": 0, "warnings": result.warnings},
        plan={"digest": plan.digest, "actions": len(plan.actions), "targets": {}},
        result=ev.APPLIED,
        started_at=now,
        finished_at=now,
        reconciler="bench",
        window="bench",
    )
    for client in clients.values():
        ev.ClusterEvidence(client).write(record)
        client.close()
    return repo_path, kubeconfig, last


def timed_inspect(repo: Path, kubeconfig: Path, etcd: EtcdServer, out: Path) -> dict[str, Any]:
    command = [
        str(DFCTL), "--repo", str(repo), "inspect", "--env", ENV, "--kubeconfig", str(kubeconfig),
        "--etcd-endpoints", etcd.endpoint, "--out", str(out), "--fail-on", "never",
    ]  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"bench_inspect: dfctl inspect exited {code}:\n{stderr}")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "sources": {s["name"]: s["detail"]["en"] for s in report["sources"]},
        "unread": [s["name"] for s in report["sources"] if not s["ok"]],
        "counts": report["counts"]["severity"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dfctl-bench-inspect-") as name:
        folder = Path(name)
        binaries = find_binaries()
        planes = [ControlPlane(c, folder / c, binaries=binaries) for c in CLUSTERS]
        started = time.monotonic()
        start_all(planes)
        etcd = EtcdServer(folder / "etcd").start()
        note(f"2 control planes and etcd up in {time.monotonic() - started:.0f} s")
        try:
            repo, kubeconfig, pod_count = prepare(folder, planes, etcd)
            runs = []
            for number in range(args.repeat):
                runs.append(timed_inspect(repo, kubeconfig, etcd, folder / f"report-{number}"))
                note(f"run {number + 1}: {runs[-1]['wall_s']:.2f} s")
        finally:
            etcd.stop()
            for plane in planes:
                plane.stop()
            shutil.rmtree(folder / "etcd", ignore_errors=True)
    wall = statistics.median(r["wall_s"] for r in runs)
    cpu = statistics.median(r["cpu_s"] for r in runs)
    last = runs[-1]
    print(f"dfctl inspect --env {ENV} (median of {len(runs)}; {os.cpu_count()} cores,"
          f" load {os.getloadavg()[0]:.1f}, Python {platform.python_version()})")  # fmt: skip
    print(f"| pods in the clusters | {pod_count} |")
    print(f"| wall s | {wall:.2f} (target < {TARGET_S:.0f}) |")
    print(f"| CPU s (dfctl) | {cpu:.2f} |")
    for source, detail in last["sources"].items():
        print(f"| {source} | {detail} |")
    print(f"| findings | {last['counts']} |")
    each = ", ".join(f"{r['wall_s']:.2f}" for r in runs)
    print(f"| runs (wall s) | {each} |")
    if args.json is not None:
        args.json.write_text(json.dumps({"wall_s": wall, "cpu_s": cpu, "runs": runs}, indent=1))
    ok = wall < TARGET_S and not last["unread"]
    if last["unread"]:
        print(f"bench_inspect: sources not read: {last['unread']}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
