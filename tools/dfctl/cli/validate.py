"""`dfctl validate` and `dfctl explain`: check the repository, and say what a rule checks."""

from __future__ import annotations

import argparse
import sys

from dfctl.checks import RULES
from dfctl.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    Command,
    add_today,
    clear_progress,
    file_progress,
    relative_paths,
    repository_root,
    today,
)
from dfctl.errors import SourceError, UsageError
from dfctl.report.diagnostics import FORMATS
from dfctl.validate import validate


def validate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files to check (default: all)")
    parser.add_argument(
        "--base", metavar="REV", help="git revision to check code evolution against"
    )
    parser.add_argument("--format", choices=list(FORMATS), default="text")
    add_today(parser, shown=True)


def run_validate(args: argparse.Namespace) -> int:
    root = repository_root(args)
    paths = relative_paths(root, args.paths) if args.paths else None
    progress = file_progress("validating")
    try:
        result = validate(root, today(args.today), paths=paths, base=args.base, progress=progress)
    except SourceError as exc:
        raise UsageError(f"--base: {exc}") from exc
    clear_progress(progress)
    sys.stdout.write(FORMATS[args.format](result.diagnostics))
    sys.stderr.write(
        f"dfctl: checked {result.files_checked} files: "
        f"{result.errors} errors, {result.warnings} warnings\n"
    )
    return EXIT_FINDINGS if result.errors else EXIT_OK


def explain_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "rule", metavar="RULE", nargs="?", help="a rule id such as DFP-ELE-001 (default: list all)"
    )


def run_explain(args: argparse.Namespace) -> int:
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


COMMANDS = {
    "validate": Command(validate_arguments, run_validate),
    "explain": Command(explain_arguments, run_explain),
}
