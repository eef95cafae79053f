"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from store import SchemaOutdated, check_schema_current, current_revisions, head_revisions, make_engine, upgrade
from store.models import Base


def test_migrations_match_models(store_url: str) -> None:
    """A column added to store/models.py must be added to a migration too (and vice versa)."""
    upgrade(store_url)
    engine = make_engine(store_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_check_schema_current_names_the_fix(store_url: str) -> None:
    with pytest.raises(SchemaOutdated, match="cmrt-bot db upgrade"):
        check_schema_current(store_url)
    before, after = upgrade(store_url)
    assert before == ()
    assert after == head_revisions()
    check_schema_current(store_url)
    # a second upgrade is a no-op
    assert upgrade(store_url) == (head_revisions(), head_revisions())


def test_outdated_schema_is_refused(store_url: str) -> None:
    upgrade(store_url)
    engine = make_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff'")
        assert current_revisions(engine) == ("ffff",)
    finally:
        engine.dispose()
    with pytest.raises(SchemaOutdated, match="newer than this cmrt-bot"):
        check_schema_current(store_url)
