"""Which key names hold secrets (DFP-SEC-001 decides by the key's last word)."""

from __future__ import annotations

import pytest

from dfctl.redact import is_secret_key, secret_kind


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("password", True),
        ("db_password", True),
        ("DBPassword", True),
        ("clientSecret", True),
        ("client-secret", True),
        ("api_token", True),
        ("private_key", True),
        ("tencent_secret_key", True),
        ("smtp_credentials", True),
        ("passwordless", False),
        ("token_endpoint", False),
        ("secret_store", False),
        ("password_policy", False),
        ("key", False),
        ("name", False),
        ("", False),
    ],
)
def test_secret_key_names(key: str, expected: bool) -> None:
    assert is_secret_key(key) is expected


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE", True),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc", True),
        ("AKID" + "a1B2" * 8, True),
        ("https://ops:Sup3rS3cret@tdsql.xx-gov.example/db", True),
        ("https://dfp.xx-gov.example/portal", False),
        ("secret://vault/dfp/portal/client-secret", False),
        ("一般公共服务支出", False),
    ],
)
def test_secret_values(text: str, found: bool) -> None:
    assert (secret_kind(text) is not None) is found
