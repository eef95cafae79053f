"""Working time in a real time zone: business days, quiet hours (also across midnight) and DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cmrt.outreach import CampaignView, NaiveDatetimeError, OutreachConfig, ScheduleConfig, WorkingCalendar, plan

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def local(tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


def test_quiet_hours_across_midnight() -> None:
    cal = WorkingCalendar(ScheduleConfig(timezone="America/New_York"))
    assert cal.is_open(local(NY, 2025, 1, 7, 12, 0))
    assert not cal.is_open(local(NY, 2025, 1, 7, 18, 0))
    assert not cal.is_open(local(NY, 2025, 1, 7, 7, 59))
    assert cal.next_open(local(NY, 2025, 1, 7, 22, 0)) == local(NY, 2025, 1, 8, 8, 0)
    assert cal.next_open(local(NY, 2025, 1, 7, 3, 0)) == local(NY, 2025, 1, 7, 8, 0)


def test_quiet_spell_inside_the_day() -> None:
    schedule = ScheduleConfig(timezone="UTC", quiet_hours=(dt.time(12, 0), dt.time(13, 0)))
    cal = WorkingCalendar(schedule)
    noon = dt.datetime(2025, 1, 7, 12, 30, tzinfo=dt.UTC)
    assert not cal.is_open(noon)
    assert cal.next_open(noon) == dt.datetime(2025, 1, 7, 13, 0, tzinfo=dt.UTC)
    assert cal.is_open(dt.datetime(2025, 1, 7, 23, 0, tzinfo=dt.UTC))


def test_friday_evening_opens_on_monday_morning_local_time() -> None:
    cal = WorkingCalendar(ScheduleConfig(timezone="America/New_York"))
    assert cal.next_open(local(NY, 2025, 1, 10, 19, 0)) == local(NY, 2025, 1, 13, 8, 0)


def test_dst_change_keeps_local_opening_time() -> None:
    cal = WorkingCalendar(ScheduleConfig(timezone="Europe/Berlin"))
    # The clocks go forward on Sunday 2025-03-30; Monday opens at 08:00 CEST = 06:00 UTC.
    opened = cal.next_open(local(BERLIN, 2025, 3, 29, 12, 0))
    assert opened == dt.datetime(2025, 3, 31, 6, 0, tzinfo=dt.UTC)
    # And back on 2025-10-26: Monday opens at 08:00 CET = 07:00 UTC.
    assert cal.next_open(local(BERLIN, 2025, 10, 25, 12, 0)) == dt.datetime(2025, 10, 27, 7, 0, tzinfo=dt.UTC)


def test_a_quiet_spell_ending_in_a_skipped_hour() -> None:
    schedule = ScheduleConfig(
        timezone="Europe/Berlin", business_days=frozenset(range(1, 8)), quiet_hours=(dt.time(22, 0), dt.time(2, 30))
    )
    cal = WorkingCalendar(schedule)
    opened = cal.next_open(local(BERLIN, 2025, 3, 29, 23, 0))
    assert cal.is_open(opened)
    assert opened == dt.datetime(2025, 3, 30, 1, 30, tzinfo=dt.UTC)  # 03:30 CEST: 02:30 does not exist


def test_naive_now_is_refused_with_a_clear_error() -> None:
    with pytest.raises(NaiveDatetimeError, match="time zone"):
        plan(CampaignView(id=1, year=2025, due_date=None), [], OutreachConfig(), dt.datetime(2025, 1, 1))


def test_no_business_days_is_a_configuration_error() -> None:
    cal = WorkingCalendar(ScheduleConfig(business_days=frozenset()))
    with pytest.raises(ValueError, match="business_days"):
        cal.next_open(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
