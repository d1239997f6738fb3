"""Several history stores read and written as one: a folder (``--history DIR``) and the cluster's
ConfigMap may both keep an environment's inspections."""

from __future__ import annotations

from collections.abc import Sequence

from dfctl.inspect.findings import HistoryPoint, Inspection, SourceStatus
from dfctl.inspect.history import MAX_POINTS, HistoryError, HistoryStore


class Stores:
    def __init__(self, stores: Sequence[HistoryStore]) -> None:
        self.stores = tuple(stores)

    def previous(self, environment: str) -> Inspection | None:
        """The newest previous inspection any store holds."""
        found = [p for s in self.stores if (p := s.previous(environment)) is not None]
        return max(found, key=lambda i: i.generated_at, default=None)

    def points(self, environment: str) -> tuple[HistoryPoint, ...]:
        """Every store's points, each inspection once (by its time), oldest first."""
        by_time: dict[float, HistoryPoint] = {}
        for store in self.stores:
            for point in store.points(environment):
                by_time.setdefault(point.generated_at.timestamp(), point)
        return tuple(by_time[t] for t in sorted(by_time))[-MAX_POINTS:]

    def sources(self, environment: str) -> tuple[SourceStatus, ...]:
        return tuple(source for store in self.stores for source in store.sources(environment))

    def save(self, report: str) -> str:
        """Save in every store; when one fails the others still keep the report, and the error
        names what failed."""
        kept: list[str] = []
        failed: list[str] = []
        for store in self.stores:
            try:
                kept.append(store.save(report))
            except HistoryError as exc:
                failed.append(str(exc))
        if failed:
            also = f" (kept in {', '.join(kept)})" if kept else ""
            raise HistoryError("; ".join(failed) + also)
        return ", ".join(kept)
