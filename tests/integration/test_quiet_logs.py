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
import os
import pathlib
import secrets
import signal
import sqlite3
import subprocess
import sys
from email.message import EmailMessage

import pytest

from cmrt.workbook.factory import build_cmrt
from mail.smtp import Security, SmtpSender, SmtpServer
from tests.fakes.slack_api import FakeSlackAPI
from tests.harness.fixtures import MailHarness
from tests.integration.test_run_process import (  # the process rig of the run test
    CONFIG,
    ROOT,
    Mailboxes,
    _free_port,
    _seed,
    _states,
    _wait,
    harness,  # noqa: F401  (fixture)
    slack,  # noqa: F401  (fixture)
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
    harness: MailHarness,  # noqa: F811
    slack: FakeSlackAPI,  # noqa: F811
    tmp_path: pathlib.Path,
    protocol: bool,
) -> None:
    h = harness
    canary = "CANARY" + secrets.token_hex(6)
    bot, bot_password = h.new_user("bot")
    supplier = h.new_user("sup")[0]
    stranger = h.new_user("stranger")[0]
    db_path = tmp_path / "bot.db"
    db_url = f"sqlite:///{db_path}"
    _seed(db_url, [supplier])
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(
        CONFIG.format(db_url=db_url, smtp_port=h.smtp_port, imaps_port=h.imaps_port, ca=h.ca_path, bot=bot,
                      slack_port=_free_port(), slack_api=slack.base_url)
        + f"\n[log]\nprotocol = {'true' if protocol else 'false'}\n",
        encoding="utf-8",
    )  # fmt: skip
    env = {**os.environ, "CMRT_TEST_SMTP_PASSWORD": "botpass", "CMRT_TEST_IMAP_PASSWORD": bot_password,
           "CMRT_TEST_SLACK_BOT_TOKEN": "xoxb-test", "CMRT_TEST_SLACK_SIGNING_SECRET": "s3cret",
           "CMRT_HEARTBEAT_SECONDS": "1"}  # fmt: skip
    env.pop("CMRT_STORE_URL", None)
    env.pop("CMRT_CONFIG", None)
    log_path = tmp_path / "bot.log"
    boxes = Mailboxes(h)
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), "-vv", "run"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        _wait("the request", lambda: boxes.count(supplier) >= 1, 30, proc)
        (request,) = boxes.messages(supplier)
        _send(h, supplier, bot, "Re: " + str(request["Subject"]), canary, reply_to=str(request["Message-ID"]))
        _send(h, stranger, bot, "Our conflict minerals declaration", canary)
        _wait("the reply to be reviewed",
              lambda: _states(db_path)["SUP-0"][0] in ("accepted", "clarification_requested", "escalated"), 40, proc)
        _wait("both e-mails handled", lambda: sum(1 for _, state in _inbound(db_path) if state == "processed") >= 2,
              40, proc)  # fmt: skip
        _wait("the acknowledgment", lambda: boxes.count(supplier) >= 2, 30, proc)
        _wait("the team told in Slack", lambda: len(slack.calls_to("chat.postMessage")) >= 2, 30, proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    assert " INFO cmbot." in text
    if protocol:  # the protocol libraries did log at DEBUG, cut short
        assert " DEBUG imapclient" in text and " DEBUG slack_sdk" in text, text[-3000:]
    else:
        assert " DEBUG imapclient" not in text and " DEBUG slack_sdk" not in text
    assert canary not in text, [line for line in text.splitlines() if canary in line][:5]
    assert canary.lower() not in text.lower()
    assert len(text) < 2_000_000
