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
import datetime as dt
import email
import email.policy
import email.utils
import json
import os
import pathlib
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from cmrt.workbook.factory import build_cmrt
from mail.smtp import Security, SmtpSender, SmtpServer
from store import Database, campaigns, suppliers, upgrade
from tests.fakes.slack_api import FakeSlackAPI
from tests.harness.fixtures import MailHarness, private_mail_harness

ROOT = pathlib.Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.mailserver, pytest.mark.slow]

CONFIG = """
[store]
url = "{db_url}"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "starttls"
username = "bot@example.test"
password_env = "CMRT_TEST_SMTP_PASSWORD"
tls_ca_file = "{ca}"
timeout = "10s"

[imap]
host = "127.0.0.1"
port = {imaps_port}
security = "tls"
username = "{bot}"
password_env = "CMRT_TEST_IMAP_PASSWORD"
tls_ca_file = "{ca}"
processed_folder = "Processed"
quarantine_folder = "Quarantine"
poll_interval = "2s"

[slack]
mode = "http"
channel = "CTEAM"
bot_token_env = "CMRT_TEST_SLACK_BOT_TOKEN"
signing_secret_env = "CMRT_TEST_SLACK_SIGNING_SECRET"
http_host = "127.0.0.1"
http_port = {slack_port}
api_base_url = "{slack_api}"
digest = "off"

[outreach]
from_address = "{bot}"
reply_to = "{bot}"
company_name = "Acme Devices"
reminder_cadence = ["12s", "24s"]
escalate_after_reminders = 2
escalate_grace = "6s"
escalate_days_before_due = 0
clarification_followup = ["1h"]
batch_size = 10
max_emails_per_hour = 0

[schedule]
timezone = "UTC"
business_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
quiet_hours = []
tick = "1s"

[smelters]
refresh = "off"                       # no download from RMI in tests (test_run_lists.py serves them)

[run]
heartbeat = "1s"
"""


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(what: str, check: Callable[[], Any], timeout: float, proc: subprocess.Popen[bytes] | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the bot exited ({proc.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)


class Mailboxes:
    def __init__(self, harness: MailHarness) -> None:
        self.h = harness

    def messages(self, address: str) -> list[email.message.EmailMessage]:
        client = self.h.imap(address)
        try:
            found: list[email.message.EmailMessage] = []
            for folder in ("INBOX",):
                client.select_folder(folder, readonly=True)
                uids = client.search(["ALL"])
                for _uid, data in client.fetch(uids, ["BODY.PEEK[HEADER]"]).items():
                    parsed = email.message_from_bytes(data[b"BODY[HEADER]"], policy=email.policy.default)
                    found.append(parsed)
            return found
        finally:
            client.logout()

    def count(self, address: str) -> int:
        return len(self.messages(address))


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        yield fake


def _seed(db_url: str, addresses: list[str]) -> None:
    upgrade(db_url)
    with Database(db_url) as db, db.session() as s:
        made = []
        for n, address in enumerate(addresses):
            sup, _ = suppliers.upsert(
                s, suppliers.SupplierData(external_id=f"SUP-{n}", name=f"Supplier {n} GmbH", contact_email=address)
            )
            made.append(sup)
        s.flush()
        campaigns.create(s, year=2025, due_date=dt.date.today() + dt.timedelta(days=200), suppliers=made)


def _states(db_path: pathlib.Path) -> dict[str, tuple[str, int]]:
    with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as conn:
        rows = conn.execute(
            "SELECT s.external_id, r.state, r.reminder_count FROM requests r JOIN suppliers s ON s.id = r.supplier_id"
        ).fetchall()
    return {ext: (state, count) for ext, state, count in rows}


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


@pytest.fixture(scope="module")
def harness() -> Iterator[MailHarness]:
    """A harness instance of this module's own (free ports): other test runs cannot stop or wipe it mid-test."""
    with private_mail_harness() as h:
        yield h


def test_run_sends_reminds_stops_on_reply_escalates_and_survives_sigkill(
    harness: MailHarness, slack: FakeSlackAPI, tmp_path: pathlib.Path
) -> None:
    h = harness
    bot, bot_password = h.new_user("bot")
    supplier_addresses = [h.new_user(f"sup{n}")[0] for n in range(3)]
    db_path = tmp_path / "bot.db"
    db_url = f"sqlite:///{db_path}"
    _seed(db_url, supplier_addresses)
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(
        CONFIG.format(
            db_url=db_url, smtp_port=h.smtp_port, imaps_port=h.imaps_port, ca=h.ca_path, bot=bot,
            slack_port=_free_port(), slack_api=slack.base_url,
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
                [sys.executable, "-m", "bot", "--config", str(config), "-v", "run"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    proc = start()
    try:
        # 1. the three requests go out
        for address in supplier_addresses:
            _wait(f"the request to {address}", lambda a=address: boxes.count(a) >= 1, 20, proc)  # type: ignore[misc]
        (request_a,) = boxes.messages(supplier_addresses[0])
        assert "[CMRT-" in str(request_a["Subject"]) or "CMRT" in str(request_a["Subject"])

        # 2. supplier 0 replies with a workbook: it is no longer chased
        _reply_with_workbook(h, supplier_addresses[0], bot, request_a)
        _wait(
            "the reply to be recorded",
            lambda: _states(db_path)["SUP-0"][0] in ("responded", "accepted", "clarification_requested"),
            20,
            proc,
        )

        # 3. the first reminders reach the two others
        for address in supplier_addresses[1:]:
            _wait(f"reminder 1 to {address}", lambda a=address: boxes.count(a) >= 2, 25, proc)  # type: ignore[misc]

        # 4. SIGKILL, then start again
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=5)
        proc = start()

        # 5. second reminders, then escalations in Slack
        for address in supplier_addresses[1:]:
            _wait(f"reminder 2 to {address}", lambda a=address: boxes.count(a) >= 3, 30, proc)  # type: ignore[misc]

        def escalations() -> list[Any]:
            return [c for c in slack.calls_to("chat.postMessage") if "Needs a decision" in str(c.args.get("text"))]

        _wait("two escalations in Slack", lambda: len(escalations()) >= 2, 20, proc)
        assert all(c.args.get("reply_broadcast") in (True, "true", "1", "True") for c in escalations())

        # nothing more is due: give the bot a few ticks to prove it sends nothing twice
        time.sleep(4)
        for address in supplier_addresses:
            ids = [str(m["Message-ID"]) for m in boxes.messages(address)]
            assert len(ids) == len(set(ids)), f"duplicate e-mail in {address}: {ids}"
        assert [boxes.count(a) for a in supplier_addresses[1:]] == [3, 3]  # request + two reminders, once each
        subjects_a = [str(m["Subject"]) for m in boxes.messages(supplier_addresses[0])]
        assert not any("eminder" in s for s in subjects_a), subjects_a  # request (+ acknowledgment) only
        states = _states(db_path)
        assert states["SUP-1"] == ("escalated", 2) and states["SUP-2"] == ("escalated", 2)
        assert len(escalations()) == 2

        with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as conn:
            beats = dict(conn.execute("SELECT component, state FROM heartbeats").fetchall())
        assert {k: beats.get(k) for k in ("inbox", "outbox", "slack", "scheduler")} == dict.fromkeys(
            ("inbox", "outbox", "slack", "scheduler"), "running"
        )

        status = subprocess.run(
            [sys.executable, "-m", "bot", "--config", str(config), "status", "--json"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        alive = {c["component"]: c["alive"] for c in json.loads(status.stdout)["components"]}
        assert alive == dict.fromkeys(("inbox", "outbox", "scheduler", "slack"), True), status.stdout

        # 6. SIGTERM: a clean stop within 10 s
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=12) == 0
        assert time.monotonic() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        sys.stderr.write(log_path.read_text(encoding="utf-8", errors="replace")[-6000:])


def test_failing_components_do_not_stop_the_rest_and_the_team_is_told(
    harness: MailHarness, slack: FakeSlackAPI, tmp_path: pathlib.Path
) -> None:
    h = harness
    bot, _password = h.new_user("bot")
    (supplier,) = [h.new_user("sup")[0]]
    db_path = tmp_path / "bot.db"
    db_url = f"sqlite:///{db_path}"
    _seed(db_url, [supplier])
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(
        CONFIG.format(
            db_url=db_url, smtp_port=h.smtp_port, imaps_port=_free_port(), ca=h.ca_path, bot=bot,
            slack_port=_free_port(), slack_api=slack.base_url,
        ),  # nothing listens on that IMAP port: the inbox cannot connect
        encoding="utf-8",
    )  # fmt: skip
    env = {
        **os.environ,
        "CMRT_TEST_SMTP_PASSWORD": "botpass",
        "CMRT_TEST_IMAP_PASSWORD": "unused",
        "CMRT_TEST_SLACK_BOT_TOKEN": "xoxb-test",
        "CMRT_TEST_SLACK_SIGNING_SECRET": "s3cret",
    }
    env.pop("CMRT_STORE_URL", None)
    env.pop("CMRT_CONFIG", None)
    log_path = tmp_path / "bot.log"
    slack.fail_next("auth.test", status=500, retry_after=None, times=2)  # Slack is down when the bot starts
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config), "run"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait("the request", lambda: Mailboxes(h).count(supplier) == 1, 60, proc)

        def alerts() -> list[str]:
            return [str(c.args.get("text")) for c in slack.calls_to("chat.postMessage")]

        _wait("the team to be told", lambda: any("unreachable" in t for t in alerts()), 90, proc)

        def heartbeats() -> dict[str, tuple[str, str | None]]:
            with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as conn:
                rows = conn.execute("SELECT component, state, detail FROM heartbeats").fetchall()
            return {name: (state, detail) for name, state, detail in rows}

        assert "not connected" in (heartbeats()["inbox"][1] or "")
        # the Slack app failed to start twice and was restarted with back-off while e-mail went on
        _wait("the Slack app to run", lambda: heartbeats().get("slack", ("", None))[0] == "running", 60, proc)
        assert len(slack.calls_to("auth.test")) >= 3
        assert "component slack could not start" in log_path.read_text(encoding="utf-8")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=12) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        sys.stderr.write(log_path.read_text(encoding="utf-8", errors="replace")[-3000:])
