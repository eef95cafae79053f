"""``cmrt-bot run`` draining a backlog with the reader pool ([reader] workers = 2, [imap] fetch_batch = 4),
SIGKILLed in the middle and started again: every e-mail is stored once, every workbook reviewed once, every
acknowledgment sent once (issue 16's acceptance for the parallel ingest)."""

from __future__ import annotations

import email.message
import email.policy
import email.utils
import pathlib
import sys
import time
from collections.abc import Callable
from email.message import EmailMessage

import pytest

from cmrt.workbook.factory import build_cmrt
from tests.fakes.slack_api import FakeSlackAPI
from tests.harness.fixtures import MailHarness, free_port
from tests.integration.bot_process import (
    MAIL_SECRETS,
    RUN_CONFIG,
    BotRun,
    Mailboxes,
    bot_env,
    seed_campaign,
    sqlite_count,
    wait_for,
)

pytestmark = [pytest.mark.mailserver, pytest.mark.slow]

REPLIES = 12


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


def test_sigkill_during_a_parallel_backlog_then_restart_handles_each_reply_once(
    own_mail_harness: MailHarness, slack_api: FakeSlackAPI, bot_run: Callable[..., BotRun], tmp_path: pathlib.Path
) -> None:
    h = own_mail_harness
    bot, bot_password = h.new_user("bot")
    suppliers = [h.new_user(f"sup{n}")[0] for n in range(REPLIES)]
    db_path = tmp_path / "bot.db"
    seed_campaign(f"sqlite:///{db_path}", suppliers)
    text = RUN_CONFIG.replace('poll_interval = "2s"', 'poll_interval = "2s"\nfetch_batch = 4').replace(
        'reminder_cadence = ["12s", "24s"]', 'reminder_cadence = ["1h", "2h"]'  # no reminders in this story
    ).replace("max_emails_per_hour = 0", "max_emails_per_hour = 0\nmax_acks_per_hour = 0")  # no rate limit
    text += '\n[reader]\nworkers = 2\n'
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(
        text.format(
            db_url=f"sqlite:///{db_path}", smtp_port=h.smtp_port, imaps_port=h.imaps_port, ca=h.ca_path,
            bot=bot, slack_port=free_port(), slack_api=slack_api.base_url,
        ),
        encoding="utf-8",
    )  # fmt: skip
    run = bot_run(config, env=bot_env(**MAIL_SECRETS, CMRT_TEST_IMAP_PASSWORD=bot_password), verbosity=())
    boxes = Mailboxes(h)

    proc = run.start()
    for address in suppliers:
        wait_for(f"the request to {address}", lambda a=address: boxes.count(a) >= 1, 60, proc)  # type: ignore[misc]
    requests = {a: boxes.messages(a)[0] for a in suppliers}
    # the backlog: every reply lands at once (IMAP APPEND), the bot drains it in batches of 4
    for n, address in enumerate(suppliers):
        h.append(bot, _reply(address, n, bot, requests[address]))
    inbound = "SELECT count(*) FROM messages WHERE direction = 'in'"
    wait_for("the first replies to be stored", lambda: sqlite_count(db_path, inbound) >= 2, 60, proc)
    run.kill(proc)
    stored_at_kill = sqlite_count(db_path, inbound)
    sys.stderr.write(f"{stored_at_kill} of {REPLIES} replies stored when the bot was killed\n")
    proc = run.start()

    reviewed = "SELECT count(DISTINCT request_id) FROM reviews"
    wait_for("every reply to be reviewed", lambda: sqlite_count(db_path, reviewed) == REPLIES, 120, proc)
    # each acknowledgment is sent, or left 'uncertain' when the kill landed inside its SMTP DATA (mail/outbox.py:
    # never resent blindly, a person decides; at most one, the one in flight)
    acks = "SELECT count(*) FROM outbox WHERE kind = 'acknowledgment'"
    settled = acks + " AND state IN ('sent', 'uncertain')"
    wait_for("every acknowledgment to be settled", lambda: sqlite_count(db_path, settled) == REPLIES, 60, proc)
    uncertain = sqlite_count(db_path, acks + " AND state = 'uncertain'")
    assert uncertain <= 1
    for address in suppliers:
        wait_for(f"the acknowledgment to {address}", lambda a=address: boxes.count(a) >= 2 - uncertain, 60, proc)  # type: ignore[misc]
    time.sleep(3)  # a few more ticks: nothing may come twice

    assert sqlite_count(db_path, inbound) == REPLIES  # each stored once (the kill left some stored, some not)
    assert stored_at_kill <= REPLIES
    assert sqlite_count(db_path, "SELECT count(*) FROM reviews") == REPLIES  # each workbook reviewed once
    assert sqlite_count(db_path, acks) == REPLIES
    assert sqlite_count(db_path, settled) == REPLIES
    delivered = 0
    for address in suppliers:
        ids = [str(m["Message-ID"]) for m in boxes.messages(address)]
        assert len(ids) == len(set(ids)) and len(ids) in (1, 2), f"{address}: {ids}"  # the request, one acknowledgment
        delivered += len(ids) - 1
    assert delivered >= REPLIES - uncertain
    assert h.folder_uids(bot, "INBOX") == []
    assert len(h.folder_uids(bot, "Processed")) == REPLIES

    run.stop(proc)
