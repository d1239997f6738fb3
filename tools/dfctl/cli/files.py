"""`dfctl fmt` and `dfctl schemas`: the data files' canonical form, and their JSON Schemas."""

from __future__ import annotations

import argparse
import sys

from dfctl.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    Command,
    configuration_root,
    existing_paths,
    repository_root,
)
from dfctl.fmt import format_paths
from dfctl.load.repo import WorkTree
from dfctl.report.diagnostics import as_text
from dfctl.schemagen import stale_schemas, write_schemas


def fmt_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders to format (default: all)"
    )
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 when a file would change"
    )


def run_fmt(args: argparse.Namespace) -> int:
    root = configuration_root(args)
    paths = existing_paths(root, args.paths, WorkTree(root).data_paths()) if args.paths else None
    outcome = format_paths(root, paths, check=args.check)
    sys.stdout.write(as_text(outcome.diagnostics))
    verb = "would reformat" if args.check else "reformatted"
    for path in outcome.changed:
        sys.stdout.write(f"{verb} {path}\n")
    sys.stderr.write(f"dfctl: {len(outcome.changed)} of {outcome.checked} files {verb}\n")
    if outcome.diagnostics:
        return EXIT_FINDINGS
    return EXIT_FINDINGS if (args.check and outcome.changed) else EXIT_OK


def schemas_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 when schemas/ is stale"
    )


def run_schemas(args: argparse.Namespace) -> int:
    folder = repository_root(args) / "schemas"
    if args.check:
        stale = stale_schemas(folder)
        for name in stale:
            sys.stdout.write(f"schemas/{name} is stale; run `dfctl schemas`\n")
        return EXIT_FINDINGS if stale else EXIT_OK
    for name in write_schemas(folder):
        sys.stdout.write(f"wrote schemas/{name}\n")
    return EXIT_OK


COMMANDS = {
    "fmt": Command(fmt_arguments, run_fmt),
    "schemas": Command(schemas_arguments, run_schemas),
}
