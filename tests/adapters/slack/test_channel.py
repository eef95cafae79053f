"""The channel side: SlackNotifier threads, chat.update, escalation broadcast, escaping, 429 retries, digest."""

from __future__ import annotations

import datetime as dt
import json
import time

from handlers.notify import FindingSummary, Notifier
from handlers.slack import blocks
from handlers.slack.digest import DigestSchedule, post_report, send_digest_if_due
from tests.adapters.slack.conftest import CHANNEL, INJECTION, NOW, SlackRig


def _texts(rig: SlackRig) -> str:
    return json.dumps([c.args for c in rig.api.calls if c.method.startswith("chat.")])


def test_one_parent_per_request_threaded_updates_and_parent_kept_current(slack: SlackRig) -> None:
    notifier = slack.notifier
    assert isinstance(notifier, Notifier)
    request_id = slack.seeded.requests["S-003"]
    notifier.request_sent(request_id)
    notifier.reminder_sent(request_id, number=1)
    notifier.reply_received(request_id, summary="1 workbook: CMRT 6.4")
    notifier.review_result(
        request_id,
        grade="high_risk",
        score=55,
        findings=[FindingSummary("minerals.covered_countries", "high_risk", "Tantalum from covered countries", "D28")],
    )
    notifier.clarification_sent(request_id, actor="UMEMBER")
    posts = slack.api.calls_to("chat.postMessage")
    parents = [c for c in posts if "thread_ts" not in c.args]
    replies = [c for c in posts if "thread_ts" in c.args]
    assert len(parents) == 1
    parent_ts = slack.request_state("S-003").slack_ts
    assert parent_ts and slack.request_state("S-003").slack_channel == CHANNEL
    assert len(replies) == 5 and {c.args["thread_ts"] for c in replies} == {parent_ts}
    assert not any(c.args.get("reply_broadcast") for c in replies)
    texts = [c.args["text"] for c in replies]
    assert "Request sent" in texts[0] and "Reminder 1" in texts[1] and "Reply received" in texts[2]
    assert "high risk" in texts[3] and "D28" in texts[3] and "Clarification" in texts[4]
    updates = slack.api.calls_to("chat.update")
    assert len(updates) == 4 and {u.args["ts"] for u in updates} == {parent_ts}
    parent_blocks = parents[0].json_arg("blocks")
    assert any(b.get("type") == "actions" for b in parent_blocks)


def test_escalation_is_broadcast_with_the_buttons(slack: SlackRig) -> None:
    request_id = slack.seeded.requests["S-002"]
    slack.notifier.escalation(request_id, reason="no answer after 2 reminders")
    broadcast = [c for c in slack.api.calls_to("chat.postMessage") if c.args.get("reply_broadcast")]
    assert len(broadcast) == 1
    elements = next(b for b in broadcast[0].json_arg("blocks") if b["type"] == "actions")["elements"]
    # reminded, nobody answered: the buttons of a request that waits (no Accept without a reviewed workbook)
    assert [e["action_id"] for e in elements] == [blocks.A_REMIND, blocks.A_SNOOZE, blocks.A_EXEMPT, blocks.A_ASSIGN]


def test_supplier_text_arrives_escaped(slack: SlackRig) -> None:
    request_id = slack.seeded.requests["S-004"]
    slack.notifier.reply_received(request_id, summary=f"subject: {INJECTION}")
    slack.notifier.escalation(request_id, reason=f"comment says {INJECTION}")
    raw = "".join(c.body.decode() for c in slack.api.calls if c.method.startswith("chat."))
    sent = _texts(slack)
    for dangerous in ("<!channel>", "<@U999>", "<https://evil.example|click>"):
        assert dangerous not in sent
        assert dangerous not in raw
    assert "&lt;!channel&gt;" in sent and "&lt;@U999&gt;" in sent and "&lt;https://evil.example|click&gt;" in sent
    assert "&amp; Co" in sent


def test_rate_limited_call_is_retried_after_retry_after(slack: SlackRig) -> None:
    slack.api.fail_next("chat.postMessage", status=429, retry_after=0)
    started = time.monotonic()
    slack.notifier.team_alert("Dovecot is down")
    posts = slack.api.calls_to("chat.postMessage")
    assert [c.status for c in posts] == [429, 200]
    assert posts[1].args["text"] == "Dovecot is down"
    assert time.monotonic() - started < 3


def test_slack_outage_never_raises_into_the_mail_loop(slack: SlackRig) -> None:
    slack.api.fail_next("chat.postMessage", status=500, retry_after=None, times=10)
    slack.notifier.request_sent(slack.seeded.requests["S-001"])  # logged, not raised
    assert slack.request_state("S-001").slack_ts is None


def test_long_findings_are_truncated_with_a_note(slack: SlackRig) -> None:
    findings = [FindingSummary(f"c{i}", "clarify", "x" * 900, f"D{i}") for i in range(40)]
    slack.notifier.review_result(
        slack.seeded.requests["S-003"], grade="needs_clarification", score=40, findings=findings
    )
    reply = next(c for c in slack.api.calls_to("chat.postMessage") if "thread_ts" in c.args)
    assert len(reply.args["text"]) <= 3000
    assert "more" in reply.args["text"]


def test_digest_posts_numbers_and_uploads_a_png_once_per_slot(slack: SlackRig) -> None:
    schedule = DigestSchedule(frequency="daily", at=dt.time(9, 0))
    assert send_digest_if_due(slack.api_client(), slack.ops, schedule, NOW) is True
    assert send_digest_if_due(slack.api_client(), slack.ops, schedule, NOW + dt.timedelta(hours=1)) is False
    message = slack.api.calls_to("chat.postMessage")
    assert len(message) == 1 and "Responded: 3 of 5 (60.0 %)." in json.dumps(message[0].json_arg("blocks"))
    steps = [
        m for m in slack.api.methods() if m in ("files.getUploadURLExternal", "upload", "files.completeUploadExternal")
    ]
    assert steps == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"] * 2
    png, xlsx = list(slack.api.uploads.values())[:2]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert xlsx.startswith(b"PK")  # the report workbook: countries and every smelter, not inline
    assert "Countries of the smelters" not in json.dumps(message[0].json_arg("blocks"))
    complete = slack.api.calls_to("files.completeUploadExternal")[0]
    assert complete.args["channel_id"] == CHANNEL
    assert send_digest_if_due(slack.api_client(), slack.ops, schedule, NOW + dt.timedelta(days=1)) is True


def test_report_without_campaign_says_so(slack: SlackRig, tmp_path: object) -> None:
    from store.models import Campaign

    with slack.db.session() as s:
        s.query(Campaign).update({Campaign.year: 1999})
    text = post_report(slack.api_client(), slack.ops, channel=CHANNEL, now=NOW, period="on-demand")
    assert "1999" in text  # the latest campaign is used whatever its year


def test_weekly_slot_is_the_last_configured_weekday() -> None:
    schedule = DigestSchedule(frequency="weekly", at=dt.time(9, 0), weekday=1, timezone="Europe/Berlin")
    slot = schedule.last_slot(dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC))  # a Wednesday
    assert slot == dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)  # Monday 09:00 in Berlin (UTC+1)
    assert DigestSchedule(frequency="off").last_slot(NOW) is None


def test_team_alerts_quoting_supplier_text_are_escaped(slack: SlackRig) -> None:
    slack.notifier.team_alert(f"An e-mail could not be matched (subject: {INJECTION!r}); please assign it.")
    slack.notifier.team_alert(
        f"The supplier replied with a link: {INJECTION}", request_id=slack.seeded.requests["S-001"]
    )
    sent = _texts(slack)
    assert "<!channel>" not in sent and "<@U999>" not in sent and "<https://evil.example|click>" not in sent
    assert sent.count("&lt;!channel&gt;") >= 2


def test_review_note_shows_what_changed_and_what_was_not_checked(slack: SlackRig) -> None:
    """Info findings about the year-over-year changes and the review's limits reach the team's review note."""
    request_id = slack.seeded.requests["S-003"]
    slack.notifier.review_result(
        request_id,
        grade="needs_clarification",
        score=90,
        findings=[
            FindingSummary("company.required_missing", "clarify", "the contact phone is missing", "D17", "company"),
            FindingSummary("history.origin_flipped", "clarify", "question 3 for Tin said 'Yes' in the 2024 "
                           "declaration and says No now", "D39", "history"),
            FindingSummary("history.smelters_changed", "info", "Tin smelters since the 2024 declaration: 1 dropped "
                           "(Minsur (CID001182))", None, "history"),
            FindingSummary("limits.no_smelter_reference", "info", "smelters were not checked against a reference: "
                           "<no look-up>", "Smelter List", "limits"),
        ],
    )  # fmt: skip
    (reply,) = [c for c in slack.api.calls_to("chat.postMessage") if "thread_ts" in c.args]
    text = reply.args["text"]
    assert "the contact phone is missing" in text
    assert text.index("*Since the last accepted declaration:*") < text.index("said 'Yes' in the 2024 declaration")
    assert "1 dropped (Minsur (CID001182))" in text
    assert ":warning: smelters were not checked against a reference: &lt;no look-up&gt;" in text


def test_app_home_links_each_request_to_its_thread(slack: SlackRig) -> None:
    from handlers.slack.home import PublishCache, publish_home

    request_id = slack.seeded.requests["S-003"]
    slack.notifier.reply_received(request_id, summary="1 workbook")  # S-003 now has a thread
    assert publish_home(slack.ops, slack.api_client(), "UMEMBER", PublishCache(60))
    view = slack.api.wait_for("views.publish")[0].json_arg("view")
    (item,) = [b for b in view["blocks"] if "Borealis Tantalum" in b.get("text", {}).get("text", "")
               and b.get("accessory")]  # fmt: skip
    ts = slack.request_state("S-003").slack_ts
    assert f"<https://fake.slack.test/archives/{CHANNEL}/p{ts.replace('.', '')}|thread>" in item["text"]["text"]
    assert item["accessory"]["action_id"] == blocks.A_ACCEPT and "confirm" in item["accessory"]
    assert len(view["blocks"]) <= 100
