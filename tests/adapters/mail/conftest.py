"""Mail adapter fixtures (defined in ``support`` so the integration tests can import them too)."""

from __future__ import annotations

from tests.adapters.mail.support import _migrated_sqlite, mail_db

__all__ = ["_migrated_sqlite", "mail_db"]
