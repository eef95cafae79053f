"""``cmrt-bot rollup --campaign YEAR --out FILE.xlsx [--scope company|product] [--products FILE.csv|xlsx]
[--as-of DATE] [--effective-date DATE] [--json]``

Our own CMRT: the company's declaration to its customers, built from the campaign's supplier declarations and
written into the official blank RMI template named by ``[rollup] template_path`` (default: the outreach
template). The company block comes from ``[company]``; questions 1-8 follow the rules of docs/rollup.md
(``[rollup.answers]`` replaces a rule); the company questions come from ``[rollup.company_questions]``; the
Smelter List holds the consolidated smelters (the same consolidation as ``cmrt-bot report``); product scope
fills the Product List from ``--products`` (columns number, name, comment).

Missing or invalid values are listed with their configuration key and nothing is written (exit 2). The
workbook is read back and reviewed by the bot itself; a field the template's Checker requires that is still
empty refuses the roll-up (exit 1).

``--json`` prints what was written and why (stable keys; new keys may be added): ``campaign``, ``out``,
``template`` (``path``, ``version``), ``as_of``, ``rmap_list_date``, ``reference_list_date``, ``scope``,
``effective_date``, ``figures`` (``surveyed``, ``responded``, ``response_rate``, ``silent``), ``company``
(field -> ``value``, ``cell``), ``metals_in_scope``, ``answers`` (question -> metal -> ``value``, ``rule``,
``reason``, ``cell``; null when the template leaves it blank), ``company_questions`` (letter -> ``answer``,
``comment``, ``source``), ``smelters`` (``row``, ``metal``, ``lookup``, ``kind``, ``name``, ``country``,
``smelter_id``, ``suppliers``), ``left_out`` (entries not on our Smelter List, each with ``reason`` and
``why``), ``products`` and ``review`` (``grade``, ``checker_remaining``, ``findings``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import pathlib
import tempfile
import zoneinfo
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.commands._common import CommandError, date_argument, open_database, run_command, settings_from
from bot.commands._console import interactive, progress

if TYPE_CHECKING:
    from bot.config import Settings
    from cmrt.rollup.model import CompanyInfo, Product
    from handlers.rollup import Rollup, RollupOrder, RollupOrders



def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "rollup",
        parents=[common],
        help="write our own CMRT (the company's declaration to its customers) from the suppliers' declarations",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--campaign", type=int, metavar="YEAR", help="reporting year (default: the latest)")
    parser.add_argument("--out", required=True, metavar="FILE.xlsx", help="the workbook to write")
    parser.add_argument("--scope", choices=("company", "product"), help="declaration scope (default: the campaign's)")
    parser.add_argument("--products", metavar="FILE.csv|xlsx", help="product list for --scope product")
    parser.add_argument("--as-of", type=date_argument, metavar="YYYY-MM-DD",
                        help="day the RMAP status is taken on (default: today)")
    parser.add_argument("--effective-date", type=date_argument, metavar="YYYY-MM-DD",
                        help="the declaration's effective date (default: today)")
    parser.add_argument("--json", action="store_true", help="print what was written and why (keys above)")
    parser.set_defaults(func=lambda a: run_command("rollup", a, do_rollup))


def company_info(settings: Settings) -> CompanyInfo:
    from cmrt.rollup.model import CompanyInfo

    return CompanyInfo(**dataclasses.asdict(settings.company))


def template_path(settings: Settings) -> pathlib.Path:
    path = settings.rollup.template_path or settings.outreach.template_path
    if not path:
        raise CommandError("rollup.template_path: set it (or [outreach] template_path) to the blank RMI CMRT", 2)
    return pathlib.Path(path)


def order_for(settings: Settings, *, today: dt.date, year: int | None, scope: str | None,
              products: list[Product], as_of: dt.date | None = None,
              effective_date: dt.date | None = None) -> RollupOrder:  # fmt: skip
    """The roll-up order from the configuration (template, company, answers) and the request's options."""
    from cmrt.rollup.model import PolicyAnswer
    from handlers.rollup import RollupOrder

    path = template_path(settings)
    try:
        template = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"rollup.template_path: cannot read {path}: {exc.strerror or exc}", 2) from None
    return RollupOrder(
        template=template,
        company=company_info(settings),
        as_of=as_of or today,
        effective_date=effective_date or today,
        year=year,
        scope=scope,
        products=products,
        answers=settings.rollup.answers,
        policy={k: PolicyAnswer(v.answer, v.comment) for k, v in settings.rollup.company_questions.items()},
    )


def orders_from(settings: Settings) -> RollupOrders:
    """Roll-up orders for Slack's ``/cmrt rollup``: the same configuration as the command; a configuration that
    cannot give one is a ``RollupError`` (answered in Slack), read again at each roll-up."""

    from handlers.rollup import RollupError

    def order(*, today: dt.date, year: int | None, scope: str | None, products: Sequence[Product]) -> RollupOrder:
        try:
            return order_for(settings, today=today, year=year, scope=scope, products=list(products))
        except CommandError as exc:
            raise RollupError(str(exc)) from None

    return order


def local_today(settings: Settings) -> dt.date:
    from store import utcnow

    return utcnow().astimezone(zoneinfo.ZoneInfo(settings.schedule.timezone)).date()


def write_atomically(path: pathlib.Path, data: bytes) -> None:
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None


def summary_lines(rollup: Rollup, out: pathlib.Path) -> list[str]:
    plan = rollup.plan
    figures = plan.figures
    kinds = [line.kind for line in plan.smelters]
    lines = [
        f"Wrote {out}: CMRT {plan.template_version or '?'} declaration of {plan.company.get('name', {}).get('value')},"
        f" {plan.scope}-level, effective {plan.effective_date.isoformat()}, campaign {rollup.campaign['year']}.",
        f"Survey: {figures['responded']} of {figures['surveyed']} surveyed suppliers responded "
        f"({figures['response_rate'] * 100:.1f} %).",
        "Metals in scope: " + (", ".join(plan.metals_in_scope) or "none") + ".",
    ]
    for key, per_metal in plan.answers.items():
        values = "; ".join(f"{metal} {item['value'] if item else '-'}" for metal, item in per_metal.items())
        lines.append(f"  {key}: {values}")
    lines.append(
        f"Smelter List: {len(kinds)} row(s): {kinds.count('listed')} from the template's look-up, "
        f"{kinds.count('not_listed')} 'Smelter not listed', {kinds.count('not_yet_identified')} 'not yet identified';"
        f" {len(plan.left_out)} entr{'y' if len(plan.left_out) == 1 else 'ies'} left out (see --json)."
    )
    if plan.products:
        lines.append(f"Product List: {len(plan.products)} product(s).")
    lines.append(f"Review of the written file: grade {rollup.review.grade.value}, 0 required fields remaining.")
    return lines


def do_rollup(args: argparse.Namespace) -> int:
    from cmrt.rollup.model import RollupInputError
    from cmrt.rollup.products import ProductListError, parse_products
    from handlers.rollup import RollupError, build_rollup

    settings = settings_from(args)
    out = pathlib.Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise CommandError(f"--out: {out.name} must end in .xlsx", 2)
    products: list[Product] = []
    if args.products:
        try:
            products = parse_products(pathlib.Path(args.products).read_bytes())
        except OSError as exc:
            raise CommandError(f"--products: cannot read {args.products}: {exc.strerror or exc}", 2) from None
        except ProductListError as exc:
            raise CommandError("--products: " + "; ".join(exc.problems), 2) from None
    scope = args.scope or ("product" if products else None)
    order = order_for(settings, today=local_today(settings), year=args.campaign, scope=scope, products=products,
                      as_of=args.as_of, effective_date=args.effective_date)  # fmt: skip
    bar = progress(f"building {out.name}", show=interactive(as_json=args.json))
    with open_database(settings) as db, db.read_session() as session, bar:
        try:
            rollup = build_rollup(session, order)
        except RollupInputError as exc:
            problems = "\n  ".join(f"{key}: {message}" for key, message in exc.problems)
            raise CommandError(f"missing or invalid values, nothing was written:\n  {problems}", 2) from None
        except RollupError as exc:
            raise CommandError(str(exc)) from None
    write_atomically(out, rollup.data)
    if args.json:
        template = {"path": str(template_path(settings)), "version": rollup.plan.template_version}
        data = {"out": str(out), "template": template, "as_of": order.as_of.isoformat(), **rollup.to_json()}
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return 0
    for line in summary_lines(rollup, out):
        print(line)
    return 0
