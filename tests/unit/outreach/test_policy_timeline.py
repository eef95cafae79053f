"""The policy over months of simulated time on a fixed clock: nothing sleeps."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cmrt.outreach import (
    ActionKind,
    DigestFrequency,
    EscalationTrigger,
    OutreachConfig,
    RequestState,
    ScheduleConfig,
)
from tests.unit.outreach.sim import World, utc

BERLIN = ZoneInfo("Europe/Berlin")
DAY = dt.timedelta(days=1)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(dt.UTC)


def config(**changes: object) -> OutreachConfig:
    base: dict[str, object] = {
        "reminder_cadence": (dt.timedelta(days=14), dt.timedelta(days=28)),
        "escalate_after_reminders": 2,
        "escalate_grace": dt.timedelta(days=7),
        "escalate_days_before_due": 0,
        "escalate_at_due": False,
        "digest": DigestFrequency.OFF,
        "schedule": ScheduleConfig(timezone="Europe/Berlin"),
    }
    base.update(changes)
    return OutreachConfig(**base)  # type: ignore[arg-type]


def test_cadence_reminders_then_escalation_over_four_months() -> None:
    world = World.build(config())
    start = berlin(2025, 1, 6, 10, 0)  # a Monday, working hours
    world.run(start, start + 120 * DAY)
    sent = world.executed(ActionKind.INITIAL_REQUEST)
    reminders = world.executed(ActionKind.REMINDER)
    escalations = world.executed(ActionKind.ESCALATION)
    assert [e.at for e in sent] == [start]
    assert [e.at for e in reminders] == [start + 14 * DAY, start + 28 * DAY]  # both Mondays 10:00
    assert [e.action.sequence for e in reminders] == [1, 2]
    assert [e.at for e in escalations] == [start + 35 * DAY]
    assert escalations[0].action.trigger == EscalationTrigger.AFTER_REMINDERS
    assert "2 reminder(s)" in escalations[0].action.reason
    assert world.requests[1].state == RequestState.ESCALATED
    assert len(world.log) == 4  # nothing else, ever


def test_reminder_due_on_a_weekend_waits_for_monday_morning() -> None:
    world = World.build(config(reminder_cadence=(DAY,), escalate_after_reminders=0))
    friday = berlin(2025, 1, 10, 10, 0)
    world.run(friday, friday + 30 * DAY)
    (reminder,) = world.executed(ActionKind.REMINDER)
    assert reminder.at == berlin(2025, 1, 13, 8, 0)  # Monday, end of quiet hours
    assert reminder.action.due_at == friday + DAY


def test_quiet_hours_hold_a_reminder_until_morning() -> None:
    world = World.build(config(reminder_cadence=(dt.timedelta(hours=1),), escalate_after_reminders=0))
    start = berlin(2025, 1, 7, 17, 30)  # Tuesday
    world.run(start, start + 3 * DAY, step=dt.timedelta(minutes=5))
    (reminder,) = world.executed(ActionKind.REMINDER)
    assert reminder.at == berlin(2025, 1, 8, 8, 0)
    held = world.plan(berlin(2025, 1, 7, 23, 0))
    assert held.actions == ()


def test_plan_explains_held_actions() -> None:
    world = World.build(config(reminder_cadence=(dt.timedelta(hours=1),)))
    start = berlin(2025, 1, 10, 17, 0)  # Friday
    world.tick(start)
    result = world.plan(berlin(2025, 1, 11, 12, 0))  # Saturday noon
    assert result.actions == ()
    (held,) = result.held
    assert held.kind == ActionKind.REMINDER
    assert held.not_before == berlin(2025, 1, 13, 8, 0)
    assert "Saturday is not a business day" in held.reason


def test_holidays_are_not_business_days() -> None:
    schedule = ScheduleConfig(timezone="Europe/Berlin", holidays=frozenset({dt.date(2025, 1, 20)}))
    world = World.build(config(schedule=schedule, escalate_after_reminders=0))
    start = berlin(2025, 1, 6, 10, 0)
    world.run(start, start + 20 * DAY)
    first = world.executed(ActionKind.REMINDER)[0]
    assert first.at == berlin(2025, 1, 21, 8, 0)


def test_a_response_stops_the_chasing() -> None:
    world = World.build(config(escalate_days_before_due=7, escalate_at_due=True), due=dt.date(2025, 3, 31))
    start = berlin(2025, 1, 6, 10, 0)
    world.run(start, start + 20 * DAY)
    assert len(world.executed(ActionKind.REMINDER)) == 1
    world.set(1, state=RequestState.RESPONDED)
    world.run(start + 20 * DAY, start + 150 * DAY, step=dt.timedelta(hours=1))
    assert len(world.executed(ActionKind.REMINDER)) == 1
    assert world.executed(ActionKind.ESCALATION) == []


@pytest.mark.parametrize("state", [RequestState.EXEMPT, RequestState.CLOSED, RequestState.ACCEPTED])
def test_exempt_and_settled_requests_are_left_alone(state: RequestState) -> None:
    world = World.build(config(escalate_at_due=True), n=3, due=dt.date(2025, 2, 28))
    world.set(2, state=state)
    start = berlin(2025, 1, 6, 10, 0)
    world.run(start, start + 90 * DAY, step=dt.timedelta(hours=1))
    assert world.executed(request_id=2) == []
    assert len(world.executed(ActionKind.INITIAL_REQUEST)) == 2


def test_snooze_holds_everything_until_it_ends() -> None:
    world = World.build(config(escalate_after_reminders=1))
    start = berlin(2025, 1, 6, 10, 0)
    world.tick(start)
    until = berlin(2025, 2, 3, 15, 0)  # snoozed over the first reminder's due date
    world.set(1, snoozed_until=until)
    snoozed_plan = world.plan(start + 15 * DAY)
    assert snoozed_plan.actions == ()
    assert "snoozed until 2025-02-03 15:00" in snoozed_plan.held[0].reason
    world.run(start + dt.timedelta(minutes=15), start + 60 * DAY)
    reminders = world.executed(ActionKind.REMINDER)
    assert reminders[0].at == until  # the reminder that fell due is sent once, at the end of the snooze
    assert reminders[1].at == until + 14 * DAY  # the cadence's spacing is kept
    assert all(e.at >= until for e in world.executed() if e.action.kind != ActionKind.INITIAL_REQUEST)


@pytest.mark.parametrize("threshold", [1, 2])
def test_escalation_threshold(threshold: int) -> None:
    world = World.build(config(escalate_after_reminders=threshold, escalate_grace=dt.timedelta(days=3)))
    start = berlin(2025, 1, 6, 10, 0)
    world.run(start, start + 90 * DAY, step=dt.timedelta(hours=1))
    reminders = world.executed(ActionKind.REMINDER)
    (escalation,) = world.executed(ActionKind.ESCALATION)
    assert escalation.at == reminders[threshold - 1].at + 3 * DAY
    # the chase goes on after an escalation: the team decides, the supplier still gets the cadence
    assert len(reminders) == 2


def test_due_date_escalations_fire_once_each() -> None:
    cfg = config(escalate_after_reminders=0, escalate_days_before_due=7, escalate_at_due=True)
    world = World.build(cfg, due=dt.date(2025, 3, 31))  # a Monday
    start = berlin(2025, 1, 6, 10, 0)
    world.run(start, start + 150 * DAY, step=dt.timedelta(hours=1))
    escalations = world.executed(ActionKind.ESCALATION)
    assert [e.action.trigger for e in escalations] == [EscalationTrigger.BEFORE_DUE, EscalationTrigger.DUE_DATE]
    assert escalations[0].at == berlin(2025, 3, 24, 8, 0)
    assert escalations[1].at == berlin(2025, 3, 31, 8, 0)
    assert "2025-03-31" in escalations[1].action.reason


def test_only_the_most_severe_escalation_when_several_fell_due_while_down() -> None:
    cfg = config(escalate_after_reminders=1, escalate_days_before_due=7, escalate_at_due=True)
    world = World.build(cfg, due=dt.date(2025, 3, 31))
    start = berlin(2025, 1, 6, 10, 0)
    world.run(start, start + 16 * DAY, step=dt.timedelta(hours=1))  # sent, reminder 1
    assert len(world.executed(ActionKind.REMINDER)) == 1
    back = berlin(2025, 4, 2, 10, 0)  # down for ten weeks
    actions = world.tick(back)
    kinds = sorted(a.kind for a in actions)
    assert kinds == [ActionKind.ESCALATION, ActionKind.REMINDER]
    (escalation,) = [a for a in actions if a.kind == ActionKind.ESCALATION]
    assert escalation.trigger == EscalationTrigger.DUE_DATE
    assert set(escalation.supersedes) == {"c1:r1:escalation:before_due", "c1:r1:escalation:after_reminders"}
    world.run(back, back + 60 * DAY, step=dt.timedelta(hours=1))
    assert len(world.executed(ActionKind.ESCALATION)) == 1


def test_late_reminders_keep_their_spacing_after_downtime() -> None:
    world = World.build(config(escalate_after_reminders=0))
    start = berlin(2025, 1, 6, 10, 0)
    world.tick(start)
    back = start + 42 * DAY  # a Monday; both reminders fell due while the bot was down
    world.run(back, back + 40 * DAY)
    reminders = world.executed(ActionKind.REMINDER)
    assert [e.at for e in reminders] == [back, back + 14 * DAY]


def test_initial_requests_go_in_batches_under_the_hourly_cap() -> None:
    world = World.build(config(batch_size=50, max_emails_per_hour=80), n=200)
    start = berlin(2025, 1, 6, 9, 0)
    first = world.plan(start)
    assert len(first.actions) == 50
    assert len(first.held) == 150
    assert "batch of 50" in first.held[0].reason
    world.tick(start)
    second = world.tick(start + dt.timedelta(minutes=1))
    assert len(second) == 30  # 80 per hour
    assert "hourly limit of 80" in world.plan(start + dt.timedelta(minutes=2)).held[0].reason
    world.run(start + dt.timedelta(minutes=2), start + dt.timedelta(hours=3), step=dt.timedelta(minutes=1))
    sent = world.executed(ActionKind.INITIAL_REQUEST)
    assert len(sent) == 200
    assert len({e.action.request_id for e in sent}) == 200
    for e in sent:  # never more than 80 in any rolling hour
        window = [x for x in sent if e.at - dt.timedelta(hours=1) < x.at <= e.at]
        assert len(window) <= 80
    assert [e.action.request_id for e in sent] == sorted(e.action.request_id or 0 for e in sent)


def test_reminders_go_before_new_requests_when_the_budget_is_short() -> None:
    world = World.build(config(batch_size=1, max_emails_per_hour=0), n=2)
    start = berlin(2025, 1, 6, 9, 0)
    world.tick(start)  # request 1 only
    result = world.plan(start + 14 * DAY)
    assert [a.kind for a in result.actions] == [ActionKind.REMINDER]
    assert [h.kind for h in result.held] == [ActionKind.INITIAL_REQUEST]


def test_clarification_follow_ups_then_escalation() -> None:
    cfg = config(clarification_followup=(dt.timedelta(days=7), dt.timedelta(days=14)))
    world = World.build(cfg)
    asked = berlin(2025, 2, 3, 11, 0)  # Monday
    world.set(
        1,
        state=RequestState.CLARIFICATION_REQUESTED,
        sent_at=berlin(2025, 1, 6, 9, 0),
        clarification_requested_at=asked,
    )
    world.run(asked, asked + 60 * DAY, step=dt.timedelta(hours=1))
    followups = world.executed(ActionKind.CLARIFICATION_FOLLOWUP)
    assert [e.at for e in followups] == [asked + 7 * DAY, asked + 14 * DAY]
    (escalation,) = world.executed(ActionKind.ESCALATION)
    assert escalation.at == asked + 21 * DAY
    assert escalation.action.trigger == EscalationTrigger.CLARIFICATION_UNANSWERED
    assert world.executed(ActionKind.REMINDER) == []


def test_a_corrected_workbook_ends_the_follow_ups_and_a_new_round_restarts_them() -> None:
    world = World.build(config(clarification_followup=(dt.timedelta(days=7),)))
    asked = berlin(2025, 2, 3, 11, 0)
    world.set(1, state=RequestState.CLARIFICATION_REQUESTED, sent_at=asked - 20 * DAY, clarification_requested_at=asked)
    world.run(asked, asked + 8 * DAY, step=dt.timedelta(hours=1))
    assert len(world.executed(ActionKind.CLARIFICATION_FOLLOWUP)) == 1
    world.set(1, state=RequestState.RESPONDED)
    world.run(asked + 8 * DAY, asked + 14 * DAY, step=dt.timedelta(hours=1))
    assert len(world.executed()) == 1
    again = asked + 14 * DAY
    world.set(1, state=RequestState.CLARIFICATION_REQUESTED, clarification_requested_at=again)
    world.run(again, again + 8 * DAY, step=dt.timedelta(hours=1))
    assert [e.at for e in world.executed(ActionKind.CLARIFICATION_FOLLOWUP)] == [asked + 7 * DAY, again + 7 * DAY]


def test_daily_digest_on_business_days_and_a_missed_one_once() -> None:
    start = berlin(2025, 1, 6, 0, 0)
    world = World.build(config(digest=DigestFrequency.DAILY), n=0, opened=start)
    world.run(start, start + 14 * DAY - dt.timedelta(minutes=1))
    digests = world.executed(ActionKind.DIGEST)
    assert len(digests) == 10
    assert all(e.at.astimezone(BERLIN).time() == dt.time(9, 0) for e in digests)
    assert all(e.at.astimezone(BERLIN).isoweekday() <= 5 for e in digests)
    # down from Monday 08:00 to Wednesday 15:00: one digest, for Wednesday
    world.run(berlin(2025, 1, 22, 15, 0), berlin(2025, 1, 22, 23, 0))
    assert [e.action.key for e in world.executed(ActionKind.DIGEST)[10:]] == ["c1:digest:2025-01-22"]


def test_weekly_digest() -> None:
    start = berlin(2025, 1, 6, 0, 0)
    cfg = config(digest=DigestFrequency.WEEKLY, digest_weekday=5, digest_time=dt.time(16, 0))
    world = World.build(cfg, n=0, opened=start)
    world.run(start, start + 28 * DAY)
    digests = world.executed(ActionKind.DIGEST)
    assert [e.at for e in digests] == [berlin(2025, 1, d, 16, 0) for d in (10, 17, 24, 31)]


def test_an_inactive_campaign_does_nothing() -> None:
    from dataclasses import replace

    world = World.build(config(digest=DigestFrequency.DAILY), n=5)
    world.campaign = replace(world.campaign, active=False)
    world.run(berlin(2025, 1, 6, 0, 0), berlin(2025, 2, 6, 0, 0), step=dt.timedelta(hours=1))
    assert world.log == []


def test_the_same_state_gives_the_same_plan() -> None:
    world = World.build(config(), n=20, due=dt.date(2025, 3, 31))
    now = berlin(2025, 1, 6, 10, 0)
    assert world.plan(now) == world.plan(now)
    keys = [a.key for a in world.plan(now).actions]
    assert len(keys) == len(set(keys)) == 20


def test_utc_schedule_without_quiet_hours_runs_around_the_clock() -> None:
    cfg = config(
        reminder_cadence=(dt.timedelta(seconds=30), dt.timedelta(seconds=60)),
        escalate_after_reminders=2,
        escalate_grace=dt.timedelta(seconds=30),
        schedule=ScheduleConfig(timezone="UTC", business_days=frozenset(range(1, 8)), quiet_hours=None),
    )
    world = World.build(cfg)
    start = utc(2025, 1, 11, 3, 0)  # a Saturday night
    world.run(start, start + dt.timedelta(minutes=5), step=dt.timedelta(seconds=1))
    assert [e.at - start for e in world.log] == [
        dt.timedelta(0),
        dt.timedelta(seconds=30),
        dt.timedelta(seconds=60),
        dt.timedelta(seconds=90),
    ]


def test_an_answered_request_escalated_for_high_risk_is_not_chased() -> None:
    cfg = config(escalate_at_due=True, escalate_days_before_due=7)
    world = World.build(cfg, due=dt.date(2025, 3, 31))
    start = berlin(2025, 1, 6, 10, 0)
    world.tick(start)
    # a workbook arrived on day 3 and its review was high risk: the request is escalated, but answered
    world.set(1, state=RequestState.ESCALATED, responded_at=start + 3 * DAY, escalated_at=start + 3 * DAY)
    world.run(start + 3 * DAY, start + 120 * DAY, step=dt.timedelta(hours=1))
    assert [e.action.kind for e in world.log] == [ActionKind.INITIAL_REQUEST]


def test_a_question_holds_reminders_and_escalations_until_the_team_resumes() -> None:
    """``awaiting_team``: nothing goes out; ``plan`` shows what is held and why; resuming picks the cadence up."""
    world = World.build(config(escalate_at_due=True), due=dt.date(2025, 2, 28))
    start = berlin(2025, 1, 6, 10, 0)
    world.tick(start)
    world.set(1, state=RequestState.AWAITING_TEAM)  # the supplier asked a question on day 2
    world.run(start + dt.timedelta(minutes=15), start + 90 * DAY, step=dt.timedelta(hours=6))
    assert world.executed(request_id=1)[1:] == []  # only the initial request, ever
    held = world.plan(start + 90 * DAY)
    assert held.actions == () and held.held
    assert all("asked a question" in h.reason for h in held.held)
    assert {h.kind for h in held.held} >= {ActionKind.REMINDER}
    assert held.next_by_request[1] is None
    world.set(1, state=RequestState.SENT)  # the team answered and resumed the reminders
    world.run(start + 90 * DAY, start + 100 * DAY, step=dt.timedelta(hours=6))
    assert world.executed(ActionKind.REMINDER, request_id=1)
