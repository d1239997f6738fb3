"""`dfctl approvals check`, `dfctl reconcile` and `dfctl audit`: the GitOps gate."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from dfctl.adapters.git import GitRepository
from dfctl.adapters.kube import KubeClient
from dfctl.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    Command,
    add_connections,
    datetime_argument,
    repository_root,
    today,
)
from dfctl.errors import EvidenceUnreadable, SourceError, TargetError, UsageError
from dfctl.gitops import evidence
from dfctl.gitops.approvals import Verdict, verify_range
from dfctl.gitops.gate import Conditions, decide, environment_at
from dfctl.gitops.lease import DEFAULT_DURATION, DEFAULT_RENEW_DEADLINE, DEFAULT_RETRY_PERIOD
from dfctl.gitops.loop import KubeconfigConnections, Reconciler, Settings
from dfctl.gitops.metrics import MetricsServer, ReconcileMetrics, serve
from dfctl.gitops.promotion import AppliedRelease
from dfctl.gitops.webhook import Hooks, Wakeup, WebhookServer
from dfctl.load.repo import WorkTree
from dfctl.pipeline import check
from dfctl.reconcile.connect import etcd_credentials
from dfctl.report.gitops import (
    audit_json,
    audit_text,
    decisions_json,
    decisions_text,
    outcome_text,
)

# -- approvals check -----------------------------------------------------------------------------


APPROVALS_CHECK_EPILOG = """\
examples:
  dfctl approvals check --range origin/main~20..origin/main
  dfctl approvals check --range "$CI_MERGE_REQUEST_DIFF_BASE_SHA..$CI_COMMIT_SHA" --env production
                                  in a merge-request pipeline, offline (docs/ci.md)

exit codes:
  0  every commit is approved
  1  at least one commit is not approved
  2  usage error: a malformed or unknown range
"""


def approvals_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="approvals_command", required=True, metavar="ACTION")
    check_parser = actions.add_parser(
        "check",
        help="judge every first-parent commit of a range against approvals.yaml",
        description="judge every first-parent commit of a range against approvals.yaml",
        epilog=APPROVALS_CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check_parser.add_argument(
        "--range",
        required=True,
        metavar="BASE..HEAD",
        dest="range",
        help="the commits to judge: first-parent commits after BASE up to HEAD",
    )
    check_parser.add_argument(
        "--format", choices=["text", "json"], default="text", help="output (default: text)"
    )
    check_parser.add_argument(
        "--env",
        metavar="ENV",
        help="also judge change windows, freezes and promotion for this environment",
    )
    check_parser.add_argument(
        "--now",
        type=datetime_argument,
        default=None,
        metavar="DATETIME",
        help="with --env: the moment to judge windows and freezes at (ISO 8601; default: now)",
    )
    check_parser.add_argument(
        "--applied",
        metavar="REV",
        help="with --env: the revision last applied to ENV (default: BASE); its windows, "
        "freezes and release count",
    )
    check_parser.add_argument(
        "--evidence",
        type=Path,
        metavar="FILE",
        help="with --env: what the earlier stages applied (dfctl audit --format json)",
    )


def run_approvals(args: argparse.Namespace) -> int:
    root = repository_root(args)
    base, dots, head = args.range.partition("..")
    if not dots or not base or not head or head.startswith("."):
        raise UsageError(f"--range: expected BASE..HEAD, got {args.range!r}")
    if args.env is None and (args.now or args.applied or args.evidence):
        raise UsageError("--now, --applied and --evidence judge an environment: give --env")
    git = GitRepository.open(root)
    try:
        verdicts = verify_range(git, base, head)
        conditions = _conditions(args, git, base, verdicts) if args.env else None
    except SourceError as exc:
        raise UsageError(f"--range: {exc}") from exc
    decisions = decide(verdicts, conditions)
    sys.stdout.write((decisions_json if args.format == "json" else decisions_text)(decisions))
    refused = sum(1 for d in decisions if d.outcome == "refused" and d.superseded_by is None)
    waiting = sum(1 for d in decisions if d.outcome == "waits")
    sys.stderr.write(f"dfctl: {len(decisions)} commits, {refused} refused, {waiting} waiting\n")
    return EXIT_FINDINGS if refused else EXIT_OK


def _conditions(
    args: argparse.Namespace, git: GitRepository, base: str, verdicts: list[Verdict]
) -> Conditions:
    """The environment as the applied revision defines it, the moment, and the evidence."""
    top = git.work_tree or git.git_dir
    applied = git.resolve(args.applied or base)
    env = environment_at(top, git, applied, args.env)
    if env is None:
        raise UsageError(f"--env: no valid environment {args.env!r} at {applied[:12]}")
    records: list[AppliedRelease] = []
    if args.evidence is not None:
        try:
            text = args.evidence.read_text(encoding="utf-8")
            records = evidence.releases(evidence.read_records(text))
        except (OSError, UnicodeDecodeError, EvidenceUnreadable) as exc:
            raise UsageError(f"--evidence {args.evidence}: {exc}") from exc
    releases: dict[str, str | None] = {}
    for verdict in verdicts:
        at = environment_at(top, git, verdict.commit.sha, args.env)
        releases[verdict.commit.sha] = at.release.version if at else None
    now = args.now or dt.datetime.now(dt.UTC)
    return Conditions(env, now, releases, lambda: records)


# -- reconcile -----------------------------------------------------------------------------------


def reconcile_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo", dest="url", required=True, metavar="URL", help="the repository to fetch"
    )
    parser.add_argument("--env", required=True, metavar="ENV", help="the environment to apply to")
    every = parser.add_mutually_exclusive_group()
    every.add_argument("--once", action="store_true", help="one pass, then exit (the default)")
    every.add_argument(
        "--interval", type=float, metavar="S", help="a pass every S seconds until stopped"
    )
    parser.add_argument("--branch", default="main", help="the branch to follow (default: main)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the fetched repository is kept (default: ~/.cache/dfctl/reconcile)",
    )
    parser.add_argument(
        "--initial",
        metavar="REV",
        help="while the environment has no applied-revision marker: the revision to start "
        "from (applied as it is; every commit after it is verified)",
    )
    add_connections(parser, endpoints_from_environment=True)
    parser.add_argument(
        "--now",
        type=datetime_argument,
        default=None,
        metavar="DATETIME",
        help="judge change windows and freezes at this moment (ISO 8601; default: the clock); "
        "with --interval the clock starts there and runs on",
    )
    parser.add_argument(
        "--identity", default=None, help="this reconciler's name in the Lease (default: host/pid)"
    )
    parser.add_argument(
        "--lease-duration",
        type=int,
        default=DEFAULT_DURATION,
        metavar="S",
        help=f"seconds the leader's Lease lasts without renewal (default: {DEFAULT_DURATION})",
    )
    parser.add_argument(
        "--renew-deadline",
        type=float,
        default=DEFAULT_RENEW_DEADLINE,
        metavar="S",
        help="stop acting when the Lease could not be renewed for S seconds "
        f"(default {DEFAULT_RENEW_DEADLINE:g})",
    )
    parser.add_argument(
        "--retry-period",
        type=float,
        default=DEFAULT_RETRY_PERIOD,
        metavar="S",
        help=f"renew or try to take the Lease every S seconds (default {DEFAULT_RETRY_PERIOD:g})",
    )
    parser.add_argument(
        "--webhook-port",
        type=int,
        default=None,
        metavar="PORT",
        help="serve the forge's webhook (POST /hooks/gitlab) and /ready on PORT (with --interval)",
    )
    parser.add_argument(
        "--webhook-address",
        default="0.0.0.0",
        metavar="ADDR",
        help="address the webhook and /ready are served on (default: 0.0.0.0)",
    )
    parser.add_argument(
        "--webhook-token-file",
        type=Path,
        default=None,
        metavar="FILE",
        help="the webhook's secret token (default: $DFCTL_WEBHOOK_TOKEN)",
    )
    parser.add_argument(
        "--evidence-log",
        type=Path,
        default=None,
        metavar="FILE",
        help="also append every evidence record to this JSON-lines file",
    )
    parser.add_argument(
        "--metrics-port", type=int, default=None, metavar="PORT", help="serve Prometheus metrics"
    )
    parser.add_argument(
        "--metrics-address",
        default="0.0.0.0",
        metavar="ADDR",
        help="address the metrics are served on (default: 0.0.0.0)",
    )
    parser.add_argument(
        "--allow-mass-prune",
        action="store_true",
        help="allow deleting more than 20%% of managed objects",
    )
    parser.add_argument(
        "--force-conflicts",
        action="store_true",
        help="take over fields another manager owns (e.g. the installer's replicas)",
    )


def _lease_timings(args: argparse.Namespace) -> None:
    # client-go's own checks (leaderelection.NewLeaderElector)
    if not args.lease_duration > args.renew_deadline:
        raise UsageError("--lease-duration must be more than --renew-deadline")
    if not args.renew_deadline > 1.2 * args.retry_period:
        raise UsageError("--renew-deadline must be more than 1.2 × --retry-period")
    if args.retry_period <= 0:
        raise UsageError("--retry-period must be more than 0 seconds")


def _webhook_token(args: argparse.Namespace) -> str:
    """From --webhook-token-file, else $DFCTL_WEBHOOK_TOKEN; never from the command line."""
    file: Path | None = args.webhook_token_file
    if file is not None:
        try:
            return file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--webhook-token-file {args.webhook_token_file}: {exc}") from exc
    token = os.environ.get("DFCTL_WEBHOOK_TOKEN", "").strip()
    if not token:
        raise UsageError(
            "--webhook-port needs the secret token: --webhook-token-file FILE or "
            "$DFCTL_WEBHOOK_TOKEN (GitLab sends it as X-Gitlab-Token)"
        )
    return token


def _clock(start: dt.datetime | None, continuous: bool) -> Callable[[], dt.datetime]:
    """The reconciler's clock: the wall clock, or from ``--now``. One pass happens at that
    moment; a continuous run starts there and its time runs on, so the records of its applies
    (and the promotion order read from them) keep the order they happened in."""
    if start is None:
        return lambda: dt.datetime.now(dt.UTC)
    if not continuous:
        return lambda: start
    began = time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - began)


def run_reconcile(args: argparse.Namespace) -> int:
    root = repository_root(args)
    if args.interval is not None and args.interval <= 0:
        raise UsageError("--interval must be more than 0 seconds")
    if args.webhook_port is not None and args.interval is None:
        raise UsageError("--webhook-port goes with --interval (a one-pass run has nothing to wake)")
    _lease_timings(args)
    token = _webhook_token(args) if args.webhook_port is not None else ""
    cache = args.cache or Path.home() / ".cache" / "dfctl" / "reconcile"
    credentials = etcd_credentials(args.etcd_credentials, root)
    settings = Settings(
        url=args.url,
        environment=args.env,
        cache=cache,
        identity=args.identity or f"{socket.gethostname()}/{os.getpid()}",
        branch=args.branch,
        initial=args.initial,
        lease_duration=args.lease_duration,
        renew_deadline=args.renew_deadline,
        retry_period=args.retry_period,
        evidence_log=args.evidence_log,
        allow_mass_prune=args.allow_mass_prune,
        force_conflicts=args.force_conflicts,
    )
    connections = KubeconfigConnections(
        args.kubeconfig,
        args.etcd_endpoints.split(",") if args.etcd_endpoints is not None else None,
        credentials,
    )

    def emit(event: dict[str, object]) -> None:
        sys.stderr.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
        sys.stderr.flush()

    metrics = ReconcileMetrics(args.env)
    servers: list[WebhookServer | MetricsServer] = []
    reconciler = Reconciler(
        settings,
        connections,
        now=_clock(args.now, continuous=args.interval is not None),
        emit=emit,
        metrics=metrics,
    )
    try:
        if args.metrics_port is not None:
            servers.append(serve(metrics, args.metrics_port, args.metrics_address))
        if args.interval is None:
            try:
                outcome = reconciler.run_once()
            finally:
                reconciler.release()  # whatever the outcome: the other replica need not wait
            holder = reconciler.lease_holder() if outcome.status == "standby" else None
            sys.stdout.write(outcome_text(outcome, holder))
        else:
            wakeup = Wakeup()
            signal.signal(signal.SIGTERM, lambda *_: wakeup.stop())
            if args.webhook_port is not None:
                hooks = Hooks(
                    wake=wakeup.wake,
                    leading=lambda: reconciler.keeper is not None and reconciler.keeper.holds(),
                    observe=metrics.webhook,
                )
                servers.append(
                    WebhookServer(
                        token,
                        args.branch,
                        hooks,
                        port=args.webhook_port,
                        address=args.webhook_address,
                    ).start()
                )
            outcome = reconciler.run(args.interval, wakeup.wait, wakeup.wake)
            sys.stdout.write(outcome_text(outcome))
    finally:
        reconciler.close()
        connections.close()
        for server in servers:
            server.stop()
    return EXIT_OK if outcome.ok else EXIT_FINDINGS


# -- audit ---------------------------------------------------------------------------------------


def audit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log", type=Path, default=None, metavar="FILE", help="a local log")
    parser.add_argument(
        "--env", metavar="ENV", help="read the records kept in this environment's clusters"
    )
    parser.add_argument(
        "--kubeconfig", type=Path, default=None, help="kubeconfig for --env's clusters"
    )
    parser.add_argument(
        "--break-glass", action="store_true", help="only records with break-glass changes"
    )
    parser.add_argument(
        "--format", choices=["text", "json"], default="text", help="output (default: text)"
    )


def run_audit(args: argparse.Namespace) -> int:
    root = repository_root(args)
    if args.log is None and args.env is None:
        raise UsageError("give --log FILE, --env ENV, or both")
    sources: list[list[evidence.Evidence]] = []
    if args.log is not None:
        if not args.log.is_file():
            raise UsageError(f"--log {args.log}: no such file")
        sources.append(evidence.LocalLog(args.log).read())
    if args.env is not None:
        env = check(WorkTree(root), today(None)).environment(args.env)
        if env is None:
            raise UsageError(f"no environment {args.env!r} in {root}")
        for cluster in env.clusters:
            try:
                client = KubeClient(cluster, args.kubeconfig)
                try:
                    sources.append(evidence.ClusterEvidence(client).list(args.env))
                finally:
                    client.close()
            except TargetError as exc:
                sys.stderr.write(f"dfctl: audit: {exc}\n")
                return EXIT_FINDINGS
    records = evidence.merged(*sources)
    if args.env is not None:
        records = [r for r in records if r.environment == args.env]
    if args.break_glass:
        records = [r for r in records if r.break_glass]
    sys.stdout.write((audit_json if args.format == "json" else audit_text)(records))
    glass = sum(len(r.break_glass) for r in records)
    sys.stderr.write(
        f"dfctl: {len(records)} evidence records, {glass} break-glass changes to review\n"
    )
    return EXIT_OK


COMMANDS = {
    "approvals": Command(approvals_arguments, run_approvals),
    "reconcile": Command(reconcile_arguments, run_reconcile),
    "audit": Command(audit_arguments, run_audit),
}
