"""Fixtures and helpers for the mail adapter and integration tests: a migrated SQLite store, a seeded request."""

from __future__ import annotations

import datetime as dt
import pathlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from store import Database, upgrade
from store import campaigns as campaign_repo
from store import suppliers as supplier_repo
from store.suppliers import SupplierData


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("maildb") / "template.sqlite"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def mail_db(tmp_path: pathlib.Path, _migrated_sqlite: pathlib.Path) -> Iterator[Database]:
    """A fresh, migrated SQLite store (a copy of one migrated per session)."""
    target = tmp_path / "store.sqlite"
    shutil.copyfile(_migrated_sqlite, target)
    db = Database(f"sqlite:///{target}")
    try:
        yield db
    finally:
        db.dispose()


@dataclass(frozen=True)
class Seeded:
    request_id: int
    token: str
    supplier_id: int
    contact: str
    supplier_name: str


def seed_request(
    db: Database, contact: str, *, name: str = "Acme Metals Ltd", external_id: str = "S-1", year: int = 2025
) -> Seeded:
    with db.session() as s:
        supplier, _ = supplier_repo.upsert(s, SupplierData(external_id, name, contact, contact_name="Anna Example"))
        s.flush()
        campaign = campaign_repo.get_by_year(s, year)
        if campaign is None:
            campaign = campaign_repo.create(s, year=year, due_date=dt.date(year + 1, 3, 31), suppliers=[supplier])
        else:
            campaign_repo.add_requests(s, campaign, [supplier])
        s.flush()
        req = next(r for r in campaign.requests if r.supplier_id == supplier.id)
        return Seeded(req.id, req.token, supplier.id, contact, name)
