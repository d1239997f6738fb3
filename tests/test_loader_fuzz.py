"""Property tests: the loader turns any input into diagnostics, never into an exception.

Three kinds of input: arbitrary bytes; text built from YAML's indicator characters, letters,
digits and Chinese; and JSON-shaped documents (JSON is YAML) of every kind, with the kind's own
keys and values of every type, so ``check_structure`` sees near-valid data as well as nonsense.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dfctl.diagnostics import Diagnostic
from dfctl.load.structure import check_structure
from dfctl.load.yamlread import read_yaml
from dfctl.model import KINDS

RULE_ID = re.compile(r"^DFP-[A-Z]+-\d{3}$")
PATH = "standards/elements/exp-func-2026.yaml"

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)

YAMLISH = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(":-[]{}&*!|>'\"#\n\t %@`,?~.\r")),
        st.sampled_from(list("abcxyzABCtrueflsn")),
        st.sampled_from(list("0123456789")),
        st.sampled_from(list("一般公共服务支出行政运行预算")),
    ),
    max_size=200,
)


def assert_well_formed(diagnostics: list[Diagnostic], path: str, text: str | None = None) -> None:
    for d in diagnostics:
        assert d.file == path
        assert d.line >= 1
        assert d.column >= 1
        assert RULE_ID.fullmatch(d.rule), d.rule
        assert d.message
        assert d.message[0] == d.message[0].lower() or not d.message[0].isalpha()
        if text is not None:
            assert d.line <= text.count("\n") + 2


def load(path: str, data: bytes, text: str | None = None) -> None:
    result = read_yaml(path, data)
    assert (result.document is None) == bool(result.diagnostics)
    assert_well_formed(result.diagnostics, path, text)
    if result.document is None:
        return
    model, found = check_structure(result.document)
    assert (model is None) == bool(found)
    assert_well_formed(found, path, text)


@FUZZ
@given(st.binary(max_size=600))
def test_read_yaml_never_raises_on_bytes(data: bytes) -> None:
    load(PATH, data)


@FUZZ
@given(YAMLISH)
def test_read_yaml_never_raises_on_yaml_like_text(text: str) -> None:
    load(PATH, text.encode("utf-8"), text)


LINES = st.lists(
    st.tuples(
        st.integers(0, 6),
        st.sampled_from(["", "- ", "code", "name", "- code", "? ", "<<", "&a k", "*a", "201"]),
        st.sampled_from([": ", ":", " ", ": &a ", ": *a ", ": !!str ", ": !x ", ": |\n", ""]),
        YAMLISH.filter(lambda t: "\n" not in t),
    ),
    max_size=12,
)


@FUZZ
@given(LINES)
def test_read_yaml_never_raises_on_indented_lines(lines: list[tuple[int, str, str, str]]) -> None:
    text = "".join(" " * indent + key + sep + value + "\n" for indent, key, sep, value in lines)
    load(PATH, text.encode("utf-8"), text)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["201", "2010101", "行政运行", "2026-01-01", "production", "1.30", "4Gi", ""]),
    st.text(max_size=12),
)


def documents() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    def for_kind(kind: str) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
        info = KINDS[kind]
        keys = [field.alias or name for name, field in info.model.model_fields.items()]
        nested_keys = st.sampled_from([*keys, "code", "name", "cpu", "members", "unknown"])
        values = st.recursive(
            SCALARS,
            lambda inner: st.one_of(
                st.lists(inner, max_size=3), st.dictionaries(nested_keys, inner, max_size=4)
            ),
            max_leaves=12,
        )
        body = st.dictionaries(st.sampled_from(keys), values, max_size=len(keys))
        envelope = st.fixed_dictionaries(
            {"apiVersion": st.sampled_from(["dfp.config/v1", "v1"]), "kind": st.just(kind)}
        )
        path = _path_for(kind)
        return st.tuples(st.just(path), st.builds(lambda b, e: {**b, **e}, body, envelope))

    return st.sampled_from(sorted(KINDS)).flatmap(for_kind)


def _path_for(kind: str) -> str:
    folder = KINDS[kind].folder
    if folder.endswith(".yaml"):
        return folder
    return folder.replace("<stage>", "production") + "fuzz.yaml"


@FUZZ
@given(documents())
def test_check_structure_never_raises_on_documents_of_every_kind(
    document: tuple[str, dict[str, Any]],
) -> None:
    path, data = document
    assert KINDS[data["kind"]].path.match(path)
    text = json.dumps(data, ensure_ascii=False, indent=1)
    load(path, text.encode("utf-8"), text)
