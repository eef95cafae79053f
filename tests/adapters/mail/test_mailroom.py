"""``handlers.mailroom.assign`` on SQLite and PostgreSQL: one assignment per e-mail, even when two people act at
once, and a failed assignment leaves the e-mail unmatched for another try."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from cmrt.workbook.factory import build_cmrt
from handlers import mailroom
from handlers.inbound import InboundProcessor
from store import Database
from tests.adapters.mail.support import seed_request


def _unmatched(db: Database) -> int:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "pat@stranger.test", "bot@example.test", "Declaration"
    msg["Message-ID"] = "<mailroom-1@stranger.test>"
    msg.set_content("Attached.")
    workbook = build_cmrt(company_name="Nobody Known Unrelated Ltd")
    msg.add_attachment(workbook, maintype="application", subtype="octet-stream", filename="cmrt.xlsx")
    assert InboundProcessor(db).process(msg.as_bytes()).request_id is None
    with db.session() as s:
        (item,) = mailroom.unmatched(s)
        assert item.sender_domain == "stranger.test" and item.attachments == 1
        return item.ref


class SecondPerson:
    """The real processor, but someone else assigns the same e-mail while the first assignment runs."""

    def __init__(self, db: Database, ref: int, other_request: int) -> None:
        self.db, self.ref, self.other = db, ref, other_request
        self.real = InboundProcessor(db)
        self.second: mailroom.Result | None = None

    def assign(self, message_id: str, request_id: int, *, actor: str, ref: int | None = None) -> Any:
        with self.db.session() as s:
            assert mailroom.unmatched(s) == []  # already claimed: no longer offered
        self.second = mailroom.assign(self.db, self.real, self.ref, self.other, actor="U2")
        return self.real.assign(message_id, request_id, actor=actor, ref=ref)


class Broken:
    def assign(self, message_id: str, request_id: int, *, actor: str, ref: int | None = None) -> Any:
        raise RuntimeError("the disk is full")


def test_one_assignment_even_when_two_people_act_at_once(store_db: Database) -> None:
    first = seed_request(store_db, "a@supplier.test", name="First Metals", external_id="S-1")
    other = seed_request(store_db, "b@supplier.test", name="Other Metals", external_id="S-2")
    ref = _unmatched(store_db)
    racing = SecondPerson(store_db, ref, other.request_id)
    result = mailroom.assign(store_db, racing, ref, first.request_id, actor="U1")
    assert result.ok and "First Metals" in result.text and result.grades
    assert racing.second is not None and not racing.second.ok
    assert "already assigned to First Metals" in racing.second.text
    again = mailroom.assign(store_db, InboundProcessor(store_db), ref, other.request_id, actor="U3")
    assert not again.ok and "already assigned" in again.text


def test_a_failed_assignment_leaves_the_email_unmatched(store_db: Database) -> None:
    first = seed_request(store_db, "a@supplier.test", name="First Metals", external_id="S-1")
    ref = _unmatched(store_db)
    failed = mailroom.assign(store_db, Broken(), ref, first.request_id, actor="U1")
    assert not failed.ok and "RuntimeError" in failed.text
    with store_db.session() as s:
        assert [i.ref for i in mailroom.unmatched(s)] == [ref]
    assert mailroom.assign(store_db, InboundProcessor(store_db), ref, first.request_id, actor="U1").ok
    assert not mailroom.assign(store_db, InboundProcessor(store_db), 999_999, first.request_id, actor="U1").ok
