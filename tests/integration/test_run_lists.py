"""``cmrt-bot run`` keeps RMI's lists current and the reviews follow them: a real bot process against a local
HTTP server serving RMI's exports. A 500 keeps the (empty) previous state and the bot running; once the lists
download, they are imported all at once and the open requests' workbooks are reviewed again (nothing e-mailed)."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from store import Database, runtime, upgrade
from store.models import Review, SmelterList
from tests import all_states
from tests.conftest import corpus_path
from tests.fakes.rmi_server import rmi_server
from tests.integration.bot_process import BotRun, wait_for

CONFORMANT = "/facilities-lists/export-all-conformant/"
pytestmark = [pytest.mark.slow, pytest.mark.corpus]

CONFIG = """
[store]
url = "{url}"

[mail]
inbound = "none"
outbound = "maildir"
outbound_maildir_path = "{outbox}"

[outreach]
from_address = "cmrt@example.test"

[schedule]
business_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
quiet_hours = []
tick = "1s"

[smelters]
refresh = "7d"
conformant_url = "{conformant}"
active_url = "{active}"
reference_urls = ["{reference}"]
"""


def test_run_fetches_rmis_lists_and_reviews_open_requests_again(
    bot_run: Callable[..., BotRun], tmp_path: pathlib.Path
) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    with Database(url) as db:
        all_states.seed(db)
    files = {kind: corpus_path("rmap", f"RMI_{kind}_export_2026-08-22.xml").read_bytes()
             for kind in ("conformant", "active", "smelter_reference_CMRT")}  # fmt: skip
    with rmi_server() as rmi:
        conformant = rmi.fail(CONFORMANT, 500)
        active = rmi.serve("/facilities-lists/export-all-active/", files["active"])
        reference = rmi.serve("/lookup/cmrt.xml", files["smelter_reference_CMRT"],
                              filename="RMI_smelter_reference_CMRT_export_2026-08-22.xml")  # fmt: skip
        config = tmp_path / "cmrt-bot.toml"
        config.write_text(CONFIG.format(url=url, outbox=tmp_path / "outbox", conformant=conformant, active=active,
                                        reference=reference), encoding="utf-8")  # fmt: skip

        run = bot_run(config)

        # 1. RMI answers 500: nothing is imported, the bot keeps running, the failure is recorded with a back-off
        proc = run.start()
        state = wait_for("the failed fetch", lambda: _fetch_state(url), 90, proc, interval=0.3)
        assert state["failures"] == 1 and "HTTP 500" in state["last_problem"] and rmi.hits[CONFORMANT] == 1
        next_try = dt.datetime.fromisoformat(state["next_try"])
        assert dt.timedelta(minutes=50) < next_try - dt.datetime.fromisoformat(state["last_try"])
        assert _count(url, SmelterList) == 0
        time.sleep(2)  # more ticks: no retry before the back-off
        assert rmi.hits[CONFORMANT] == 1 and proc.poll() is None
        run.stop(proc)
        assert "could not be fetched" in run.text()

        # 2. later (the back-off has passed) RMI answers: every list at once, then the reviews follow the lists
        rmi.serve(CONFORMANT, files["conformant"])
        with Database(url) as db, db.session() as s:
            state = runtime.get_value(s, "smelter_lists_fetch") or {}
            runtime.set_value(s, "smelter_lists_fetch", {**state, "next_try": dt.datetime.now(dt.UTC).isoformat()})
        proc = run.start()
        wait_for("the re-reviews", lambda: _count(url, Review, Review.origin == "lists") == 3, 120, proc, interval=0.3)
        assert _count(url, SmelterList) == 3
        status = json.loads(run.cli("status", "--json").stdout)
        assert status["lists_fetch"]["failures"] == 0 and status["rmap_list_date"] == "2026-08-22"
        assert status["figures"]["responded"] == all_states.EXPECTED["responded"]
        age = (dt.date.today() - dt.date(2026, 8, 22)).days
        assert status["rmap_lists_stale"] is (age > 45)
        run.stop(proc)
    # nothing was e-mailed because the lists changed: the outbox holds only the outreach's own e-mails
    sent = list((tmp_path / "outbox" / "new").glob("*")) if (tmp_path / "outbox" / "new").exists() else []
    assert not any(b"reviewed your declaration again" in p.read_bytes() for p in sent)


def _fetch_state(url: str) -> dict[str, Any] | None:
    with Database(url) as db, db.session() as s:
        return runtime.get_value(s, "smelter_lists_fetch")


def _count(url: str, model: Any, *where: Any) -> int:
    with Database(url) as db, db.session() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)
