"""A ``-vv`` run over e-mails and workbooks that carry a canary string: the canary is nowhere in the log (issue 11).

The real ``cmrt-bot -vv run`` process against the mail harness (Dovecot + SMTP relay) and the fake Slack Web API:
a supplier answers its request with the canary in the subject, the body, the file name and the workbook (company
and contact names); a second sender sends the same. The bot handles both (review, acknowledgment, Slack) while
logging at DEBUG, and no log line holds the canary.
"""

from __future__ import annotations

import contextlib
import email.policy
import email.utils
import pathlib
import secrets
import sqlite3
from collections.abc import Callable
from email.message import EmailMessage

import pytest

from cmrt.workbook.factory import build_cmrt
from mail.smtp import Security, SmtpSender, SmtpServer
from tests.fakes.slack_api import FakeSlackAPI
from tests.harness.fixtures import MailHarness
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


def _send(h: MailHarness, sender: str, bot: str, subject: str, canary: str, *, reply_to: str | None = None) -> None:
    msg = EmailMessage()
    msg["From"] = f"{canary} Person <{sender}>"
    msg["To"] = bot
    msg["Subject"] = f"{subject} {canary}"
    msg["Message-ID"] = email.utils.make_msgid(domain="example.test")
    if reply_to:
        msg["In-Reply-To"] = reply_to
        msg["References"] = reply_to
    msg.set_content(f"Please find our CMRT attached. {canary}\n" * 20)
    msg.add_attachment(
        build_cmrt(company_name=f"{canary} Metals Ltd.", contact_name=f"Pat {canary}"),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"CMRT_{canary}.xlsx",
    )
    sender_client = SmtpSender(
        SmtpServer(host=h.host, port=h.smtp_port, security=Security.STARTTLS, username="bot@example.test",
                     password="botpass", ca_file=str(h.ca_path), timeout=10)
    )  # fmt: skip
    result = sender_client.send(msg.as_bytes(policy=email.policy.SMTP), mail_from=sender, rcpt_to=[bot])
    assert result.ok, result


def _inbound(db_path: pathlib.Path) -> list[tuple[str | None, str]]:
    with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as conn:
        return conn.execute("SELECT classification, state FROM messages WHERE direction = 'in'").fetchall()


@pytest.mark.parametrize("protocol", [False, True], ids=["default", "log-protocol"])
def test_a_debug_run_never_logs_message_or_workbook_content(
    own_mail_harness: MailHarness,
    slack_api: FakeSlackAPI,
    bot_run: Callable[..., BotRun],
    tmp_path: pathlib.Path,
    protocol: bool,
) -> None:
    h, slack = own_mail_harness, slack_api
    canary = "CANARY" + secrets.token_hex(6)
    bot, bot_password = h.new_user("bot")
    supplier = h.new_user("sup")[0]
    stranger = h.new_user("stranger")[0]
    db_path = tmp_path / "bot.db"
    db_url = f"sqlite:///{db_path}"
    seed_campaign(db_url, [supplier])
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(
        run_config(h, db_url, bot, slack.base_url)
        + f"\n[log]\nprotocol = {'true' if protocol else 'false'}\n",
        encoding="utf-8",
    )  # fmt: skip
    run = bot_run(config, env=bot_env(**MAIL_SECRETS, CMRT_TEST_IMAP_PASSWORD=bot_password), verbosity=("-vv",),
                  tail=0)  # the log holds the canary only if the test fails: the assertions show where  # fmt: skip
    boxes = Mailboxes(h)
    proc = run.start()
    wait_for("the request", lambda: boxes.count(supplier) >= 1, 30, proc)
    (request,) = boxes.messages(supplier)
    _send(h, supplier, bot, "Re: " + str(request["Subject"]), canary, reply_to=str(request["Message-ID"]))
    _send(h, stranger, bot, "Our conflict minerals declaration", canary)
    wait_for("the reply to be reviewed",
             lambda: request_states(db_path)["SUP-0"][0] in ("accepted", "clarification_requested", "escalated"), 40,
             proc)  # fmt: skip
    wait_for("both e-mails handled", lambda: sum(1 for _, state in _inbound(db_path) if state == "processed") >= 2,
             40, proc)  # fmt: skip
    wait_for("the acknowledgment", lambda: boxes.count(supplier) >= 2, 30, proc)
    wait_for("the team told in Slack", lambda: len(slack.calls_to("chat.postMessage")) >= 2, 30, proc)
    run.stop(proc)
    text = run.text()
    assert " INFO cmbot." in text
    if protocol:  # the protocol libraries did log at DEBUG, cut short
        assert " DEBUG imapclient" in text and " DEBUG slack_sdk" in text, text[-3000:]
    else:
        assert " DEBUG imapclient" not in text and " DEBUG slack_sdk" not in text
    assert canary not in text, [line for line in text.splitlines() if canary in line][:5]
    assert canary.lower() not in text.lower()
    assert len(text) < 2_000_000
