"""Socket Mode: the real Bolt app with the builtin ``SocketModeHandler`` against the fake WebSocket endpoint.

The fake Web API hands out the fake server's ``ws://127.0.0.1`` URL from ``apps.connections.open``; the test
sends envelopes over the socket and checks the acks, then the side effects (after the ack).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from bot.slack_app import SocketModeRunner
from handlers.slack import blocks
from handlers.slack.access import REFUSAL
from tests.adapters.slack.conftest import (
    MEMBER,
    OUTSIDER,
    SlackRig,
    action_payload,
    command_payload,
    event_payload,
    view_payload,
)
from tests.fakes.socket_mode import FakeSocketModeServer


@pytest.fixture
def socket(slack: SlackRig) -> Iterator[tuple[SlackRig, FakeSocketModeServer, SocketModeRunner]]:
    server = FakeSocketModeServer().start()
    slack.api.socket_mode_url = server.url
    runner = SocketModeRunner(slack.app, "xapp-test")
    try:
        runner.start()
        server.wait_connection()
        yield slack, server, runner
    finally:
        # faster shutdown (see the Socket Mode testing note): no reconnect, server closes first
        if runner.handler is not None:
            runner.handler.client.auto_reconnect_enabled = False
            runner.handler.client.default_auto_reconnect_enabled = False
        for conn in list(server.connections):
            conn.close()
        runner.stop()
        server.stop()


def test_connects_with_the_app_token_through_the_fake_api(
    socket: tuple[SlackRig, FakeSocketModeServer, SocketModeRunner],
) -> None:
    rig, server, runner = socket
    opened = rig.api.calls_to("apps.connections.open")
    assert len(opened) == 1
    assert opened[0].headers["authorization"] == "Bearer xapp-test"
    assert runner.connected()
    assert server.handshakes == 1


def test_slash_command_is_acked_then_answered(socket: tuple[SlackRig, FakeSocketModeServer, SocketModeRunner]) -> None:
    rig, server, _ = socket
    started = time.monotonic()
    envelope = server.send_envelope("slash_commands", command_payload("supplier borealis", api=rig.api))
    ack = server.wait_ack(envelope)
    assert time.monotonic() - started < 3
    assert ack == {"envelope_id": envelope}
    reply = rig.api.wait_for("response_url")[0]
    card = json.dumps(reply.args["blocks"])
    assert "Borealis Tantalum" in card
    assert blocks.A_ACCEPT in card and blocks.A_FINDINGS in card and blocks.A_ASSIGN in card  # reviewed, findings


def test_ambiguous_supplier_offers_buttons_and_a_pick_shows_the_card(
    socket: tuple[SlackRig, FakeSocketModeServer, SocketModeRunner],
) -> None:
    rig, server, _ = socket
    server.wait_ack(server.send_envelope("slash_commands", command_payload("supplier acme metal", api=rig.api)))
    reply = rig.api.wait_for("response_url")[0]
    picks = next(b for b in reply.args["blocks"] if b["type"] == "actions")["elements"]
    assert {e["action_id"] for e in picks} == {blocks.A_PICK}
    assert len(picks) == 2
    chosen = picks[0]["value"]
    envelope = server.send_envelope("interactive", action_payload(blocks.A_PICK, chosen, api=rig.api, action_ts="2.1"))
    assert server.wait_ack(envelope) == {"envelope_id": envelope}
    card = rig.api.wait_for("response_url", 2)[1]
    assert card.args["replace_original"] is True
    assert "Acme" in json.dumps(card.args["blocks"])


def test_button_acts_once_even_when_the_envelope_is_delivered_again(
    socket: tuple[SlackRig, FakeSocketModeServer, SocketModeRunner],
) -> None:
    rig, server, _ = socket
    request_id = rig.seeded.requests["S-001"]
    payload = action_payload(blocks.A_ASSIGN, str(request_id), api=rig.api, action_ts="3.1")
    first = server.send_envelope("interactive", payload)
    assert server.wait_ack(first) == {"envelope_id": first}
    rig.wait_until(lambda: rig.request_state("S-001").assignee == MEMBER)
    again = server.send_envelope("interactive", payload, retry_attempt=1, retry_reason="timeout")
    assert server.wait_ack(again) == {"envelope_id": again}
    time.sleep(0.3)
    assert len(rig.api.calls_to("response_url")) == 1
    from store import audit

    with rig.db.session() as s:
        assert len(audit.events(s, action="slack_assigned")) == 1


def test_unauthorized_user_is_refused_over_socket_mode(
    socket: tuple[SlackRig, FakeSocketModeServer, SocketModeRunner],
) -> None:
    rig, server, _ = socket
    request_id = rig.seeded.requests["S-002"]
    envelope = server.send_envelope(
        "interactive", action_payload(blocks.A_REMIND, str(request_id), user=OUTSIDER, api=rig.api, action_ts="4.1")
    )
    server.wait_ack(envelope)
    assert rig.api.wait_for("response_url")[0].args["text"] == REFUSAL
    time.sleep(0.2)
    assert rig.outreach.calls == []


def test_clarification_modal_prefilled_then_edited_text_is_sent(
    socket: tuple[SlackRig, FakeSocketModeServer, SocketModeRunner],
) -> None:
    rig, server, _ = socket
    request_id = rig.seeded.requests["S-004"]
    envelope = server.send_envelope(
        "interactive", action_payload(blocks.A_CLARIFY, str(request_id), api=rig.api, action_ts="5.1")
    )
    server.wait_ack(envelope)
    modal = rig.api.wait_for("views.open")[0].json_arg("view")
    prefilled = modal["blocks"][1]["element"]["initial_value"]
    assert "Declaration D16" in prefilled and "Declaration D28" in prefilled
    edited = prefilled + "\nPlease also confirm the smelter list."
    submit = server.send_envelope("interactive", view_payload(blocks.V_CLARIFY, request_id, "body", edited))
    assert server.wait_ack(submit) == {"envelope_id": submit}
    rig.wait_until(lambda: bool(rig.outreach.calls))
    kind, rid, details = rig.outreach.calls[0]
    assert (kind, rid, details["actor"], details["body"]) == ("clarification", request_id, MEMBER, edited.strip())


def test_app_home_is_published_and_cached(socket: tuple[SlackRig, FakeSocketModeServer, SocketModeRunner]) -> None:
    rig, server, _ = socket
    event = {"type": "app_home_opened", "user": MEMBER, "channel": "D1", "tab": "home"}
    server.wait_ack(server.send_envelope("events_api", event_payload(event, event_id="EvA")))
    published = rig.api.wait_for("views.publish")[0]
    view = published.json_arg("view")
    text = json.dumps(view)
    assert published.args["user_id"] == MEMBER
    assert "Responded: 3 of 5" in text and "*Overdue* (2)" in text and "*Needs a decision* (2)" in text
    assert "*Questions waiting:* none" in text and "*Bounced:* none" in text and "Assigned to you" in text
    items = [b for b in view["blocks"] if b.get("accessory")]
    assert {b["accessory"]["action_id"] for b in items} >= {"cmrt_accept", "cmrt_remind"}  # each its main button
    server.wait_ack(server.send_envelope("events_api", event_payload(event, event_id="EvB")))
    time.sleep(0.3)
    assert len(rig.api.calls_to("views.publish")) == 1  # identical view within the cache window


def test_reconnects_after_a_disconnect_and_keeps_acking(
    socket: tuple[SlackRig, FakeSocketModeServer, SocketModeRunner],
) -> None:
    rig, server, runner = socket
    server.send_disconnect()
    server.wait_connection(timeout=10)  # the client asks apps.connections.open again and opens a new socket
    assert len(rig.api.calls_to("apps.connections.open")) == 2
    envelope = server.send_envelope("slash_commands", command_payload("help", api=rig.api, trigger="after"))
    assert server.wait_ack(envelope, timeout=5) == {"envelope_id": envelope}
    assert runner.connected()
