"""Rules that keep secrets out of the repository: they live in the secret store, and files hold
only ``secret://<store>/<path>`` references to them.

Both rules run on every file as written, before it is modelled, so a secret is found wherever it
was put, even in a file that fails every other check. They must stay cheap: the element standards
alone are some 200,000 rows. So a file is first screened level by level (key names decided once
each, values searched only for the fixed text every secret pattern contains), and walked node by
node, to find the exact places, only when the screen finds something.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

from dfctl.checks.registry import RawFinding, file_rule
from dfctl.diagnostics import Severity
from dfctl.load.yamlread import Document, YMap, YSeq

SECRET_REFERENCE = "secret://"

_SECRET_WORDS = frozenset(
    {
        "password",
        "passwords",
        "passwd",
        "pwd",
        "secret",
        "secrets",
        "token",
        "tokens",
        "credential",
        "credentials",
        "privatekey",
        "apikey",
        "accesskey",
        "secretkey",
    }
)
_SECRET_PAIRS = frozenset(
    {("private", "key"), ("api", "key"), ("access", "key"), ("secret", "key")}
)
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")

# key names already decided; bounded so that odd content cannot grow them without end
_KEY_CACHE_LIMIT = 100_000
_plain_keys: set[str] = set()
_secret_keys: set[str] = set()

_PEM_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY")
_JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
_TENCENT_SECRET_ID = re.compile(r"(?<![A-Za-z0-9])AKID[A-Za-z0-9]{32,}")
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^\s/@:]*):[^\s/@]+@([^\s/@?#]+)")
# every secret pattern contains one of these; a value without any is not looked at again
_TRIGGERS = ("-----BEGIN", "eyJ", "AKID", "://")
_CONTAINERS = frozenset({YMap, YSeq})


def is_secret_key(key: str) -> bool:
    """Whether ``key`` names a secret: its last word (snake_case, kebab-case or camelCase) is
    password, passwd, pwd, secret, token or credential, or its last two are private/api/access/
    secret followed by key. ``db_password``, ``clientSecret`` and ``DBPassword`` do;
    ``passwordless``, ``token_endpoint`` and ``secret_store`` (a thing about secrets, not one)
    do not."""
    if key in _plain_keys:
        return False
    if key in _secret_keys:
        return True
    words = [w for w in _NOT_ALNUM.split(_CAMEL_HUMP.sub("_", key).lower()) if w]
    secret = bool(words) and (
        words[-1] in _SECRET_WORDS or (len(words) >= 2 and (words[-2], words[-1]) in _SECRET_PAIRS)
    )
    decided = _secret_keys if secret else _plain_keys
    if len(decided) < _KEY_CACHE_LIMIT:
        decided.add(key)
    return secret


def secret_kind(text: str) -> str | None:
    """What secret ``text`` carries, described without repeating it, or None."""
    if "-----BEGIN" in text and _PEM_KEY.search(text):
        return "a PEM private key"
    if "eyJ" in text and _JWT.search(text):
        return "a JSON Web Token"
    if "AKID" in text and _TENCENT_SECRET_ID.search(text):
        return "a Tencent Cloud SecretId"
    if "://" in text:
        found = _URL_PASSWORD.search(text)
        if found:
            return f"a URL with a password ({found[1]}://{found[2]}:****@{found[3]})"
    return None


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


def _may_have_secret_key(document: Document) -> bool:
    for maps, _values in _levels(document.root):
        keys = itertools.chain.from_iterable(maps)
        if not _plain_keys.issuperset(keys) and any(is_secret_key(k) for m in maps for k in m):
            return True
    return False


def _may_have_secret_value(document: Document) -> bool:
    for _maps, values in _levels(document.root):
        text = "\0".join(filter(str.__instancecheck__, values))
        if any(trigger in text for trigger in _TRIGGERS):
            return True
    return False


def _is_literal(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and not value.startswith(SECRET_REFERENCE)


@file_rule("DFP-SEC-001", Severity.ERROR)
def secret_keys_hold_references(document: Document) -> Iterator[RawFinding]:
    """A key named like a secret holds a secret:// reference, never the secret itself.

    Keys whose words include password, passwd, pwd, secret, token or credential, or end in
    private/api/access/secret key (db_password, clientSecret, api_key), in any file.

    Passing:
        client_secret: secret://portal/sso/unified-portal

    Failing:
        client_secret: 9f86d081884c7d659a2feaa0c55ad015
    """
    if not _may_have_secret_key(document):
        return
    stack: list[Any] = [document.root]
    while stack:
        node = stack.pop()
        if isinstance(node, YMap):
            for key, value in node.items():
                if isinstance(value, (YMap, YSeq)):
                    stack.append(value)
                elif _is_literal(value) and is_secret_key(key):
                    line, column = node.key_pos[key][2:]
                    yield RawFinding(
                        line,
                        column,
                        f'"{key}" holds a literal value; put the secret in the secret store and '
                        f"write its reference here (secret://<store>/<path>)",
                    )
        elif isinstance(node, YSeq):
            stack.extend(item for item in node if isinstance(item, (YMap, YSeq)))


@file_rule("DFP-SEC-002", Severity.ERROR)
def no_secret_values(document: Document) -> Iterator[RawFinding]:
    """No value anywhere looks like a secret.

    Found: a PEM private key, a JSON Web Token (eyJ….….…), a Tencent Cloud SecretId (AKID and
    32 or more letters and digits), a URL with a password (scheme://user:password@host). A
    value under a key named like a secret is DFP-SEC-001's and is not reported twice.

    Passing:
        url: https://portal.xx-gov.example/
        dsn: secret://tdsql/budget/dsn

    Failing:
        url: mysql://budget:Budget2026@10.20.4.11:3306/budget
        note: "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHMifQ.c2lnbmF0dXJl"
    """
    if not _may_have_secret_value(document):
        return
    stack: list[Any] = [document.root]
    while stack:
        node = stack.pop()
        if isinstance(node, YMap):
            for key, value in node.items():
                if isinstance(value, str):
                    kind = secret_kind(value)
                    if kind and not (_is_literal(value) and is_secret_key(key)):
                        line, column = node.key_pos[key][2:]
                        yield RawFinding(line, column, _message(kind))
                elif isinstance(value, (YMap, YSeq)):
                    stack.append(value)
        elif isinstance(node, YSeq):
            for item, (line, column) in zip(node, node.item_pos, strict=True):
                if isinstance(item, str):
                    kind = secret_kind(item)
                    if kind:
                        yield RawFinding(line, column, _message(kind))
                elif isinstance(item, (YMap, YSeq)):
                    stack.append(item)


def _message(kind: str) -> str:
    return (
        f"value looks like {kind}; put the secret in the secret store and write its reference "
        "here (secret://<store>/<path>)"
    )


RULES = (secret_keys_hold_references, no_secret_values)
