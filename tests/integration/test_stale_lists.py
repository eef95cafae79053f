"""RMI's lists older than ``[smelters] max_list_age`` (default 45 days): the team sees the stale-list warning in
``cmrt-bot status``, ``cmrt-bot report``, Slack's ``/cmrt status``, ``/cmrt report`` and the digest, and every
status names its list and its age; with current lists there is no warning. On SQLite and PostgreSQL, with the
store of every request state (tests/all_states.py) and RMI's lists of 2026-08-22 from ../shared/cmrt/rmap."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from bot.cli import main as cli
from handlers.slack.deps import ChatOps
from handlers.slack.digest import DigestSchedule, send_digest_if_due
from tests import all_states
from tests.adapters.slack.conftest import command_payload, form, http_chatops, post_signed
from tests.conftest import corpus_path
from tests.fakes.slack_api import FakeSlackAPI
from tests.integration.test_report_cli import RMI_FILES

pytestmark = pytest.mark.corpus

LATER = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)  # the lists of 2026-08-22 are 101 days old
STALE = "The RMAP status lists are of 2026-08-22, 101 days old (more than 45)"


def run(*argv: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert cli(list(argv)) == 0, err.getvalue()
    return out.getvalue(), err.getvalue()


@pytest.fixture
def slack(store_db: Any) -> Iterator[tuple[FakeSlackAPI, ChatOps, str]]:
    with http_chatops(store_db, LATER) as side:
        yield side


def test_stale_lists_are_named_on_every_surface(store_db: Any, tmp_path: pathlib.Path,
                                                slack: tuple[FakeSlackAPI, ChatOps, str]) -> None:  # fmt: skip
    all_states.seed(store_db)
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(f'[store]\nurl = "{store_db.url}"\n', encoding="utf-8")
    run("--config", str(config), "smelters", "import", *(str(corpus_path("rmap", name)) for name in RMI_FILES))

    # cmrt-bot report: current lists on 2026-09-01, stale ones on 2026-12-01; each status names its list
    fresh, _ = run("--config", str(config), "report", "--as-of", "2026-09-01")
    assert "RMAP status lists are of" not in fresh and "lists of 2026-08-22" in fresh
    stale, err = run("--config", str(config), "report", "--as-of", "2026-12-01")
    assert STALE in stale and "WARNING" in err
    data = json.loads(run("--config", str(config), "report", "--as-of", "2026-12-01", "--json")[0])
    assert data["rmap_lists_stale"] is True
    listed = [r for r in data["smelters"]["rows"] if r["rmap_status"] in ("conformant", "active")]
    assert listed and all(r["rmap_list_date"] == "2026-08-22" for r in listed)
    assert all("list of 2026-08-22, 101 days old" in r["rmap_status_text"] for r in listed)

    # cmrt-bot status: today is after 2026-10-06 on every clock this test runs on, so the lists are stale
    status = json.loads(run("--config", str(config), "status", "--json")[0])
    assert status["rmap_lists_stale"] is True
    assert any(w.startswith("The RMAP status lists are of 2026-08-22, ") for w in status["warnings"])
    assert "The RMAP status lists are of 2026-08-22, " in run("--config", str(config), "status")[0]

    # Slack on 2026-12-01: /cmrt status, /cmrt report and the digest
    api, ops, url = slack
    assert post_signed(url, form(command_payload("status", api=api, trigger="s1")))[0] == 200
    reply = api.wait_for("response_url")[0]
    assert STALE in json.dumps(reply.json_arg("blocks"), ensure_ascii=False)
    assert post_signed(url, form(command_payload("report", api=api, trigger="r1")))[0] == 200
    posted = api.wait_for("chat.postMessage")[0]
    assert STALE in json.dumps(posted.json_arg("blocks"), ensure_ascii=False)
    client = ops.notifier.client  # type: ignore[attr-defined]
    assert send_digest_if_due(client, ops, DigestSchedule(frequency="daily"), LATER)
    digest = api.wait_for("chat.postMessage", count=2)[1]
    assert STALE in json.dumps(digest.json_arg("blocks"), ensure_ascii=False)
