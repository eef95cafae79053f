"""The Slack paths that send e-mail, end to end: Bolt app -> operations -> outbox -> aiosmtpd -> Dovecot.

Slash command ``/cmrt remind`` (HTTP mode, signed) and the *Request clarification* button + modal (Socket Mode)
each put exactly one e-mail into the supplier's mailbox, even when Slack delivers the interaction again.
"""

from __future__ import annotations

import email
import email.policy
import time
from typing import Any

import pytest

from bot.slack_app import SocketModeRunner
from handlers.slack import blocks
from store import audit
from store.models import Contact, Request
from tests.adapters.slack.conftest import (
    MEMBER,
    BotRig,
    Rig,
    action_payload,
    command_payload,
    form,
    post_signed,
    smtp_settings,
    view_payload,
)
from tests.fakes.socket_mode import FakeSocketModeServer

pytestmark = pytest.mark.mailserver


@pytest.fixture
def mailrig(
    mail_harness: Any, rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> tuple[BotRig, Any, str, str]:
    """The bot as production wires it (``MailOutreach`` over the outbox) sending to the harness SMTP."""
    supplier_address, password = mail_harness.new_user("supplier")
    bot = rig(rig.settings(mail={"outbound": "smtp"}, smtp=smtp_settings(mail_harness, monkeypatch)))
    with bot.db.session() as s:
        for ext in ("S-002", "S-004"):
            request = s.get(Request, bot.seeded.requests[ext])
            assert request is not None
            s.add(Contact(supplier_id=request.supplier_id, email=supplier_address, name="Pat Supplier"))
    return bot, mail_harness, supplier_address, password


def _messages(harness: Any, address: str, token: str, expect: int, timeout: float = 5.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        uids = harness.wait_for(address, ["SUBJECT", token], timeout=0.5)
        if len(uids) >= expect or time.monotonic() > deadline:
            break
    client = harness.imap(address)
    try:
        client.select_folder("INBOX", readonly=True)
        fetched = client.fetch(uids, ["RFC822"]) if uids else {}
        return [email.message_from_bytes(v[b"RFC822"], policy=email.policy.default) for v in fetched.values()]
    finally:
        client.logout()


def test_slash_command_remind_sends_one_email_into_the_smtp_server(mailrig: tuple[BotRig, Any, str, str]) -> None:
    rig, harness, address, _ = mailrig
    body = form(command_payload("remind S-002", api=rig.api, trigger="remind-1"))
    assert post_signed(rig.url, body)[0] == 200
    reply = rig.api.wait_for("response_url", timeout=10)[0]
    assert "on its way" in reply.args["text"]
    token = rig.request_state("S-002").token
    messages = _messages(harness, address, token, 1)
    assert len(messages) == 1
    message = messages[0]
    assert message["Auto-Submitted"] == "auto-generated"
    assert "Acme Metal Works" in message.get_body(preferencelist=("plain",)).get_content()
    # Slack retries the same command: no second e-mail
    assert post_signed(rig.url, body, extra_headers={"X-Slack-Retry-Num": "1"})[0] == 200
    time.sleep(0.5)
    assert len(_messages(harness, address, token, 2, timeout=1.0)) == 1
    request = rig.request_state("S-002")
    assert request.state.value == "reminded" and request.reminder_count == 2
    with rig.db.session() as s:
        reminded = audit.events(s, action="request.reminded")
        assert [e.actor for e in reminded] == [MEMBER]
    thread = [c for c in rig.api.calls_to("chat.postMessage") if "thread_ts" in c.args]
    assert any("Reminder 2" in c.args["text"] for c in thread)


def test_clarification_button_and_modal_send_the_edited_text(mailrig: tuple[BotRig, Any, str, str]) -> None:
    rig, harness, address, _ = mailrig
    server = FakeSocketModeServer().start()
    rig.api.socket_mode_url = server.url
    runner = SocketModeRunner(rig.app, "xapp-test")
    request_id = rig.seeded.requests["S-004"]
    try:
        runner.start()
        server.wait_connection()
        click = server.send_envelope(
            "interactive", action_payload(blocks.A_CLARIFY, str(request_id), api=rig.api, action_ts="9.1")
        )
        server.wait_ack(click)
        modal = rig.api.wait_for("views.open")[0].json_arg("view")
        prefilled = modal["blocks"][1]["element"]["initial_value"]
        edited = prefilled.replace("Please reply", "Kindly reply") + "\nMarker-7f3a: please check cell D28."
        submit = server.send_envelope("interactive", view_payload(blocks.V_CLARIFY, request_id, "body", edited))
        assert server.wait_ack(submit) == {"envelope_id": submit}
        token = rig.request_state("S-004").token
        messages = _messages(harness, address, token, 1, timeout=10)
        assert len(messages) == 1
        text = messages[0].get_body(preferencelist=("plain",)).get_content()
        assert "Marker-7f3a: please check cell D28." in text and "Kindly reply" in text
        assert "Declaration D16" in text
        # the same submission delivered again acts once
        again = server.send_envelope(
            "interactive", view_payload(blocks.V_CLARIFY, request_id, "body", edited), retry_attempt=1
        )
        server.wait_ack(again)
        time.sleep(0.5)
        assert len(_messages(harness, address, token, 2, timeout=1.0)) == 1
    finally:
        if runner.handler is not None:
            runner.handler.client.auto_reconnect_enabled = False
        for conn in list(server.connections):
            conn.close()
        runner.stop()
        server.stop()
    assert rig.request_state("S-004").state.value == "clarification_requested"
    rig.wait_until(lambda: bool(rig.api.calls_to("chat.postEphemeral")))
    assert "on its way" in rig.api.calls_to("chat.postEphemeral")[0].args["text"]
