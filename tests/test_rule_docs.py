"""Every registered rule documents itself, and `dfctl explain` shows that documentation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dfctl.checks import RULES, Rule
from dfctl.cli import main

RULE_IDS = sorted(RULES)
RULE_ID = re.compile(r"^DFP-[A-Z]{2,5}-\d{3}$")


def example(doc: str, label: str) -> list[str]:
    """The non-blank lines of the block that follows ``label:`` up to the next label or the end."""
    lines = doc.splitlines()
    start = lines.index(f"{label}:") + 1
    block: list[str] = []
    for line in lines[start:]:
        if line in ("Passing:", "Failing:"):
            break
        block.append(line)
    return [line for line in block if line.strip()]


def test_rules_are_registered() -> None:
    assert {"DFP-ELE-001", "DFP-EVO-001", "DFP-REF-001"} <= set(RULE_IDS)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_has_summary_and_examples(rule_id: str) -> None:
    rule: Rule = RULES[rule_id]
    assert RULE_ID.match(rule.id), rule.id
    assert rule.id == rule_id
    lines = rule.doc.splitlines()
    assert lines, "no docstring"
    summary = lines[0]
    assert summary.strip() == summary
    assert summary
    # one line, then a blank one: `dfctl explain` and SARIF show only the first line
    assert len(lines) > 1
    assert lines[1] == "", f"summary runs onto a second line: {summary!r} / {lines[1]!r}"
    assert rule.summary == summary
    assert lines.count("Passing:") == 1
    assert lines.count("Failing:") == 1
    assert lines.index("Passing:") < lines.index("Failing:")
    for label in ("Passing", "Failing"):
        block = example(rule.doc, label)
        assert block, f"{label}: block is empty"
        assert all(line.startswith("    ") for line in block), f"{label}: example not indented"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_explain_prints_the_rule(rule_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    rule = RULES[rule_id]

    code = main(["explain", rule_id])

    out = capsys.readouterr().out
    assert code == 0
    assert out == f"{rule_id} ({rule.severity.value})\n\n{rule.doc}\n"
    assert "Passing:" in out
    assert "Failing:" in out


def test_explain_accepts_lower_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "dfp-ele-003"]) == 0
    assert capsys.readouterr().out.startswith("DFP-ELE-003 (error)\n\n")


def test_explain_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == RULE_IDS


def test_explain_unknown_rule_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explain", "NOPE"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err == "dfctl: no rule 'NOPE'; `dfctl explain` lists them\n"


# Rules whose failing case needs more than a folder: a git history (evolution), a generated
# 8 MiB file (size) or the formatter (fmt). Their tests name the rule id and the line.
TESTED_OUTSIDE_CASES = {
    "DFP-EVO-001": "test_evolution.py",
    "DFP-EVO-002": "test_evolution.py",
    "DFP-EVO-003": "test_evolution.py",
    "DFP-EVO-004": "test_evolution.py",
    "DFP-YAML-006": "test_yamlread.py",
    "DFP-FMT-001": "test_fmt.py",
}


def test_every_rule_has_a_failing_case() -> None:
    tests = Path(__file__).parent
    expected = "".join(
        p.read_text(encoding="utf-8") for p in (tests / "cases").rglob("expected.txt")
    )
    missing = []
    for rule_id in sorted(RULES):
        if f" {rule_id} " in expected:
            continue
        elsewhere = TESTED_OUTSIDE_CASES.get(rule_id)
        if elsewhere is None or rule_id not in (tests / elsewhere).read_text(encoding="utf-8"):
            missing.append(rule_id)
    assert missing == []
