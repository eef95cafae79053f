"""Schema migrations: ``upgrade(url)`` (``cmrt-bot db upgrade``), the code's head revisions and a database's current
ones through Alembic. The schema check every command makes is ``store.probe.check_schema_current`` (no Alembic)."""

from __future__ import annotations

import logging
import pathlib
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine

from store.engine import StoreError, make_engine, redact_url

log = logging.getLogger("cmbot.store")

MIGRATIONS = pathlib.Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revisions() -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def _migration_engine(url: str) -> Engine:
    """The engine migrations run on. On SQLite, foreign keys are off while they run: SQLite alters a table by
    rebuilding it (copy, drop, rename), and with foreign keys on, dropping the old table would cascade and delete
    every row that refers to it (a campaign's requests, a message's submissions). ``upgrade`` checks the keys
    before it commits instead."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _keys_off(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # after make_engine's own PRAGMAs; outside BEGIN

    return engine


def upgrade(url: str, revision: str = "head") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Bring the database at ``url`` to ``revision``; returns (revisions before, revisions after)."""
    engine = _migration_engine(url)
    try:
        before = current_revisions(engine)
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            if conn.dialect.name == "sqlite":
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:  # rolls the whole upgrade back: nothing half-migrated
                    raise StoreError(f"the upgrade would leave {len(broken)} rows pointing at missing rows")
        after = current_revisions(engine)
    finally:
        engine.dispose()
    log.info("database %s upgraded from %s to %s", redact_url(url), before or "empty", after)
    return before, after
