"""``cmrt-bot status [--campaign YEAR] [--json]``: where a campaign stands, and whether the bot is alive.

JSON output (stable keys; new keys may be added, none renamed or removed)::

    {
      "campaign": {"year": 2025, "due_date": "2026-03-31", "state": "active", "scope": "company",
                   "template_family": "CMRT", "min_template_version": "6.01", "suppliers": "all"} | null,
      "requests": 990,                       # requests in the campaign
      "states": {"not_sent": 990, "sent": 0, "reminded": 0, "responded": 0, "accepted": 0,
                 "clarification_requested": 0, "escalated": 0, "exempt": 0, "closed": 0},
      "answered": 0,                         # requests with a response (responded_at set)
      "response_rate": 0.0,                  # answered / (requests - exempt), 0..1, 4 decimals
      "overdue": 0,                          # sent, reminded or escalated, unanswered, past the due date
      "grades": {"accepted": 3, ...},        # latest review grade per request
      "components": [{"component": "inbox", "state": "running", "host": "...", "pid": 123,
                      "beat_at": "2026-01-15T09:30:00+00:00", "age_seconds": 12, "alive": true}]
    }
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import zoneinfo
from typing import Any

from sqlalchemy.orm import Session

from bot.commands._common import CommandError, open_database, run_command, settings_from
from bot.config import Settings
from cmrt.outreach.states import CHASED_STATES, RequestState
from store import campaigns, requests, utcnow
from store.models import Campaign

RS = RequestState


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "status",
        parents=[common],
        help="campaign progress (requests per state, response rate, grades) and component liveness",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--campaign", type=int, metavar="YEAR", help="reporting year (default: the latest)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (keys documented above)")
    parser.set_defaults(func=lambda a: run_command("status", a, do_status))


def do_status(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    now = utcnow()
    with open_database(settings) as db, db.session() as session:
        if args.campaign is not None:
            campaign = campaigns.get_by_year(session, args.campaign)
            if campaign is None:
                raise CommandError(f"no campaign for reporting year {args.campaign}")
        else:
            campaign = campaigns.latest(session)
        report = build_report(session, campaign, settings, now)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


def build_report(session: Session, campaign: Campaign | None, settings: Settings, now: dt.datetime) -> dict[str, Any]:
    report: dict[str, Any] = {
        "campaign": None,
        "requests": 0,
        "states": {s.value: 0 for s in RequestState},
        "answered": 0,
        "response_rate": 0.0,
        "overdue": 0,
        "grades": {},
        "components": components(session, settings, now),
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
    today = now.astimezone(zoneinfo.ZoneInfo(settings.schedule.timezone)).date()
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


def components(session: Session, settings: Settings, now: dt.datetime) -> list[dict[str, Any]]:
    """Liveness from the heartbeat rows (``bot.liveness``): a restarting, stopped or stale component is not alive."""
    from bot.liveness import liveness

    limit = max(settings.schedule.tick * 3, dt.timedelta(minutes=2))
    return [{**row.to_json(), "age_seconds": int(row.age_seconds)} for row in liveness(session, now, limit)]


def print_report(report: dict[str, Any]) -> None:
    campaign = report["campaign"]
    if campaign is None:
        print("no campaign yet: create one with `cmrt-bot campaign create --year YEAR --due YYYY-MM-DD`")
    else:
        version = f" >= {campaign['min_template_version']}" if campaign["min_template_version"] else ""
        print(
            f"campaign {campaign['year']}: {campaign['state']}, due {campaign['due_date']}, "
            f"{campaign['template_family']}{version}, {campaign['scope']} scope, suppliers: {campaign['suppliers']}"
        )
        print(f"requests: {report['requests']}")
        for state, count in report["states"].items():
            print(f"  {state:<24} {count:>6}")
        print(f"response rate: {report['response_rate'] * 100:.1f}% ({report['answered']} answered)")
        print(f"overdue: {report['overdue']}")
        grades = report["grades"]
        print("grades: " + (", ".join(f"{g} {n}" for g, n in grades.items()) if grades else "none yet"))
    comps = report["components"]
    if not comps:
        print("components: none has reported (is `cmrt-bot run` running?)")
    for c in comps:
        alive = "alive" if c["alive"] else "NOT RESPONDING"
        detail = f" - {c['detail']}" if c.get("detail") else ""
        where = f"last beat {c['age_seconds']}s ago on {c['host']}"
        print(f"component {c['component']}: {alive} ({c['state']}, {where}){detail}")
