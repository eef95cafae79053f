"""mail.maildir_out.MaildirSender: the local outbound transport (.eml files in a Maildir), alone and in the outbox."""

from __future__ import annotations

import email
import email.policy
import mailbox
import pathlib

import pytest

from bot.config import ConfigError, parse_config
from bot.mail_wiring import outbound_sender
from handlers.mail_store import StoreOutboxRepository
from mail.headers import stable_message_id
from mail.maildir_out import MaildirSender
from mail.outbox import Outbox, OutboxRecord
from mail.smtp import SendStatus, SmtpSender
from store import Database
from store.states import OutboxState

RAW = (
    b"From: bot@example.test\r\nTo: anna@supplier.test\r\nSubject: hello\r\nMessage-ID: <m1@example.test>\r\n"
    b"\r\nhi\r\n"
)


def _files(path: pathlib.Path) -> list[pathlib.Path]:
    return sorted((path / "new").glob("*.eml"))


def test_send_writes_one_eml_file_with_the_envelope(tmp_path: pathlib.Path) -> None:
    box = tmp_path / "outbox"
    result = MaildirSender(box).send(RAW, mail_from="bot@example.test", rcpt_to=["anna@supplier.test"])
    assert result.status is SendStatus.SENT and result.ok
    files = _files(box)
    assert len(files) == 1 and list((box / "tmp").iterdir()) == []
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert msg["Return-Path"] == "<bot@example.test>"
    assert msg["Delivered-To"] == "anna@supplier.test"
    assert msg["Message-ID"] == "<m1@example.test>" and msg.get_content().strip() == "hi"
    # a real Maildir: the standard library (and any mail client) reads it
    assert [m["Subject"] for m in mailbox.Maildir(str(box), create=False)] == ["hello"]


def test_unclaimed_sends_nothing(tmp_path: pathlib.Path) -> None:
    box = tmp_path / "outbox"
    result = MaildirSender(box).send(RAW, mail_from="b@example.test", rcpt_to=["a@x.test"], before_data=lambda: False)
    assert (result.status, result.detail) == (SendStatus.TRANSIENT, "not claimed")
    assert _files(box) == []


def test_bad_recipient_is_permanent_and_recipient_fault(tmp_path: pathlib.Path) -> None:
    result = MaildirSender(tmp_path / "o").send(RAW, mail_from="b@example.test", rcpt_to=["not-an-address"])
    assert result.status is SendStatus.PERMANENT and result.recipient_fault


def test_unwritable_target_is_transient(tmp_path: pathlib.Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = MaildirSender(blocker).send(RAW, mail_from="b@example.test", rcpt_to=["a@x.test"])
    assert result.status is SendStatus.TRANSIENT
    with pytest.raises(OSError):
        MaildirSender(blocker).check()


def test_outbox_delivers_through_it_once(tmp_path: pathlib.Path, mail_db: Database) -> None:
    box = tmp_path / "outbox"
    outbox = Outbox(StoreOutboxRepository(mail_db, mail_from="bot@example.test"), MaildirSender(box))
    mid = stable_message_id("k1", "example.test")
    record = OutboxRecord(key="k1", kind="request", to_address="anna@supplier.test", mail_from="bot@example.test",
                          message_id=mid, raw=RAW)  # fmt: skip
    outbox.enqueue(record)
    deliveries = outbox.deliver_due()
    assert [d.record.state for d in deliveries] == [OutboxState.SENT]
    outbox.enqueue(record)
    assert outbox.deliver_due() == []
    assert len(_files(box)) == 1


def test_configuration_choice(tmp_path: pathlib.Path) -> None:
    text = '[outreach]\nfrom_address = "bot@example.test"\n[mail]\noutbound = "maildir"\n'
    with pytest.raises(ConfigError, match="outbound_maildir_path"):
        parse_config(text, base_dir=tmp_path)
    settings = parse_config(text + 'outbound_maildir_path = "out"\n', base_dir=tmp_path)
    sender = outbound_sender(settings)
    assert isinstance(sender, MaildirSender) and sender.path == tmp_path / "out"
    smtp = parse_config('[outreach]\nfrom_address = "bot@example.test"\n[smtp]\nhost = "mail.example.test"\n')
    assert smtp.mail.outbound == "smtp" and isinstance(outbound_sender(smtp), SmtpSender)
