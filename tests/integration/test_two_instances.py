"""Two ``cmrt-bot run`` processes on one PostgreSQL database: one sends, the other stands by and takes over.

Both run against the real mail harness (SMTP only; inbound and Slack are off). The first takes the advisory lock
and sends the requests; the second reports ``standby``. The first is killed with SIGKILL: the second takes over
and sends the reminders. Every supplier gets each e-mail exactly once.
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from store import Database
from store.models import Heartbeat, OutreachAction
from tests.fixtures_store import new_pg_schema_url
from tests.harness.fixtures import MailHarness
from tests.integration.bot_process import BotRun, Mailboxes, bot_env, seed_campaign, wait_for

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


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    yield new_pg_schema_url(pg_admin_url)


def test_only_one_instance_sends_and_the_standby_takes_over(
    own_mail_harness: MailHarness, pg_url: str, bot_run: Callable[..., BotRun], tmp_path: pathlib.Path
) -> None:
    h = own_mail_harness
    addresses = [h.new_user(f"two{n}")[0] for n in range(3)]
    seed_campaign(pg_url, addresses)
    db = Database(pg_url)
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(CONFIG.format(db_url=pg_url, smtp_port=h.smtp_port, ca=h.ca_path), encoding="utf-8")
    env = bot_env(CMRT_TEST_SMTP_PASSWORD="botpass")
    runs = [bot_run(config, env=env, log_name=name, tail=3000) for name in ("a.log", "b.log")]
    boxes = Mailboxes(h)

    def ids(address: str) -> list[str]:
        return [str(m["Message-ID"]) for m in boxes.messages(address)]

    def beats() -> dict[str, tuple[int | None, str]]:
        with db.session() as s:
            return {hb.component: (hb.pid, hb.state) for hb in s.scalars(sa.select(Heartbeat))}

    try:
        first = runs[0].start()
        wait_for("the first instance to run", lambda: beats().get("scheduler", (None, ""))[0] == first.pid, 20)
        second = runs[1].start()
        wait_for("the second instance to stand by", lambda: f"standby:{second.pid}" in beats(), 20)
        for address in addresses:
            wait_for(f"the request to {address}", lambda a=address: len(ids(a)) >= 1, 20)  # type: ignore[misc]
        assert beats()["scheduler"][0] == first.pid  # the standby did not start its components

        runs[0].kill(first)
        wait_for("the standby to take over", lambda: beats().get("scheduler") == (second.pid, "running"), 20)
        assert f"standby:{second.pid}" not in beats()
        for address in addresses:
            wait_for(f"the reminder to {address}", lambda a=address: len(ids(a)) >= 2, 30)  # type: ignore[misc]
        time.sleep(3)  # a few more ticks: nothing else may go out
        for address in addresses:
            got = ids(address)
            assert len(got) == 2 and len(set(got)) == 2, got
        with db.session() as s:
            states = {key: state for key, state in s.execute(sa.select(OutreachAction.key, OutreachAction.state))}
        assert sorted(states) == sorted(
            [f"c1:r{n}:request" for n in (1, 2, 3)] + [f"c1:r{n}:reminder:1" for n in (1, 2, 3)]
        )
        assert set(states.values()) == {"done"}

        runs[1].stop(second)
    finally:
        db.dispose()
