"""docs/checks.md is generated from the catalogue and must not go stale."""

from __future__ import annotations

from cmrt.review.catalogue import CATALOGUE
from cmrt.review.docs import render_markdown
from tests.conftest import ROOT


def test_docs_checks_md_is_current() -> None:
    committed = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert committed == render_markdown(), "docs/checks.md is stale: run `python -m cmrt.review.docs > docs/checks.md`"


def test_docs_list_every_check() -> None:
    text = render_markdown()
    for spec in CATALOGUE:
        assert f"`{spec.id}`" in text
