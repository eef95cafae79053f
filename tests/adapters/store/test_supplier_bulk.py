"""``suppliers.add_many`` (the bulk INSERTs of a large import) stores exactly what ``upsert`` stores for a new
supplier, on SQLite and PostgreSQL; a later ``upsert`` of the same data finds nothing to change."""

from __future__ import annotations

from typing import Any

from store import Database, suppliers
from store.models import Contact, Supplier
from store.states import ContactState, Tier

RECORDS = [
    suppliers.SupplierData(external_id="S-1", name="Müller GmbH", contact_email="Anna@Mueller.example",
                           contact_name="Anna", tags=("metals", "asia", "metals")),
    suppliers.SupplierData(external_id="S-2", name="东莞市精密五金制品有限公司", contact_email="li@dg.example",
                           contact_emails=("wang@dg.example", "li@dg.example"), cc_emails=("boss@dg.example",),
                           tier=Tier.INDIRECT, language="zh-Hans", domains=("DG-group.example",)),
    suppliers.SupplierData(external_id="S-3", name="Tin Ltd", contact_email="x@tin.example", cc_emails=()),
]  # fmt: skip


def stored(db: Database) -> list[tuple[Any, ...]]:
    with db.session() as s:
        return [
            (sup.external_id, sup.name, sup.tier, list(sup.tags), list(sup.email_domains), sup.language,
             [(c.email, c.name, c.state, c.cc, c.position) for c in suppliers.ordered_contacts(sup)])
            for sup in suppliers.list_suppliers(s)
        ]  # fmt: skip


def test_add_many_stores_what_upsert_stores(store_db: Database) -> None:
    with store_db.session() as s:
        for record in RECORDS:
            assert suppliers.upsert(s, record)[1] == "added"
    one_by_one = stored(store_db)
    with store_db.session() as s:
        s.execute(Contact.__table__.delete())
        s.execute(Supplier.__table__.delete())
    with store_db.session() as s:
        suppliers.add_many(s, RECORDS)
        suppliers.add_many(s, [])
    assert stored(store_db) == one_by_one
    assert one_by_one[1][6][0] == ("li@dg.example", None, ContactState.ACTIVE, False, 0)  # the primary first
    with store_db.session() as s:
        known = suppliers.all_by_external_id(s)
        assert known["S-1"].created_at is not None
        assert [suppliers.upsert(s, r, known[r.external_id], lookup=False)[1] for r in RECORDS] == ["unchanged"] * 3
