"""`dfctl inspect`: the inspection report (巡检报告) of an environment, live against the repository."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import time
from pathlib import Path

from dfctl.cli.common import (
    EXIT_FINDINGS,
    Command,
    add_connections,
    datetime_argument,
    repository_root,
)
from dfctl.clock import SHANGHAI
from dfctl.errors import OutputError, TargetError, UsageError
from dfctl.gitops.mirror import Mirror
from dfctl.inspect.collect import Connections, collect
from dfctl.inspect.findings import (
    FAIL_ON,
    LANGS,
    Inspection,
    LocalText,
    SourceStatus,
    exit_code,
    severity_counts,
)
from dfctl.inspect.history import DirectoryStore, HistoryError, HistoryStore, changes_since
from dfctl.inspect.history_cluster import ConfigMapStore
from dfctl.inspect.history_stores import Stores
from dfctl.inspect.metrics import InspectionMetrics
from dfctl.inspect.report_html import report_html
from dfctl.inspect.report_json import report_json
from dfctl.inspect.report_md import report_md
from dfctl.pipeline import CheckedRevision, Revisions, check_revision
from dfctl.reconcile.connect import etcd_credentials

REPORTS = ("report.html", "report.md", "report.json")


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env", required=True, metavar="ENV", help="the environment to inspect (production, …)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="where report.html, report.md and report.json go (default: ./inspection-ENV)",
    )
    parser.add_argument(
        "--lang", choices=LANGS, default="zh", help="language of the HTML and markdown (default zh)"
    )
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="critical",
        help="exit 1 when a finding is at least this severe (default critical)",
    )
    parser.add_argument(
        "--history",
        type=Path,
        default=None,
        metavar="DIR",
        help="also keep every report in this folder, and compare with the last one there",
    )
    parser.add_argument(
        "--no-cluster-history",
        action="store_true",
        help="neither read nor write the history ConfigMap in the environment's first cluster",
    )
    parser.add_argument(
        "--rev", default="HEAD", metavar="REV", help="inspect against (default HEAD)"
    )
    parser.add_argument(
        "--fetch",
        metavar="URL",
        default=None,
        help="fetch the repository from URL (as the reconciler does) instead of a local clone",
    )
    parser.add_argument("--branch", default="main", help="with --fetch: the branch (default main)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        metavar="DIR",
        help="with --fetch: where the fetched repository is kept (default ~/.cache/dfctl/inspect)",
    )
    add_connections(parser, endpoints_from_environment=False)
    parser.add_argument(
        "--now",
        type=datetime_argument,
        default=None,
        metavar="DATETIME",
        help="inspect as of this moment (ISO 8601; default: the clock)",
    )
    parser.add_argument(
        "--metrics-file",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the findings as a node_exporter textfile-collector file",
    )
    parser.add_argument(
        "--pushgateway", default=None, metavar="URL", help="push the findings to a Pushgateway"
    )


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    now: dt.datetime = args.now or dt.datetime.now(SHANGHAI)
    today = now.astimezone(SHANGHAI).date()
    out: Path = args.out or Path(f"inspection-{args.env}")
    with contextlib.ExitStack() as cleanup:
        if args.fetch is not None:
            mirror = Mirror(args.fetch, args.cache or Path.home() / ".cache" / "dfctl" / "inspect")
            cleanup.callback(mirror.close)
            rev = mirror.fetch(args.branch)
            revisions = Revisions(mirror.path, mirror.repo)
            root = mirror.path
        else:
            root = repository_root(args)
            revisions = Revisions(root)
            cleanup.callback(revisions.close)
            rev = args.rev
        inspected = revisions.checked(rev, today)
        env = inspected.environment(args.env)
        if env is None:
            raise UsageError(f"no environment {args.env!r} at {rev}")
        endpoints = args.etcd_endpoints.split(",") if args.etcd_endpoints is not None else None
        connections = Connections(
            args.kubeconfig, endpoints, etcd_credentials(args.etcd_credentials, root)
        )
        cleanup.callback(connections.close)
        store, unavailable = _stores(args, connections, env.clusters[0])
        previous = store.previous(env.name)
        points = store.points(env.name)

        def load(revision: str, day: dt.date) -> CheckedRevision:
            return check_revision(root, revision, day, repo=revisions.git)

        inspection = collect(
            inspected, load, env.name, connections, now, (*unavailable, *store.sources(env.name))
        )
        changes = changes_since(previous, inspection)
        report = report_json(inspection, changes, points)
        _write(
            out,
            report,
            report_md(inspection, changes, points, args.lang),
            report_html(inspection, changes, points, args.lang),
        )
        problems: list[str] = []
        if store.stores:
            try:
                sys.stderr.write(f"dfctl: inspect: kept in {store.save(report)}\n")
            except HistoryError as exc:
                problems.append(f"the report was not kept in the history: {exc}")
        problems += _metrics(
            args, inspection, len(changes.new) if changes else len(inspection.findings), started
        )
    counts = severity_counts(inspection.findings)
    sys.stdout.write(
        f"{env.name}: {counts['critical']} critical, {counts['warning']} warning, {counts['info']} info"
        f" findings; {sum(not s.ok for s in inspection.sources)} sources not read;"
        f" report in {out}/ ({', '.join(REPORTS)})\n"
    )
    for problem in problems:
        sys.stderr.write(f"dfctl: inspect: {problem}\n")
    code = exit_code(inspection, args.fail_on)
    return EXIT_FINDINGS if problems else code


def _stores(
    args: argparse.Namespace, connections: Connections, cluster: str
) -> tuple[Stores, tuple[SourceStatus, ...]]:
    stores: list[HistoryStore] = []
    unavailable: tuple[SourceStatus, ...] = ()
    if args.history is not None:
        stores.append(DirectoryStore(args.history))
    if not args.no_cluster_history:
        try:
            stores.append(ConfigMapStore(connections.client(cluster)))
        except TargetError as exc:
            detail = LocalText(
                f"无法读取集群中的历史记录：{exc}", f"Cannot read the history in the cluster: {exc}"
            )
            unavailable = (SourceStatus("history", False, detail),)
    return Stores(stores), unavailable


def _write(out: Path, report: str, markdown: str, html: str) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in zip(REPORTS, (html, markdown, report), strict=True):
            (out / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write the report to {out}: {exc.strerror or exc}") from None


def _metrics(
    args: argparse.Namespace, inspection: Inspection, new: int, started: float
) -> list[str]:
    if args.metrics_file is None and args.pushgateway is None:
        return []
    metrics = InspectionMetrics(inspection.environment)
    metrics.record(inspection, new, time.monotonic() - started)
    problems = []
    if args.metrics_file is not None:
        try:
            metrics.write(str(args.metrics_file))
        except OSError as exc:
            problems.append(f"cannot write {args.metrics_file}: {exc.strerror or exc}")
    if args.pushgateway is not None:
        try:
            metrics.push(args.pushgateway)
        except (OSError, ValueError) as exc:
            problems.append(f"cannot push the metrics to {args.pushgateway}: {exc}")
    return problems


COMMANDS = {"inspect": Command(arguments, run)}
