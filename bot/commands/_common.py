"""Helpers shared by the foundation commands: settings, the database, the acting OS user (progress bars and
tables: ``bot.commands._console``).

Imports stay lazy here and in every ``bot.commands`` module: ``cmrt-bot --help`` builds the whole parser, so a
module-level import of the store (SQLAlchemy, Alembic) or of the review catalogue would make every command pay
for it (``tests/unit/test_cli_imports.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings
    from handlers.report import ReportOptions
    from store import Database


class CommandError(Exception):
    """Printed as ``cmrt-bot <command>: <message>``; the command exits with ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def settings_from(args: argparse.Namespace) -> Settings:
    from bot.config import ConfigError, load_config

    try:
        return load_config(getattr(args, "config", None))
    except ConfigError as exc:
        raise CommandError(str(exc), 2) from None


@contextmanager
def open_database(settings: Settings, *, check_schema: bool = True) -> Iterator[Database]:
    """The configured database, refused (naming ``cmrt-bot db upgrade``) when its schema is not current."""
    from store import Database, StoreError

    if check_schema:
        require_schema(settings.store.url)
    try:
        db = Database(settings.store.url)
    except StoreError as exc:
        raise CommandError(str(exc), 2) from None
    except Exception as exc:  # driver errors: unreachable server, bad credentials, unreadable file
        raise database_error(exc, "cannot open the database:") from None
    try:
        yield db
    finally:
        db.dispose()


def require_schema(url: str) -> None:
    """``CommandError`` unless the database at ``url`` is at the code's schema (``store.probe``, no SQLAlchemy): an
    outdated or missing schema names ``cmrt-bot db upgrade`` (status 2), an unreachable database is one line."""
    from store import StoreError, check_schema_current

    try:
        check_schema_current(url)
    except StoreError as exc:
        raise CommandError(str(exc), 2) from None
    except Exception as exc:  # driver errors: unreachable server, bad credentials, not a database file
        raise database_error(exc, "cannot open the database:") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def upgrade_database(url: str, *, failure: str) -> tuple[list[str], list[str]]:
    """Create or migrate the schema: (revisions before, revisions after); ``failure`` starts the error message."""
    from store import StoreError, redact_url, upgrade

    try:
        before, after = upgrade(url)
    except StoreError as exc:
        raise CommandError(str(exc), 2) from None
    except Exception as exc:
        raise database_error(exc, f"{failure} {redact_url(url)}:") from None
    return list(before), list(after)


def database_error(exc: BaseException, failure: str) -> CommandError:
    """The one line (and exit status) for a database error a command cannot go on from: a database that cannot be
    reached is ``cannot reach the database: ...`` with status 1 for every command (``run`` included: a service
    manager restarts it, and the server may be back by then); anything else (not a database file, a broken
    schema) is ``failure`` and the driver's first line, status 2."""
    line = unreachable_database(exc)
    if line is not None:
        return CommandError(line, 1)
    return CommandError(f"{failure} {_first_line(exc)}", 2)


def unreachable_database(exc: BaseException) -> str | None:
    """One line for a database that cannot be reached (server down, refused, bad credentials, a file that cannot
    be opened), else None: SQLAlchemy's errors and the drivers' own (the light schema probe, ``store.probe``, speaks
    to sqlite3 and psycopg directly). A library is looked at only when it is already loaded (commands start faster
    without it)."""
    kinds: list[type[BaseException]] = []
    if "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import InterfaceError, OperationalError

        kinds += [OperationalError, InterfaceError]
    if "psycopg" in sys.modules:
        import psycopg

        kinds += [psycopg.OperationalError, psycopg.InterfaceError]
    if "sqlite3" in sys.modules:
        import sqlite3

        kinds.append(sqlite3.OperationalError)
    if not isinstance(exc, tuple(kinds)):
        return None
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"cannot reach the database: {detail[0] if detail else type(exc).__name__}"


def report_options(settings: Settings) -> ReportOptions:
    """The settings every surface's figures depend on: time zone (today, overdue), list age, company name."""
    from handlers.report import ReportOptions

    return ReportOptions(timezone=settings.schedule.timezone, max_list_age_days=settings.smelters.max_list_age_days,
                         company=settings.outreach.company_name)  # fmt: skip


def os_actor() -> str:
    """The audit actor for a CLI action: ``os:<user>@<host>``."""
    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return f"os:{user}@{socket.gethostname()}"


def run_command(name: str, args: argparse.Namespace, body: object) -> int:
    """Run ``body(args)`` and turn ``CommandError`` into a message on stderr and an exit status."""
    assert callable(body)
    try:
        return int(body(args) or 0)
    except CommandError as exc:
        from cmrt.textsafe import terminal  # a message may quote a file name or a cell: no control characters

        print(terminal(f"cmrt-bot {name}: {exc}"), file=sys.stderr)
        return exc.code
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def date_argument(text: str) -> dt.date:
    """An argparse ``type`` for a YYYY-MM-DD date (argparse names the option in its error)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (write YYYY-MM-DD)") from None
