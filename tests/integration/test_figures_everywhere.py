"""One store holding every request state (tests/all_states.py); every surface prints the same figures, on SQLite
and PostgreSQL: ``cmrt-bot status`` (text and JSON), ``cmrt-bot report`` (text, Markdown, JSON, XLSX), and in Slack
``/cmrt status``, ``/cmrt report``, the digest and the App Home (the real Bolt app over signed HTTP requests and a
fake Slack Web API)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import pathlib
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest

from bot.cli import main as cli
from handlers.slack.deps import ChatOps
from handlers.slack.digest import DigestSchedule, send_digest_if_due
from handlers.slack.home import PublishCache, publish_home
from tests import all_states
from tests.adapters.slack.conftest import MEMBER, command_payload, form, http_chatops, post_signed
from tests.fakes.slack_api import FakeSlackAPI

pytestmark = pytest.mark.corpus

E = all_states.EXPECTED
LINES = all_states.EXPECTED_LINES
NOW = dt.datetime.combine(all_states.AFTER_DUE, dt.time(9, 30), tzinfo=dt.UTC)


def run(*argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert cli(list(argv)) == 0, err.getvalue()
    return out.getvalue()


def assert_lines(text: str, where: str) -> None:
    for line in LINES:
        assert line in text, f"{where} lacks {line!r}"


def assert_figures(data: dict[str, Any], where: str) -> None:
    assert {k: data[k] for k in E} == E, where


@pytest.fixture
def slack(store_db: Any) -> Iterator[tuple[FakeSlackAPI, ChatOps, str]]:
    with http_chatops(store_db, NOW) as side:
        yield side


def test_every_surface_prints_the_same_figures(store_db: Any, tmp_path: pathlib.Path,
                                               slack: tuple[FakeSlackAPI, ChatOps, str]) -> None:
    all_states.seed(store_db)
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(f'[store]\nurl = "{store_db.url}"\n', encoding="utf-8")
    as_of = all_states.AFTER_DUE.isoformat()

    # cmrt-bot status (any day after the due date gives the same overdue count)
    status = json.loads(run("--config", str(config), "status", "--json"))
    assert_figures(status["figures"], "status --json figures")
    assert (status["answered"], status["response_rate"], status["overdue"]) == (E["responded"], 0.5, E["overdue"])
    assert status["grades"] == E["grades"] and status["requests"] == E["suppliers"]
    assert_lines(run("--config", str(config), "status"), "status")

    # cmrt-bot report
    report = json.loads(run("--config", str(config), "report", "--json", "--as-of", as_of))
    assert_figures(report["figures"], "report --json figures")
    assert report["figures"]["company_level"] == 1 and report["figures"]["scope_unknown"] == 1
    assert_lines(run("--config", str(config), "report", "--as-of", as_of), "report")
    md = run("--config", str(config), "report", "--format", "md", "--as-of", as_of)
    for row in ("| Surveyed | 8 |", "| Responded | 4 |", "| Response rate | 50.0 % |", "| Grade: high risk | 1 |",
                "| Company-level declarations | 1 |", "| Questions without a workbook | 1 |",
                "| Overdue (due 2026-03-31) | 4 |", "| Bounced | 1 |", "| Exempt | 1 |", "| Not yet sent | 1 |"):
        assert row in md, row  # fmt: skip
    assert "surveying 8 suppliers" in md and "4 suppliers responded, a response rate of 50.0 %" in md
    run("--config", str(config), "report", "--as-of", as_of, "--smelters", str(tmp_path / "report.xlsx"))
    book = openpyxl.load_workbook(tmp_path / "report.xlsx", read_only=True)
    sheet = {k: v for k, v in book["Survey figures"].iter_rows(min_row=2, values_only=True)}
    book.close()
    assert (sheet["Suppliers surveyed"], sheet["Suppliers responded"], sheet["Response rate"]) == (8, 4, 0.5)
    assert (sheet["Grade: high risk"], sheet["Overdue (due 2026-03-31)"], sheet["Bounced"]) == (1, 4, 1)

    # Slack: /cmrt status, /cmrt report, the digest, the App Home
    api, ops, url = slack
    assert post_signed(url, form(command_payload("status", api=api, trigger="s1")))[0] == 200
    reply = api.wait_for("response_url")[0]
    assert_lines(json.dumps(reply.json_arg("blocks"), ensure_ascii=False), "/cmrt status")
    assert post_signed(url, form(command_payload("report", api=api, trigger="r1")))[0] == 200
    posted = api.wait_for("chat.postMessage")[0]
    text = json.dumps(posted.json_arg("blocks"), ensure_ascii=False)
    assert_lines(text, "/cmrt report")
    assert "surveying 8 suppliers" in text and "a response rate of 50.0 %" in text
    client = ops.notifier.client  # type: ignore[attr-defined]
    assert send_digest_if_due(client, ops, DigestSchedule(frequency="daily"), NOW)
    digest = api.wait_for("chat.postMessage", count=2)[1]
    assert_lines(json.dumps(digest.json_arg("blocks"), ensure_ascii=False), "digest")
    assert publish_home(ops, client, MEMBER, PublishCache(60))
    home = api.wait_for("views.publish")[0].json_arg("view")
    assert_lines(json.dumps(home, ensure_ascii=False), "App Home")
