"""How fast does dfctl write the configuration service, against one ``etcdctl put`` per key?

Runs, in one go against one real etcd on loopback (tests/etcd_server.py starts it):

(a) dfctl plan + apply of ``--keys`` documents (20,000) into an empty prefix        the subject
(b) ``etcdctl put`` once per key, the same keys and values, one process per key    target (b)/(a) ≥ 10×
(c) a no-op plan and apply of the same documents: requests by kind     the plan: one range; no txn
(d) a change to 1% of the documents: plan + apply, requests by kind

Each document is a region's configuration (about 400 bytes of JSON), written under its own key,
so the key count is the document count. (b) takes minutes (a process start per key); with
``--etcdctl-keys N`` it puts only N keys and the table says the rest is extrapolated.

Usage: ``.venv/bin/python -m benchmarks.bench_config_service [--keys 20000] [--json FILE]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from dfctl.adapters.etcd import EtcdClient, parse_endpoints
from dfctl.reconcile.config_service import ConfigServiceTarget
from dfctl.reconcile.config_service_layout import encode, envelope
from dfctl.reconcile.runner import apply_plan, make_plan
from dfctl.render.state import ConfigDocument, DesiredState
from tests.etcd_server import EtcdServer, find_etcdctl

ENV = "production"
PREFIX = f"/dfp/{ENV}/"
SOURCE = "environments/production/environment.yaml:12"
COMMITS = ("6b1f0c2a9d4e7f3b5a8c1d2e4f6a7b9c0d1e2f3a", "a7c3e9b1d5f2048c6e1a3b5d7f9c2e4a6b8d0f12")
TARGET_RATIO = 10.0


def documents(count: int, edition: int = 0, changed_every: int = 0) -> DesiredState:
    """``count`` region-configuration documents; every ``changed_every``-th one in ``edition``."""
    docs = []
    for index in range(count):
        changed = changed_every and index % changed_every == 0
        spec = {
            "mof_div_code": f"99{index // 100:04d}{index % 100:03d}",
            "name": f"第{index}号预算单位",
            "items": {
                "execution.payment.single_limit": 500000 + (edition if changed else 0),
                "execution.payment.review_threshold": 200000,
                "execution.official_card.repayment_days": 30,
                "execution.salary.payment_day": 15,
                "budget.year": 2026,
                "accounting.period.close_day": 5,
                "portal.theme.region_title": "XX市数字财政统一门户",
            },
        }
        value = {
            "apiVersion": "dfp.config/v1",
            "kind": "EffectiveConfig",
            "source": SOURCE,
            "spec": spec,
        }
        docs.append(ConfigDocument(f"{PREFIX}config/{index:06d}", value, SOURCE))
    return DesiredState(ENV, ("tke-prod-a",), (), tuple(docs))


def dfctl_run(server: EtcdServer, state: DesiredState, commit: str) -> dict[str, Any]:
    """Plan and apply with a fresh client, as one ``dfctl apply`` would."""
    client = EtcdClient(parse_endpoints([server.endpoint]))
    target = ConfigServiceTarget(client, ENV, commit)
    started = time.perf_counter()
    plan = make_plan(state, commit, [target])
    planned = time.perf_counter()
    apply_plan(plan, [target], allow_mass_prune=True)
    done = time.perf_counter()
    client.close()
    return {
        "actions": len(plan.actions),
        "plan_s": planned - started,
        "apply_s": done - planned,
        "total_s": done - started,
        "plan_reads": plan.targets[0].reads,
        "requests": dict(Counter(client.requests)),
    }


def etcdctl_run(server: EtcdServer, state: DesiredState, count: int) -> dict[str, Any]:
    """One ``etcdctl put`` per key, as a shell loop over the rendered files would do it."""
    etcdctl = str(find_etcdctl())
    env = {**os.environ, "ETCDCTL_API": "3"}
    started = time.perf_counter()
    for doc in state.documents[:count]:
        value = encode(PREFIX, doc.key, envelope(doc.value, COMMITS[0])).head.decode()
        key = doc.key.replace(PREFIX, "/bench/etcdctl/", 1)
        subprocess.run(
            [etcdctl, f"--endpoints={server.endpoint}", "put", key, value],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    elapsed = time.perf_counter() - started
    total = len(state.documents)
    return {
        "keys_put": count,
        "measured_s": elapsed,
        "total_s": elapsed * total / count,
        "extrapolated": count < total,
        "per_key_ms": 1000 * elapsed / count,
    }


def requests_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "none"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keys", type=int, default=20000)
    parser.add_argument(
        "--etcdctl-keys", type=int, default=None, help="put only this many with etcdctl"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    baseline_keys = min(args.etcdctl_keys or args.keys, args.keys)

    first = documents(args.keys)
    changed = documents(args.keys, edition=1, changed_every=100)
    with tempfile.TemporaryDirectory(prefix="dfctl-bench-etcd-") as folder:
        server = EtcdServer(Path(folder)).start()
        try:
            version = subprocess.run(
                [str(server.binary), "--version"], capture_output=True, text=True, check=True
            ).stdout.splitlines()[0]
            apply = dfctl_run(server, first, COMMITS[0])
            noop = dfctl_run(server, first, COMMITS[0])
            change = dfctl_run(server, changed, COMMITS[1])
            print(f"dfctl done; now {baseline_keys} etcdctl puts …", file=sys.stderr, flush=True)
            baseline = etcdctl_run(server, first, baseline_keys)
            stored = len(server.keys(PREFIX))
        finally:
            server.stop()

    ratio = baseline["total_s"] / apply["total_s"]
    estimate = " (extrapolated)" if baseline["extrapolated"] else ""
    rows = [
        (
            "(a) dfctl plan + apply, empty prefix",
            apply["total_s"],
            requests_text(apply["requests"]),
        ),
        (
            f"(b) etcdctl put × {args.keys}{estimate}",
            baseline["total_s"],
            f"{baseline['keys_put']} processes, {baseline['per_key_ms']:.1f} ms each",
        ),
        ("(c) dfctl no-op plan + apply", noop["total_s"], requests_text(noop["requests"])),
        (
            f"(d) dfctl apply of {change['actions']} changed documents",
            change["total_s"],
            requests_text(change["requests"]),
        ),
    ]
    print(f"configuration service: {args.keys} keys, {version}, {platform.machine()}")
    print(f"{'run':48} {'seconds':>9}  requests")
    for name, seconds, note in rows:
        print(f"{name:48} {seconds:9.2f}  {note}")
    print(f"(b) / (a) = {ratio:.1f}×  (target ≥ {TARGET_RATIO:.0f}×)")
    print(
        f"no-op plan: {noop['plan_reads']} range request over {PREFIX}, {noop['actions']} actions"
    )
    if args.json is not None:
        figures = {"keys": args.keys, "etcd": version, "ratio": ratio, "stored_keys": stored}
        figures |= {"apply": apply, "etcdctl": baseline, "noop": noop, "change": change}
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    ok = (
        ratio >= TARGET_RATIO
        and stored == args.keys + 1  # the documents and the marker
        and noop["plan_reads"] == 1
        and "txn" not in noop["requests"]
        and noop["actions"] == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
