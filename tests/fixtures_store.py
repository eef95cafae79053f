"""Database fixtures for every test that needs the store (registered in tests/conftest.py).

``store_url``: a URL of an *empty* database, parametrized ``sqlite`` and ``postgresql``, so a test using it runs
once per backend. SQLite: a fresh file in the test's tmp_path. PostgreSQL: a fresh schema (selected through
``search_path`` in the URL) inside a database created for this pytest session (``cmrt_test_<pid>_<random>`` on
127.0.0.1:5432, user postgres, trust auth) and dropped at the end, so concurrent test runs (and pytest-xdist
workers, each a session of its own) never collide. When PostgreSQL is unreachable the postgresql cases are
skipped visibly (and fail when CI=true). The postgresql cases carry the ``postgres`` marker (``-m "not postgres"``
deselects them).

``store_db``: a ``store.Database`` on ``store_url`` already at the current schema; disposed after. On SQLite the
migrations run once per session into a template file and each test gets a copy; on PostgreSQL each test's schema
is upgraded (a copy of a migrated template database, ``CREATE DATABASE ... TEMPLATE``, was measured slower). The
migrations themselves are tested where they are the subject (tests/adapters/store/test_migrations.py and the
tests that start from an empty ``store_url``).

``pg_admin_url``: the admin URL of the session database (for tests that need their own schema or database).
``mail_db``: a ``store.Database`` on a migrated SQLite file (no PostgreSQL case).
``migrated_sqlite(path)``: a migrated SQLite file at ``path`` (a copy of the process's template); returns its URL.
"""

from __future__ import annotations

import atexit
import os
import pathlib
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterator

import pytest

PG_HOST = os.environ.get("CMRT_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("CMRT_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("CMRT_TEST_PG_USER", "postgres")
PG_MAINTENANCE_DB = os.environ.get("CMRT_TEST_PG_DB", "test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_url(database: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def _admin_execute(*statements: str) -> None:
    import psycopg

    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=PG_MAINTENANCE_DB, autocommit=True, connect_timeout=10
    ) as admin:
        for statement in statements:
            admin.execute(statement)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A database created for this test session (dropped afterwards); skips when PostgreSQL is unreachable."""
    import psycopg

    name = f"cmrt_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        _admin_execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT} in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT}: {exc}")
    try:
        yield _pg_url(name)
    finally:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_pg_schema_url(admin_url: str) -> str:
    """Create a fresh schema in the session database; the URL selects it through ``search_path``."""
    import psycopg

    schema = f"t_{secrets.token_hex(6)}"
    conninfo = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{admin_url}?options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"


_SQLITE_TEMPLATE: dict[str, pathlib.Path] = {}
_SQLITE_TEMPLATE_LOCK = threading.Lock()


def migrated_sqlite(target: pathlib.Path) -> str:
    """A migrated SQLite store at ``target`` (a copy of a file migrated once per process); returns its URL."""
    from store import upgrade

    with _SQLITE_TEMPLATE_LOCK:
        if "path" not in _SQLITE_TEMPLATE:
            folder = tempfile.mkdtemp(prefix="cmbot-store-")
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            template = pathlib.Path(folder) / "template.db"
            upgrade(f"sqlite:///{template}")
            _SQLITE_TEMPLATE["path"] = template
    shutil.copyfile(_SQLITE_TEMPLATE["path"], target)
    return f"sqlite:///{target}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> str:
    """URL of a fresh, empty database; the test runs once on SQLite and once on PostgreSQL. (With ``store_db`` in
    the same test, the SQLite file is already a migrated copy.)"""
    if request.param == "sqlite":
        path = tmp_path / "cmrt-bot.db"
        return migrated_sqlite(path) if "store_db" in request.fixturenames else f"sqlite:///{path}"
    admin_url: str = request.getfixturevalue("pg_admin_url")
    return new_pg_schema_url(admin_url)


@pytest.fixture
def store_db(store_url: str) -> Iterator[object]:
    """A ``store.Database`` on ``store_url`` at the current schema: SQLite, a copy of the file migrated once per
    session; PostgreSQL, the schema upgraded here (a database copied from a migrated template costs more than the
    migrations: CREATE DATABASE waits for the disk)."""
    from store import Database, upgrade

    if not store_url.startswith("sqlite"):
        upgrade(store_url)
    db = Database(store_url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def mail_db(tmp_path: pathlib.Path) -> Iterator[object]:
    """A fresh, migrated SQLite store (a copy of the session's template), for tests that need one backend only."""
    from store import Database

    db = Database(migrated_sqlite(tmp_path / "store.sqlite"))
    try:
        yield db
    finally:
        db.dispose()
