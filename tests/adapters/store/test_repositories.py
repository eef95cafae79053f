"""Repository functions against real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from cmrt.outreach.states import InvalidTransition, RequestState
from store import (
    Database,
    audit,
    campaigns,
    messages,
    outbox,
    requests,
    runtime,
    smelters,
    suppliers,
)
from store.audit import AuditLogIsAppendOnly
from store.models import AuditEvent, Blob, OutboxItem, Request
from store.states import ContactState, Direction, OutboxKind, OutboxState, SmelterListKind, Tier

NOW = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)


def _supplier(external_id: str, email: str, tags: tuple[str, ...] = ()) -> suppliers.SupplierData:
    return suppliers.SupplierData(
        external_id=external_id, name=f"Supplier {external_id}", contact_email=email, tags=tags
    )


def test_supplier_upsert_is_idempotent(store_db: Database) -> None:
    with store_db.session() as s:
        _, outcome = suppliers.upsert(s, _supplier("S-1", "Anna@Example.com", ("metals",)))
        assert outcome == "added"
    with store_db.session() as s:
        sup, outcome = suppliers.upsert(s, _supplier("S-1", "anna@example.com", ("metals",)))
        assert outcome == "unchanged"
        assert [c.email for c in sup.contacts] == ["anna@example.com"]
        assert sup.email_domains == ["example.com"]
    with store_db.session() as s:
        data = suppliers.SupplierData("S-1", "Renamed", "bob@example.org", tier=Tier.INDIRECT, tags=("metals",))
        sup, outcome = suppliers.upsert(s, data)
        assert outcome == "updated"
    with store_db.session() as s:
        sup2 = suppliers.get_by_external_id(s, "S-1")
        assert sup2 is not None and sup2.name == "Renamed" and sup2.tier == Tier.INDIRECT
        assert [(c.email, c.state) for c in sup2.contacts] == [
            ("anna@example.com", ContactState.INACTIVE),
            ("bob@example.org", ContactState.ACTIVE),
        ]
        primary = suppliers.primary_contact(sup2)
        assert primary is not None and primary.email == "bob@example.org"
        assert sorted(sup2.email_domains) == ["example.com", "example.org"]
        assert [x.external_id for x in suppliers.suppliers_by_domain(s, "EXAMPLE.org")] == ["S-1"]
        assert suppliers.count(s) == 1


def test_campaign_requests_and_state_machine(store_db: Database) -> None:
    with store_db.session() as s:
        for i in range(3):
            suppliers.upsert(s, _supplier(f"S-{i}", f"p{i}@example.com", ("a",) if i else ()))
    with store_db.session() as s:
        camp = campaigns.create(
            s, year=2025, due_date=dt.date(2026, 3, 31), suppliers=suppliers.list_suppliers(s, tag="A")
        )
        reqs = requests.for_campaign(s, camp.id)
        assert [r.supplier.external_id for r in reqs] == ["S-1", "S-2"]
        assert {r.state for r in reqs} == {RequestState.NOT_SENT}
        assert len({r.token for r in reqs}) == 2
        with pytest.raises(campaigns.CampaignExists):
            campaigns.create(s, year=2025, due_date=dt.date(2026, 3, 31), suppliers=[])
        camp_id, req_id, token = camp.id, reqs[0].id, reqs[0].token
    with store_db.session() as s:
        req = requests.get_by_token(s, token.lower())
        assert req is not None and req.id == req_id
        requests.transition(s, req, RequestState.SENT, now=NOW)
        req.next_due_at = NOW + dt.timedelta(days=14)
        requests.transition(s, req, RequestState.REMINDED, now=NOW + dt.timedelta(days=14))
        requests.transition(s, req, RequestState.REMINDED, now=NOW + dt.timedelta(days=28))
        with pytest.raises(InvalidTransition, match="cannot become 'not_sent'"):
            requests.transition(s, req, RequestState.NOT_SENT)
    with store_db.session() as s:
        req = requests.get(s, req_id)
        assert req is not None
        assert req.reminder_count == 2
        assert req.sent_at == NOW
        assert req.sent_at.tzinfo is not None and req.sent_at.utcoffset() == dt.timedelta(0)
        assert [r.id for r in requests.due(s, NOW + dt.timedelta(days=15))] == [req_id]
        req.snoozed_until = NOW + dt.timedelta(days=20)
        s.flush()
        assert requests.due(s, NOW + dt.timedelta(days=15)) == []
        counts = requests.counts_by_state(s, camp_id)
        assert counts[RequestState.REMINDED] == 1 and counts[RequestState.NOT_SENT] == 1
        assert sum(counts.values()) == 2
        trail = audit.events(s, subject_type="request", subject_id=req_id)
        assert [e.action for e in trail] == ["request.sent", "request.reminded", "request.reminded"]


def test_naive_datetimes_are_refused(store_db: Database) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), store_db.session() as s:
        audit.record(s, "system", "x", at=dt.datetime(2026, 1, 1))
        s.flush()


def test_audit_log_is_append_only(store_db: Database) -> None:
    with store_db.session() as s:
        audit.record(s, "os:alice", "suppliers.import", details={"file": "a.csv"})
    with pytest.raises(AuditLogIsAppendOnly), store_db.session() as s:
        ev = s.scalars(sa.select(AuditEvent)).one()
        ev.action = "tampered"
        s.flush()
    with pytest.raises(AuditLogIsAppendOnly), store_db.session() as s:
        s.delete(s.scalars(sa.select(AuditEvent)).one())
        s.flush()
    with store_db.session() as s:
        assert [e.action for e in audit.events(s)] == ["suppliers.import"]


def test_messages_submissions_reviews(store_db: Database) -> None:
    raw = b"From: a@example.com\r\nSubject: CMRT\r\n\r\nhello"
    with store_db.session() as s:
        msg, created = messages.add(
            s, direction=Direction.IN, message_id="<m1@example.com>", raw=raw, from_address="A@Example.com",
            received_at=NOW, imap_folder="INBOX", imap_uid=2**33,
        )
        assert created
        again, created = messages.add(s, direction=Direction.IN, message_id="<m1@example.com>", raw=raw)
        assert not created and again.id == msg.id
        digest = messages.message_digest(raw)  # given by a caller that has it already
        assert messages.add(s, direction=Direction.IN, message_id="<m1@example.com>", raw=raw, digest=digest)[0] is msg
        given, _ = messages.add(s, direction=Direction.IN, message_id="<m2@example.com>", raw=raw + b"2",
                                blob_key=hashlib.sha256(raw + b"2").hexdigest())  # fmt: skip
        assert messages.raw_bytes(s, given) == raw + b"2"
        # the bytes are a blob, kept once, with their SHA-256 as the key
        assert msg.raw_blob == hashlib.sha256(raw).hexdigest() and messages.raw_bytes(s, msg) == raw
        anon, created = messages.add(s, direction=Direction.IN, message_id=None, raw=b"no id")
        assert created and anon.message_id.endswith("@cmrt-bot.invalid>")
        # a different e-mail under an old Message-ID is stored as new (keyed by Message-ID and raw digest)
        other, created = messages.add(s, direction=Direction.IN, message_id="<m1@example.com>", raw=raw + b"!")
        assert created and other.id != msg.id
        assert messages.get_by_key(s, "<m1@example.com>", messages.message_digest(raw)) is msg
        # the same e-mail delivered again with other trace fields (and line endings) is the same e-mail
        traced = b"Return-Path: <a@example.com>\nReceived: from x\n\tby y\n" + raw.replace(b"\r\n", b"\n")
        assert messages.add(s, direction=Direction.IN, message_id="<m1@example.com>", raw=traced)[0] is msg
        assert messages.get_by_message_id(s, "<m1@example.com>") is other  # the newest
        s.delete(other)
        s.flush()
        sub, created = messages.add_submission(s, msg, filename="cmrt.xlsx", content=b"PK\x03\x04data")
        assert created and sub.size == 8
        _, created = messages.add_submission(s, msg, filename="copy.xlsx", content=b"PK\x03\x04data")
        assert not created
        findings: list[dict[str, Any]] = [{"code": "Q1_MISSING", "severity": "high"}]
        messages.add_review(s, sub, grade="C", score=61.5, catalogue_version="2026.1", findings=findings)
        msg_id = msg.id
    with store_db.session() as s:
        stored = messages.get_by_message_id(s, "<m1@example.com>")
        assert stored is not None and messages.raw_bytes(s, stored) == raw and stored.from_address == "a@example.com"
        assert stored.imap_uid == 2**33
        assert stored.submissions[0].reviews[0].findings == findings
        assert [m.id for m in messages.find_by_message_ids(s, ["<m1@example.com>", "<x>"])] == [msg_id]
        assert len(messages.submissions_with_sha256(s, messages.sha256(b"PK\x03\x04data"))) == 1


def test_outbox_enqueue_once_and_claim(store_db: Database) -> None:
    with store_db.session() as s:
        item, created = outbox.enqueue(
            s, key="request:1", kind=OutboxKind.REQUEST, to_address="a@example.com",
            message_id="<o1@cmrt-bot>", message_bytes=b"raw", now=NOW,
        )
        assert created
        _, created = outbox.enqueue(
            s, key="request:1", kind=OutboxKind.REQUEST, to_address="a@example.com",
            message_id="<o2@cmrt-bot>", message_bytes=b"other", now=NOW,
        )
        assert not created
    with store_db.session() as s:
        assert outbox.claim_due(s, NOW - dt.timedelta(seconds=1)) == []
        claimed = outbox.claim_due(s, NOW)
        assert [c.idempotency_key for c in claimed] == ["request:1"]
        assert claimed[0].attempts == 1
    with store_db.session() as s:
        assert outbox.claim_due(s, NOW) == []
        (stuck,) = outbox.stuck_sending(s)
        outbox.mark_failed(stuck, "451 try later", retry_at=NOW + dt.timedelta(minutes=5))
    with store_db.session() as s:
        (item,) = outbox.claim_due(s, NOW + dt.timedelta(minutes=5))
        outbox.mark_sent(item, NOW + dt.timedelta(minutes=5))
    with store_db.session() as s:
        assert outbox.counts(s)[OutboxState.SENT] == 1
        (item,) = s.scalars(sa.select(OutboxItem))
        assert outbox.raw_bytes(s, item) == b"raw"  # the first enqueue's bytes, through every state change
        # the e-mail kept as sent is the same bytes: one blob for both rows
        sent, _ = messages.add(s, direction=Direction.OUT, message_id="<o1@cmrt-bot>", raw=b"raw")
        assert sent.raw_blob == item.raw_blob and s.scalar(sa.select(sa.func.count()).select_from(Blob)) == 1


def test_runtime_bookkeeping(store_db: Database) -> None:
    with store_db.session() as s:
        runtime.set_checkpoint(s, "INBOX", 1700000000, 5)
        runtime.set_checkpoint(s, "INBOX", 1700000000, 9)
        runtime.beat(s, "inbox", now=NOW)
        runtime.beat(s, "inbox", state="degraded", detail="reconnecting", now=NOW + dt.timedelta(seconds=30))
        assert runtime.claim_interaction(s, "action:U1:123.456", kind="button", user_id="U1")
        assert not runtime.claim_interaction(s, "action:U1:123.456")
        runtime.set_value(s, "digest", {"last": "2026-01-15"})
    with store_db.session() as s:
        cp = runtime.get_checkpoint(s, "INBOX")
        assert cp is not None and (cp.uidvalidity, cp.last_uid) == (1700000000, 9)
        (hb,) = runtime.heartbeats(s)
        assert hb.state == "degraded" and hb.beat_at == NOW + dt.timedelta(seconds=30) and hb.started_at == NOW
        assert runtime.get_value(s, "digest") == {"last": "2026-01-15"}


def test_smelter_lists(store_db: Database) -> None:
    with store_db.session() as s:
        sl = smelters.add_list(
            s, kind=SmelterListKind.CONFORMANT, source_file="conformant.xml", list_date=dt.date(2026, 8, 22),
            entries=[{"metal": "Tin", "smelter_id": "CID000001", "standard_name": "A", "lbma": "Yes",
                      "last_audit_date": dt.date(2025, 1, 2)}],
        )
        assert sl.row_count == 1
    with store_db.session() as s:
        latest = smelters.latest_list(s, SmelterListKind.CONFORMANT)
        assert latest is not None
        (entry,) = smelters.entries(s, latest.id)
        assert entry.extra == {"lbma": "Yes"} and entry.last_audit_date == dt.date(2025, 1, 2)


def test_foreign_keys_and_unique_request_enforced(store_db: Database) -> None:
    with pytest.raises(IntegrityError), store_db.session() as s:
        s.add(Request(campaign_id=999, supplier_id=999, token="ZZZZZZZZ"))
        s.flush()
    with store_db.session() as s:
        suppliers.upsert(s, _supplier("S-1", "a@example.com"))
        camp = campaigns.create(s, year=2024, due_date=dt.date(2025, 3, 31), suppliers=suppliers.list_suppliers(s))
        assert campaigns.add_requests(s, camp, suppliers.list_suppliers(s)) == []
        assert campaigns.latest(s) is not None


def test_sqlite_pragmas(tmp_path: Any) -> None:
    db = Database(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        db.dispose()
