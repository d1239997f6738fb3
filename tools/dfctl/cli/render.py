"""`dfctl render` and `dfctl diff`: an environment's desired state, and a change for review."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dfctl import pipeline
from dfctl.cli.common import EXIT_OK, Command, add_today, repository_root, today
from dfctl.diff.review import review
from dfctl.errors import UsageError
from dfctl.load.repo import WorkTree
from dfctl.render import environment_names
from dfctl.render.write import as_stream, write_tree
from dfctl.report.review import FORMATS


def render_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env", required=True, metavar="ENV", help="acceptance, pre-release or production"
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write a file tree here instead of printing a stream",
    )
    add_today(parser)


def run_render(args: argparse.Namespace) -> int:
    root = repository_root(args)
    state = pipeline.check(WorkTree(root), today(args.today)).desired_state(args.env)
    if args.out is None:
        sys.stdout.write(as_stream(state))
    else:
        count = write_tree(state, args.out)
        sys.stderr.write(f"dfctl: wrote {count} files to {args.out / state.environment}\n")
    sys.stderr.write(
        f"dfctl: {state.environment}: {len(state.objects)} Kubernetes objects in "
        f"{len(state.clusters)} clusters, {len(state.documents)} configuration documents\n"
    )
    return EXIT_OK


DIFF_EPILOG = """\
examples:
  dfctl diff --base main                          what the work tree's HEAD changes against main
  dfctl diff --base "$CI_MERGE_REQUEST_DIFF_BASE_SHA" --head "$CI_COMMIT_SHA" --format markdown
                                                  the merge-request note (docs/ci.md)
  dfctl diff --base v2026.11 --env production --format json

exit codes:
  0  the review was printed (risk flags do not change the exit code)
  1  a revision fails validation: nothing is rendered from it
  2  usage error: an unknown revision or environment
"""


def diff_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = DIFF_EPILOG
    parser.add_argument(
        "--base", required=True, metavar="REV", help="the revision the change starts from"
    )
    parser.add_argument(
        "--head", default="HEAD", metavar="REV", help="the revision with the change (default HEAD)"
    )
    parser.add_argument("--env", metavar="ENV", help="only this environment")
    parser.add_argument(
        "--format",
        choices=list(FORMATS),
        default="text",
        help="text, markdown (a merge-request note) or json (default: text)",
    )
    add_today(parser)


def run_diff(args: argparse.Namespace) -> int:
    root = repository_root(args)
    base, head, changed = pipeline.check_pair(root, args.base, args.head, today(args.today))
    base.require_valid()
    head.require_valid()
    names = set(environment_names(base.repo)) | set(environment_names(head.repo))
    if args.env is not None and args.env not in names:
        raise UsageError(f"no environment {args.env!r} in either revision")
    outcome = review(base.repo, head.repo, args.base, args.head, args.env, changed)
    sys.stdout.write(FORMATS[args.format](outcome))
    return EXIT_OK


COMMANDS = {
    "render": Command(render_arguments, run_render),
    "diff": Command(diff_arguments, run_diff),
}
