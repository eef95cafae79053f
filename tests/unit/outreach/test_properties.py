"""Invariants over random timelines: nothing twice, nothing outside working time, nothing after a response."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from cmrt.outreach import ActionKind, OutreachConfig, RequestState, ScheduleConfig, WorkingCalendar
from tests.unit.outreach.sim import World

START = dt.datetime(2025, 1, 6, 6, 0, tzinfo=dt.UTC)

durations = st.integers(min_value=1, max_value=40).map(lambda d: dt.timedelta(days=d))


@settings(max_examples=40, deadline=None)
@given(
    cadence=st.lists(durations, min_size=0, max_size=3).map(lambda xs: tuple(sorted(set(xs)))),
    threshold=st.integers(min_value=0, max_value=3),
    due_in=st.integers(min_value=5, max_value=120),
    before=st.integers(min_value=0, max_value=10),
    respond_after=st.one_of(st.none(), st.integers(min_value=1, max_value=100)),
    snooze=st.one_of(st.none(), st.tuples(st.integers(0, 60), st.integers(1, 30))),
    tz=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]),
)
def test_invariants(
    cadence: tuple[dt.timedelta, ...],
    threshold: int,
    due_in: int,
    before: int,
    respond_after: int | None,
    snooze: tuple[int, int] | None,
    tz: str,
) -> None:
    schedule = ScheduleConfig(timezone=tz)
    cfg = OutreachConfig(
        reminder_cadence=cadence,
        escalate_after_reminders=threshold,
        escalate_days_before_due=before,
        schedule=schedule,
    )
    world = World.build(cfg, n=2, due=(START + dt.timedelta(days=due_in)).date())
    step = dt.timedelta(hours=2)
    responded_at = START + dt.timedelta(days=respond_after) if respond_after else None
    snooze_window = None
    if snooze:
        snooze_window = (START + dt.timedelta(days=snooze[0]), START + dt.timedelta(days=snooze[0] + snooze[1]))
    now = START
    while now < START + dt.timedelta(days=150):
        if responded_at and now >= responded_at and world.requests[1].state != RequestState.RESPONDED:
            world.set(1, state=RequestState.RESPONDED)
        if snooze_window and snooze_window[0] <= now < snooze_window[0] + step:
            world.set(2, snoozed_until=snooze_window[1])
        world.tick(now)
        now += step

    cal = WorkingCalendar(schedule)
    keys = [e.action.key for e in world.log]
    assert len(keys) == len(set(keys)), "an action ran twice"
    for e in world.log:
        assert cal.is_open(e.at), "acted outside working time"
        assert e.action.due_at <= e.at
        if responded_at and e.action.request_id == 1:
            assert e.at < responded_at, "chased after a response"
        if snooze_window and e.action.request_id == 2:
            assert not (snooze_window[0] + step <= e.at < snooze_window[1]), "acted while snoozed"
    for rid in (1, 2):
        assert len(world.executed(ActionKind.REMINDER, rid)) <= len(cadence)
        assert len(world.executed(ActionKind.INITIAL_REQUEST, rid)) == 1
        escalations = world.executed(ActionKind.ESCALATION, rid)
        assert len(escalations) <= 3
