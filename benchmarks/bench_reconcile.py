"""How fast does dfctl reconcile a Kubernetes cluster, against kubectl's server-side apply and diff?

Runs, in one go on one machine, against real control planes (etcd, kube-apiserver and
kube-controller-manager built by tools/controlplane/build.sh, started by dfctl.sandbox):

(a) the first ``dfctl apply`` of the acceptance environment into an empty cluster       the subject
(b) ``kubectl apply --server-side -f DIR --recursive`` of the same objects (rendered by
    ``dfctl render --out``) into another empty cluster                          target (b)/(a) ≥ 1×
(c) a no-op ``dfctl plan`` on (a)'s cluster: one LIST per kind, no action          the subject
(d) ``kubectl diff --server-side -f DIR --recursive`` on (b)'s cluster, exit 0 (no difference)
                                                                                 target (d)/(c) ≥ 5×

The repository is this one's content in a temporary git repository, with acceptance test lanes
added (``cloud/namespaces/acceptance/dfp-<domain>-<nnn>-acc.yaml``: a namespace with quota and
limits, no workloads) until the acceptance environment renders at least ``--objects`` (2,000)
Kubernetes objects on tke-acc-a, whose capacity is raised to hold the lanes' quotas. ``dfctl
validate`` must report no error on it; it is committed, and ``dfctl render --out`` writes the
manifests kubectl is given.

How the comparison is kept fair:
- Both tools run as processes of their own, timed from start to exit (wall clock, and the
  child's CPU from ``wait4``). dfctl goes through the runner API with only the cluster target
  (GitRevision + check_source + render + ClusterTarget/KubeClient + make_plan/apply_plan), as
  ``dfctl apply`` does minus the configuration service, which kubectl has no part in; its time
  includes reading the commit, validating and rendering, kubectl's includes parsing the rendered
  files and its discovery (a fresh cache per cluster).
- Every repeat starts two fresh control planes side by side, one per tool, both named tke-acc-a
  (dfctl finds a cluster by the kubeconfig context named like it; kubectl is given that context),
  in folders of their own. The platform installer is played on both before anything is timed:
  it makes the namespaces that hold workloads and their Deployments, which both tools patch.
- The tools never run at the same time. Before each timed run both clusters are let settle (every
  namespace has its ServiceAccount and root CA ConfigMap, every quota its status, every Deployment
  its pods), so neither run pays for the controllers' work after the other; which tool goes first
  alternates between repeats. The CPU the control plane (apiserver, etcd, controllers) spends
  during each run is reported too.
- Request counts: dfctl's client counts its own. kubectl's come from one more apply and diff with
  ``-v=6`` on a separate fresh cluster (the timed runs log nothing), counting request lines.

kubectl is the one from Debian's kubernetes-client package (tools/controlplane/install-kubectl.sh)
unless ``--kubectl PATH`` names another. The exit status is 1 when a target is missed or a run
did not end as it must (the no-op plan has actions or more than one LIST per kind, kubectl diff
finds a difference, the two clusters do not hold the same objects).

Usage: ``.venv/bin/python benchmarks/bench_reconcile.py [--objects 2000] [--repeat 3] [--json FILE]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, get_args

from dfctl.adapters.deadline import Timeouts
from dfctl.adapters.kube import KubeClient
from dfctl.load.gitsource import GitRevision
from dfctl.load.repo import WorkTree
from dfctl.model.base import Domain
from dfctl.reconcile.cluster import LISTED_KINDS, MANAGED_SELECTOR, ClusterTarget
from dfctl.reconcile.runner import apply_plan, make_plan
from dfctl.render import render
from dfctl.render.state import PATCHED_BY_LABEL, DesiredState, KubeObject
from dfctl.validate import check_source

if TYPE_CHECKING:  # the child (one dfctl run) imports only what the command line would
    from dfctl.sandbox import ControlPlane

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # run as a script: make the tests package importable
    sys.path.insert(0, str(REPO))
from tests.content import TODAY, commit_all, copy_content, init_repo  # noqa: E402

ENV = "acceptance"
CLUSTER = "tke-acc-a"
CLUSTER_FILE = "cloud/clusters/tke-acc-a.yaml"
LANES = "cloud/namespaces/acceptance"
REGIONS = ("990100000", "990102000")  # the regions acceptance serves
DOMAINS: tuple[str, ...] = get_args(Domain)
DOMAIN_TITLES = {
    "budget": "预算管理",
    "execution": "预算执行",
    "accounting": "会计核算",
    "portal": "统一门户",
    "datahub": "数据中枢",
    "masterdata": "主数据",
    "business-platform": "业务中台",
    "tech-platform": "技术中台",
}
# What a lane's quota takes from the cluster (DFP-CLD-002 sums limits.cpu, limits.memory, pods).
LANE_CPU = 2
LANE_MEMORY_GI = 4
LANE_PODS = 20
INSTALLER = "platform-installer"
TOOLS = ("dfctl", "kubectl")
PLAN_KINDS = (*LISTED_KINDS, "Deployment")  # what one plan lists, once each
APPLY_TARGET = 1.0
PLAN_TARGET = 5.0
PLANE_TIMEOUT = 300.0  # a loaded 2-core machine starts a control plane in 10-60 s
SETTLE_TIMEOUT = 600.0
QUIET_SECONDS = 2.0
# The rendered Deployments are server-side apply patches (image and replicas only); kubectl's
# client-side schema check (up to 1.24) rejects them as incomplete Deployments. The apiserver
# still validates every object, and dfctl checked them against the OpenAPI schema when rendering,
# so this only makes kubectl's share of the work lighter.
KUBECTL_APPLY_OPTIONS = ("--validate=false",)
KUBECTL_INSTALLER = REPO / "tools/controlplane/install-kubectl.sh"
# kubectl -v=6 request lines: "GET https://… 200 OK in 3 milliseconds" (up to 1.2x), or
# "Response" verb="GET" url="https://…" status="200 OK" (structured logging, later releases)
REQUEST_LINE = re.compile(
    r"\] (?:(?P<verb>GET|POST|PUT|PATCH|DELETE|HEAD) (?P<url>https?://\S+) (?P<status>\d{3})"
    r'|"Response" verb="(?P<verb2>\w+)" url="(?P<url2>[^"]+)" status="(?P<status2>\d{3}))'
)


# Client-side rate limiting: "Throttling request took 131.3ms, request: GET:…" (1.20) or
# "Waited for 1.2s due to client-side throttling, not priority and fairness, request: …"
THROTTLE_LINE = re.compile(
    r"Throttling request took (?P<took>[\dhmsuµn.]+)|Waited for (?P<waited>[\dhmsuµn.]+) due to "
    r"client-side throttling"
)


class BenchError(Exception):
    """The benchmark could not run as designed; the message says which step and why."""


# --- the repository -----------------------------------------------------------------------------

LANE_TEMPLATE = """\
# yaml-language-server: $schema=../../../schemas/Namespace.json
# {title}验收测试通道 {index:03d}：并行验收批次使用，不部署常驻服务，配额按批次上限核定
apiVersion: dfp.config/v1
kind: Namespace
name: {name}
cluster: {cluster}
environment: {env}
domain: {domain}
region: "{region}"
quota:
  requests.cpu: "1"
  requests.memory: 2Gi
  limits.cpu: "{cpu}"
  limits.memory: {memory}Gi
  pods: "{pods}"
  persistentvolumeclaims: "2"
limit_range:
  default:
    cpu: "500m"
    memory: 1Gi
  default_request:
    cpu: "100m"
    memory: 256Mi
  max:
    cpu: "2"
    memory: 4Gi
"""


@dataclass(frozen=True)
class Corpus:
    work: Path  # the git work tree
    commit: str
    manifests: Path  # the rendered cluster folder kubectl is given
    state: DesiredState
    lanes: int
    base_objects: int  # what the repository's own content renders on the cluster

    @property
    def objects(self) -> list[KubeObject]:
        return self.state.objects_in(CLUSTER)

    def kinds(self) -> dict[str, int]:
        return dict(Counter(o.kind for o in self.objects))


def raise_capacity(path: Path, lanes: int) -> None:
    """Add the lanes' quotas to the cluster's capacity (cpu, memory in Gi, pods)."""
    text = path.read_text(encoding="utf-8")
    for key, unit, added in (
        ("cpu", "", LANE_CPU * lanes),
        ("memory", "Gi", LANE_MEMORY_GI * lanes),
        ("pods", "", LANE_PODS * lanes),
    ):
        pattern = re.compile(rf'^(  {key}: "?)(\d+)({unit}"?)$', re.MULTILINE)

        def raised(match: re.Match[str], added: int = added) -> str:
            return f"{match[1]}{int(match[2]) + added}{match[3]}"

        text, found = pattern.subn(raised, text)
        if found != 1:
            raise BenchError(f"{path}: no capacity.{key} in whole {unit or 'units'} to raise")
    path.write_text(text, encoding="utf-8")


def _desired(work: Path, rev: str | None) -> tuple[str, DesiredState]:
    """Check and render ``work`` (the commit ``rev``, or the work tree when None)."""
    source: GitRevision | WorkTree = GitRevision(work, rev) if rev else WorkTree(work)
    repo, result = check_source(source, dt.date.fromisoformat(TODAY))
    if result.errors:
        shown = "\n  ".join(str(d) for d in result.diagnostics[:10])
        raise BenchError(f"{work} fails validation ({result.errors} errors):\n  {shown}")
    commit = source.commit if isinstance(source, GitRevision) else ""
    return commit, render(repo, ENV)


def _dfctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dfctl", *args], capture_output=True, text=True, check=False
    )


def build_repository(folder: Path, objects: int) -> Corpus:
    """Copy the content, add lanes until ``objects`` are rendered, validate, commit, render."""
    work = copy_content(folder / "repo")
    _, base = _desired(work, None)
    base_objects = len(base.objects_in(CLUSTER))
    # a lane renders its Namespace, ResourceQuota, LimitRange and two NetworkPolicies, and the
    # domain's configuration ConfigMap when the domain has configuration items
    with_config = {
        o.name.removeprefix("dfp-config-")
        for o in base.objects_in(CLUSTER)
        if o.kind == "ConfigMap"
    }
    total, lanes = base_objects, 0
    while total < objects:
        domain = DOMAINS[lanes % len(DOMAINS)]
        index = lanes // len(DOMAINS) + 1
        name = f"dfp-{domain}-{index:03d}-acc"
        text = LANE_TEMPLATE.format(
            title=DOMAIN_TITLES.get(domain, domain),
            index=index,
            name=name,
            cluster=CLUSTER,
            env=ENV,
            domain=domain,
            region=REGIONS[index % len(REGIONS)],
            cpu=LANE_CPU,
            memory=LANE_MEMORY_GI,
            pods=LANE_PODS,
        )
        (work / LANES / f"{name}.yaml").write_text(text, encoding="utf-8")
        total += 5 + (domain in with_config)
        lanes += 1
    raise_capacity(work / CLUSTER_FILE, lanes)

    checked = _dfctl("--repo", str(work), "validate", "--today", TODAY)
    if checked.returncode != 0 or " error " in checked.stdout:
        raise BenchError(f"dfctl validate on the generated repository:\n{checked.stdout[-3000:]}")
    git_repo = init_repo(work)
    commit = commit_all(git_repo, f"acceptance: {lanes} parallel test lanes")
    git_repo.close()
    out = folder / "rendered"
    rendered = _dfctl(
        "--repo", str(work), "render", "--env", ENV, "--out", str(out), "--today", TODAY
    )
    if rendered.returncode != 0:
        raise BenchError(f"dfctl render --out failed:\n{rendered.stdout[-2000:]}{rendered.stderr}")
    manifests = out / ENV / "kubernetes" / CLUSTER
    _, state = _desired(work, "HEAD")
    files = sum(1 for _ in manifests.rglob("*.yaml"))
    if files != len(state.objects_in(CLUSTER)) or files < objects:
        raise BenchError(
            f"{manifests} holds {files} files; the commit renders "
            f"{len(state.objects_in(CLUSTER))} objects, {objects} were asked for"
        )
    return Corpus(work, commit, manifests, state, lanes, base_objects)


# --- the clusters -------------------------------------------------------------------------------


def install_platform(plane: ControlPlane, state: DesiredState) -> None:
    """What the platform installer does before dfctl manages anything: the namespaces holding
    workloads, and those workloads (both tools patch their image and replicas)."""
    client = KubeClient(CLUSTER, plane.kubeconfig, timeouts=Timeouts(5.0, 60.0))
    try:
        workloads = [o for o in state.objects_in(CLUSTER) if o.patch_only]
        for namespace in sorted({o.namespace for o in workloads}):
            client.request(
                "POST",
                "/api/v1/namespaces",
                [("fieldManager", INSTALLER)],
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
                "application/json",
            )
        for obj in workloads:
            spec = obj.body["spec"]
            (container,) = spec["template"]["spec"]["containers"]
            labels = {"app": obj.name}
            client.request(
                "POST",
                f"/apis/apps/v1/namespaces/{obj.namespace}/deployments",
                [("fieldManager", INSTALLER)],
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": obj.name, "namespace": obj.namespace, "labels": labels},
                    "spec": {
                        "replicas": spec["replicas"],
                        "selector": {"matchLabels": labels},
                        "template": {
                            "metadata": {"labels": labels},
                            "spec": {
                                "containers": [{"name": obj.name, "image": container["image"]}]
                            },
                        },
                    },
                },
                "application/json",
            )
    finally:
        client.close()


def _holders(client: KubeClient, collection: str, name: str) -> set[str]:
    found = client.request("GET", collection, [("fieldSelector", f"metadata.name={name}")])
    return {item["metadata"]["namespace"] for item in found.get("items", [])}


def _settled(client: KubeClient) -> bool:
    namespaces = {n["metadata"]["name"] for n in client.list("Namespace")}
    if not namespaces <= _holders(client, "/api/v1/serviceaccounts", "default"):
        return False
    if not namespaces <= _holders(client, "/api/v1/configmaps", "kube-root-ca.crt"):
        return False
    if any("used" not in (q.get("status") or {}) for q in client.list("ResourceQuota")):
        return False
    for deployment in client.list("Deployment"):
        status = deployment.get("status") or {}
        if status.get("observedGeneration") != deployment["metadata"].get("generation"):
            return False
        if status.get("replicas", 0) != deployment["spec"].get("replicas", 1):
            return False
    return True


def settle(planes: Sequence[ControlPlane]) -> float:
    """Wait until the controllers caught up with what was written; returns the seconds waited."""
    started = time.monotonic()
    for plane in planes:
        client = KubeClient(CLUSTER, plane.kubeconfig, timeouts=Timeouts(5.0, 60.0))
        try:
            while not _settled(client):
                if time.monotonic() - started > SETTLE_TIMEOUT:
                    _note(
                        f"{plane.directory.name}: controllers still busy after {SETTLE_TIMEOUT:.0f} s"
                    )
                    break
                time.sleep(1.0)
        finally:
            client.close()
    time.sleep(QUIET_SECONDS)
    return time.monotonic() - started


def live_inventory(plane: ControlPlane) -> dict[str, int]:
    """The objects carrying dfctl's labels, by kind: what either tool applied."""
    client = KubeClient(CLUSTER, plane.kubeconfig, timeouts=Timeouts(5.0, 60.0))
    try:
        found = {kind: len(client.list(kind, MANAGED_SELECTOR)) for kind in LISTED_KINDS}
        found["Deployment"] = len(client.list("Deployment", f"{PATCHED_BY_LABEL}=dfctl"))
        return found
    finally:
        client.close()


_TICK = os.sysconf("SC_CLK_TCK")


def plane_cpu(plane: ControlPlane) -> float:
    """CPU seconds the plane's processes (etcd, apiserver, controller-manager) used so far."""
    total = 0
    for pid in plane.pids.values():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK


# --- timed runs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    wall: float  # seconds, process start to exit
    cpu: float  # the child's user + system seconds
    server_cpu: float  # the control plane's CPU seconds meanwhile
    exit_code: int
    figures: dict[str, Any] = field(default_factory=dict)  # dfctl's own phases and requests


@dataclass
class Measurement:
    name: str
    runs: list[Run] = field(default_factory=list)

    def median(self, what: str) -> float:
        return statistics.median(float(getattr(r, what)) for r in self.runs)

    def median_figure(self, key: str) -> float:
        return statistics.median(float(r.figures.get(key, 0.0)) for r in self.runs)


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {log})"


def timed(command: Sequence[str], log: Path, plane: ControlPlane) -> Run:
    """Run ``command`` to its end, its output in ``log``; measured with its own resource usage."""
    log.parent.mkdir(parents=True, exist_ok=True)
    server_before = plane_cpu(plane)
    with log.open("wb") as out:
        started = time.perf_counter()
        child = subprocess.Popen(
            list(command), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            _, status, usage = os.wait4(child.pid, 0)
        except BaseException:
            child.kill()
            child.wait()
            raise
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        wall,
        usage.ru_utime + usage.ru_stime,
        plane_cpu(plane) - server_before,
        child.returncode,
    )


def dfctl_command(mode: str, corpus: Corpus, plane: ControlPlane, result: Path) -> list[str]:
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        mode,
        "--work",
        str(corpus.work),
        "--kubeconfig",
        str(plane.kubeconfig),
        "--result",
        str(result),
    ]


def run_dfctl(mode: str, corpus: Corpus, plane: ControlPlane, logs: Path, label: str) -> Run:
    result = logs / f"{label}.json"
    log = logs / f"{label}.log"
    run = timed(dfctl_command(mode, corpus, plane, result), log, plane)
    if run.exit_code != 0 or not result.is_file():
        raise BenchError(f"dfctl {mode} exited with {run.exit_code}; {log}:\n{_tail(log)}")
    figures: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    figures["start_s"] = run.wall - figures["prepare_s"] - figures["plan_s"] - figures["apply_s"]
    return Run(run.wall, run.cpu, run.server_cpu, run.exit_code, figures)


def kubectl_command(
    kubectl: Path, plane: ControlPlane, *args: str, verbosity: int = 0
) -> list[str]:
    return [
        str(kubectl),
        f"--kubeconfig={plane.kubeconfig}",
        f"--context={CLUSTER}",
        f"--cache-dir={plane.directory / 'kubectl-cache'}",
        *([f"-v={verbosity}"] if verbosity else []),
        *args,
    ]


def kubectl_apply(
    kubectl: Path, corpus: Corpus, plane: ControlPlane, log: Path, verbosity: int = 0
) -> Run:
    args = (
        "apply",
        "--server-side",
        *KUBECTL_APPLY_OPTIONS,
        "-f",
        str(corpus.manifests),
        "--recursive",
    )
    run = timed(kubectl_command(kubectl, plane, *args, verbosity=verbosity), log, plane)
    applied = sum(
        1
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
        if line.endswith(" serverside-applied")
    )
    if run.exit_code != 0 or applied != len(corpus.objects):
        raise BenchError(
            f"kubectl apply exited with {run.exit_code} after applying {applied} of "
            f"{len(corpus.objects)} objects; {log}:\n{_tail(log)}"
        )
    return Run(run.wall, run.cpu, run.server_cpu, run.exit_code, {"applied": applied})


def kubectl_diff(
    kubectl: Path, corpus: Corpus, plane: ControlPlane, log: Path, verbosity: int = 0
) -> Run:
    args = ("diff", "--server-side", "-f", str(corpus.manifests), "--recursive")
    run = timed(kubectl_command(kubectl, plane, *args, verbosity=verbosity), log, plane)
    if run.exit_code > 1:  # 0: no difference, 1: differences, more: it failed
        raise BenchError(f"kubectl diff exited with {run.exit_code}; {log}:\n{_tail(log)}")
    return run


def count_requests(log: Path) -> dict[str, Any]:
    """Requests by method in a kubectl -v=6 log, and how many of the GETs were not objects."""
    methods: Counter[str] = Counter()
    openapi = discovery = throttled = 0
    waited = 0.0
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        delay = THROTTLE_LINE.search(line)
        if delay is not None:
            throttled += 1
            waited += _go_duration(delay.group("took") or delay.group("waited"))
        found = REQUEST_LINE.search(line)
        if found is None:
            continue
        verb = found.group("verb") or found.group("verb2")
        url = found.group("url") or found.group("url2")
        methods[verb] += 1
        path = re.sub(r"^https?://[^/]+", "", url).split("?")[0]
        if path.startswith("/openapi/"):
            openapi += 1
        elif re.fullmatch(r"/api(/v1)?|/apis(/[^/]+(/[^/]+)?)?", path):
            discovery += 1
    return {
        "methods": dict(sorted(methods.items())),
        "total": sum(methods.values()),
        "openapi_gets": openapi,
        "discovery_gets": discovery,
        "throttled_requests": throttled,
        "throttled_s": waited,
    }


def _go_duration(text: str) -> float:
    """Seconds in a Go duration as klog prints it: 131.3ms, 1.2s, 950µs, 1m2.5s."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
    parts = re.findall(r"([\d.]+)(h|ms|m|s|us|µs|ns)", text)
    return sum(float(number) * units[unit] for number, unit in parts)


# --- the child: one dfctl run -------------------------------------------------------------------


def child_main(mode: str, work: Path, kubeconfig: Path, result: Path) -> int:
    """``dfctl apply`` / ``dfctl plan`` of the cluster target, as the command line does them."""
    started = time.perf_counter()
    commit, state = _desired(work, "HEAD")
    prepared = time.perf_counter()
    client = KubeClient(CLUSTER, kubeconfig)
    target = ClusterTarget(client)
    plan = make_plan(state, commit, [target])
    planned = time.perf_counter()
    if mode == "apply":
        apply_plan(plan, [target])
    done = time.perf_counter()
    client.close()
    figures = {
        "prepare_s": prepared - started,
        "plan_s": planned - prepared,
        "apply_s": done - planned,
        "objects": len(state.objects_in(CLUSTER)),
        "actions": dict(Counter(a.op for a in plan.actions)),
        "errors": list(plan.errors),
        "plan_reads": plan.targets[0].reads,
        "requests": dict(sorted(client.requests.items())),
    }
    result.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 1 if plan.errors else 0


# --- one run of the whole comparison ------------------------------------------------------------


@dataclass
class Results:
    dfctl_apply: Measurement = field(default_factory=lambda: Measurement("dfctl apply"))
    kubectl_apply: Measurement = field(default_factory=lambda: Measurement("kubectl apply"))
    dfctl_plan: Measurement = field(default_factory=lambda: Measurement("dfctl plan"))
    kubectl_diff: Measurement = field(default_factory=lambda: Measurement("kubectl diff"))
    inventories: list[dict[str, dict[str, int]]] = field(default_factory=list)
    settle_s: list[float] = field(default_factory=list)
    kubectl_requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    server_version: str = ""


def _note(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@contextmanager
def planes_running(folder: Path, names: Sequence[str]) -> Iterator[list[ControlPlane]]:
    """Fresh control planes, all named like the cluster, one folder each; stopped and removed."""
    # imported here: the child (one dfctl run) imports only what the command line would
    from dfctl.sandbox import ControlPlane, find_binaries, start_all  # noqa: PLC0415

    binaries = find_binaries()
    planes = [
        ControlPlane(CLUSTER, folder / name, binaries=binaries, timeout=PLANE_TIMEOUT)
        for name in names
    ]
    started = time.monotonic()
    start_all(planes)  # stops them all itself when one fails
    _note(f"{len(planes)} control planes up in {time.monotonic() - started:.0f} s")
    try:
        yield planes
    finally:
        for plane in planes:
            plane.stop()
        for plane in planes:
            shutil.rmtree(plane.directory, ignore_errors=True)


def one_repeat(number: int, corpus: Corpus, kubectl: Path, folder: Path, results: Results) -> None:
    logs = folder / "logs" / f"repeat-{number}"
    order = TOOLS if number % 2 == 1 else TOOLS[::-1]
    with planes_running(folder / f"repeat-{number}", TOOLS) as planes:
        plane = dict(zip(TOOLS, planes, strict=True))
        results.server_version = planes[0].version
        for each in planes:
            install_platform(each, corpus.state)
        for tool in order:
            results.settle_s.append(settle(planes))
            _note(f"repeat {number}: {tool} apply …")
            if tool == "dfctl":
                run = run_dfctl("apply", corpus, plane[tool], logs, "dfctl-apply")
                results.dfctl_apply.runs.append(run)
            else:
                run = kubectl_apply(kubectl, corpus, plane[tool], logs / "kubectl-apply.log")
                results.kubectl_apply.runs.append(run)
            _note(f"repeat {number}: {tool} apply {run.wall:.1f} s")
        results.settle_s.append(settle(planes))
        inventory = {tool: live_inventory(plane[tool]) for tool in TOOLS}
        results.inventories.append(inventory)
        if inventory["dfctl"] != inventory["kubectl"]:
            results.problems.append(f"repeat {number}: the clusters differ: {inventory}")
        for tool in order:
            results.settle_s.append(settle(planes))
            _note(f"repeat {number}: {tool} no-op …")
            if tool == "dfctl":
                run = run_dfctl("plan", corpus, plane[tool], logs, "dfctl-plan")
                results.dfctl_plan.runs.append(run)
                actions = sum(run.figures["actions"].values())
                if actions or run.figures["requests"] != {"GET": len(PLAN_KINDS)}:
                    results.problems.append(
                        f"repeat {number}: the no-op plan has {actions} actions and made "
                        f"requests {run.figures['requests']} (expected {len(PLAN_KINDS)} GET)"
                    )
            else:
                run = kubectl_diff(kubectl, corpus, plane[tool], logs / "kubectl-diff.log")
                results.kubectl_diff.runs.append(run)
                if run.exit_code != 0:
                    results.problems.append(
                        f"repeat {number}: kubectl diff found differences after kubectl apply "
                        f"(exit {run.exit_code}; {logs / 'kubectl-diff.log'})"
                    )
            _note(f"repeat {number}: {tool} no-op {run.wall:.1f} s")


def count_kubectl(corpus: Corpus, kubectl: Path, folder: Path, results: Results) -> None:
    """kubectl apply and diff once more, with -v=6, on a fresh cluster of their own."""
    logs = folder / "logs" / "counting"
    with planes_running(folder / "counting", ["kubectl"]) as (plane,):
        install_platform(plane, corpus.state)
        settle([plane])
        _note("counting kubectl's requests: apply -v=6 …")
        kubectl_apply(kubectl, corpus, plane, logs / "kubectl-apply-v6.log", verbosity=6)
        results.kubectl_requests["apply"] = count_requests(logs / "kubectl-apply-v6.log")
        settle([plane])
        _note("counting kubectl's requests: diff -v=6 …")
        run = kubectl_diff(kubectl, corpus, plane, logs / "kubectl-diff-v6.log", verbosity=6)
        results.kubectl_requests["diff"] = count_requests(logs / "kubectl-diff-v6.log")
        results.kubectl_requests["diff"]["exit_code"] = run.exit_code


# --- kubectl ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kubectl:
    path: Path
    version: str  # what it says it is
    origin: str  # where it comes from


def find_kubectl(given: Path | None) -> Kubectl:
    if given is not None:
        path, origin = given.resolve(), f"given with --kubectl ({given})"
    else:
        done = subprocess.run(
            ["bash", str(KUBECTL_INSTALLER)], capture_output=True, text=True, check=False
        )
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            raise BenchError(f"{KUBECTL_INSTALLER} failed:\n{done.stderr[-2000:]}")
        path = Path(lines[-1])
        logged = [line for line in done.stderr.splitlines() if line.startswith("[kubectl] ")]
        # "[kubectl] kubernetes-client 1.20.5+… (installed)" or "(unpacked in …)"
        words = logged[-1].split() if logged else []
        origin = f"Debian {' '.join(words[1:3])}" if len(words) >= 3 else "Debian kubernetes-client"
    shown = subprocess.run(
        [str(path), "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        version = str(json.loads(shown.stdout)["clientVersion"]["gitVersion"])
    except (ValueError, KeyError) as exc:
        raise BenchError(f"{path} version --client: {shown.stdout}{shown.stderr}") from exc
    return Kubectl(path, version, origin)


# --- the report ---------------------------------------------------------------------------------


def _requests_text(methods: dict[str, int]) -> str:
    return ", ".join(f"{n} {verb}" for verb, n in sorted(methods.items())) or "none"


def _kubectl_requests_text(counted: dict[str, Any] | None) -> str:
    if not counted:
        return "(not counted)"
    text = _requests_text(counted["methods"])
    extra = []
    if counted["openapi_gets"]:
        extra.append(f"{counted['openapi_gets']} GET /openapi/v2")
    if counted["discovery_gets"]:
        extra.append(f"{counted['discovery_gets']} discovery")
    if counted["throttled_requests"]:
        extra.append(
            f"{counted['throttled_requests']} held back by kubectl's client-side rate limit, "
            f"{counted['throttled_s']:.0f} s in all"
        )
    return text + (f" (of which {', '.join(extra)})" if extra else "")


def _phases(measurement: Measurement, with_apply: bool) -> str:
    parts = [
        f"start {measurement.median_figure('start_s'):.2f}",
        f"read+validate+render {measurement.median_figure('prepare_s'):.2f}",
        f"plan {measurement.median_figure('plan_s'):.2f}",
    ]
    if with_apply:
        parts.append(f"apply {measurement.median_figure('apply_s'):.2f}")
    return " · ".join(parts) + " s"


def report(
    corpus: Corpus,
    kubectl: Kubectl,
    server_version: str,
    results: Results,
    repeat: int,
    load: tuple[tuple[float, ...], tuple[float, ...]],
) -> dict[str, Any]:
    apply_ratio = results.kubectl_apply.median("wall") / results.dfctl_apply.median("wall")
    plan_ratio = results.kubectl_diff.median("wall") / results.dfctl_plan.median("wall")
    reconcile_apply = statistics.median(
        r.figures["plan_s"] + r.figures["apply_s"] for r in results.dfctl_apply.runs
    )
    first, last = results.dfctl_apply.runs[-1], results.dfctl_plan.runs[-1]
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(corpus.kinds().items()))
    print(
        f"Kubernetes reconciler: {len(corpus.objects)} objects for {ENV} on {CLUSTER} "
        f"({corpus.base_objects} from the repository's content, {corpus.lanes} added test lanes): "
        f"{kinds}"
    )
    print(
        f"kube-apiserver {server_version} · kubectl {kubectl.version} ({kubectl.origin}) · "
        f"{os.cpu_count()} CPUs · load {load[0][0]:.1f} → {load[1][0]:.1f} · "
        f"medians of {repeat} repeats, fresh clusters each"
    )
    print()
    header = f"{'run':42} {'wall s':>8} {'cpu s':>7} {'server cpu s':>12}  requests"
    print(header)
    print("-" * len(header))
    rows = [
        (
            "(a) dfctl apply, empty cluster",
            results.dfctl_apply,
            _requests_text(first.figures["requests"]),
        ),
        (
            "(b) kubectl apply --server-side",
            results.kubectl_apply,
            _kubectl_requests_text(results.kubectl_requests.get("apply")),
        ),
        (
            "(c) dfctl plan, no-op",
            results.dfctl_plan,
            f"{_requests_text(last.figures['requests'])} "
            f"(one LIST per kind: {', '.join(PLAN_KINDS)}); "
            f"{sum(last.figures['actions'].values())} actions",
        ),
        (
            "(d) kubectl diff --server-side",
            results.kubectl_diff,
            _kubectl_requests_text(results.kubectl_requests.get("diff")),
        ),
    ]
    for name, measurement, requests in rows:
        print(
            f"{name:42} {measurement.median('wall'):8.2f} {measurement.median('cpu'):7.2f} "
            f"{measurement.median('server_cpu'):12.2f}  {requests}"
        )
        if measurement is results.dfctl_apply:
            print(f"{'':42} {_phases(measurement, True)}")
        if measurement is results.dfctl_plan:
            print(f"{'':42} {_phases(measurement, False)}")
    print()
    verdict = {True: "met", False: "MISSED"}
    print(
        f"first apply: (b)/(a) = {apply_ratio:.2f}×  (target ≥ {APPLY_TARGET:.0f}×: "
        f"{verdict[apply_ratio >= APPLY_TARGET]}); dfctl's plan + apply alone: "
        f"{reconcile_apply:.2f} s"
    )
    print(
        f"no-op plan:  (d)/(c) = {plan_ratio:.1f}×  (target ≥ {PLAN_TARGET:.0f}×: "
        f"{verdict[plan_ratio >= PLAN_TARGET]}); dfctl's plan alone: "
        f"{results.dfctl_plan.median_figure('plan_s'):.2f} s"
    )
    for problem in results.problems:
        print(f"problem: {problem}")
    return {
        "objects": len(corpus.objects),
        "kinds": corpus.kinds(),
        "lanes": corpus.lanes,
        "commit": corpus.commit,
        "base_objects": corpus.base_objects,
        "repeat": repeat,
        "kube_apiserver": server_version,
        "kubectl": {
            "path": str(kubectl.path),
            "version": kubectl.version,
            "origin": kubectl.origin,
        },
        "machine": {"cpus": os.cpu_count(), "arch": platform.machine(), "load": load},
        "medians": {
            m.name: {
                "wall_s": m.median("wall"),
                "cpu_s": m.median("cpu"),
                "server_cpu_s": m.median("server_cpu"),
            }
            for m in (
                results.dfctl_apply,
                results.kubectl_apply,
                results.dfctl_plan,
                results.kubectl_diff,
            )
        },
        "ratios": {"apply": apply_ratio, "plan": plan_ratio},
        "targets": {"apply": APPLY_TARGET, "plan": PLAN_TARGET},
        "runs": {
            m.name: [
                {"wall_s": r.wall, "cpu_s": r.cpu, "server_cpu_s": r.server_cpu, **r.figures}
                for r in m.runs
            ]
            for m in (
                results.dfctl_apply,
                results.kubectl_apply,
                results.dfctl_plan,
                results.kubectl_diff,
            )
        },
        "kubectl_requests": results.kubectl_requests,
        "live_objects": results.inventories,
        "settle_s": results.settle_s,
        "problems": results.problems,
    }


# --- main ---------------------------------------------------------------------------------------


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the clusters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--objects", type=int, default=2000, help="at least this many objects")
    parser.add_argument("--repeat", type=int, default=3, help="fresh clusters per repeat")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--kubectl", type=Path, default=None, help="this kubectl instead of Debian's"
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="work in this (new) folder and keep it"
    )
    parser.add_argument("--child", choices=["apply", "plan"], help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--kubeconfig", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child, args.work, args.kubeconfig, args.result)
    if args.repeat < 1 or args.objects < 1:
        parser.error("--objects and --repeat must be at least 1")
    signal.signal(signal.SIGTERM, _terminate)

    try:
        kubectl = find_kubectl(args.kubectl)
        _note(f"kubectl {kubectl.version}: {kubectl.path}")
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=False)
            return _run(args, kubectl, args.keep.resolve())
        with tempfile.TemporaryDirectory(prefix="dfctl-bench-reconcile-") as folder:
            return _run(args, kubectl, Path(folder))
    except BenchError as exc:
        print(f"bench_reconcile: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, kubectl: Kubectl, folder: Path) -> int:
    started = time.monotonic()
    corpus = build_repository(folder, args.objects)
    _note(
        f"repository with {len(corpus.objects)} objects ({corpus.lanes} lanes) "
        f"in {time.monotonic() - started:.0f} s"
    )
    results = Results()
    load_before = os.getloadavg()
    for number in range(1, args.repeat + 1):
        one_repeat(number, corpus, kubectl.path, folder, results)
    count_kubectl(corpus, kubectl.path, folder, results)
    load_after = os.getloadavg()
    figures = report(
        corpus, kubectl, results.server_version, results, args.repeat, (load_before, load_after)
    )
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", "utf-8")
    met = (
        figures["ratios"]["apply"] >= APPLY_TARGET
        and figures["ratios"]["plan"] >= PLAN_TARGET
        and not results.problems
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
