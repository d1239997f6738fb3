"""Which key names hold secrets (DFP-SEC-001 decides by the key's last word), and which values
look like one (DFP-SEC-002, and the masking of every diagnostic)."""

from __future__ import annotations

import pytest

from dfctl.redact import free_text_hits, is_secret_key, redact, secret_kind
from dfctl.redact import shown as show


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
        ("db_pass", True),
        ("pwd", True),
        ("oss_ak", True),
        ("cos-sk", True),
        ("AK/SK", True),
        ("accessKeySecret", True),
        ("signing_key", True),
        ("数据库密码", True),
        ("登录口令", True),
        ("私钥", True),
        ("接口令牌", True),
        ("短信授权码", True),
        ("密码策略", False),
        ("凭证号", False),
        ("bypass", False),
        ("compass", False),
        ("token_ttl_seconds", False),
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
        ("mysql://czj_tips:Tips@2026xx@10.90.1.17:3306/tips", True),
        ("redis://:Redis2026@10.20.4.20:6379/0", True),
        ("jdbc:mysql://10.20.4.11:3306/budget?user=budget&password=Budget2026", True),
        ("jdbc:sqlserver://10.20.6.3:1433;databaseName=nontax;user=sa;password=Sa@2026;", True),
        ("Driver={MySQL ODBC 8.0};Server=10.20.4.12;Uid=acc;Pwd=Acc2026x;", True),
        ("screen:Screen2026@tcp(10.20.4.13:3306)/screen", True),
        ("jdbc:oracle:thin:gfa/Gfa2019@//10.20.9.1:1521/orcl", True),
        ("host=10.20.7.5 user=bi password=Bi2026x dbname=bi", True),
        ("LTAI5tQ8bz3XYZpVq2k7NmRw", True),
        ("AKIAIOSFODNN7EXAMPLE", True),
        ("jdbc:mysql://10.20.4.11:3306/budget?user=budget&useSSL=true", False),
        ("password=secret://tdsql/budget/password", False),
        ("https://screen.czpt.xx-gov.example/api/v1/feed?token_ttl=3600", False),
        ("ccr.xx-gov.example/dfp/bgt-server:3.7.2@sha256:" + "e08c3780" * 8, False),
        ("0 2 * * *", False),
        ("secret://vault/dfp/portal/client-secret", False),
        ("一般公共服务支出", False),
    ],
)
def test_secret_values(text: str, found: bool) -> None:
    assert (secret_kind(text) is not None) is found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("临时账号 admin 密码：Abc@12345，用完即删", True),
        ("口令是admin123", True),
        ("password: Hunter2!", True),
        ("值班 token=3f9a2c7e 已发到值班群", True),
        ("对象存储密钥 Gu5t9xGARNpq86cd98joQYCN3Cozk1qA 轮换推迟", True),
        ("密码策略需满足复杂度要求；口令只写密钥库引用；密码为空的账号停用", False),
        ("password: see the vault entry", False),
        ("见 https://wiki.xx-gov.example/ops/AP-2026-0001-approval", False),
        ("getUserAccountBalanceByIdV2 接口改为分页", False),
        ("cloud/namespaces/production/dfp-budget-prod.yaml 已扩容", False),
    ],
)
def test_secrets_in_free_text(text: str, found: bool) -> None:
    assert bool(free_text_hits(text)) is found


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("tkee", "'tkee'"),
        ("v1.30", "'v1.30'"),
        ("2026-13-01", "'2026-13-01'"),
        ("Asia/Beijing", "'Asia/Beijing'"),
        ("Hunter2!", "a value of 8 characters that may be a secret (not shown)"),
        ("budget@2026", "a value of 11 characters that may be a secret (not shown)"),
        (
            "9f86d081884c7d659a2feaa0c55ad015",
            "a value of 32 characters that may be a secret (not shown)",
        ),
    ],
)
def test_values_quoted_back_are_shown_only_when_harmless(value: str, shown: str) -> None:
    assert show(value) == shown


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("password=Ab,c(12)3;host=x", "password=****;host=x"),
        ("password: Ab,c123 then", "password: **** then"),
        ("密码：Abc,123，用完即删", "密码：****，用完即删"),
        ("Driver={MySQL};Pwd={Ab;c1};", "Driver={MySQL};Pwd=****;"),
        (
            "jdbc:mysql://h/db?user=a&password=P,w(1)&ssl=1",
            "jdbc:mysql://h/db?user=a&password=****&ssl=1",
        ),
        (
            "mysql://czj_tips:Tips@2026xx@10.90.1.17:3306/tips",
            "mysql://czj_tips:****@10.90.1.17:3306/tips",
        ),
    ],
)
def test_a_password_is_masked_whole(text: str, masked: str) -> None:
    assert redact(text) == masked
