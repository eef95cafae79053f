"""The outreach policy's rules: reminder cadence, escalations, batch size and rate limit, the digest, and the
calendar they run on (time zone, business days, quiet hours, holidays). ``bot.scheduling`` fills them from the
configuration file; tests build them directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class DigestFrequency(StrEnum):
    OFF = "off"
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True)
class ScheduleConfig:
    """When the bot may act: a time zone, working days, optional holidays and quiet hours.

    ``quiet_hours`` is ``(start, end)`` local wall-clock times during which nothing is sent; it may span midnight
    (``18:00``-``08:00``). ``business_days`` holds ISO weekday numbers (Monday = 1 ... Sunday = 7).
    """

    timezone: str = "UTC"
    business_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    quiet_hours: tuple[dt.time, dt.time] | None = (dt.time(18, 0), dt.time(8, 0))
    holidays: frozenset[dt.date] = frozenset()


@dataclass(frozen=True)
class OutreachConfig:
    """The chasing rules. Durations are offsets; ``reminder_cadence`` counts from the initial request."""

    reminder_cadence: tuple[dt.timedelta, ...] = (dt.timedelta(days=14), dt.timedelta(days=28))
    escalate_after_reminders: int = 2  # 0 turns this trigger off
    escalate_grace: dt.timedelta = dt.timedelta(days=7)  # wait after the last counted reminder before escalating
    escalate_days_before_due: int = 7  # 0 turns this trigger off
    escalate_at_due: bool = True
    clarification_followup: tuple[dt.timedelta, ...] = (dt.timedelta(days=7), dt.timedelta(days=14))
    batch_size: int = 50  # e-mails per tick at most
    max_emails_per_hour: int = 200  # 0 = no hourly limit
    digest: DigestFrequency = DigestFrequency.DAILY
    digest_time: dt.time = dt.time(9, 0)
    digest_weekday: int = 1  # ISO weekday for weekly digests
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
