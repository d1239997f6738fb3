"""`dfctl sandbox up|down|status`: local Kubernetes control planes on loopback, to try things on."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dfctl.cli.common import EXIT_FINDINGS, EXIT_OK, Command
from dfctl.errors import SandboxError, UsageError
from dfctl.sandbox import session


def sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["up", "down", "status"],
        help="start the control planes, stop them, or show whether they run",
    )
    parser.add_argument(
        "--name",
        action="append",
        dest="names",
        metavar="NAME",
        help="a cluster to start (repeatable; default: one named `sandbox`)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder for the state, logs and kubeconfig (default: ~/.cache/dfctl/sandbox)",
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for each start-up step"
    )


def run_sandbox(args: argparse.Namespace) -> int:
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


COMMANDS = {"sandbox": Command(sandbox_arguments, run_sandbox)}
