"""The command line: parse arguments, call the core, print, and set the exit code.

Each command group is a module of this package with a ``COMMANDS`` table of its own; the table
below names the module of every command, so that starting dfctl imports only the module of the
command being run (``dfctl --help`` imports none). Errors become messages and exit codes in one
place, :mod:`dfctl.cli.failures`. Nothing outside this package prints.

Exit codes: 0 clean; 1 findings of severity error (or a refused apply); 2 usage or internal error;
3 drift found.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dfctl import __version__
from dfctl.cli import failures


@dataclass(frozen=True)
class Entry:
    module: str  # the module of dfctl.cli holding the command
    help: str


COMMANDS: dict[str, Entry] = {
    "validate": Entry("validate", "check the repository, or some files and what depends on them"),
    "fmt": Entry("files", "rewrite data files in canonical form, keeping comments"),
    "render": Entry("render", "render an environment's desired state (no cluster needed)"),
    "diff": Entry("render", "show what changes between two revisions, for review"),
    "plan": Entry(
        "reconcile",
        "show what apply would change in the clusters and the configuration service",
    ),
    "apply": Entry(
        "reconcile", "apply a committed revision to the clusters and the configuration service"
    ),
    "drift": Entry("reconcile", "show what was changed live by someone else since the last apply"),
    "approvals": Entry(
        "gitops", "check that commits on main were approved as approvals.yaml requires"
    ),
    "reconcile": Entry("gitops", "fetch main and apply every approved commit to an environment"),
    "audit": Entry(
        "gitops", "list the evidence records of applied revisions (and break-glass changes)"
    ),
    "inspect": Entry(
        "inspect", "inspect an environment live against the repository and write the report"
    ),
    "explain": Entry("validate", "show what a rule checks, with examples"),
    "schemas": Entry("files", "write the JSON Schemas generated from the models"),
    "elements": Entry(
        "elements", "take in the province's spreadsheet of an element set (elements import)"
    ),
    "sandbox": Entry(
        "sandbox", "run local Kubernetes control planes to try plans and applies against"
    ),
}


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command named in ``argv``: its first word that is not an option or an option's value."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token == "--repo":
            skip = True
        elif not token.startswith("-"):
            return token if token in COMMANDS else None
    return None


_REPO_HELP = "repository root (default: the git work tree around the current folder)"


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s own arguments are added (the others are not needed)."""
    parser = argparse.ArgumentParser(
        prog="dfctl", description="Configuration as code for the city Digital Finance platform."
    )
    parser.add_argument(
        "--version", action="version", version=f"dfctl {__version__}", help="show the version"
    )
    parser.add_argument("--repo", type=Path, default=None, help=_REPO_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, entry in COMMANDS.items():
        sub = commands.add_parser(
            name,
            help=entry.help,
            description=entry.help,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name == command:
            module = importlib.import_module(f"dfctl.cli.{entry.module}")
            found = module.COMMANDS[name]
            found.arguments(sub)
            sub.set_defaults(run=found.run)
        _repo_after(sub)
    return parser


def _repo_after(parser: argparse.ArgumentParser) -> None:
    """``--repo`` also after the command and its action (`dfctl validate --repo X`, `dfctl
    elements import FILE --repo X`; the last one given wins), unless the command has a --repo
    of its own (reconcile's is the URL to fetch)."""
    if "--repo" not in parser._option_string_actions:
        parser.add_argument("--repo", type=Path, default=argparse.SUPPRESS, help=_REPO_HELP)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for nested in action.choices.values():
                _repo_after(nested)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = chosen_command(words)
    try:
        parser = build_parser(command)
        args = parser.parse_args(words)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 for --help
        return int(exc.code or 0)
    except BaseException as exc:
        return failures.report(exc, command or "dfctl")
    try:
        code: int = args.run(args)
    except BaseException as exc:
        return failures.report(exc, args.command)
    return code
