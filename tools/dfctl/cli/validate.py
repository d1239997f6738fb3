"""`dfctl validate` and `dfctl explain`: check the repository, and say what a rule checks."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dfctl.checks import RULES
from dfctl.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    Command,
    add_today,
    clear_progress,
    configuration_root,
    existing_paths,
    file_progress,
    today,
)
from dfctl.errors import SourceError, UsageError
from dfctl.load.base_revision import find_base
from dfctl.load.repo import WorkTree
from dfctl.report.diagnostics import FORMATS
from dfctl.validate import validate

AUTO = "auto"

VALIDATE_EPILOG = """\
examples:
  dfctl validate                                  every data file
  dfctl validate cloud/namespaces/production      these files, and the files whose rules read them
  dfctl validate --base auto                      and the rules against the base: in a GitLab
                                                  merge-request pipeline its diff base, in a
                                                  pre-commit hook HEAD, else the merge base with
                                                  origin/HEAD (or main)
  dfctl validate --base auto --changed            only what changed since the base
  dfctl validate --base auto --format gitlab > gl-code-quality-report.json

exit codes:
  0  no finding of severity error (warnings may be printed)
  1  at least one error
  2  usage error: not a configuration repository, a path that does not exist, a base that
     cannot be found or read
"""


def validate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = VALIDATE_EPILOG
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders to check, with the files that depend on them (default: all)",
    )
    parser.add_argument(
        "--base",
        metavar="REV|auto",
        help="also run the rules that compare with a git revision: codes retired, never "
        "deleted (DFP-EVO-*), province locks kept (DFP-LCK-*); 'auto' finds the base",
    )
    parser.add_argument(
        "--changed",
        action="store_true",
        help="also check the data files that differ from --base (deleted ones included); "
        "without PATH, only those",
    )
    parser.add_argument(
        "--format",
        choices=list(FORMATS),
        default="text",
        help="text (file:line:col: severity RULE message), json, sarif, github annotations, "
        "or a gitlab Code Quality report (default: text)",
    )
    add_today(parser, shown=True)


def _base(root: Path, given: str | None) -> tuple[str | None, str]:
    """(the revision to compare with, how it was chosen) for ``--base``."""
    if given is None:
        return None, ""
    if given != AUTO:
        return given, f"--base {given}"
    try:
        found = find_base(root, os.environ)
    except SourceError as exc:
        raise UsageError(f"--base auto: {exc}") from exc
    if found.commit is None:
        return None, found.how
    return found.commit, f"base {found.commit[:12]}, {found.how}"


def run_validate(args: argparse.Namespace) -> int:
    root = configuration_root(args)
    if args.changed and args.base is None:
        raise UsageError("--changed needs --base REV (or --base auto)")
    paths = existing_paths(root, args.paths, WorkTree(root).data_paths()) if args.paths else None
    base, how = _base(root, args.base)
    # before the first commit every file is new: all of them are checked
    changed = args.changed and base is not None
    progress = file_progress("validating")
    try:
        result = validate(
            root, today(args.today), paths=paths, base=base, progress=progress, changed=changed
        )
    except SourceError as exc:
        raise UsageError(f"--base: {exc}") from exc
    clear_progress(progress)
    sys.stdout.write(FORMATS[args.format](result.diagnostics))
    against = f" ({how})" if how else ""
    sys.stderr.write(
        f"dfctl: checked {result.files_checked} files{against}: "
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
