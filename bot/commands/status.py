"""``cmrt-bot status [--campaign YEAR] [--json]``: where a campaign stands, and whether the bot is alive.

JSON output (stable keys; new keys may be added, none renamed or removed)::

    {
      "campaign": {"year": 2025, "due_date": "2026-03-31", "state": "active", "scope": "company",
                   "template_family": "CMRT", "min_template_version": "6.01", "suppliers": "all"} | null,
      "requests": 990,                       # requests in the campaign
      "states": {"not_sent": 990, "sent": 0, "reminded": 0, "responded": 0, "accepted": 0,
                 "clarification_requested": 0, "escalated": 0, "exempt": 0, "closed": 0},
      "answered": 0,                         # = figures.responded (a workbook arrived and was read)
      "response_rate": 0.0,                  # = figures.response_rate: responded / surveyed, 0..1, 4 decimals
      "overdue": 0,                          # = figures.overdue (docs/figures.md)
      "grades": {"accepted": 3, "needs_clarification": 0, "high_risk": 1, "rejected": 0},  # latest reviews
      "components": [{"component": "inbox", "state": "running", "host": "...", "pid": 123,
                      "beat_at": "2026-01-15T09:30:00+00:00", "age_seconds": 12, "alive": true}],
      "figures": {...} | null,               # the campaign figures, as `report --json` prints them
      "families": {"CMRT": {"asked": 990, "surveyed": 0, "responded": 0, "response_rate": 0.0, "unasked": 0,
                            "overdue": 0}},
                                             # = figures.families: per template family (docs/figures.md)
      "rmap_list_date": "2026-08-22" | null, "rmap_list_age_days": 102 | null, "rmap_lists_stale": true,
      "warnings": ["The RMAP status lists are of 2026-08-22, 102 days old ..."],
      "lists_fetch": {"last_try", "last_success", "failures", "next_try", "last_problem", "last_changes"} | null
    }

Every figure comes from ``cmrt.figures`` (docs/figures.md), as in ``report``, Slack and the digest.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.commands._common import CommandError, open_database, run_command, settings_from


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
    from handlers.status import NoSuchCampaign, campaign_for, report_lines, status_report
    from store import utcnow

    settings = settings_from(args)
    with open_database(settings) as db, db.read_session() as session:
        try:
            campaign = campaign_for(session, args.campaign)
        except NoSuchCampaign as exc:
            raise CommandError(str(exc)) from None
        report = status_report(
            session, campaign, timezone=settings.schedule.timezone, tick=settings.schedule.tick, now=utcnow(),
            max_list_age_days=settings.smelters.max_list_age_days,
        )  # fmt: skip
    if args.json:
        print(json.dumps(report.data, indent=2))
    else:
        print("\n".join(report_lines(report)))
    return 0
