"""Acceptance (issue 17), on the real harness: a German supplier gets a German/English request and replies with a
question in German; no reminder or escalation goes out while the team has not answered; the team answers from Slack
and the answer arrives in the question's mail thread, framed in German, with the team's words as typed."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from typing import Any

import pytest

from bot.slack_app import HttpRunner
from cmrt.outreach import OutreachConfig
from handlers.inbound import InboundProcessor
from handlers.slack import blocks
from handlers.ticks import Ticker
from store import suppliers
from store.models import Contact, OutboxItem, Request
from tests.adapters.slack.conftest import NOW, SlackRig, action_payload, interaction, post_signed, view_payload
from tests.adapters.slack.test_email_end_to_end import _messages, mailrig  # noqa: F401  (the fixture)

pytestmark = pytest.mark.mailserver

QUESTION_ID = "<frage-1@mueller.test>"


def _kinds(rig: SlackRig, kind: str) -> int:
    with rig.db.session() as s:
        return sum(1 for o in s.query(OutboxItem).all() if o.kind.value == kind)


def _plain(mail: Any) -> str:
    return str(mail.get_body(preferencelist=("plain",)).get_content()).replace("\r\n", "\n")


def test_a_german_supplier_asks_and_the_team_answers_in_the_thread(
    mailrig: tuple[SlackRig, Any, str, str],  # noqa: F811
) -> None:
    rig, harness, address, _ = mailrig
    request_id = rig.seeded.requests["S-002"]
    other = rig.request_state("S-004").supplier_id
    with rig.db.session() as s:
        request = s.get(Request, request_id)
        assert request is not None
        supplier_id = request.supplier_id
        s.query(Contact).filter(Contact.supplier_id == other).delete()
        s.query(Contact).filter(Contact.supplier_id == supplier_id, Contact.email != address).delete()
        supplier = suppliers.get(s, supplier_id)
        assert supplier is not None
        suppliers.set_language(supplier, "de")
    token = rig.request_state("S-002").token

    # the request: German first, the English text below, the subject in both
    assert rig.mail.send_request(request_id, key=f"c0:r{request_id}:request-de").accepted  # type: ignore[attr-defined]
    (request_mail,) = _messages(harness, address, token, 1, timeout=30)
    assert "Anfrage zu Ihrem CMRT" in str(request_mail["Subject"]) and " / " in str(request_mail["Subject"])
    german, english = _plain(request_mail).split("-------- English --------")
    assert german.lstrip().startswith("Guten Tag Pat Supplier,") and "Bitte füllen Sie das" in german
    assert "Dear Pat Supplier," in english and "Please complete the" in english

    # a question in German: the request waits for the team
    question = EmailMessage()
    question["From"], question["To"] = address, "bot@example.test"
    question["Subject"], question["Message-ID"] = f"AW: {request_mail['Subject']}", QUESTION_ID
    question["In-Reply-To"] = question["References"] = str(request_mail["Message-ID"])
    question.set_content("Guten Tag,\n\nfür welche Produkte gilt die Anfrage?\n\nMit freundlichen Grüßen\nPat\n")
    inbound = InboundProcessor(rig.db, notifier=rig.notifier, clock=lambda: NOW)
    assert inbound.process(question.as_bytes()).request_id == request_id
    assert rig.request_state("S-002").state.value == "awaiting_team"

    # weeks go by: no reminder, no escalation
    ticker = Ticker(rig.db, rig.mail, OutreachConfig(), notifier=rig.notifier,  # type: ignore[attr-defined]
                    clock=lambda: NOW + dt.timedelta(days=60))  # fmt: skip
    assert ticker.tick().held >= 1
    assert _kinds(rig, "reminder") == 0 and rig.request_state("S-002").escalated_at is None

    # the team answers from Slack: in the same mail thread, German framing, the team's words as typed
    runner = HttpRunner(rig.app, "127.0.0.1", 0)
    runner.start()
    try:
        click = action_payload(blocks.A_REPLY, str(request_id), api=rig.api, action_ts="8.1")
        assert post_signed(runner.url, interaction(click))[0] == 200
        modal = rig.api.wait_for("views.open")[0].json_arg("view")
        typed = next(b for b in modal["blocks"] if b.get("block_id") == "body")["element"]["initial_value"]
        words = typed + "It concerns every product you deliver to us.\n\nJane, Example Corp"
        assert post_signed(runner.url, interaction(view_payload(blocks.V_REPLY, request_id, "body", words)))[0] == 200
        mails = _messages(harness, address, token, 2, timeout=30)
    finally:
        runner.stop()
    (answer,) = [m for m in mails if m["In-Reply-To"] == QUESTION_ID]
    assert str(request_mail["Message-ID"]) in answer["References"]
    german, english = _plain(answer).split("-------- English --------")
    assert german.lstrip().startswith("Guten Tag Pat Supplier,")
    assert "Vielen Dank für Ihre Frage. Unsere Antwort finden Sie unten auf Englisch." in german
    assert "It concerns every product you deliver to us." in english and english.count("Dear") == 1
    assert _kinds(rig, "reminder") == 0
