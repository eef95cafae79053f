"""A light look at a database's schema revision, without SQLAlchemy or Alembic (``cmrt-bot config check``, and the
schema check every database command makes before it opens the store).

SQLite is read with the standard library's ``sqlite3`` (only read; a file that does not exist is never
created); PostgreSQL is asked through psycopg directly. The revision found in ``alembic_version`` is compared with
the revisions the code knows (``store.revisions``).
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Sequence
from urllib.parse import quote

from store.errors import SchemaOutdated, StoreError
from store.revisions import HEADS, REVISIONS
from store.urls import DatabaseUrl, normalise_url, parse_url, redact_url

CONNECT_TIMEOUT_SECONDS = 10


def read_revisions(url: str) -> tuple[str, ...]:
    """The revisions recorded in the database's ``alembic_version`` (empty: no schema yet). Raises ``StoreError``
    for a URL that names no supported database, and the driver's own errors (unreachable server, not a database
    file, wrong password)."""
    parsed = _parse(url)
    if parsed.backend == "sqlite":
        return _sqlite_revisions(parsed)
    if parsed.backend == "postgresql":
        return _postgresql_revisions(parsed)
    raise StoreError(f"unsupported database {parsed.backend!r}: use sqlite:///path or postgresql+psycopg://...")


def check_schema_current(url: str) -> None:
    """Raise ``SchemaOutdated`` naming ``cmrt-bot db upgrade`` unless the database is at the code's head."""
    require_current(url, read_revisions(url))


def require_current(url: str, current: Sequence[str]) -> None:
    """Raise ``SchemaOutdated`` (saying what to do) unless ``current`` are the code's head revisions."""
    if set(current) == set(HEADS):
        return
    if not current:
        raise SchemaOutdated(
            f"the database {redact_url(url)} has no cmrt-bot schema yet: run `cmrt-bot db upgrade` (or `cmrt-bot init`)"
        )
    if not set(current) <= set(REVISIONS):
        raise SchemaOutdated(
            f"the database {redact_url(url)} is at schema {', '.join(current)}, newer than this cmrt-bot "
            f"(expects {', '.join(HEADS)}): upgrade cmrt-bot"
        )
    raise SchemaOutdated(
        f"the database {redact_url(url)} is at schema {', '.join(current)} but this cmrt-bot needs "
        f"{', '.join(HEADS)}: run `cmrt-bot db upgrade`"
    )


def _parse(url: str) -> DatabaseUrl:
    url = normalise_url(url)
    try:
        return parse_url(url)
    except ValueError:
        raise StoreError(
            f"not a database URL: {url!r} (expected sqlite:///path or postgresql+psycopg://...)"
        ) from None


def _sqlite_revisions(parsed: DatabaseUrl) -> tuple[str, ...]:
    import sqlite3

    database = parsed.database or ""
    if database in ("", ":memory:"):
        return ()  # a new, empty database every time
    if database.startswith("file:"):
        target = database
    else:
        path = pathlib.Path(database).expanduser()
        if not path.exists():
            return ()  # what `db upgrade` would create; looking must not create it
        if not os.access(path, os.R_OK):
            raise StoreError(f"the database file {path} is not readable by this user")
        target = f"file:{quote(str(path.resolve()))}?mode=rw"  # never creates the file; closing tidies the WAL files
    connection = sqlite3.connect(target, uri=True, timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if found is None:
            return ()
        return tuple(str(row[0]) for row in connection.execute("SELECT version_num FROM alembic_version"))
    finally:
        connection.close()


def _postgresql_revisions(parsed: DatabaseUrl) -> tuple[str, ...]:
    import psycopg
    from psycopg.conninfo import make_conninfo

    params: dict[str, str | int] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    for key, value in parsed.query:  # a key given twice (several hosts) becomes libpq's comma list
        params[key] = f"{params[key]},{value}" if key in params and key != "connect_timeout" else value
    for key, part in (("host", parsed.host), ("port", parsed.port), ("user", parsed.username),
                      ("password", parsed.password), ("dbname", parsed.database)):  # fmt: skip
        if part is not None and part != "":
            params[key] = part
    with psycopg.connect(make_conninfo("", **params)) as connection:
        found = connection.execute("SELECT to_regclass('alembic_version')").fetchone()
        if found is None or found[0] is None:
            return ()
        return tuple(str(row[0]) for row in connection.execute("SELECT version_num FROM alembic_version"))
