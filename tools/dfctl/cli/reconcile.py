"""`dfctl plan`, `dfctl apply` and `dfctl drift`: a committed revision against the live systems."""

from __future__ import annotations

import argparse
import contextlib
import sys

from dfctl.adapters.deadline import Deadline
from dfctl.cli.common import (
    EXIT_DRIFT,
    EXIT_FINDINGS,
    EXIT_OK,
    Command,
    action_progress,
    add_connections,
    add_today,
    repository_root,
    today,
)
from dfctl.errors import UsageError
from dfctl.pipeline import Revisions
from dfctl.reconcile.connect import cluster_targets, config_service_targets, etcd_credentials
from dfctl.reconcile.runner import Applied, applied_revision, apply_plan, find_drift, make_plan
from dfctl.reconcile.target import Target
from dfctl.report.plan import drift_json, drift_text, plan_json, plan_text

TARGETS = ("kubernetes", "config-service")
DEFAULT_TIMEOUT = 300.0


def _command(command: str) -> Command:
    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--env", required=True, metavar="ENV", help="the environment (acceptance, …)"
        )
        add_connections(parser, endpoints_from_environment=True)
        parser.add_argument(
            "--target",
            choices=TARGETS,
            default=None,
            help="only the clusters, or only the configuration service (default: both)",
        )
        parser.add_argument(
            "--timeout",
            type=_seconds,
            default=DEFAULT_TIMEOUT,
            metavar="S",
            help="give up on the clusters and the configuration service after S seconds in all "
            f"(default {DEFAULT_TIMEOUT:g}; each request also waits at most 5 s to connect and "
            "10 s for an answer)",
        )
        add_today(parser)
        if command == "drift":
            parser.add_argument(
                "--rev",
                default=None,
                metavar="REV",
                help="compare with this revision (default: the applied one)",
            )
        else:
            parser.add_argument(
                "--rev", default="HEAD", metavar="REV", help="the committed revision (default HEAD)"
            )
        parser.add_argument(
            "--format", choices=["text", "json"], default="text", help="output (default: text)"
        )
        if command == "apply":
            parser.add_argument(
                "--force-conflicts",
                action="store_true",
                help="take over fields another manager owns",
            )
            parser.add_argument(
                "--allow-mass-prune",
                action="store_true",
                help="allow deleting more than 20%% of managed objects",
            )

    return Command(arguments, run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from exc
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def run(args: argparse.Namespace) -> int:
    root = repository_root(args)
    day = today(args.today)
    revisions = Revisions(root)
    named = args.rev or "HEAD"
    env = revisions.checked(named, day).environment(args.env)
    if env is None:
        raise UsageError(f"no environment {args.env!r} at {named}")
    deadline = Deadline(args.timeout)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(revisions.close)
        # the configuration service first: its endpoints and credentials are checked without
        # contacting anything, so a usage error comes before any cluster is reached
        service: list[Target] = []
        if args.target in (None, "config-service"):
            service = config_service_targets(
                env,
                revisions.git.resolve(named),
                args.etcd_endpoints.split(",") if args.etcd_endpoints is not None else None,
                etcd_credentials(args.etcd_credentials, root),
                deadline,
            )
            for target in service:
                cleanup.callback(target.close)
            if not service:
                sys.stderr.write(
                    f"dfctl: {env.name} names no configuration service; only its clusters\n"
                )
        clusters: list[Target] = []
        if args.target in (None, "kubernetes"):
            clusters = cluster_targets(env, args.kubeconfig, deadline)
        targets = clusters + service
        for target in clusters:
            cleanup.callback(target.close)
        rev = args.rev
        if args.command == "drift" and rev is None:
            rev = applied_revision(targets) or "HEAD"
        checked = revisions.checked(rev or "HEAD", day)
        state = checked.desired_state(args.env)
        revision = checked.commit or ""
        if args.command == "drift":
            items = find_drift(state, targets)
            render_drift = drift_json if args.format == "json" else drift_text
            sys.stdout.write(render_drift(state.environment, revision, items))
            return EXIT_DRIFT if items else EXIT_OK
        plan = make_plan(state, revision, targets)
        sys.stdout.write((plan_json if args.format == "json" else plan_text)(plan))
        if args.command == "plan":
            return EXIT_FINDINGS if plan.errors else EXIT_OK
        applied = apply_plan(
            plan,
            targets,
            force_conflicts=args.force_conflicts,
            allow_mass_prune=args.allow_mass_prune,
            progress=action_progress(len(plan.actions)),
        )
    sys.stderr.write(f"dfctl: {_applied_text(args.env, applied)}\n")
    return EXIT_OK


def _applied_text(env: str, applied: Applied) -> str:
    revision = applied.marker.revision[:12]
    if not applied.wrote:
        return f"nothing to apply: {env} already matches {revision}"
    moved = f"markers moved to {revision} ({', '.join(applied.moved)})"
    if not applied.actions:
        return f"no changes to {env}; {moved}"
    return f"applied {applied.actions} changes to {env} at {revision}; {moved}"


COMMANDS = {name: _command(name) for name in ("plan", "apply", "drift")}
