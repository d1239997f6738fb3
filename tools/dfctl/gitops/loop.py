"""Continuous reconcile: fetch main, prove every new commit, and apply what may go now.

One pass: fetch the branch; hold the environment's Lease (or stand by); find the last applied
revision from the markers; verify the approvals of every first-parent commit since; keep the
approved ones before the first refusal; outside a change window (or in a freeze) keep only the
leading break-glass ones; validate the newest kept revision; check promotion when its release
differs from the applied one; plan; apply the clusters and the configuration service; move the
markers; record the evidence. When nothing is new, measure drift instead.

The gate's own settings (change windows, freezes) are read from the last applied revision, like
the approval rules from each commit's parent: a change never opens its own way in.

The loop never prints: it reports structured events to ``emit`` and returns a PassOutcome.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from dfctl.adapters.deadline import Timeouts
from dfctl.adapters.etcd import Credentials, EndpointHealth
from dfctl.adapters.git import GitRepository
from dfctl.adapters.kube import KubeClient
from dfctl.clock import today_in_shanghai
from dfctl.diagnostics import Severity
from dfctl.errors import (
    ApplyRefused,
    DfctlError,
    MirrorError,
    RenderError,
    SourceError,
    TargetError,
    ValidationFailed,
)
from dfctl.gitops import evidence as ev
from dfctl.gitops.approvals import Verdict, approved_prefix, verify_range
from dfctl.gitops.initial import InitialUnusable, initial_revision
from dfctl.gitops.lease import (
    DEFAULT_DURATION,
    DEFAULT_RENEW_DEADLINE,
    DEFAULT_RETRY_PERIOD,
    LeaderElector,
    LeaseKeeper,
)
from dfctl.gitops.metrics import ReconcileMetrics
from dfctl.gitops.mirror import Mirror
from dfctl.gitops.promotion import earlier_stages, promotion_problem
from dfctl.gitops.windows import check_window
from dfctl.load.gitsource import GitRevision
from dfctl.load.repo import Repo, load_repo
from dfctl.model import Environment
from dfctl.pipeline import Revisions, first_errors
from dfctl.reconcile.cluster import ClusterTarget
from dfctl.reconcile.connect import config_service_targets
from dfctl.reconcile.plan import Plan
from dfctl.reconcile.runner import apply_plan, check_applicable, find_drift, make_plan
from dfctl.reconcile.target import Marker, Target
from dfctl.render import DesiredState

Status = Literal["standby", "up-to-date", "applied", "refused", "failed"]
Event = dict[str, Any]


# The Lease has a client of its own with short timeouts: a renewal must not wait behind an
# apply's requests, nor longer than the renew deadline allows.
LEASE_TIMEOUTS = Timeouts(2.0, 4.0)


class Connections(Protocol):
    """How the loop reaches an environment's clusters and configuration service."""

    def client(self, cluster: str) -> KubeClient: ...

    def lease_client(self, cluster: str) -> KubeClient: ...

    def targets(self, env: Environment, commit: str) -> list[Target]: ...


class KubeconfigConnections:
    """Clusters through kubeconfig contexts named like them; the configuration service through
    the environment's endpoints (or ``etcd_endpoints``)."""

    def __init__(
        self,
        kubeconfig: Path | None,
        etcd_endpoints: Sequence[str] | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.etcd_endpoints = etcd_endpoints
        self.credentials = credentials or Credentials()
        self._clients: dict[str, KubeClient] = {}
        self._lease_clients: dict[str, KubeClient] = {}
        # members of the configuration service that failed are skipped for a minute, not per pass
        self.etcd_health = EndpointHealth()

    def client(self, cluster: str) -> KubeClient:
        if cluster not in self._clients:
            self._clients[cluster] = KubeClient(cluster, self.kubeconfig)
        return self._clients[cluster]

    def lease_client(self, cluster: str) -> KubeClient:
        if cluster not in self._lease_clients:
            self._lease_clients[cluster] = KubeClient(
                cluster, self.kubeconfig, timeouts=LEASE_TIMEOUTS
            )
        return self._lease_clients[cluster]

    def targets(self, env: Environment, commit: str) -> list[Target]:
        clusters: list[Target] = [ClusterTarget(self.client(name)) for name in env.clusters]
        return clusters + config_service_targets(
            env, commit, self.etcd_endpoints, self.credentials, health=self.etcd_health
        )

    def close(self) -> None:
        for client in [*self._clients.values(), *self._lease_clients.values()]:
            client.close()
        self._clients.clear()
        self._lease_clients.clear()


@dataclass(frozen=True)
class Settings:
    url: str
    environment: str
    cache: Path
    identity: str
    branch: str = "main"
    initial: str | None = None  # trusted starting revision while no marker exists
    lease_duration: int = DEFAULT_DURATION
    renew_deadline: float = DEFAULT_RENEW_DEADLINE
    retry_period: float = DEFAULT_RETRY_PERIOD
    evidence_log: Path | None = None
    allow_mass_prune: bool = False
    # git is the source of truth: take over fields another manager owns (the installer's
    # replicas and images) instead of stopping at the conflict
    force_conflicts: bool = False


@dataclass(frozen=True)
class PassOutcome:
    status: Status
    environment: str
    head: str | None = None
    previous: str | None = None  # the applied revision before the pass
    applied: str | None = None  # the revision applied by this pass
    reasons: tuple[str, ...] = ()  # why it stood by, refused, stopped early or failed
    verdicts: tuple[Verdict, ...] = ()
    evidence: ev.Evidence | None = None
    drift: int | None = None
    plan: Plan | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Nothing was refused and nothing failed."""
        return self.status in ("standby", "up-to-date", "applied") and not self.reasons


class _Refusal(DfctlError):
    def __init__(self, gate: str, reasons: Sequence[str]) -> None:
        super().__init__("; ".join(reasons))
        self.gate = gate
        self.reasons = tuple(reasons)


class _PassFailed(DfctlError):
    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Reconciler:
    def __init__(
        self,
        settings: Settings,
        connections: Connections,
        *,
        now: Callable[[], dt.datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        emit: Callable[[Event], None] = lambda _event: None,
        metrics: ReconcileMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.connections = connections
        self.now = now
        self.monotonic = monotonic
        self._emit = emit
        self.metrics = metrics or ReconcileMetrics(settings.environment)
        self.mirror = Mirror(settings.url, settings.cache)
        self.elector: LeaderElector | None = None
        self.keeper: LeaseKeeper | None = None  # renews the Lease in the background (run())
        self._continuous = False
        self._wake: Callable[[], None] = lambda: None
        # each pass checks a revision that differs from the last one by a merge: reuse its files
        self.revisions = Revisions(self.mirror.path, self.mirror.repo, reuse_files=True)
        self._local = ev.LocalLog(settings.evidence_log) if settings.evidence_log else None

    # -- events --------------------------------------------------------------------------------
    def emit(self, level: str, event: str, **fields: Any) -> None:
        self._emit(
            {
                "time": self.now().astimezone(dt.UTC).isoformat(timespec="seconds"),
                "level": level,
                "event": event,
                "environment": self.settings.environment,
                **fields,
            }
        )

    # -- one pass ------------------------------------------------------------------------------
    def run_once(self) -> PassOutcome:
        started = self.monotonic()
        env_name = self.settings.environment
        head: str | None = None
        try:
            head = self.mirror.fetch(self.settings.branch)
            self.emit("info", "fetched", branch=self.settings.branch, head=head)
            outcome = self._pass(head)
        except _Refusal as refusal:
            self.metrics.refused(refusal.gate)
            for reason in refusal.reasons:
                self.emit("warning", "refused", gate=refusal.gate, reason=reason)
            outcome = PassOutcome("refused", env_name, head, reasons=refusal.reasons)
        except MirrorError as exc:
            outcome = self._failure("fetch", str(exc), head)
        except _PassFailed as exc:
            outcome = self._failure(exc.stage, str(exc), head)
        except SourceError as exc:
            outcome = self._failure("git", str(exc), head)
        except TargetError as exc:
            outcome = self._failure("target", str(exc), head)
        self.metrics.duration(self.monotonic() - started)
        self.emit(
            "info" if outcome.ok else "warning",
            "pass",
            status=outcome.status,
            head=outcome.head,
            applied=outcome.applied,
            seconds=round(self.monotonic() - started, 3),
        )
        return outcome

    def _failure(self, stage: str, message: str, head: str | None) -> PassOutcome:
        self.metrics.error(stage)
        self.emit("error", "failed", stage=stage, error=message)
        return PassOutcome("failed", self.settings.environment, head, reasons=(message,))

    def _pass(self, head: str) -> PassOutcome:
        env_name = self.settings.environment
        repo = self.mirror.repo
        env_head = self._environment_at(head)
        if not self._lead(env_head):
            holder = self.elector.holder if self.elector else None
            self.emit("info", "standby", holder=holder)
            return PassOutcome("standby", env_name, head, reasons=())
        markers = [t.read_marker() for t in self.connections.targets(env_head, head)]
        last = self._last_applied(repo, [m for m in markers if m and m.environment == env_name])
        base = last or self._initial(repo)
        if not repo.is_ancestor(base, head):
            raise _Refusal(
                "history",
                [
                    f"the applied revision {base[:12]} is not in the history of "
                    f"{self.settings.branch} at {head[:12]}; was {self.settings.branch} rewritten?"
                ],
            )
        if last == head:
            return self._up_to_date(env_head, head)
        verdicts = verify_range(repo, base, head)
        for verdict in verdicts:
            self.emit(
                "info" if verdict.approved else "warning",
                "verdict",
                commit=verdict.commit.sha,
                approved=verdict.approved,
                approvers=[str(p) for p in verdict.approvers],
                break_glass=verdict.break_glass,
                problems=list(verdict.problems),
            )
        approved, refused = approved_prefix(verdicts)
        stops: list[str] = []
        if refused is not None:
            stops.append(
                f"{refused.commit.short} ({refused.commit.title}) is not approved: "
                + "; ".join(refused.problems)
            )
        env_base = self._environment_at(base)
        window = check_window(env_base, self.now())
        going = approved
        if not window.allowed:
            leading = 0
            while leading < len(approved) and approved[leading].break_glass:
                leading += 1
            going = approved[:leading]
            if leading < len(approved):
                waiting = approved[leading].commit
                stops.insert(0, f"{waiting.short} ({waiting.title}) waits: {window.reason}")
        if going:
            target = going[-1].commit.sha
        elif last is None and window.allowed:
            target = base  # the first apply: the trusted initial revision itself
        elif last is None:
            raise _Refusal("window", [f"{base[:12]} waits: {window.reason}", *stops])
        else:
            raise _Refusal("window" if approved else "approvals", stops)
        outcome = self._apply(env_base, target, last, going, window.reason, head)
        for stop in stops:
            self.emit("warning", "stopped", reason=stop)
        return replace(outcome, reasons=(*stops, *outcome.reasons), verdicts=tuple(verdicts))

    # -- the pieces ----------------------------------------------------------------------------
    def _lead(self, env: Environment) -> bool:
        if self.elector is None:
            self.elector = LeaderElector(
                self.connections.lease_client(env.clusters[0]),
                env.name,
                self.settings.identity,
                self.settings.lease_duration,
                monotonic=self.monotonic,
                # the wall clock, never the windows' (--now): a frozen renewTime would look like
                # a holder that stopped renewing
            )
            if self._continuous:
                self.keeper = LeaseKeeper(
                    self.elector,
                    self.settings.renew_deadline,
                    self.settings.retry_period,
                    on_lead=self._took_the_lease,
                    on_error=lambda error: self.emit("warning", "lease-error", error=error),
                )
                self.keeper.start()
        # a continuous reconciler's Lease is kept by the keeper thread; a single pass tries once
        keeper, elector = self.keeper, self.elector
        leading = keeper.holds() if keeper is not None else elector.try_acquire_or_renew()
        self.metrics.leader(leading)
        return leading

    def _took_the_lease(self) -> None:
        self.metrics.leader(True)
        self.emit("info", "leading", identity=self.settings.identity)
        self._wake()

    def lease_holder(self) -> str | None:
        """Who holds the Lease and until when, as this reconciler last read it."""
        return self.elector.describe() if self.elector is not None else None

    def release(self) -> None:
        """Stop renewing and give the Lease back (when this reconciler holds it)."""
        if self.keeper is not None:
            self.keeper.stop()
            self.keeper = None
        if self.elector is not None:
            try:
                self.elector.release()
            except DfctlError as exc:  # it expires on its own; say so, do not fail the exit
                self.emit("warning", "lease-not-released", error=str(exc))
            self.metrics.leader(False)

    def _environment_at(self, rev: str) -> Environment:
        source = GitRevision(self.mirror.path, rev, self.mirror.repo)
        folder = f"environments/{self.settings.environment}/"
        only = {p for p in source.data_paths() if p.startswith(folder)}
        loaded = load_repo(source, only=only)
        found = [e for e in loaded.of(Environment) if e.name == self.settings.environment]
        if not found:
            problems = [
                f"{d.file}:{d.line}:{d.column}: {d.message}"
                for d in loaded.diagnostics
                if d.severity is Severity.ERROR
            ]
            raise _Refusal(
                "validation",
                [f"no valid environment {self.settings.environment!r} at {rev[:12]}", *problems],
            )
        return found[0]

    def _initial(self, repo: GitRepository) -> str:
        given = self.settings.initial
        if given is None and self.elector is not None:
            # kept beside the Lease by the operators, once, for a fresh install
            try:
                given = initial_revision(self.elector.client, self.settings.environment)
            except InitialUnusable as exc:
                raise _Refusal("history", [str(exc)]) from exc
        if given is None:
            raise _Refusal(
                "history",
                [
                    f"no applied-revision marker of {self.settings.environment} in its targets; "
                    "give --initial REV, or the ConfigMap dfctl-system/dfctl-initial with the "
                    f"key {self.settings.environment}, the revision to start from (it is applied "
                    "as it is and every commit after it is verified)"
                ],
            )
        return repo.resolve(given)

    def _last_applied(self, repo: GitRepository, markers: Sequence[Marker]) -> str | None:
        """The oldest revision any target's marker names (a crash may have left them apart)."""
        revisions = {m.revision for m in markers}
        if not revisions:
            return None
        for candidate in revisions:
            if all(repo.is_ancestor(candidate, other) for other in revisions):
                return candidate
        raise _Refusal(
            "history",
            [f"the targets' markers name unrelated revisions: {', '.join(sorted(revisions))}"],
        )

    def _desired(self, rev: str) -> tuple[Repo, dict[str, int], DesiredState]:
        checked = self.revisions.checked(rev, today_in_shanghai(self.now()))
        result = checked.result
        summary = {
            "files": result.files_checked,
            "errors": result.errors,
            "warnings": result.warnings,
        }
        try:
            state = checked.desired_state(self.settings.environment)
        except ValidationFailed as exc:
            raise _Refusal(
                "validation",
                [
                    f"{rev[:12]} fails validation with {result.errors} errors",
                    *first_errors(exc.errors, 5),
                ],
            ) from exc
        except RenderError as exc:
            raise _Refusal("render", [str(exc), *exc.problems[:5]]) from exc
        return checked.repo, summary, state

    def _up_to_date(self, env: Environment, head: str) -> PassOutcome:
        _repo, _summary, state = self._desired(head)
        drift = find_drift(state, self.connections.targets(env, head))
        self.metrics.drift(len(drift))
        self.metrics.success(self.now().timestamp())
        if drift:
            self.emit(
                "warning",
                "drift",
                count=len(drift),
                items=[f"{d.target}: {d.problem} {d.ref}" for d in drift[:20]],
            )
        return PassOutcome(
            "up-to-date", self.settings.environment, head, head, None, (), (), None, len(drift)
        )

    def _promotion(self, repo: Repo, env: Environment, base_env: Environment) -> None:
        version = env.release.version
        if version == base_env.release.version or not earlier_stages(env.name):
            return
        stages = set(earlier_stages(env.name))
        records: list[ev.Evidence] = []
        for other in repo.of(Environment):
            if other.name not in stages:
                continue
            for cluster in other.clusters:
                try:
                    records.extend(ev.ClusterEvidence(self.connections.client(cluster)).list())
                except TargetError as exc:
                    raise _Refusal(
                        "promotion",
                        [f"cannot read {other.name}'s applied-revision records: {exc}"],
                    ) from exc
        problem = promotion_problem(env.name, version, ev.releases(ev.merged(records)))
        if problem is not None:
            raise _Refusal("promotion", [problem])

    def _apply(
        self,
        base_env: Environment,
        target: str,
        last: str | None,
        going: Sequence[Verdict],
        window: str,
        head: str,
    ) -> PassOutcome:
        started_at = self.now()
        repo, summary, state = self._desired(target)
        env = next(e for e in repo.of(Environment) if e.name == self.settings.environment)
        self._promotion(repo, env, base_env)
        targets = self.connections.targets(env, target)
        plan = make_plan(state, target, targets)
        try:
            check_applicable(plan, self.settings.allow_mass_prune)
        except ApplyRefused as exc:
            raise _Refusal("plan", [str(exc)]) from exc
        if not self._lead(env):  # renewed right before writing: a lost Lease writes nothing
            return PassOutcome(
                "standby",
                env.name,
                head,
                last,
                reasons=(f"lost the Lease to {self.elector.holder if self.elector else '?'}",),
            )
        self.emit("info", "applying", revision=target, actions=len(plan.actions))
        error: str | None = None
        try:
            apply_plan(
                plan,
                targets,
                force_conflicts=self.settings.force_conflicts,
                allow_mass_prune=self.settings.allow_mass_prune,
            )
        except (ApplyRefused, TargetError) as exc:
            error = str(exc)
        record = ev.Evidence(
            environment=env.name,
            revision=target,
            previous=last,
            release=env.release.version,
            commits=tuple(
                ev.CommitRecord(
                    v.commit.sha,
                    v.commit.title,
                    tuple(str(p) for p in v.authors),
                    str(v.commit.author),
                    tuple(str(p) for p in v.approvers),
                    v.break_glass,
                )
                for v in going
            ),
            validation=summary,
            plan=_plan_summary(plan),
            result=ev.FAILED if error else ev.APPLIED,
            started_at=started_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            finished_at=self.now().astimezone(dt.UTC).isoformat(timespec="microseconds"),
            reconciler=self.settings.identity,
            window=window,
            error=error,
            notes=(
                ()
                if last is not None
                else (f"first apply: {target[:12]} trusted as given by --initial",)
            ),
        )
        self._record(env, record)
        if error is not None:
            self.metrics.error("apply")
            self.emit("error", "apply-failed", revision=target, error=error)
            return PassOutcome(
                "failed", env.name, head, last, None, (error,), evidence=record, plan=plan
            )
        self.metrics.applied(self.now().timestamp(), len(plan.actions))
        self.metrics.success(self.now().timestamp())
        self.metrics.drift(0)
        self.emit(
            "info",
            "applied",
            revision=target,
            previous=last,
            actions=len(plan.actions),
            digest=plan.digest,
        )
        return PassOutcome("applied", env.name, head, last, target, evidence=record, plan=plan)

    def _record(self, env: Environment, record: ev.Evidence) -> None:
        if self._local is not None:
            self._local.append(record)
        for cluster in env.clusters:
            try:
                ev.ClusterEvidence(self.connections.client(cluster)).write(record)
            except TargetError as exc:  # the local log still has it; say so loudly
                self.metrics.error("evidence")
                self.emit("error", "evidence-not-kept", cluster=cluster, error=str(exc))

    # -- the loop ------------------------------------------------------------------------------
    def run(
        self,
        interval: float,
        wait: Callable[[float], bool],
        wake: Callable[[], None] = lambda: None,
    ) -> PassOutcome:
        """Pass after pass until ``wait`` (sleeping ``interval`` seconds) returns True.

        The Lease is kept by a thread of its own meanwhile; ``wake`` cuts the current wait short
        (it is called when this reconciler starts leading; the webhook calls it on a merge).
        """
        self._continuous = True
        self._wake = wake
        try:
            outcome = self.run_once()
            while not wait(interval):
                outcome = self.run_once()
        finally:
            self.release()
        return outcome

    def close(self) -> None:
        self.mirror.close()


def _plan_summary(plan: Plan) -> dict[str, Any]:
    targets: dict[str, dict[str, int]] = {}
    for part in plan.targets:
        counts = {"create": 0, "update": 0, "delete": 0}
        for action in part.actions:
            counts[action.op] += 1
        targets[part.target] = counts
    return {"digest": plan.digest, "actions": len(plan.actions), "targets": targets}
