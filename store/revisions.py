"""The schema revisions this code knows, oldest first, and the newest (the head): what ``store.probe`` compares a
database's ``alembic_version`` with, without importing Alembic. Kept equal to ``store/migrations/versions`` by
``tests/unit/store/test_light_probe.py``: a new migration adds its revision id here."""

from __future__ import annotations

REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008")
HEADS: tuple[str, ...] = ("0008",)
