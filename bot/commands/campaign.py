"""``cmrt-bot campaign create`` (a reporting year's campaign and one request per selected supplier),
``cmrt-bot campaign list`` and ``cmrt-bot campaign set-check`` (the campaign's own review overrides).

A campaign's own overrides (``--check CHECK_ID=SEVERITY`` at creation, ``set-check`` later) are applied after the
configuration's ``[review.overrides]`` and ``[review.campaigns."YEAR"]`` (see ``handlers.review_context``)."""

from __future__ import annotations

import argparse
import difflib
from typing import Any

from bot.commands._common import CommandError, date_argument, open_database, os_actor, run_command, settings_from
from bot.commands._console import print_table

FAMILIES = ("CMRT", "EMRT", "CRT", "AMRT")
SEVERITIES = ("reject", "high_risk", "clarify", "info", "disabled")
DEFAULT_MIN_VERSION = {"CMRT": "6.01"}



def _year(text: str) -> int:
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a reporting year (e.g. 2025)")
    return int(text)


def _check_override(text: str) -> tuple[str, str]:
    """``CHECK_ID=SEVERITY`` of ``--check``, validated against the review catalogue."""
    check_id, sep, value = text.partition("=")
    if not sep or not check_id.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: write CHECK_ID=SEVERITY, e.g. smelter.duplicate=disabled")
    return validate_override(check_id.strip(), value.strip().lower())


def validate_override(check_id: str, value: str) -> tuple[str, str]:
    """Raises ``argparse.ArgumentTypeError`` naming the check id or severity the catalogue does not know."""
    from cmrt.review import CHECKS_BY_ID, ReviewConfigError, parse_overrides

    if value not in SEVERITIES:
        raise argparse.ArgumentTypeError(
            f"{check_id}: {value!r} is not one of {', '.join(SEVERITIES)}"
        )
    try:
        parse_overrides({check_id: value})
    except ReviewConfigError as exc:
        close = difflib.get_close_matches(check_id, CHECKS_BY_ID, n=1)
        hint = f" (did you mean {close[0]}?)" if close else " (check ids: docs/checks.md)"
        raise argparse.ArgumentTypeError(str(exc).removeprefix("review overrides: ") + hint) from None
    return check_id, value


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("campaign", parents=[common], help="campaigns: create, list, set-check")
    sub = parser.add_subparsers(dest="campaign_command", metavar="ACTION", required=True)
    create = sub.add_parser(
        "create",
        parents=[common],
        help="create a reporting year's campaign with one request per selected supplier (state not_sent)",
    )
    create.add_argument("--year", type=_year, required=True, help="reporting year, e.g. 2025")
    create.add_argument("--due", type=date_argument, required=True, metavar="YYYY-MM-DD", help="due date for suppliers")
    create.add_argument("--scope", choices=("company", "product"), default="company",
                        help="declaration scope requested (default: company)")
    create.add_argument("--suppliers", default="all", metavar="all|TAG",
                        help="which suppliers get a request: all (default) or those with this tag")
    create.add_argument("--family", type=_families, default="CMRT", metavar="CMRT|EMRT|CRT|AMRT[,...]",
                        help="required template, or several as a comma list (e.g. CMRT,EMRT); default: CMRT")
    create.add_argument("--min-version", default=None,
                        help="oldest template version accepted (default for CMRT: 6.01)")
    create.add_argument("--from", dest="from_year", type=_year, metavar="YEAR",
                        help="carry an earlier campaign's decisions over: its exemptions, the team member each "
                             "supplier was assigned to, and its own check settings (--check wins over them)")
    create.add_argument("--check", dest="checks", action="append", type=_check_override, default=[],
                        metavar="CHECK_ID=SEVERITY",
                        help="this campaign's review override: reject, high_risk, clarify, info or disabled "
                             "(repeatable; ids in docs/checks.md)")
    create.set_defaults(func=lambda a: run_command("campaign create", a, do_create))
    lst = sub.add_parser("list", parents=[common], help="list campaigns")
    lst.set_defaults(func=lambda a: run_command("campaign list", a, do_list))
    set_check = sub.add_parser(
        "set-check",
        parents=[common],
        help="change a campaign's own review override of one check (default: remove it)",
        description="Set the severity of one review check for one campaign (reject, high_risk, clarify, info, "
        "disabled), or `default` to remove the campaign's own override so the configuration's applies again.",
    )
    set_check.add_argument("year", type=_year, metavar="YEAR", help="the campaign's reporting year")
    set_check.add_argument("check_id", metavar="CHECK_ID", help="check id (docs/checks.md)")
    set_check.add_argument("severity", metavar="SEVERITY|default",
                           help="reject, high_risk, clarify, info, disabled or default")
    set_check.set_defaults(func=lambda a: run_command("campaign set-check", a, do_set_check))


def _families(text: str) -> str:
    """``--family``: one template family or a comma list ("CMRT,EMRT"), stored as "CMRT,EMRT"."""
    from cmrt.declaration import split_families

    families = split_families(text)
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown template family {unknown[0]!r} (choose from {', '.join(FAMILIES)})")
    return ",".join(families)


def do_create(args: argparse.Namespace) -> int:
    from handlers.review_context import stored_overrides
    from store import audit, campaigns, suppliers

    settings = settings_from(args)
    tag = None if args.suppliers.lower() == "all" else args.suppliers
    min_version = args.min_version or DEFAULT_MIN_VERSION.get(args.family)  # one family only: none for a list
    with open_database(settings) as db, db.session() as session:
        if campaigns.get_by_year(session, args.year) is not None:
            raise CommandError(f"a campaign for reporting year {args.year} already exists (see `cmrt-bot status`)")
        source = None
        if args.from_year is not None:
            source = campaigns.get_by_year(session, args.from_year)
            if source is None:
                raise CommandError(f"no campaign for reporting year {args.from_year} to carry over (see `cmrt-bot "
                                   "campaign list`)")
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
            review_overrides=dict(args.checks),
        )
        carried, taken = None, 0
        if source is not None:
            earlier = stored_overrides(source)
            taken = len(set(earlier) - set(dict(args.checks)))
            carried = campaigns.carry_over(session, source, campaign, overrides=earlier, actor=os_actor())
        audit.record(
            session,
            os_actor(),
            "campaign.create",
            "campaign",
            args.year,
            {"due_date": args.due.isoformat(), "scope": args.scope, "suppliers": tag or "all",
             "template_family": args.family, "min_template_version": min_version, "requests": len(selected),
             "review_overrides": dict(campaign.review_overrides or {})}
            | ({"from": source.year, "exempt": carried.exempt, "assigned": carried.assigned} if source and carried
               else {}),
        )  # fmt: skip
        overrides = dict(campaign.review_overrides or {})
        year = campaign.year
    version = f" >= {min_version}" if min_version else ""
    print(
        f"campaign {year} created: {len(selected)} request(s) in state not_sent; {args.family}{version}, "
        f"{args.scope} scope, due {args.due.isoformat()}, suppliers: {tag or 'all'}"
    )
    if carried is not None:
        print(f"carried over from {args.from_year}: {carried.exempt} exemption(s), {carried.assigned} "
              f"assignment(s), {taken} check setting(s)")
    if overrides:
        print("review overrides: " + ", ".join(f"{check}={value}" for check, value in overrides.items()))
    print("requests go out when `cmrt-bot run` is running (preview with `cmrt-bot plan`)")
    return 0


def do_list(args: argparse.Namespace) -> int:
    from store import campaigns

    settings = settings_from(args)
    with open_database(settings) as db, db.session() as session:
        rows = [
            (c.year, c.state.value, c.due_date.isoformat(), c.template_family, c.min_template_version or "-",
             c.scope, c.supplier_filter, len(c.requests), _overrides_text(c.review_overrides))
            for c in campaigns.list_campaigns(session)
        ]
    if not rows:
        print("no campaigns: create one with `cmrt-bot campaign create --year YEAR --due YYYY-MM-DD`")
        return 0
    print_table(("YEAR", "STATE", "DUE", "TEMPLATE", "MIN", "SCOPE", "SUPPLIERS", "REQUESTS", "CHECK OVERRIDES"),
                rows, max_cells=None)  # fmt: skip
    return 0


def _overrides_text(overrides: dict[str, Any] | None) -> str:
    """The campaign's own review overrides for ``campaign list`` (the configuration's are not shown)."""
    if not overrides:
        return "-"
    return ", ".join(f"{check}={value}" for check, value in sorted(overrides.items()))


def do_set_check(args: argparse.Namespace) -> int:
    from store import audit, campaigns

    settings = settings_from(args)
    value = args.severity.strip().lower()
    check_id = args.check_id.strip()
    with open_database(settings) as db, db.session() as session:
        campaign = campaigns.get_by_year(session, args.year)
        if campaign is None:
            raise CommandError(f"no campaign for reporting year {args.year} (see `cmrt-bot campaign list`)")
        stored = check_id in (campaign.review_overrides or {})
        if not (value == "default" and stored):  # a stored id the catalogue dropped can still be removed
            try:
                validate_override(check_id, "info" if value == "default" else value)
            except argparse.ArgumentTypeError as exc:
                extra = "" if value == "default" else " (or default to remove the campaign's override)"
                raise CommandError(f"{exc}{extra}") from None
        previous = campaigns.set_review_override(campaign, check_id, None if value == "default" else value)
        audit.record(
            session,
            os_actor(),
            "campaign.set_check",
            "campaign",
            args.year,
            {"check": check_id, "from": previous, "to": None if value == "default" else value},
        )
    if value == "default":
        was = f" (was {previous})" if previous else " (it had none)"
        print(f"campaign {args.year}: {check_id} no longer overridden by the campaign{was}; "
              "the configuration's [review] overrides or the catalogue's severity apply")
    else:
        print(f"campaign {args.year}: {check_id} = {value}" + (f" (was {previous})" if previous else ""))
    return 0
