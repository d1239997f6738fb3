"""`dfctl sandbox up|down|status`: local Kubernetes control planes on loopback, to try things on."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from dfctl.cli.common import EXIT_FINDINGS, EXIT_OK, Command, repository_root, today
from dfctl.errors import SandboxError, UsageError
from dfctl.render.state import DesiredState
from dfctl.sandbox import session
from dfctl.sandbox.installer import Workload


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
        "--env",
        metavar="ENV",
        default=None,
        help="start the environment's clusters (named like them), make the platform installer's "
        "namespaces and Deployments there, and start an etcd for its configuration service",
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
            return _up(args, directory)
        if args.names is not None or args.env is not None:
            raise UsageError("--name and --env only go with `up`")
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


def _installer_of(args: argparse.Namespace) -> tuple[list[str], list[Workload]]:
    """The clusters of ``--env`` at HEAD and the installer's workloads its plan patches."""
    # imported here: `sandbox down` and `status` need none of the pipeline
    from dfctl.pipeline import Revisions  # noqa: PLC0415

    revisions = Revisions(repository_root(args))
    try:
        checked = revisions.checked("HEAD", today(None))
        env = checked.environment(args.env)
        if env is None:
            raise UsageError(f"no environment {args.env!r} at HEAD")
        state = checked.desired_state(args.env)
    finally:
        revisions.close()
    return list(env.clusters), installer_workloads(state)


def installer_workloads(state: DesiredState) -> list[Workload]:
    """What the platform's installer would have made: the Deployments ``state`` only patches,
    with their container and replicas."""
    workloads = []
    for obj in state.objects:
        if obj.patch_only:
            (container,) = obj.body["spec"]["template"]["spec"]["containers"]
            workloads.append(
                Workload(
                    obj.cluster,
                    obj.namespace,
                    obj.name,
                    container["name"],
                    container["image"],
                    int(obj.body["spec"]["replicas"]),
                )
            )
    return workloads


def _up(args: argparse.Namespace, directory: Path) -> int:
    workloads: list[Workload] = []
    names = args.names or ["sandbox"]
    if args.env is not None:
        if args.names is not None:
            raise UsageError("--env names the clusters itself; leave out --name")
        names, workloads = _installer_of(args)
    state = session.up(
        names,
        directory,
        timeout=args.timeout,
        workloads=workloads,
        with_config_service=args.env is not None,
    )
    # stdout is shell: `eval "$(dfctl sandbox up --env acceptance)"` sets what plan and apply read
    lines = [
        f"# {c['name']}: {c['server']} (kube-apiserver {c['version']})" for c in state["clusters"]
    ]
    exports = {"KUBECONFIG": state["kubeconfig"]}
    service: dict[str, Any] | None = state.get("config_service")
    if service is not None:
        namespaces = len({w.namespace for w in workloads})
        lines.append(
            f"# the platform installer's workloads of {args.env}: {namespaces} namespaces, "
            f"{len(workloads)} Deployments"
        )
        lines.append(f"# configuration service: {service['endpoint']} (etcd)")
        lines.append(
            f"# plan and apply with: --kubeconfig {shlex.quote(state['kubeconfig'])} "
            f"--etcd-endpoints {service['endpoint']} (or eval these lines)"
        )
        exports["DFCTL_ETCD_ENDPOINTS"] = service["endpoint"]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in exports.items()]
    lines.append(
        "# contexts are named after the clusters; stop with: dfctl sandbox down"
        f"{'' if args.dir is None else f' --dir {shlex.quote(str(args.dir))}'}"
    )
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    return EXIT_OK


COMMANDS = {"sandbox": Command(sandbox_arguments, run_sandbox)}
