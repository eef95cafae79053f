"""A supplier's question, end to end: inbound e-mail -> the thread shows it -> *Reply* e-mails the answer in the
same mail thread (real harness SMTP) -> no reminder goes out meanwhile -> *Resume reminders* chases again."""

from __future__ import annotations

import datetime as dt
import json
from email.message import EmailMessage
from typing import Any

import pytest

from bot.slack_app import HttpRunner
from cmrt.outreach import OutreachConfig
from handlers.inbound import InboundProcessor
from handlers.slack import blocks
from handlers.ticks import Ticker
from store import audit
from store.models import Contact, OutboxItem
from tests.adapters.slack.conftest import NOW, BotRig, SlackRig, action_payload, interaction, post_signed, view_payload
from tests.adapters.slack.test_email_end_to_end import _messages, mailrig  # noqa: F401  (the fixture)

pytestmark = pytest.mark.mailserver

QUESTION_ID = "<q-1@acme-works.test>"


def _question(address: str, token: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = address, "bot@example.test"
    msg["Subject"], msg["Message-ID"] = f"Re: Conflict minerals [CMRT-{token}]", QUESTION_ID
    msg["In-Reply-To"], msg["References"] = "<first@example.test>", "<first@example.test>"
    msg.set_content(
        "Hello,\n\nDo you need one template per product line? Our site <!channel> & <@U999> makes three.\n\n"
        "Best regards,\nPat Supplier\nAcme Metal Works | +49 1234 5678\n\n"
        "On Mon, 5 Jan 2026, Compliance <bot@example.test> wrote:\n> Please send your CMRT by March.\n"
    )
    return msg.as_bytes()


def _reminders(rig: SlackRig) -> int:
    with rig.db.session() as s:
        return sum(1 for o in s.query(OutboxItem).all() if o.kind.value == "reminder")


def test_a_question_shows_in_the_thread_reply_answers_in_the_mail_thread_and_nothing_chases_meanwhile(
    mailrig: tuple[BotRig, Any, str, str],  # noqa: F811
) -> None:
    rig, harness, address, _ = mailrig
    request_id = rig.seeded.requests["S-002"]
    token = rig.request_state("S-002").token
    with rig.db.session() as s:  # the address is S-002's alone here (the fixture gives it to S-004 too)
        s.query(Contact).filter(Contact.supplier_id == rig.request_state("S-004").supplier_id).delete()
    inbound = InboundProcessor(rig.db, notifier=rig.notifier, clock=lambda: NOW)
    assert inbound.process(_question(address, token)).request_id == request_id
    assert rig.request_state("S-002").state.value == "awaiting_team"

    # the question's own words, escaped, in the supplier's thread, with Reply and Resume reminders
    thread = [c for c in rig.api.calls_to("chat.postMessage") if "thread_ts" in c.args]
    (posted,) = [c for c in thread if "asked a question" in c.args["text"]]
    text = posted.args["text"]
    assert "Do you need one template per product line?" in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text and "&amp;" in text
    assert "Pat Supplier" not in text and "Please send your CMRT" not in text  # signature and quote stripped
    ids = [e["action_id"] for b in posted.json_arg("blocks") if b["type"] == "actions" for e in b["elements"]]
    assert ids == [blocks.A_REPLY, blocks.A_RESUME]

    # weeks go by: the scheduler holds the reminders (and says why), nothing goes to the supplier
    ticker = Ticker(rig.db, rig.mail, OutreachConfig(), notifier=rig.notifier,
                    clock=lambda: NOW + dt.timedelta(days=40))  # fmt: skip
    report = ticker.tick()
    assert report.held >= 1 and _reminders(rig) == 0

    runner = HttpRunner(rig.app, "127.0.0.1", 0)
    runner.start()
    try:
        click = action_payload(blocks.A_REPLY, str(request_id), api=rig.api, action_ts="7.1")
        assert post_signed(runner.url, interaction(click))[0] == 200
        modal = rig.api.wait_for("views.open")[0].json_arg("view")
        assert modal["callback_id"] == blocks.V_REPLY
        assert "Do you need one template per product line?" in json.dumps(modal)
        typed = next(b for b in modal["blocks"] if b.get("block_id") == "body")["element"]["initial_value"]
        assert typed.startswith("Dear Pat Supplier,")
        answer = typed + "One template for the whole company is fine (scope A).\n\nJane, Example Corp"
        submit = view_payload(blocks.V_REPLY, request_id, "body", answer)
        assert post_signed(runner.url, interaction(submit))[0] == 200
        mails = _messages(harness, address, token, 1, timeout=10)
        assert len(mails) == 1
        mail = mails[0]
        assert mail["In-Reply-To"] == QUESTION_ID
        assert QUESTION_ID in mail["References"] and "<first@example.test>" in mail["References"]
        assert mail["Subject"].startswith("Re: Conflict minerals") and "Re: Re:" not in mail["Subject"]
        body = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        assert body.startswith("Dear Pat Supplier,\n\nOne template for the whole company is fine (scope A).")
        assert body.count("Dear") == 1
        assert rig.request_state("S-002").state.value == "awaiting_team"  # the team did not say "resume"
        assert ticker.tick().held >= 1 and _reminders(rig) == 0

        resume = action_payload(blocks.A_RESUME, str(request_id), api=rig.api, action_ts="7.2")
        assert post_signed(runner.url, interaction(resume))[0] == 200
        rig.wait_until(lambda: rig.request_state("S-002").state.value == "reminded")
    finally:
        runner.stop()
    ticker.tick()
    assert _reminders(rig) == 1  # chasing again, where it stopped (reminder 2)
    with rig.db.session() as s:
        assert [e.actor for e in audit.events(s, action="mail.answer_sent")] == ["UMEMBER"]
        resumed = [e for e in audit.events(s, action="request.reminded") if "answered" in e.details]
        assert [(e.actor, e.details["from"], e.details["answered"]) for e in resumed] == [
            ("UMEMBER", "awaiting_team", False)]  # fmt: skip
