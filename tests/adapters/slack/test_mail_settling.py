"""Settling mail problems from Slack, through the real Bolt app (HTTP mode, signed requests) on SQLite.

An unmatched inbound e-mail (processed by the real ``InboundProcessor``) is announced with its reference and an
*Assign to supplier* button; the button's modal and ``/cmrt assign`` both review the workbook and move the request
once, however often Slack retries. An outbox e-mail left *uncertain* gets *Send again* / *Count as sent*.
The bot is built by the production wiring (the ``rig`` fixture) with ``[mail] outbound = "maildir"``: e-mails are
written as .eml files, no SMTP server is needed here (``test_mail_settling_smtp`` covers the e-mail that really
goes out).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa

from cmrt.workbook.factory import build_cmrt
from handlers.inbound import InboundProcessor
from handlers.outreach_mail import run_outbox
from handlers.slack import mail_blocks
from mail.outbox import Outbox, OutboxRecord
from store import audit, runtime
from store.models import Message, OutboxItem, Review
from store.states import OutboxState
from tests.adapters.slack.conftest import (
    BOT,
    CHANNEL,
    MEMBER,
    OUTSIDER,
    Rig,
    SlackRig,
    action_payload,
    command_payload,
    form,
    interaction,
    post_signed,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class MailRig:
    rig: SlackRig
    url: str
    processor: InboundProcessor
    outbox: Outbox


def unmatched_email(n: int = 1) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Pat Stranger <pat@stranger.test>"
    msg["To"] = BOT
    msg["Subject"] = f"Our declaration {n} <!channel>"
    msg["Message-ID"] = f"<decl-{n}@stranger.test>"
    msg.set_content("Please find our CMRT attached.")
    msg.add_attachment(
        build_cmrt(company_name="Nobody Known Unrelated Ltd"), maintype="application",
        subtype=XLSX.split("/")[1], filename="cmrt.xlsx",
    )  # fmt: skip
    return msg.as_bytes()


@pytest.fixture
def mailrig(rig: Rig) -> MailRig:
    bot = rig(rig.settings())
    return MailRig(bot, bot.url, bot.mail_parts.inbound, bot.mail_parts.outbox)


def _receive(m: MailRig, n: int = 1) -> int:
    outcome = m.processor.process(unmatched_email(n))
    assert outcome.request_id is None
    with m.rig.db.session() as s:
        row = s.scalars(sa.select(Message).where(Message.message_id == outcome.message_id)).one()
        return row.id


def _reply(m: MailRig, name: str) -> dict[str, Any]:
    m.rig.wait_until(lambda: any(c.args.get("_name") == name for c in m.rig.api.calls_to("response_url")))
    return next(c.args for c in m.rig.api.calls_to("response_url") if c.args.get("_name") == name)


def _command(m: MailRig, text: str, trigger: str, *, user: str = MEMBER, retry: bool = False) -> dict[str, Any]:
    headers = {"X-Slack-Retry-Num": "1"} if retry else None
    body = form(command_payload(text, api=m.rig.api, trigger=trigger, user=user))
    assert post_signed(m.url, body, extra_headers=headers)[0] == 200
    return _reply(m, f"cmd-{trigger}")


def _assign_view(ref: int, supplier: str, *, view_hash: str = "h1", user: str = MEMBER) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "fake"},
        "user": {"id": user, "username": "someone", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "x",
        "trigger_id": "view-trigger",
        "view": {
            "id": f"V-assign-{ref}",
            "hash": view_hash,
            "type": "modal",
            "callback_id": mail_blocks.V_MAIL_ASSIGN,
            "private_metadata": json.dumps({"ref": ref, "channel": CHANNEL}),
            "state": {"values": {"supplier": {"text": {"type": "plain_text_input", "value": supplier}}}},
        },
    }


def _assigned(m: MailRig, ext: str) -> tuple[int, int, int, int]:
    """(reviews, acknowledgments in the outbox, 'mail.assigned' audits, moves to responded) for supplier ``ext``.
    The seeded suppliers have no contacts, and the e-mail came from a stranger: nobody is acknowledged (issue 11)."""
    rid = m.rig.seeded.requests[ext]
    with m.rig.db.session() as s:
        reviews = s.scalar(sa.select(sa.func.count()).select_from(Review).where(Review.request_id == rid)) or 0
        acks = (
            s.scalar(
                sa.select(sa.func.count())
                .select_from(OutboxItem)
                .where(OutboxItem.request_id == rid, OutboxItem.idempotency_key.like("ack:%"))
            )
            or 0
        )
        assigned = len(audit.events(s, action="mail.assigned"))
        responded = audit.events(s, action="request.responded", subject_type="request", subject_id=rid)
    return reviews, acks, assigned, len(responded)


def _alert_settled(m: MailRig, ref: int, supplier: str) -> None:
    """The alert lost its button and says who assigned the e-mail to whom."""
    with m.rig.db.session() as s:
        where = runtime.get_value(s, mail_blocks.alert_key(ref))
    assert where is not None and where["channel"] == CHANNEL
    api = m.rig.api
    m.rig.wait_until(lambda: any(c.args.get("ts") == where["ts"] for c in api.calls_to("chat.update")))
    (update,) = [c for c in api.calls_to("chat.update") if c.args.get("ts") == where["ts"]]
    assert supplier in update.args["text"] and "<@UMEMBER>" in json.dumps(update.json_arg("blocks"))
    assert mail_blocks.A_MAIL_ASSIGN not in json.dumps(update.json_arg("blocks"))


def test_the_alert_shows_the_reference_and_the_button(mailrig: MailRig) -> None:
    ref = _receive(mailrig)
    post = mailrig.rig.api.wait_for("chat.postMessage")[-1]
    blocks = post.json_arg("blocks")
    text = json.dumps(blocks)
    assert f"#{ref}" in text and f"/cmrt assign {ref} SUPPLIER" in text
    assert "<!channel>" not in text  # the supplier's subject is escaped
    (button,) = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == mail_blocks.A_MAIL_ASSIGN and button["value"] == str(ref)
    assert button["text"]["text"] == "Assign to supplier"


def test_button_and_modal_assign_once_even_when_slack_retries(mailrig: MailRig) -> None:
    m, api = mailrig, mailrig.rig.api
    ref = _receive(m)
    before = m.rig.request_state("S-001")
    assert before.state.value == "sent"
    assert post_signed(m.url, interaction(action_payload(mail_blocks.A_MAIL_ASSIGN, str(ref), api=api)))[0] == 200
    opened = api.wait_for("views.open")[0].json_arg("view")
    assert opened["callback_id"] == mail_blocks.V_MAIL_ASSIGN and json.loads(opened["private_metadata"])["ref"] == ref
    assert "stranger.test" in json.dumps(opened) and "pat@" not in json.dumps(opened)  # the domain, not the address
    # an ambiguous name is an error in the modal; nothing happens
    status, body, _ = post_signed(m.url, interaction(_assign_view(ref, "Acme Metal", view_hash="h0")))
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and "Several suppliers match" in answer["errors"]["supplier"]
    assert _assigned(m, "S-001") == (0, 0, 0, 0)
    # a clear supplier id: reviewed, acknowledged, moved
    payload = interaction(_assign_view(ref, "S-001"))
    status, body, _ = post_signed(m.url, payload)
    assert status == 200 and not body
    told = api.wait_for("chat.postEphemeral")[0]
    assert "assigned to Acme Metals GmbH" in told.args["text"] and told.args["user"] == MEMBER
    _alert_settled(m, ref, "Acme Metals GmbH")
    after = m.rig.request_state("S-001")
    assert after.state.value != "sent" and after.responded_at is not None
    assert _assigned(m, "S-001") == (1, 0, 1, 1)
    # Slack delivers the same submission again: nothing more
    assert post_signed(m.url, payload, extra_headers={"X-Slack-Retry-Num": "1"})[0] == 200
    # someone presses the button of the old alert again: told it is done, no modal
    again = action_payload(mail_blocks.A_MAIL_ASSIGN, str(ref), api=api, action_ts="1700000200.000001")
    assert post_signed(m.url, interaction(again))[0] == 200
    assert "already assigned" in _reply(m, "act-1700000200.000001")["text"]
    assert len(api.calls_to("views.open")) == 1
    assert _assigned(m, "S-001") == (1, 0, 1, 1)
    with m.rig.db.session() as s:
        (event,) = audit.events(s, action="mail.assigned")
        assert event.actor == MEMBER and event.subject_id == str(ref)
    thread = [c for c in api.calls_to("chat.postMessage") if "thread_ts" in c.args]
    assert any("Review" in c.args["text"] for c in thread)  # the request's thread shows the review


def test_slash_command_assigns_once(mailrig: MailRig) -> None:
    m = mailrig
    ref = _receive(m)
    assert "Several suppliers match" in _command(m, f"assign {ref} Acme", "a0")["text"]
    assert "not an e-mail reference" in _command(m, "assign xyz S-002", "a1")["text"]
    assert "Usage" in _command(m, f"assign {ref}", "a2")["text"]
    reply = _command(m, f"assign #{ref} S-002", "a3")
    assert "assigned to Acme Metal Works" in reply["text"]
    assert _assigned(m, "S-002") == (1, 0, 1, 1)
    _alert_settled(m, ref, "Acme Metal Works")
    m.rig.api.clear()
    assert post_signed(
        m.url, form(command_payload(f"assign #{ref} S-002", api=m.rig.api, trigger="a3")),
        extra_headers={"X-Slack-Retry-Num": "1"},
    )[0] == 200  # fmt: skip
    assert "already assigned to Acme Metal Works" in _command(m, f"assign {ref} S-001", "a4")["text"]
    assert _assigned(m, "S-002") == (1, 0, 1, 1) and _assigned(m, "S-001")[0] == 0
    assert "/cmrt assign REF SUPPLIER" in _command(m, "help", "a5")["text"]


def test_an_outsider_is_refused(mailrig: MailRig) -> None:
    m, api = mailrig, mailrig.rig.api
    ref = _receive(m)
    assert "not allowed" in _command(m, f"assign {ref} S-001", "o1", user=OUTSIDER)["text"]
    click = action_payload(mail_blocks.A_MAIL_ASSIGN, str(ref), api=api, user=OUTSIDER)
    assert post_signed(m.url, interaction(click))[0] == 200
    assert "not allowed" in _reply(m, "act-1700000100.000001")["text"]
    assert post_signed(m.url, interaction(_assign_view(ref, "S-001", user=OUTSIDER)))[0] == 200
    m.rig.wait_until(lambda: bool(api.calls_to("chat.postEphemeral")))
    assert "not allowed" in api.calls_to("chat.postEphemeral")[0].args["text"]
    assert api.calls_to("views.open") == []
    assert _assigned(m, "S-001") == (0, 0, 0, 0)
    with m.rig.db.session() as s:
        assert {e.actor for e in audit.events(s, action="slack_refused")} == {OUTSIDER}


def _uncertain(m: MailRig, key: str, request_id: int | None) -> None:
    repo = m.outbox.repo
    repo.add(OutboxRecord(key, "reminder", "pat@stranger.test", BOT, f"<{key}@example.test>", b"raw", request_id))
    assert repo.transition(key, [OutboxState.PENDING], OutboxState.SENDING)


def test_uncertain_delivery_send_again_and_count_as_sent(mailrig: MailRig) -> None:
    m, api = mailrig, mailrig.rig.api
    rid = m.rig.seeded.requests["S-002"]
    _uncertain(m, "request-2:reminder-2", rid)
    _uncertain(m, "request-2:reminder-3", None)
    stop = threading.Event()
    stop.set()
    run_outbox(m.outbox, stop, notifier=m.rig.notifier)  # recover(): both uncertain, the team alerted
    posts = [c for c in api.calls_to("chat.postMessage") if "Send again" in json.dumps(c.json_arg("blocks") or [])]
    assert len(posts) == 2
    assert any("thread_ts" in c.args for c in posts)  # the one with a request is in the request's thread
    values = {e["action_id"]: e["value"] for c in posts[:1] for b in c.json_arg("blocks") if b["type"] == "actions"
              for e in b["elements"]}  # fmt: skip
    assert set(values) == {mail_blocks.A_OUTBOX_RESEND, mail_blocks.A_OUTBOX_SENT}
    resend = action_payload(mail_blocks.A_OUTBOX_RESEND, "request-2:reminder-2", api=api, action_ts="1.1")
    assert post_signed(m.url, interaction(resend))[0] == 200
    assert "sent again by <@UMEMBER>" in _reply(m, "act-1.1")["text"]
    assert post_signed(m.url, interaction(resend), extra_headers={"X-Slack-Retry-Num": "1"})[0] == 200
    record = m.outbox.repo.get("request-2:reminder-2")
    assert record is not None and record.state is OutboxState.PENDING
    counted = action_payload(mail_blocks.A_OUTBOX_SENT, "request-2:reminder-3", api=api, action_ts="1.2")
    assert post_signed(m.url, interaction(counted))[0] == 200
    assert "counted as sent" in _reply(m, "act-1.2")["text"]
    record = m.outbox.repo.get("request-2:reminder-3")
    assert record is not None and record.state is OutboxState.SENT
    # a later click on a settled e-mail changes nothing
    late = action_payload(mail_blocks.A_OUTBOX_SENT, "request-2:reminder-2", api=api, action_ts="1.3")
    assert post_signed(m.url, interaction(late))[0] == 200
    assert "no longer waiting" in _reply(m, "act-1.3")["text"]
    record = m.outbox.repo.get("request-2:reminder-2")
    assert record is not None and record.state is OutboxState.PENDING
    with m.rig.db.session() as s:
        events = audit.events(s, action="mail.released")
        assert [(e.actor, e.subject_id, e.details["resend"]) for e in events] == [
            (MEMBER, "request-2:reminder-2", True),
            (MEMBER, "request-2:reminder-3", False),
        ]
    # an outsider cannot settle anything
    _uncertain(m, "request-2:reminder-4", rid)
    m.outbox.recover()
    key = "request-2:reminder-4"
    outsider = action_payload(mail_blocks.A_OUTBOX_SENT, key, api=api, action_ts="1.4", user=OUTSIDER)
    assert post_signed(m.url, interaction(outsider))[0] == 200
    assert "not allowed" in _reply(m, "act-1.4")["text"]
    record = m.outbox.repo.get("request-2:reminder-4")
    assert record is not None and record.state is OutboxState.UNCERTAIN


def test_a_quarantined_email_is_retried_from_its_alert(mailrig: MailRig) -> None:
    """Issue 11: the quarantine alert carries *Retry*; a click handles the stored e-mail again, once."""
    m, api = mailrig, mailrig.rig.api
    ref = _receive(m, 7)
    with m.rig.db.session() as s:
        row = s.get(Message, ref)
        assert row is not None
        row.state, row.error = "quarantined", "OperationalError: the server closed the connection"
    m.rig.notifier.quarantined_mail(ref, reason="OperationalError")
    (post,) = [
        c
        for c in api.calls_to("chat.postMessage")
        if mail_blocks.A_MAIL_RETRY in json.dumps(c.json_arg("blocks") or [])
    ]
    assert f"#{ref}" in post.args["text"]
    click = action_payload(mail_blocks.A_MAIL_RETRY, str(ref), api=api, action_ts="7.1")
    assert post_signed(m.url, interaction(click))[0] == 200
    assert "handled again" in _reply(m, "act-7.1")["text"]
    again = action_payload(mail_blocks.A_MAIL_RETRY, str(ref), api=api, action_ts="7.2")
    assert post_signed(m.url, interaction(again))[0] == 200
    assert "only a quarantined e-mail" in _reply(m, "act-7.2")["text"]
    with m.rig.db.session() as s:
        row = s.get(Message, ref)
        assert row is not None and row.state == "processed"
        assert [e.actor for e in audit.events(s, action="mail.retried")] == [MEMBER]


def test_a_new_sender_is_added_as_contact_with_one_click(mailrig: MailRig) -> None:
    m, api = mailrig, mailrig.rig.api
    rid = m.rig.seeded.requests["S-001"]
    with m.rig.db.session() as s:
        from store.models import Request

        request = s.get(Request, rid)
        assert request is not None
        supplier_id = request.supplier_id
    m.rig.notifier.new_sender(rid, supplier_id=supplier_id, address="colleague@acme.test", verified=True)
    m.rig.wait_until(lambda: mail_blocks.A_CONTACT_ADD in json.dumps([c.args for c in api.calls]))
    click = action_payload(mail_blocks.A_CONTACT_ADD, f"{supplier_id}|colleague@acme.test", api=api, action_ts="8.1")
    assert post_signed(m.url, interaction(click))[0] == 200
    assert "is now a contact" in _reply(m, "act-8.1")["text"]
    with m.rig.db.session() as s:
        from store.models import Contact

        emails = list(s.scalars(sa.select(Contact.email).where(Contact.supplier_id == supplier_id)))
        assert emails == ["colleague@acme.test"]
        assert len(audit.events(s, action="supplier.contacts")) == 1
    twice = action_payload(mail_blocks.A_CONTACT_ADD, f"{supplier_id}|colleague@acme.test", api=api, action_ts="8.2")
    assert post_signed(m.url, interaction(twice))[0] == 200
    assert "already a contact" in _reply(m, "act-8.2")["text"]
