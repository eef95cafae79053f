"""merge_overrides: the effective overrides of the configuration's and the campaign's layers (later wins)."""

from __future__ import annotations

from cmrt.review import Grade, Severity, merge_overrides, review
from tests.unit.review.builder import base, context, with_answer


def test_later_layers_win_per_check() -> None:
    merged = merge_overrides(
        {"smelter.duplicate": "info", "mine.incomplete": "disabled"},
        {"smelter.duplicate": "disabled"},
        {"mine.incomplete": "reject", "company_questions.no_policy": "high_risk"},
    )
    assert merged == {"smelter.duplicate": "disabled", "mine.incomplete": "reject",
                      "company_questions.no_policy": "high_risk"}


def test_empty_and_missing_layers() -> None:
    assert merge_overrides() == {}
    assert merge_overrides(None, {}, None) == {}
    assert merge_overrides(None, {"smelter.duplicate": " Disabled "}) == {"smelter.duplicate": "disabled"}


def test_layers_are_not_modified() -> None:
    first = {"smelter.duplicate": "info"}
    merge_overrides(first, {"smelter.duplicate": "reject"})
    assert first == {"smelter.duplicate": "info"}


def test_merged_overrides_change_the_review() -> None:
    d = with_answer(base(), "Q3", "Tantalum", "Yes")  # covered countries: high_risk by default
    assert review(d, context()).grade is Grade.HIGH_RISK
    disabled = merge_overrides({"mineral.covered_countries": "info"}, {"mineral.covered_countries": "disabled"})
    assert review(d, context(overrides=disabled)).grade is Grade.ACCEPTED
    raised = merge_overrides({"mineral.covered_countries": "disabled"}, None, {"mineral.covered_countries": "reject"})
    result = review(d, context(overrides=raised))
    assert result.grade is Grade.REJECTED and result.findings[0].severity is Severity.REJECT
