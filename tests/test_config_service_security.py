"""The configuration service over TLS with authentication: dfctl holds a role limited to its
prefix; credentials come from a file or the environment, never from the repository."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dfctl.adapters.etcd import Credentials, EtcdClient, Put, parse_endpoints
from dfctl.cli import main
from dfctl.errors import CredentialsError, TargetError, TargetUnreachable
from dfctl.load.repo import WorkTree
from dfctl.model import Environment
from dfctl.reconcile.config_service import ConfigServiceTarget
from dfctl.reconcile.config_service_layout import read_document
from dfctl.reconcile.connect import config_service_targets, etcd_credentials
from dfctl.reconcile.runner import apply_plan, make_plan
from dfctl.render.state import DesiredState
from dfctl.validate import load_checked
from tests.content import PROJECT, TODAY, commit_all, copy_content, init_repo
from tests.etcd_server import EtcdServer
from tests.test_config_service import C1, ENV, acceptance, desired, region

ROOT_PASSWORD = "Root-Sup3r-Secret"
DFCTL_PASSWORD = "Dfctl-Only-Own-Prefix-7"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdServer]:
    """etcd serving HTTPS only, authentication on, tokens that expire after one idle second."""
    server = EtcdServer(tmp_path_factory.mktemp("etcd-tls"), tls=True, args=("--auth-token-ttl=1",))
    server.start()
    try:
        server.enable_auth(ROOT_PASSWORD, {"dfctl": (DFCTL_PASSWORD, "/dfp/acceptance/")})
        yield server
    finally:
        server.stop()


def credentials_file(folder: Path, server: EtcdServer, password: str = DFCTL_PASSWORD) -> Path:
    """What a secret-store agent would write next to the job: mode 600, the CA beside it."""
    assert server.ca_file is not None
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(server.ca_file, folder / "etcd-ca.crt")
    path = folder / "etcd.env"
    path.write_text(
        "# dfctl's account on the acceptance configuration service\n"
        "DFCTL_ETCD_USER=dfctl\n"
        f"export DFCTL_ETCD_PASSWORD='{password}'\n"
        "DFCTL_ETCD_CA=etcd-ca.crt\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def service(server: EtcdServer, credentials: Credentials, env: str = ENV) -> ConfigServiceTarget:
    return ConfigServiceTarget(EtcdClient(parse_endpoints([server.endpoint]), credentials), env, C1)


def test_dfctl_applies_under_its_prefix_over_tls(secured: EtcdServer, tmp_path: Path) -> None:
    credentials = Credentials.from_file(credentials_file(tmp_path / "secrets", secured))
    assert (credentials.user, credentials.ca) == ("dfctl", tmp_path / "secrets" / "etcd-ca.crt")
    assert DFCTL_PASSWORD not in repr(credentials)

    target = service(secured, credentials)
    state = acceptance()
    apply_plan(make_plan(state, C1, [target]), [target])

    assert dict(target.client.requests) == {"auth": 1, "range": 1, "txn": 2}
    assert secured.keys("/dfp/acceptance/") == sorted(
        [d.key for d in state.documents] + ["/dfp/acceptance/_dfctl/applied"]
    )
    found = read_document(target.client, state.documents[0].key)
    assert found is not None and found.value == state.documents[0].value

    # the token expires after a second of idleness; dfctl logs in again by itself
    time.sleep(3)
    again = make_plan(state, C1, [target])
    assert again.actions == ()
    assert target.client.requests["auth"] == 2


def test_dfctl_is_denied_outside_its_prefix(secured: EtcdServer, tmp_path: Path) -> None:
    credentials = Credentials.from_file(credentials_file(tmp_path, secured))
    production = service(secured, credentials, env="production")
    with pytest.raises(TargetError) as denied:
        production.plan(DesiredState("production", (), (), ()))
    assert str(denied.value) == (
        f"configuration service {secured.endpoint}: permission denied for user 'dfctl' on "
        "/dfp/production/: its role must grant readwrite on dfctl's prefix"
    )
    with pytest.raises(TargetError) as refused:
        production.client.txn([], [Put("/dfp/production/release", b"{}")])
    assert str(refused.value) == (
        f"configuration service {secured.endpoint}: permission denied for user 'dfctl' on "
        "/dfp/production/release: its role must grant readwrite on dfctl's prefix"
    )
    assert secured.keys("/dfp/production/") == []


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "wrong password",
            "configuration service {url}: cannot log in as 'dfctl': "
            "etcdserver: authentication failed, invalid user ID or password",
        ),
        (
            "no user",
            "configuration service {url} requires authentication; give DFCTL_ETCD_USER and "
            "DFCTL_ETCD_PASSWORD (environment) or --etcd-credentials FILE",
        ),
        (
            "no CA",
            "configuration service {url}: TLS failed: the server certificate is not trusted "
            "by the system's CA bundle (DFCTL_ETCD_CA is not set) (unable to get local issuer "
            "certificate)",
        ),
    ],
)
def test_bad_credentials_are_clear_errors(secured: EtcdServer, case: str, expected: str) -> None:
    credentials = {
        "wrong password": Credentials("dfctl", "not-the-password", secured.ca_file),
        "no user": Credentials(ca=secured.ca_file),
        "no CA": Credentials("dfctl", DFCTL_PASSWORD),
    }[case]
    target = service(secured, credentials)
    with pytest.raises(TargetError) as caught:
        make_plan(desired(region("990100000", 1)), C1, [target])
    assert not isinstance(caught.value, TargetUnreachable)
    assert str(caught.value) == expected.format(url=secured.endpoint)
    assert DFCTL_PASSWORD not in str(caught.value)


# -- credentials and endpoints, without a server ----------------------------------------------------


def test_credentials_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_text("not checked here", encoding="utf-8")
    found = Credentials.from_environment(
        {
            "DFCTL_ETCD_USER": "dfctl",
            "DFCTL_ETCD_PASSWORD": "pw",
            "DFCTL_ETCD_CA": str(tmp_path / "ca.crt"),
            "HOME": "/root",
        }
    )
    assert found == Credentials("dfctl", "pw", tmp_path / "ca.crt")
    assert Credentials.from_environment({}) == Credentials()


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        (
            "DFCTL_ETCD_USER=dfctl\nDFCTL_ETCD_PASSWORD=pw\n",
            0o644,
            "etcd credentials {path} may be read by other users (mode 0644); chmod 600 it",
        ),
        (
            "DFCTL_ETCD_USER=dfctl\nETCD_PASSWORD=pw\n",
            0o600,
            "{path}:2: expected NAME=value with NAME one of DFCTL_ETCD_USER, DFCTL_ETCD_PASSWORD, "
            "DFCTL_ETCD_CA, DFCTL_ETCD_CERT, DFCTL_ETCD_KEY",
        ),
        (
            "DFCTL_ETCD_USER=dfctl\n",
            0o600,
            "{path}: etcd authentication needs both DFCTL_ETCD_USER and DFCTL_ETCD_PASSWORD",
        ),
        ("DFCTL_ETCD_CERT=c.pem\n", 0o600, "{path}: cert file {dir}/c.pem does not exist"),
    ],
)
def test_bad_credentials_files(tmp_path: Path, text: str, mode: int, expected: str) -> None:
    path = tmp_path / "etcd.env"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    with pytest.raises(CredentialsError) as caught:
        Credentials.from_file(path)
    assert str(caught.value) == expected.format(path=path, dir=tmp_path)


def test_a_client_certificate_needs_its_key(tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_text("x", encoding="utf-8")
    with pytest.raises(CredentialsError) as caught:
        Credentials.from_environment({"DFCTL_ETCD_CERT": str(tmp_path / "c.pem")})
    assert str(caught.value) == (
        "environment: a client certificate needs both DFCTL_ETCD_CERT and DFCTL_ETCD_KEY"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ftp://etcd-0:2379",
            "etcd endpoint 'ftp://etcd-0:2379' must be http(s)://HOST:PORT, e.g. https://etcd-0:2379",
        ),
        (
            "https://etcd-0:2379/v3",
            "etcd endpoint 'https://etcd-0:2379/v3' must not have a path or query",
        ),
        (
            "https://etcd-0:99999",
            "etcd endpoint 'https://etcd-0:99999' is not a URL: Port out of range 0-65535",
        ),
        (
            "https://dfctl:hunter2@etcd-0:2379",
            "etcd endpoint https://…@etcd-0 carries credentials; pass them with "
            "--etcd-credentials or DFCTL_ETCD_USER/DFCTL_ETCD_PASSWORD instead",
        ),
    ],
)
def test_bad_endpoints(text: str, expected: str) -> None:
    with pytest.raises(CredentialsError) as caught:
        parse_endpoints([text])
    assert str(caught.value) == expected
    assert "hunter2" not in str(caught.value)


def test_endpoints_and_where_a_password_may_go() -> None:
    endpoints = parse_endpoints(
        ["https://etcd-0.dfp-acc.xx-gov.example:2379,http://127.0.0.1:2379"]
    )
    assert [e.url for e in endpoints] == [
        "https://etcd-0.dfp-acc.xx-gov.example:2379",
        "http://127.0.0.1:2379",
    ]
    Credentials("dfctl", "pw").check_safe_for(endpoints)  # https, and plain http to this machine
    with pytest.raises(CredentialsError) as caught:
        EtcdClient(
            parse_endpoints(["http://etcd-0.dfp-acc.xx-gov.example:2379"]),
            Credentials("dfctl", "pw"),
        )
    assert str(caught.value) == (
        "refusing to send the etcd password unencrypted to "
        "http://etcd-0.dfp-acc.xx-gov.example:2379; use https"
    )


def test_credentials_inside_the_repository_are_refused(tmp_path: Path) -> None:
    inside = tmp_path / "repo" / "etcd.env"
    inside.parent.mkdir()
    inside.write_text("DFCTL_ETCD_USER=dfctl\nDFCTL_ETCD_PASSWORD=pw\n", encoding="utf-8")
    inside.chmod(0o600)
    with pytest.raises(CredentialsError) as caught:
        etcd_credentials(inside, tmp_path / "repo")
    assert str(caught.value).startswith(f"--etcd-credentials {inside} is inside the repository")
    assert etcd_credentials(inside, tmp_path / "elsewhere").user == "dfctl"


def test_the_repository_names_each_environments_service() -> None:

    repo = load_checked(WorkTree(PROJECT))
    for env in repo.of(Environment):
        (target,) = config_service_targets(env, C1, None, Credentials())
        assert isinstance(target, ConfigServiceTarget)
        short = {"acceptance": "acc", "pre-release": "pre", "production": "prod"}[env.name]
        assert target.client.name == ", ".join(
            f"https://etcd-{i}.dfp-{short}.xx-gov.example:2379" for i in range(3)
        )
        (override,) = config_service_targets(env, C1, ["http://127.0.0.1:2379"], Credentials())
        assert isinstance(override, ConfigServiceTarget)
        assert override.client.name == "http://127.0.0.1:2379"


# -- the command line --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def git_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_content(tmp_path_factory.mktemp("content") / "repo")
    commit_all(init_repo(root), "城市配置初始化")
    return root


@pytest.mark.git
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--etcd-endpoints", "ftp://etcd-0:2379"],
            "dfctl: etcd endpoint 'ftp://etcd-0:2379' must be http(s)://HOST:PORT, "
            "e.g. https://etcd-0:2379\n",
        ),
        (
            ["--etcd-credentials", "{repo}/etcd.env"],
            "dfctl: --etcd-credentials {repo}/etcd.env is inside the repository {repo}; keep "
            "credentials outside it (or pass them as DFCTL_ETCD_* environment variables)\n",
        ),
    ],
)
def test_cli_usage_errors_exit_2(
    git_repo: Path, args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (git_repo / "etcd.env").write_text("DFCTL_ETCD_USER=x\n", encoding="utf-8")
    argv = [a.format(repo=git_repo) for a in args]
    for command in ("plan", "apply", "drift"):
        code = main(["--repo", str(git_repo), command, "--env", ENV, "--today", TODAY, *argv])
        assert (code, capsys.readouterr().err) == (2, expected.format(repo=git_repo))


@pytest.mark.git
def test_cli_credentials_from_the_environment_must_be_whole(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DFCTL_ETCD_USER", "dfctl")
    monkeypatch.delenv("DFCTL_ETCD_PASSWORD", raising=False)
    assert main(["--repo", str(git_repo), "plan", "--env", ENV, "--today", TODAY]) == 2
    assert capsys.readouterr().err == (
        "dfctl: environment: etcd authentication needs both DFCTL_ETCD_USER and "
        "DFCTL_ETCD_PASSWORD\n"
    )
