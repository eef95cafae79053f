"""The campaign figures: one definition (cmrt.figures), every request in exactly one group, docs/figures.md."""

from __future__ import annotations

import datetime as dt
import pathlib

from cmrt.figures import DEFINITIONS, RequestFacts, campaign_figures, group, render_markdown

ROOT = pathlib.Path(__file__).resolve().parents[3]
DUE = dt.date(2026, 3, 31)
AFTER = dt.date(2026, 4, 15)


def all_states() -> list[RequestFacts]:
    return [
        RequestFacts(1, "accepted", sent=True, workbook_read=True, grade="accepted", scope="company"),
        RequestFacts(2, "escalated", sent=True, workbook_read=True, grade="high_risk", scope="product"),
        RequestFacts(3, "clarification_requested", sent=True, workbook_read=True, grade="needs_clarification",
                     scope="user_defined"),
        RequestFacts(4, "sent", sent=True, replied_without_workbook=True),  # a question, no workbook
        RequestFacts(5, "sent", sent=True, contact_bouncing=True),  # bounced
        RequestFacts(6, "exempt"),
        RequestFacts(7, "reminded", sent=True),  # silent
        RequestFacts(8, "not_sent"),  # never sent
        RequestFacts(9, "clarification_requested", sent=True),  # an unreadable workbook: not a response
        RequestFacts(10, "closed", sent=True, workbook_read=True, grade="rejected", scope=None),  # closed after review
        RequestFacts(11, "escalated", sent=True),  # escalated for silence
        RequestFacts(12, "exempt", sent=True, workbook_read=True, grade="accepted", scope="company"),
    ]  # fmt: skip


def test_every_figure_from_one_definition() -> None:
    f = campaign_figures(2025, DUE, AFTER, all_states())
    assert (f.suppliers, f.surveyed, f.responded, f.bounced, f.not_sent, f.exempt) == (12, 8, 4, 1, 1, 2)
    assert f.surveyed + f.bounced + f.not_sent + f.exempt == f.suppliers
    assert f.response_rate == 0.5 and f.awaiting == 4
    assert f.grades == {"accepted": 1, "needs_clarification": 1, "high_risk": 1, "rejected": 1}
    assert f.declarations == {"company": 1, "product": 1, "user_defined": 1, "unknown": 1}
    assert (f.questions, f.overdue) == (1, 4)
    assert f.overdue_ids == (4, 7, 9, 11) and f.open_high_risk_ids == (2,) and f.escalated_ids == (2, 11)
    assert f.surveyed_ids == (1, 2, 3, 4, 7, 9, 10, 11) and len(f.surveyed_ids) == f.surveyed
    assert f.by_state["exempt"] == 2 and sum(f.by_state.values()) == 12
    data = f.to_json()
    assert (data["company_level"], data["product_level"], data["user_defined"], data["scope_unknown"]) == (1, 1, 1, 1)
    assert data["not_yet_sent"] == 1 and data["response_rate"] == 0.5 and data["as_of"] == "2026-04-15"
    assert f.lines()[:2] == ["Suppliers surveyed: 8 of 12 (1 bounced, 1 not yet sent, 2 exempt).",
                             "Responded: 4 of 8 (50.0 %)."]  # fmt: skip
    assert "Grades: accepted 1, needs clarification 1, high risk 1, rejected 1." in f.lines()


def test_nothing_is_overdue_before_the_due_date_and_nobody_surveyed_gives_zero() -> None:
    assert campaign_figures(2025, DUE, DUE, all_states()).overdue == 0
    f = campaign_figures(2026, DUE, AFTER, [RequestFacts(1, "not_sent"), RequestFacts(2, "not_sent")])
    assert f.surveyed == 0 and f.response_rate == 0.0 and f.not_sent == 2 and f.overdue == 0


def test_a_workbook_read_counts_even_if_the_address_bounces_later_or_it_came_before_the_request() -> None:
    assert group(RequestFacts(1, "responded", sent=True, workbook_read=True, contact_bouncing=True)) == "surveyed"
    assert group(RequestFacts(2, "responded", workbook_read=True)) == "surveyed"
    assert group(RequestFacts(3, "not_sent", contact_bouncing=True)) == "bounced"


def test_docs_figures_md_is_current_and_defines_every_figure_in_one_sentence() -> None:
    committed = (ROOT / "docs" / "figures.md").read_text(encoding="utf-8")
    assert committed == render_markdown(), "docs/figures.md is stale: run `python -m cmrt.figures > docs/figures.md`"
    for key, text in DEFINITIONS.items():
        assert text.endswith(".") and text.count(". ") == 0, key
