"""``/cmrt`` sub-commands over signed HTTP requests, and the 3-second ack with slow work behind it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from handlers.slack.deps import OutreachResult
from tests.adapters.slack.conftest import (
    CHANNEL,
    OUTSIDER,
    Rig,
    SlackRig,
    command_payload,
    event_payload,
    form,
    post_signed,
)


def _run(rig: SlackRig, url: str, text: str, trigger: str) -> dict[str, Any]:
    assert post_signed(url, form(command_payload(text, api=rig.api, trigger=trigger)))[0] == 200
    calls = [c for c in rig.api.wait_for("response_url") if c.args["_name"] == f"cmd-{trigger}"]
    if not calls:
        rig.wait_until(lambda: any(c.args["_name"] == f"cmd-{trigger}" for c in rig.api.calls_to("response_url")))
        calls = [c for c in rig.api.calls_to("response_url") if c.args["_name"] == f"cmd-{trigger}"]
    return calls[0].args


def test_help_and_unknown_subcommand(http: tuple[SlackRig, str]) -> None:
    rig, url = http
    assert "/cmrt status" in _run(rig, url, "help", "h1")["text"]
    reply = _run(rig, url, "frobnicate <!channel>", "h2")
    assert "Unknown command" in reply["text"] and "<!channel>" not in reply["text"]


def test_status_for_a_year_and_bad_year(http: tuple[SlackRig, str]) -> None:
    rig, url = http
    reply = _run(rig, url, "status 2025", "s1")
    text = json.dumps(reply["blocks"])
    assert "campaign 2025" in text
    assert "Responded: 3 of 5 (60.0 %)." in text  # 3 of 5 returned a workbook
    assert "Overdue" in text and "Acme Metals GmbH" in text  # due date passed, still awaiting
    assert "no campaign for 1990" in _run(rig, url, "status 1990", "s2")["text"]
    assert "not a campaign year" in _run(rig, url, "status soon", "s3")["text"]


def test_supplier_card_escapes_supplier_text(http: tuple[SlackRig, str]) -> None:
    rig, url = http
    reply = _run(rig, url, "supplier S-004", "c1")
    raw = json.dumps(reply)
    for dangerous in ("<!channel>", "<@U999>", "<https://evil.example|click>"):
        assert dangerous not in raw
    assert "&lt;!channel&gt;" in raw
    assert "no supplier" in _run(rig, url, "supplier qqqqqqqq", "c2")["text"].lower()


def test_report_posts_figures_and_chart_to_the_channel(http: tuple[SlackRig, str]) -> None:
    rig, url = http
    reply = _run(rig, url, "report", "r1")
    assert f"<#{CHANNEL}>" in reply["text"]
    posted = rig.api.calls_to("chat.postMessage")[0]
    assert posted.args["channel"] == CHANNEL
    text = json.dumps(posted.json_arg("blocks"))
    assert "For the Conflict Minerals Report:* For reporting year 2025, we conducted" in text
    assert "surveying 5 suppliers" in text and "3 suppliers responded, a response rate of 60.0 %" in text
    assert "Smelters (no RMAP list imported)" in text
    rig.api.wait_for("files.completeUploadExternal")


def test_remind_guard_against_a_second_manual_reminder(http: tuple[SlackRig, str]) -> None:
    rig, url = http
    assert "on its way" in _run(rig, url, "remind S-001", "m1")["text"]
    assert "already reminded" in _run(rig, url, "remind S-001", "m2")["text"]
    assert "nothing to remind" in _run(rig, url, "remind Zeta Components", "m3")["text"]
    assert [c[0] for c in rig.outreach.calls] == ["reminder"]


def test_outsider_sees_a_refusal_on_the_app_home(http: tuple[SlackRig, str]) -> None:
    rig, url = http
    event = {"type": "app_home_opened", "user": OUTSIDER, "channel": "D2", "tab": "home"}
    body = json.dumps(event_payload(event, event_id="EvO")).encode()
    assert post_signed(url, body, content_type="application/json")[0] == 200
    view = rig.api.wait_for("views.publish")[0].json_arg("view")
    assert "not allowed" in json.dumps(view) and "Acme" not in json.dumps(view)


class SlowOutreach:
    def __init__(self) -> None:
        self.release = threading.Event()
        self.done = threading.Event()

    def send_reminder(self, request_id: int, *, actor: str) -> OutreachResult:
        self.release.wait(10)
        self.done.set()
        return OutreachResult(True)

    def send_clarification(self, request_id: int, *, body: str, actor: str) -> OutreachResult:
        return OutreachResult(True)


@pytest.fixture
def slow(rig: Rig) -> Iterator[tuple[SlackRig, str, SlowOutreach]]:
    outreach = SlowOutreach()
    bot = rig(rig.settings(), outreach=outreach)
    try:
        yield bot, bot.url, outreach
    finally:
        outreach.release.set()


def test_ack_comes_back_at_once_while_slow_work_continues(slow: tuple[SlackRig, str, SlowOutreach]) -> None:
    rig, url, outreach = slow
    started = time.monotonic()
    status, _, seconds = post_signed(url, form(command_payload("remind S-001", api=rig.api, trigger="slow1")))
    assert status == 200 and seconds < 1.0
    assert not outreach.done.is_set()  # the e-mail work is still running after the ack
    outreach.release.set()
    reply = rig.api.wait_for("response_url")[0]
    assert "on its way" in reply.args["text"]
    assert time.monotonic() - started < 5


def test_several_matches_offer_up_to_ten_buttons_and_history_is_paged(http: tuple[SlackRig, str]) -> None:
    """``/cmrt supplier Mueller`` with a dozen Muellers: ten buttons; ``/cmrt history`` shows the timeline."""
    import datetime as dt

    from handlers.slack import blocks, history
    from store import audit
    from store.models import Request, Supplier

    rig, url = http
    with rig.db.session() as s:
        for i in range(12):
            supplier = Supplier(external_id=f"M-{i:02d}", name=f"Mueller Metall {i:02d} GmbH")
            s.add(supplier)
            s.flush()
            s.add(Request(campaign_id=rig.seeded.campaign_id, supplier_id=supplier.id, token=f"MUE{i:05d}"))
        request_id = rig.seeded.requests["S-003"]
        for n in range(20):
            audit.record(s, "UMEMBER", "slack_snoozed", "request", request_id, {"days": 3},
                         at=dt.datetime(2026, 11, 1, 9, n, tzinfo=dt.UTC))  # fmt: skip
        audit.record(s, "UOTHER", "request.exempt", "request", request_id, {"reason": "left <!channel>"},
                     at=dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))  # fmt: skip
    reply = _run(rig, url, "supplier Mueller", "m1")
    buttons = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert len(buttons) == 10 and {e["action_id"] for e in buttons} == {blocks.A_PICK}
    picks = _run(rig, url, "history Mueller", "m2")
    assert {e["action_id"] for b in picks["blocks"] if b["type"] == "actions" for e in b["elements"]} == {
        history.A_HISTORY}  # fmt: skip
    page = _run(rig, url, "history S-003", "m3")
    text = json.dumps(page["blocks"])
    assert "now *exempt*: left &lt;!channel&gt;" in text and "<@UOTHER>" in text  # newest first, with who
    assert "review (inbound): high risk" in text and "e-mail in" in text
    assert "Page 1 of 2" in text
    older = next(e for b in page["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert older["text"]["text"] == "Older" and older["value"] == f"{request_id}:1"
