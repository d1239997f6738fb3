"""How long until dfctl reports a cluster or configuration service it cannot use?

Each case is one `dfctl plan --env acceptance` process (the command a person runs), timed from
start to exit, with default timeouts; its one line on stderr and its exit status are shown:

* kube-apiserver: a refused port, a silent server (accepts, never answers — made here with a
  socket, as no real server hangs on demand), a server silent after the TLS handshake, and a
  kubeconfig that does not exist;
* the configuration service (clusters left out with ``--target config-service``): one silent
  member, one silent member beside a real etcd (the cost over the real one alone), three silent
  members.

Targets: an unreachable or silent server is reported within 15 s; one silent etcd member among
healthy ones adds at most 3 s. A real cluster is not needed for the cases: the acceptance
environment is read from this repository's content in a temporary git repository, and the
kubeconfig points at the fault.

Usage: ``.venv/bin/python -m benchmarks.bench_failures``
"""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from dfctl.sandbox.certs import CertificateAuthority
from tests.content import commit_all, copy_content, init_repo
from tests.etcd_server import EtcdServer
from tests.silent_server import silent_server

KUBE_TARGET = 15.0
ETCD_EXTRA_TARGET = 3.0


def kubeconfig(folder: Path, server: str, ca: CertificateAuthority) -> Path:
    user = ca.issue("dfctl-admin", ["system:masters"])
    path = folder / f"kubeconfig-{len(list(folder.glob('kubeconfig-*')))}"

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "tke-acc-a",
                        "cluster": {
                            "server": server,
                            "certificate-authority-data": b64(ca.cert_pem),
                        },
                    }
                ],
                "users": [
                    {
                        "name": "admin",
                        "user": {
                            "client-certificate-data": b64(user.cert_pem),
                            "client-key-data": b64(user.key_pem),
                        },
                    }
                ],
                "contexts": [
                    {"name": "tke-acc-a", "context": {"cluster": "tke-acc-a", "user": "admin"}}
                ],
                "current-context": "tke-acc-a",
            }
        ),
        encoding="utf-8",
    )
    return path


def plan(repo: Path, *options: str) -> tuple[float, int, str]:
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dfctl",
            "--repo",
            str(repo),
            "plan",
            "--env",
            "acceptance",
            *options,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    said = (done.stderr.strip() or done.stdout.strip()).splitlines()
    return time.monotonic() - started, done.returncode, said[-1] if said else ""


@contextlib.contextmanager
def silent_members(count: int) -> Iterator[list[str]]:
    with contextlib.ExitStack() as stack:
        yield [f"http://{stack.enter_context(silent_server())}" for _ in range(count)]


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="dfctl-failures-"))
    repo = copy_content(folder / "repo")
    commit_all(init_repo(repo), "the city's configuration")
    ca = CertificateAuthority.create("bench-failures")
    kube = ("--target", "kubernetes", "--kubeconfig")
    rows: list[tuple[str, tuple[float, int, str], float | None]] = []
    # what a run costs without waiting for anything: start, validation, rendering, a refusal
    baseline = plan(repo, *kube, str(kubeconfig(folder, "https://127.0.0.1:1", ca)))
    rows.append(("kube: refused port (baseline)", baseline, None))
    with silent_server() as address:
        config = kubeconfig(folder, f"https://{address}", ca)
        rows.append(("kube: silent server", plan(repo, *kube, str(config)), KUBE_TARGET))
    with silent_server(tls=ca) as address:
        config = kubeconfig(folder, f"https://{address}", ca)
        rows.append(("kube: silent after TLS", plan(repo, *kube, str(config)), KUBE_TARGET))
    rows.append(("kube: no kubeconfig", plan(repo, *kube, str(folder / "missing")), None))
    etcd = EtcdServer(folder / "etcd").start()
    try:
        service = ("--target", "config-service", "--etcd-endpoints")
        alone = plan(repo, *service, etcd.endpoint)
        with silent_members(1) as (silent,):
            rows.append(("etcd: one silent member", plan(repo, *service, silent), KUBE_TARGET))
            beside = plan(repo, *service, f"{silent},{etcd.endpoint}")
        with silent_members(3) as members:
            three = plan(repo, *service, ",".join(members))
        rows.append(("etcd: three silent members", three, KUBE_TARGET))
    finally:
        etcd.stop()
    missed = 0
    print(f"baseline (a run that waits for nothing): {baseline[0]:.2f} s\n")
    for name, (seconds, code, line), target in rows:
        waited = max(0.0, seconds - baseline[0])
        mark = ""
        if target is not None:
            ok = waited <= target
            missed += not ok
            mark = f", waited {waited:.2f} s (target ≤ {target:g} s: {'met' if ok else 'MISSED'})"
        print(f"{name:30s} {seconds:6.2f} s, exit {code}{mark}\n    {line[:220]}")
    extra = beside[0] - alone[0]
    ok = extra <= ETCD_EXTRA_TARGET
    missed += not ok
    print(
        f"etcd: a real member alone {alone[0]:.2f} s (exit {alone[1]}); with a silent one beside "
        f"it {beside[0]:.2f} s (exit {beside[1]}): +{extra:.2f} s "
        f"(target ≤ {ETCD_EXTRA_TARGET:g} s: {'met' if ok else 'MISSED'})"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
