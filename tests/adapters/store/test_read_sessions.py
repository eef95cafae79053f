"""Read-only units of work (``Database.read_session``): what ``report``, ``rollup``, ``status`` and ``plan`` read
with. A writer commits while one is open (SQLite: no write lock is taken), a write inside one fails, and the
connection it used writes again afterwards. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from handlers.report import build_report, stream_smelters
from store import Database, campaigns
from store.models import Supplier
from tests import all_states


def _rename(url: str, external_id: str, name: str, done: threading.Event) -> None:
    with Database(url) as writer, writer.session() as s:
        s.execute(sa.update(Supplier).where(Supplier.external_id == external_id).values(name=name))
    done.set()


def test_a_writer_commits_while_a_report_reads(store_db: Any) -> None:
    all_states.seed(store_db)
    committed = threading.Event()
    with store_db.read_session() as s:
        campaign = campaigns.get_by_year(s, all_states.YEAR)
        assert campaign is not None
        stream = stream_smelters(s, campaign.id)
        first = next(stream)  # the report is half-way through its declarations
        writer = threading.Thread(target=_rename, args=(store_db.url, "S07", "Renamed Ltd", committed))
        writer.start()
        writer.join(timeout=10)
        assert committed.is_set(), "the writer waited for the report's read session"
        rest = list(stream)
        report = build_report(s, campaign, today=all_states.AFTER_DUE)
        name = s.execute(sa.select(Supplier.name).where(Supplier.external_id == "S07")).scalar_one()
    assert [first.supplier, *(item.supplier for item in rest)] == ["S01", "S02", "S03", "S10"]
    assert {k: report.figures.to_json()[k] for k in all_states.EXPECTED} == all_states.EXPECTED
    assert name != "Renamed Ltd"  # the read session sees one snapshot, taken before the write
    with store_db.read_session() as s:
        assert s.execute(sa.select(Supplier.name).where(Supplier.external_id == "S07")).scalar_one() == "Renamed Ltd"
    assert campaign.year == all_states.YEAR and campaign.due_date == all_states.DUE  # still readable after it


def test_what_a_read_session_loaded_stays_readable_after_it(store_db: Any) -> None:
    all_states.seed(store_db)
    with store_db.read_session() as s:
        campaign = campaigns.get_by_year(s, all_states.YEAR)
        supplier = s.execute(sa.select(Supplier).where(Supplier.external_id == "S01")).scalar_one()
    assert campaign is not None and campaign.year == all_states.YEAR and supplier.name
    with store_db.session() as s:  # and the pooled connection writes again
        s.execute(sa.update(Supplier).where(Supplier.external_id == "S01").values(name="Written"))


def test_a_read_session_refuses_writes_and_leaves_its_connection_writable(store_db: Any) -> None:
    all_states.seed(store_db)
    with pytest.raises(sa.exc.DBAPIError), store_db.read_session() as s:
        s.execute(sa.update(Supplier).values(name="Changed"))
    with store_db.read_session() as s:
        assert "Changed" not in s.execute(sa.select(Supplier.name)).scalars().all()
    for _ in range(3):  # whichever pooled connection the read sessions used
        with store_db.session() as s:
            s.execute(sa.update(Supplier).where(Supplier.external_id == "S01").values(name="Written"))
    with store_db.session() as s:
        assert s.execute(sa.select(Supplier.name).where(Supplier.external_id == "S01")).scalar_one() == "Written"
