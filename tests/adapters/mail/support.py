"""Helpers for the mail adapter and integration tests: a seeded request (the store: ``mail_db`` in fixtures_store)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from store import Database
from store import campaigns as campaign_repo
from store import suppliers as supplier_repo
from store.suppliers import SupplierData


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
