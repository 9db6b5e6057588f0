from conftest import REPO
from migrate.docs import findings_markdown


def test_findings_doc_is_current():
    current = (REPO / "docs" / "findings.md").read_text(encoding="utf-8")
    assert current == findings_markdown(), "docs/findings.md is stale: run `python -m migrate.docs`"


def test_every_code_is_documented():
    text = findings_markdown()
    for code in ("GM004", "ING001", "NGX002"):
        assert f"### {code}" in text
