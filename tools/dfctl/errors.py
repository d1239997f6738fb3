"""Every error dfctl reports, under one root.

The core raises these; only the command line turns them into a message and an exit code
(``dfctl.cli.failures``). Anything that is not a :class:`DfctlError` reaching the top is a fault
in dfctl itself and is reported as an internal error.
"""

from __future__ import annotations

from collections.abc import Sequence

from dfctl.diagnostics import Diagnostic


class DfctlError(Exception):
    """Root of dfctl's errors; the message is meant for the person running it."""


# -- how dfctl was called, and what it was pointed at --------------------------------------------


class UsageError(DfctlError):
    """A problem with the arguments: an unknown name, a malformed value, a missing file."""


class SourceError(DfctlError):
    """A repository or revision cannot be read: not a git repository, an unknown revision."""


class GitError(SourceError):
    """git refused an operation; the message is git's own complaint."""


class MirrorError(GitError):
    """The configuration repository could not be cloned or fetched."""


class CredentialsError(UsageError):
    """A credentials file or variable is unusable (the message never shows a secret)."""


class OutputError(UsageError):
    """An output folder cannot be written."""


# -- the content -------------------------------------------------------------------------------


class FormatError(DfctlError):
    """The formatter cannot rewrite a file without loss; the file is left as it is."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class QuantityError(DfctlError, ValueError):
    """Text that is not a Kubernetes quantity."""


class SpreadsheetError(DfctlError):
    """A spreadsheet cannot be taken in; each problem names its sheet, row and column."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class ValidationFailed(DfctlError):
    """A revision fails validation; nothing is rendered from it."""

    def __init__(self, label: str, errors: Sequence[Diagnostic]) -> None:
        super().__init__(f"{label} fails validation ({len(errors)} errors); nothing rendered")
        self.label = label
        self.errors = list(errors)


class PolicyUnreadable(DfctlError):
    """approvals.yaml is missing or invalid at a revision; nothing can be approved against it."""


class RenderError(DfctlError):
    """An environment cannot be rendered (unknown name, or objects the API would reject)."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class SchemaUnavailable(DfctlError):
    """No Kubernetes OpenAPI schema is bundled for a cluster's version."""


# -- the systems dfctl talks to -----------------------------------------------------------------


class TargetError(DfctlError):
    """A cluster or the configuration service could not be read or written."""


class TargetUnreachable(TargetError):
    """The target did not answer (down, refused, timed out)."""


class NotFound(TargetError):
    """The object does not exist."""


class ConflictError(TargetError):
    """Another writer owns what dfctl wanted to write."""

    def __init__(self, message: str, managers: Sequence[str]) -> None:
        super().__init__(message)
        self.managers = list(managers)


class VersionConflict(TargetError):
    """The object changed since it was read, or already exists (optimistic locking lost)."""


class EvidenceUnreadable(DfctlError):
    """An evidence record (a ConfigMap, a line of the local log, an entry of a records file)
    cannot be read: promotion and audit say so rather than go on with a partial history."""


class LeadershipLost(TargetError):
    """The reconciler no longer holds its Lease: it stopped writing part-way through an apply."""


class ApplyRefused(DfctlError):
    """A plan may not be applied as it is; the message says why and what to do."""


class SandboxError(DfctlError):
    """A local control plane cannot be started, found or stopped."""


class BinariesMissing(SandboxError):
    """The control-plane binaries are not built yet."""
