"""The campaign figures loaded from the store (one query set, one pure definition) on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from store import campaigns
from store.figures import campaign_figures, request_facts
from tests import all_states


def test_every_request_state_is_counted_once_by_the_one_definition(store_db: Any) -> None:
    ids = all_states.seed(store_db)
    with store_db.session() as s:
        campaign = campaigns.get_by_year(s, all_states.YEAR)
        assert campaign is not None
        facts = {f.request_id: f for f in request_facts(s, campaign.id)}
        figures = campaign_figures(s, campaign, all_states.AFTER_DUE)
    data = figures.to_json()
    assert {k: data[k] for k in all_states.EXPECTED} == all_states.EXPECTED
    assert figures.lines() == all_states.EXPECTED_LINES
    assert facts[ids["S05"]].contact_bouncing and facts[ids["S04"]].replied_without_workbook
    assert not facts[ids["S09"]].workbook_read and facts[ids["S10"]].workbook_read
    assert facts[ids["S10"]].scope is None and facts[ids["S03"]].scope == "user_defined"
    assert set(figures.overdue_ids) == {ids["S04"], ids["S07"], ids["S09"], ids["S11"]}
    assert figures.open_high_risk_ids == (ids["S02"],)
