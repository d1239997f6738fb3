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
from zoneinfo import ZoneInfo

import git

from dfctl import __version__
from dfctl.diagnostics import Diagnostic, Severity

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
    return parser


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
    from dfctl.load.gitsource import GitRevision, RevisionError
    from dfctl.render import RenderError, environment_names
    from dfctl.report.review import FORMATS
    from dfctl.validate import check_source

    today = _today(args.today)
    repos = []
    for rev in (args.base, args.head):
        try:
            source = GitRevision(root, rev)
        except RevisionError as exc:
            raise UsageError(str(exc)) from exc
        repo, result = check_source(source, today)
        if result.errors:
            _print_failed(f"revision {rev}", result.diagnostics)
            return EXIT_FINDINGS
        repos.append(repo)
    base, head = repos
    if args.env is not None and args.env not in set(environment_names(base)) | set(
        environment_names(head)
    ):
        raise UsageError(f"no environment {args.env!r} in either revision")
    try:
        outcome = review(base, head, args.base, args.head, args.env)
    except RenderError as exc:
        sys.stdout.write("".join(f"{p}\n" for p in exc.problems))
        sys.stderr.write(f"dfctl: {exc}\n")
        return EXIT_FINDINGS
    sys.stdout.write(FORMATS[args.format](outcome))
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 for --help
        return int(exc.code or 0)
    try:
        if args.command == "explain":
            return cmd_explain(args)
        root = find_root(args.repo)
        if args.command == "validate":
            return cmd_validate(args, root)
        if args.command == "render":
            return cmd_render(args, root)
        if args.command == "diff":
            return cmd_diff(args, root)
        if args.command == "fmt":
            return cmd_fmt(args, root)
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
