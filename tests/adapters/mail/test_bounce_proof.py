"""Forged and genuine bounces through the real inbound path (issue 11), on SQLite and PostgreSQL: a DSN from a
random sender that names neither a VERP address nor a Message-ID of ours is shown to the team as an unverified
bounce and no contact changes; a DSN delivered to the e-mail's VERP address, or quoting its Message-ID, marks the
recipient of that e-mail (and only that one) as bouncing."""

from __future__ import annotations

import sqlalchemy as sa

from handlers.inbound import InboundOptions, InboundProcessor
from handlers.mail_store import StoreOutboxRepository
from handlers.notify import NullNotifier
from mail.outbox import OutboxRecord
from store import Database
from store.models import Contact, OutboxItem
from store.states import ContactState, OutboxKind
from tests.adapters.mail.support import Seeded, seed_request
from tests.unit.mail.dsn import dsn

BOT = "compliance@buyer.test"
BOUNCES = "bounces@buyer.test"


class Alerts(NullNotifier):
    def __init__(self) -> None:
        self.texts: list[str] = []

    def team_alert(self, text: str, *, request_id: int | None = None) -> None:
        self.texts.append(text)


def _sent(db: Database, seeded: Seeded, n: int) -> tuple[str, str]:
    """Record the request e-mail to ``seeded`` in the outbox: (its Message-ID, its VERP envelope sender)."""
    message_id = f"<cmbot.{seeded.token}.{n}@buyer.test>"
    record, _ = StoreOutboxRepository(db, mail_from=BOUNCES).add(OutboxRecord(
        key=f"c1:r{seeded.request_id}:request", kind=OutboxKind.REQUEST, to_address=seeded.contact, mail_from=BOT,
        message_id=message_id, raw=b"Subject: request\r\n\r\nbody", request_id=seeded.request_id))  # fmt: skip
    assert record.mail_from.startswith("bounces+")
    return message_id, record.mail_from


def _states(db: Database) -> dict[str, str]:
    with db.session() as s:
        return {c.email: str(c.state) for c in s.scalars(sa.select(Contact))}


def _processor(db: Database, alerts: Alerts) -> InboundProcessor:
    return InboundProcessor(db, notifier=alerts, options=InboundOptions(own_addresses=(BOT,), bounce_address=BOUNCES))


def test_a_forged_dsn_changes_no_contact_and_is_shown_as_unverified(store_db: Database) -> None:
    anna = seed_request(store_db, "anna@supplier.test")
    _sent(store_db, anna, 1)
    alerts = Alerts()
    forged = dsn(failed="anna@supplier.test", sender="postmaster@random.example", to=BOT,
                 original_message_id="<made-up-1@random.example>")  # fmt: skip
    outcome = _processor(store_db, alerts).process(forged)
    assert outcome.kind == "bounce"
    assert _states(store_db) == {"anna@supplier.test": ContactState.ACTIVE.value}
    assert len(alerts.texts) == 1 and "unverified" in alerts.texts[0].lower()
    # a guessed VERP address proves nothing either
    guessed = dsn(failed="anna@supplier.test", delivered_to="bounces+0123456789abcdef@buyer.test", to=BOT)
    _processor(store_db, alerts).process(guessed.replace(b"dsn-1@", b"dsn-2@"))
    assert _states(store_db) == {"anna@supplier.test": ContactState.ACTIVE.value}


def test_a_genuine_dsn_marks_the_recipient_of_the_email_it_names(store_db: Database) -> None:
    anna = seed_request(store_db, "anna@supplier.test")
    ben = seed_request(store_db, "ben@other.test", name="Other Metals", external_id="S-2")
    _, anna_envelope = _sent(store_db, anna, 1)
    ben_message_id, _ = _sent(store_db, ben, 2)
    alerts = Alerts()
    # delivered to anna's VERP address; its text claims ben failed too: only the e-mail it names counts
    by_verp = dsn(failed="ben@other.test", delivered_to=anna_envelope, to=anna_envelope)
    _processor(store_db, alerts).process(by_verp)
    assert _states(store_db) == {"anna@supplier.test": "bouncing", "ben@other.test": "active"}
    assert any("bounced" in t for t in alerts.texts)
    by_message_id = dsn(failed="ben@other.test", original_message_id=ben_message_id, to=BOT)
    _processor(store_db, alerts).process(by_message_id.replace(b"dsn-1@", b"dsn-3@"))
    assert _states(store_db) == {"anna@supplier.test": "bouncing", "ben@other.test": "bouncing"}
    with store_db.session() as s:
        assert all(i.envelope_token for i in s.scalars(sa.select(OutboxItem)))
