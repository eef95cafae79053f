"""The harness itself: SMTP with STARTTLS/implicit TLS/AUTH delivers through LMTP into Dovecot."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from tests.harness.fixtures import MailHarness

pytestmark = pytest.mark.mailserver


def test_starttls_and_implicit_tls_deliver(mail_harness: MailHarness, mail_user: tuple[str, str]) -> None:
    address, password = mail_user
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = address, address, "harness self-test"
    msg.set_content("hello")
    with smtplib.SMTP(mail_harness.host, mail_harness.smtp_port) as smtp:
        smtp.starttls(context=mail_harness.ssl_context())
        smtp.login(address, password)
        smtp.send_message(msg)
    with smtplib.SMTP_SSL(mail_harness.host, mail_harness.smtps_port, context=mail_harness.ssl_context()) as smtp:
        smtp.login(address, password)
        smtp.send_message(msg)
    assert len(mail_harness.wait_for(address, ["SUBJECT", "harness self-test"])) >= 1
    assert len(mail_harness.folder_uids(address, "INBOX")) == 2


def test_fault_recipients(mail_harness: MailHarness) -> None:
    with smtplib.SMTP(mail_harness.host, mail_harness.smtp_port) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as rejected:
            smtp.sendmail("bot@example.test", ["smtp-reject@example.test"], b"Subject: x\r\n\r\nx")
        assert rejected.value.recipients["smtp-reject@example.test"][0] == 550
