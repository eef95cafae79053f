"""Reviews that follow the lists: the three real returns reviewed again after RMI's lists are imported (SQLite and
PostgreSQL); nothing e-mailed, the team told once; ``cmrt-bot review --campaign YEAR [--dry-run]``."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import pathlib
from typing import Any

from bot.cli import main as cli
from cmrt.smelters import load_rmi_file
from handlers.notify import NullNotifier
from handlers.rereview import LISTS, Rereviewer, announce
from handlers.review_context import make_context_factory
from store import campaigns, smelters
from store.models import Review
from store.reviews import latest_told
from tests import all_states
from tests.conftest import corpus_path

RMI = ("RMI_conformant_export_2026-08-22.xml", "RMI_active_export_2026-08-22.xml",
       "RMI_smelter_list_revisions_export_2026-08-22.xml", "RMI_smelter_reference_CMRT_export_2026-08-22.xml")
TODAY = dt.date(2026, 8, 25)


class Recorder(NullNotifier):
    def __init__(self) -> None:
        self.alerts: list[tuple[str, int | None]] = []

    def team_alert(self, text: str, *, request_id: int | None = None) -> None:
        self.alerts.append((text, request_id))


def _import_lists(db: Any) -> None:
    with db.session() as s:
        for name in RMI:
            smelters.add_rmi_list(s, load_rmi_file(name, corpus_path("rmap", name).read_bytes()))


def _rereviewer(db: Any) -> Rereviewer:
    now = dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC)
    return Rereviewer(db, make_context_factory(), clock=lambda: now)


def test_open_requests_are_reviewed_again_after_a_list_import_and_the_team_is_told_once(store_db: Any) -> None:
    ids = all_states.seed(store_db)
    rr = _rereviewer(store_db)
    assert rr.follow(Recorder()) == []  # first sight: the basis is recorded, nothing reviewed
    assert rr.follow(Recorder()) == []  # nothing changed since
    _import_lists(store_db)
    notifier = Recorder()
    (result,) = rr.follow(notifier)
    assert result.reason == LISTS and result.reviewed == 3 and not result.failed  # S01-S03; S10 is closed
    by_key = {c.supplier_key: c for c in result.changes}
    assert (by_key["S01"].before, by_key["S01"].after) == ("accepted", "high_risk")  # CID002513 on neither list
    assert (by_key["S03"].before, by_key["S03"].after) == ("needs_clarification", "high_risk")
    assert by_key["S02"].before == by_key["S02"].after == "high_risk" and by_key["S02"].new  # findings changed
    assert result.headline().startswith("With the lists of 2026-08-22: 2 suppliers changed grade (campaign 2025")
    # no supplier-facing conformance claim about a facility on the Conformant list
    conformant = {e.smelter_id for e in load_rmi_file(RMI[0], corpus_path("rmap", RMI[0]).read_bytes()).entries}
    for change in result.changes:
        for finding in change.new:
            assert not (finding["check"].startswith("smelter.") and "onforman" in finding["message"]
                        and any(cid in finding["message"] for cid in conformant)), finding  # fmt: skip
    # one summary in the channel, one note per affected supplier's thread, nothing to the supplier
    channel = [text for text, rid in notifier.alerts if rid is None]
    threads = {rid for text, rid in notifier.alerts if rid is not None}
    assert len(channel) == 1 and channel[0].startswith("With the lists of 2026-08-22")
    assert threads == {ids["S01"], ids["S02"], ids["S03"]}
    assert all("Nothing was sent to the supplier" in text for text, rid in notifier.alerts if rid)
    assert not announce(store_db, result, Recorder())  # posted once
    with store_db.session() as s:
        stored = s.query(Review).filter(Review.origin == LISTS).all()
        assert len(stored) == 3 and all(r.rmap_date == dt.date(2026, 8, 22) for r in stored)
        told = latest_told(s, ids["S01"])
        assert told is not None and told.origin == "inbound" and told.grade == "accepted"  # not sent
    assert rr.follow(Recorder()) == []  # the basis is current now
    again = rr.run(all_states.YEAR)  # on demand, nothing changed: no new review rows
    assert again.reviewed == 3 and again.changes == []


def test_a_rule_change_is_followed_and_a_dry_run_stores_nothing(store_db: Any) -> None:
    all_states.seed(store_db)
    _import_lists(store_db)
    rr = _rereviewer(store_db)
    rr.follow(None)  # records the basis
    with store_db.session() as s:
        campaign = campaigns.get_by_year(s, all_states.YEAR)
        assert campaign is not None
        campaigns.set_review_override(campaign, "smelter.not_conformant", "info")
    dry = rr.run(all_states.YEAR, dry_run=True)
    assert dry.dry_run and dry.changes and all(c.review_id is None for c in dry.changes)
    with store_db.session() as s:
        assert s.query(Review).count() == 4  # only the seeded ones
    (result,) = rr.follow(None)
    assert result.reason == "rules" and result.changes


def test_cli_review(tmp_path: pathlib.Path, store_db: Any) -> None:
    all_states.seed(store_db)
    _import_lists(store_db)
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(f'[store]\nurl = "{store_db.url}"\n', encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert cli(["--config", str(config), "review", "--campaign", "2025", "--dry-run", "--json"]) == 0
    data = json.loads(out.getvalue())
    assert data["dry_run"] and data["reviewed"] == 3 and data["grade_changes"] == 2
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert cli(["--config", str(config), "review", "--campaign", "2025"]) == 0
        assert cli(["--config", str(config), "review", "--campaign", "1999"]) == 1
    assert "2 suppliers changed grade" in out.getvalue() and "Nothing was e-mailed" in out.getvalue()
    assert "no campaign for reporting year 1999" in err.getvalue()
