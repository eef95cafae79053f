"""``cmrt-bot smelters import FILE...`` and ``cmrt-bot smelters list``: RMI's smelter lists in the database.

Import RMI's exports exactly as downloaded (Excel 2003 XML or CSV): the RMAP Conformant and Active lists,
the smelter-list revisions and the smelter reference. The kind is recognised from the header row and the
list's date from the file or sheet name. A file already imported (same SHA-256) is not stored twice.
``load_rmi_paths`` is also used by ``cmrt-bot check --rmap``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import pathlib
import sys
from collections.abc import Sequence
from typing import Any

from cmrt.review import ReviewResult, Severity
from cmrt.smelters import NO_LISTS_TEXT, ListKind, RmiImportError, RmiList, load_rmi_file, stale_warning


def load_rmi_paths(paths: Sequence[str | pathlib.Path]) -> list[RmiList]:
    """Read and parse RMI list files; raises RmiImportError naming the file that is not one."""
    lists: list[RmiList] = []
    for path in paths:
        path = pathlib.Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RmiImportError(f"{path}: cannot be opened ({exc.strerror})") from exc
        lists.append(load_rmi_file(path.name, data))
    return lists


def _describe(item: RmiList) -> str:
    date = item.list_date.isoformat() if item.list_date else "undated"
    return f"{item.kind.value} list of {date}, {len(item)} rows"


def import_files(args: argparse.Namespace) -> int:
    from bot.config import ConfigError, load_config
    from store import Database, StoreError, check_schema_current
    from store import smelters as repo

    try:
        settings = load_config(args.config)
        check_schema_current(settings.store.url)
    except (ConfigError, StoreError) as exc:
        print(f"cmrt-bot smelters import: {exc}", file=sys.stderr)
        return 2
    report: list[dict[str, Any]] = []
    failed = 0
    try:
        with Database(settings.store.url) as db:
            for name in args.files:
                path = pathlib.Path(name)
                try:
                    data = path.read_bytes()
                    item = load_rmi_file(path.name, data)
                except OSError as exc:
                    failed += 1
                    report.append({"file": name, "error": f"cannot be opened ({exc.strerror})"})
                    continue
                except RmiImportError as exc:
                    failed += 1
                    report.append({"file": name, "error": str(exc)})
                    continue
                digest = hashlib.sha256(data).hexdigest()
                with db.session() as session:
                    existing = repo.find_by_sha256(session, digest)
                    row = {"file": name, "kind": item.kind.value, "list_date": _iso(item), "rows": len(item)}
                    if existing is not None:
                        report.append(row | {"list_id": existing.id, "status": "already imported"})
                        continue
                    stored = repo.add_rmi_list(session, item, sha256=digest)
                    report.append(row | {"list_id": stored.id, "status": "imported"})
    except StoreError as exc:
        print(f"cmrt-bot smelters import: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for row in report:
            if "error" in row:
                print(f"{row['file']}: NOT IMPORTED - {row['error']}")
            else:
                date = row["list_date"] or "undated"
                print(
                    f"{row['file']}: {row['status']} as list #{row['list_id']} ({row['kind']} list of {date}, "
                    f"{row['rows']} rows)"
                )
    return 1 if failed else 0


def _iso(item: RmiList) -> str | None:
    return item.list_date.isoformat() if item.list_date else None


def list_lists(args: argparse.Namespace) -> int:
    from bot.config import ConfigError, load_config
    from store import Database, StoreError, check_schema_current
    from store import smelters as repo

    try:
        settings = load_config(args.config)
        check_schema_current(settings.store.url)
        with Database(settings.store.url) as db, db.session() as session:
            rows = [
                {
                    "list_id": sl.id,
                    "kind": sl.kind.value,
                    "list_date": sl.list_date.isoformat() if sl.list_date else None,
                    "rows": sl.row_count,
                    "file": sl.source_file,
                    "imported_at": sl.imported_at.isoformat(),
                }
                for sl in repo.lists(session)
            ]
    except (ConfigError, StoreError) as exc:
        print(f"cmrt-bot smelters list: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif not rows:
        print("No smelter lists imported yet: run `cmrt-bot smelters import FILE...`.")
    else:
        for row in rows:
            print(
                f"#{row['list_id']} {row['kind']:<10} {row['list_date'] or 'undated':<10} {row['rows']:>6} rows  "
                f"{row['file']}"
            )
    return 0


def show_status(args: argparse.Namespace) -> int:
    """``cmrt-bot smelters show CID...``: each smelter's RMAP status on the newest imported lists, as published."""
    import zoneinfo

    from bot.config import ConfigError, load_config
    from cmrt.review.adhoc import context_for
    from store import Database, StoreError, check_schema_current, utcnow
    from store import smelters as repo

    try:
        settings = load_config(args.config)
        check_schema_current(settings.store.url)
        today = utcnow().astimezone(zoneinfo.ZoneInfo(settings.schedule.timezone)).date()
        with Database(settings.store.url) as db, db.session() as session:
            ctx = context_for(today=today, lists=repo.latest_rmi_lists(session))
    except (ConfigError, StoreError) as exc:
        print(f"cmrt-bot smelters show: {exc}", file=sys.stderr)
        return 2
    if ctx.rmap is None and ctx.reference is None:
        print("No smelter lists imported yet: run `cmrt-bot smelters fetch` or `cmrt-bot smelters import FILE...`.",
              file=sys.stderr)
        return 1
    max_age = settings.smelters.max_list_age_days
    rows = [_shown(cid, ctx, today, max_age) for cid in args.ids]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for row in rows:
        where = ", ".join(str(v) for v in (row["metal"], row["country"]) if v)
        due = f"; next audit due {row['audit_due']}" if row["audit_due"] else ""
        removed = f"; removed by RMI: {row['removed']}" if row["removed"] else ""
        print(f"{row['smelter_id']}: {row['name'] or '(not in the imported reference)'}"
              f"{f' ({where})' if where else ''} - {row['rmap_status_text']}{due}{removed}")
    rmap_date = ctx.rmap.list_date if ctx.rmap is not None and ctx.rmap.has_status_lists else None
    warning = stale_warning(rmap_date, today, max_age) if rmap_date or ctx.rmap is not None else ""
    if warning:
        print(f"WARNING: {warning}", file=sys.stderr)
    return 0


def _shown(cid: str, ctx: Any, today: dt.date, max_age: int) -> dict[str, Any]:
    """One smelter of ``smelters show``: the reference's names and the status as published, with its list date."""
    entry = ctx.reference.standard(cid) if ctx.reference is not None else None
    has_lists = ctx.rmap is not None and ctx.rmap.has_status_lists
    status = ctx.rmap.status(cid) if has_lists else None
    rmap_entry = status.entry if status is not None else None
    return {
        "smelter_id": cid.strip().upper(),
        "name": entry.standard_name if entry else (rmap_entry.name if rmap_entry else None),
        "metal": entry.metal if entry else (rmap_entry.metal if rmap_entry else None),
        "country": entry.country if entry else (rmap_entry.country if rmap_entry else None),
        "in_reference": entry is not None,
        "rmap_status": status.state.value if status is not None else None,
        "rmap_status_text": status.label(today, max_age) if status is not None else NO_LISTS_TEXT,
        "reaudit_in_progress": status.reaudit_in_progress if status is not None else False,
        "last_audit_date": rmap_entry.last_audit_date.isoformat() if rmap_entry and rmap_entry.last_audit_date
        else None,
        "audit_due": status.audit_due.isoformat() if status is not None and status.audit_due else None,
        "valid_until": None,  # kept for compatibility: RMI publishes no expiry, and the bot invents none
        "removed": status.removed.details if status is not None and status.removed else None,
        "rmap_list_date": status.list_date.isoformat() if status is not None and status.list_date else None,
    }


def fetch(args: argparse.Namespace) -> int:
    """``cmrt-bot smelters fetch``: download RMI's lists from the configured addresses and import them all (or,
    on any problem, none: the previous lists are kept)."""
    import zoneinfo

    from bot.commands._common import os_actor
    from bot.config import ConfigError, load_config
    from bot.downloads import HttpDownloader
    from handlers.smelter_lists import fetch_lists
    from store import Database, StoreError, check_schema_current, utcnow

    try:
        settings = load_config(args.config)
        check_schema_current(settings.store.url)
    except (ConfigError, StoreError) as exc:
        print(f"cmrt-bot smelters fetch: {exc}", file=sys.stderr)
        return 2
    urls = settings.smelters.urls()
    for override in args.url or ():
        kind, _, url = override.partition("=")
        if kind not in ("conformant", "active", "reference", "revisions") or not url:
            print(f"cmrt-bot smelters fetch: --url {override!r}: write KIND=URL (conformant, active, reference, "
                  "revisions)", file=sys.stderr)
            return 2
        urls = [(k, u) for k, u in urls if k != kind or kind == "reference"] + [(kind, url)]
    smelters = settings.smelters
    download = HttpDownloader(timeout=smelters.download_timeout.total_seconds(), max_bytes=smelters.max_download_bytes)
    today = utcnow().astimezone(zoneinfo.ZoneInfo(settings.schedule.timezone)).date()
    try:
        with Database(settings.store.url) as db:
            report = fetch_lists(db, urls, download, today=today, actor=os_actor())
    except StoreError as exc:
        print(f"cmrt-bot smelters fetch: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for line in report.lines():
            print(line)
        if report.new_lists:
            print("Reviews follow the new lists: `cmrt-bot run` reviews open requests again by itself "
                  "(or: `cmrt-bot review --campaign YEAR`).")
    return 0 if report.ok else 1


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "smelters",
        parents=[common],
        help="import RMI's smelter lists (RMAP Conformant/Active, revisions, reference) into the database",
        description="Manage RMI's smelter lists in the database.",
    )
    sub = parser.add_subparsers(dest="smelters_command", metavar="ACTION")
    imp = sub.add_parser(
        "import",
        parents=[common],
        help="import RMI export files (Excel 2003 XML or CSV) exactly as downloaded",
        description="Import RMI's RMAP Conformant and Active lists, the smelter-list revisions and the smelter "
        "reference, as downloaded from RMI (Excel 2003 XML 'SpreadsheetML' or CSV). The kind of list is "
        "recognised from its header row; the list's date from the file or sheet name.",
    )
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--json", action="store_true", help="print a JSON array, one object per file")
    imp.set_defaults(func=import_files)
    lst = sub.add_parser("list", parents=[common], help="show the imported lists")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=list_lists)
    get = sub.add_parser(
        "fetch",
        parents=[common],
        help="download RMI's lists from the configured addresses and import them (all or none)",
        description="Download RMI's RMAP Conformant and Active lists, the Standard Smelter List(s) and the "
        "revisions from the addresses in [smelters] (defaults: RMI's public facilities-list exports), check each "
        "file, import them all in one go and print what changed per metal. On any problem (offline, an HTTP "
        "error, a truncated file) nothing is imported and the previous lists stay; the exit status is then 1.",
    )
    get.add_argument("--url", action="append", metavar="KIND=URL",
                     help="use this address for one list (conformant, active, reference, revisions); repeatable")
    get.add_argument("--json", action="store_true")
    get.set_defaults(func=fetch)
    show = sub.add_parser("show", parents=[common],
                          help="a smelter's RMAP status as published on the newest imported lists (with their date)")
    show.add_argument("ids", nargs="+", metavar="CID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=show_status)

    def _help(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=_help)


# ---------------------------------------------------------------- used by `cmrt-bot check`


def review_for_file(
    path: str, declaration: Any, lists: Sequence[RmiList], today: dt.date, **options: Any
) -> ReviewResult | None:
    """Review one read declaration against ``lists`` (reference: RMI's export if given, else the workbook's
    own Smelter Look-up sheet, read again from ``path``); ``options``: more ``context_for`` arguments."""
    from cmrt.review.adhoc import review_with_lists

    if declaration is None:
        return None
    workbook: bytes | None = None
    if not any(item.kind is ListKind.REFERENCE for item in lists):
        try:
            workbook = pathlib.Path(path).read_bytes()
        except OSError:
            workbook = None
    return review_with_lists(declaration, today=today, lists=lists, workbook=workbook, **options)


def review_summary(result: ReviewResult, limit: int = 12) -> str:
    """A few lines for the human output of ``cmrt-bot check``."""
    counts = ", ".join(
        f"{sum(1 for f in result.findings if f.severity is s)} {s.value}"
        for s in Severity
        if any(f.severity is s for f in result.findings)
    )
    lists = f"; RMAP lists of {result.rmap_date}" if result.rmap_date else "; no RMAP list loaded (--rmap)"
    lines = [f"  review: {result.grade.value}, score {result.score}/100 ({counts or 'no findings'}){lists}"]
    for item in result.findings[:limit]:
        lines.append(f"    [{item.severity.value}] {item.text}")
    if len(result.findings) > limit:
        lines.append(f"    ... {len(result.findings) - limit} more (use --json)")
    return "\n".join(lines)
