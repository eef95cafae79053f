"""``cmrt-bot smelters import FILE...``, ``smelters list``, ``smelters fetch`` and ``smelters show CID...``: RMI's
smelter lists in the database (the use cases are ``handlers.smelters`` and ``handlers.smelter_lists``).

Import RMI's exports exactly as downloaded (Excel 2003 XML or CSV): the RMAP Conformant and Active lists,
the smelter-list revisions and the smelter reference. The kind is recognised from the header row and the
list's date from the file or sheet name. A file already imported (same SHA-256) is not stored twice.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import zoneinfo
from typing import TYPE_CHECKING, Any

from bot.commands._console import interactive, progress

if TYPE_CHECKING:
    from bot.config import Settings


def _settings(args: argparse.Namespace, command: str) -> Settings | int:
    """The settings of a database whose schema is current; else the exit status (the reason printed)."""
    from bot.commands._common import CommandError, require_schema
    from bot.config import ConfigError, load_config

    try:
        settings = load_config(args.config)
        require_schema(settings.store.url)
    except ConfigError as exc:
        print(f"cmrt-bot smelters {command}: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"cmrt-bot smelters {command}: {exc}", file=sys.stderr)
        return exc.code
    return settings


def _print(rows: object, lines: list[str], as_json: bool) -> None:
    if as_json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for line in lines:
            print(line)


def import_files(args: argparse.Namespace) -> int:
    from handlers import smelters
    from store import Database, StoreError

    settings = _settings(args, "import")
    if isinstance(settings, int):
        return settings
    report: list[dict[str, Any]] = []
    bar = progress("importing RMI lists", len(args.files), show=interactive(as_json=args.json))
    try:
        with Database(settings.store.url) as db, bar as steps:
            for name in args.files:  # one unit of work per file, as import_files does it
                steps.update(label=f"importing {pathlib.Path(name).name}")
                report += smelters.import_files(db, [name])
                steps.advance()
    except StoreError as exc:
        print(f"cmrt-bot smelters import: {exc}", file=sys.stderr)
        return 2
    _print(report, smelters.import_lines(report), args.json)
    return 1 if any("error" in row for row in report) else 0


def list_lists(args: argparse.Namespace) -> int:
    from handlers import smelters
    from store import Database, StoreError

    settings = _settings(args, "list")
    if isinstance(settings, int):
        return settings
    try:
        with Database(settings.store.url) as db, db.session() as session:
            rows = smelters.list_rows(session)
    except StoreError as exc:
        print(f"cmrt-bot smelters list: {exc}", file=sys.stderr)
        return 2
    _print(rows, smelters.list_lines(rows), args.json)
    return 0


def show_status(args: argparse.Namespace) -> int:
    """``cmrt-bot smelters show CID...``: each smelter's RMAP status on the newest imported lists, as published."""
    from handlers import smelters
    from store import Database, StoreError, utcnow

    settings = _settings(args, "show")
    if isinstance(settings, int):
        return settings
    today = utcnow().astimezone(zoneinfo.ZoneInfo(settings.schedule.timezone)).date()
    try:
        with Database(settings.store.url) as db, db.session() as session:
            shown = smelters.status_rows(session, args.ids, today, settings.smelters.max_list_age_days)
    except StoreError as exc:
        print(f"cmrt-bot smelters show: {exc}", file=sys.stderr)
        return 2
    if shown is None:
        print(smelters.NO_LISTS_TO_SHOW, file=sys.stderr)
        return 1
    _print(shown.rows, smelters.status_lines(shown.rows), args.json)
    if shown.warning and not args.json:
        print(f"WARNING: {shown.warning}", file=sys.stderr)
    return 0


def fetch(args: argparse.Namespace) -> int:
    """``cmrt-bot smelters fetch``: download RMI's lists from the configured addresses and import them all (or,
    on any problem, none: the previous lists are kept)."""
    import zoneinfo

    from bot.commands._common import os_actor
    from bot.downloads import HttpDownloader
    from handlers.smelter_lists import Download, fetch_lists
    from store import Database, StoreError, utcnow

    settings = _settings(args, "fetch")
    if isinstance(settings, int):
        return settings
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
    bar = progress("downloading RMI's lists", len(urls), show=interactive(as_json=args.json))
    try:
        with Database(settings.store.url) as db, bar as steps:

            def counted(url: str) -> Download:
                steps.update(label=f"downloading {url.rsplit('/', 1)[-1] or url}")
                try:
                    return download(url)
                finally:
                    steps.advance()

            report = fetch_lists(db, urls, counted, today=today, actor=os_actor())
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
