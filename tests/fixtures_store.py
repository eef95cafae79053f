"""Database fixtures for every test that needs the store (registered in tests/conftest.py).

``store_url``: a URL of an *empty* database, parametrized ``sqlite`` and ``postgresql``, so a test using it runs
once per backend. SQLite: a fresh file in the test's tmp_path. PostgreSQL: a fresh schema (selected through
``search_path`` in the URL) inside a database created for this pytest session (``cmrt_test_<pid>_<random>`` on
127.0.0.1:5432, user postgres, trust auth) and dropped at the end, so concurrent test runs never collide.
When PostgreSQL is unreachable the postgresql cases are skipped visibly (and fail when CI=true). The
postgresql cases carry the ``postgres`` marker (``-m "not postgres"`` deselects them).

``store_db``: a ``store.Database`` on ``store_url`` already upgraded to the current schema; disposed after.

``pg_admin_url``: the admin URL of the session database (for tests that need their own schema or database).
"""

from __future__ import annotations

import os
import pathlib
import secrets
from collections.abc import Iterator

import pytest

PG_HOST = os.environ.get("CMRT_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("CMRT_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("CMRT_TEST_PG_USER", "postgres")
PG_MAINTENANCE_DB = os.environ.get("CMRT_TEST_PG_DB", "test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_url(database: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A database created for this test session (dropped afterwards); skips when PostgreSQL is unreachable."""
    import psycopg

    name = f"cmrt_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=PG_MAINTENANCE_DB, autocommit=True, connect_timeout=3
        )
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT} in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=PG_MAINTENANCE_DB, autocommit=True
        ) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_pg_schema_url(admin_url: str) -> str:
    """Create a fresh schema in the session database; the URL selects it through ``search_path``."""
    import psycopg

    schema = f"t_{secrets.token_hex(6)}"
    conninfo = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{admin_url}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> str:
    """URL of a fresh, empty database; the test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cmrt-bot.db'}"
    admin_url: str = request.getfixturevalue("pg_admin_url")
    return new_pg_schema_url(admin_url)


@pytest.fixture
def store_db(store_url: str) -> Iterator[object]:
    """A ``store.Database`` on ``store_url``, upgraded to the current schema."""
    from store import Database, upgrade

    upgrade(store_url)
    db = Database(store_url)
    try:
        yield db
    finally:
        db.dispose()
