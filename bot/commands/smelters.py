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
from cmrt.smelters import ListKind, RmiImportError, RmiList, load_rmi_file


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
    """``cmrt-bot smelters show CID...``: each smelter's RMAP status on the newest imported lists."""
    from bot.config import ConfigError, load_config
    from cmrt.review.adhoc import context_for
    from store import Database, StoreError, check_schema_current
    from store import smelters as repo

    today = dt.date.today()
    try:
        settings = load_config(args.config)
        check_schema_current(settings.store.url)
        with Database(settings.store.url) as db, db.session() as session:
            ctx = context_for(today=today, lists=repo.latest_rmi_lists(session))
    except (ConfigError, StoreError) as exc:
        print(f"cmrt-bot smelters show: {exc}", file=sys.stderr)
        return 2
    if ctx.rmap is None and ctx.reference is None:
        print("No smelter lists imported yet: run `cmrt-bot smelters import FILE...`.", file=sys.stderr)
        return 1
    rows: list[dict[str, Any]] = []
    for cid in args.ids:
        entry = ctx.reference.standard(cid) if ctx.reference is not None else None
        status = ctx.rmap.status(cid, today) if ctx.rmap is not None else None
        rmap_entry = status.entry if status is not None else None
        rows.append({
            "smelter_id": cid.strip().upper(),
            "name": entry.standard_name if entry else (rmap_entry.name if rmap_entry else None),
            "metal": entry.metal if entry else (rmap_entry.metal if rmap_entry else None),
            "country": entry.country if entry else (rmap_entry.country if rmap_entry else None),
            "in_reference": entry is not None,
            "rmap_status": status.state.value if status is not None else None,
            "last_audit_date": rmap_entry.last_audit_date.isoformat() if rmap_entry and rmap_entry.last_audit_date
            else None,
            "valid_until": status.valid_until.isoformat() if status is not None and status.valid_until else None,
            "removed": status.removed.details if status is not None and status.removed else None,
            "rmap_list_date": ctx.rmap.list_date.isoformat() if ctx.rmap and ctx.rmap.list_date else None,
        })
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for row in rows:
            where = ", ".join(str(v) for v in (row["metal"], row["country"]) if v)
            status_text = row["rmap_status"] or "no RMAP list imported"
            until = f", valid until {row['valid_until']}" if row["valid_until"] else ""
            removed = f"; removed by RMI: {row['removed']}" if row["removed"] else ""
            print(f"{row['smelter_id']}: {row['name'] or '(not in the imported reference)'}"
                  f"{f' ({where})' if where else ''} - {status_text}{until}{removed}")
    return 0


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
    show = sub.add_parser("show", parents=[common], help="a smelter's RMAP status on the newest imported lists")
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
