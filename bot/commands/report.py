"""``cmrt-bot report [--campaign YEAR] [--json] [--smelters PATH.csv|PATH.xlsx] [--with-suppliers] [--as-of DATE]``

The figures of the Conflict Minerals Report (SEC Form SD, OECD step 5) and the consolidated smelter list.

Survey figures (``cmrt.reports``): suppliers surveyed, responses and the response rate, declarations by scope
(company-level, product-level, user-defined) and the latest review grades. Smelters
(``cmrt.smelters.consolidate``): the Smelter List rows of each supplier's latest read declaration, identified by
RMI id (or by the reference's look-up value / a fuzzy name match), deduplicated by metal and smelter id,
counted by distinct suppliers and given their RMAP status on ``--as-of`` (default: today) from the newest RMI
lists imported with ``cmrt-bot smelters import``; rows that cannot be identified are listed as rejected with a
reason. Roll-ups never name suppliers; ``--with-suppliers`` adds the supplier ids for internal follow-up only.

``--smelters FILE.csv`` writes the consolidated list (and the rejected entries to ``FILE.rejected.csv``);
``--smelters FILE.xlsx`` writes both, plus the survey figures, the per-metal summary and the declared mine
countries, as sheets of one workbook.

JSON output (stable keys; new keys may be added, none renamed or removed)::

    {
      "campaign": {"year": 2025, "due_date": "2026-03-31", "state": "active", "scope": "company"},
      "as_of": "2026-11-25",                 # the day the RMAP status is taken on
      "figures": {"surveyed": 40, "responded": 31, "response_rate": 0.775,
                  "company_level": 25, "product_level": 4, "user_defined": 2, "scope_unknown": 0,
                  "grades": {"accepted": 20, "needs_clarification": 8, "high_risk": 2, "rejected": 1},
                  "year": 2025, "suppliers": 42, "exempt": 2, "not_yet_sent": 0, "declarations": {...},
                  "by_state": {...}},
      "smelters": {
        "by_metal": {"Gold": {"smelters": 12, "conformant": 10, "conformance_expired": 0, "active": 1,
                              "removed": 0, "not_conformant": 1, "unknown": 0, "percent_conformant": 83.3,
                              "percent_conformant_or_active": 91.7, "countries": {"JAPAN": 4, ...},
                              "mine_countries": {...}}, ...},
        "countries": {"CHINA": 18, ...},       # smelter countries over all metals (number of smelters)
        "mine_countries": {"PERU": 3, ...},    # mine countries of origin the suppliers declared (Mine List and
                                               # the Smelter List's mine-country column), counted by suppliers
        "suppliers": 31,                       # declarations consolidated
        "rows_read": 512,                      # Smelter List rows with data
        "rows": [{"metal", "smelter_id", "standard_name", "country", "reference_country", "suppliers",
                  "rmap_status", "valid_until", "matched_by", "confidence", "reported_names"}],
        "rejected": [{"reason", "message", "metal", "name", "country", "smelter_id", "suppliers"}]
      },                                       # rows/rejected get "supplier_keys" with --with-suppliers
      "rmap_list_date": "2026-08-22" | null,   # date of the RMAP status lists used (null: none imported)
      "reference_list_date": "2026-08-22" | null
    }
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import pathlib
import zoneinfo
from collections.abc import Sequence
from typing import Any

from bot.commands._common import CommandError, open_database, run_command, settings_from
from cmrt.reports import ReportFigures
from cmrt.smelters.consolidate import (
    STATUSES,
    Consolidation,
)
from handlers.report import build_report, smelter_lines
from store import campaigns, utcnow
from store.models import Campaign

ROW_COLUMNS = (
    "metal", "smelter_id", "standard_name", "country", "reference_country", "suppliers", "rmap_status",
    "valid_until", "matched_by", "confidence", "reported_names",
)  # fmt: skip
REJECTED_COLUMNS = ("metal", "reason", "message", "name", "country", "smelter_id", "suppliers")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "report",
        parents=[common],
        help="report figures (surveyed, response rate, declaration scopes) and the consolidated smelter list",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--campaign", type=int, metavar="YEAR", help="reporting year (default: the latest)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (keys documented above)")
    parser.add_argument("--smelters", metavar="PATH.csv|PATH.xlsx", help="write the consolidated smelter list")
    parser.add_argument("--with-suppliers", action="store_true",
                        help="name the reporting suppliers (ids) per smelter: internal use only, never publish")
    parser.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD",
                        help="day the RMAP status is taken on (default: today)")
    parser.set_defaults(func=lambda a: run_command("report", a, do_report))


def report_json(campaign: Campaign, figures: ReportFigures, result: Consolidation, today: dt.date) -> dict[str, Any]:
    figures_json = figures.to_json()
    figures_json.update(
        company_level=figures.company_level,
        product_level=figures.product_level,
        user_defined=figures.user_defined,
        scope_unknown=figures.scope_unknown,
    )
    return {
        "campaign": {
            "year": campaign.year,
            "due_date": campaign.due_date.isoformat(),
            "state": campaign.state.value,
            "scope": campaign.scope,
        },
        "as_of": today.isoformat(),
        "figures": figures_json,
        "smelters": result.to_json(),
        "rmap_list_date": result.rmap_list_date.isoformat() if result.rmap_list_date else None,
        "reference_list_date": result.reference_date.isoformat() if result.reference_date else None,
    }


def _row_values(data: dict[str, Any], columns: Sequence[str]) -> list[Any]:
    out = []
    for column in columns:
        value = data.get(column)
        out.append("; ".join(value) if isinstance(value, list) else value)
    return out


def write_smelters(
    path: pathlib.Path, result: Consolidation, figures: ReportFigures | None = None
) -> list[pathlib.Path]:
    """Write the consolidated list (CSV: plus ``<stem>.rejected.csv``; XLSX: the list, the rejected entries, the
    summary per metal and, given ``figures``, the survey figures as sheets); the paths written."""
    extra = ("supplier_keys",) if result.with_suppliers else ()
    rows = [r.to_json(result.with_suppliers) for r in result.rows]
    rejected = [r.to_json(result.with_suppliers) for r in result.rejected]
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            side = path.with_name(f"{path.stem}.rejected.csv")
            for target, columns, data in ((path, ROW_COLUMNS, rows), (side, REJECTED_COLUMNS, rejected)):
                with target.open("w", newline="", encoding="utf-8") as handle:
                    writer = csv.writer(handle)
                    writer.writerow([*columns, *extra])
                    writer.writerows(_row_values(item, (*columns, *extra)) for item in data)
            return [path, side]
        if suffix == ".xlsx":
            import openpyxl

            book = openpyxl.Workbook()
            sheet = book.active
            assert sheet is not None
            sheet.title = "Consolidated smelters"
            sheet.append([*ROW_COLUMNS, *extra])
            for item in rows:
                sheet.append(_row_values(item, (*ROW_COLUMNS, *extra)))
            sheet.freeze_panes = "A2"
            bad = book.create_sheet("Rejected entries")
            bad.append([*REJECTED_COLUMNS, *extra])
            for item in rejected:
                bad.append(_row_values(item, (*REJECTED_COLUMNS, *extra)))
            summary = book.create_sheet("Summary by metal")
            summary.append(["metal", "smelters", *STATUSES, "percent_conformant", "percent_conformant_or_active"])
            for metal, s in result.by_metal.items():
                line = s.to_json()
                summary.append([metal, s.smelters, *(line[k] for k in STATUSES), line["percent_conformant"],
                                line["percent_conformant_or_active"]])
            origins = book.create_sheet("Mine countries")
            origins.append(["metal", "country", "suppliers declaring it"])
            for metal, s in result.by_metal.items():
                for country, n in s.mine_countries.items():
                    origins.append([metal, country, n])
            if figures is not None:
                survey = book.create_sheet("Survey figures", 0)
                survey.append(["figure", "value"])
                for key, value in (
                    ("reporting year", figures.year), ("suppliers surveyed", figures.surveyed),
                    ("responses", figures.responded), ("response rate", round(figures.response_rate, 4)),
                    ("company-level declarations", figures.company_level),
                    ("product-level declarations", figures.product_level),
                    ("user-defined declarations", figures.user_defined),
                    ("exempt", figures.exempt), ("not yet contacted", figures.not_yet_sent),
                    *((f"grade: {g.replace('_', ' ')}", n) for g, n in figures.grades.items()),
                ):  # fmt: skip
                    survey.append([key, value])
            book.save(path)
            return [path]
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    raise CommandError(f"--smelters: {path.name} must end in .csv or .xlsx", 2)


def do_report(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    target = pathlib.Path(args.smelters) if args.smelters else None
    if target is not None and target.suffix.lower() not in (".csv", ".xlsx"):
        raise CommandError(f"--smelters: {target.name} must end in .csv or .xlsx", 2)
    today = args.as_of or utcnow().astimezone(zoneinfo.ZoneInfo(settings.schedule.timezone)).date()
    with open_database(settings) as db, db.session() as session:
        if args.campaign is not None:
            campaign = campaigns.get_by_year(session, args.campaign)
            if campaign is None:
                raise CommandError(f"no campaign for reporting year {args.campaign}")
        else:
            campaign = campaigns.latest(session)
            if campaign is None:
                raise CommandError("no campaign yet: create one with `cmrt-bot campaign create --year YEAR --due DATE`")
        figures, result = build_report(session, campaign, today=today, with_suppliers=args.with_suppliers)
        data = report_json(campaign, figures, result, today)
    written = write_smelters(target, result, figures) if target is not None else []
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    for line in figures.lines():
        print(line)
    for line in smelter_lines(result, today):
        print(line)
    for path in written:
        print(f"written: {path}")
    return 0
