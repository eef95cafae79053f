"""The outbox against the real relay and a real SQLite store: idempotent, retried, permanent failures, crashes."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import uuid

import pytest

from handlers.mail_store import StoreOutboxRepository
from handlers.notify import NullNotifier
from handlers.outreach_mail import handle_permanent
from mail.headers import stable_message_id
from mail.outbox import Outbox, OutboxPolicy, OutboxRecord
from mail.smtp import Backoff, Security, SendStatus, SmtpSender, SmtpServer
from store import Database
from store import suppliers as supplier_repo
from store.states import ContactState, OutboxState
from tests.adapters.mail.support import seed_request
from tests.harness.fixtures import MailHarness

pytestmark = pytest.mark.mailserver
ROOT = pathlib.Path(__file__).resolve().parents[3]


class Alerts(NullNotifier):
    def __init__(self) -> None:
        self.alerts: list[str] = []

    def team_alert(self, text: str, *, request_id: int | None = None) -> None:
        self.alerts.append(text)


def _record(to: str, key: str, request_id: int | None = None) -> OutboxRecord:
    mid = stable_message_id(key, "example.test")
    raw = f"From: bot@example.test\r\nTo: {to}\r\nSubject: {key}\r\nMessage-ID: {mid}\r\n\r\nhello\r\n".encode()
    return OutboxRecord(key=key, kind="request", to_address=to, mail_from="bot@example.test", message_id=mid,
                        raw=raw, request_id=request_id)  # fmt: skip


def _outbox(h: MailHarness, db: Database, **kw: object) -> Outbox:
    sender = SmtpSender(SmtpServer(host=h.host, port=h.smtp_port, security=Security.NONE, timeout=10))
    policy = OutboxPolicy(quick_retries=2, quick_backoff=Backoff(base=0.01, cap=0.02))
    return Outbox(StoreOutboxRepository(db, mail_from="bot@example.test"), sender, policy=policy,
                  sleep=lambda _s: None, **kw)  # type: ignore[arg-type]  # fmt: skip


def _count(h: MailHarness, user: str, key: str) -> int:
    return len(h.wait_for(user, ["HEADER", "Message-ID", stable_message_id(key, "example.test")], timeout=1.0))


def test_enqueue_is_idempotent_and_sends_once(
    mail_harness: MailHarness, mail_db: Database, mail_user: tuple[str, str]
) -> None:
    user, _ = mail_user
    outbox = _outbox(mail_harness, mail_db)
    key = f"k-{uuid.uuid4().hex[:8]}"
    first = outbox.enqueue(_record(user, key))
    second = outbox.enqueue(_record(user, key))
    assert first.key == second.key
    deliveries = outbox.deliver_due()
    assert [d.result.status for d in deliveries] == [SendStatus.SENT]
    assert outbox.deliver_due() == []
    outbox.enqueue(_record(user, key))
    assert outbox.deliver_due() == []
    assert _count(mail_harness, user, key) == 1


def test_451_then_success_sends_once(mail_harness: MailHarness, mail_db: Database, mail_user: tuple[str, str]) -> None:
    user, _ = mail_user
    local, domain = user.split("@")
    to = f"{local}+tempfail1-{uuid.uuid4().hex[:6]}@{domain}"
    outbox = _outbox(mail_harness, mail_db)
    key = f"k-{uuid.uuid4().hex[:8]}"
    outbox.enqueue(_record(to, key))
    (delivery,) = outbox.deliver_due()
    assert delivery.record.state is OutboxState.SENT and delivery.record.attempts == 2
    assert _count(mail_harness, user, key) == 1


def test_persistent_451_is_rescheduled(mail_harness: MailHarness, mail_db: Database) -> None:
    outbox = _outbox(mail_harness, mail_db)
    key = f"k-{uuid.uuid4().hex[:8]}"
    outbox.enqueue(_record("smtp-tempfail@example.test", key))
    (_delivery,) = outbox.deliver_due()
    record = outbox.repo.get(key)
    assert record is not None and record.state is OutboxState.FAILED_TEMPORARY
    assert record.attempts == 3 and record.next_attempt_at is not None
    assert outbox.deliver_due() == []  # not due yet


def test_550_recorded_contact_bouncing_and_raised(mail_harness: MailHarness, mail_db: Database) -> None:
    seeded = seed_request(mail_db, "smtp-reject@example.test")
    alerts = Alerts()
    outbox = _outbox(mail_harness, mail_db, on_permanent=handle_permanent(mail_db, alerts))
    key = f"k-{uuid.uuid4().hex[:8]}"
    outbox.enqueue(_record("smtp-reject@example.test", key, seeded.request_id))
    (delivery,) = outbox.deliver_due()
    assert delivery.result.status is SendStatus.PERMANENT and delivery.result.code == 550
    record = outbox.repo.get(key)
    assert record is not None and record.state is OutboxState.FAILED_PERMANENT and "550" in (record.last_error or "")
    with mail_db.session() as s:
        (contact,) = supplier_repo.contacts_by_email(s, "smtp-reject@example.test")
        assert contact.state == ContactState.BOUNCING
    assert alerts.alerts and "refused" in alerts.alerts[0]


def _worker(
    h: MailHarness, db_url: str, to: str, key: str, crash_at: str, reconcile: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.adapters.mail.outbox_worker", db_url, h.host, str(h.smtp_port), to, key,
         crash_at, reconcile],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


@pytest.mark.parametrize(
    "crash_at,reconcile,final_state,delivered",
    [
        ("recorded", False, "sent", 1),
        ("claimed", False, "uncertain", 0),
        ("data_sent", False, "uncertain", 1),
        ("sent", False, "sent", 1),
        ("claimed", True, "sent", 1),
        ("data_sent", True, "sent", 1),
    ],
)
def test_sigkill_at_any_step_never_sends_twice(
    mail_harness: MailHarness, mail_db: Database, mail_user: tuple[str, str],
    crash_at: str, reconcile: bool, final_state: str, delivered: int,
) -> None:  # fmt: skip
    user, password = mail_user
    key = f"crash-{crash_at}-{uuid.uuid4().hex[:8]}"
    url = str(mail_db.engine.url)
    spec = f"imap:{mail_harness.imap_port}:{password}" if reconcile else "none"
    killed = _worker(mail_harness, url, user, key, crash_at, spec)
    assert killed.returncode == -9, killed.stderr
    restarted = _worker(mail_harness, url, user, key, "none", spec)
    assert restarted.returncode == 0, restarted.stderr
    assert restarted.stdout.strip() == final_state
    assert _count(mail_harness, user, key) == delivered


def test_acknowledgments_have_their_own_budget(
    mail_harness: MailHarness, mail_db: Database, mail_user: tuple[str, str]
) -> None:
    """A responder loop uses up the acknowledgments' budget, never the one of the requests and reminders."""
    import dataclasses

    from mail.smtp import BudgetLimiter, RateLimiter

    user, _ = mail_user
    frozen = [1000.0]
    main = RateLimiter(60, clock=lambda: frozen[0], sleep=lambda _s: None)
    acks = BudgetLimiter(1, 60.0, clock=lambda: frozen[0], sleep=lambda _s: None)
    outbox = _outbox(mail_harness, mail_db, rate_limiter=main, kind_limiters={"acknowledgment": acks})
    tag = uuid.uuid4().hex[:8]
    for n in range(3):
        outbox.enqueue(dataclasses.replace(_record(user, f"ack-{tag}-{n}"), kind="acknowledgment"))
    outbox.enqueue(_record(user, f"req-{tag}"))
    sent = [d.record.key for d in outbox.deliver_due() if d.result.status is SendStatus.SENT]
    assert f"req-{tag}" in sent
    assert [k for k in sent if k.startswith("ack-")] == [f"ack-{tag}-0"]
    assert outbox.send_now(f"ack-{tag}-1", block=False) is None  # over its budget: left for a later round
    frozen[0] += 61
    assert [d.record.key for d in outbox.deliver_due()] == [f"ack-{tag}-1"]


def test_stop_cuts_the_rate_limit_wait_short_and_leaves_the_rest_due(
    mail_harness: MailHarness, mail_db: Database, mail_user: tuple[str, str]
) -> None:
    """SIGTERM must not wait for the rate limit (here one e-mail a minute): the pass ends at once, the e-mail that
    was waiting for its slot is neither claimed nor sent, and the next pass sends it."""
    import threading
    import time

    from mail.smtp import RateLimiter

    user, _ = mail_user
    tag = uuid.uuid4().hex[:8]
    outbox = _outbox(mail_harness, mail_db, rate_limiter=RateLimiter(1.0))
    for n in range(2):
        outbox.enqueue(_record(user, f"slow-{tag}-{n}"))
    stop = threading.Event()
    timer = threading.Timer(1.0, stop.set)
    timer.start()
    began = time.monotonic()
    deliveries = outbox.deliver_due(stop=stop)
    assert time.monotonic() - began < 5.0
    timer.cancel()
    assert [d.record.key for d in deliveries] == [f"slow-{tag}-0"]
    repo = StoreOutboxRepository(mail_db, mail_from="bot@example.test")
    waiting = repo.get(f"slow-{tag}-1")
    assert waiting is not None and waiting.state is OutboxState.PENDING and waiting.attempts == 0
    assert _count(mail_harness, user, f"slow-{tag}-1") == 0
    rest = Outbox(repo, outbox.sender, sleep=lambda _s: None).deliver_due()
    assert [d.record.key for d in rest] == [f"slow-{tag}-1"]
