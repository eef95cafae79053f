"""A campaign asking for several templates (``CMRT,EMRT``): a partly returned request is chased for what is missing
(``cmrt.outreach.families``), on the request's own cadence, whatever its state says about what came back."""

from __future__ import annotations

import datetime as dt

import pytest

from cmrt.figures import RequestFacts, campaign_figures
from cmrt.outreach import (
    ActionKind,
    CampaignView,
    DigestFrequency,
    EscalationTrigger,
    OutreachConfig,
    RequestState,
    RequestView,
    ScheduleConfig,
    plan,
)
from cmrt.outreach.families import still_missing, waiting_for

DAY = dt.timedelta(days=1)
SENT = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)  # a Monday
BOTH = CampaignView(id=1, year=2025, due_date=dt.date(2026, 3, 31), families=("CMRT", "EMRT"))
CONFIG = OutreachConfig(
    reminder_cadence=(14 * DAY, 28 * DAY),
    escalate_after_reminders=2,
    escalate_grace=7 * DAY,
    escalate_days_before_due=7,
    escalate_at_due=True,
    clarification_followup=(7 * DAY,),
    digest=DigestFrequency.OFF,
    schedule=ScheduleConfig(timezone="UTC", quiet_hours=None),
)


def request(state: RequestState, returned: frozenset[str] = frozenset({"CMRT"}), **changes: object) -> RequestView:
    base: dict[str, object] = {"id": 7, "supplier": "S-7", "state": state, "sent_at": SENT, "returned": returned}
    if returned:
        base["responded_at"] = SENT + 3 * DAY
    base.update(changes)
    return RequestView(**base)  # type: ignore[arg-type]


def test_still_missing_only_for_a_partial_return() -> None:
    assert still_missing(("CMRT", "EMRT"), {"CMRT"}) == ("EMRT",)
    assert still_missing(("CMRT", "EMRT", "CRT"), {"emrt"}) == ("CMRT", "CRT")
    assert still_missing(("CMRT", "EMRT"), {"CMRT", "EMRT"}) == ()
    assert still_missing(("CMRT", "EMRT"), set()) == ()  # nothing came back: the state says it all
    assert still_missing(("CMRT", "EMRT"), {"AMRT"}) == ()  # only a template nobody asked for
    assert still_missing(("CMRT",), {"EMRT"}) == ()  # one family asked: as before
    assert waiting_for(("EMRT",)) == "waiting for EMRT"
    assert waiting_for(("CMRT", "EMRT", "CRT")) == "waiting for CMRT, EMRT and CRT"


@pytest.mark.parametrize(
    "state", [RequestState.ACCEPTED, RequestState.RESPONDED, RequestState.ESCALATED, RequestState.REMINDED]
)
def test_a_partly_returned_request_gets_the_reminder_for_the_missing_template(state: RequestState) -> None:
    early = plan(BOTH, [request(state)], CONFIG, SENT + 10 * DAY)
    assert early.actions == () and early.next_by_request[7] == SENT + 14 * DAY
    result = plan(BOTH, [request(state)], CONFIG, SENT + 14 * DAY)
    (reminder,) = result.actions
    assert reminder.kind == ActionKind.REMINDER and reminder.sequence == 1
    assert reminder.key == "c1:r7:reminder:1"
    assert reminder.reason.startswith("reminder 1 of 2: waiting for EMRT 14 days after the request")


def test_nothing_more_once_every_template_came_back() -> None:
    done = request(RequestState.ACCEPTED, frozenset({"CMRT", "EMRT"}))
    result = plan(BOTH, [done], CONFIG, SENT + 60 * DAY)
    assert result.actions == () and result.next_by_request[7] is None


def test_single_family_and_nothing_returned_behave_as_before() -> None:
    cmrt_only = CampaignView(id=1, year=2025, due_date=dt.date(2026, 3, 31))
    accepted = request(RequestState.ACCEPTED)
    assert plan(cmrt_only, [accepted], CONFIG, SENT + 60 * DAY).actions == ()
    silent = request(RequestState.SENT, frozenset())
    for campaign in (cmrt_only, BOTH):
        (reminder,) = plan(campaign, [silent], CONFIG, SENT + 14 * DAY).actions
        assert reminder.reason.startswith("reminder 1 of 2: no response 14 days after the request")


@pytest.mark.parametrize("state", [RequestState.EXEMPT, RequestState.CLOSED])
def test_exempt_and_closed_stop_the_chase(state: RequestState) -> None:
    assert plan(BOTH, [request(state)], CONFIG, SENT + 60 * DAY).actions == ()


def test_a_clarification_round_runs_beside_the_missing_template_reminders() -> None:
    asked = SENT + 4 * DAY
    req = request(RequestState.CLARIFICATION_REQUESTED, clarification_requested_at=asked)
    kinds = sorted(a.kind.value for a in plan(BOTH, [req], CONFIG, SENT + 14 * DAY).actions)
    assert kinds == ["clarification_followup", "reminder"]


def test_escalations_name_what_is_missing() -> None:
    req = request(RequestState.ACCEPTED, reminder_count=2, last_reminder_at=SENT + 28 * DAY)
    (escalation,) = plan(BOTH, [req], CONFIG, SENT + 35 * DAY).actions
    assert escalation.kind == ActionKind.ESCALATION and escalation.trigger == EscalationTrigger.AFTER_REMINDERS
    assert escalation.reason.startswith("escalate to the team: waiting for EMRT after 2 reminder(s)")
    at_due = plan(BOTH, [req], CONFIG, dt.datetime(2026, 3, 31, 9, 0, tzinfo=dt.UTC)).actions
    assert at_due[0].trigger == EscalationTrigger.DUE_DATE
    assert at_due[0].reason == "escalate to the team: the due date 2026-03-31 has arrived; waiting for EMRT"


def test_a_question_holds_the_missing_template_reminder() -> None:
    req = request(RequestState.AWAITING_TEAM, clarification_requested_at=None, escalated_at=SENT + 3 * DAY)
    result = plan(BOTH, [req], CONFIG, SENT + 14 * DAY)
    assert result.actions == ()
    (reminder,) = [h for h in result.held if h.kind == ActionKind.REMINDER]
    assert "waiting for EMRT" in reminder.reason and "waiting for the team" in reminder.reason


def test_the_figures_count_a_missing_template_overdue_as_long_as_it_is_chased() -> None:
    due, after = dt.date(2026, 3, 31), dt.date(2026, 4, 2)

    def facts(rid: int, state: str, returned: set[str]) -> RequestFacts:
        return RequestFacts(rid, state, sent=True, workbook_read=bool(returned), asked=("CMRT", "EMRT"),
                            returned=frozenset(returned))  # fmt: skip

    items = [
        facts(1, "accepted", {"CMRT"}),  # partly returned: the EMRT is still chased, so overdue
        facts(2, "closed", {"CMRT"}),  # the team closed it: nothing is chased
        facts(3, "reminded", set()),  # silent: both overdue
        facts(4, "accepted", {"CMRT", "EMRT"}),  # complete
    ]
    before = campaign_figures(2025, due, due, items).families
    assert before["EMRT"]["overdue"] == 0 and before["CMRT"]["overdue"] == 0
    figures = campaign_figures(2025, due, after, items)
    assert figures.families["CMRT"] == {"asked": 4, "surveyed": 4, "responded": 3, "response_rate": 0.75,
                                        "unasked": 0, "overdue": 1}  # fmt: skip
    assert figures.families["EMRT"]["overdue"] == 2 and figures.families["EMRT"]["responded"] == 1
    assert figures.overdue == 1  # the request-level figure: no workbook at all
    assert "Responded per template: CMRT 3 of 4 (75.0 %), 1 overdue; EMRT 1 of 4 (25.0 %), 2 overdue." in (
        figures.lines())
