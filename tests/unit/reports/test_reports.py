"""Report figures: surveyed, response rate, company- vs product-level declarations, grades."""

from __future__ import annotations

from cmrt.reports import RequestFigure, report_figures


def test_figures() -> None:
    items = [
        RequestFigure("responded", scope="company", grade="accepted"),
        RequestFigure("accepted", scope="product", grade="accepted"),
        RequestFigure("clarification_requested", scope="company", grade="needs_clarification"),
        RequestFigure("closed", scope="user_defined", grade="high_risk"),
        RequestFigure("closed"),  # closed without an answer
        RequestFigure("sent"),
        RequestFigure("reminded"),
        RequestFigure("escalated"),
        RequestFigure("exempt"),
        RequestFigure("not_sent"),
    ]
    f = report_figures(2025, items)
    assert (f.suppliers, f.exempt, f.not_yet_sent, f.surveyed, f.responded) == (10, 1, 1, 8, 4)
    assert f.response_rate == 0.5
    assert (f.company_level, f.product_level, f.user_defined, f.scope_unknown) == (2, 1, 1, 0)
    assert f.grades == {"accepted": 2, "needs_clarification": 1, "high_risk": 1, "rejected": 0}
    text = "\n".join(f.lines())
    assert "4 of 8 (50.0 %)" in text
    assert "2 company-level, 1 product-level, 1 user-defined" in text
    assert f.to_json()["declarations"] == {"company": 2, "product": 1, "user_defined": 1, "unknown": 0}


def test_nobody_surveyed_yet() -> None:
    f = report_figures(2026, [RequestFigure("not_sent")] * 3)
    assert f.surveyed == 0 and f.response_rate == 0.0
    assert "3 not yet contacted" in f.lines()[0]


def test_an_answer_without_a_readable_scope_is_counted_as_unknown() -> None:
    f = report_figures(2025, [RequestFigure("responded", scope=None)])
    assert f.scope_unknown == 1 and f.responded == 1
