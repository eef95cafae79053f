"""Two ``cmrt-bot run`` processes on one PostgreSQL database: one sends, the other stands by and takes over.

Both run against the real mail harness (SMTP only; inbound and Slack are off). The first takes the advisory lock
and sends the requests; the second reports ``standby``. The first is killed with SIGKILL: the second takes over
and sends the reminders. Every supplier gets each e-mail exactly once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import os
import pathlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from store import Database, campaigns, suppliers, upgrade
from store.models import Heartbeat, OutreachAction
from tests.fixtures_store import new_pg_schema_url
from tests.harness.fixtures import MailHarness, private_mail_harness

ROOT = pathlib.Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.mailserver, pytest.mark.postgres, pytest.mark.slow]

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

[mail]
inbound = "none"

[outreach]
from_address = "bot@example.test"
company_name = "Acme Devices"
reminder_cadence = ["10s"]
escalate_after_reminders = 0
escalate_days_before_due = 0
escalate_at_due = false
batch_size = 10
max_emails_per_hour = 0

[schedule]
timezone = "UTC"
business_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
quiet_hours = []
tick = "1s"

[run]
heartbeat = "1s"

[smelters]
refresh = "off"                       # no download from RMI in tests (test_run_lists.py serves them)
"""


def _wait(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)


def _message_ids(h: MailHarness, address: str) -> list[str]:
    client = h.imap(address)
    try:
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        ids = []
        for _uid, data in client.fetch(uids, ["BODY.PEEK[HEADER]"]).items():
            parsed = email.message_from_bytes(data[b"BODY[HEADER]"], policy=email.policy.default)
            ids.append(str(parsed["Message-ID"]))
        return ids
    finally:
        client.logout()


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    yield new_pg_schema_url(pg_admin_url)


@pytest.fixture(scope="module")
def harness() -> Iterator[MailHarness]:
    """A harness instance of this module's own (free ports): other test runs cannot stop or wipe it mid-test."""
    with private_mail_harness() as h:
        yield h


def test_only_one_instance_sends_and_the_standby_takes_over(
    harness: MailHarness, pg_url: str, tmp_path: pathlib.Path
) -> None:
    h = harness
    addresses = [h.new_user(f"two{n}")[0] for n in range(3)]
    upgrade(pg_url)
    db = Database(pg_url)
    with db.session() as s:
        made = []
        for n, address in enumerate(addresses):
            sup, _ = suppliers.upsert(s, suppliers.SupplierData(f"TWO-{n}", f"Two {n} Ltd", address))
            made.append(sup)
        s.flush()
        campaigns.create(s, year=2025, due_date=dt.date.today() + dt.timedelta(days=200), suppliers=made)
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(CONFIG.format(db_url=pg_url, smtp_port=h.smtp_port, ca=h.ca_path), encoding="utf-8")
    env = {**os.environ, "CMRT_TEST_SMTP_PASSWORD": "botpass"}
    env.pop("CMRT_STORE_URL", None)
    env.pop("CMRT_CONFIG", None)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]

    def start(log: pathlib.Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "bot", "--config", str(config), "-v", "run"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def beats() -> dict[str, tuple[int | None, str]]:
        with db.session() as s:
            return {hb.component: (hb.pid, hb.state) for hb in s.scalars(sa.select(Heartbeat))}

    first = start(logs[0])
    second: subprocess.Popen[bytes] | None = None
    try:
        _wait("the first instance to run", lambda: beats().get("scheduler", (None, ""))[0] == first.pid, 20)
        second = start(logs[1])
        _wait("the second instance to stand by", lambda: f"standby:{second.pid}" in beats(), 20)
        for address in addresses:
            _wait(f"the request to {address}", lambda a=address: len(_message_ids(h, a)) >= 1, 20)  # type: ignore[misc]
        assert beats()["scheduler"][0] == first.pid  # the standby did not start its components

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=5)
        _wait(
            "the standby to take over",
            lambda: beats().get("scheduler") == (second.pid, "running") if second else False,
            20,
        )
        assert f"standby:{second.pid}" not in beats()
        for address in addresses:
            _wait(f"the reminder to {address}", lambda a=address: len(_message_ids(h, a)) >= 2, 30)  # type: ignore[misc]
        time.sleep(3)  # a few more ticks: nothing else may go out
        for address in addresses:
            ids = _message_ids(h, address)
            assert len(ids) == 2 and len(set(ids)) == 2, ids
        with db.session() as s:
            states = {key: state for key, state in s.execute(sa.select(OutreachAction.key, OutreachAction.state))}
        assert sorted(states) == sorted(
            [f"c1:r{n}:request" for n in (1, 2, 3)] + [f"c1:r{n}:reminder:1" for n in (1, 2, 3)]
        )
        assert set(states.values()) == {"done"}

        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=12) == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
        db.dispose()
        for log in logs:
            with contextlib.suppress(FileNotFoundError):
                sys.stderr.write(f"--- {log.name}\n" + log.read_text(encoding="utf-8", errors="replace")[-3000:])
