"""``cmrt-bot review --campaign YEAR [--dry-run] [--json]``: review the latest workbook of every open request again.

Uses the newest imported RMI lists and the campaign's current rules (the configuration's ``[review.overrides]``
and ``[review.campaigns."YEAR"]``, the campaign's own overrides). A new review is stored only where the grade or
the findings changed; nothing is e-mailed to suppliers (in Slack, the team picks whom to send the new findings
to). ``--dry-run`` shows what would change and stores nothing. ``cmrt-bot run`` does this by itself after a list
import or a change of rules.

JSON output: ``{"campaign", "reason", "lists", "reviewed", "grade_changes", "changes": [{"request_id",
"supplier_id", "supplier", "before", "after", "review_id", "new_findings", "resolved_findings"}], "failed",
"dry_run"}``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.commands._common import CommandError, open_database, run_command, settings_from
from bot.commands._console import interactive, progress


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "review",
        parents=[common],
        help="review the latest workbook of every open request again (current RMI lists and campaign rules)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--campaign", type=int, metavar="YEAR", required=True, help="reporting year")
    parser.add_argument("--dry-run", action="store_true", help="show what would change, store nothing")
    parser.add_argument("--json", action="store_true", help="machine-readable output (keys documented above)")
    parser.set_defaults(func=lambda a: run_command("review", a, do_review))


def do_review(args: argparse.Namespace) -> int:
    from bot.lists_wiring import rereviewer

    settings = settings_from(args)
    bar = progress(f"reviewing campaign {args.campaign} again", show=interactive(as_json=args.json))
    with open_database(settings) as db, bar:
        try:
            result = rereviewer(settings, db).run(args.campaign, dry_run=args.dry_run)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        for line in result.lines():
            print(line)
        if result.changes and not args.dry_run:
            print("Nothing was e-mailed: send the new findings from Slack, or ask the suppliers yourself.")
    return 1 if result.failed else 0
