"""No output format of `dfctl validate` prints a secret, whichever rule quotes it: secrets pasted
into the wrong fields of a real case repository, checked in text, JSON, SARIF, GitHub and GitLab
output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dfctl.cli import main
from dfctl.diagnostics import Diagnostic, Severity

CASE = Path(__file__).parent / "cases" / "access" / "valid" / "repo"
CLUSTER = "cloud/clusters/tke-prod-a.yaml"
SYSTEM = "portal/systems/treasury-payment.yaml"
POLICY = "portal/access-policies/AP-2026-0001.yaml"
ENVIRONMENT = "environments/production/environment.yaml"

TENCENT_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA"
PASSWORD = "Hunter2!x"
KEY = "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA"
URL_PASSWORD = "Tips@2026xx"
SECRETS = (TENCENT_ID, PASSWORD, KEY, URL_PASSWORD)

# Each finding as text; none quotes a secret, every one is about a place where one was pasted.
EXPECTED = [
    f"{CLUSTER}:6:13: error DFP-SEC-002 value looks like a Tencent Cloud SecretId; put the "
    "secret in the secret store and write its reference here (secret://<store>/<path>)",
    f"{CLUSTER}:6:13: error DFP-STR-002 cluster_id: expected a string matching "
    "^cls-[a-z0-9]{8}$, got a value of 36 characters that may be a secret (not shown)",
    f"{CLUSTER}:8:21: error DFP-STR-002 kubernetes_version: expected a string matching "
    "^\\d+\\.\\d+$, got a value of 9 characters that may be a secret (not shown)",
    f"{ENVIRONMENT}:24:13: error DFP-SEC-002 value looks like a URL with a password "
    "(mysql://czj_tips:****@10.90.1.17:3306); put the secret in the secret store and write its "
    "reference here (secret://<store>/<path>)",
    f'{POLICY}:15:9: error DFP-ACC-004 AP-2026-0001: ticket "****" is not a ticket id such as '
    "TAPD-1020384",
    f'{SYSTEM}:24:16: error DFP-SEC-001 "client_secret" holds a literal value; put the secret in '
    "the secret store and write its reference here (secret://<store>/<path>)",
    f"{SYSTEM}:24:16: error DFP-STR-002 client_secret: expected a string matching "
    "^secret://[a-z0-9-]+/[A-Za-z0-9_./-]+$, got a value that is not shown (its key names a "
    "secret)",
]


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def leaky_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(CASE, repo)
    replace(repo / CLUSTER, "cluster_id: cls-9p01a7kx", f'cluster_id: "{TENCENT_ID}"')
    replace(repo / CLUSTER, 'kubernetes_version: "1.30"', f'kubernetes_version: "{PASSWORD}"')
    replace(
        repo / SYSTEM,
        "client_secret: secret://vault/dfp/portal/treasury-payment/oauth-client",
        "client_secret: Hunter2!x",
    )
    replace(repo / POLICY, "ticket: TAPD-1020101", f"ticket: {KEY}")
    with (repo / ENVIRONMENT).open("a", encoding="utf-8") as environment:
        environment.write(
            "freezes:\n"
            "  - name: 2026年度年终决算\n"
            '    start: "2026-12-20"\n'
            '    end: "2027-01-15"\n'
            f"    reason: 迁移期间临时使用 mysql://czj_tips:{URL_PASSWORD}@10.90.1.17:3306/tips\n"
        )
    return repo


def validate(repo: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["--repo", str(repo), "validate", "--today", "2026-11-27", "--format", fmt])
    captured = capsys.readouterr()
    assert code == 1
    for secret in SECRETS:
        assert secret not in captured.out
        assert secret not in captured.err
    return captured.out


def test_the_case_plants_what_it_means_to(leaky_repo: Path) -> None:
    # the secrets are in the files: the masking below is not for want of them
    written = "".join(p.read_text(encoding="utf-8") for p in leaky_repo.rglob("*.yaml"))
    assert all(secret in written for secret in SECRETS)


def test_text(leaky_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert validate(leaky_repo, "text", capsys).splitlines() == EXPECTED


def test_json(leaky_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads(validate(leaky_repo, "json", capsys))
    assert [
        f"{d['file']}:{d['line']}:{d['column']}: {d['severity']} {d['rule']} {d['message']}"
        for d in document["diagnostics"]
    ] == EXPECTED


def test_sarif(leaky_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (run,) = json.loads(validate(leaky_repo, "sarif", capsys))["runs"]
    assert [r["message"]["text"] for r in run["results"]] == [
        line.split(" ", 3)[3] for line in EXPECTED
    ]


def test_github(leaky_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = validate(leaky_repo, "github", capsys)
    assert [line.split("::", 2)[2] for line in out.splitlines()] == [
        line.split(" ", 3)[3] for line in EXPECTED
    ]


def test_gitlab(leaky_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    issues = json.loads(validate(leaky_repo, "gitlab", capsys))
    assert [i["description"] for i in issues] == [line.split(" ", 2)[2] for line in EXPECTED]


def test_a_number_under_a_secret_key_is_not_quoted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(CASE, repo)
    replace(
        repo / SYSTEM,
        "client_secret: secret://vault/dfp/portal/treasury-payment/oauth-client",
        "client_secret: 20261127",
    )
    code = main(["--repo", str(repo), "validate", "--today", "2026-11-27", "--format", "json"])
    found = json.loads(capsys.readouterr().out)["diagnostics"]
    assert code == 1
    assert [(d["rule"], d["message"]) for d in found] == [
        (
            "DFP-SEC-001",
            '"client_secret" holds a literal value; put the secret in the secret store and '
            "write its reference here (secret://<store>/<path>)",
        ),
        (
            "DFP-STR-004",
            "client_secret must be a string, not a number (not shown: its key names a secret); "
            "quote it",
        ),
    ]


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (
            "default is jdbc:mysql://10.20.4.11:3306/budget?user=budget&password=Budget2026",
            "default is jdbc:mysql://10.20.4.11:3306/budget?user=budget&password=****",
        ),
        ("name was 口令是Admin123 at base", "name was 口令是**** at base"),
        ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----", "****"),
        (
            "secret://vault/dfp/portal/x is a reference",
            "secret://vault/dfp/portal/x is a reference",
        ),
    ],
)
def test_a_diagnostic_masks_its_own_message(message: str, shown: str) -> None:
    found = Diagnostic("a.yaml", 1, 1, "DFP-XXX-001", Severity.ERROR, message)
    assert found.message == shown
    assert str(found) == f"a.yaml:1:1: error DFP-XXX-001 {shown}"
