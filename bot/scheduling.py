"""From the ``[outreach]`` and ``[schedule]`` settings to the policy's ``OutreachConfig``, and the tick scheduler.

The settings object comes from ``bot.config``; this module reads the keys it needs by name and accepts the
shapes a TOML file naturally gives (``"14d"`` or a ``timedelta``; ``["mon", "tue"]`` or ISO weekday numbers;
``"18:00-08:00"`` or a pair of times), so the policy never sees configuration syntax.

APScheduler (3.x, ``BackgroundScheduler``, in-memory job store) only fires ticks: due times and counts live in
the project's own tables. Jobs have fixed ids and ``replace_existing=True``; ``coalesce=True`` and
``max_instances=1`` make a slow tick swallow the ticks it overlapped instead of queueing them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from cmrt.outreach import DigestFrequency, OutreachConfig, ScheduleConfig

log = logging.getLogger("cmbot.scheduler")

TICK_JOB_ID = "cmrt-outreach-tick"
HEARTBEAT_JOB_ID = "cmrt-heartbeat"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([wdhms])\s*$", re.IGNORECASE)
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}


class ScheduleSettingsError(ValueError):
    """A scheduling key has a value the bot cannot use (names the key)."""


def duration(value: Any, key: str) -> dt.timedelta:
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.timedelta(seconds=float(value))
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return dt.timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])
    raise ScheduleSettingsError(f"{key}: {value!r} is not a duration like 14d, 36h, 90m or 30s")


def durations(value: Any, key: str) -> tuple[dt.timedelta, ...]:
    if value is None:
        return ()
    if isinstance(value, str | dt.timedelta | int | float):
        value = [value]
    result = tuple(duration(v, key) for v in value)
    if list(result) != sorted(result):
        raise ScheduleSettingsError(f"{key}: the durations must grow (they count from the first e-mail)")
    return result


def clock_time(value: Any, key: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ScheduleSettingsError(f"{key}: {value!r} is not a time like 09:00")


def weekday(value: Any, key: str) -> int:
    if isinstance(value, int) and 1 <= value <= 7:
        return value
    if isinstance(value, str) and value.strip().lower()[:3] in _DAYS:
        return _DAYS[value.strip().lower()[:3]]
    raise ScheduleSettingsError(f"{key}: {value!r} is not a weekday (mon ... sun)")


def business_days(value: Any) -> frozenset[int]:
    if value is None:
        return frozenset({1, 2, 3, 4, 5})
    if isinstance(value, str):
        text = value.strip().lower()
        if "-" in text and "," not in text:  # "mon-fri"
            first, _, last = text.partition("-")
            a, b = weekday(first, "schedule.business_days"), weekday(last, "schedule.business_days")
            return frozenset(range(a, b + 1)) if a <= b else frozenset([*range(a, 8), *range(1, b + 1)])
        value = [v for v in re.split(r"[,\s]+", text) if v]
    days = frozenset(weekday(v, "schedule.business_days") for v in value)
    if not days:
        raise ScheduleSettingsError("schedule.business_days: at least one day is needed")
    return days


def quiet_hours(value: Any) -> tuple[dt.time, dt.time] | None:
    if value in (None, "", [], (), "off", "none"):
        return None
    if isinstance(value, str):
        parts = [p for p in re.split(r"\s*[-–]\s*", value.strip()) if p]
        if len(parts) != 2:
            raise ScheduleSettingsError(f"schedule.quiet_hours: {value!r} is not like 18:00-08:00")
        value = parts
    if isinstance(value, Iterable):
        items = list(value)
        if len(items) == 2:
            return clock_time(items[0], "schedule.quiet_hours"), clock_time(items[1], "schedule.quiet_hours")
    raise ScheduleSettingsError(f"schedule.quiet_hours: {value!r} is not like 18:00-08:00")


def _section(settings: Any, name: str) -> Any:
    return getattr(settings, name, None)


def _get(section: Any, key: str, default: Any) -> Any:
    if section is None:
        return default
    if isinstance(section, dict):
        return section.get(key, default)
    value = getattr(section, key, default)
    return default if value is None and default is not None else value


def schedule_config(settings: Any) -> ScheduleConfig:
    section = _section(settings, "schedule")
    holidays = _get(section, "holidays", ()) or ()
    return ScheduleConfig(
        timezone=str(_get(section, "timezone", "UTC") or "UTC"),
        business_days=business_days(_get(section, "business_days", None)),
        quiet_hours=quiet_hours(_get(section, "quiet_hours", None)),
        holidays=frozenset(h if isinstance(h, dt.date) else dt.date.fromisoformat(str(h)) for h in holidays),
    )


def outreach_config(settings: Any) -> OutreachConfig:
    """The policy's configuration from the settings (defaults for every key the settings do not have)."""
    o = _section(settings, "outreach")
    d = OutreachConfig()
    digest_section = _section(settings, "slack")  # the digest goes to the team's channel: [slack] digest*
    digest = _get(digest_section, "digest", None) or d.digest.value
    try:
        frequency = DigestFrequency(str(digest).lower())
    except ValueError as exc:
        raise ScheduleSettingsError(f"slack.digest: {digest!r} is not one of off, daily, weekly") from exc
    return OutreachConfig(
        reminder_cadence=durations(_get(o, "reminder_cadence", d.reminder_cadence), "outreach.reminder_cadence"),
        escalate_after_reminders=int(_get(o, "escalate_after_reminders", d.escalate_after_reminders)),
        escalate_grace=duration(_get(o, "escalate_grace", d.escalate_grace), "outreach.escalate_grace"),
        escalate_days_before_due=int(_get(o, "escalate_days_before_due", d.escalate_days_before_due)),
        escalate_at_due=bool(_get(o, "escalate_at_due", d.escalate_at_due)),
        clarification_followup=durations(
            _get(o, "clarification_followup", d.clarification_followup), "outreach.clarification_followup"
        ),
        batch_size=int(_get(o, "batch_size", d.batch_size)),
        max_emails_per_hour=int(_get(o, "max_emails_per_hour", d.max_emails_per_hour)),
        digest=frequency,
        digest_time=clock_time(_get(digest_section, "digest_time", None) or d.digest_time, "slack.digest_time"),
        digest_weekday=weekday(
            _get(digest_section, "digest_weekday", None) or d.digest_weekday,
            "slack.digest_weekday",
        ),
        schedule=schedule_config(settings),
    )


def tick_interval(settings: Any) -> dt.timedelta:
    value = _get(_section(settings, "schedule"), "tick", "1m")
    tick = duration(value, "schedule.tick")
    if tick.total_seconds() < 0.5:
        raise ScheduleSettingsError("schedule.tick: at least 1s")
    return tick


def build_scheduler(
    tick: Callable[[], object],
    every: dt.timedelta,
    *,
    heartbeat: Callable[[], object] | None = None,
    heartbeat_every: dt.timedelta | None = None,
) -> BackgroundScheduler:
    """A paused-free ``BackgroundScheduler`` with the tick (and heartbeat) jobs added; call ``start()``."""
    scheduler = BackgroundScheduler(
        timezone=dt.UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    seconds = every.total_seconds()
    scheduler.add_job(
        tick,
        "interval",
        seconds=seconds,
        id=TICK_JOB_ID,
        name="outreach tick",
        replace_existing=True,
        next_run_time=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=min(seconds, 1.0)),
    )
    if heartbeat is not None:
        hb = (heartbeat_every or every).total_seconds()
        scheduler.add_job(
            heartbeat,
            "interval",
            seconds=hb,
            id=HEARTBEAT_JOB_ID,
            name="heartbeat",
            replace_existing=True,
            next_run_time=dt.datetime.now(dt.UTC),
        )
    return scheduler
