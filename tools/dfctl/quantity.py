"""Kubernetes resource quantities (``k8s.io/apimachinery`` ``resource.Quantity``), read exactly.

The grammar, as apimachinery documents it::

    <quantity>        ::= <signedNumber><suffix>
    <signedNumber>    ::= <number> | <sign><number>
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <sign>            ::= "+" | "-"
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>

Where apimachinery's scanner and that comment disagree, this module takes the stricter side, so
everything accepted here is accepted by the API server with the same value:

- an exponent is a signed *integer* (``1e3``, ``1e-3``; the scanner rejects ``1e1.5``);
- a number needs a digit: the scanner reads ``Ki``, ``-`` and ``.`` as zero, which in a
  configuration file is a typo, not a zero;
- no spaces anywhere, and suffixes are case-sensitive (``1K`` and ``1gi`` are not quantities).

dfctl adds one bound of its own: at most :data:`MAX_DIGITS` digits and an exponent within
±:data:`MAX_EXPONENT`, so that exact arithmetic stays cheap whatever a file holds. Real quantities
stop at ``E`` (10^18).

:attr:`Quantity.value` is the exact value as written (a :class:`~fractions.Fraction`); quantities
compare and hash by it, so ``0.5 == 500m`` and ``1024Mi == 1Gi``. :attr:`Quantity.stored` and
:meth:`Quantity.canonical` give what the API server keeps and prints after parsing.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass
from fractions import Fraction

from dfctl.errors import QuantityError

MAX_DIGITS = 100
MAX_EXPONENT = 1000

_NANO = 10**9
# apimachinery caps a binarySI quantity (only that format) at the largest int64
_BINARY_CAP = 2**63 - 1

_QUANTITY = re.compile(
    r"(?P<sign>[+-]?)"
    r"(?P<int>[0-9]*)(?:(?P<dot>\.)(?P<frac>[0-9]*))?"
    r"(?:(?P<binary>[KMGTPE]i)|[eE](?P<exp>[+-]?[0-9]+)|(?P<decimal>[numkMGTPE]?))"
)

_BINARY_POWERS = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_POWERS = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_DECIMAL_SUFFIXES = {power: suffix for suffix, power in _DECIMAL_POWERS.items()}
_BINARY_SUFFIXES = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")


class Format(enum.Enum):
    """Which kind of suffix a quantity was written with; the API server prints it the same way."""

    DECIMAL_SI = "DecimalSI"
    BINARY_SI = "BinarySI"
    DECIMAL_EXPONENT = "DecimalExponent"


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class Quantity:
    """A parsed quantity. Equality, order and hash follow the exact value, not the spelling."""

    text: str
    value: Fraction
    format: Format

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.value == other.value

    def __lt__(self, other: Quantity) -> bool:
        return self.value < other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return self.text

    @property
    def stored(self) -> Fraction:
        """The value the API server keeps: a non-zero value finer than 1n is rounded away from
        zero to the nearest nano, and a binarySI value is capped at 2^63-1 in magnitude."""
        return _stored(self.value, self.format)[0]

    def rounded_up(self, places: int) -> Fraction:
        """The stored value rounded away from zero to ``places`` decimal places, as
        apimachinery's ``Quantity.RoundUp(-places)`` does (the core/v1 defaulter rounds every
        resource-list value to milli, ``places=3``: ``3.001n`` → ``1m``)."""
        value = self.stored
        scaled = abs(value) * 10**places
        whole = -(-scaled.numerator // scaled.denominator)
        magnitude = Fraction(whole, 10**places)
        return -magnitude if value < 0 else magnitude

    def canonical(self) -> str:
        """The canonical spelling Kubernetes uses for this value (``Quantity.String()``).

        The exponent is as large as possible without fractional digits: ``0.5`` → ``500m``,
        ``1024Mi`` → ``1Gi``, ``1.5Gi`` → ``1536Mi``, ``1000`` → ``1k``; an exponent spelling
        stays one (``1e3``). This is apimachinery's ``CanonicalizeBytes``; its ``String()`` echoes
        a few inputs unchanged instead (``+1``, ``01``, ``1E3``), so compare quantities by value,
        never by string.
        """
        amount, fmt = _stored(self.value, self.format)
        if amount == 0:
            return "0"
        if fmt is Format.BINARY_SI and (abs(amount) < 1024 or amount.denominator != 1):
            fmt = Format.DECIMAL_SI
        if fmt is Format.BINARY_SI:
            number, power = amount.numerator, 0
            while number % 1024 == 0:
                number //= 1024
                power += 1
            return f"{number}{_BINARY_SUFFIXES[power]}"
        # after rounding to nano the amount is a whole number of nanos
        number, exponent = int(amount * _NANO), -9
        while number % 10 == 0:
            number //= 10
            exponent += 1
        while exponent % 3:
            number *= 10
            exponent -= 1
        if fmt is Format.DECIMAL_SI and exponent in _DECIMAL_SUFFIXES:
            return f"{number}{_DECIMAL_SUFFIXES[exponent]}"
        return f"{number}e{exponent}" if exponent else str(number)


def parse_quantity(text: str | int) -> Quantity:
    """Read ``text`` (a YAML string or integer) as a quantity; raise QuantityError if it is not."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise QuantityError(f"{text!r} is not a quantity; write a string such as 500m or 16Gi")
    written = str(text)
    if not written:
        raise QuantityError("an empty string is not a quantity")
    found = _QUANTITY.fullmatch(written)
    if found is None:
        raise QuantityError(_explain(written))
    whole, fraction = found["int"], found["frac"] or ""
    if not whole and not fraction:
        raise QuantityError(f'"{written}" has no number before its suffix')
    if len(whole) + len(fraction) > MAX_DIGITS:
        raise QuantityError(f'"{written}" has more than {MAX_DIGITS} digits')
    value = Fraction(int(whole + fraction or "0"), 10 ** len(fraction))
    if found["binary"] is not None:
        fmt = Format.BINARY_SI
        value *= 2 ** _BINARY_POWERS[found["binary"]]
    else:
        if found["exp"] is not None:
            fmt = Format.DECIMAL_EXPONENT
            # compare lengths first: int() of a 5,000-digit exponent is itself refused
            too_long = len(found["exp"].lstrip("+-0")) > len(str(MAX_EXPONENT))
            exponent = 0 if too_long else int(found["exp"])
            if too_long or abs(exponent) > MAX_EXPONENT:
                raise QuantityError(f'"{written}" has an exponent beyond ±{MAX_EXPONENT}')
        else:
            fmt = Format.DECIMAL_SI
            exponent = _DECIMAL_POWERS[found["decimal"]]
        value *= Fraction(10) ** exponent
    return Quantity(written, -value if found["sign"] == "-" else value, fmt)


def format_quantity(value: Fraction, fmt: Format = Format.DECIMAL_SI) -> str:
    """``value`` (a sum, say) spelled the canonical Kubernetes way for ``fmt``."""
    return Quantity("", value, fmt).canonical()


def is_quantity(text: str | int) -> bool:
    try:
        parse_quantity(text)
    except QuantityError:
        return False
    return True


def _stored(value: Fraction, fmt: Format) -> tuple[Fraction, Format]:
    magnitude = abs(value)
    if magnitude.denominator != 1:
        nanos = magnitude * _NANO
        magnitude = Fraction(-(-nanos.numerator // nanos.denominator), _NANO)
    if fmt is Format.BINARY_SI:
        magnitude = min(magnitude, Fraction(_BINARY_CAP))
        if 0 < magnitude < 1:
            fmt = Format.DECIMAL_SI
    return (-magnitude if value < 0 else magnitude), fmt


_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_ALL_SUFFIXES = (*_BINARY_POWERS, *(s for s in _DECIMAL_POWERS if s))


def _explain(written: str) -> str:
    if any(c.isspace() for c in written):
        return f'"{written}" contains spaces; write the number and its suffix together, e.g. 16Gi'
    number = _NUMBER.match(written)
    if number is None:
        return f'"{written}" does not start with a number; e.g. 500m, 4 or 16Gi'
    suffix = written[number.end() :]
    if suffix[0] in ".0123456789+-":
        return f'"{written}" is not a number with an optional suffix, e.g. 500m, 4 or 16Gi'
    if re.fullmatch(r"[eE][+-]?[0-9.]*", suffix):
        return f'"{written}" has exponent "{suffix}"; an exponent is e and a whole number, e.g. 1e3'
    if suffix.upper() in ("K", "KB", "MB", "GB", "TB", "PB", "EB"):
        unit = "k" if suffix[0] in "kK" else suffix[0].upper()
        hint = f"{unit} (powers of 1000) or {unit.upper()}i (powers of 1024)"
    else:
        close = [s for s in _ALL_SUFFIXES if s.lower() == suffix.lower()]
        hint = close[0] if close else "Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or an exponent like e3"
    return f'"{written}" has suffix "{suffix}"; Kubernetes writes {hint}'
