"""The configuration-service target against a real etcd: plan, apply, no-op, conflicts, prune,
drift, and an etcd that stops in the middle of an apply. Through the runner, as the CLI uses it."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from dfctl.adapters.etcd import MAX_TXN_OPS, Credentials, EtcdClient, parse_endpoints
from dfctl.diff.fields import FieldChange
from dfctl.errors import ApplyRefused, ConflictError, LeadershipLost, TargetUnreachable
from dfctl.load.repo import WorkTree
from dfctl.reconcile.config_service import TXN_BYTES, ConfigServiceTarget
from dfctl.reconcile.config_service_layout import PART_BYTES, canonical, content_hash, read_document
from dfctl.reconcile.plan import Action
from dfctl.reconcile.runner import apply_plan, find_drift, make_plan
from dfctl.reconcile.target import DriftItem
from dfctl.render import render
from dfctl.render.state import ConfigDocument, DesiredState
from dfctl.report.changes import shown_value
from dfctl.report.plan import drift_json, drift_text
from dfctl.validate import load_checked
from tests.content import PROJECT
from tests.etcd_server import EtcdServer

C1 = hashlib.sha1(b"first merge").hexdigest()
C2 = hashlib.sha1(b"second merge").hexdigest()
ENV = "acceptance"
PREFIX = "/dfp/acceptance/"
MARKER = PREFIX + "_dfctl/applied"
SOURCE = "environments/acceptance/environment.yaml:8"


@functools.cache
def acceptance() -> DesiredState:
    """The repository's own acceptance environment, rendered."""
    return render(load_checked(WorkTree(PROJECT)), ENV)


def client(server: EtcdServer, credentials: Credentials | None = None) -> EtcdClient:
    return EtcdClient(parse_endpoints([server.endpoint]), credentials)


def target(
    server: EtcdServer,
    commit: str = C1,
    part_bytes: int = PART_BYTES,
    credentials: Credentials | None = None,
    environment: str = ENV,
) -> ConfigServiceTarget:
    return ConfigServiceTarget(client(server, credentials), environment, commit, part_bytes)


def document(path: str, spec: Any, kind: str = "EffectiveConfig") -> ConfigDocument:
    value = {"apiVersion": "dfp.config/v1", "kind": kind, "source": SOURCE, "spec": spec}
    return ConfigDocument(PREFIX + path, value, SOURCE)


def desired(*documents: ConfigDocument) -> DesiredState:
    return DesiredState(ENV, ("tke-acc-a",), (), tuple(sorted(documents, key=lambda d: d.key)))


def region(code: str, limit: int) -> ConfigDocument:
    spec = {
        "mof_div_code": code,
        "items": {"execution.payment.single_limit": limit, "budget.year": 2026},
    }
    return document(f"config/{code}", spec)


def element_set(rows: int, edition: str) -> ConfigDocument:
    """An element set as large as a province's (thousands of codes)."""
    elements = [
        {
            "code": f"{201 + i // 400:03d}{i // 20 % 20:02d}{i % 20:02d}",
            "name": f"功能分类科目{i}（{edition}）",
            "level": 3,
            "is_leaf": True,
            "start_date": "2026-01-01",
            "enabled": True,
        }
        for i in range(rows)
    ]
    spec = {"set_code": "exp_func", "fiscal_year": 2026, "elements": elements}
    return document("elements/exp_func/2026/990100000", spec, "ElementSet")


def stored(server: EtcdServer, key: str) -> dict[str, Any]:
    raw = server.get(key)
    assert raw is not None, key
    value: dict[str, Any] = json.loads(raw)
    return value


def ops(actions: tuple[Action, ...]) -> list[tuple[str, str]]:
    return [(a.op, a.ref) for a in actions]


# -- apply ---------------------------------------------------------------------------------------


def test_apply_from_empty_writes_every_document(etcd: EtcdServer) -> None:
    state = acceptance()
    service = target(etcd)
    plan = make_plan(state, C1, [service])
    (part,) = plan.targets
    assert (part.target, part.reads, part.managed, part.errors) == ("configservice", 1, 0, ())
    assert ops(plan.actions) == [("create", d.key) for d in state.documents]
    assert len(plan.actions) <= MAX_TXN_OPS
    assert sum(len(canonical(a.desired)) for a in plan.actions) < TXN_BYTES

    marker = apply_plan(plan, [service]).marker

    # one range for the plan; the documents fit one transaction; then the marker
    assert dict(service.client.requests) == {"range": 1, "txn": 2}
    assert etcd.keys(PREFIX) == sorted([d.key for d in state.documents] + [MARKER])
    for doc in state.documents:
        head = stored(etcd, doc.key)
        assert head == {**doc.value, "commit": C1, "hash": content_hash(doc.value)}
        found = read_document(service.client, doc.key)
        assert found is not None
        assert (found.value, found.commit, found.hash) == (doc.value, C1, head["hash"])
    assert service.read_marker() == marker
    assert marker.revision == C1
    assert stored(etcd, MARKER)["plan-digest"] == plan.digest


def test_no_op_reapply_reads_once_and_writes_nothing(etcd: EtcdServer) -> None:
    state = acceptance()
    first = target(etcd)
    apply_plan(make_plan(state, C1, [first]), [first])
    before = etcd.get(MARKER)

    again = target(etcd)
    plan = make_plan(state, C1, [again])
    apply_plan(plan, [again])

    assert plan.actions == ()
    assert plan.targets[0].reads == 1  # the plan reads the prefix once
    # and the runner reads the marker to see the revision is recorded: no transaction at all
    assert dict(again.client.requests) == {"range": 2}
    assert etcd.get(MARKER) == before


def test_an_unrelated_commit_moves_only_the_marker(etcd: EtcdServer) -> None:
    state = acceptance()
    first = target(etcd)
    apply_plan(make_plan(state, C1, [first]), [first])

    later = target(etcd, commit=C2)
    plan = make_plan(state, C2, [later])
    marker = apply_plan(plan, [later]).marker

    assert plan.actions == ()
    assert dict(later.client.requests) == {"range": 2, "txn": 1}  # plan, marker check; marker
    assert later.read_marker() == marker and marker.revision == C2
    # the documents keep the commit at which their content was written
    assert {stored(etcd, d.key)["commit"] for d in state.documents} == {C1}


def test_a_change_rewrites_only_its_document(etcd: EtcdServer) -> None:
    state = acceptance()
    first = target(etcd)
    apply_plan(make_plan(state, C1, [first]), [first])
    key = PREFIX + "config/990102000"
    old = next(d for d in state.documents if d.key == key)
    items = dict(old.value["spec"]["items"])
    items["execution.salary.payment_day"] = 26
    spec = {**old.value["spec"], "items": items}
    changed = dataclasses.replace(old, value={**old.value, "spec": spec})
    state2 = dataclasses.replace(
        state, documents=tuple(changed if d.key == key else d for d in state.documents)
    )

    service = target(etcd, commit=C2)
    plan = make_plan(state2, C2, [service])
    apply_plan(plan, [service])

    (action,) = plan.actions
    assert (action.op, action.kind, action.ref, action.source) == (
        "update",
        "EffectiveConfig",
        key,
        old.source,
    )
    assert action.fields == (
        FieldChange("change", "spec.items['execution.salary.payment_day']", 25, 26),
    )
    assert dict(service.client.requests) == {"range": 1, "txn": 2}  # the document, the marker
    commits = {d.key: stored(etcd, d.key)["commit"] for d in state.documents}
    assert {k for k, c in commits.items() if c == C2} == {key}


def test_transactions_stay_within_etcds_operation_limit(etcd: EtcdServer) -> None:
    documents = [region(f"99{i:07d}", i) for i in range(1000)]
    service = target(etcd)
    apply_plan(make_plan(desired(*documents), C1, [service]), [service])
    # etcd was started with --max-txn-ops=128 and would refuse a larger transaction
    assert service.client.requests["txn"] == 8 + 1  # ⌈1000 / 128⌉ and the marker
    assert len(etcd.keys(PREFIX)) == 1001

    gone = target(etcd, commit=C2)
    plan = make_plan(desired(*documents[:100]), C2, [gone])
    apply_plan(plan, [gone], allow_mass_prune=True)
    assert gone.client.requests["txn"] == 15 + 1  # a delete is 2 operations: ⌈900 / 64⌉
    assert len(etcd.keys(PREFIX)) == 101


# -- large document sets and atomic visibility -----------------------------------------------------


def test_a_large_set_is_stored_in_slices_and_old_slices_go(etcd: EtcdServer) -> None:
    big = element_set(3000, "2026版")
    service = target(etcd, part_bytes=16 * 1024)
    apply_plan(make_plan(desired(big), C1, [service]), [service])

    head = stored(etcd, big.key)
    body = json.dumps(big.value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    where = PREFIX + "_parts/elements/exp_func/2026/990100000/" + head["hash"][7:23] + "/"
    count = -(-len(body.encode()) // (16 * 1024))
    assert "spec" not in head
    assert head["parts"] == {"prefix": where, "count": count, "bytes": len(body.encode())}
    assert etcd.keys(PREFIX + "_parts/") == [f"{where}{i:05d}" for i in range(count)]
    found = read_document(service.client, big.key)
    assert found is not None and found.value == big.value

    smaller = element_set(10, "2027版")
    again = target(etcd, commit=C2, part_bytes=16 * 1024)
    apply_plan(make_plan(desired(smaller), C2, [again]), [again])
    assert stored(etcd, smaller.key)["spec"] == smaller.value["spec"]
    assert etcd.keys(PREFIX + "_parts/") == []


def test_readers_never_see_half_of_a_large_change(etcd: EtcdServer) -> None:
    """A reader thread reads the set over and over while it is rewritten between two editions;
    each edition's ~200 slices take two transactions, yet every read is one edition whole."""

    editions = [element_set(6000, "甲"), element_set(6000, "乙")]
    hashes = [content_hash(e.value) for e in editions]
    part_bytes = 4 * 1024
    writer = target(etcd, part_bytes=part_bytes)
    apply_plan(make_plan(desired(editions[0]), C1, [writer]), [writer])

    reader = client(etcd)
    seen: list[str] = []
    failures: list[str] = []
    stop = threading.Event()

    def read_forever() -> None:
        while not stop.is_set():
            try:
                found = read_document(reader, editions[0].key)
            except Exception as exc:
                failures.append(repr(exc))
                continue
            seen.append(found.hash if found else "absent")

    thread = threading.Thread(target=read_forever)
    thread.start()
    try:
        for turn in range(1, 7):
            edition = editions[turn % 2]
            service = target(etcd, commit=C2, part_bytes=part_bytes)
            plan = make_plan(desired(edition), C2, [service])
            apply_plan(plan, [service])
            assert (
                service.client.requests["txn"] >= 3
            )  # slices in ≥ 2 transactions, then the switch
    finally:
        stop.set()
        thread.join()

    assert failures == []
    assert set(seen) == set(hashes)  # both editions were read, nothing else
    assert len(seen) >= 4


def test_slices_left_by_a_stopped_apply_are_removed(etcd: EtcdServer) -> None:
    state = desired(element_set(3000, "2026版"), *[region(f"9901{i:02d}000", i) for i in range(10)])
    service = target(etcd, part_bytes=16 * 1024)
    apply_plan(make_plan(state, C1, [service]), [service])
    kept = etcd.keys(PREFIX + "_parts/")
    # an apply that stopped after writing a new version's slices, before switching the head,
    # leaves them behind: for a document that exists, and for one never created
    stray = PREFIX + "_parts/elements/exp_func/2026/990100000/0123456789abcdef/"
    gone = PREFIX + "_parts/elements/agency/2026/990100000/fedcba9876543210/"
    for where in (stray, gone):
        etcd.put(where + "00000", '{"elements": [')

    assert find_drift(state, [service]) == [
        DriftItem("configservice", gone, "unexpected"),
        DriftItem("configservice", stray, "unexpected"),
    ]
    again = target(etcd, part_bytes=16 * 1024)
    plan = make_plan(state, C1, [again])
    assert [(a.op, a.kind, a.ref) for a in plan.actions] == [
        ("delete", "DocumentParts", stray),
        ("delete", "DocumentParts", gone),
    ]
    assert plan.targets[0].managed == 11 + 2
    apply_plan(plan, [again])
    assert etcd.keys(PREFIX + "_parts/") == kept
    assert find_drift(state, [again]) == []


def test_keys_in_dfctls_reserved_names_block_the_apply(etcd: EtcdServer) -> None:
    etcd.put(PREFIX + "_notes", "written by hand")
    service = target(etcd)
    plan = make_plan(desired(region("990100000", 1)), C1, [service])
    assert plan.errors == (
        f"configservice: {PREFIX}_notes is under dfctl's keys but not written by dfctl "
        f"(keys starting with {PREFIX}_ are reserved)",
    )
    with pytest.raises(ApplyRefused):
        apply_plan(plan, [service])
    assert etcd.keys() == [PREFIX + "_notes"]


# -- optimistic concurrency -------------------------------------------------------------------------


def test_a_concurrent_writer_is_detected_and_never_overwritten(etcd: EtcdServer) -> None:
    a, b, c = region("990100000", 1), region("990102000", 2), region("990103000", 3)
    first = target(etcd)
    apply_plan(make_plan(desired(a, b, c), C1, [first]), [first])
    marker = first.read_marker()

    d = region("990104000", 4)
    service = target(etcd, commit=C2)
    plan = make_plan(desired(region("990100000", 10), b, d), C2, [service])
    assert ops(plan.actions) == [("update", a.key), ("create", d.key), ("delete", c.key)]
    planned = {x.ref: x.guard for x in plan.actions}

    # someone else writes between plan and apply
    now_a = etcd.put(a.key, '{"edited": "by hand"}')
    now_d = etcd.put(d.key, "{}")
    etcd.delete(c.key)

    with pytest.raises(ConflictError) as caught:
        apply_plan(plan, [service], allow_mass_prune=True)
    assert str(caught.value) == (
        "3 configuration-service keys were changed by another writer since the plan and were "
        "left as they are:\n"
        f"  {a.key}: changed since the plan (mod revision {planned[a.key]} planned, {now_a} now)\n"
        f"  {d.key}: created by another writer since the plan (mod revision {now_d})\n"
        f"  {c.key}: deleted by another writer since the plan\n"
        "0 other changes were applied; run plan again to see the changes"
    )
    assert json.loads(etcd.get(a.key) or b"") == {"edited": "by hand"}
    assert etcd.get(d.key) == b"{}"
    assert service.read_marker() == marker

    # a new plan shows what the other writer did, and applying it converges
    retry = target(etcd, commit=C2)
    plan = make_plan(desired(region("990100000", 10), b, d), C2, [retry])
    assert ops(plan.actions) == [("update", a.key), ("update", d.key)]
    wanted = region("990100000", 10).value
    assert plan.actions[0].fields == (
        FieldChange("add", "apiVersion", None, "dfp.config/v1"),
        FieldChange("remove", "edited", "by hand", None),
        FieldChange("add", "kind", None, "EffectiveConfig"),
        FieldChange("add", "source", None, SOURCE),
        FieldChange("add", "spec", None, wanted["spec"]),
    )
    apply_plan(plan, [retry])
    assert find_drift(desired(region("990100000", 10), b, d), [retry]) == []


def test_one_conflict_does_not_hold_back_the_other_changes(etcd: EtcdServer) -> None:
    documents = [region(f"9901{i:02d}000", i) for i in range(10)]
    first = target(etcd)
    apply_plan(make_plan(desired(*documents), C1, [first]), [first])

    changed = [region(f"9901{i:02d}000", 100 + i) for i in range(10)]
    service = target(etcd, commit=C2)
    plan = make_plan(desired(*changed), C2, [service])
    etcd.put(documents[4].key, "{}")
    with pytest.raises(ConflictError, match=r"^1 configuration-service keys"):
        apply_plan(plan, [service])
    assert service.client.requests["txn"] == 2  # refused once, then the nine others together
    for i, doc in enumerate(changed):
        if i != 4:
            assert stored(etcd, doc.key)["spec"] == doc.value["spec"]


# -- prune ------------------------------------------------------------------------------------------


def test_prune_deletes_only_under_its_own_prefix(etcd: EtcdServer) -> None:
    a, b, old = region("990100000", 1), region("990102000", 2), region("990103000", 3)
    first = target(etcd)
    apply_plan(make_plan(desired(a, b, old), C1, [first]), [first])
    others = ["/dfp/production/config/990100000", "/dfp/acceptance-old/x", "/dfp/acceptancex", "/x"]
    for key in others:
        etcd.put(key, "{}")
    etcd.put(PREFIX + "notes/by-hand", "remember the year-end close")

    service = target(etcd, commit=C2)
    plan = make_plan(desired(a, b), C2, [service])
    assert ops(plan.actions) == [("delete", old.key), ("delete", PREFIX + "notes/by-hand")]
    assert [a.kind for a in plan.actions] == ["EffectiveConfig", "Document"]
    assert plan.targets[0].managed == 4
    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, [service])
    assert str(refused.value) == (
        "the plan deletes 2 of 4 managed objects (50%, more than 20%: 1 Document, "
        "1 EffectiveConfig); "
        "re-run with --allow-mass-prune if that is intended"
    )
    apply_plan(plan, [service], allow_mass_prune=True)

    assert etcd.keys() == sorted([*others, a.key, b.key, MARKER])


# -- drift ------------------------------------------------------------------------------------------


def test_drift_reports_hand_edits_with_live_and_desired(etcd: EtcdServer) -> None:
    big = element_set(3000, "2026版")
    docs = [region(f"9901{i:02d}000", i) for i in range(5)]
    state = desired(big, *docs)
    service = target(etcd, part_bytes=16 * 1024)
    apply_plan(make_plan(state, C1, [service]), [service])
    assert find_drift(state, [service]) == []

    edited = stored(etcd, docs[0].key)
    edited["spec"]["items"]["execution.payment.single_limit"] = 500000
    etcd.put(docs[0].key, json.dumps(edited, ensure_ascii=False))  # the hash left as it was
    etcd.put(docs[1].key, "limit=500000")
    etcd.delete(docs[2].key)
    etcd.put(docs[3].key, json.dumps({**stored(etcd, docs[3].key), "hash": "sha256:0"}))
    etcd.put(PREFIX + "config/990199000", "{}")
    slices = etcd.keys(PREFIX + "_parts/")
    etcd.delete(slices[1])

    items = find_drift(state, [service])
    assert items == [
        DriftItem(
            "configservice",
            docs[0].key,
            "changed",
            (FieldChange("change", "spec.items['execution.payment.single_limit']", 500000, 0),),
        ),
        DriftItem(
            "configservice",
            docs[1].key,
            "changed",
            (FieldChange("change", "(value)", "limit=500000", docs[1].value),),
        ),
        DriftItem("configservice", docs[2].key, "missing"),
        DriftItem(
            "configservice",
            docs[3].key,
            "changed",
            (FieldChange("change", "hash", "sha256:0", content_hash(docs[3].value)),),
        ),
        DriftItem(
            "configservice",
            big.key,
            "changed",
            (
                FieldChange(
                    "change",
                    "(value)",
                    f"unreadable (parts: {len(slices) - 1} of {len(slices)} slices under "
                    f"{slices[0][:-5]})",
                    big.value,
                ),
            ),
        ),
        DriftItem("configservice", PREFIX + "config/990199000", "unexpected"),
    ]
    lines = drift_text(ENV, C1, items).splitlines()
    assert lines[:4] == [
        f"drift in acceptance against {C1[:12]}: 6 objects",
        f"configservice: {docs[0].key}: changed",
        "    spec.items['execution.payment.single_limit']: live 500000, desired 0",
        f"configservice: {docs[1].key}: changed",
    ]

    # apply repairs every one of them
    repair = target(etcd, commit=C2, part_bytes=16 * 1024)
    plan = make_plan(state, C2, [repair])
    assert ops(plan.actions) == [
        ("update", docs[0].key),
        ("update", docs[1].key),
        ("create", docs[2].key),
        ("update", docs[3].key),
        ("update", big.key),
        ("delete", PREFIX + "config/990199000"),
    ]
    apply_plan(plan, [repair])
    assert find_drift(state, [repair]) == []


def test_drift_never_prints_a_secret_written_by_hand(etcd: EtcdServer) -> None:
    """Someone stores a password in the live configuration service: drift names the change and
    masks the value, in text and in JSON, by the key that holds it and by its shape."""
    docs = [region("990101000", 1), region("990102000", 2)]
    state = desired(*docs)
    service = target(etcd)
    apply_plan(make_plan(state, C1, [service]), [service])
    edited = stored(etcd, docs[0].key)
    edited["spec"]["items"]["datahub.pbc.tips_password"] = "Tips@2026xx"
    edited["spec"]["items"]["datahub.pbc.gateway"] = {"user": "czj_tips", "api_key": 4711}
    etcd.put(docs[0].key, json.dumps(edited, ensure_ascii=False))
    etcd.put(docs[1].key, "jdbc:mysql://czj_tips:Tips@2026xx@10.90.1.17:3306/tips")

    items = find_drift(state, [service])
    text = drift_text(ENV, C1, items)
    data = json.loads(drift_json(ENV, C1, items))
    assert text.splitlines() == [
        f"drift in acceptance against {C1[:12]}: 2 objects",
        f"configservice: {docs[0].key}: changed",
        '    spec.items[\'datahub.pbc.gateway\']: live {"api_key": "****", "user": "czj_tips"}, '
        "desired —",
        "    spec.items['datahub.pbc.tips_password']: live ****, desired —",
        f"configservice: {docs[1].key}: changed",
        "    (value): live jdbc:mysql://czj_tips:****@10.90.1.17:3306/tips, desired "
        + shown_value(docs[1].value),
    ]
    assert data["drift"][0]["fields"] == [
        {
            "path": "spec.items['datahub.pbc.gateway']",
            "live": {"user": "czj_tips", "api_key": "****"},
            "desired": None,
        },
        {"path": "spec.items['datahub.pbc.tips_password']", "live": "****", "desired": None},
    ]
    assert data["drift"][1]["fields"][0]["live"] == (
        "jdbc:mysql://czj_tips:****@10.90.1.17:3306/tips"
    )
    assert "Tips@2026xx" not in text + json.dumps(data)


def test_a_lease_lost_during_an_apply_stops_before_the_next_write(etcd: EtcdServer) -> None:
    """A reconciler asks whether it still leads before each target's writes and before the
    markers: one that lost the Lease (paused past it, say) writes no further, and no marker says
    the revision was applied."""
    docs = [region("990101000", 1), region("990102000", 2)]
    service = target(etcd)
    plan = make_plan(desired(*docs), C1, [service])
    with pytest.raises(LeadershipLost) as lost:
        apply_plan(plan, [service], still_leading=lambda: False)
    assert str(lost.value) == (
        "lost the Lease before writing configservice; nothing more was written and the "
        "markers did not move"
    )
    assert etcd.keys(PREFIX) == []

    answers = iter([True, False])
    with pytest.raises(LeadershipLost) as lost:
        apply_plan(plan, [service], still_leading=lambda: next(answers))
    assert str(lost.value) == (
        "lost the Lease before moving the markers; configservice was written and the "
        "markers did not move"
    )
    assert etcd.keys(PREFIX) == [docs[0].key, docs[1].key]
    assert etcd.get(MARKER) is None
    # the next leader plans from the markers: the same writes again, as no-ops, then the marker
    apply_plan(make_plan(desired(*docs), C1, [service]), [service], still_leading=lambda: True)
    assert json.loads(etcd.get(MARKER) or "{}")["revision"] == C1


# -- etcd goes away -----------------------------------------------------------------------------------


def test_etcd_stopped_mid_apply_leaves_the_marker_and_the_next_run_converges(
    tmp_path: Path,
) -> None:
    server = EtcdServer(tmp_path / "etcd").start()
    try:
        small = [region(f"99{i:07d}", i) for i in range(2)]
        first = target(server)
        apply_plan(make_plan(desired(*small), C1, [first]), [first])

        many = small + [region(f"98{i:07d}", i) for i in range(398)]
        service = target(server, commit=C2)
        plan = make_plan(desired(*many), C2, [service])
        assert len(plan.actions) == 398

        def stop_etcd(message: str) -> None:
            if server.process is not None:
                server.kill()

        with pytest.raises(TargetUnreachable) as caught:
            apply_plan(plan, [service], progress=stop_etcd)
        assert str(caught.value) == (
            f"configuration service unreachable: {server.endpoint}: connection refused\n"
            "128 of 398 configuration-service changes were applied, each document whole or not "
            "at all; run plan and apply again to converge"
        )

        server.start()
        again = target(server, commit=C2)
        marker = again.read_marker()
        assert marker is not None and marker.revision == C1  # unmoved
        plan = make_plan(desired(*many), C2, [again])
        assert len(plan.actions) == 398 - 128
        assert {a.op for a in plan.actions} == {"create"}
        assert apply_plan(plan, [again]).marker.revision == C2
        assert find_drift(desired(*many), [again]) == []
    finally:
        server.stop()


def test_an_unreachable_service_is_a_clear_error() -> None:
    nobody = EtcdClient(parse_endpoints(["http://127.0.0.1:9", "http://localhost:9"]))
    service = ConfigServiceTarget(nobody, ENV, C1)
    with pytest.raises(TargetUnreachable) as caught:
        make_plan(desired(region("990100000", 1)), C1, [service])
    assert str(caught.value) == (
        "configuration service unreachable: http://127.0.0.1:9: connection refused; "
        "http://localhost:9: connection refused"
    )
