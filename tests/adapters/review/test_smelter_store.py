"""RMI lists stored in the database (SQLite and PostgreSQL) come back as the same domain objects, and
``cmrt-bot smelters import`` / ``check --rmap`` work end to end."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from typing import Any

import pytest

from bot.cli import main
from cmrt.review.adhoc import context_for
from cmrt.smelters import ListKind, RmapState, load_rmi_file
from tests.conftest import corpus_path

pytestmark = pytest.mark.corpus

FILES = ("RMI_conformant_export_2026-08-22.xml", "RMI_active_export_2026-08-22.xml",
         "RMI_smelter_list_revisions_export_2026-08-22.xml", "RMI_smelter_reference_CMRT_export_2026-08-22.xml",
         "RMI_smelter_reference_EMRT_export_2026-08-22.xml")


def test_round_trip_through_the_store(store_db: Any) -> None:
    from store import smelters as repo

    originals = {name: load_rmi_file(name, corpus_path("rmap", name).read_bytes()) for name in FILES}
    with store_db.session() as session:
        for item in originals.values():
            repo.add_rmi_list(session, item, sha256=None)
    with store_db.session() as session:
        loaded = repo.latest_rmi_lists(session)
    by_source = {item.source_name: item for item in loaded}
    assert set(by_source) == set(FILES)  # both same-day references are kept
    for name, original in originals.items():
        back = by_source[name]
        assert back.kind is original.kind and back.list_date == original.list_date
        assert back.entries == original.entries
        assert back.revisions == original.revisions
        assert back.reference_entries == original.reference_entries
    ctx = context_for(today=dt.date(2026, 8, 22), lists=loaded)
    assert ctx.rmap is not None and ctx.reference is not None
    assert ctx.rmap.status("CID002082").state is RmapState.CONFORMANT  # on the list: conformant, no expiry
    assert ctx.rmap.status("CID002315").state is RmapState.ACTIVE
    assert ctx.reference.has_id("CID002082") and ctx.reference.has_id("CID003875")  # CMRT and EMRT


def _config(tmp_path: pathlib.Path) -> str:
    from store import upgrade

    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    path = tmp_path / "cmrt-bot.toml"
    path.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    return str(path)


def test_cli_smelters_import_and_list(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path)
    files = [str(corpus_path("rmap", name)) for name in FILES[:2]]
    bogus = tmp_path / "notes.csv"
    bogus.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["--config", config, "smelters", "import", "--json", *files, str(bogus)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [r.get("status") for r in report] == ["imported", "imported", None]
    assert report[0]["kind"] == "conformant" and report[0]["rows"] == 420 and report[0]["list_date"] == "2026-08-22"
    assert "not an RMI list" in report[2]["error"]
    assert main(["smelters", "import", "--config", config, files[1]]) == 0
    assert "already imported" in capsys.readouterr().out
    assert main(["smelters", "list", "--config", config, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["kind"], r["rows"]) for r in listed] == [("conformant", 420), ("active", 24)]
    assert main(["smelters", "show", "--config", config, "--json", "cid002315", "CID000004", "CID999999"]) == 0
    shown = {r["smelter_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert shown["CID002315"]["rmap_status"] == "active"
    assert shown["CID000004"]["valid_until"] is None  # RMI publishes no expiry: none is invented
    assert shown["CID000004"]["audit_due"] == "2027-10-18"  # 18-Oct-2024 + "3 Years": when a re-audit is due
    assert shown["CID000004"]["rmap_status_text"].startswith("conformant (list of 2026-08-22")
    assert shown["CID999999"]["rmap_status"] == "not_listed" and shown["CID999999"]["rmap_list_date"] == "2026-08-22"


def test_cli_check_with_rmap(capsys: pytest.CaptureFixture[str]) -> None:
    workbook = str(corpus_path("returned", "CMRT_6.4_CentralGlass.xlsx"))
    rmap = [str(corpus_path("rmap", name)) for name in FILES[:2]]
    assert main(["check", "--json", workbook, "--rmap", rmap[0], "--rmap", rmap[1]]) == 0
    (obj,) = json.loads(capsys.readouterr().out)
    review = obj["review"]
    assert set(review) >= {"grade", "score", "catalogue_version", "findings"}
    assert review["grade"] == "high_risk" and review["rmap_date"] == "2026-08-22"
    checks = [(f["check"], f["sheet"], f["cell"]) for f in review["findings"]]
    assert ("company.email_invalid", "Declaration", "D16") in checks
    assert ("smelter.not_conformant", "Smelter List", "F7") in checks


def test_cli_check_rejects_a_bad_rmap_file(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "list.xml"
    bogus.write_text("<html/>", encoding="utf-8")
    workbook = str(corpus_path("returned", "CMRT_6.4_JX.xlsx"))
    assert main(["check", workbook, "--rmap", str(bogus)]) == 2
    assert "--rmap" in capsys.readouterr().err


def test_kinds_are_recognised_from_headers_not_names() -> None:
    data = corpus_path("rmap", FILES[1]).read_bytes()
    assert load_rmi_file("whatever.xml", data).kind is ListKind.ACTIVE
