"""A supplier's contacts: several addressed, some copied, a language; who requests and replies go to; a person
changing an address (audited; e-mails refused for the old address are sent again)."""

from __future__ import annotations

import datetime as dt

from store import Database, actions, audit, campaigns, outbox, suppliers
from store.models import OutboxItem
from store.states import ContactState, OutboxKind, OutboxState

NOW = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)


def _data(**kw: object) -> suppliers.SupplierData:
    base: dict[str, object] = {"external_id": "S-1", "name": "Müller GmbH", "contact_email": "anna@mueller.example"}
    base.update(kw)
    return suppliers.SupplierData(**base)  # type: ignore[arg-type]


def test_contacts_cc_and_language(store_db: Database) -> None:
    with store_db.session() as s:
        sup, outcome = suppliers.upsert(s, _data(contact_emails=("anna@mueller.example", "bob@mueller.example"),
                                                 cc_emails=("carl@mueller.example",), language="de"))
        assert outcome == "added"
    with store_db.session() as s:
        sup = suppliers.get_by_external_id(s, "S-1")
        assert sup is not None and sup.language == "de"
        assert suppliers.request_recipients(sup) == suppliers.Recipients(
            ("anna@mueller.example", "bob@mueller.example"), ("carl@mueller.example",))
        # the sender is a contact: to the sender, the others in CC
        assert suppliers.reply_recipients(sup, "Bob@Mueller.example") == suppliers.Recipients(
            ("bob@mueller.example",), ("anna@mueller.example", "carl@mueller.example"))
        # a colleague on the supplier's domain: to the colleague, every known contact in CC
        assert suppliers.reply_recipients(sup, "dora@mueller.example") == suppliers.Recipients(
            ("dora@mueller.example",), ("anna@mueller.example", "bob@mueller.example", "carl@mueller.example"))
        # a stranger: the known contacts, as for a request
        assert suppliers.reply_recipients(sup, "eve@elsewhere.example") == suppliers.request_recipients(sup)
        # domains of the supplier list join those of the contacts
        suppliers.upsert(s, _data(contact_emails=("anna@mueller.example", "bob@mueller.example"),
                                  domains=("mueller-group.example",)))
        assert sup.email_domains == ["mueller.example", "mueller-group.example"]
        assert suppliers.reply_recipients(sup, "x@mueller-group.example").to == ("x@mueller-group.example",)
        # re-importing the same data changes nothing; a file without cc or language columns leaves them alone
        assert suppliers.upsert(s, _data(contact_emails=("anna@mueller.example", "bob@mueller.example")))[1] == (
            "unchanged")
    with store_db.session() as s:
        sup = suppliers.get_by_external_id(s, "S-1")
        assert sup is not None
        # the order changes: bob becomes the primary; anna stays a contact; the language is cleared
        _, outcome = suppliers.upsert(s, _data(contact_email="bob@mueller.example",
                                               contact_emails=("bob@mueller.example", "anna@mueller.example"),
                                               cc_emails=(), language=""))
        assert outcome == "updated"
    with store_db.session() as s:
        sup = suppliers.get_by_external_id(s, "S-1")
        assert sup is not None and sup.language is None
        primary = suppliers.primary_contact(sup)
        assert primary is not None and primary.email == "bob@mueller.example"
        assert suppliers.request_recipients(sup) == suppliers.Recipients(
            ("bob@mueller.example", "anna@mueller.example"), ())
        assert [(c.email, c.cc, c.state) for c in suppliers.ordered_contacts(sup)] == [
            ("bob@mueller.example", False, ContactState.ACTIVE),
            ("anna@mueller.example", False, ContactState.ACTIVE),
            ("carl@mueller.example", True, ContactState.INACTIVE),
        ]


def test_changing_a_bouncing_contact_resumes_the_chasing(store_db: Database) -> None:
    with store_db.session() as s:
        sup, _ = suppliers.upsert(s, _data())
        s.flush()
        camp = campaigns.create(s, year=2025, due_date=dt.date(2026, 3, 31), suppliers=[sup])
        req = camp.requests[0]
        key = f"c{camp.id}:r{req.id}:request"
        row = actions.claim(s, key=key, kind="initial_request", campaign_id=camp.id, request_id=req.id, due_at=NOW,
                            reason="initial request", now=NOW)
        assert row is not None
        actions.finish(row, now=NOW, state=actions.FAILED, error="550 no such user")
        item, _ = outbox.enqueue(s, key=key, kind=OutboxKind.REQUEST, request_id=req.id,
                              to_address="anna@mueller.example", message_id="<m1@x>", message_bytes=b"x")
        outbox.mark_failed(item, "550 no such user", retry_at=None)
        suppliers.mark_contact_bouncing(sup.contacts[0], "550 no such user", NOW)
        request_id = req.id
    with store_db.session() as s:
        sup = suppliers.get_by_external_id(s, "S-1")
        assert sup is not None
        change = suppliers.change_contacts(s, sup, ["anna.neu@mueller.example"], cc=["chef@mueller.example"],
                                           name="Anna Neu", actor="os:tester")
        assert change.changed and change.resumed == 1
        assert change.before == ("anna@mueller.example (bouncing)",)
        assert change.after == ("anna@mueller.example (inactive)", "anna.neu@mueller.example (active)",
                                "cc chef@mueller.example (active)")
    with store_db.session() as s:
        # the key is free again: the next tick plans and sends the request to the new address
        assert actions.get(s, key) is None
        _, by_request = actions.keys_for_campaign(s, camp.id)
        assert by_request[request_id] == {f"{key}~failed{row.id}"}
        assert outbox.get_by_key(s, key) is None
        kept = s.query(OutboxItem).one()
        assert kept.state == OutboxState.FAILED_PERMANENT and kept.idempotency_key.startswith(key + "~failed")
        (event,) = audit.events(s, action="supplier.contacts")
        assert event.actor == "os:tester" and event.details["resumed"] == 1
        sup = suppliers.get_by_external_id(s, "S-1")
        assert sup is not None and suppliers.describe(sup) == "anna.neu@mueller.example; cc chef@mueller.example"
        # naming the old address again takes it as fixed; --add keeps the others
        change = suppliers.change_contacts(s, sup, ["anna@mueller.example"], add=True, language="de", actor="U1")
        assert suppliers.describe(sup) == (
            "anna.neu@mueller.example, anna@mueller.example; cc chef@mueller.example; language de")
