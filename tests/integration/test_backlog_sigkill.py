"""``cmrt-bot run`` draining a backlog with the reader pool ([reader] workers = 2, [imap] fetch_batch = 4),
SIGKILLed in the middle and started again: every e-mail is stored once, every workbook reviewed once, every
acknowledgment sent once (issue 16's acceptance for the parallel ingest)."""

from __future__ import annotations

import contextlib
import email.policy
import email.utils
import os
import pathlib
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from cmrt.workbook.factory import build_cmrt
from tests.fakes.slack_api import FakeSlackAPI
from tests.harness.fixtures import MailHarness, private_mail_harness
from tests.integration.test_run_process import CONFIG, ROOT, Mailboxes, _free_port, _seed, _wait

pytestmark = [pytest.mark.mailserver, pytest.mark.slow]

REPLIES = 12


@pytest.fixture(scope="module")
def harness() -> Iterator[MailHarness]:
    with private_mail_harness() as h:
        yield h


def _reply(supplier: str, n: int, bot: str, request: email.message.EmailMessage) -> bytes:
    msg = EmailMessage()
    msg["From"] = supplier
    msg["To"] = bot
    msg["Subject"] = "Re: " + str(request["Subject"])
    msg["Date"] = email.utils.formatdate()
    msg["Message-ID"] = email.utils.make_msgid(domain="example.test")
    msg["In-Reply-To"] = str(request["Message-ID"])
    msg["References"] = str(request["Message-ID"])
    msg.set_content("Please find our CMRT attached.")
    msg.add_attachment(
        build_cmrt(company_name=f"Supplier {n} GmbH"),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"CMRT_Supplier{n}.xlsx",
    )
    return msg.as_bytes(policy=email.policy.SMTP)


def _count(db_path: pathlib.Path, sql: str) -> int:
    with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_sigkill_during_a_parallel_backlog_then_restart_handles_each_reply_once(
    harness: MailHarness, tmp_path: pathlib.Path
) -> None:
    h = harness
    bot, bot_password = h.new_user("bot")
    suppliers = [h.new_user(f"sup{n}")[0] for n in range(REPLIES)]
    db_path = tmp_path / "bot.db"
    _seed(f"sqlite:///{db_path}", suppliers)
    text = CONFIG.replace('poll_interval = "2s"', 'poll_interval = "2s"\nfetch_batch = 4').replace(
        'reminder_cadence = ["12s", "24s"]', 'reminder_cadence = ["1h", "2h"]'  # no reminders in this story
    ).replace("max_emails_per_hour = 0", "max_emails_per_hour = 0\nmax_acks_per_hour = 0")  # no rate limit
    text += '\n[reader]\nworkers = 2\n'
    config = tmp_path / "cmrt-bot.toml"
    with FakeSlackAPI() as slack:
        config.write_text(
            text.format(
                db_url=f"sqlite:///{db_path}", smtp_port=h.smtp_port, imaps_port=h.imaps_port, ca=h.ca_path,
                bot=bot, slack_port=_free_port(), slack_api=slack.base_url,
            ),
            encoding="utf-8",
        )  # fmt: skip
        env = {
            **os.environ,
            "CMRT_TEST_SMTP_PASSWORD": "botpass",
            "CMRT_TEST_IMAP_PASSWORD": bot_password,
            "CMRT_TEST_SLACK_BOT_TOKEN": "xoxb-test",
            "CMRT_TEST_SLACK_SIGNING_SECRET": "s3cret",
        }
        env.pop("CMRT_STORE_URL", None)
        env.pop("CMRT_CONFIG", None)
        log_path = tmp_path / "bot.log"
        boxes = Mailboxes(h)

        def start() -> subprocess.Popen[bytes]:
            with log_path.open("ab") as log:
                return subprocess.Popen(
                    [sys.executable, "-m", "bot", "--config", str(config), "run"],
                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                )  # fmt: skip

        proc = start()
        try:
            for address in suppliers:
                _wait(f"the request to {address}", lambda a=address: boxes.count(a) >= 1, 60, proc)  # type: ignore[misc]
            requests = {a: boxes.messages(a)[0] for a in suppliers}
            # the backlog: every reply lands at once (IMAP APPEND), the bot drains it in batches of 4
            for n, address in enumerate(suppliers):
                h.append(bot, _reply(address, n, bot, requests[address]))
            inbound = "SELECT count(*) FROM messages WHERE direction = 'in'"
            _wait("the first replies to be stored", lambda: _count(db_path, inbound) >= 2, 60, proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            stored_at_kill = _count(db_path, inbound)
            sys.stderr.write(f"{stored_at_kill} of {REPLIES} replies stored when the bot was killed\n")
            proc = start()

            reviewed = "SELECT count(DISTINCT request_id) FROM reviews"
            _wait("every reply to be reviewed", lambda: _count(db_path, reviewed) == REPLIES, 120, proc)
            for address in suppliers:
                _wait(f"the acknowledgment to {address}", lambda a=address: boxes.count(a) >= 2, 60, proc)  # type: ignore[misc]
            time.sleep(3)  # a few more ticks: nothing may come twice

            assert _count(db_path, inbound) == REPLIES  # each stored once (the kill left some stored, some not)
            assert stored_at_kill <= REPLIES
            assert _count(db_path, "SELECT count(*) FROM reviews") == REPLIES  # each workbook reviewed once
            acks = "SELECT count(*) FROM outbox WHERE kind = 'acknowledgment'"
            assert _count(db_path, acks) == REPLIES
            sent = "SELECT count(*) FROM outbox WHERE kind = 'acknowledgment' AND state = 'sent'"
            assert _count(db_path, sent) == REPLIES
            for address in suppliers:
                ids = [str(m["Message-ID"]) for m in boxes.messages(address)]
                assert len(ids) == 2 == len(set(ids)), f"{address}: {ids}"  # the request and one acknowledgment
            assert h.folder_uids(bot, "INBOX") == []
            assert len(h.folder_uids(bot, "Processed")) == REPLIES

            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=12) == 0
            assert time.monotonic() - started < 10
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
            sys.stderr.write(log_path.read_text(encoding="utf-8", errors="replace")[-4000:])
