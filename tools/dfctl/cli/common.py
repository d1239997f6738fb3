"""What several commands share: argument types, finding the repository, terminal progress."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dfctl.clock import SHANGHAI, today_in_shanghai
from dfctl.errors import UsageError

Run = Callable[[argparse.Namespace], int]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_DRIFT = 3
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Command:
    """One subcommand: how to add its arguments, and what runs it (its help line is in the
    table of ``dfctl.cli``, which is read without importing the command's module)."""

    arguments: Callable[[argparse.ArgumentParser], None]
    run: Run


# -- argument types ------------------------------------------------------------------------------


def date_argument(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def datetime_argument(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date and time (ISO 8601): {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


ENDPOINTS_VARIABLE = "DFCTL_ETCD_ENDPOINTS"


def add_connections(parser: argparse.ArgumentParser, endpoints_from_environment: bool) -> None:
    """``--kubeconfig``, ``--etcd-endpoints`` and ``--etcd-credentials``: how a command reaches
    an environment's clusters and configuration service (the endpoints' default read from
    $DFCTL_ETCD_ENDPOINTS when ``endpoints_from_environment``)."""
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
        default=(os.environ.get(ENDPOINTS_VARIABLE) or None)
        if endpoints_from_environment
        else None,
        help="configuration-service (etcd) endpoints, instead of the environment's"
        + (
            f" (default: ${ENDPOINTS_VARIABLE}, else the environment's own)"
            if endpoints_from_environment
            else ""
        ),
    )
    parser.add_argument(
        "--etcd-credentials",
        type=Path,
        default=None,
        metavar="FILE",
        help="file of DFCTL_ETCD_USER/_PASSWORD/_CA/_CERT/_KEY=value lines, kept outside the "
        "repository (default: those environment variables)",
    )


def add_today(parser: argparse.ArgumentParser, shown: bool = False) -> None:
    parser.add_argument(
        "--today",
        type=date_argument,
        default=None,
        help=(
            "the date to judge expiries by (default: today in Asia/Shanghai, or $DFCTL_TODAY)"
            if shown
            else argparse.SUPPRESS
        ),
    )


def today(given: dt.date | None) -> dt.date:
    """``--today``, else $DFCTL_TODAY, else today in Asia/Shanghai."""
    if given is not None:
        return given
    env = os.environ.get("DFCTL_TODAY")
    if env:
        try:
            return dt.date.fromisoformat(env)
        except ValueError as exc:
            raise UsageError(f"DFCTL_TODAY={env!r} is not a date (YYYY-MM-DD)") from exc
    return today_in_shanghai()


# -- the repository ------------------------------------------------------------------------------


def repository_root(args: argparse.Namespace) -> Path:
    """``--repo``, else the git work tree around the current folder, else the current folder."""
    # gitpython takes a fifth of a second to import; `dfctl explain` and `--help` never need it
    from dfctl.adapters.git import GitRepository  # noqa: PLC0415

    given: Path | None = args.repo
    if given is not None:
        if not given.is_dir():
            raise UsageError(f"--repo {given}: no such folder")
        return given.resolve()
    here = Path.cwd()
    return GitRepository.work_tree_of(here) or here.resolve()


CONFIGURATION_MARKERS = ("approvals.yaml", "environments/")


def configuration_root(args: argparse.Namespace) -> Path:
    """:func:`repository_root`, which must hold a configuration: approvals.yaml or
    environments/. Checking a folder that holds none would check nothing and pass."""
    root = repository_root(args)
    if not (root / "approvals.yaml").is_file() and not (root / "environments").is_dir():
        raise UsageError(
            f"not a configuration repository: {root} (no approvals.yaml or environments/)"
        )
    return root


def relative_paths(root: Path, paths: Sequence[str]) -> list[str]:
    out = []
    for raw in paths:
        full = Path(raw).resolve()
        try:
            out.append(full.relative_to(root).as_posix())
        except ValueError as exc:
            raise UsageError(f"{raw} is outside the repository {root}") from exc
    return out


def existing_paths(root: Path, paths: Sequence[str], data_paths: Sequence[str]) -> list[str]:
    """``paths`` relative to ``root``; each must exist, and a folder stands for the data files
    in it. A path that does not exist is a mistake, not a file with nothing to report."""
    out: list[str] = []
    for raw, relative in zip(paths, relative_paths(root, paths), strict=True):
        full = root / relative
        if full.is_dir():
            prefix = "" if relative == "." else relative.rstrip("/") + "/"
            out.extend(p for p in data_paths if p.startswith(prefix))
        elif full.exists():
            out.append(relative)
        else:
            raise UsageError(f"{raw}: no such file or folder")
    return list(dict.fromkeys(out))


# -- the terminal --------------------------------------------------------------------------------


def file_progress(label: str) -> Callable[[int, int], None] | None:
    """A one-line counter of files on stderr, when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        if done == total or done % 25 == 0:
            sys.stderr.write(f"\r{label} {done}/{total} files")
            sys.stderr.flush()

    return show


def clear_progress(progress: object) -> None:
    if progress is not None:
        sys.stderr.write("\r\033[K")


def action_progress(total: int) -> Callable[[str], None] | None:
    """A progress bar of applied actions on stderr, when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None
    done = 0

    def show(message: str) -> None:
        nonlocal done
        done += 1
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {message[:60]:60}"
        )
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show
