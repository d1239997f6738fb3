"""Soak the continuous reconciler: hundreds of approved merges while servers and replicas die.

Not a benchmark and not run by the test suite: run it on demand, for about half an hour.

Against real servers on this machine — a kube-apiserver, controller-manager and etcd (one
cluster, tke-acc-a), a real etcd for the configuration service, and a bare git repository
playing GitLab — two replicas of the reconciler run as their own processes, the way
deploy/reconciler/deployment.yaml runs them (`dfctl reconcile --interval 5 --webhook-port …`),
on acceptance (its change windows removed at the first commit, so the wall clock may be used).

Each cycle makes one random approved merge request (a workload's replicas, a quota's
persistentvolumeclaims, or the city's `execution.payment.single_limit`), pushes it, sends
GitLab's push event to the replica that is ready (the Service's choice), and waits until both
applied-revision markers (the cluster's and the configuration service's) name it. Faults are
injected on a schedule drawn from ``--seed``: every few cycles kube-apiserver is killed
(SIGKILL) a moment after the webhook call and started again; every few others the configuration
service's etcd is; every ``--handover`` (50) cycles the leader is stopped — by SIGTERM and by SIGKILL
in turn — and a new replica started in its place, so the Lease moves between replicas.

At the end it checks, and prints:

* the live state equals the last approved revision: both markers name main's head, and
  `dfctl plan` against it has nothing to do and `dfctl drift` finds nothing;
* every applied revision has exactly one `applied` evidence record (the clusters' records and
  every replica's local log, merged), and the applied records form one chain in main's
  first-parent order — each record's `previous` is the record before it: nothing was applied
  twice or out of order;
* the replicas' resident memory at their first cycle and at their last (psutil).

Usage: ``.venv/bin/python -m benchmarks.soak_reconcile [--cycles 200] [--minutes 30] [--seed 1]``
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

from benchmarks.bench_merge_to_live import desired_state
from dfctl.adapters.kube import KubeClient
from dfctl.cli.sandbox import installer_workloads
from dfctl.errors import DfctlError
from dfctl.gitops import evidence as ev
from dfctl.model import DATA_ROOTS, ROOT_FILES
from dfctl.reconcile.cluster import MARKER_NAME, MARKER_NAMESPACE
from dfctl.sandbox import ControlPlane
from dfctl.sandbox.control_plane import free_ports
from dfctl.sandbox.installer import install
from tests.etcd_server import EtcdServer
from tests.forge import push_event
from tests.merge_requests import JIANG, MERGER, WU, Main, git

ENV = "acceptance"
CLUSTER = "tke-acc-a"
TOKEN = "soak-4c1e9a3f5d7b2e6089a1c3e5"
NAMESPACES = "cloud/namespaces/acceptance"
ENVIRONMENT = "environments/acceptance/environment.yaml"
MARKER_KEY = f"/dfp/{ENV}/_dfctl/applied"
CONVERGE_TIMEOUT = 180.0
POLL = 0.05


# -- the repository --------------------------------------------------------------------------------


def without_windows(work: Path) -> None:
    path = work / ENVIRONMENT
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"change_windows:\n(?:  .*\n)*", "", text), encoding="utf-8")


def random_change(rng: random.Random, work: Path) -> str:
    """Edit one value of the working tree; a title for the merge request."""
    choice = rng.choice(("replicas", "claims", "limit"))
    if choice == "limit":
        path = work / ENVIRONMENT
        pattern = r'key: execution\.payment\.single_limit\n    mof_div_code: "990100000"\n    value: (\d+)'
        value = rng.randrange(5_000_000, 20_000_000)
        title = f"验收市本级单笔支付限额调整为{value}元"
    elif choice == "claims":
        path = rng.choice(sorted((work / NAMESPACES).glob("*.yaml")))
        pattern = r'persistentvolumeclaims: "(\d+)"'
        value = rng.randrange(5, 21)
        title = f"{path.stem} 存储卷申领数调整为{value}"
    else:
        path = rng.choice(sorted((work / NAMESPACES).glob("*.yaml")))
        pattern = r"replicas: (\d+)"
        value = rng.randrange(1, 4)
        title = f"{path.stem} 工作负载副本数调整为{value}"
    text = path.read_text(encoding="utf-8")
    found = list(re.finditer(pattern, text))
    if not found:
        raise SystemExit(f"soak: no {choice} in {path}")
    where = rng.choice(found)
    if str(value) == where.group(1):  # a merge request changes something
        value += 1 if choice != "replicas" or value < 3 else -1
    path.write_text(text[: where.start(1)] + str(value) + text[where.end(1) :], encoding="utf-8")
    return title


# -- the replicas ----------------------------------------------------------------------------------


@dataclass
class Replica:
    identity: str
    process: subprocess.Popen[bytes]
    webhook_port: int
    log: Path
    evidence: Path
    rss: list[int] = field(default_factory=list)
    leading: list[bool] = field(default_factory=list)  # per sample: whether it led
    cycles: int = 0

    def ready(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.webhook_port, timeout=2)
        try:
            connection.request("GET", "/ready")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def alive(self) -> bool:
        return self.process.poll() is None

    def sample(self) -> None:
        """Resident memory, once the replica has made its first pass (imports done, repository
        fetched), and whether it led then (a standby has not loaded a revision yet)."""
        if not self.alive():
            return
        if not self.rss and '"event": "pass"' not in self.log.read_text(errors="replace"):
            return
        self.rss.append(psutil.Process(self.process.pid).memory_info().rss)
        self.leading.append(self.ready())
        self.cycles += 1


class Fleet:
    def __init__(self, folder: Path, bare: Path, root: str, plane: ControlPlane, etcd: str) -> None:
        self.folder, self.bare, self.root, self.plane, self.etcd = folder, bare, root, plane, etcd
        self.replicas: list[Replica] = []
        self.started = 0

    def start(self) -> Replica:
        self.started += 1
        identity = f"dfctl-reconciler-acceptance-{self.started:03d}"
        metrics_port, webhook_port = free_ports(2)
        log = self.folder / f"{identity}.log"
        evidence = self.folder / f"{identity}.evidence.jsonl"
        command = [
            sys.executable, "-m", "dfctl", "reconcile", "--repo", str(self.bare), "--env", ENV,
            "--interval", "5", "--webhook-port", str(webhook_port),
            "--webhook-address", "127.0.0.1", "--metrics-port", str(metrics_port),
            "--metrics-address", "127.0.0.1", "--initial", self.root,
            "--kubeconfig", str(self.plane.kubeconfig), "--etcd-endpoints", self.etcd,
            "--cache", str(self.folder / f"cache-{identity}"), "--identity", identity,
            "--evidence-log", str(evidence), "--force-conflicts",
        ]  # fmt: skip
        with log.open("wb") as output:
            process = subprocess.Popen(
                command,
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "DFCTL_WEBHOOK_TOKEN": TOKEN},
            )
        replica = Replica(identity, process, webhook_port, log, evidence)
        self.replicas.append(replica)
        return replica

    def live(self) -> list[Replica]:
        return [r for r in self.replicas if r.alive()]

    def leader(self) -> Replica | None:
        return next((r for r in self.live() if r.ready()), None)

    def stop_all(self) -> None:
        for replica in self.live():
            replica.process.terminate()
        for replica in self.replicas:
            try:
                replica.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                replica.process.kill()


@dataclass
class Soak:
    cycles: int = 0
    latencies: list[float] = field(default_factory=list)
    timeouts: list[int] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)

    def fault(self, name: str) -> None:
        self.faults[name] = self.faults.get(name, 0) + 1


def markers(client: KubeClient, etcd: EtcdServer) -> tuple[str | None, str | None]:
    try:
        found = client.get("ConfigMap", MARKER_NAMESPACE, MARKER_NAME)
    except DfctlError:
        found = None
    in_cluster = found["data"]["revision"] if found else None
    try:
        raw = etcd.get(MARKER_KEY)
    except requests.RequestException:  # etcd is being restarted by this very script
        raw = None
    return in_cluster, (json.loads(raw)["revision"] if raw else None)


def cycle(
    number: int,
    rng: random.Random,
    work: Main,
    fleet: Fleet,
    plane: ControlPlane,
    etcd: EtcdServer,
    client: KubeClient,
    soak: Soak,
    handover: int,
) -> None:
    title = ""

    def change(path: Path) -> None:
        nonlocal title
        title = random_change(rng, path)

    merged = work.merge_request(f"soak {number}", change, WU, [JIANG])
    began = time.monotonic()
    git(work.path, "push", "-q", "gitlab", "main", who=MERGER)
    leader = fleet.leader()
    for replica in [leader] if leader else fleet.live():
        with contextlib.suppress(OSError):  # a replica that is starting or stopping; it polls
            push_event(replica.webhook_port, merged, TOKEN, timeout=5)
    if number % 7 == 3:  # kube-apiserver dies under the pass, and comes back
        time.sleep(rng.uniform(0.0, 1.5))
        plane.stop_apiserver()
        soak.fault("apiserver killed")
        time.sleep(rng.uniform(0.5, 3.0))
        plane.start_apiserver(timeout=300)
    if number % 11 == 5:  # the configuration service's etcd dies, and comes back
        time.sleep(rng.uniform(0.0, 1.5))
        etcd.kill()
        soak.fault("etcd killed")
        time.sleep(rng.uniform(0.5, 3.0))
        etcd.start()
    if number % handover == handover // 2 and leader is not None:  # the Lease changes hands
        unclean = soak.faults.get("leader stopped", 0) % 2 == 1
        leader.process.send_signal(signal.SIGKILL if unclean else signal.SIGTERM)
        soak.fault("leader stopped")
        soak.fault("leader killed (SIGKILL)" if unclean else "leader stopped (SIGTERM)")
        fleet.start()
    deadline = began + CONVERGE_TIMEOUT
    while markers(client, etcd) != (merged, merged):
        if time.monotonic() > deadline:
            soak.timeouts.append(number)
            print(f"cycle {number}: not converged after {CONVERGE_TIMEOUT:.0f} s", flush=True)
            return
        time.sleep(POLL)
    soak.latencies.append(time.monotonic() - began)
    for replica in fleet.live():
        replica.sample()
    soak.cycles = number
    if number % 10 == 0:
        print(
            f"cycle {number}: converged in {soak.latencies[-1]:.1f} s ({title}); faults so far "
            f"{soak.faults}",
            flush=True,
        )


# -- the checks at the end -------------------------------------------------------------------------


def check_evidence(work: Main, client: KubeClient, fleet: Fleet) -> list[str]:
    """Problems with the evidence: a revision applied twice or not recorded, or out of order."""
    order = git(work.path, "rev-list", "--first-parent", "--reverse", "main").split()
    position = {sha: index for index, sha in enumerate(order)}
    records = ev.merged(
        ev.ClusterEvidence(client).list(ENV),
        *(ev.LocalLog(r.evidence).read() for r in fleet.replicas),
    )
    applied = [r for r in records if r.result == ev.APPLIED]
    problems = []
    counts: dict[str, int] = {}
    for record in applied:
        counts[record.revision] = counts.get(record.revision, 0) + 1
    problems += [f"{rev[:12]} has {n} applied records" for rev, n in counts.items() if n != 1]
    for before, after in itertools.pairwise(applied):
        if after.previous != before.revision:
            problems.append(
                f"{after.revision[:12]} was applied from {str(after.previous)[:12]}, but the "
                f"record before it is {before.revision[:12]}"
            )
        if position[after.revision] <= position[before.revision]:
            problems.append(f"{after.revision[:12]} was applied after {before.revision[:12]}")
    if applied and applied[-1].revision != order[-1]:
        problems.append(f"the last applied record is {applied[-1].revision[:12]}, not main's head")
    failed = sum(1 for r in records if r.result != ev.APPLIED)
    print(f"evidence: {len(applied)} applied records, {failed} failed attempts recorded")
    return problems


def check_live(work: Main, plane: ControlPlane, etcd: EtcdServer) -> list[str]:
    problems = []
    for command, expect in (("plan", "no changes: live state matches the desired state"),
                            ("drift", "no drift in acceptance")):  # fmt: skip
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "dfctl",
                "--repo",
                str(work.path),
                command,
                "--env",
                ENV,
                "--kubeconfig",
                str(plane.kubeconfig),
                "--etcd-endpoints",
                etcd.endpoint,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or expect not in done.stdout:
            problems.append(
                f"dfctl {command} at main's head: exit {done.returncode}\n{done.stdout}"
            )
    return problems


def report_memory(fleet: Fleet) -> None:
    print("resident memory of the replicas (MiB), first and last sample; while leading:")
    for replica in fleet.replicas:
        if not replica.rss:
            continue
        mib = [r / 2**20 for r in replica.rss]
        led = [m for m, leading in zip(mib, replica.leading, strict=True) if leading]
        leading = (
            f"{led[0]:.1f} → {led[-1]:.1f} over {len(led)} cycles (min {min(led):.1f}, "
            f"max {max(led):.1f})"
            if led
            else "never led"
        )
        print(
            f"  {replica.identity}: {mib[0]:.1f} → {mib[-1]:.1f} over {replica.cycles} cycles; "
            f"leading {leading}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=30.0, help="stop earlier after this long")
    parser.add_argument("--handover", type=int, default=50, help="cycles between Lease handovers")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="dfctl-soak-"))
    print(f"soak in {folder}", flush=True)
    plane = ControlPlane(CLUSTER, folder / "cluster", timeout=300).start()
    etcd = EtcdServer(folder / "etcd").start()
    work = Main(folder / "work", [*DATA_ROOTS, *ROOT_FILES])
    without_windows(work.path)
    git(work.path, "commit", "-q", "-am", "验收环境不设变更窗口（浸泡测试）", who=MERGER)
    work.root = work.head
    bare = folder / "gitlab.git"
    git(folder, "clone", "-q", "--bare", str(work.path), str(bare))
    git(work.path, "remote", "add", "gitlab", str(bare))
    client = KubeClient(CLUSTER, plane.kubeconfig)
    install(client, installer_workloads(desired_state(work.path)))
    fleet = Fleet(folder, bare, work.root, plane, etcd.endpoint)
    soak = Soak()
    started = time.monotonic()
    try:
        fleet.start()
        fleet.start()
        deadline = time.monotonic() + CONVERGE_TIMEOUT
        while markers(client, etcd) != (work.root, work.root):
            if time.monotonic() > deadline:
                raise SystemExit("soak: the first apply did not happen")
            time.sleep(POLL)
        for replica in fleet.live():
            replica.sample()
        for number in range(1, args.cycles + 1):
            if time.monotonic() - started > args.minutes * 60:
                print(f"stopping after {number - 1} cycles: --minutes {args.minutes:g} is up")
                break
            cycle(number, rng, work, fleet, plane, etcd, client, soak, args.handover)
        problems = check_live(work, plane, etcd)
        problems += check_evidence(work, client, fleet)
    finally:
        fleet.stop_all()
        client.close()
        etcd.stop()
        plane.stop()
    return report(soak, fleet, problems, time.monotonic() - started)


def report(soak: Soak, fleet: Fleet, problems: list[str], seconds: float) -> int:
    lat = sorted(soak.latencies)
    print()
    print(f"cycles: {soak.cycles} in {seconds / 60:.1f} min; {len(soak.timeouts)} did not converge")
    if lat:
        p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
        print(
            f"merge pushed → both markers moved: median {statistics.median(lat):.2f} s, "
            f"p95 {p95:.2f} s, max {lat[-1]:.2f} s"
        )
    print(f"faults: {soak.faults}; replicas started: {len(fleet.replicas)}")
    report_memory(fleet)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print(
        "live state = last approved revision; evidence complete and in order"
        if not problems
        else ""
    )
    return 1 if problems or soak.timeouts else 0


if __name__ == "__main__":
    sys.exit(main())
