"""From the typed ``[outreach]``, ``[schedule]`` and ``[slack]`` digest settings to the policy's ``OutreachConfig``,
and the tick scheduler.

``bot.config`` has already parsed and checked every value (durations, weekdays, times of day); this module only
maps them onto the pure policy's configuration, so the policy never sees configuration syntax.

APScheduler (3.x, ``BackgroundScheduler``, in-memory job store) only fires ticks: due times and counts live in
the project's own tables. Jobs have fixed ids and ``replace_existing=True``; ``coalesce=True`` and
``max_instances=1`` make a slow tick swallow the ticks it overlapped instead of queueing them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from bot.config import ScheduleSettings, Settings
from cmrt.outreach import DigestFrequency, OutreachConfig, ScheduleConfig

log = logging.getLogger("cmbot.scheduler")

TICK_JOB_ID = "cmrt-outreach-tick"
HEARTBEAT_JOB_ID = "cmrt-heartbeat"
UPKEEP_JOB_ID = "cmrt-lists-upkeep"


class ScheduleSettingsError(ValueError):
    """A scheduling key has a value the bot cannot use (names the key)."""


def schedule_config(schedule: ScheduleSettings) -> ScheduleConfig:
    start_end = schedule.quiet_hours
    return ScheduleConfig(
        timezone=schedule.timezone,
        business_days=frozenset(schedule.business_days),
        quiet_hours=(start_end[0], start_end[1]) if len(start_end) == 2 else None,
        holidays=frozenset(schedule.holidays),
    )


def outreach_config(settings: Settings) -> OutreachConfig:
    """The policy's configuration from the settings (the digest goes to the team's channel: ``[slack] digest*``)."""
    o, slack = settings.outreach, settings.slack
    followups = o.clarification_followup
    if list(followups) != sorted(followups):
        raise ScheduleSettingsError(
            "outreach.clarification_followup: the durations must grow (they count from the first e-mail)"
        )
    return OutreachConfig(
        reminder_cadence=o.reminder_cadence,
        escalate_after_reminders=o.escalate_after_reminders,
        escalate_grace=o.escalate_grace,
        escalate_days_before_due=o.escalate_days_before_due,
        escalate_at_due=o.escalate_at_due,
        clarification_followup=followups,
        batch_size=o.batch_size,
        max_emails_per_hour=o.max_emails_per_hour,
        digest=DigestFrequency(slack.digest),
        digest_time=slack.digest_time,
        digest_weekday=slack.digest_weekday,
        schedule=schedule_config(settings.schedule),
    )


def tick_interval(settings: Settings) -> dt.timedelta:
    tick = settings.schedule.tick
    if tick.total_seconds() < 0.5:
        raise ScheduleSettingsError("schedule.tick: at least 1s")
    return tick


def build_scheduler(
    tick: Callable[[], object],
    every: dt.timedelta,
    *,
    heartbeat: Callable[[], object] | None = None,
    heartbeat_every: dt.timedelta | None = None,
    upkeep: Callable[[], object] | None = None,
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
    if upkeep is not None:  # RMI's lists and the reviews that follow them: its own job, so a long re-review never
        # holds up the outreach tick (APScheduler runs jobs in a thread pool; max_instances=1 per job)
        scheduler.add_job(
            upkeep,
            "interval",
            seconds=seconds,
            id=UPKEEP_JOB_ID,
            name="lists upkeep",
            replace_existing=True,
            next_run_time=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds),
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
