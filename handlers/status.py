"""Where a campaign stands and whether the bot is alive: the use case behind ``cmrt-bot status``.

``campaign_for(session, year)`` picks the campaign (the latest when no year is given), ``status_report`` counts its
requests per state, the answered ones, the overdue ones and the latest grades, and reads the components'
heartbeats (``handlers.liveness``); ``report_lines`` renders the report for a terminal. The JSON keys are the
command's stable interface (``bot/commands/status.py`` lists them).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from sqlalchemy.orm import Session

from cmrt.outreach.states import CHASED_STATES, RequestState
from handlers.liveness import liveness
from store import campaigns, requests
from store.models import Campaign

RS = RequestState


class NoSuchCampaign(LookupError):
    """No campaign for the reporting year asked for (the message says so)."""


def campaign_for(session: Session, year: int | None) -> Campaign | None:
    """The campaign of reporting ``year`` (``NoSuchCampaign`` when there is none), else the latest, if any."""
    if year is None:
        return campaigns.latest(session)
    campaign = campaigns.get_by_year(session, year)
    if campaign is None:
        raise NoSuchCampaign(f"no campaign for reporting year {year}")
    return campaign


def status_report(
    session: Session, campaign: Campaign | None, *, timezone: str, tick: dt.timedelta, now: dt.datetime
) -> dict[str, Any]:
    """The ``status --json`` object; ``timezone`` decides the day the due date passes, ``tick`` when a heartbeat
    is too old."""
    report: dict[str, Any] = {
        "campaign": None,
        "requests": 0,
        "states": {s.value: 0 for s in RequestState},
        "answered": 0,
        "response_rate": 0.0,
        "overdue": 0,
        "grades": {},
        "components": components(session, now, tick),
    }
    if campaign is None:
        return report
    report["campaign"] = {
        "year": campaign.year,
        "due_date": campaign.due_date.isoformat(),
        "state": campaign.state.value,
        "scope": campaign.scope,
        "template_family": campaign.template_family,
        "min_template_version": campaign.min_template_version,
        "suppliers": campaign.supplier_filter,
    }
    reqs = requests.for_campaign(session, campaign.id)
    counts = {s.value: 0 for s in RequestState}
    for r in reqs:
        counts[r.state.value] += 1
    answered = sum(1 for r in reqs if r.responded_at is not None or r.state in (RS.RESPONDED, RS.ACCEPTED))
    exempt = counts[RS.EXEMPT.value]
    today = now.astimezone(zoneinfo.ZoneInfo(timezone)).date()
    overdue = 0
    if today > campaign.due_date:
        overdue = sum(1 for r in reqs if r.state in CHASED_STATES and r.responded_at is None)
    grades: dict[str, int] = {}
    for grade in requests.latest_grades(session, campaign.id).values():
        grades[grade] = grades.get(grade, 0) + 1
    denominator = len(reqs) - exempt
    report.update(
        requests=len(reqs),
        states=counts,
        answered=answered,
        response_rate=round(answered / denominator, 4) if denominator > 0 else 0.0,
        overdue=overdue,
        grades=dict(sorted(grades.items())),
    )
    return report


def components(session: Session, now: dt.datetime, tick: dt.timedelta) -> list[dict[str, Any]]:
    """Liveness from the heartbeat rows: a restarting, stopped or stale component is not alive."""
    limit = max(tick * 3, dt.timedelta(minutes=2))
    return [{**row.to_json(), "age_seconds": int(row.age_seconds)} for row in liveness(session, now, limit)]


def report_lines(report: dict[str, Any]) -> list[str]:
    """The report for a terminal."""
    lines: list[str] = []
    campaign = report["campaign"]
    if campaign is None:
        lines.append("no campaign yet: create one with `cmrt-bot campaign create --year YEAR --due YYYY-MM-DD`")
    else:
        version = f" >= {campaign['min_template_version']}" if campaign["min_template_version"] else ""
        lines.append(
            f"campaign {campaign['year']}: {campaign['state']}, due {campaign['due_date']}, "
            f"{campaign['template_family']}{version}, {campaign['scope']} scope, suppliers: {campaign['suppliers']}"
        )
        lines.append(f"requests: {report['requests']}")
        lines.extend(f"  {state:<24} {count:>6}" for state, count in report["states"].items())
        lines.append(f"response rate: {report['response_rate'] * 100:.1f}% ({report['answered']} answered)")
        lines.append(f"overdue: {report['overdue']}")
        grades = report["grades"]
        lines.append("grades: " + (", ".join(f"{g} {n}" for g, n in grades.items()) if grades else "none yet"))
    return lines + component_lines(report["components"])


def component_lines(comps: list[dict[str, Any]]) -> list[str]:
    if not comps:
        return ["components: none has reported (is `cmrt-bot run` running?)"]
    lines = []
    for c in comps:
        alive = "alive" if c["alive"] else "NOT RESPONDING"
        detail = f" - {c['detail']}" if c.get("detail") else ""
        where = f"last beat {c['age_seconds']}s ago on {c['host']}"
        lines.append(f"component {c['component']}: {alive} ({c['state']}, {where}){detail}")
    return lines
