"""Rules that keep secrets out of the repository: they live in the secret store, and files hold
only ``secret://<store>/<path>`` references to them.

What counts as a secret is :mod:`dfctl.redact`'s to say (key names in English and Chinese,
connection strings, PEM blocks, tokens, cloud access keys, high-entropy tokens in free text);
these rules say where it was found.

Both rules run on every file as written, before it is modelled, so a secret is found wherever it
was put, even in a file that fails every other check. They must stay cheap: the element standards
alone are some 200,000 rows. So a file is first screened level by level (each distinct key name
decided once, values searched only for the fixed text every secret shape contains, free text only
where a level has a free-text key), and walked node by node, to find the exact places, only when
the screen finds something.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dfctl.checks.registry import RawFinding, file_rule
from dfctl.diagnostics import Severity
from dfctl.load.yamlread import Document, YMap, YSeq
from dfctl.redact import (
    SECRET_REFERENCE,
    Hit,
    free_text_hits,
    is_secret_key,
    may_hold_secret,
    secret_hits,
)

# Keys whose values are prose: a secret may be written into a sentence there.
FREE_TEXT_KEYS = frozenset(
    {
        "description",
        "notes",
        "note",
        "reason",
        "comment",
        "comments",
        "remark",
        "remarks",
        "memo",
        "summary",
        "title",
        "message",
        "contact",
        "说明",
        "备注",
    }
)
# An item that pairs a configuration key with its value: a secret-named key
# (``portal.sso.client_secret``) makes the value a secret.
_PAIR_KEY = "key"
_PAIR_VALUES = ("value", "default")
_CONTAINERS = frozenset({YMap, YSeq})


def _levels(root: YMap) -> Iterator[tuple[list[YMap], list[Any]]]:
    """The tree level by level: (the mappings, every mapping value and sequence item).

    Each level is handled with a few calls that loop in C over all its nodes at once, which is
    what keeps screening 200,000 element rows cheap; the exact walk runs only on a hit.
    """
    level: list[Any] = [root]
    while level:
        maps = [node for node in level if type(node) is YMap]
        values = [
            *itertools.chain.from_iterable(map(dict.values, maps)),
            *itertools.chain.from_iterable(node for node in level if type(node) is YSeq),
        ]
        yield maps, values
        level = list(itertools.compress(values, map(_CONTAINERS.__contains__, map(type, values))))


def _names_secret(config_key: str) -> bool:
    """Whether a configuration key (``portal.sso.client_secret``) names a secret: its last
    segment decides, and the few distinct last segments of 20,000 keys are decided once."""
    return is_secret_key(config_key.rpartition(".")[2])


@dataclass(frozen=True)
class _Screen:
    """What a cheap look at a whole document found: whether each rule must walk it."""

    secret_key: bool
    secret_value: bool


# The screen of the document screened last: both rules ask about the same document one after
# the other, and the level walk is most of their cost. DFP-SEC-002, which runs second, lets
# it go, so no document outlives its load here.
_last_screen: list[tuple[Document, _Screen]] = []


def _screen(document: Document, release: bool = False) -> _Screen:
    if _last_screen and _last_screen[0][0] is document:
        found = _last_screen[0][1]
    else:
        found = _screen_levels(document)
        _last_screen[:] = [(document, found)]
    if release:
        _last_screen.clear()
    return found


def _screen_levels(document: Document) -> _Screen:
    secret_key = secret_value = False
    for maps, values in _levels(document.root):
        keys: set[str] = set().union(*maps)
        if not secret_key:
            secret_key = any(is_secret_key(k) for k in keys) or (
                _PAIR_KEY in keys
                and any(isinstance(k, str) and _names_secret(k) for k in _pair_keys(maps))
            )
        if not secret_value:
            text = "\0".join(filter(str.__instancecheck__, values))
            secret_value = may_hold_secret(text) or any(
                free_text_hits(_prose(maps, key)) for key in keys & FREE_TEXT_KEYS
            )
        if secret_key and secret_value:
            break
    return _Screen(secret_key, secret_value)


def _pair_keys(maps: list[YMap]) -> Iterator[Any]:
    return (m.get(_PAIR_KEY) for m in maps)


def _prose(maps: list[YMap], key: str) -> str:
    """Every value of ``key`` in one text: one search, not one per value (a hit cannot cross
    a line)."""
    return "\n".join(t for m in maps if isinstance(t := m.get(key), str))


def _is_literal(value: Any) -> bool:
    """A value written in the file rather than referenced: text, or a number."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and bool(value.strip()) and not value.startswith(SECRET_REFERENCE)


def _secret_places(node: YMap) -> Iterator[tuple[str, str]]:
    """(key, how it is named) of the entries of ``node`` that must hold references."""
    pair = node.get(_PAIR_KEY)
    paired = isinstance(pair, str) and _names_secret(pair)
    for key, value in node.items():
        if isinstance(value, (YMap, YSeq)) or not _is_literal(value):
            continue
        if is_secret_key(key):
            yield key, f'"{key}"'
        elif paired and key in _PAIR_VALUES:
            yield key, f'"{key}" of "{pair}"'


def _walk(root: YMap) -> Iterator[YMap | YSeq]:
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        yield node
        items = node.values() if isinstance(node, YMap) else node
        stack.extend(item for item in items if isinstance(item, (YMap, YSeq)))


@file_rule("DFP-SEC-001", Severity.ERROR)
def secret_keys_hold_references(document: Document) -> Iterator[RawFinding]:
    """A key named like a secret holds a secret:// reference, never the secret itself.

    Keys whose last word is password, passwd, pwd, pass, passphrase, secret, token, credential,
    ak or sk, or whose last two are private/api/access/secret/signing/encryption key
    (db_password, clientSecret, api_key, oss_ak), or that end in 密码, 口令, 密钥, 秘钥, 私钥,
    令牌 or 授权码 (数据库密码), in any file; and the value or default of a configuration key
    named like that (portal.sso.client_secret). Numbers count: a PIN is a secret too.

    Passing:
        client_secret: secret://portal/sso/unified-portal
        数据库密码: secret://tdsql/budget/password

    Failing:
        client_secret: 9f86d081884c7d659a2feaa0c55ad015
        数据库密码: Budget2026
    """
    if not _screen(document).secret_key:
        return
    for node in _walk(document.root):
        if not isinstance(node, YMap):
            continue
        for key, named in _secret_places(node):
            line, column = node.key_pos[key][2:]
            yield RawFinding(
                line,
                column,
                f"{named} holds a literal value; put the secret in the secret store and "
                "write its reference here (secret://<store>/<path>)",
            )


@file_rule("DFP-SEC-002", Severity.ERROR)
def no_secret_values(document: Document) -> Iterator[RawFinding]:
    """No value anywhere looks like a secret.

    Found in any value: a PEM private key, a JSON Web Token (eyJ….….…), a cloud access key id
    (Tencent Cloud SecretId AKID…, Alibaba Cloud LTAI…, AWS AKIA…), the password of a URL
    (scheme://user:password@host), of a Go-style DSN (user:password@tcp(host)) or of an Oracle
    JDBC URL (user/password@host), and a secret-named parameter of a connection string (JDBC
    ?password=…, ODBC ;Pwd=…;, host=… password=…). In free text (description, notes, reason,
    comment, remark, title, contact, 说明, 备注) also "password: …", "pwd=…", "密码：…", "口令是…"
    with a password-like value, and high-entropy tokens (20 or more letters and digits of both
    cases, as generated keys are). A value under a key named like a secret is DFP-SEC-001's
    and is not reported twice. The value itself is never shown.

    Passing:
        url: https://portal.xx-gov.example/
        dsn: secret://tdsql/budget/dsn
        reason: 口令只写密钥库引用

    Failing:
        url: mysql://budget:Budget2026@10.20.4.11:3306/budget
        dsn: "Driver={MySQL ODBC 8.0};Server=10.20.4.11;Uid=budget;Pwd=Budget2026;"
        reason: 临时账号 admin 密码：Abc@12345，用完即删
        note: "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHMifQ.c2lnbmF0dXJl"
    """
    if not _screen(document, release=True).secret_value:
        return
    for node in _walk(document.root):
        if isinstance(node, YSeq):
            for item, (line, column) in zip(node, node.item_pos, strict=True):
                hits = secret_hits(item) if isinstance(item, str) else []
                if hits:
                    yield RawFinding(line, column, _message(hits[0]))
            continue
        claimed = {key for key, _named in _secret_places(node)}
        for key, value in node.items():
            if key in claimed or not isinstance(value, str):
                continue
            hits = free_text_hits(value) if key in FREE_TEXT_KEYS else secret_hits(value)
            if hits:
                line, column = node.key_pos[key][2:]
                yield RawFinding(line, column, _message(hits[0]))


def _message(hit: Hit) -> str:
    return (
        f"value looks like {hit.describe()}; put the secret in the secret store and write its "
        "reference here (secret://<store>/<path>)"
    )


RULES = (secret_keys_hold_references, no_secret_values)
