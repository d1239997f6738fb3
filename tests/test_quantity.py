"""Kubernetes quantities: the grammar, exact values, and the canonical spelling Kubernetes prints.

Expected canonical spellings are those of apimachinery's ``Quantity.CanonicalizeBytes``.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from dfctl.errors import QuantityError
from dfctl.quantity import (
    MAX_DIGITS,
    MAX_EXPONENT,
    Format,
    format_quantity,
    is_quantity,
    parse_quantity,
)

KI = 2**10
MI = 2**20
GI = 2**30

D = Format.DECIMAL_SI
B = Format.BINARY_SI
X = Format.DECIMAL_EXPONENT

VALID: list[tuple[str | int, Fraction, Format]] = [
    ("0", Fraction(0), D),
    ("4", Fraction(4), D),
    (4, Fraction(4), D),
    (-4, Fraction(-4), D),
    ("0.5", Fraction(1, 2), D),
    ("500m", Fraction(1, 2), D),
    (".5", Fraction(1, 2), D),
    ("5.", Fraction(5), D),
    ("+1", Fraction(1), D),
    ("-250m", Fraction(-1, 4), D),
    ("007", Fraction(7), D),
    ("1n", Fraction(1, 10**9), D),
    ("1u", Fraction(1, 10**6), D),
    ("1k", Fraction(1000), D),
    ("1M", Fraction(10**6), D),
    ("1G", Fraction(10**9), D),
    ("1T", Fraction(10**12), D),
    ("1P", Fraction(10**15), D),
    ("1E", Fraction(10**18), D),
    ("1.G", Fraction(10**9), D),
    ("1Ki", Fraction(KI), B),
    ("1Mi", Fraction(MI), B),
    ("1Gi", Fraction(GI), B),
    ("1Ti", Fraction(2**40), B),
    ("1Pi", Fraction(2**50), B),
    ("1Ei", Fraction(2**60), B),
    ("1.5Gi", Fraction(3 * GI, 2), B),
    ("1024Mi", Fraction(GI), B),
    ("1e3", Fraction(1000), X),
    ("1E3", Fraction(1000), X),
    ("1e+3", Fraction(1000), X),
    ("1e-3", Fraction(1, 1000), X),
    ("2.5e2", Fraction(250), X),
    ("1e0", Fraction(1), X),
    ("0.1n", Fraction(1, 10**10), D),
]


@pytest.mark.parametrize(("text", "value", "fmt"), VALID, ids=[str(v[0]) for v in VALID])
def test_valid_quantities(text: str | int, value: Fraction, fmt: Format) -> None:
    quantity = parse_quantity(text)
    assert quantity.value == value
    assert quantity.format is fmt
    assert quantity.text == str(text)
    assert is_quantity(text)


INVALID: list[tuple[str | int | bool, str]] = [
    ("", "an empty string is not a quantity"),
    ("Ki", '"Ki" has no number before its suffix'),
    ("-", '"-" has no number before its suffix'),
    (".", '"." has no number before its suffix'),
    ("+.m", '"+.m" has no number before its suffix'),
    ("1K", '"1K" has suffix "K"; Kubernetes writes k (powers of 1000) or Ki (powers of 1024)'),
    ("16GB", '"16GB" has suffix "GB"; Kubernetes writes G (powers of 1000) or Gi (powers of 1024)'),
    ("16gi", '"16gi" has suffix "gi"; Kubernetes writes Gi'),
    ("1mi", '"1mi" has suffix "mi"; Kubernetes writes Mi'),
    (
        "1Gib",
        '"1Gib" has suffix "Gib"; Kubernetes writes Ki Mi Gi Ti Pi Ei, n u m k M G T P E, '
        "or an exponent like e3",
    ),
    ("1e", '"1e" has exponent "e"; an exponent is e and a whole number, e.g. 1e3'),
    ("1e1.5", '"1e1.5" has exponent "e1.5"; an exponent is e and a whole number, e.g. 1e3'),
    (
        "1e3Ki",
        '"1e3Ki" has suffix "e3Ki"; Kubernetes writes Ki Mi Gi Ti Pi Ei, n u m k M G T P E, '
        "or an exponent like e3",
    ),
    ("1.2.3", '"1.2.3" is not a number with an optional suffix, e.g. 500m, 4 or 16Gi'),
    ("--1", '"--1" does not start with a number; e.g. 500m, 4 or 16Gi'),
    ("abc", '"abc" does not start with a number; e.g. 500m, 4 or 16Gi'),
    (" 1", '" 1" contains spaces; write the number and its suffix together, e.g. 16Gi'),
    ("4 Gi", '"4 Gi" contains spaces; write the number and its suffix together, e.g. 16Gi'),
    ("１Gi", '"１Gi" does not start with a number; e.g. 500m, 4 or 16Gi'),
    ("1e1001", f'"1e1001" has an exponent beyond ±{MAX_EXPONENT}'),
    ("1e-1001", f'"1e-1001" has an exponent beyond ±{MAX_EXPONENT}'),
    ("1e" + "9" * 5000, f'"1e{"9" * 5000}" has an exponent beyond ±{MAX_EXPONENT}'),
    ("1" * (MAX_DIGITS + 1), f'"{"1" * (MAX_DIGITS + 1)}" has more than {MAX_DIGITS} digits'),
    (True, "True is not a quantity; write a string such as 500m or 16Gi"),
]


@pytest.mark.parametrize(("text", "message"), INVALID, ids=[str(v[0])[:20] for v in INVALID])
def test_invalid_quantities(text: str | int, message: str) -> None:
    with pytest.raises(QuantityError) as raised:
        parse_quantity(text)
    assert str(raised.value) == message
    assert not is_quantity(text)


def test_limits_are_inclusive() -> None:
    assert parse_quantity(f"1e{MAX_EXPONENT}").value == 10**MAX_EXPONENT
    assert parse_quantity(f"1e-{MAX_EXPONENT}").value == Fraction(1, 10**MAX_EXPONENT)
    assert parse_quantity("9" * MAX_DIGITS).value == 10**MAX_DIGITS - 1


EQUAL = [
    ("0.5", "500m"),
    ("1024Mi", "1Gi"),
    ("1e3", "1k"),
    ("1.5", "1500m"),
    ("1536Mi", "1.5Gi"),
    ("1000000u", "1"),
    ("0.001", "1m"),
    ("1e-9", "1n"),
    ("-0", "0"),
]


@pytest.mark.parametrize(("left", "right"), EQUAL, ids=[f"{a}=={b}" for a, b in EQUAL])
def test_equal_values(left: str, right: str) -> None:
    assert parse_quantity(left) == parse_quantity(right)
    assert hash(parse_quantity(left)) == hash(parse_quantity(right))


def test_order_follows_value_not_spelling() -> None:
    ordered = ["-1", "999m", "1", "1001m", "1k", "1Ki", "1M", "1Mi", "1G", "1Gi"]
    shuffled = sorted(ordered, key=lambda t: t[::-1])
    assert [q.text for q in sorted(parse_quantity(t) for t in shuffled)] == ordered
    assert parse_quantity("1000") != parse_quantity("1Ki")
    assert parse_quantity("1k") < parse_quantity("1Ki")


CANONICAL = [
    ("0", "0"),
    ("0Ki", "0"),
    ("0.0", "0"),
    ("0.5", "500m"),
    ("1.5", "1500m"),
    ("1000", "1k"),
    ("1100", "1100"),
    ("100", "100"),
    ("1024Mi", "1Gi"),
    ("1.5Gi", "1536Mi"),
    ("0.5Gi", "512Mi"),
    ("1536Ki", "1536Ki"),
    ("1.5Ki", "1536"),
    ("512", "512"),
    ("1023Ki", "1023Ki"),
    ("2048Ki", "2Mi"),
    ("-1.5Ki", "-1536"),
    ("0.1Ki", "102400m"),
    ("1e3", "1e3"),
    ("1E3", "1e3"),
    ("12e20", "1200e18"),
    ("1.5e-3", "1500e-6"),
    ("1e0", "1"),
    ("1000E", "1e21"),
    ("1000000n", "1m"),
    ("0.1n", "1n"),
    ("-0.1n", "-1n"),
    ("1.0000000001", "1000000001n"),
    ("8Ei", "9223372036854775807"),
    ("0.0000000001Ki", "103n"),
    ("16E", "16E"),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL, ids=[v[0] for v in CANONICAL])
def test_canonical_spelling(text: str, canonical: str) -> None:
    assert parse_quantity(text).canonical() == canonical


def test_stored_value_rounds_to_nano_and_caps_binary() -> None:
    assert parse_quantity("0.1n").stored == Fraction(1, 10**9)
    assert parse_quantity("-0.1n").stored == Fraction(-1, 10**9)
    assert parse_quantity("1.0000000001").stored == Fraction(1_000_000_001, 10**9)
    assert parse_quantity("8Ei").stored == 2**63 - 1
    assert parse_quantity("-8Ei").stored == -(2**63 - 1)
    # the cap is for binarySI only
    assert parse_quantity("10E").stored == 10**19
    assert parse_quantity("1.5Gi").stored == parse_quantity("1.5Gi").value


def test_format_quantity_spells_sums() -> None:
    total = sum((parse_quantity(t).value for t in ("768Gi", "0.75Ti")), Fraction(0))
    assert format_quantity(total, Format.BINARY_SI) == "1536Gi"
    assert format_quantity(Fraction(448)) == "448"
    assert format_quantity(Fraction(3, 2)) == "1500m"


ROUNDED_TO_MILLI: list[tuple[str | int, Fraction]] = [
    ("3.001n", Fraction(1, 1000)),  # parsed to 4n, then rounded up to 1m
    ("1u", Fraction(1, 1000)),
    ("1.5m", Fraction(2, 1000)),
    ("999999n", Fraction(1, 1000)),
    ("999999u", Fraction(1)),
    ("0.0001Ki", Fraction(103, 1000)),  # 0.1024
    ("12e-4", Fraction(2, 1000)),
    ("-1.5m", Fraction(-2, 1000)),  # away from zero, as apimachinery's negativeScaleInt64
    ("250m", Fraction(1, 4)),
    ("1Gi", Fraction(GI)),
    ("0", Fraction(0)),
    (7, Fraction(7)),
]


@pytest.mark.parametrize(("text", "expected"), ROUNDED_TO_MILLI)
def test_rounded_up_to_milli_as_the_resource_list_defaulter_does(
    text: str | int, expected: Fraction
) -> None:
    assert parse_quantity(text).rounded_up(3) == expected
