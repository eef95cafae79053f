"""The digest: campaign numbers plus a progress chart (PNG, uploaded with ``files_upload_v2``).

``send_digest_if_due`` is what the scheduler calls on each tick; it posts at most once per scheduled slot
(daily or weekly, at a configured local time), remembering the last slot in the ``bot_state`` table, so a
restart or a second tick never posts twice. ``post_report`` posts the same content on demand (``/cmrt report``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from cmrt.reporting.xlsx import workbook_bytes
from handlers.report import build_report
from handlers.slack import blocks
from handlers.slack.chart import progress_chart
from handlers.slack.deps import ChatOps
from handlers.slack.guard import audit
from handlers.slack.queries import campaign_stats, find_campaign, progress_points
from store import campaigns, runtime
from store.figures import first_read_at

log = logging.getLogger("cmbot.slack.digest")

STATE_KEY = "slack_digest"


@dataclass(frozen=True)
class DigestSchedule:
    frequency: str = "weekly"  # daily | weekly | off
    at: dt.time = dt.time(9, 0)
    weekday: int = 1  # ISO: 1 = Monday ... 7 = Sunday (as [slack] digest_weekday); used when weekly
    timezone: str = "UTC"

    def last_slot(self, now: dt.datetime) -> dt.datetime | None:
        """The most recent scheduled moment at or before ``now`` (aware), or None when the digest is off."""
        if self.frequency == "off":
            return None
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        slot = dt.datetime.combine(local.date(), self.at, tzinfo=zone)
        if slot > local:
            slot -= dt.timedelta(days=1)
        if self.frequency == "weekly":
            slot -= dt.timedelta(days=(slot.isoweekday() - self.weekday) % 7)
        return slot.astimezone(dt.UTC)


def post_report(
    client: WebClient, ops: ChatOps, *, channel: str, now: dt.datetime, period: str, actor: str = "system"
) -> str:
    """Post the numbers and the chart to ``channel``; returns a sentence for the user who asked."""
    with ops.db.read_session() as session:  # no write lock while a large campaign's report is built
        campaign = find_campaign(session)
        if campaign is None:
            return "There is no campaign yet; nothing to report."
        today = ops.report.today(now)
        stats = campaign_stats(session, campaign, ops.report, now)
        points = progress_points(session, campaign, today)
        earlier = campaigns.get_by_year(session, campaign.year - 1)
        previous = progress_points(session, earlier, earlier.due_date) if earlier is not None else []
        since = now - dt.timedelta(days=7 if period == "weekly" else 1)
        new_answers = sum(1 for at in first_read_at(session, campaign.id).values() if at >= since)
        report = build_report(session, campaign, today=today, now=now, options=ops.report)
    with ops.db.session() as session:
        audit(session, actor=actor, action="slack_digest_posted", details={"period": period}, at=now)
    message = blocks.digest_blocks(stats, period, new_answers) + blocks.report_blocks(report)
    client.chat_postMessage(channel=channel, text=f"CMRT campaign {stats.year}: {period} digest", blocks=message)
    png = progress_chart(points, stats.total, due=stats.due_date, previous=previous, year=stats.year,
                         previous_year=earlier.year if earlier is not None else None)  # fmt: skip
    client.files_upload_v2(
        channel=channel,
        content=png,
        filename=f"cmrt-{stats.year}-progress-{today.isoformat()}.png",
        title=f"Responses over time, campaign {stats.year}",
        alt_txt=f"Responses over time: {stats.figures.responded} of {stats.figures.surveyed} suppliers responded",
    )
    # the long lists (smelter and mine countries, every smelter) go into the report workbook, not inline
    client.files_upload_v2(
        channel=channel,
        content=workbook_bytes(report),
        filename=f"cmrt-{stats.year}-report-{today.isoformat()}.xlsx",
        title=f"Campaign {stats.year} report (countries, smelters, suppliers)",
    )
    return f"Posted the campaign {stats.year} figures to <#{channel}>."


def send_digest_if_due(client: WebClient, ops: ChatOps, schedule: DigestSchedule, now: dt.datetime) -> bool:
    """Post the digest when a scheduled slot has passed since the last one; True when it was posted."""
    slot = schedule.last_slot(now)
    if slot is None or not ops.channel:
        return False
    with ops.db.session() as session:
        state = runtime.get_value(session, STATE_KEY) or {}
        last = state.get("slot")
        if last is not None and dt.datetime.fromisoformat(last) >= slot:
            return False
        runtime.set_value(session, STATE_KEY, {**state, "slot": slot.isoformat()})
    # the slot is claimed before posting: a crash in between loses one digest rather than posting it twice
    post_report(client, ops, channel=ops.channel, now=now, period=schedule.frequency)
    return True
