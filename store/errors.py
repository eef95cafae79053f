"""The store's errors, in a module of their own so that the light schema probe (``store.probe``) can raise them
without importing SQLAlchemy."""

from __future__ import annotations


class StoreError(Exception):
    """A database problem explained for an operator (bad URL, unreachable server, outdated schema)."""


class SchemaOutdated(StoreError):
    """The database is older (or newer) than this version of cmrt-bot expects."""
