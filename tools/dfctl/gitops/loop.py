"""Continuous reconcile: fetch main, prove every new commit, and apply what may go now.

One pass: fetch the branch; hold the environment's Lease (or stand by); find the last applied
revision from the markers; ask the gate (``gate.decide``, the same answer ``dfctl approvals
check --env`` gives) about every first-parent commit since: approved, refused or waiting for a
window, a freeze, promotion or a commit before it; take the newest commit that may go; validate
it (against the applied revision too, for the evolution rules); plan; apply the clusters and the
configuration service; move the markers; record the evidence. When nothing is new, measure drift
instead.

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
    EvidenceUnreadable,
    MirrorError,
    RenderError,
    SourceError,
    TargetError,
    ValidationFailed,
)
from dfctl.gitops import evidence as ev
from dfctl.gitops.approvals import Verdict, verify_range
from dfctl.gitops.gate import (
    APPROVED,
    Conditions,
    Decision,
    decide,
    environment_at,
    environments_at,
    target,
)
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
from dfctl.gitops.promotion import AppliedRelease, earlier_stages
from dfctl.gitops.windows import check_window
from dfctl.load.gitsource import GitRevision
from dfctl.load.repo import Repo, load_repo
from dfctl.model import Environment
from dfctl.pipeline import Revisions, first_errors
from dfctl.reconcile.cluster import ClusterTarget
from dfctl.reconcile.connect import ClusterConnections, config_service_targets
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


class KubeconfigConnections(ClusterConnections):
    """The clusters, a client of their own for the Lease, and the targets of a pass."""

    def __init__(
        self,
        kubeconfig: Path | None,
        etcd_endpoints: Sequence[str] | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        super().__init__(kubeconfig, etcd_endpoints, credentials)
        self._lease_clients: dict[str, KubeClient] = {}
        # members of the configuration service that failed are skipped for a minute, not per pass
        self.etcd_health = EndpointHealth()

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
        super().close()
        for client in self._lease_clients.values():
            client.close()
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
    decisions: tuple[Decision, ...] = ()  # the gate's answer for each commit since the applied one

    @property
    def ok(self) -> bool:
        """Nothing was refused and nothing failed."""
        return self.status in ("standby", "up-to-date", "applied") and not self.reasons


class _Refusal(DfctlError):
    def __init__(self, gate: str, reasons: Sequence[str]) -> None:
        super().__init__("; ".join(reasons))
        self.gate = gate
        self.reasons = tuple(reasons)


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
        head: str | None = None
        try:
            head = self.mirror.fetch(self.settings.branch)
            self.emit("info", "fetched", branch=self.settings.branch, head=head)
            outcome = self._pass(head)
        except _Refusal as refusal:
            outcome = self._held(refusal.gate, refusal.reasons, head)
        except MirrorError as exc:
            outcome = self._failure("fetch", str(exc), head)
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
        # without a marker: the revision the operators trust, and who named it
        base, trusted_by = (last, None) if last is not None else self._initial(repo)
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
        env_base = self._environment_at(base)
        decisions = self._decisions(base, head, env_base)
        for decision in decisions:
            verdict = decision.verdict
            self.emit(
                "info" if decision.outcome == APPROVED else "warning",
                "verdict",
                commit=verdict.commit.sha,
                verdict=decision.outcome,
                approved=verdict.approved,
                approvers=[str(p) for p in verdict.approvers],
                break_glass=verdict.break_glass,
                problems=list(verdict.problems),
                reasons=list(decision.reasons),
            )
        newest = target(decisions)
        stops = _stops(decisions, newest)
        window = check_window(env_base, self.now())
        if newest is not None:
            going = decisions[: newest + 1]
            revision = going[-1].commit_sha
        elif last is None and window.allowed:
            going, revision = [], base  # the first apply: the trusted initial revision itself
        elif last is None:
            return self._held(
                "window", [f"{base[:12]} waits: {window.reason}", *stops], head, decisions
            )
        else:
            held = next((d for d in decisions if d.stops or d.gate == "promotion"), None)
            gate = held.gate if held is not None else "approvals"
            return self._held(gate, stops, head, decisions)
        outcome = self._apply(base, revision, last, going, window.reason, head, trusted_by)
        for stop in stops:
            self.emit("warning", "stopped", reason=stop)
        return replace(
            outcome,
            reasons=(*stops, *outcome.reasons),
            verdicts=tuple(d.verdict for d in decisions),
            decisions=tuple(decisions),
        )

    def _held(
        self,
        gate: str,
        reasons: Sequence[str],
        head: str | None,
        decisions: Sequence[Decision] = (),
    ) -> PassOutcome:
        """Nothing may go: the pass is refused by ``gate`` (with the gate's decisions, when it
        got as far as asking for them)."""
        self.metrics.refused(gate)
        for reason in reasons:
            self.emit("warning", "refused", gate=gate, reason=reason)
        return PassOutcome(
            "refused",
            self.settings.environment,
            head,
            reasons=tuple(reasons),
            verdicts=tuple(d.verdict for d in decisions),
            decisions=tuple(decisions),
        )

    def _decisions(self, base: str, head: str, env_base: Environment) -> list[Decision]:
        """The gate's decisions on every commit since ``base``, as ``dfctl approvals check
        --env`` gives them: windows and freezes of the applied revision, promotion from the
        earlier stages' records in their clusters."""
        repo = self.mirror.repo
        verdicts = verify_range(repo, base, head)
        releases: dict[str, str | None] = {}
        for verdict in verdicts:
            env = environment_at(self.mirror.path, repo, verdict.commit.sha, env_base.name)
            releases[verdict.commit.sha] = env.release.version if env else None
        conditions = Conditions(env_base, self.now(), releases, lambda: self._records(base))
        return decide(verdicts, conditions)

    def _records(self, base: str) -> list[AppliedRelease]:
        """What the earlier stages applied, from the evidence in their clusters (as the applied
        revision names them)."""
        stages = set(earlier_stages(self.settings.environment))
        found: list[ev.Evidence] = []
        environments = environments_at(self.mirror.path, self.mirror.repo, base)
        for other in environments.of(Environment):
            if other.name not in stages:
                continue
            for cluster in other.clusters:
                try:
                    found.extend(ev.ClusterEvidence(self.connections.client(cluster)).list())
                except (TargetError, EvidenceUnreadable) as exc:
                    raise _Refusal(
                        "promotion",
                        [f"cannot read {other.name}'s applied-revision records: {exc}"],
                    ) from exc
        return ev.releases(ev.merged(found))

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
        if self._continuous and self.keeper is None:
            # also when single passes ran before: run() always keeps the Lease in the thread
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

    def _initial(self, repo: GitRepository) -> tuple[str, str]:
        """The first trusted revision while no target has a marker, and who named it."""
        given, trusted_by = self.settings.initial, "--initial"
        if given is None and self.elector is not None:
            # kept beside the Lease by the operators, once, for a fresh install
            try:
                given = initial_revision(self.elector.client, self.settings.environment)
            except InitialUnusable as exc:
                raise _Refusal("history", [str(exc)]) from exc
            trusted_by = "the ConfigMap dfctl-system/dfctl-initial"
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
        return repo.resolve(given), trusted_by

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

    def _desired(
        self, rev: str, base: str | None = None
    ) -> tuple[Repo, dict[str, int], DesiredState]:
        """The desired state at ``rev``, validated (against ``base``, the applied revision, for
        the evolution rules: a code deleted instead of retired never reaches an environment)."""
        checked = self.revisions.checked(rev, today_in_shanghai(self.now()), base=base)
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

    def _apply(
        self,
        base: str,
        target: str,
        last: str | None,
        going: Sequence[Decision],
        window: str,
        head: str,
        trusted_by: str | None,
    ) -> PassOutcome:
        """Apply ``target``: validated against ``base`` (the applied revision, or the initial
        one ``trusted_by`` named) for the evolution rules, unless it is ``base`` itself."""
        started_at = self.now()
        repo, summary, state = self._desired(target, base if target != base else None)
        env = next(e for e in repo.of(Environment) if e.name == self.settings.environment)
        targets = self.connections.targets(env, target)
        plan = make_plan(state, target, targets)
        try:
            check_applicable(plan, self.settings.allow_mass_prune)
        except ApplyRefused as exc:
            raise _Refusal("plan", [str(exc)]) from exc
        # checked right before writing (a single pass renews it): a lost Lease writes nothing
        if not self._lead(env):
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
                # asked again before each target: a reconciler paused past its Lease stops
                still_leading=lambda: self._lead(env),
            )
        except (ApplyRefused, TargetError) as exc:
            error = str(exc)
        record = ev.Evidence(
            environment=env.name,
            revision=target,
            previous=last,
            release=env.release.version,
            commits=tuple(ev.commit_record(d) for d in going),
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
                if trusted_by is None
                else (f"first apply: {base[:12]} trusted as given by {trusted_by}",)
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
            self._continuous = False
            self._wake = lambda: None
        return outcome

    def close(self) -> None:
        self.mirror.close()


def _stops(decisions: Sequence[Decision], newest: int | None) -> list[str]:
    """Why the pass stops where it does: the commit a closed window holds (first, as the
    reconciler has always said), the first refused one, and the newest one promotion holds
    (when nothing after it goes)."""
    first_wait = next((d for d in decisions if d.gate == "window" and d.stops), None)
    refused = next((d for d in decisions if d.outcome == "refused" and d.stops), None)
    later = decisions[(newest + 1 if newest is not None else 0) :]
    promotion = next((d for d in later if d.gate == "promotion"), None)
    return [d.stop_reason() for d in (first_wait, refused, promotion) if d is not None]


def _plan_summary(plan: Plan) -> dict[str, Any]:
    targets: dict[str, dict[str, int]] = {}
    for part in plan.targets:
        counts = {"create": 0, "update": 0, "delete": 0}
        for action in part.actions:
            counts[action.op] += 1
        targets[part.target] = counts
    return {"digest": plan.digest, "actions": len(plan.actions), "targets": targets}
