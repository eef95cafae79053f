"""HTTP mode: the real Bolt app behind ``bot.slack_app.HttpRunner`` on loopback, driven by signed requests."""

from __future__ import annotations

import json
import time

import pytest

from bot.slack_app import HttpRunner
from handlers.slack import blocks
from handlers.slack.access import REFUSAL
from store import audit
from store.models import SlackInteraction
from tests.adapters.slack.conftest import (
    MEMBER,
    OUTSIDER,
    SlackRig,
    action_payload,
    command_payload,
    event_payload,
    form,
    interaction,
    post_signed,
    view_payload,
)


def test_runner_binds_the_configured_host_only(slack: SlackRig) -> None:
    runner = HttpRunner(slack.app, "127.0.0.1", 0)
    runner.start()
    try:
        assert runner._server is not None
        assert runner._server.server_address[0] == "127.0.0.1"
    finally:
        runner.stop()


def test_signed_status_command_is_acked_fast_and_answered_after(http: tuple[SlackRig, str]) -> None:
    rig, url = http
    status, _body, seconds = post_signed(url, form(command_payload("status", api=rig.api)))
    assert status == 200
    assert seconds < 3
    reply = rig.api.wait_for("response_url")[0]
    assert reply.args["response_type"] == "ephemeral"
    text = json.dumps(reply.args["blocks"])
    assert "Responded: 3 of 5" in text and "Overdue" in text


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "garbage_signature", "old_timestamp", "future_timestamp", "body_changed"],
)
def test_bad_signature_or_old_timestamp_gets_401_and_nothing_runs(http: tuple[SlackRig, str], tamper: str) -> None:
    rig, url = http
    body = form(command_payload("remind S-001", api=rig.api))
    now = int(time.time())
    kwargs: dict[str, object] = {}
    if tamper == "wrong_secret":
        kwargs["secret"] = "not-the-secret"
    elif tamper == "garbage_signature":
        kwargs["signature"] = "v0=deadbeef"
    elif tamper == "old_timestamp":
        kwargs["timestamp"] = now - 6 * 60
    elif tamper == "future_timestamp":
        kwargs["timestamp"] = now + 6 * 60
    elif tamper == "body_changed":
        from tests.adapters.slack.conftest import sign

        kwargs["signature"] = sign(form(command_payload("status", api=rig.api)), now)
        kwargs["timestamp"] = now
    status, _, _ = post_signed(url, body, **kwargs)  # type: ignore[arg-type]
    assert status == 401
    time.sleep(0.2)
    assert rig.api.calls_to("response_url") == []
    assert rig.outreach.calls == []
    with rig.db.session() as s:
        assert s.query(SlackInteraction).count() == 0


def test_unauthorized_user_is_refused_and_nothing_happens(http: tuple[SlackRig, str]) -> None:
    rig, url = http
    request_id = rig.seeded.requests["S-001"]
    status, _, _ = post_signed(
        url, interaction(action_payload(blocks.A_EXEMPT, str(request_id), user=OUTSIDER, api=rig.api))
    )
    assert status == 200
    reply = rig.api.wait_for("response_url")[0]
    assert reply.args["text"] == REFUSAL
    assert reply.args["response_type"] == "ephemeral"
    assert rig.request_state("S-001").state.value == "sent"
    status, _, _ = post_signed(url, form(command_payload("remind S-001", user=OUTSIDER, api=rig.api, trigger="t9")))
    rig.api.wait_for("response_url", 2)
    time.sleep(0.1)
    assert rig.outreach.calls == []
    with rig.db.session() as s:
        refused = audit.events(s, action="slack_refused")
        assert [e.actor for e in refused] == [OUTSIDER, OUTSIDER]
        assert audit.events(s, action="request.exempt") == []


def test_button_then_retry_of_the_same_interaction_acts_once(http: tuple[SlackRig, str]) -> None:
    rig, url = http
    request_id = rig.seeded.requests["S-002"]
    body = interaction(action_payload(blocks.A_REMIND, str(request_id), api=rig.api))
    assert post_signed(url, body)[0] == 200
    rig.api.wait_for("response_url")
    headers = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert post_signed(url, body, extra_headers=headers)[0] == 200
    assert post_signed(url, body)[0] == 200
    time.sleep(0.3)
    assert [c[0] for c in rig.outreach.calls] == ["reminder"]
    assert rig.outreach.calls[0][2]["actor"] == MEMBER
    assert len(rig.api.calls_to("response_url")) == 1


def test_snooze_select_accept_modal_and_audit_with_user_id(http: tuple[SlackRig, str]) -> None:
    rig, url = http
    request_id = rig.seeded.requests["S-003"]
    snooze = action_payload(blocks.A_SNOOZE, f"{request_id}:7", api=rig.api, selected=True, action_ts="1.5")
    assert post_signed(url, interaction(snooze))[0] == 200
    rig.api.wait_for("response_url")
    accept = action_payload(blocks.A_ACCEPT, str(request_id), api=rig.api, action_ts="1.6")
    assert post_signed(url, interaction(accept))[0] == 200
    opened = rig.api.wait_for("views.open")[0]
    modal = opened.json_arg("view")
    assert modal["callback_id"] == blocks.V_ACCEPT
    submit = view_payload(blocks.V_ACCEPT, request_id, "reason", "Smelter audit scheduled for Q1")
    status, _reply, _ = post_signed(url, interaction(submit))
    assert status == 200
    rig.wait_until(lambda: rig.request_state("S-003").state.value == "accepted")
    request = rig.request_state("S-003")
    assert request.exception_reason == "Smelter audit scheduled for Q1"
    assert request.snoozed_until is not None
    with rig.db.session() as s:
        accepted = audit.events(s, action="request.accepted")
        snoozed = audit.events(s, action="slack_snoozed")
        assert accepted[0].actor == MEMBER and accepted[0].details["reason"] == "Smelter audit scheduled for Q1"
        assert snoozed[0].actor == MEMBER and snoozed[0].details == {"days": 7}
    rig.api.wait_for("chat.postEphemeral")


def test_empty_clarification_is_rejected_in_the_ack(http: tuple[SlackRig, str]) -> None:
    rig, url = http
    request_id = rig.seeded.requests["S-003"]
    status, body, _ = post_signed(url, interaction(view_payload(blocks.V_CLARIFY, request_id, "body", "   ")))
    assert status == 200
    assert json.loads(body)["response_action"] == "errors"
    assert rig.outreach.calls == []


def test_event_retry_header_does_not_publish_twice(http: tuple[SlackRig, str]) -> None:
    rig, url = http
    payload = event_payload({"type": "app_home_opened", "user": MEMBER, "channel": "D1", "tab": "home"})
    body = json.dumps(payload).encode()
    assert post_signed(url, body, content_type="application/json")[0] == 200
    rig.api.wait_for("views.publish")
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert post_signed(url, body, content_type="application/json", extra_headers=retry)[0] == 200
    time.sleep(0.3)
    assert len(rig.api.calls_to("views.publish")) == 1


def test_accept_and_exempt_are_confirmed_and_refused_without_a_reason(http: tuple[SlackRig, str]) -> None:
    """The card's Accept / Mark exempt carry a Block Kit ``confirm``; an empty reason is an error in the modal and
    the request stays as it was; the reason given is audited and shown in the thread."""
    rig, url = http
    request_id = rig.seeded.requests["S-003"]
    rig.notifier.reply_received(request_id, summary="1 workbook")  # posts the card
    card = rig.api.calls_to("chat.postMessage")[0].json_arg("blocks")
    buttons = {e["action_id"]: e for b in card if b["type"] == "actions" for e in b["elements"]}
    assert "confirm" in buttons[blocks.A_ACCEPT] and blocks.A_EXEMPT not in buttons  # reviewed: no exempt here
    status, reply, _ = post_signed(url, interaction(view_payload(blocks.V_ACCEPT, request_id, "reason", "   ")))
    assert status == 200 and json.loads(reply)["response_action"] == "errors"
    assert rig.request_state("S-003").state.value == "responded"
    sent = view_payload(blocks.V_EXEMPT, rig.seeded.requests["S-001"], "reason", "Sold the business in 2025")
    assert post_signed(url, interaction(sent))[0] == 200
    rig.wait_until(lambda: rig.request_state("S-001").state.value == "exempt")
    with rig.db.session() as s:
        (event,) = audit.events(s, action="request.exempt")
        assert event.actor == MEMBER and event.details["reason"] == "Sold the business in 2025"
    rig.wait_until(lambda: any("Sold the business in 2025" in c.args.get("text", "")
                               for c in rig.api.calls_to("chat.postMessage") if "thread_ts" in c.args))  # fmt: skip
