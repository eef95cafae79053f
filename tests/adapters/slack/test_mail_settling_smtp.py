"""The e-mails that really go out when the team settles mail from Slack: Bolt app -> mailroom -> outbox -> SMTP
(aiosmtpd relay) -> Dovecot.

``/cmrt assign`` of an unmatched reply sends the acknowledgment to its sender exactly once (Slack retries and a
second command change nothing); *Send again* on an uncertain e-mail puts it back in the outbox and the outbox
loop delivers it once.
"""

from __future__ import annotations

import threading
import time
import uuid
from email.message import EmailMessage
from typing import Any

import pytest

from cmrt.workbook.factory import build_cmrt
from handlers.inbound import InboundProcessor
from handlers.outreach_mail import run_outbox
from handlers.slack import mail_blocks
from mail.outbox import Outbox, OutboxRecord
from store.models import Contact, Message, Request
from store.states import OutboxState
from tests.adapters.slack.conftest import (
    BOT,
    Rig,
    SlackRig,
    action_payload,
    command_payload,
    form,
    interaction,
    smtp_settings,
)
from tests.adapters.slack.conftest import post_signed as post

pytestmark = pytest.mark.mailserver


@pytest.fixture
def smtprig(
    mail_harness: Any, rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> tuple[SlackRig, str, Any, Outbox, InboundProcessor]:
    bot = rig(rig.settings(mail={"outbound": "smtp"}, smtp=smtp_settings(mail_harness, monkeypatch)))
    return bot, bot.url, mail_harness, bot.mail_parts.outbox, bot.mail_parts.inbound


def _count(harness: Any, address: str, expect: int, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        found = len(harness.wait_for(address, ["ALL"], timeout=0.5))
        if found >= expect or time.monotonic() > deadline:
            return found


def test_assign_sends_one_acknowledgment_and_resend_delivers_once(
    smtprig: tuple[SlackRig, str, Any, Outbox, InboundProcessor],
) -> None:
    rig, url, harness, outbox, processor = smtprig
    stranger, _ = harness.new_user("pat", domain=f"stranger{uuid.uuid4().hex[:6]}.test")
    contact, _ = harness.new_user("anna", domain=f"acme{uuid.uuid4().hex[:6]}.test")
    with rig.db.session() as s:  # the supplier's known contact: the only one an acknowledgment may go to
        request = s.get(Request, rig.seeded.requests["S-001"])
        assert request is not None
        s.add(Contact(supplier_id=request.supplier_id, email=contact))
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = stranger, BOT, "Our declaration"
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@stranger.test>"
    msg.set_content("Attached.")
    workbook = build_cmrt(company_name="Nobody Known Unrelated Ltd")
    msg.add_attachment(workbook, maintype="application", subtype="octet-stream", filename="cmrt.xlsx")
    outcome = processor.process(msg.as_bytes())
    assert outcome.request_id is None
    with rig.db.session() as s:
        ref = s.query(Message.id).filter(Message.message_id == outcome.message_id).scalar()
    assert _count(harness, stranger, 1, timeout=0.5) == 0  # nobody acknowledges an unmatched e-mail
    body = form(command_payload(f"assign {ref} S-001", api=rig.api, trigger="smtp-1"))
    assert post(url, body)[0] == 200
    rig.wait_until(lambda: bool(rig.api.calls_to("response_url")))
    assert "assigned to Acme Metals GmbH" in rig.api.calls_to("response_url")[0].args["text"]
    assert _count(harness, contact, 1) == 1  # acknowledged to the supplier's contact, never to the stranger
    assert post(url, body, extra_headers={"X-Slack-Retry-Num": "1"})[0] == 200
    assert post(url, form(command_payload(f"assign {ref} S-001", api=rig.api, trigger="smtp-2")))[0] == 200
    rig.wait_until(lambda: len(rig.api.calls_to("response_url")) >= 2)
    time.sleep(0.3)
    assert _count(harness, contact, 2, timeout=1.0) == 1  # still one acknowledgment
    assert _count(harness, stranger, 1, timeout=0.2) == 0

    # an e-mail left uncertain by a crash, sent again from Slack: delivered once by the outbox loop
    key = f"request-{rig.seeded.requests['S-001']}:reminder-9"
    raw = f"From: {BOT}\r\nTo: {stranger}\r\nSubject: Reminder\r\nMessage-ID: <{key}@example.test>\r\n\r\nHi\r\n"
    outbox.repo.add(OutboxRecord(key, "reminder", stranger, BOT, f"<{key}@example.test>", raw.encode()))
    assert outbox.repo.transition(key, [OutboxState.PENDING], OutboxState.SENDING)
    stop = threading.Event()
    stop.set()
    run_outbox(outbox, stop, notifier=rig.notifier)  # recover(): uncertain, the team is asked
    click = action_payload(mail_blocks.A_OUTBOX_RESEND, key, api=rig.api, action_ts="9.1")
    assert post(url, interaction(click))[0] == 200
    rig.wait_until(lambda: any(c.args.get("_name") == "act-9.1" for c in rig.api.calls_to("response_url")))
    outbox.deliver_due()
    outbox.deliver_due()
    assert _count(harness, stranger, 1) == 1
    record = outbox.repo.get(key)
    assert record is not None and record.state is OutboxState.SENT
