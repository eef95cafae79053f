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

import importlib
from typing import TYPE_CHECKING

from store.errors import SchemaOutdated, StoreError
from store.probe import check_schema_current
from store.urls import normalise_url, redact_url

if TYPE_CHECKING:
    from store.engine import Database, make_engine
    from store.migrate import current_revisions, head_revisions, upgrade
    from store.types import utcnow

#: Loaded on first use, so that ``from store import redact_url`` (or ``store.probe``) never imports SQLAlchemy or
#: Alembic: ``cmrt-bot config check`` and ``check`` start without them (tests/unit/test_cli_imports.py).
_LAZY = {
    "Database": "store.engine",
    "make_engine": "store.engine",
    "current_revisions": "store.migrate",
    "head_revisions": "store.migrate",
    "upgrade": "store.migrate",
    "utcnow": "store.types",
}

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


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:  # a submodule (``from store import suppliers``) is then imported by the import system
        raise AttributeError(f"module 'store' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
