"""``cmrt-bot run`` as a real process against the mail harness (Dovecot + SMTP relay) and a fake Slack Web API.

Durations are compressed (reminders 12 s and 24 s after the request, escalation 6 s after the second reminder, a
1 s tick) and every day is a business day without quiet hours. The story: three suppliers get their request;
one replies with a workbook (the chasing stops for it); the other two get the first reminder; the bot is killed
with SIGKILL and started again; the second reminders and two escalations (in Slack) follow; no mailbox ever holds
the same e-mail twice; SIGTERM stops the bot within 10 s. A second test starts the bot with an unreachable
IMAP server and a Slack API that fails twice: the requests still go out, the Slack app is restarted with back-off,
and the team is told that the mailbox is unreachable.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import email.utils
import json
import pathlib
import sqlite3
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest

from cmrt.workbook.factory import build_cmrt
from mail.smtp import Security, SmtpSender, SmtpServer
from tests.fakes.slack_api import FakeSlackAPI
from tests.harness.fixtures import MailHarness, free_port
from tests.integration.bot_process import (
    MAIL_SECRETS,
    BotRun,
    Mailboxes,
    bot_env,
    request_states,
    run_config,
    seed_campaign,
    wait_for,
)

pytestmark = [pytest.mark.mailserver, pytest.mark.slow]


def _reply_with_workbook(h: MailHarness, supplier: str, bot: str, request: email.message.EmailMessage) -> None:
    msg = EmailMessage()
    msg["From"] = supplier
    msg["To"] = bot
    msg["Subject"] = "Re: " + str(request["Subject"])
    msg["Message-ID"] = email.utils.make_msgid(domain="example.test")
    msg["In-Reply-To"] = str(request["Message-ID"])
    msg["References"] = str(request["Message-ID"])
    msg.set_content("Please find our CMRT attached.")
    msg.add_attachment(
        build_cmrt(company_name="Supplier 0 GmbH"),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename="CMRT_Supplier0.xlsx",
    )
    sender = SmtpSender(
        SmtpServer(
            host=h.host, port=h.smtp_port, security=Security.STARTTLS, username="bot@example.test",
            password="botpass", ca_file=str(h.ca_path), timeout=10,
        )
    )  # fmt: skip
    result = sender.send(msg.as_bytes(policy=email.policy.SMTP), mail_from=supplier, rcpt_to=[bot])
    assert result.ok, result


def test_run_sends_reminds_stops_on_reply_escalates_and_survives_sigkill(
    own_mail_harness: MailHarness, slack_api: FakeSlackAPI, bot_run: Callable[..., BotRun], tmp_path: pathlib.Path
) -> None:
    h, slack = own_mail_harness, slack_api
    bot, bot_password = h.new_user("bot")
    supplier_addresses = [h.new_user(f"sup{n}")[0] for n in range(3)]
    db_path = tmp_path / "bot.db"
    db_url = f"sqlite:///{db_path}"
    seed_campaign(db_url, supplier_addresses)
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(run_config(h, db_url, bot, slack.base_url), encoding="utf-8")
    run = bot_run(config, env=bot_env(**MAIL_SECRETS, CMRT_TEST_IMAP_PASSWORD=bot_password), tail=6000)
    boxes = Mailboxes(h)

    proc = run.start()
    # 1. the three requests go out
    for address in supplier_addresses:
        wait_for(f"the request to {address}", lambda a=address: boxes.count(a) >= 1, 20, proc)  # type: ignore[misc]
    (request_a,) = boxes.messages(supplier_addresses[0])
    assert "[CMRT-" in str(request_a["Subject"]) or "CMRT" in str(request_a["Subject"])

    # 2. supplier 0 replies with a workbook: it is no longer chased
    _reply_with_workbook(h, supplier_addresses[0], bot, request_a)
    wait_for(
        "the reply to be recorded",
        lambda: request_states(db_path)["SUP-0"][0] in ("responded", "accepted", "clarification_requested"),
        20,
        proc,
    )

    # 3. the first reminders reach the two others
    for address in supplier_addresses[1:]:
        wait_for(f"reminder 1 to {address}", lambda a=address: boxes.count(a) >= 2, 25, proc)  # type: ignore[misc]

    # 4. SIGKILL, then start again
    run.kill(proc)
    proc = run.start()

    # 5. second reminders, then escalations in Slack
    for address in supplier_addresses[1:]:
        wait_for(f"reminder 2 to {address}", lambda a=address: boxes.count(a) >= 3, 30, proc)  # type: ignore[misc]

    def escalations() -> list[Any]:
        return [c for c in slack.calls_to("chat.postMessage") if "Needs a decision" in str(c.args.get("text"))]

    wait_for("two escalations in Slack", lambda: len(escalations()) >= 2, 20, proc)
    assert all(c.args.get("reply_broadcast") in (True, "true", "1", "True") for c in escalations())

    # nothing more is due: give the bot a few ticks to prove it sends nothing twice
    time.sleep(4)
    for address in supplier_addresses:
        ids = [str(m["Message-ID"]) for m in boxes.messages(address)]
        assert len(ids) == len(set(ids)), f"duplicate e-mail in {address}: {ids}"
    assert [boxes.count(a) for a in supplier_addresses[1:]] == [3, 3]  # request + two reminders, once each
    subjects_a = [str(m["Subject"]) for m in boxes.messages(supplier_addresses[0])]
    assert not any("eminder" in s for s in subjects_a), subjects_a  # request (+ acknowledgment) only
    states = request_states(db_path)
    assert states["SUP-1"] == ("escalated", 2) and states["SUP-2"] == ("escalated", 2)
    assert len(escalations()) == 2

    with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as conn:
        beats = dict(conn.execute("SELECT component, state FROM heartbeats").fetchall())
    assert {k: beats.get(k) for k in ("inbox", "outbox", "slack", "scheduler")} == dict.fromkeys(
        ("inbox", "outbox", "slack", "scheduler"), "running"
    )

    status = run.cli("status", "--json")
    alive = {c["component"]: c["alive"] for c in json.loads(status.stdout)["components"]}
    assert alive == dict.fromkeys(("inbox", "outbox", "scheduler", "slack"), True), status.stdout

    # 6. SIGTERM: a clean stop within 10 s
    run.stop(proc)


def test_failing_components_do_not_stop_the_rest_and_the_team_is_told(
    own_mail_harness: MailHarness, slack_api: FakeSlackAPI, bot_run: Callable[..., BotRun], tmp_path: pathlib.Path
) -> None:
    h, slack = own_mail_harness, slack_api
    bot, _password = h.new_user("bot")
    (supplier,) = [h.new_user("sup")[0]]
    db_path = tmp_path / "bot.db"
    db_url = f"sqlite:///{db_path}"
    seed_campaign(db_url, [supplier])
    config = tmp_path / "cmrt-bot.toml"
    text = run_config(h, db_url, bot, slack.base_url, imaps_port=free_port())  # nothing listens there: no inbox
    config.write_text(text, encoding="utf-8")
    run = bot_run(config, env=bot_env(**MAIL_SECRETS, CMRT_TEST_IMAP_PASSWORD="unused"), verbosity=(), tail=3000)
    slack.fail_next("auth.test", status=500, retry_after=None, times=2)  # Slack is down when the bot starts
    proc = run.start()
    wait_for("the request", lambda: Mailboxes(h).count(supplier) == 1, 60, proc)

    def alerts() -> list[str]:
        return [str(c.args.get("text")) for c in slack.calls_to("chat.postMessage")]

    wait_for("the team to be told", lambda: any("unreachable" in t for t in alerts()), 90, proc)

    def heartbeats() -> dict[str, tuple[str, str | None]]:
        with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as conn:
            rows = conn.execute("SELECT component, state, detail FROM heartbeats").fetchall()
        return {name: (state, detail) for name, state, detail in rows}

    assert "not connected" in (heartbeats()["inbox"][1] or "")
    # the Slack app failed to start twice and was restarted with back-off while e-mail went on
    wait_for("the Slack app to run", lambda: heartbeats().get("slack", ("", None))[0] == "running", 60, proc)
    assert len(slack.calls_to("auth.test")) >= 3
    assert "component slack could not start" in run.text()
    run.stop(proc)
