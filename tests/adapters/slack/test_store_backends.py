"""The Slack side's queries and operations on both store backends (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from handlers.slack import operations
from handlers.slack.access import AccessPolicy
from handlers.slack.deps import ChatOps
from handlers.slack.queries import campaign_stats, find_campaign, find_supplier_requests, progress_points, request_view
from store import audit
from tests.adapters.slack.conftest import MEMBER, NOW, RecordingOutreach, seed


def test_queries_and_operations(store_db: Any) -> None:
    seeded = seed(store_db)
    outreach = RecordingOutreach()
    outreach.db = store_db
    ops = ChatOps(db=store_db, outreach=outreach, access=AccessPolicy(allowed_users=[MEMBER]), clock=lambda: NOW)
    with store_db.session() as s:
        campaign = find_campaign(s)
        assert campaign is not None and campaign.year == 2025
        stats = campaign_stats(s, campaign, ops.report, NOW)
        figures = stats.figures
        assert (figures.suppliers, figures.surveyed, figures.responded, figures.by_state["accepted"]) == (5, 5, 3, 1)
        assert figures.grades == {"accepted": 1, "needs_clarification": 1, "high_risk": 1, "rejected": 0}
        assert {v.supplier_external_id for v in stats.overdue} == {"S-001", "S-002"}
        assert {v.supplier_external_id for v in stats.high_risk} == {"S-003"}  # the one graded high risk
        matches = find_supplier_requests(s, campaign, "acme metal")
        assert {m.supplier_external_id for m in matches[:2]} == {"S-001", "S-002"}
        assert find_supplier_requests(s, campaign, "s-005")[0].score == 100.0
        points = progress_points(s, campaign, NOW.date())
        assert points[-1].responded == 3 and points[-1].accepted == 1 and points[0].responded == 0
    assert operations.assign(ops, seeded.requests["S-003"], MEMBER).ok
    assert operations.snooze(ops, seeded.requests["S-003"], MEMBER, 14).ok
    assert not operations.snooze(ops, seeded.requests["S-003"], MEMBER, 5).ok  # not an offered choice
    assert operations.accept(ops, seeded.requests["S-003"], MEMBER, "audit booked").ok
    assert not operations.exempt(ops, seeded.requests["S-005"], MEMBER, "gone").ok  # accepted cannot be exempt
    assert not operations.exempt(ops, seeded.requests["S-001"], MEMBER, "  ").ok  # a reason is required
    assert not operations.accept(ops, seeded.requests["S-002"], MEMBER, "looks fine").ok  # nothing was reviewed
    assert operations.exempt(ops, seeded.requests["S-001"], MEMBER, "sold the business").ok
    assert operations.remind(ops, seeded.requests["S-002"], MEMBER).ok
    with store_db.session() as s:
        view = request_view(s, seeded.requests["S-003"])
        assert view is not None
        assert (view.state.value, view.assignee, view.exception_reason) == ("accepted", MEMBER, "audit booked")
        actors = {e.actor for e in audit.events(s) if e.action.startswith(("slack_", "request."))}
        assert actors == {MEMBER}
