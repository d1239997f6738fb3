"""Adapters to the systems dfctl writes to. The only code that imports their client libraries."""


class TargetError(Exception):
    """A target could not be read or written; the message says which and why."""


class TargetUnreachable(TargetError):
    """The target did not answer (down, refused, timed out)."""


class NotFound(TargetError):
    """The object does not exist."""


class ConflictError(TargetError):
    """Another writer owns what dfctl wanted to write."""

    def __init__(self, message: str, managers: list[str]) -> None:
        super().__init__(message)
        self.managers = managers


class VersionConflict(TargetError):
    """The object changed since it was read, or already exists (optimistic locking lost)."""
