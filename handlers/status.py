"""Where a campaign stands and whether the bot is alive: the use case behind ``cmrt-bot status``.

``campaign_for(session, year)`` picks the campaign (``store.campaigns.current`` when no year is given, as every
surface does); ``status_report`` takes its figures from the one definition (``cmrt.figures`` via
``store.figures``), adds the RMAP lists' date and the stale-list warning, the last fetch of RMI's lists, and the
components' heartbeats (``handlers.liveness``); ``report_lines`` renders the report for a terminal. The JSON keys are
the command's stable interface (``bot/commands/status.py`` lists them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from cmrt.figures import CampaignFigures
from cmrt.outreach.states import RequestState
from handlers.liveness import liveness
from handlers.report import ListsState, ReportOptions, lists_state
from handlers.smelter_lists import FETCH_STATE
from store import campaigns, runtime
from store import figures as figure_repo
from store.models import Campaign


class NoSuchCampaign(LookupError):
    """No campaign for the reporting year asked for (the message says so)."""


def campaign_for(session: Session, year: int | None) -> Campaign | None:
    """The campaign of reporting ``year`` (``NoSuchCampaign`` when there is none), else the current one, if any."""
    if year is None:
        return campaigns.current(session)
    campaign = campaigns.get_by_year(session, year)
    if campaign is None:
        raise NoSuchCampaign(f"no campaign for reporting year {year}")
    return campaign


@dataclass(frozen=True)
class StatusReport:
    """``data`` is the ``status --json`` object; ``figures`` and ``lists`` are what its lines are rendered from."""

    data: dict[str, Any]
    figures: CampaignFigures | None
    lists: ListsState


def status_report(
    session: Session,
    campaign: Campaign | None,
    *,
    timezone: str,
    tick: dt.timedelta,
    now: dt.datetime,
    max_list_age_days: int | None = None,
) -> StatusReport:
    """The ``status --json`` object and the figures; ``timezone`` decides the day the due date passes, ``tick``
    when a heartbeat is too old, ``max_list_age_days`` when the RMAP lists are stale."""
    options = ReportOptions(timezone=timezone)
    if max_list_age_days is not None:
        options = ReportOptions(timezone=timezone, max_list_age_days=max_list_age_days)
    today = options.today(now)
    lists = lists_state(session, today, options.max_list_age_days)
    report: dict[str, Any] = {
        "campaign": None,
        "requests": 0,
        "states": {s.value: 0 for s in RequestState},
        "answered": 0,
        "response_rate": 0.0,
        "overdue": 0,
        "grades": {},
        "families": {},
        "components": components(session, now, tick),
        "figures": None,
        **lists.to_json(),
        "warnings": [lists.warning] if lists.warning else [],
        "lists_fetch": runtime.get_value(session, FETCH_STATE),
    }
    if campaign is None:
        return StatusReport(report, None, lists)
    report["campaign"] = {
        "year": campaign.year,
        "due_date": campaign.due_date.isoformat(),
        "state": campaign.state.value,
        "scope": campaign.scope,
        "template_family": campaign.template_family,
        "min_template_version": campaign.min_template_version,
        "suppliers": campaign.supplier_filter,
    }
    figures = figure_repo.campaign_figures(session, campaign, today)
    report.update(
        requests=figures.suppliers,
        states=figures.by_state,
        answered=figures.responded,
        response_rate=round(figures.response_rate, 4),
        overdue=figures.overdue,
        grades=figures.grades,
        figures=figures.to_json(),
        families=figures.to_json()["families"],
    )
    return StatusReport(report, figures, lists)


def components(session: Session, now: dt.datetime, tick: dt.timedelta) -> list[dict[str, Any]]:
    """Liveness from the heartbeat rows: a restarting, stopped or stale component is not alive."""
    limit = max(tick * 3, dt.timedelta(minutes=2))
    return [{**row.to_json(), "age_seconds": int(row.age_seconds)} for row in liveness(session, now, limit)]


def report_lines(status: StatusReport) -> list[str]:
    """The report for a terminal: the campaign, the figures (the lines every surface prints), the requests per
    state, the RMAP lists and their last fetch, warnings, the components."""
    lines: list[str] = []
    report = status.data
    campaign = report["campaign"]
    if campaign is None:
        lines.append("no campaign yet: create one with `cmrt-bot campaign create --year YEAR --due YYYY-MM-DD`")
    else:
        version = f" >= {campaign['min_template_version']}" if campaign["min_template_version"] else ""
        lines.append(
            f"campaign {campaign['year']}: {campaign['state']}, due {campaign['due_date']}, "
            f"{campaign['template_family']}{version}, {campaign['scope']} scope, suppliers: {campaign['suppliers']}"
        )
        if status.figures is not None:
            lines.extend(status.figures.lines())
        lines.append(f"requests: {report['requests']}")
        lines.extend(f"  {state:<24} {count:>6}" for state, count in report["states"].items())
    lines.append(status.lists.line)
    fetch = report.get("lists_fetch") or {}
    if fetch.get("last_try"):
        outcome = "ok" if not fetch.get("failures") else f"FAILED ({fetch.get('last_problem')})"
        lines.append(f"last fetch of RMI's lists: {fetch['last_try'][:16].replace('T', ' ')} UTC, {outcome}; "
                     f"next {str(fetch.get('next_try', ''))[:16].replace('T', ' ')} UTC")  # fmt: skip
    lines.extend(f"WARNING: {warning}" for warning in report["warnings"])
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
