"""The reconciler's Prometheus metrics, and the HTTP endpoint that serves them.

Each reconciler has its own registry (so tests and several loops in one process do not share
counters). Scrape ``/metrics`` on ``--metrics-port``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

DURATION_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class ReconcileMetrics:
    def __init__(self, environment: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.environment = environment
        labels = ["environment"]
        self._last_success = Gauge(
            "dfctl_reconcile_last_success_timestamp_seconds",
            "when the last pass that applied or confirmed the desired state ended (Unix time)",
            labels,
            registry=self.registry,
        )
        self._last_apply = Gauge(
            "dfctl_reconcile_last_apply_timestamp_seconds",
            "when a revision was last applied successfully (Unix time)",
            labels,
            registry=self.registry,
        )
        self._drift = Gauge(
            "dfctl_reconcile_drift_objects",
            "objects and documents that differ from the applied revision, as last measured",
            labels,
            registry=self.registry,
        )
        self._errors = Counter(
            "dfctl_reconcile_errors",
            "passes that failed (fetch, read, validation, plan or apply)",
            [*labels, "stage"],
            registry=self.registry,
        )
        self._refusals = Counter(
            "dfctl_reconcile_refusals",
            "passes that stopped at the gate (approvals, window, promotion, plan errors)",
            [*labels, "gate"],
            registry=self.registry,
        )
        self._duration = Histogram(
            "dfctl_reconcile_duration_seconds",
            "how long a pass took",
            labels,
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self._leader = Gauge(
            "dfctl_reconcile_leader",
            "1 while this reconciler holds the environment's Lease",
            labels,
            registry=self.registry,
        )
        self._webhooks = Counter(
            "dfctl_reconcile_webhooks",
            "forge webhook calls, by what came of them (push, merge, unauthorized, too-large, …)",
            [*labels, "result"],
            registry=self.registry,
        )
        self._applied = Gauge(
            "dfctl_reconcile_applied_changes",
            "writes the last apply made",
            labels,
            registry=self.registry,
        )

    def success(self, at: float) -> None:
        self._last_success.labels(self.environment).set(at)

    def applied(self, at: float, changes: int) -> None:
        self._last_apply.labels(self.environment).set(at)
        self._applied.labels(self.environment).set(changes)

    def drift(self, count: int) -> None:
        self._drift.labels(self.environment).set(count)

    def error(self, stage: str) -> None:
        self._errors.labels(self.environment, stage).inc()

    def refused(self, gate: str) -> None:
        self._refusals.labels(self.environment, gate).inc()

    def duration(self, seconds: float) -> None:
        self._duration.labels(self.environment).observe(seconds)

    def webhook(self, result: str) -> None:
        self._webhooks.labels(self.environment, result).inc()

    def leader(self, leading: bool) -> None:
        self._leader.labels(self.environment).set(1 if leading else 0)


@dataclass
class MetricsServer:
    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(metrics: ReconcileMetrics, port: int, address: str = "0.0.0.0") -> MetricsServer:
    """Serve ``metrics`` over HTTP on ``port`` (0: any free port) in a daemon thread."""
    server, thread = start_http_server(port, address, registry=metrics.registry)
    return MetricsServer(server, thread)
