"""Working time: business days, holidays and quiet hours in one time zone (zoneinfo)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from cmrt.outreach.config import ScheduleConfig

UTC = dt.UTC


class NaiveDatetimeError(ValueError):
    """A datetime without a time zone reached the policy; the store and the CLI must pass aware values."""


def require_aware(value: dt.datetime, what: str = "now") -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(f"{what} must carry a time zone (got {value.isoformat()})")
    return value


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class WorkingCalendar:
    """Answers "may the bot act at this instant?" and "when next?" for one ``ScheduleConfig``."""

    def __init__(self, config: ScheduleConfig) -> None:
        self.config = config
        self.tz = zone(config.timezone)

    def local(self, instant: dt.datetime) -> dt.datetime:
        return require_aware(instant, "instant").astimezone(self.tz)

    def at_local(self, day: dt.date, time: dt.time) -> dt.datetime:
        """The aware instant of a local wall-clock time (the earlier one when DST repeats it)."""
        naive = dt.datetime.combine(day, time)
        aware = naive.replace(tzinfo=self.tz)
        # A wall-clock time skipped by a DST jump does not exist: round trip through UTC moves it forward.
        return aware.astimezone(UTC).astimezone(self.tz)

    def is_working_day(self, day: dt.date) -> bool:
        return day.isoweekday() in self.config.business_days and day not in self.config.holidays

    def in_quiet_hours(self, local_time: dt.time) -> bool:
        if self.config.quiet_hours is None:
            return False
        start, end = self.config.quiet_hours
        if start == end:
            return False
        if start < end:
            return start <= local_time < end
        return local_time >= start or local_time < end

    def is_open(self, instant: dt.datetime) -> bool:
        local = self.local(instant)
        return self.is_working_day(local.date()) and not self.in_quiet_hours(local.time().replace(tzinfo=None))

    def day_opens_at(self, day: dt.date) -> dt.time:
        """The first local time of a day that is outside the quiet hours."""
        quiet = self.config.quiet_hours
        if quiet is None or quiet[0] == quiet[1]:
            return dt.time(0, 0)
        start, end = quiet
        if start > end or start == dt.time(0, 0):  # the night's quiet spell ends in the morning
            return end
        return dt.time(0, 0)

    def next_open(self, instant: dt.datetime) -> dt.datetime:
        """The earliest instant at or after ``instant`` when the bot may act."""
        if not self.config.business_days:
            raise ValueError("schedule.business_days is empty: the bot could never act")
        current = self.local(instant)
        for _ in range(800):  # a year of holidays and weekends at most, twice over
            day = current.date()
            if not self.is_working_day(day):
                nxt = day + dt.timedelta(days=1)
                current = self.at_local(nxt, self.day_opens_at(nxt))
                continue
            clock = current.time().replace(tzinfo=None)
            if not self.in_quiet_hours(clock):
                return current.astimezone(UTC)
            start, end = self.config.quiet_hours or (dt.time(0, 0), dt.time(0, 0))
            if start < end or clock < end:  # quiet spell ends later today
                current = self.at_local(day, end)
                continue
            nxt = day + dt.timedelta(days=1)  # evening: quiet until tomorrow's end of quiet hours
            current = self.at_local(nxt, end)
        raise ValueError("no working time found within two years; check business_days and holidays")

    def describe_closed(self, instant: dt.datetime) -> str:
        local = self.local(instant)
        if local.date() in self.config.holidays:
            return f"{local.date().isoformat()} is a holiday"
        if not self.is_working_day(local.date()):
            return f"{local.strftime('%A')} is not a business day"
        return f"quiet hours ({local.strftime('%H:%M')} {self.config.timezone})"

    def start_of_day(self, day: dt.date) -> dt.datetime:
        return self.at_local(day, dt.time(0, 0)).astimezone(UTC)
