"""Persistence: SQLAlchemy 2.x typed models, repository functions, Alembic migrations, units of work.

Typical use::

    from store import Database, upgrade, check_schema_current
    from store import suppliers, campaigns, requests, messages, outbox, audit, runtime, smelters

    upgrade(url)                      # cmrt-bot db upgrade
    check_schema_current(url)         # raises SchemaOutdated naming `cmrt-bot db upgrade`
    db = Database(url)
    with db.session() as s:           # one unit of work: commit on success, rollback on error
        req = requests.get_by_token(s, "R7K2QX9M")
        requests.transition(s, req, RequestState.RESPONDED, actor="supplier@example.com")

Models live in ``store.models``; the enums the store owns in ``store.states``; the request state machine is the
domain's (``cmrt.outreach.states``). Every schema change needs a migration in ``store/migrations/versions`` (tests
compare the two on SQLite and PostgreSQL).
This package never imports bot, handlers or mail (it may use the domain's vocabulary in ``cmrt``).
"""

from __future__ import annotations

from store.engine import Database, StoreError, make_engine, normalise_url, redact_url
from store.migrate import SchemaOutdated, check_schema_current, current_revisions, head_revisions, upgrade
from store.types import utcnow

__all__ = [
    "Database",
    "SchemaOutdated",
    "StoreError",
    "check_schema_current",
    "current_revisions",
    "head_revisions",
    "make_engine",
    "normalise_url",
    "redact_url",
    "upgrade",
    "utcnow",
]
