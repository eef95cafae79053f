"""``cmrt-bot campaign create`` (a reporting year's campaign and one request per selected supplier) and
``cmrt-bot campaign list``."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from bot.commands._common import CommandError, open_database, os_actor, run_command, settings_from
from store import audit, campaigns, suppliers

FAMILIES = ("CMRT", "EMRT", "CRT", "AMRT")
DEFAULT_MIN_VERSION = {"CMRT": "6.01"}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (write YYYY-MM-DD)") from None


def _year(text: str) -> int:
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a reporting year (e.g. 2025)")
    return int(text)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("campaign", parents=[common], help="campaigns: create, list")
    sub = parser.add_subparsers(dest="campaign_command", metavar="ACTION", required=True)
    create = sub.add_parser(
        "create",
        parents=[common],
        help="create a reporting year's campaign with one request per selected supplier (state not_sent)",
    )
    create.add_argument("--year", type=_year, required=True, help="reporting year, e.g. 2025")
    create.add_argument("--due", type=_date, required=True, metavar="YYYY-MM-DD", help="due date for suppliers")
    create.add_argument("--scope", choices=("company", "product"), default="company",
                        help="declaration scope requested (default: company)")
    create.add_argument("--suppliers", default="all", metavar="all|TAG",
                        help="which suppliers get a request: all (default) or those with this tag")
    create.add_argument("--family", choices=FAMILIES, default="CMRT", help="required template (default: CMRT)")
    create.add_argument("--min-version", default=None,
                        help="oldest template version accepted (default for CMRT: 6.01)")
    create.set_defaults(func=lambda a: run_command("campaign create", a, do_create))
    lst = sub.add_parser("list", parents=[common], help="list campaigns")
    lst.set_defaults(func=lambda a: run_command("campaign list", a, do_list))


def do_create(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    tag = None if args.suppliers.lower() == "all" else args.suppliers
    min_version = args.min_version or DEFAULT_MIN_VERSION.get(args.family)
    with open_database(settings) as db, db.session() as session:
        if campaigns.get_by_year(session, args.year) is not None:
            raise CommandError(f"a campaign for reporting year {args.year} already exists (see `cmrt-bot status`)")
        selected = suppliers.list_suppliers(session, tag=tag)
        if not selected:
            which = f"tagged {tag!r}" if tag else "at all"
            raise CommandError(f"no suppliers {which}: import them first with `cmrt-bot suppliers import FILE`")
        campaign = campaigns.create(
            session,
            year=args.year,
            due_date=args.due,
            suppliers=selected,
            scope=args.scope,
            template_family=args.family,
            min_template_version=min_version,
            supplier_filter=tag or "all",
            created_by=os_actor(),
        )
        audit.record(
            session,
            os_actor(),
            "campaign.create",
            "campaign",
            args.year,
            {"due_date": args.due.isoformat(), "scope": args.scope, "suppliers": tag or "all",
             "template_family": args.family, "min_template_version": min_version, "requests": len(selected)},
        )
        year = campaign.year
    version = f" >= {min_version}" if min_version else ""
    print(
        f"campaign {year} created: {len(selected)} request(s) in state not_sent; {args.family}{version}, "
        f"{args.scope} scope, due {args.due.isoformat()}, suppliers: {tag or 'all'}"
    )
    print("requests go out when `cmrt-bot run` is running (preview with `cmrt-bot plan`)")
    return 0


def do_list(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    with open_database(settings) as db, db.session() as session:
        rows = [
            (c.year, c.state.value, c.due_date.isoformat(), c.template_family, c.min_template_version or "-",
             c.scope, c.supplier_filter, len(c.requests))
            for c in campaigns.list_campaigns(session)
        ]
    if not rows:
        print("no campaigns: create one with `cmrt-bot campaign create --year YEAR --due YYYY-MM-DD`")
        return 0
    print("YEAR  STATE   DUE         TEMPLATE  MIN    SCOPE    SUPPLIERS  REQUESTS")
    for year, state, due, family, min_version, scope, which, count in rows:
        print(f"{year}  {state:<7} {due}  {family:<8}  {min_version:<5}  {scope:<7}  {which:<9}  {count}")
    return 0
