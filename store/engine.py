"""Engines and units of work.

``make_engine(url)`` accepts ``sqlite:///path`` (WAL mode, foreign keys on, a busy timeout, write
transactions started with ``BEGIN IMMEDIATE`` so concurrent writers wait instead of failing) and
``postgresql+psycopg://user@host/db`` (plain ``postgresql://`` is mapped to psycopg 3).

``Database`` bundles an engine with a session factory::

    db = Database(url)
    with db.session() as s:       # commits on success, rolls back on any exception
        store.suppliers.get_by_external_id(s, "S-1")
    with db.read_session() as s:  # reads only: no write lock, a write fails
        store.figures.campaign_figures(s, campaign, today)

A unit of work on SQLite holds the database's write lock from its first statement (``BEGIN IMMEDIATE``), so a
long one pauses every writer (the running bot included). The read-only commands (``report``, ``rollup``,
``status``, ``plan``) use ``read_session``: a deferred ``BEGIN`` (WAL: the reader keeps one snapshot while writers
commit) with ``PRAGMA query_only``, on PostgreSQL a ``REPEATABLE READ, READ ONLY`` transaction; always rolled back.
Every query of a report reads the same snapshot.
"""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from store.errors import StoreError
from store.urls import normalise_url, redact_url

log = logging.getLogger("cmbot.store")

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "cmrt_read_only"  # the execution option of read sessions' connections (SQLite: a deferred BEGIN)
_PG_READ_ONLY = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"  # one snapshot, as SQLite's WAL gives


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreError(f"not a database URL: {url!r} (expected sqlite:///path or postgresql+psycopg://...)") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, parsed.database, **kwargs)
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return sa.create_engine(url, **kwargs)
    raise StoreError(f"unsupported database {backend!r}: use sqlite:///path or postgresql+psycopg://...")


def _sqlite_engine(url: str, database: str | None, **kwargs: Any) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        pathlib.Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    connect_args.setdefault("check_same_thread", False)
    engine = sa.create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if database and database != ":memory:":
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


class SessionSource(Protocol):
    """``Database`` or anything with the same ``session()`` unit of work (what handlers and adapters take), and
    ``read_session()`` for work that only reads."""

    def session(self) -> AbstractContextManager[Session]: ...

    def read_session(self) -> AbstractContextManager[Session]: ...


class Database:
    """An engine plus a session factory; the object components receive instead of a global."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit when the block ends normally, roll back on any exception."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A unit of work that only reads one snapshot: no write lock on SQLite (writers commit while it reads), a
        repeatable-read read-only transaction on PostgreSQL; any write fails; always rolled back. What it loaded
        stays readable after the block (the session is closed, not rolled back: a rollback would expire it)."""
        sqlite = self.dialect == "sqlite"
        with self._read_sessions() as session:
            connection = session.connection()
            connection.exec_driver_sql("PRAGMA query_only = ON" if sqlite else _PG_READ_ONLY)
            try:
                yield session
            finally:
                if sqlite:
                    try:
                        connection.exec_driver_sql("PRAGMA query_only = OFF")  # the connection goes back to the pool
                    except Exception:  # never hand a read-only connection to a writer
                        connection.invalidate()
                session.close()  # the connection's transaction is rolled back as it returns to the pool

    def dispose(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()

    def __repr__(self) -> str:
        return f"Database({redact_url(self.url)!r})"
