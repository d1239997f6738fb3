"""The command line: parse arguments, call the core, print, and set the exit code.

Exit codes: 0 clean; 1 findings of severity error (or a refused apply); 2 usage or internal error;
3 drift found. Nothing outside this module prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import git

from dfctl import __version__
from dfctl.diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from dfctl.render.state import DesiredState

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_DRIFT = 3

SHANGHAI = ZoneInfo("Asia/Shanghai")


class UsageError(Exception):
    """A problem with how dfctl was called; printed as one line, exit 2."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dfctl", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--version", action="version", version=f"dfctl {__version__}")
    parser.add_argument(
        "--repo",
        type=Path,
        default=None,
        help="repository root (default: the git work tree around the current folder)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate", help="check the repository, or some files and what depends on them"
    )
    validate.add_argument("paths", nargs="*", metavar="PATH", help="files to check (default: all)")
    validate.add_argument(
        "--base", metavar="REV", help="git revision to check code evolution against"
    )
    validate.add_argument("--format", choices=["text", "json", "sarif", "github"], default="text")
    validate.add_argument(
        "--today",
        type=_date,
        default=None,
        help="the date to judge expiries by (default: today in Asia/Shanghai, or $DFCTL_TODAY)",
    )

    fmt = commands.add_parser("fmt", help="rewrite data files in canonical form, keeping comments")
    fmt.add_argument("paths", nargs="*", metavar="PATH")
    fmt.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 when a file would change"
    )

    render = commands.add_parser(
        "render", help="render an environment's desired state (no cluster needed)"
    )
    render.add_argument(
        "--env", required=True, metavar="ENV", help="acceptance, pre-release or production"
    )
    render.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write a file tree here instead of printing a stream",
    )
    render.add_argument("--today", type=_date, default=None, help=argparse.SUPPRESS)

    diff = commands.add_parser("diff", help="show what changes between two revisions, for review")
    diff.add_argument(
        "--base", required=True, metavar="REV", help="the revision the change starts from"
    )
    diff.add_argument(
        "--head", default="HEAD", metavar="REV", help="the revision with the change (default HEAD)"
    )
    diff.add_argument("--env", metavar="ENV", help="only this environment")
    diff.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    diff.add_argument("--today", type=_date, default=None, help=argparse.SUPPRESS)

    for name, text in (
        ("plan", "show what apply would change in the clusters and the configuration service"),
        ("apply", "apply a committed revision to the clusters and the configuration service"),
        ("drift", "show what was changed live by someone else since the last apply"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--env", required=True, metavar="ENV")
        sub.add_argument(
            "--kubeconfig",
            type=Path,
            default=None,
            help="kubeconfig with one context per cluster, named like the cluster (default: $KUBECONFIG)",
        )
        sub.add_argument(
            "--etcd-endpoints",
            metavar="URL[,URL]",
            default=None,
            help="configuration-service (etcd) endpoints, instead of the environment's",
        )
        sub.add_argument(
            "--etcd-credentials",
            type=Path,
            default=None,
            metavar="FILE",
            help="file of DFCTL_ETCD_USER/_PASSWORD/_CA/_CERT/_KEY=value lines, kept outside the "
            "repository (default: those environment variables)",
        )
        sub.add_argument("--today", type=_date, default=None, help=argparse.SUPPRESS)
        if name != "drift":
            sub.add_argument(
                "--rev", default="HEAD", metavar="REV", help="the committed revision (default HEAD)"
            )
        else:
            sub.add_argument(
                "--rev",
                default=None,
                metavar="REV",
                help="compare with this revision (default: the applied one)",
            )
        sub.add_argument("--format", choices=["text", "json"], default="text")
        if name == "apply":
            sub.add_argument(
                "--force-conflicts",
                action="store_true",
                help="take over fields another manager owns",
            )
            sub.add_argument(
                "--allow-mass-prune",
                action="store_true",
                help="allow deleting more than 20%% of managed objects",
            )

    _add_gitops_commands(commands)

    explain = commands.add_parser("explain", help="show what a rule checks, with examples")
    explain.add_argument(
        "rule", metavar="RULE", nargs="?", help="a rule id such as DFP-ELE-001 (default: list all)"
    )

    schemas = commands.add_parser(
        "schemas", help="write the JSON Schemas generated from the models"
    )
    schemas.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 when schemas/ is stale"
    )

    sandbox = commands.add_parser(
        "sandbox", help="run local Kubernetes control planes to try plans and applies against"
    )
    sandbox.add_argument("action", choices=["up", "down", "status"])
    sandbox.add_argument(
        "--name",
        action="append",
        dest="names",
        metavar="NAME",
        help="a cluster to start (repeatable; default: one named `sandbox`)",
    )
    sandbox.add_argument(
        "--dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder for the state, logs and kubeconfig (default: ~/.cache/dfctl/sandbox)",
    )
    sandbox.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for each start-up step"
    )
    return parser


def _datetime(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date and time (ISO 8601): {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _add_gitops_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    approvals = commands.add_parser(
        "approvals", help="check that commits on main were approved as approvals.yaml requires"
    )
    approvals_commands = approvals.add_subparsers(
        dest="approvals_command", required=True, metavar="ACTION"
    )
    check = approvals_commands.add_parser(
        "check", help="judge every first-parent commit of a range against approvals.yaml"
    )
    check.add_argument("--range", required=True, metavar="BASE..HEAD", dest="range")
    check.add_argument("--format", choices=["text", "json"], default="text")

    reconcile = commands.add_parser(
        "reconcile", help="fetch main and apply every approved commit to an environment"
    )
    reconcile.add_argument(
        "--repo", dest="url", required=True, metavar="URL", help="the repository to fetch"
    )
    reconcile.add_argument("--env", required=True, metavar="ENV")
    every = reconcile.add_mutually_exclusive_group()
    every.add_argument("--once", action="store_true", help="one pass, then exit (the default)")
    every.add_argument(
        "--interval", type=float, metavar="S", help="a pass every S seconds until stopped"
    )
    reconcile.add_argument("--branch", default="main")
    reconcile.add_argument(
        "--cache",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the fetched repository is kept (default: ~/.cache/dfctl/reconcile)",
    )
    reconcile.add_argument(
        "--initial",
        metavar="REV",
        help="while the environment has no applied-revision marker: the revision to start "
        "from (applied as it is; every commit after it is verified)",
    )
    reconcile.add_argument("--kubeconfig", type=Path, default=None)
    reconcile.add_argument("--etcd-endpoints", metavar="URL[,URL]", default=None)
    reconcile.add_argument("--etcd-credentials", type=Path, default=None, metavar="FILE")
    reconcile.add_argument(
        "--now",
        type=_datetime,
        default=None,
        metavar="DATETIME",
        help="judge change windows and freezes at this moment (ISO 8601; default: the clock)",
    )
    reconcile.add_argument(
        "--identity", default=None, help="this reconciler's name in the Lease (default: host/pid)"
    )
    reconcile.add_argument("--lease-duration", type=int, default=120, metavar="S")
    reconcile.add_argument(
        "--evidence-log",
        type=Path,
        default=None,
        metavar="FILE",
        help="also append every evidence record to this JSON-lines file",
    )
    reconcile.add_argument(
        "--metrics-port", type=int, default=None, metavar="PORT", help="serve Prometheus metrics"
    )
    reconcile.add_argument("--metrics-address", default="0.0.0.0", metavar="ADDR")
    reconcile.add_argument(
        "--allow-mass-prune",
        action="store_true",
        help="allow deleting more than 20%% of managed objects",
    )
    reconcile.add_argument(
        "--force-conflicts",
        action="store_true",
        help="take over fields another manager owns (e.g. the installer's replicas)",
    )

    audit = commands.add_parser(
        "audit", help="list the evidence records of applied revisions (and break-glass changes)"
    )
    audit.add_argument("--log", type=Path, default=None, metavar="FILE", help="a local log")
    audit.add_argument(
        "--env", metavar="ENV", help="read the records kept in this environment's clusters"
    )
    audit.add_argument("--kubeconfig", type=Path, default=None)
    audit.add_argument(
        "--break-glass", action="store_true", help="only records with break-glass changes"
    )
    audit.add_argument("--format", choices=["text", "json"], default="text")


def find_root(given: Path | None) -> Path:
    if given is not None:
        if not given.is_dir():
            raise UsageError(f"--repo {given}: no such folder")
        return given.resolve()
    here = Path.cwd()
    try:
        top = git.Repo(here, search_parent_directories=True).working_tree_dir
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        top = None
    return Path(top).resolve() if top else here.resolve()


def _relative(root: Path, paths: Sequence[str]) -> list[str]:
    out = []
    for raw in paths:
        full = Path(raw).resolve()
        try:
            out.append(full.relative_to(root).as_posix())
        except ValueError as exc:
            raise UsageError(f"{raw} is outside the repository {root}") from exc
    return out


def _today(given: dt.date | None) -> dt.date:
    if given is not None:
        return given
    env = os.environ.get("DFCTL_TODAY")
    if env:
        try:
            return dt.date.fromisoformat(env)
        except ValueError as exc:
            raise UsageError(f"DFCTL_TODAY={env!r} is not a date (YYYY-MM-DD)") from exc
    return dt.datetime.now(SHANGHAI).date()


def cmd_validate(args: argparse.Namespace, root: Path) -> int:
    from dfctl.load.gitsource import RevisionError
    from dfctl.report.diagnostics import FORMATS
    from dfctl.validate import validate

    paths = _relative(root, args.paths) if args.paths else None
    progress = _terminal_progress("validating") if sys.stderr.isatty() else None
    try:
        result = validate(root, _today(args.today), paths=paths, base=args.base, progress=progress)
    except RevisionError as exc:
        raise UsageError(f"--base: {exc}") from exc
    if progress is not None:
        sys.stderr.write("\r\033[K")
    sys.stdout.write(FORMATS[args.format](result.diagnostics))
    sys.stderr.write(
        f"dfctl: checked {result.files_checked} files: "
        f"{result.errors} errors, {result.warnings} warnings\n"
    )
    return EXIT_FINDINGS if result.errors else EXIT_OK


def _terminal_progress(label: str):  # type: ignore[no-untyped-def]
    def show(done: int, total: int) -> None:
        if done == total or done % 25 == 0:
            sys.stderr.write(f"\r{label} {done}/{total} files")
            sys.stderr.flush()

    return show


def _print_failed(label: str, diagnostics: Sequence[Diagnostic]) -> None:
    from dfctl.report.diagnostics import as_text

    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    sys.stdout.write(as_text(errors))
    sys.stderr.write(f"dfctl: {label} fails validation ({len(errors)} errors); nothing rendered\n")


def cmd_render(args: argparse.Namespace, root: Path) -> int:
    from dfctl.load.repo import WorkTree
    from dfctl.render import RenderError, render
    from dfctl.render.write import OutputError, as_stream, write_tree
    from dfctl.validate import check_source

    repo, result = check_source(WorkTree(root), _today(args.today))
    if result.errors:
        _print_failed("the repository", result.diagnostics)
        return EXIT_FINDINGS
    try:
        state = render(repo, args.env)
    except RenderError as exc:
        if not exc.problems:
            raise UsageError(str(exc)) from exc
        sys.stdout.write("".join(f"{p}\n" for p in exc.problems))
        sys.stderr.write(f"dfctl: {exc}\n")
        return EXIT_FINDINGS
    if args.out is None:
        sys.stdout.write(as_stream(state))
    else:
        try:
            count = write_tree(state, args.out)
        except OutputError as exc:
            raise UsageError(str(exc)) from exc
        sys.stderr.write(f"dfctl: wrote {count} files to {args.out / state.environment}\n")
    sys.stderr.write(
        f"dfctl: {state.environment}: {len(state.objects)} Kubernetes objects in "
        f"{len(state.clusters)} clusters, {len(state.documents)} configuration documents\n"
    )
    return EXIT_OK


def cmd_diff(args: argparse.Namespace, root: Path) -> int:
    from dfctl.diff.review import review
    from dfctl.gitops.history import changed_paths
    from dfctl.load.gitsource import GitRevision, RevisionError
    from dfctl.load.repo import LoadCache
    from dfctl.render import RenderError, environment_names
    from dfctl.report.review import FORMATS
    from dfctl.validate import check_source

    today = _today(args.today)
    repos = []
    commits = []
    shared: LoadCache = {}  # both revisions hold mostly the same blobs: read each once
    for rev in (args.base, args.head):
        try:
            source = GitRevision(root, rev)
        except RevisionError as exc:
            raise UsageError(str(exc)) from exc
        repo, result = check_source(source, today, shared)
        if result.errors:
            _print_failed(f"revision {rev}", result.diagnostics)
            return EXIT_FINDINGS
        repos.append(repo)
        commits.append(source.commit.hexsha)
    base, head = repos
    # the two revisions share the models of every unchanged file, and so what is derived from
    # them for rendering (keyed by the models' identities)
    head.derived = base.derived
    # every file the change touches (code too), relative to the repository root
    changed = [
        path.removeprefix(source.prefix)
        for path in changed_paths(source.repo, *commits)
        if path.startswith(source.prefix)
    ]
    if args.env is not None and args.env not in set(environment_names(base)) | set(
        environment_names(head)
    ):
        raise UsageError(f"no environment {args.env!r} in either revision")
    try:
        outcome = review(base, head, args.base, args.head, args.env, changed)
    except RenderError as exc:
        sys.stdout.write("".join(f"{p}\n" for p in exc.problems))
        sys.stderr.write(f"dfctl: {exc}\n")
        return EXIT_FINDINGS
    sys.stdout.write(FORMATS[args.format](outcome))
    return EXIT_OK


def _desired(root: Path, rev: str, env: str, today: dt.date) -> tuple[str, DesiredState] | int:
    """Render ``env`` at a committed revision; an exit code when it cannot be."""
    from dfctl.load.gitsource import GitRevision, RevisionError
    from dfctl.render import RenderError, render
    from dfctl.validate import check_source

    try:
        source = GitRevision(root, rev)
    except RevisionError as exc:
        raise UsageError(str(exc)) from exc
    repo, result = check_source(source, today)
    if result.errors:
        _print_failed(f"revision {rev}", result.diagnostics)
        return EXIT_FINDINGS
    try:
        return source.commit.hexsha, render(repo, env)
    except RenderError as exc:
        if not exc.problems:
            raise UsageError(str(exc)) from exc
        sys.stdout.write("".join(f"{p}\n" for p in exc.problems))
        sys.stderr.write(f"dfctl: {exc}\n")
        return EXIT_FINDINGS


def cmd_reconcile(args: argparse.Namespace, root: Path) -> int:
    from dfctl.load.gitsource import GitRevision, RevisionError
    from dfctl.model import Environment
    from dfctl.reconcile.connect import cluster_targets, config_service_targets, etcd_credentials
    from dfctl.reconcile.runner import (
        ApplyRefused,
        applied_revision,
        apply_plan,
        find_drift,
        make_plan,
    )
    from dfctl.reconcile.target import Target
    from dfctl.report.plan import drift_json, drift_text, plan_json, plan_text
    from dfctl.targets import TargetError
    from dfctl.targets.etcd import CredentialsError
    from dfctl.validate import check_source

    today = _today(args.today)
    try:
        head = GitRevision(root, args.rev or "HEAD")
        repo, _ = check_source(head, today)
    except RevisionError as exc:
        raise UsageError(str(exc)) from exc
    env = next((e for e in repo.of(Environment) if e.name == args.env), None)
    if env is None:
        raise UsageError(f"no environment {args.env!r} at {args.rev or 'HEAD'}")
    try:
        service = config_service_targets(
            env,
            head.commit.hexsha,
            args.etcd_endpoints.split(",") if args.etcd_endpoints is not None else None,
            etcd_credentials(args.etcd_credentials, root),
        )
    except CredentialsError as exc:
        raise UsageError(str(exc)) from exc
    if not service:
        sys.stderr.write(f"dfctl: {env.name} names no configuration service; only its clusters\n")
    targets: list[Target] = []
    try:
        targets = cluster_targets(env, args.kubeconfig) + service
        rev = args.rev
        if args.command == "drift" and rev is None:
            rev = applied_revision(targets) or "HEAD"
        desired = _desired(root, rev or "HEAD", args.env, today)
        if isinstance(desired, int):
            return desired
        revision, state = desired
        if args.command == "drift":
            items = find_drift(state, targets)
            render_drift = drift_json if args.format == "json" else drift_text
            sys.stdout.write(render_drift(state.environment, revision, items))
            return EXIT_DRIFT if items else EXIT_OK
        plan = make_plan(state, revision, targets)
        sys.stdout.write((plan_json if args.format == "json" else plan_text)(plan))
        if args.command == "plan":
            return EXIT_FINDINGS if plan.errors else EXIT_OK
        progress = _terminal_progress_actions(len(plan.actions)) if sys.stderr.isatty() else None
        marker = apply_plan(
            plan,
            targets,
            force_conflicts=args.force_conflicts,
            allow_mass_prune=args.allow_mass_prune,
            progress=progress,
        )
    except ApplyRefused as exc:
        sys.stderr.write(f"dfctl: apply refused: {exc}\n")
        return EXIT_FINDINGS
    except TargetError as exc:
        sys.stderr.write(f"dfctl: {args.command} failed: {exc}\n")
        if args.command == "apply":
            sys.stderr.write(
                "dfctl: the applied-revision markers were not moved; re-run apply to converge\n"
            )
        return EXIT_FINDINGS
    finally:
        for target in targets or service:
            target.close()
    sys.stderr.write(
        f"dfctl: applied {len(plan.actions)} changes to {args.env} at {marker.revision[:12]}; markers moved\n"
    )
    return EXIT_OK


def _terminal_progress_actions(total: int):  # type: ignore[no-untyped-def]
    done = 0

    def show(message: str) -> None:
        nonlocal done
        done += 1
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {message[:60]:60}"
        )
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def cmd_approvals(args: argparse.Namespace, root: Path) -> int:
    from dfctl.gitops.approvals import verify_range
    from dfctl.gitops.history import HistoryError, open_repo
    from dfctl.report.gitops import verdicts_json, verdicts_text

    base, dots, head = args.range.partition("..")
    if not dots or not base or not head or head.startswith("."):
        raise UsageError(f"--range: expected BASE..HEAD, got {args.range!r}")
    try:
        verdicts = verify_range(open_repo(root), base, head)
    except HistoryError as exc:
        raise UsageError(f"--range: {exc}") from exc
    sys.stdout.write((verdicts_json if args.format == "json" else verdicts_text)(verdicts))
    refused = sum(1 for v in verdicts if not v.approved)
    sys.stderr.write(f"dfctl: {len(verdicts)} commits, {refused} refused\n")
    return EXIT_FINDINGS if refused else EXIT_OK


def cmd_gitops_reconcile(args: argparse.Namespace, root: Path) -> int:
    import json
    import signal
    import socket
    import threading

    from dfctl.gitops.loop import KubeconfigConnections, Reconciler, Settings
    from dfctl.gitops.metrics import ReconcileMetrics, serve
    from dfctl.reconcile.connect import etcd_credentials
    from dfctl.report.gitops import outcome_text
    from dfctl.targets.etcd import CredentialsError

    if args.interval is not None and args.interval <= 0:
        raise UsageError("--interval must be more than 0 seconds")
    cache = args.cache or Path.home() / ".cache" / "dfctl" / "reconcile"
    try:
        credentials = etcd_credentials(args.etcd_credentials, root)
    except CredentialsError as exc:
        raise UsageError(str(exc)) from exc
    settings = Settings(
        url=args.url,
        environment=args.env,
        cache=cache,
        identity=args.identity or f"{socket.gethostname()}/{os.getpid()}",
        branch=args.branch,
        initial=args.initial,
        lease_duration=args.lease_duration,
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

    fixed = args.now
    metrics = ReconcileMetrics(args.env)
    server = (
        serve(metrics, args.metrics_port, args.metrics_address)
        if args.metrics_port is not None
        else None
    )
    reconciler = Reconciler(
        settings,
        connections,
        now=(lambda: fixed) if fixed is not None else (lambda: dt.datetime.now(dt.UTC)),
        emit=emit,
        metrics=metrics,
    )
    try:
        if args.interval is None:
            outcome = reconciler.run_once()
        else:
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            outcome = reconciler.run(args.interval, stop.wait)
        sys.stdout.write(outcome_text(outcome))
    finally:
        reconciler.close()
        connections.close()
        if server is not None:
            server.stop()
    return EXIT_OK if outcome.ok else EXIT_FINDINGS


def cmd_audit(args: argparse.Namespace, root: Path) -> int:
    from dfctl.gitops import evidence
    from dfctl.model import Environment
    from dfctl.report.gitops import audit_json, audit_text
    from dfctl.targets import TargetError
    from dfctl.targets.kube import KubeClient
    from dfctl.validate import load_checked

    if args.log is None and args.env is None:
        raise UsageError("give --log FILE, --env ENV, or both")
    sources: list[list[evidence.Evidence]] = []
    if args.log is not None:
        if not args.log.is_file():
            raise UsageError(f"--log {args.log}: no such file")
        sources.append(evidence.LocalLog(args.log).read())
    if args.env is not None:
        from dfctl.load.repo import WorkTree

        repo = load_checked(WorkTree(root))
        env = next((e for e in repo.of(Environment) if e.name == args.env), None)
        if env is None:
            raise UsageError(f"no environment {args.env!r} in {root}")
        for cluster in env.clusters:
            try:
                client = KubeClient(cluster, args.kubeconfig)
                sources.append(evidence.ClusterEvidence(client).list(args.env))
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


def cmd_fmt(args: argparse.Namespace, root: Path) -> int:
    from dfctl.fmt import format_paths
    from dfctl.report.diagnostics import as_text

    paths = _relative(root, args.paths) if args.paths else None
    outcome = format_paths(root, paths, check=args.check)
    sys.stdout.write(as_text(outcome.diagnostics))
    verb = "would reformat" if args.check else "reformatted"
    for path in outcome.changed:
        sys.stdout.write(f"{verb} {path}\n")
    sys.stderr.write(f"dfctl: {len(outcome.changed)} of {outcome.checked} files {verb}\n")
    if outcome.diagnostics:
        return EXIT_FINDINGS
    return EXIT_FINDINGS if (args.check and outcome.changed) else EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from dfctl.checks import RULES

    if args.rule is None:
        for rule_id in sorted(RULES):
            rule = RULES[rule_id]
            sys.stdout.write(f"{rule_id:13} {rule.severity.value:7} {rule.summary}\n")
        return EXIT_OK
    found = RULES.get(args.rule.upper())
    if found is None:
        raise UsageError(f"no rule {args.rule!r}; `dfctl explain` lists them")
    sys.stdout.write(f"{found.id} ({found.severity.value})\n\n{found.doc}\n")
    return EXIT_OK


def cmd_schemas(args: argparse.Namespace, root: Path) -> int:
    from dfctl.schemagen import stale_schemas, write_schemas

    folder = root / "schemas"
    if args.check:
        stale = stale_schemas(folder)
        for name in stale:
            sys.stdout.write(f"schemas/{name} is stale; run `dfctl schemas`\n")
        return EXIT_FINDINGS if stale else EXIT_OK
    for name in write_schemas(folder):
        sys.stdout.write(f"wrote schemas/{name}\n")
    return EXIT_OK


def cmd_sandbox(args: argparse.Namespace) -> int:
    from dfctl.sandbox import SandboxError, session

    directory = args.dir if args.dir is not None else session.default_directory()
    try:
        if args.action == "up":
            state = session.up(args.names or ["sandbox"], directory, timeout=args.timeout)
            for cluster in state["clusters"]:
                sys.stdout.write(
                    f"{cluster['name']}: {cluster['server']} (kube-apiserver {cluster['version']})\n"
                )
            sys.stdout.write(
                f"export KUBECONFIG={state['kubeconfig']}\n"
                f"# contexts are named after the clusters; stop with: dfctl sandbox down"
                f"{'' if args.dir is None else f' --dir {args.dir}'}\n"
            )
            return EXIT_OK
        if args.names is not None:
            raise UsageError("--name only goes with `up`")
        if args.action == "down":
            stopped = session.down(directory)
            if not stopped:
                sys.stderr.write(f"dfctl: no sandbox in {directory}\n")
            for name, processes in stopped.items():
                sys.stdout.write(
                    f"{name}: stopped {', '.join(processes) or 'nothing (not running)'}\n"
                )
            return EXIT_OK
        found = session.status(directory)
    except SandboxError as exc:
        sys.stderr.write(f"dfctl: {exc}\n")
        return EXIT_FINDINGS
    if found is None:
        sys.stdout.write(f"no sandbox in {directory}\n")
        return EXIT_FINDINGS
    for cluster in found:
        running = ", ".join(
            f"{name} {'running' if alive else 'stopped'}"
            for name, alive in cluster.processes.items()
        )
        health = "ready" if cluster.healthy else "not ready"
        sys.stdout.write(
            f"{cluster.name}: {cluster.server} {cluster.version} {health} ({running})\n"
        )
    return EXIT_OK if all(c.healthy for c in found) else EXIT_FINDINGS


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 for --help
        return int(exc.code or 0)
    try:
        if args.command == "explain":
            return cmd_explain(args)
        if args.command == "sandbox":
            return cmd_sandbox(args)
        root = find_root(args.repo)
        if args.command == "validate":
            return cmd_validate(args, root)
        if args.command == "render":
            return cmd_render(args, root)
        if args.command == "diff":
            return cmd_diff(args, root)
        if args.command in ("plan", "apply", "drift"):
            return cmd_reconcile(args, root)
        if args.command == "fmt":
            return cmd_fmt(args, root)
        if args.command == "approvals":
            return cmd_approvals(args, root)
        if args.command == "reconcile":
            return cmd_gitops_reconcile(args, root)
        if args.command == "audit":
            return cmd_audit(args, root)
        if args.command == "schemas":
            return cmd_schemas(args, root)
        raise UsageError(f"unknown command {args.command}")
    except UsageError as exc:
        sys.stderr.write(f"dfctl: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("dfctl: interrupted\n")
        return 130
    except Exception as exc:
        sys.stderr.write(f"dfctl: internal error: {type(exc).__name__}: {exc}\n")
        if os.environ.get("DFCTL_DEBUG"):
            traceback.print_exc()
        return EXIT_USAGE
