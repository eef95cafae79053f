"""The store side of the mail protocols on SQLite and PostgreSQL: outbox CAS, checkpoints, request directory."""

from __future__ import annotations

import datetime as dt

from handlers.mail_store import StoreCheckpoints, StoreDirectory, StoreOutboxRepository
from mail.outbox import READY, Outbox, OutboxRecord
from mail.smtp import Security, SmtpSender, SmtpServer
from store import Database
from store.states import OutboxState
from tests.adapters.mail.support import seed_request


def _soon() -> dt.datetime:
    """A moment just after ``enqueue`` stamped the record due (it uses the real clock)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=1)


def _record(key: str) -> OutboxRecord:
    return OutboxRecord(key=key, kind="reminder", to_address="a@s.test", mail_from="bot@b.test",
                        message_id=f"<{key}@b.test>", raw=b"raw")  # fmt: skip


def test_outbox_repository_cas(store_db: Database) -> None:
    repo = StoreOutboxRepository(store_db, mail_from="bot@b.test")
    now = _soon()
    first, created = repo.add(_record("k1"))
    again, created_again = repo.add(_record("k1"))
    assert created and not created_again and again.key == first.key
    assert [r.key for r in repo.due(now, 10)] == ["k1"]
    assert repo.transition("k1", READY, OutboxState.SENDING, attempts=1)
    assert not repo.transition("k1", READY, OutboxState.SENDING, attempts=1)  # someone else's claim fails
    assert [r.key for r in repo.in_state(OutboxState.SENDING)] == ["k1"]
    later = now + dt.timedelta(hours=1)
    assert repo.transition("k1", [OutboxState.SENDING], OutboxState.FAILED_TEMPORARY, next_attempt_at=later,
                           last_error="451 later")  # fmt: skip
    assert repo.due(now, 10) == []
    assert [r.key for r in repo.due(later, 10)] == ["k1"]
    assert repo.transition("k1", READY, OutboxState.SENDING, attempts=2)
    assert repo.transition("k1", [OutboxState.SENDING], OutboxState.SENT, sent_at=now)
    record = repo.get("k1")
    assert record is not None and record.state is OutboxState.SENT and record.attempts == 2
    assert record.sent_at == now


def test_uncertain_records_are_settled_by_a_person(store_db: Database) -> None:
    repo = StoreOutboxRepository(store_db, mail_from="bot@b.test")
    outbox = Outbox(repo, SmtpSender(SmtpServer(host="127.0.0.1", port=1, security=Security.NONE)))
    now = _soon()
    for key in ("u1", "u2"):
        repo.add(_record(key))
        assert repo.transition(key, READY, OutboxState.SENDING, attempts=1)
    assert [r.key for r in outbox.recover()] == ["u1", "u2"]
    assert outbox.deliver_due() == []  # never resent on its own
    assert outbox.release("u1", resend=True) and outbox.release("u2", resend=False)
    assert [r.key for r in repo.due(now, 10)] == ["u1"]
    record = repo.get("u2")
    assert record is not None and record.state is OutboxState.SENT


def test_checkpoints_and_directory(store_db: Database) -> None:
    checkpoints = StoreCheckpoints(store_db, prefix="bot@b.test:")
    assert checkpoints.load("INBOX") is None
    checkpoints.save("INBOX", 7, 42)
    checkpoints.save("INBOX", 7, 43)
    assert checkpoints.load("INBOX") == (7, 43)
    seeded = seed_request(store_db, "anna@acme.test", name="Acme Metals Ltd")
    with store_db.session() as s:
        directory = StoreDirectory(s)
        assert directory.by_token(seeded.token) == seeded.request_id
        assert directory.by_address("anna@acme.test") == [seeded.request_id]
        assert directory.by_domain("acme.test") == [seeded.request_id]
        assert [c.request_id for c in directory.company_candidates()] == [seeded.request_id]
        assert directory.by_thread(["<nothing@x>"]) is None
