"""`dfctl elements import`: take in the province's spreadsheet of a code set."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dfctl.cli.common import EXIT_OK, Command, add_today, configuration_root, date_argument, today
from dfctl.errors import UsageError
from dfctl.intake import ImportRequest, import_elements
from dfctl.report.elements_import import FORMATS


def elements_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    take = actions.add_parser(
        "import",
        help="take in a code list (.xlsx or .csv) as an element set",
        description="Take in the province's spreadsheet of a code set: codes gone from the "
        "file are retired, never deleted; the set's provenance names the notice and the file's "
        "SHA-256.",
    )
    take.add_argument("file", type=Path, metavar="FILE", help="the .xlsx or .csv file")
    take.add_argument("--set", required=True, dest="set_code", metavar="SET", help="e.g. exp_func")
    take.add_argument("--year", required=True, type=int, metavar="YEAR", help="the fiscal year")
    take.add_argument(
        "--notice", required=True, metavar="TEXT", help="the notice's number, e.g. 财预〔2025〕12号"
    )
    take.add_argument(
        "--issued-on",
        required=True,
        type=date_argument,
        metavar="DATE",
        help="the notice's date (YYYY-MM-DD)",
    )
    take.add_argument(
        "--issuer", metavar="TEXT", help="who issued it (default: the set's current issuer)"
    )
    take.add_argument(
        "--division", metavar="MOF_DIV", help="the division whose set it is (when several keep one)"
    )
    take.add_argument("--sheet", metavar="NAME", help="the sheet to read (default: the first)")
    take.add_argument(
        "--into", metavar="PATH", help="the file for a new year's set (default: <set>_<year>.yaml)"
    )
    take.add_argument(
        "--retire-on",
        type=date_argument,
        metavar="DATE",
        help="end date for codes the file no longer lists (default: today)",
    )
    take.add_argument(
        "--corrections",
        action="store_true",
        help="record renamed and remapped codes as corrections of mistyped values, citing the "
        "notice",
    )
    take.add_argument("--dry-run", action="store_true", help="print the change and write nothing")
    take.add_argument(
        "--format", choices=list(FORMATS), default="text", help="output (default: text)"
    )
    add_today(take)


def run_elements(args: argparse.Namespace) -> int:
    root = configuration_root(args)
    into = args.into
    if into is not None:
        into = Path(into).as_posix()
        if into.startswith("/") or ".." in Path(into).parts:
            raise UsageError(f"--into {args.into}: give a path inside the repository")
    request = ImportRequest(
        file=args.file,
        set_code=args.set_code,
        year=args.year,
        notice=args.notice,
        issued_on=args.issued_on,
        today=today(args.today),
        issuer=args.issuer,
        division=args.division,
        sheet=args.sheet,
        into=into,
        retire_on=args.retire_on,
        corrections=args.corrections,
        dry_run=args.dry_run,
    )
    result = import_elements(root, request)
    sys.stdout.write(FORMATS[args.format](result))
    return EXIT_OK


COMMANDS = {"elements": Command(elements_arguments, run_elements)}
