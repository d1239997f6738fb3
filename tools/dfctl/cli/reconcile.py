"""`dfctl plan`, `dfctl apply` and `dfctl drift`: a committed revision against the live systems."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from dfctl.cli.common import (
    EXIT_DRIFT,
    EXIT_FINDINGS,
    EXIT_OK,
    Command,
    action_progress,
    add_today,
    repository_root,
    today,
)
from dfctl.errors import UsageError
from dfctl.pipeline import Revisions
from dfctl.reconcile.connect import cluster_targets, config_service_targets, etcd_credentials
from dfctl.reconcile.runner import applied_revision, apply_plan, find_drift, make_plan
from dfctl.report.plan import drift_json, drift_text, plan_json, plan_text


def _command(command: str) -> Command:
    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--env", required=True, metavar="ENV", help="the environment (acceptance, …)"
        )
        parser.add_argument(
            "--kubeconfig",
            type=Path,
            default=None,
            help="kubeconfig with one context per cluster, named like the cluster "
            "(default: $KUBECONFIG)",
        )
        parser.add_argument(
            "--etcd-endpoints",
            metavar="URL[,URL]",
            default=None,
            help="configuration-service (etcd) endpoints, instead of the environment's",
        )
        parser.add_argument(
            "--etcd-credentials",
            type=Path,
            default=None,
            metavar="FILE",
            help="file of DFCTL_ETCD_USER/_PASSWORD/_CA/_CERT/_KEY=value lines, kept outside the "
            "repository (default: those environment variables)",
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


def run(args: argparse.Namespace) -> int:
    root = repository_root(args)
    day = today(args.today)
    revisions = Revisions(root)
    named = args.rev or "HEAD"
    env = revisions.checked(named, day).environment(args.env)
    if env is None:
        raise UsageError(f"no environment {args.env!r} at {named}")
    credentials = etcd_credentials(args.etcd_credentials, root)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(revisions.close)
        service = config_service_targets(
            env,
            revisions.git.resolve(named),
            args.etcd_endpoints.split(",") if args.etcd_endpoints is not None else None,
            credentials,
        )
        for target in service:
            cleanup.callback(target.close)
        if not service:
            sys.stderr.write(
                f"dfctl: {env.name} names no configuration service; only its clusters\n"
            )
        clusters = cluster_targets(env, args.kubeconfig)
        for target in clusters:
            cleanup.callback(target.close)
        targets = clusters + service
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
        marker = apply_plan(
            plan,
            targets,
            force_conflicts=args.force_conflicts,
            allow_mass_prune=args.allow_mass_prune,
            progress=action_progress(len(plan.actions)),
        )
    sys.stderr.write(
        f"dfctl: applied {len(plan.actions)} changes to {args.env} at {marker.revision[:12]}; "
        "markers moved\n"
    )
    return EXIT_OK


COMMANDS = {name: _command(name) for name in ("plan", "apply", "drift")}
