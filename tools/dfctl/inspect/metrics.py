"""The inspection's Prometheus metrics, for a run that exits when it is done.

An inspection is a batch job (a CronJob in the cluster), gone before any scrape could reach it,
so its metrics are handed over rather than served: pushed to a Pushgateway (``--pushgateway
URL``, what the CronJob does: the Pushgateway keeps the last run's values per environment for
Prometheus to scrape, and a failing run is seen by its timestamp not moving), and/or written as
a node_exporter textfile-collector file (``--metrics-file FILE``, for runs from a host that has
node_exporter; in a CronJob it would land on whichever node ran the pod and need a hostPath
mount, which the least-privilege pod does not get).

Every metric carries ``environment``; a push replaces the environment's previous group, so a
resolved finding's series drops to zero instead of lingering.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

from dfctl.inspect.findings import Inspection, severity_counts

JOB = "dfctl-inspect"
PUSH_TIMEOUT = 30.0


class InspectionMetrics:
    def __init__(self, environment: str) -> None:
        self.environment = environment
        self.registry = CollectorRegistry()
        labels = ["environment"]
        self._findings = Gauge(
            "dfctl_inspection_findings",
            "findings of the last inspection, by severity",
            [*labels, "severity"],
            registry=self.registry,
        )
        self._by_check = Gauge(
            "dfctl_inspection_check_findings",
            "findings of the last inspection, by check, severity and owner",
            [*labels, "check", "severity", "owner"],
            registry=self.registry,
        )
        self._new = Gauge(
            "dfctl_inspection_new_findings",
            "findings of the last inspection that the one before did not have",
            labels,
            registry=self.registry,
        )
        self._unread = Gauge(
            "dfctl_inspection_sources_unread",
            "sources (clusters, configuration service, evidence, history) the last inspection"
            " could not read",
            labels,
            registry=self.registry,
        )
        self._last = Gauge(
            "dfctl_inspection_last_run_timestamp_seconds",
            "when the last inspection ran (Unix time)",
            labels,
            registry=self.registry,
        )
        self._duration = Gauge(
            "dfctl_inspection_duration_seconds",
            "how long the last inspection took",
            labels,
            registry=self.registry,
        )

    def record(self, inspection: Inspection, new: int, seconds: float) -> None:
        env = self.environment
        for severity, count in severity_counts(inspection.findings).items():
            self._findings.labels(env, severity).set(count)
        per_check: dict[tuple[str, str, str], int] = {}
        for finding in inspection.findings:
            key = (finding.check, finding.severity, finding.owner)
            per_check[key] = per_check.get(key, 0) + 1
        for (check, level, owner), count in sorted(per_check.items()):
            self._by_check.labels(env, check, level, owner).set(count)
        self._new.labels(env).set(new)
        self._unread.labels(env).set(sum(not s.ok for s in inspection.sources))
        self._last.labels(env).set(inspection.generated_at.timestamp())
        self._duration.labels(env).set(seconds)

    def write(self, path: str) -> None:
        """The textfile-collector file, written whole (a temporary file renamed over it)."""
        write_to_textfile(path, self.registry)

    def push(self, url: str) -> None:
        """PUT the metrics to a Pushgateway as job ``dfctl-inspect``, grouped by environment.

        Raises OSError (``urllib.error.URLError`` is one) when the Pushgateway cannot be reached
        or refuses them."""
        push_to_gateway(
            url,
            job=JOB,
            registry=self.registry,
            grouping_key={"environment": self.environment},
            timeout=PUSH_TIMEOUT,
        )
