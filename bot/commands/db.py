"""``cmrt-bot db upgrade`` (bring the database schema up to date) and ``cmrt-bot db current``."""

from __future__ import annotations

import argparse
from typing import Any

from bot.commands._common import CommandError, database_error, run_command, settings_from, upgrade_database


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("db", parents=[common], help="database schema: upgrade, current")
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = sub.add_parser("upgrade", parents=[common], help="create or migrate the database to the current schema")
    up.set_defaults(func=lambda a: run_command("db upgrade", a, do_upgrade))
    cur = sub.add_parser("current", parents=[common], help="show the database's schema revision")
    cur.set_defaults(func=lambda a: run_command("db current", a, do_current))


def do_upgrade(args: argparse.Namespace) -> int:
    from store import redact_url

    settings = settings_from(args)
    url = settings.store.url
    before, after = upgrade_database(url, failure="cannot upgrade")
    if before == after:
        print(f"database {redact_url(url)}: schema {', '.join(after)} is current; nothing to do")
    else:
        print(f"database {redact_url(url)}: upgraded from {', '.join(before) or 'empty'} to {', '.join(after)}")
    return 0


def do_current(args: argparse.Namespace) -> int:
    from store.errors import StoreError
    from store.probe import read_revisions
    from store.revisions import HEADS
    from store.urls import redact_url

    settings = settings_from(args)
    url = settings.store.url
    try:
        current = read_revisions(url)
    except StoreError as exc:
        raise CommandError(str(exc), 2) from None
    except Exception as exc:
        raise database_error(exc, f"cannot open {redact_url(url)}:") from None
    heads = HEADS
    state = "current" if set(current) == set(heads) else "outdated: run `cmrt-bot db upgrade`"
    print(f"database {redact_url(url)}: schema {', '.join(current) or 'none'} (code needs {', '.join(heads)}; {state})")
    return 0 if set(current) == set(heads) else 1
