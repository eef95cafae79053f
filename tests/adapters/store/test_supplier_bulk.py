"""``suppliers.add_many`` (the bulk INSERTs of a large import) stores exactly what ``upsert`` stores for a new
supplier, on SQLite and PostgreSQL; a later ``upsert`` of the same data finds nothing to change."""

from __future__ import annotations

from dataclasses import replace
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


def _variants(record: suppliers.SupplierData) -> list[suppliers.SupplierData]:
    r = record
    return [
        r,
        replace(r, name=r.name + " Ltd"),
        replace(r, tags=tuple(reversed(r.tags))),
        replace(r, tags=(*r.tags, "new")),
        replace(r, tier=Tier.INDIRECT if r.tier == Tier.DIRECT else Tier.DIRECT),
        replace(r, language=None), replace(r, language=""), replace(r, language="de"),
        replace(r, contact_name=None), replace(r, contact_name="Someone Else"),
        replace(r, contact_email=r.contact_email.upper()),
        replace(r, contact_email="new@elsewhere.example"),
        replace(r, contact_emails=(*r.contact_emails, r.contact_email, "second@mueller.example")),
        replace(r, cc_emails=None), replace(r, cc_emails=()), replace(r, cc_emails=("boss@dg.example",)),
        replace(r, cc_emails=(r.contact_email, "boss@dg.example")),  # a copied address that is also addressed
        replace(r, cc_emails=("other@cc.example",)),  # a domain the supplier does not have yet
        replace(r, domains=("DG-group.example",)), replace(r, domains=("fresh.example",)),
        replace(r, contact_email="bounced@mueller.example"),
    ]  # fmt: skip


def test_would_change_on_plain_rows_agrees_with_upsert(store_db: Database) -> None:
    """The import compares known suppliers as plain rows (``known_rows``, ``would_change``) and loads ORM objects
    only for those that change: both must agree with ``upsert`` on every kind of change, from every stored state."""
    records = [*RECORDS, suppliers.SupplierData(external_id="S-4", name="Plain AG", contact_email="p@plain.example",
                                                contact_name="Pat", tags=("metals",), language="de")]  # fmt: skip
    with store_db.session() as s:
        suppliers.add_many(s, records)
    with store_db.session() as s:  # stored states an import alone does not make: bounced, left, copied
        known = suppliers.all_by_external_id(s)
        suppliers.set_contacts(known["S-1"], ["anna@mueller.example", "bounced@mueller.example"], ["cc@cc.example"])
        s.flush()
        suppliers.mark_contact_bouncing(
            next(c for c in known["S-1"].contacts if c.email == "bounced@mueller.example"), "550 no such user")
        suppliers.set_contacts(known["S-3"], ["y@tin.example"])  # x@tin.example is inactive now
    checked = 0
    for record in records:
        for data in _variants(record):
            with store_db.session() as s:
                row = suppliers.known_rows(s)[record.external_id]
                plain = suppliers.would_change(row, data)
                orm = suppliers.all_by_external_id(s)[record.external_id]
                assert plain == (suppliers.upsert(s, data, orm, lookup=False)[1] == "updated"), data
                s.rollback()
            checked += plain
    assert 0 < checked < sum(len(_variants(r)) for r in records)
