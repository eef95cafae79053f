"""``cmrt-bot report`` on SQLite and PostgreSQL: survey figures and the consolidated smelter list from stored
declarations (read from real workbooks), RMI lists imported with ``cmrt-bot smelters import``."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import io
import json
import pathlib
from typing import Any

import openpyxl
import pytest

from bot.cli import main as cli
from cmrt.outreach.states import RequestState
from cmrt.smelters import load_rmi_file
from cmrt.workbook import read_workbook
from cmrt.workbook.factory import ProductSpec, SmelterSpec, build_cmrt
from store import Database, campaigns, messages
from store.models import Direction
from store.suppliers import SupplierData, upsert
from tests.conftest import corpus_path

RMI_FILES = (
    "RMI_active_export_2026-08-22.xml",
    "RMI_conformant_export_2026-08-22.xml",
    "RMI_smelter_list_revisions_export_2026-08-22.xml",
    "RMI_smelter_reference_CMRT_export_2026-08-22.xml",
)
REAL_RETURNS = ("CMRT_6.4_CentralGlass.xlsx", "CMRT_6.4_Honeywell.xlsx", "CMRT_6.4_JX.xlsx")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli(list(argv))
    return rc, out.getvalue(), err.getvalue()


@functools.cache
def factory_declarations() -> dict[str, dict[str, Any]]:
    """Two fixture-factory workbooks, read by the real reader (computed once per session)."""
    company = build_cmrt()  # Asahi (Au), F&X (Ta), Minsur (Sn), Wolfram Bergbau (W), a 'not listed' gold refinery
    product = build_cmrt(
        scope="B. Product (or List of Products)",
        products=[ProductSpec("P-100", "Widget")],
        smelters=[
            SmelterSpec("Gold", "Asahi Pretec Corp.", country="JAPAN", smelter_id="CID000082", id_input="CID000082"),
            SmelterSpec("Tin", "Minsur", country="PERU", smelter_id="CID001182", id_input="CID001182"),
            SmelterSpec("Tungsten", "Smelter not yet identified", source=None),
        ],
    )
    return {"company": read_workbook(company).to_json(), "product": read_workbook(product).to_json()}


@functools.cache
def real_declarations() -> dict[str, dict[str, Any]]:
    return {name: read_workbook(corpus_path("returned", name).read_bytes()).to_json() for name in REAL_RETURNS}


def seed(url: str, declarations: list[dict[str, Any] | None], *, extra_sent: int = 1) -> None:
    """Suppliers S01..; one campaign 2025; S0n answered with declarations[n-1] (None: still waiting)."""
    with Database(url) as db, db.session() as session:
        suppliers = []
        count = len(declarations) + extra_sent + 1
        for i in range(1, count + 1):
            supplier, _ = upsert(session, SupplierData(f"S{i:02d}", f"Supplier {i} Ltd.", f"c{i}@s{i}.example.com"))
            suppliers.append(supplier)
        session.flush()
        campaign = campaigns.create(session, year=2025, due_date=dt.date(2026, 3, 31), suppliers=suppliers)
        session.flush()
        reqs = sorted(campaign.requests, key=lambda r: r.supplier.external_id)
        for req, declaration in zip(reqs, declarations, strict=False):
            req.state = RequestState.RESPONDED
            req.responded_at = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
            raw = f"Subject: CMRT {req.token}\r\n\r\nattached".encode()
            msg, _ = messages.add(session, direction=Direction.IN, message_id=f"<{req.token}@test>", raw=raw,
                                  request_id=req.id)  # fmt: skip
            older, _ = messages.add_submission(session, msg, filename="old.xlsx", content=b"old " + raw,
                                                keep_bytes=True)
            older.declaration = {"company": {"scope": "company"}, "smelters": [
                {"row": 5, "metal": "Gold", "lookup": "Superseded Refinery", "smelter_id": "CID999999"}]}
            sub, _ = messages.add_submission(session, msg, filename="cmrt.xlsx", content=raw,
                                              keep_bytes=True)
            sub.declaration = declaration
            messages.add_review(session, sub, grade="accepted", catalogue_version="test", findings=[])
        for req in reqs[len(declarations) : len(declarations) + extra_sent]:
            req.state = RequestState.SENT
        reqs[-1].state = RequestState.EXEMPT


def configure(tmp_path: pathlib.Path, url: str) -> str:
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    rc, out, err = run("--config", str(config), "db", "upgrade")
    assert rc == 0, (out, err)
    return str(config)


def test_report_figures_and_smelters_without_rmi_lists(store_url: str, tmp_path: pathlib.Path) -> None:
    config = configure(tmp_path, store_url)
    decls = factory_declarations()
    seed(store_url, [decls["company"], decls["product"]])
    rc, out, err = run("--config", config, "report", "--json", "--as-of", "2026-09-01")
    assert rc == 0, err
    data = json.loads(out)
    assert set(data) >= {"campaign", "figures", "smelters", "rmap_list_date", "as_of"}
    assert data["campaign"]["year"] == 2025 and data["rmap_list_date"] is None
    figures = data["figures"]
    assert (figures["surveyed"], figures["responded"], figures["response_rate"]) == (3, 2, 0.6667)
    assert (figures["company_level"], figures["product_level"], figures["user_defined"]) == (1, 1, 0)
    assert figures["grades"]["accepted"] == 2 and figures["exempt"] == 1
    smelters = data["smelters"]
    rows = {(r["metal"], r["smelter_id"]): r for r in smelters["rows"]}
    # only the latest submission counts: the superseded CID999999 is nowhere
    assert sorted(rows) == [("Gold", "CID000082"), ("Tantalum", "CID000460"), ("Tin", "CID001182"),
                            ("Tungsten", "CID002044")]  # fmt: skip
    assert rows[("Gold", "CID000082")]["suppliers"] == 2 and rows[("Tin", "CID001182")]["suppliers"] == 2
    assert all(r["rmap_status"] == "unknown" for r in smelters["rows"])
    reasons = sorted(r["reason"] for r in smelters["rejected"])
    assert reasons == ["no_reference", "not_yet_identified"]
    assert smelters["by_metal"]["Gold"]["smelters"] == 1
    assert "S01" not in out and "supplier_keys" not in out  # roll-ups never name suppliers

    target = tmp_path / "smelters.csv"
    rc, out, err = run("--config", config, "report", "--smelters", str(target), "--with-suppliers")
    assert rc == 0, err
    assert "Suppliers surveyed: 3 of 4 (1 exempt)." in out and "Smelters (no RMAP list imported)" in out
    assert "unknown (no RMAP list imported)" in out and "0.0 %" not in out
    with target.open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert [r["smelter_id"] for r in table] == ["CID000082", "CID000460", "CID001182", "CID002044"]
    assert table[0]["supplier_keys"] == "S01; S02"
    rejected = (tmp_path / "smelters.rejected.csv").read_text(encoding="utf-8").splitlines()
    assert rejected[0].startswith("metal,reason,message") and len(rejected) == 3

    rc, _, err = run("--config", config, "report", "--campaign", "2019")
    assert rc == 1 and "no campaign for reporting year 2019" in err
    rc, _, err = run("--config", config, "report", "--smelters", str(tmp_path / "x.pdf"))
    assert rc == 2 and "must end in .csv or .xlsx" in err


def test_report_on_real_returns_with_imported_rmi_lists(store_url: str, tmp_path: pathlib.Path) -> None:
    lists = [str(corpus_path("rmap", name)) for name in RMI_FILES]
    real = real_declarations()
    config = configure(tmp_path, store_url)
    rc, out, err = run("--config", config, "smelters", "import", *lists)
    assert rc == 0, (out, err)
    seed(store_url, [*real.values(), factory_declarations()["company"]], extra_sent=0)
    target = tmp_path / "smelters.xlsx"
    rc, out, err = run("--config", config, "report", "--json", "--as-of", "2026-09-01", "--smelters", str(target))
    assert rc == 0, err
    data = json.loads(out)
    assert data["rmap_list_date"] == "2026-08-22" and data["reference_list_date"] == "2026-08-22"
    figures = data["figures"]
    assert (figures["surveyed"], figures["responded"]) == (4, 4)
    assert (figures["company_level"], figures["product_level"], figures["user_defined"]) == (2, 1, 1)
    smelters = data["smelters"]
    assert smelters["suppliers"] == 4
    rows = {(r["metal"], r["smelter_id"]): r for r in smelters["rows"]}
    fx = rows[("Tantalum", "CID000460")]  # F&X: two real returns and the fixture workbook
    assert fx["suppliers"] == 3 and fx["standard_name"] == "F&X Electro-Materials Ltd." and fx["matched_by"] == "id"
    assert fx["rmap_status"] == "conformant" and fx["valid_until"] is None and fx["rmap_list_date"] == "2026-08-22"
    statuses = {r["rmap_status"] for r in smelters["rows"]}
    assert statuses <= {"conformant", "active", "removed", "not_conformant"}
    # everything on RMI's Conformant list is conformant on the list date (re-audits carried, no expiry invented)
    conformant_ids = {e.smelter_id for e in load_rmi_file(RMI_FILES[1], corpus_path("rmap", RMI_FILES[1]).read_bytes())
                      .entries}  # fmt: skip
    for row in smelters["rows"]:
        assert (row["rmap_status"] == "conformant") is (row["smelter_id"] in conformant_ids), row
        assert "2026-08-22" in row["rmap_status_text"]
    assert any(r["reaudit_in_progress"] for r in smelters["rows"])
    assert data["rmap_lists_stale"] is False and data["cmr_paragraph"].startswith("For reporting year 2025")
    by_metal = smelters["by_metal"]
    assert sum(m["smelters"] for m in by_metal.values()) == len(smelters["rows"])
    for metal in by_metal.values():
        if metal["smelters"]:
            share = metal["conformant"] / metal["smelters"] * 100
            assert metal["percent_conformant"] == round(share, 1)
    assert "CHINA" in smelters["countries"]
    # declared mine countries: recognised names only, counted by suppliers ("see RCOI list" is no country)
    assert smelters["mine_countries"] and all(n >= 1 for n in smelters["mine_countries"].values())
    assert not any("RCOI" in c or "RMI" in c for c in smelters["mine_countries"])
    rejected = {r["reason"] for r in smelters["rejected"]}
    assert "id_not_in_reference" in rejected  # CID000766 / CID002842 are not on the 2026-08-22 reference
    assert [r["metal"] for r in smelters["rows"]] == sorted(r["metal"] for r in smelters["rows"])
    book = openpyxl.load_workbook(target, read_only=True)
    assert book.sheetnames == [
        "Read me", "Survey figures", "Consolidated smelters", "Rejected entries", "Summary by metal", "Mine countries"
    ]
    survey = {k: v for k, v in book["Survey figures"].iter_rows(min_row=2, values_only=True)}
    assert survey["Suppliers surveyed"] == 4 and survey["Suppliers responded"] == 4
    first = next(book["Consolidated smelters"].iter_rows(max_row=1, values_only=True))
    assert first[:3] == ("Metal", "Smelter ID", "Standard smelter name") and not any("Supplier ids" in h for h in first)
    assert book["Consolidated smelters"].max_row == len(smelters["rows"]) + 1
    book.close()
    rc, out, err = run("--config", config, "report", "--format", "md", "--as-of", "2026-12-01")
    assert rc == 0 and out.startswith("# Conflict Minerals Report figures: reporting year 2025\n\nFor reporting year")
    assert "according to RMI's lists of 2026-08-22, 101 days old." in out
    assert "> **Warning:** The RMAP status lists are of 2026-08-22, 101 days old" in out and "WARNING" in err


@pytest.mark.parametrize("argv", [("report",)])
def test_report_without_a_campaign(argv: tuple[str, ...], tmp_path: pathlib.Path) -> None:
    config = configure(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}")
    rc, _, err = run("--config", config, *argv)
    assert rc == 1 and "no campaign yet" in err
