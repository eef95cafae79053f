"""``cmrt-bot report [--campaign YEAR] [--format txt|md] [--json] [--smelters PATH.csv|PATH.xlsx] [--with-suppliers]
[--as-of DATE]``

The figures of the Conflict Minerals Report (SEC Form SD, OECD step 5) and the consolidated smelter list.

The text (``--format txt``, the default, or ``md`` for Markdown) opens with a ready-to-paste paragraph in the style
of a Conflict Minerals Report (suppliers surveyed, response rate, company- and product-level declarations,
smelters identified and the share RMAP conformant or active, with the date of RMI's lists), then the full figures.
Survey figures (``cmrt.figures``, defined in docs/figures.md): suppliers surveyed, responses and the response rate,
declarations by scope, the latest review grades, questions without a workbook, bounced, exempt, overdue.
Smelters (``cmrt.smelters.consolidate``): the Smelter List rows of each responded supplier's latest read
declaration, identified by RMI id (or by the reference's look-up value / a fuzzy name match), deduplicated by metal
and smelter id, counted by distinct suppliers, with the RMAP status RMI's newest imported lists publish (and their
date; ``[smelters] max_list_age`` decides when a list is stale and named with its age). Without status lists the
status is "unknown (no RMAP list imported)", never 0 %. Roll-ups never name suppliers; ``--with-suppliers`` adds
the supplier ids for internal follow-up only.

``--smelters FILE.csv`` writes the consolidated list (and the rejected entries to ``FILE.rejected.csv``);
``--smelters FILE.xlsx`` writes a workbook with a "Read me" sheet (definitions, list dates, time of the export),
the survey figures, the consolidated smelters, the rejected entries, the summary per metal and the declared mine
countries (human headers, frozen header row, filters, number and percent formats).

JSON output (stable keys; new keys may be added, none renamed or removed)::

    {
      "campaign": {"year": 2025, "due_date": "2026-03-31", "state": "active", "scope": "company",
                   "template_family": "CMRT"},
      "as_of": "2026-11-25",                 # the day the figures are taken on (list ages, overdue)
      "figures": {"surveyed": 40, "responded": 31, "response_rate": 0.775,
                  "company_level": 25, "product_level": 4, "user_defined": 2, "scope_unknown": 0,
                  "grades": {"accepted": 20, "needs_clarification": 8, "high_risk": 2, "rejected": 1},
                  "year": 2025, "suppliers": 42, "exempt": 2, "not_yet_sent": 0, "declarations": {...},
                  "by_state": {...}, "bounced": 0, "questions": 1, "overdue": 3, "awaiting": 9,
                  "due_date": "2026-03-31", "as_of": "2026-11-25"},
      "smelters": {
        "by_metal": {"Gold": {"smelters": 12, "conformant": 10, "active": 1, "removed": 0, "not_conformant": 1,
                              "unknown": 0, "conformance_expired": 0, "reaudit_in_progress": 3,
                              "audit_cycle_elapsed": 0, "percent_conformant": 83.3 | null,
                              "percent_conformant_or_active": 91.7 | null, "countries": {"JAPAN": 4, ...},
                              "mine_countries": {...}}, ...},
        "countries": {"CHINA": 18, ...},       # smelter countries over all metals (number of smelters)
        "mine_countries": {"PERU": 3, ...},    # mine countries of origin the suppliers declared, by suppliers
        "suppliers": 31,                       # declarations consolidated
        "rows_read": 512,                      # Smelter List rows with data
        "rows": [{"metal", "smelter_id", "standard_name", "country", "reference_country", "suppliers",
                  "rmap_status", "valid_until" (always null), "matched_by", "confidence", "reported_names",
                  "rmap_list_date", "rmap_status_text", "reaudit_in_progress", "last_audit_date", "audit_due",
                  "audit_cycle_elapsed"}],
        "rejected": [{"reason", "message", "metal", "name", "country", "smelter_id", "suppliers"}]
      },                                       # rows/rejected get "supplier_keys" with --with-suppliers
      "rmap_list_date": "2026-08-22" | null,   # date of the RMAP status lists used (null: none imported)
      "reference_list_date": "2026-08-22" | null,
      "rmap_list_age_days": 95 | null, "rmap_lists_stale": true, "warnings": ["The RMAP status lists ..."],
      "cmr_paragraph": "For reporting year 2025, ...", "generated_at": "2026-11-25T09:30:00+00:00"
    }
"""

from __future__ import annotations

import argparse
import csv
import json
import pathlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.commands._common import CommandError, date_argument, open_database, report_options, run_command, settings_from
from bot.commands._console import interactive, progress
from cmrt.textsafe import cell

if TYPE_CHECKING:
    from cmrt.reporting import Report

#: ``--format`` choices (``cmrt.reporting.text.FORMATS``; a unit test keeps them equal, the parser stays light)
FORMATS = ("txt", "md")

ROW_COLUMNS = (
    "metal", "smelter_id", "standard_name", "country", "reference_country", "suppliers", "rmap_status",
    "valid_until", "matched_by", "confidence", "reported_names", "rmap_list_date", "reaudit_in_progress",
    "last_audit_date", "audit_due",
)  # fmt: skip
REJECTED_COLUMNS = ("metal", "reason", "message", "name", "country", "smelter_id", "suppliers")



def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "report",
        parents=[common],
        help="the Conflict Minerals Report: a ready-to-paste paragraph, the survey figures and the smelters",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--campaign", type=int, metavar="YEAR", help="reporting year (default: the latest)")
    parser.add_argument("--format", choices=FORMATS, default="txt",
                        help="txt (default) or md (Markdown); both open with the report paragraph")
    parser.add_argument("--json", action="store_true", help="machine-readable output (keys documented above)")
    parser.add_argument("--smelters", metavar="PATH.csv|PATH.xlsx", help="write the consolidated smelter list")
    parser.add_argument("--with-suppliers", action="store_true",
                        help="name the reporting suppliers (ids) per smelter: internal use only, never publish")
    parser.add_argument("--as-of", type=date_argument, metavar="YYYY-MM-DD",
                        help="day the figures are taken on: list ages and overdue (default: today)")
    parser.set_defaults(func=lambda a: run_command("report", a, do_report))


def report_json(report: Report) -> dict[str, Any]:
    from cmrt.reporting.text import cmr_paragraph

    result = report.smelters
    warning = report.stale_warning
    return {
        "campaign": dict(report.campaign),
        "as_of": report.today.isoformat(),
        "figures": report.figures.to_json(),
        "smelters": result.to_json(),
        "rmap_list_date": result.rmap_list_date.isoformat() if result.rmap_list_date else None,
        "reference_list_date": result.reference_date.isoformat() if result.reference_date else None,
        "rmap_list_age_days": report.rmap_age_days,
        "rmap_lists_stale": bool(warning),
        "warnings": [warning] if warning else [],
        "cmr_paragraph": cmr_paragraph(report),
        "generated_at": report.generated_at.isoformat(),
    }


def _row_values(data: dict[str, Any], columns: Sequence[str]) -> list[Any]:
    """One CSV row; supplier text that a spreadsheet would take for a formula starts with ``'``."""
    out = []
    for column in columns:
        value = data.get(column)
        out.append(cell("; ".join(value) if isinstance(value, list) else value))
    return out


def write_smelters(path: pathlib.Path, report: Report) -> list[pathlib.Path]:
    """Write the consolidated list (CSV: plus ``<stem>.rejected.csv``; XLSX: the whole report as sheets); the paths
    written."""
    result = report.smelters
    extra = ("supplier_keys",) if result.with_suppliers else ()
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            rows = [r.to_json(result.with_suppliers) for r in result.rows]
            rejected = [r.to_json(result.with_suppliers) for r in result.rejected]
            side = path.with_name(f"{path.stem}.rejected.csv")
            for target, columns, data in ((path, ROW_COLUMNS, rows), (side, REJECTED_COLUMNS, rejected)):
                with target.open("w", newline="", encoding="utf-8") as handle:
                    writer = csv.writer(handle)
                    writer.writerow([*columns, *extra])
                    writer.writerows(_row_values(item, (*columns, *extra)) for item in data)
            return [path, side]
        if suffix == ".xlsx":
            from cmrt.reporting.xlsx import workbook_bytes  # openpyxl: only when a workbook is written

            path.write_bytes(workbook_bytes(report))
            return [path]
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    raise CommandError(f"--smelters: {path.name} must end in .csv or .xlsx", 2)


def do_report(args: argparse.Namespace) -> int:
    from cmrt.reporting.text import render
    from handlers.report import build_report
    from store import campaigns, utcnow

    settings = settings_from(args)
    target = pathlib.Path(args.smelters) if args.smelters else None
    if target is not None and target.suffix.lower() not in (".csv", ".xlsx"):
        raise CommandError(f"--smelters: {target.name} must end in .csv or .xlsx", 2)
    now = utcnow()
    today = args.as_of or report_options(settings).today(now)
    bar = progress("building the report", show=interactive(as_json=args.json))
    with open_database(settings) as db, db.read_session() as session, bar:
        if args.campaign is not None:
            campaign = campaigns.get_by_year(session, args.campaign)
            if campaign is None:
                raise CommandError(f"no campaign for reporting year {args.campaign}")
        else:
            campaign = campaigns.current(session)
            if campaign is None:
                raise CommandError("no campaign yet: create one with `cmrt-bot campaign create --year YEAR --due DATE`")
        report = build_report(session, campaign, today=today, now=now, with_suppliers=args.with_suppliers,
                              options=report_options(settings))  # fmt: skip
    with progress(f"writing {target.name}" if target else "", show=target is not None and interactive()):
        written = write_smelters(target, report) if target is not None else []
    if args.json:
        print(json.dumps(report_json(report), indent=2, ensure_ascii=False))
        return 0
    sys.stdout.write(render(report, args.format))
    for path in written:
        print(f"written: {path}")
    if report.stale_warning:
        print(f"WARNING: {report.stale_warning}", file=sys.stderr)
    return 0
