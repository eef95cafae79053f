"""``smelters fetch`` against a local HTTP server serving RMI's real exports: success, a 500, truncated files and
an unreachable server each leave a consistent store (all lists of one fetch, or the previous ones), on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import re
import socket
from typing import Any

import pytest

from bot.cli import main
from bot.downloads import HttpDownloader
from handlers.smelter_lists import fetch_lists
from store import Database, upgrade
from store import smelters as repo
from tests.conftest import corpus_path
from tests.fakes.rmi_server import FakeRmi, rmi_server

TODAY = dt.date(2026, 8, 22)
CONFORMANT = "RMI_conformant_export_2026-08-22.xml"
ACTIVE = "RMI_active_export_2026-08-22.xml"
REVISIONS = "RMI_smelter_list_revisions_export_2026-08-22.xml"
REFERENCE = "RMI_smelter_reference_CMRT_export_2026-08-22.xml"


def _bytes(name: str) -> bytes:
    return corpus_path("rmap", name).read_bytes()


def _urls(rmi: FakeRmi, *, all_lists: bool = True) -> list[tuple[str, str]]:
    """RMI's own layout: the Conformant export has no date in its address or sheet (it is dated by the download)."""
    urls = [
        ("conformant", rmi.serve("/facilities-lists/export-all-conformant/", _bytes(CONFORMANT))),
        ("active", rmi.serve("/facilities-lists/export-all-active/", _bytes(ACTIVE))),
    ]
    if all_lists:
        urls.append(("reference", rmi.serve("/smelter-lookup/cmrt.xml", _bytes(REFERENCE), filename=REFERENCE)))
        urls.append(("revisions", rmi.serve("/smelter-lookup/revisions.xml", _bytes(REVISIONS), filename=REVISIONS)))
    return urls


def _stored(db: Any) -> list[tuple[str, str | None, int]]:
    with db.session() as session:
        return [(sl.kind.value, sl.list_date.isoformat() if sl.list_date else None, sl.row_count)
                for sl in repo.lists(session)]  # fmt: skip


def _fetch(db: Any, urls: list[tuple[str, str]], today: dt.date = TODAY) -> Any:
    return fetch_lists(db, urls, HttpDownloader(timeout=5), today=today)


def _drop_rows(xml: bytes, cids: list[str]) -> bytes:
    """The export without the rows naming ``cids`` (a newer list on which they are no longer conformant)."""
    text = xml.decode("utf-8-sig")
    for cid in cids:
        text = re.sub(r"<Row>(?:(?!</Row>).)*?" + cid + r"(?:(?!</Row>).)*?</Row>", "", text, count=1, flags=re.S)
    return text.encode("utf-8")


def test_fetch_imports_every_list_and_reports_the_changes(store_db: Any) -> None:
    with rmi_server() as rmi:
        urls = _urls(rmi)
        report = _fetch(store_db, urls)
        assert report.ok and report.new_lists, report.problems
        assert [(i["kind"], i["status"]) for i in report.imported] == [
            ("conformant", "imported"), ("active", "imported"), ("reference", "imported"), ("revisions", "imported")]
        # the Conformant export is dated the day it was downloaded; the Active one by its sheet name
        assert _stored(store_db) == [("conformant", "2026-08-22", 420), ("active", "2026-08-22", 24),
                                     ("reference", "2026-08-22", 666), ("revisions", "2026-08-22", 588)]
        assert report.list_date == TODAY
        tin = report.changes["Tin"]
        assert tin.new_conformant and not tin.no_longer_conformant  # the first import: everything is new
        # the same files again: nothing stored twice, nothing changed
        again = _fetch(store_db, urls)
        assert again.ok and not again.new_lists and not again.changes
        assert len(_stored(store_db)) == 4
        # a week later RMI's list lacks two facilities
        later = TODAY + dt.timedelta(days=7)
        fewer = _drop_rows(_bytes(CONFORMANT), ["CID002082", "CID000004"])
        rmi.serve("/facilities-lists/export-all-conformant/", fewer)
        newer = _fetch(store_db, urls, later)
        assert newer.ok and newer.new_lists
        assert newer.changes["Tungsten"].no_longer_conformant == ["CID000004", "CID002082"]
        assert "Tungsten: 2 no longer conformant" in " ".join(newer.lines())
        with store_db.session() as session:
            current = repo.latest_list(session, repo.SmelterListKind.CONFORMANT)
            assert current is not None and current.list_date == later and current.row_count == 418


@pytest.mark.parametrize("failure", ["http_500", "truncated_body", "dropped_connection", "offline", "not_a_list"])
def test_a_failed_download_keeps_the_previous_lists(store_db: Any, failure: str) -> None:
    with rmi_server() as rmi:
        urls = _urls(rmi, all_lists=False)
        assert _fetch(store_db, urls).ok
        before = _stored(store_db)
        path = "/facilities-lists/export-all-conformant/"
        newer = _drop_rows(_bytes(CONFORMANT), ["CID002082"])
        if failure == "http_500":
            rmi.fail(path, 500)
        elif failure == "truncated_body":  # the server sends half a file and says that is all
            rmi.serve(path, newer[: len(newer) // 2])
        elif failure == "dropped_connection":  # Content-Length promises more than arrives
            rmi.truncate(path, newer)
        elif failure == "not_a_list":  # a login or error page with HTTP 200
            rmi.serve(path, b"<html><body>Please sign in</body></html>")
        else:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                closed = probe.getsockname()[1]
            urls = [(k, f"http://127.0.0.1:{closed}/x") if k == "conformant" else (k, u) for k, u in urls]
        # the other lists are new too: none of them may be imported without the conformant one
        rmi.serve("/facilities-lists/export-all-active/", _bytes(ACTIVE).replace(b"2026-08-22", b"2026-08-29"))
        report = _fetch(store_db, urls, TODAY + dt.timedelta(days=7))
        assert not report.ok and report.problems[0].startswith("conformant (")
        assert "NOT updated" in report.lines()[0]
        assert _stored(store_db) == before


def test_a_list_that_shrank_by_half_is_refused(store_db: Any) -> None:
    with rmi_server() as rmi:
        urls = _urls(rmi, all_lists=False)
        assert _fetch(store_db, urls).ok
        text = _bytes(CONFORMANT).decode("utf-8-sig")
        rows = list(re.finditer(r"<Row>.*?</Row>", text, flags=re.S))
        shrunk = (text[: rows[0].start()] + "".join(m.group(0) for m in rows[:150]) + text[rows[-1].end():]).encode()
        rmi.serve("/facilities-lists/export-all-conformant/", shrunk)
        report = _fetch(store_db, urls, TODAY + dt.timedelta(days=7))
        assert not report.ok and "probably a broken download" in report.problems[0]


def test_cli_smelters_fetch(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    with rmi_server() as rmi:
        conformant = rmi.serve("/c", _bytes(CONFORMANT), filename=CONFORMANT)
        active = rmi.serve("/a", _bytes(ACTIVE))
        config = tmp_path / "cmrt-bot.toml"
        config.write_text(f'[store]\nurl = "{url}"\n[smelters]\nconformant_url = "{conformant}"\n'
                          f'active_url = "{active}"\n', encoding="utf-8")  # fmt: skip
        assert main(["--config", str(config), "smelters", "fetch"]) == 0
        out = capsys.readouterr().out
        assert "conformant list of 2026-08-22: 420 rows, imported" in out
        assert "Gold: 94 new conformant, 3 newly active" in out
        rmi.fail("/a", 503)
        assert main(["--config", str(config), "smelters", "fetch", "--json"]) == 1
        data = json.loads(capsys.readouterr().out)
        assert not data["ok"] and "HTTP 503" in data["problems"][0]
        bad = rmi.url("/missing")
        assert main(["--config", str(config), "smelters", "fetch", "--url", f"active={bad}"]) == 1
        assert "HTTP 404" in capsys.readouterr().out
    with Database(url) as db:
        assert [k for k, _, _ in _stored(db)] == ["conformant", "active"]
