"""SmtpSender against the harness's aiosmtpd relay (delivering into Dovecot)."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest

from mail.smtp import Backoff, RateLimiter, Security, SendStatus, SmtpSender, SmtpServer, send_with_retry
from tests.harness.fixtures import MailHarness

pytestmark = pytest.mark.mailserver


def _raw(to: str, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "bot@example.test", to, subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@example.test>"
    msg.set_content("hello")
    return msg.as_bytes()


def _sender(h: MailHarness, security: Security = Security.STARTTLS, **kw: object) -> SmtpSender:
    port = h.smtps_port if security is Security.TLS else h.smtp_port
    settings = SmtpServer(
        host=h.host, port=port, security=security, username="bot@example.test", password="botpass",
        ca_file=str(h.ca_path), timeout=10, **kw,  # type: ignore[arg-type]
    )  # fmt: skip
    return SmtpSender(settings)


@pytest.mark.parametrize("security", [Security.STARTTLS, Security.TLS])
def test_send_delivers(mail_harness: MailHarness, mail_user: tuple[str, str], security: Security) -> None:
    to, _ = mail_user
    subject = f"smtp {security} {uuid.uuid4().hex[:6]}"
    result = _sender(mail_harness, security).send(_raw(to, subject), mail_from="bot@example.test", rcpt_to=[to])
    assert result.status is SendStatus.SENT
    assert mail_harness.wait_for(to, ["SUBJECT", subject])
    entry = next(e for e in mail_harness.journal_entries() if e["subject"] == subject)
    assert entry["tls"] is True and entry["auth"] == "bot@example.test"


def test_550_is_permanent_and_recipient_fault(mail_harness: MailHarness) -> None:
    result = _sender(mail_harness).send(
        _raw("smtp-reject@example.test", "x"), mail_from="bot@example.test", rcpt_to=["smtp-reject@example.test"]
    )
    assert result.status is SendStatus.PERMANENT and result.code == 550 and result.recipient_fault


def test_wrong_password_is_permanent_not_recipient_fault(mail_harness: MailHarness) -> None:
    settings = SmtpServer(host=mail_harness.host, port=mail_harness.smtp_port, security=Security.NONE,
                            username="bot@example.test", password="wrong", timeout=10)  # fmt: skip
    result = SmtpSender(settings).send(_raw("x@example.test", "x"), mail_from="bot@example.test", rcpt_to=["x@y.z"])
    assert result.status is SendStatus.PERMANENT and result.code == 535 and not result.recipient_fault


def test_transient_failures(mail_harness: MailHarness) -> None:
    sender = _sender(mail_harness)
    for rcpt in ("smtp-tempfail@example.test", "smtp-drop@example.test", "smtp-drop-data@example.test"):
        result = sender.send(_raw(rcpt, "x"), mail_from="bot@example.test", rcpt_to=[rcpt])
        assert result.status is SendStatus.TRANSIENT, (rcpt, result)
    refused = SmtpServer(host="127.0.0.1", port=1, security=Security.NONE, timeout=2)
    assert SmtpSender(refused).send(b"x", mail_from="a@b.c", rcpt_to=["d@e.f"]).status is SendStatus.TRANSIENT


def test_451_then_success_sends_once(mail_harness: MailHarness, mail_user: tuple[str, str]) -> None:
    user, _ = mail_user
    local, domain = user.split("@")
    to = f"{local}+tempfail1-{uuid.uuid4().hex[:6]}@{domain}"
    subject = f"retry {uuid.uuid4().hex[:6]}"
    sleeps: list[float] = []
    result = send_with_retry(
        _sender(mail_harness), _raw(to, subject), mail_from="bot@example.test", rcpt_to=[to],
        attempts=3, backoff=Backoff(base=0.01, cap=0.05), sleep=sleeps.append,
    )  # fmt: skip
    assert result.status is SendStatus.SENT
    assert len(sleeps) == 1
    assert len(mail_harness.wait_for(user, ["SUBJECT", subject])) == 1
    assert len([e for e in mail_harness.journal_entries() if e["subject"] == subject]) == 1


def test_rate_limiter_spaces_sends() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(60, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limiter.wait()
    assert slept == [1.0, 1.0]
    assert not limiter.try_acquire()  # the next slot is a second away
    now[0] += 1.0
    assert limiter.try_acquire()


def test_budget_limiter_lets_a_burst_through_and_then_waits() -> None:
    from mail.smtp import BudgetLimiter

    now = [0.0]
    slept: list[float] = []
    budget = BudgetLimiter(3, 3600.0, clock=lambda: now[0], sleep=slept.append)
    assert [budget.try_acquire() for _ in range(4)] == [True, True, True, False]  # no spacing within the budget
    now[0] = 3600.0
    assert budget.try_acquire()
    assert budget.wait() == 0.0 and budget.wait() == 0.0
    assert budget.wait() == 3600.0 and slept == [3600.0]
    assert BudgetLimiter(0).try_acquire()
