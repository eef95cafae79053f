"""``cmrt-bot run`` as a real process, for the integration tests that start it: one launcher (environment, Popen,
log file, SIGTERM/SIGKILL, clean-up) and one polling wait, plus what the tests against the mail harness share (the
configuration template, seeding a campaign, reading mailboxes and request states).

The ``bot_run`` fixture (tests/integration/conftest.py) makes a ``BotRun`` and, at teardown, kills any process
still running and writes the end of the bot's log to stderr (pytest shows it with a failure).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.message
import email.policy
import os
import pathlib
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from store import Database, campaigns, suppliers, upgrade
from tests.harness.fixtures import MailHarness, free_port

ROOT = pathlib.Path(__file__).resolve().parents[2]
STOP_WITHIN = 10.0  # seconds: SIGTERM must end the bot in this time (the bot's own limit, then it exits 1)

# The mail-harness run: compressed durations (reminders 12 s and 24 s after the request, escalation 6 s after the
# second reminder, a 1 s tick), every day a business day without quiet hours. Secrets come from the environment
# (``MAIL_SECRETS`` + the IMAP password). Placeholders: db_url, smtp_port, imaps_port, ca, bot, slack_port,
# slack_api.
RUN_CONFIG = """
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

MAIL_SECRETS = {
    "CMRT_TEST_SMTP_PASSWORD": "botpass",
    "CMRT_TEST_SLACK_BOT_TOKEN": "xoxb-test",
    "CMRT_TEST_SLACK_SIGNING_SECRET": "s3cret",
}


def run_config(h: MailHarness, db_url: str, bot: str, slack_api: str, **over: Any) -> str:
    """``RUN_CONFIG`` filled in for harness ``h`` (a free port for the Slack app); ``over`` replaces placeholders."""
    values = dict(db_url=db_url, smtp_port=h.smtp_port, imaps_port=h.imaps_port, ca=h.ca_path, bot=bot,
                  slack_port=free_port(), slack_api=slack_api)  # fmt: skip
    return RUN_CONFIG.format(**{**values, **over})


def bot_env(**extra: str) -> dict[str, str]:
    """This process's environment without the variables that would pick another config or store, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in ("CMRT_CONFIG", "CMRT_STORE_URL")}
    env.update(extra)
    return env


def wait_for(
    what: str,
    check: Callable[[], Any],
    timeout: float,
    proc: subprocess.Popen[bytes] | None = None,
    interval: float = 0.25,
) -> Any:
    """Poll ``check`` until it returns something true (returned); fails on timeout or when ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the bot exited ({proc.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class BotRun:
    """``cmrt-bot --config CONFIG [verbosity] run`` processes sharing one log file and environment."""

    config: pathlib.Path
    log: pathlib.Path
    env: dict[str, str]
    verbosity: tuple[str, ...] = ("-v",)
    tail: int = 4000
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "--config", str(self.config), *self.verbosity, "run"],
                cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.procs.append(proc)
        return proc

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Another command on the same configuration (``status --json``), checked."""
        return subprocess.run(
            [sys.executable, "-m", "bot", "--config", str(self.config), *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGTERM: the bot stops cleanly (exit status 0) within ``STOP_WITHIN`` seconds."""
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=STOP_WITHIN + 5) == 0
        assert time.monotonic() - started < STOP_WITHIN

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        if self.tail > 0:
            sys.stderr.write(f"--- {self.log.name}\n{self.text()[-self.tail:]}")


class Mailboxes:
    """The messages in a harness user's INBOX (headers only)."""

    def __init__(self, harness: MailHarness) -> None:
        self.h = harness

    def messages(self, address: str) -> list[email.message.EmailMessage]:
        client = self.h.imap(address)
        try:
            client.select_folder("INBOX", readonly=True)
            found: list[email.message.EmailMessage] = []
            for _uid, data in client.fetch(client.search(["ALL"]), ["BODY.PEEK[HEADER]"]).items():
                found.append(email.message_from_bytes(data[b"BODY[HEADER]"], policy=email.policy.default))
            return found
        finally:
            client.logout()

    def count(self, address: str) -> int:
        return len(self.messages(address))


def seed_campaign(db_url: str, addresses: list[str]) -> None:
    """Migrate ``db_url`` and add one supplier per address (``SUP-<n>``) and a 2025 campaign asking them all."""
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


def sqlite_count(db_path: pathlib.Path, sql: str) -> int:
    with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as conn:
        return int(conn.execute(sql).fetchone()[0])


def request_states(db_path: pathlib.Path) -> dict[str, tuple[str, int]]:
    """``{supplier external id: (request state, reminder count)}`` of a SQLite store."""
    with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as conn:
        rows = conn.execute(
            "SELECT s.external_id, r.state, r.reminder_count FROM requests r JOIN suppliers s ON s.id = r.supplier_id"
        ).fetchall()
    return {ext: (state, count) for ext, state, count in rows}
