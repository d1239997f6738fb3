"""An element set's source shows in the review: a change of provenance is a field change of the
set's configuration document, in every environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dfctl.cli import main
from tests.content import TODAY, commit_all, copy_content, edit, init_repo

pytestmark = pytest.mark.git


def test_a_change_of_source_is_in_the_review(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = copy_content(tmp_path / "repo")
    repo = init_repo(work)
    base = commit_all(repo, "base")
    edit(
        work / "standards/elements/bgt_level.yaml",
        "provenance:\n  status: from-memory\n",
        "provenance:\n  status: official-unverified\n  notice: 财预〔2025〕12号\n"
        "  issuer: 财政部\n  issued_on: 2025-09-20\n",
    )
    head = commit_all(repo, "bgt_level typed in from its notice")

    code = main(
        [
            *("--repo", str(work), "diff", "--base", base, "--head", head, "--format", "json"),
            *("--env", "production", "--today", TODAY),
        ]
    )

    out = capsys.readouterr().out
    assert code == 0, out
    changes = json.loads(out)["changes"]
    assert [(c["ref"], c["op"]) for c in changes] == [
        ("/dfp/production/elements/bgt_level/2026/990000000", "change")
    ]
    assert [(f["op"], f["path"], f["old"], f["new"]) for f in changes[0]["fields"]] == [
        ("add", "spec.provenance.issued_on", None, "2025-09-20"),
        ("add", "spec.provenance.issuer", None, "财政部"),
        ("add", "spec.provenance.notice", None, "财预〔2025〕12号"),
        ("change", "spec.provenance.status", "from-memory", "official-unverified"),
    ]
