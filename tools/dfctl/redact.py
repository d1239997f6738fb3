"""Finding secrets in text, and masking them, so that no message dfctl prints repeats one.

A secret is recognised three ways:

- by the key that holds it: a key whose last word is password, passwd, pwd, pass, secret,
  token, credential(s), ak or sk, or whose last two words are private/api/access/secret/
  signing/encryption key (``db_password``, ``clientSecret``, ``oss_ak``), or that ends in one of
  the Chinese words 密码, 口令, 密钥, 秘钥, 私钥, 令牌, 授权码 (``数据库密码``);
- by its shape, wherever it is written: a PEM private key, a JSON Web Token, a cloud access key
  id (Tencent Cloud ``AKID…``, Alibaba Cloud ``LTAI…``, AWS ``AKIA…``/``ASIA…``), the password of
  a URL (``scheme://user:password@host``), of a Go-style DSN (``user:password@tcp(host)``) or of
  an Oracle JDBC URL (``jdbc:oracle:thin:user/password@host``), and the value of a secret-named
  parameter in a connection string (``;Pwd=…;``, ``?password=…&``, ``password=… host=…``);
- in free text (descriptions, notes, reasons): a secret-named word followed by ``:`` or ``=``
  (or 是/为 after a Chinese one) and a password-like value, and high-entropy tokens: twenty or
  more letters and digits in both cases, as generated keys are.

``secret://<store>/<path>`` references are the allowed form and are never reported. This module
imports nothing of dfctl: the :class:`~dfctl.diagnostics.Diagnostic` record masks its own message
with :func:`redact`, so no rule, whatever it quotes, and no output format can print a secret that
has one of these shapes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

MASK = "****"
SECRET_REFERENCE = "secret://"

_SECRET_WORDS = frozenset(
    {
        "password",
        "passwords",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "tokens",
        "credential",
        "credentials",
        "privatekey",
        "privkey",
        "apikey",
        "accesskey",
        "secretkey",
        "ak",
        "sk",
    }
)
_SECRET_PAIRS = frozenset(
    {
        ("private", "key"),
        ("api", "key"),
        ("access", "key"),
        ("secret", "key"),
        ("signing", "key"),
        ("encryption", "key"),
    }
)
# 凭证 is left out on purpose: in finance it is a voucher (支付凭证), not a credential.
CHINESE_SECRET_WORDS = ("密码", "口令", "密钥", "秘钥", "私钥", "令牌", "授权码")
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")

# key names already decided; bounded so that odd content cannot grow them without end
_KEY_CACHE_LIMIT = 100_000
_plain_keys: set[str] = set()
_secret_keys: set[str] = set()


def is_secret_key(key: str) -> bool:
    """Whether ``key`` names a secret (see the module's description).

    ``db_password``, ``clientSecret``, ``DBPassword``, ``oss_ak`` and ``数据库密码`` do;
    ``passwordless``, ``token_endpoint``, ``secret_store`` (a thing about secrets, not one),
    ``password_policy`` and ``密码策略`` do not."""
    if key in _plain_keys:
        return False
    if key in _secret_keys:
        return True
    secret = _decide_key(key)
    decided = _secret_keys if secret else _plain_keys
    if len(decided) < _KEY_CACHE_LIMIT:
        decided.add(key)
    return secret


def _decide_key(key: str) -> bool:
    stripped = key.strip()
    if stripped.endswith(CHINESE_SECRET_WORDS):
        return True
    words = [w for w in _NOT_ALNUM.split(_CAMEL_HUMP.sub("_", stripped).lower()) if w]
    if not words:
        return False
    return words[-1] in _SECRET_WORDS or (
        len(words) >= 2 and (words[-2], words[-1]) in _SECRET_PAIRS
    )


@dataclass(frozen=True)
class Hit:
    """A secret inside a text: what it is, and where (``text[start:end]`` is the secret)."""

    kind: str
    start: int
    end: int
    context: str = ""  # where it is, masked: "mysql://budget:****@10.20.4.11:3306"

    def describe(self) -> str:
        return f"{self.kind} ({self.context})" if self.context else self.kind


_PEM_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|.*\Z)",
    re.DOTALL,
)
_JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
_CLOUD_KEYS = (
    ("a Tencent Cloud SecretId", re.compile(r"(?<![A-Za-z0-9])AKID[A-Za-z0-9]{32,}")),
    (
        "an Alibaba Cloud AccessKey ID",
        re.compile(r"(?<![A-Za-z0-9])LTAI[A-Za-z0-9]{12,28}(?![A-Za-z0-9])"),
    ),
    (
        "an AWS access key id",
        re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    ),
)
# The password runs to the last "@" before the host (a password may hold "@", ":", "#"); ";"
# ends it: "sqlserver://host:1433;user=sa;password=…" has no user-info at all.
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^\s/@:;?#]*):([^\s/;]+)@([^\s/@?#;]+)")
_GO_DSN = re.compile(r"(?<![^\s\"'=,;(])([^\s:/@\"']+):([^\s/\"']+)@(?:tcp|udp|unix)\(")
_ORACLE = re.compile(r"jdbc:oracle:[a-z]+:@?([^\s/@:]+)/([^\s/]+)@")
# name=value inside a connection string or a URL query; the name decides (is_secret_key). The
# value runs to what separates parameters (";", "&", a space) or ends the text around it, so a
# password holding "," or ")" is masked whole: masking too much is harmless, too little is not.
_PARAMETER = re.compile(
    r"(?<![\w.\-])([A-Za-z][\w.\-]*)[ \t]*=[ \t]*(\{[^}]*\}|[^\s;&'\"，。；、]+)"
)
# free text: "password: …", "pwd=…", "密码：…", "口令是…"
_PHRASE = re.compile(
    r"(?<![\w.\-])([A-Za-z][\w.\-]*)[ \t]*[:：=][ \t]*(?!//)([^\s，。；;、）\"']+)"
)
_CHINESE_PHRASE = re.compile(
    "(" + "|".join(CHINESE_SECRET_WORDS) + r")[ \t]*(?:[:：=]|是|为)[ \t]*([^\s，。；;、）\"']+)"
)
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{20,}(?![A-Za-z0-9+/])")
_MIN_ENTROPY = 3.5  # bits per character; random base62 of 20 characters has about 4.0
_WORDS = re.compile(r"[a-z]{4,}")
_MAX_WORDS_SHARE = 0.4  # words written in lower case: paths, names; rare in random text


def _pem_keys(text: str) -> list[Hit]:
    return [Hit("a PEM private key", m.start(), m.end()) for m in _PEM_KEY.finditer(text)]


def _jwts(text: str) -> list[Hit]:
    return [Hit("a JSON Web Token", m.start(), m.end()) for m in _JWT.finditer(text)]


def _cloud_keys(text: str) -> list[Hit]:
    return [
        Hit(kind, m.start(), m.end())
        for kind, pattern in _CLOUD_KEYS
        for m in pattern.finditer(text)
    ]


def _url_passwords(text: str) -> list[Hit]:
    return [
        Hit("a URL with a password", m.start(3), m.end(3), f"{m[1]}://{m[2]}:{MASK}@{m[4]}")
        for m in _URL_PASSWORD.finditer(text)
        if _is_secret_value(m[3])
    ]


def _dsn_passwords(text: str) -> list[Hit]:
    return [
        Hit("a DSN with a password", m.start(2), m.end(2))
        for m in _GO_DSN.finditer(text)
        if _is_secret_value(m[2])
    ]


def _oracle_passwords(text: str) -> list[Hit]:
    return [
        Hit("a JDBC URL with a password", m.start(2), m.end(2))
        for m in _ORACLE.finditer(text)
        if _is_secret_value(m[2])
    ]


def _parameters(text: str) -> list[Hit]:
    return [
        Hit(f'a password in "{m[1]}={MASK}"', m.start(2), m.end(2))
        for m in _PARAMETER.finditer(text)
        if _is_secret_value(m[2]) and is_secret_key(m[1])
    ]


# (text every match contains, the finder): a finder runs only on text holding its trigger
_SHAPES: tuple[tuple[tuple[str, ...], Callable[[str], list[Hit]]], ...] = (
    (("-----BEGIN",), _pem_keys),
    (("eyJ",), _jwts),
    (("AKID", "LTAI", "AKIA", "ASIA"), _cloud_keys),
    (("://",), _url_passwords),
    (("@tcp(", "@udp(", "@unix("), _dsn_passwords),
    (("jdbc:oracle:",), _oracle_passwords),
    (("=",), _parameters),
)
_TRIGGERS = tuple(trigger for triggers, _finder in _SHAPES for trigger in triggers)


def may_hold_secret(text: str) -> bool:
    """A cheap screen: False means :func:`secret_hits` finds nothing in ``text``."""
    return any(trigger in text for trigger in _TRIGGERS)


def secret_hits(text: str) -> list[Hit]:
    """Secrets that have a shape of their own, in any text (see the module's description)."""
    hits: list[Hit] = []
    for triggers, finder in _SHAPES:
        if any(trigger in text for trigger in triggers):
            hits += finder(text)
    return _without_overlaps(hits)


def free_text_hits(text: str) -> list[Hit]:
    """Secrets in prose: shaped ones, a secret-named word given a password-like value, and
    high-entropy tokens."""
    hits = secret_hits(text)
    for m in _PHRASE.finditer(text):
        if is_secret_key(m[1]) and _looks_like_password(m[2]):
            hits.append(Hit(f'a password after "{m[1]}"', m.start(2), m.end(2)))
    for m in _CHINESE_PHRASE.finditer(text):
        if _looks_like_password(m[2]):
            hits.append(Hit(f'a password after "{m[1]}"', m.start(2), m.end(2)))
    hits += [Hit("a high-entropy token", s, e) for s, e in _random_tokens(text)]
    return _without_overlaps(hits)


def secret_kind(text: str) -> str | None:
    """What secret ``text`` carries (the first one), described without repeating it, or None."""
    hits = secret_hits(text)
    return hits[0].kind if hits else None


def redact(text: str) -> str:
    """``text`` with every secret :func:`free_text_hits` finds replaced by ``****``."""
    hits = free_text_hits(text)
    if not hits:
        return text
    out, at = [], 0
    for hit in hits:
        out.append(text[at : hit.start])
        out.append(MASK)
        at = hit.end
    out.append(text[at:])
    return "".join(out)


def may_be_secret(value: str) -> bool:
    """Whether a value quoted back to the reader could be a secret: one that has a shape, a
    high-entropy token, or a password-like word (upper- and lower-case letters and digits, or
    letters, digits and a symbol)."""
    if free_text_hits(value):
        return True
    return " " not in value.strip() and _looks_like_password(value.strip(), strict=True)


def shown(value: str, limit: int = 40) -> str:
    """``value`` quoted for a message, or a description of it when it may be a secret."""
    if may_be_secret(value):
        return f"a value of {len(value)} characters that may be a secret (not shown)"
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _is_secret_value(value: str) -> bool:
    return bool(value) and not value.startswith((SECRET_REFERENCE, MASK))


_BENIGN_SYMBOLS = frozenset("-._/:")


def _looks_like_password(value: str, strict: bool = False) -> bool:
    """A word people choose as a password: at least 4 characters (8 with ``strict``), ASCII
    letters or digits in it, and a mix: a digit with both cases, or letters, digits and a symbol
    other than - . _ / : . Long runs of letters and digits (16 or more, both present) too."""
    if not _is_secret_value(value) or any(ord(c) > 0x7F for c in value):
        return False
    lower = any(c.islower() for c in value)
    upper = any(c.isupper() for c in value)
    digit = any(c.isdigit() for c in value)
    symbol = any(not c.isalnum() and c not in _BENIGN_SYMBOLS for c in value)
    if value.isalnum() and len(value) >= 16 and digit and (lower or upper):
        return True
    if len(value) < (8 if strict else 4):
        return False
    if strict:
        return digit and ((upper and lower) or ((upper or lower) and symbol))
    return digit or symbol or (upper and lower)


def _random_tokens(text: str) -> list[tuple[int, int]]:
    found = []
    for m in _TOKEN.finditer(text):
        token = m[0]
        if (
            any(c.isdigit() for c in token)
            and any(c.isupper() for c in token)
            and any(c.islower() for c in token)
            and _entropy(token) >= _MIN_ENTROPY
            and sum(map(len, _WORDS.findall(token))) <= _MAX_WORDS_SHARE * len(token)
        ):
            found.append((m.start(), m.end()))
    return found


def _entropy(token: str) -> float:
    counts = Counter(token)
    size = len(token)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def _without_overlaps(hits: list[Hit]) -> list[Hit]:
    """In text order; of overlapping hits the earliest (then longest) is kept."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if kept and hit.start < kept[-1].end:
            if hit.end > kept[-1].end:
                kept[-1] = Hit(kept[-1].kind, kept[-1].start, hit.end, kept[-1].context)
            continue
        kept.append(hit)
    return kept
