"""``cmrt-bot rollup`` on SQLite and PostgreSQL: our own CMRT from a campaign of the three real returns plus
synthetic declarations, written into RMI's blank 6.4 template, compared with the template part by part, read
back by the bot's reader and reviewed by the bot."""

from __future__ import annotations

import json
import pathlib
from typing import Any

from cmrt.review import review
from cmrt.review.adhoc import context_for
from cmrt.smelters import load_rmi_file
from cmrt.workbook import ReadLimits, read_workbook
from cmrt.workbook.factory import SmelterSpec, build_cmrt, default_answers
from tests.conftest import corpus_path
from tests.integration.test_report_cli import RMI_FILES, configure, factory_declarations, real_declarations, run, seed
from tests.unit.rollup.structure import compare

TEMPLATE = "RMI_CMRT_6.4.xlsx"
COMPANY = """
[company]
name = "Example Corporation"
unique_id = "123456789"
unique_id_authority = "DUNS"
contact_name = "Pat Doe"
contact_email = "compliance@example.com"
contact_phone = "+1 555 0100"
authorizer_name = "Sam Roe"
authorizer_title = "Vice President, Supply Chain"
authorizer_email = "sam.roe@example.com"
"""
ROLLUP = """
[rollup]
template_path = "{template}"
[rollup.company_questions]
A = "Yes"
B = {{ answer = "Yes", comment = "https://www.example.com/responsible-minerals-policy" }}
C = "Yes"
D = "Yes"
F = "Yes"
G = "Yes"
H = "Yes, with the SEC"
"""


def unknowns_declaration() -> dict[str, Any]:
    """A synthetic supplier answering Unknown where it can, with a smelter RMI knows but the 6.4 template
    does not (entered as 'Smelter not listed') and one nobody can identify."""
    answers = default_answers()
    for key in ("Q3", "Q4", "Q5"):
        answers[key] = dict.fromkeys(answers[key], "Unknown")
    answers["Q7"] = dict.fromkeys(answers["Q7"], "No")
    data = build_cmrt(answers=answers, smelters=[
        SmelterSpec("Tin", "Smelter not listed", name="Dioconi", country="VENEZUELA", smelter_id="CID005687"),
        SmelterSpec("Gold", "Smelter not listed", name="Zzyzx Imaginary Refinery", country="CHINA"),
        SmelterSpec("Tungsten", "Wolfram Bergbau und Hutten AG", country="AUSTRIA", smelter_id="CID002044"),
    ])  # fmt: skip
    return read_workbook(data, limits=ReadLimits(isolated=False)).to_json()


def setup(store_url: str, tmp_path: pathlib.Path, *, company: str = COMPANY) -> str:
    config = configure(tmp_path, store_url)
    template = corpus_path("templates", TEMPLATE)
    pathlib.Path(config).write_text(pathlib.Path(config).read_text(encoding="utf-8") + company
                                    + ROLLUP.format(template=template), encoding="utf-8")  # fmt: skip
    rc, out, err = run("--config", config, "smelters", "import", *(str(corpus_path("rmap", n)) for n in RMI_FILES))
    assert rc == 0, (out, err)
    declarations = [*real_declarations().values(), factory_declarations()["product"], unknowns_declaration()]
    seed(store_url, declarations, extra_sent=1)  # one more supplier surveyed and silent; one exempt
    return config


def test_rollup_writes_a_genuine_template_that_reads_back(store_url: str, tmp_path: pathlib.Path) -> None:
    config = setup(store_url, tmp_path)
    target = tmp_path / "ours.xlsx"
    rc, out, err = run("--config", config, "rollup", "--campaign", "2025", "--out", str(target), "--as-of",
                       "2026-09-01", "--effective-date", "2026-09-15", "--json")  # fmt: skip
    assert rc == 0, err
    data = json.loads(out)
    assert data["campaign"]["year"] == 2025 and data["template"]["version"] == "6.4"
    assert data["as_of"] == "2026-09-01" and data["rmap_list_date"] == "2026-08-22"
    assert data["scope"] == "company" and data["effective_date"] == "2026-09-15"

    # the same figures and the same consolidation as `cmrt-bot report`
    rc, report_out, err = run("--config", config, "report", "--campaign", "2025", "--as-of", "2026-09-01", "--json")
    assert rc == 0, err
    report = json.loads(report_out)
    assert (data["figures"]["surveyed"], data["figures"]["responded"]) == (
        report["figures"]["surveyed"], report["figures"]["responded"]) == (6, 5)  # fmt: skip
    rejected = {(r["reason"], r["metal"], r["smelter_id"]) for r in report["smelters"]["rejected"]}
    left_out = {(r["reason"], r["metal"], r["smelter_id"]) for r in data["left_out"]}
    assert rejected <= left_out and ("no_match", "Gold", None) in left_out
    reported = {(r["metal"], r["smelter_id"]) for r in report["smelters"]["rows"]}
    ours = {(s["metal"], s["smelter_id"]) for s in data["smelters"] if s["kind"] != "not_yet_identified"}
    assert ours == reported  # every metal is in scope here: every consolidated smelter is on our list

    # the rules on this campaign (docs/rollup.md)
    answers = {q: {m: (v["value"] if v else None) for m, v in per.items()} for q, per in data["answers"].items()}
    every = {"Tantalum", "Tin", "Gold", "Tungsten"}
    assert set(data["metals_in_scope"]) == every
    assert {m for m, v in answers["Q3"].items() if v == "Yes"} == every  # Honeywell and JX declare Yes
    assert set(answers["Q5"].values()) == {"No"}  # suppliers declare No
    assert set(answers["Q6"].values()) == {"Greater than 75%"}  # 5 of 6
    assert set(answers["Q7"].values()) == {"No"}  # a silent supplier
    assert answers["Q8"]["Gold"] == "No" and answers["Q8"]["Tin"] == "Yes"  # an unidentifiable gold refinery
    assert data["company_questions"]["E"]["source"] == "default"
    assert data["review"]["checker_remaining"] == 0
    kinds = {s["kind"] for s in data["smelters"]}
    assert kinds == {"listed", "not_listed"}
    dioconi = next(s for s in data["smelters"] if s["smelter_id"] == "CID005687")
    assert (dioconi["lookup"], dioconi["name"], dioconi["country"]) == (
        "Smelter not listed", "Dioconi", "VENEZUELA (BOLIVARIAN REPUBLIC OF)")  # fmt: skip

    # a genuine template: everything but the filled cells is the template's own XML
    written = target.read_bytes()
    template = corpus_path("templates", TEMPLATE).read_bytes()
    result = compare(template, written)
    assert result.problems == []
    rows = {s["row"]: s["kind"] for s in data["smelters"]}
    typed = {f"{col}{row}" for row, kind in rows.items() for col in ("BC" if kind == "listed" else "BCEFG")}
    assert result.formulas_removed == {"Smelter List": typed}
    planned = {item["cell"] for item in data["company"].values()} | {
        item["cell"] for per in data["answers"].values() for item in per.values() if item}
    declaration_cells = {f"Declaration!{ref}" for ref in result.changed["Declaration"]}
    assert planned <= declaration_cells and result.changed["Checker"] == {"D2"}

    # the bot's reader gives every value back; its review finds no required field missing
    back = read_workbook(written, limits=ReadLimits(isolated=False))
    assert back.company.name == "Example Corporation" and back.company.unique_id_authority == "DUNS"
    assert back.company.contact.email == "compliance@example.com"
    assert back.company.authorizer.title == "Vice President, Supply Chain"
    assert back.company.effective_date is not None and back.company.effective_date.isoformat() == "2026-09-15"
    assert back.answers == answers
    assert {k: (v.answer, v.comment) for k, v in back.company_questions.items()} == {
        k: (v["answer"], v["comment"]) for k, v in data["company_questions"].items()}  # fmt: skip
    assert [(r.row, r.metal, r.lookup, r.smelter_id) for r in back.smelters] == [
        (s["row"], s["metal"], s["lookup"], s["smelter_id"]) for s in data["smelters"]]  # fmt: skip
    lists = [load_rmi_file(n, corpus_path("rmap", n).read_bytes()) for n in RMI_FILES]
    own = review(back, context_for(today=back.company.effective_date, lists=lists))
    assert [f.check for f in own.findings if f.check.startswith(("company.required", "mineral.answer_missing",
                                                                 "company_questions.", "scope."))] == []

    # the text summary
    rc, out, err = run("--config", config, "rollup", "--out", str(tmp_path / "again.xlsx"))
    assert rc == 0, err
    assert "CMRT 6.4 declaration of Example Corporation, company-level" in out
    assert "Survey: 5 of 6 surveyed suppliers responded (83.3 %)." in out


def test_missing_company_values_fail_with_their_keys_before_anything_is_written(tmp_path: pathlib.Path) -> None:
    url = f"sqlite:///{tmp_path / 'cmrt-bot.db'}"
    config = setup(url, tmp_path, company='\n[company]\nname = "Example Corporation"\n')
    target = tmp_path / "ours.xlsx"
    rc, _out, err = run("--config", config, "rollup", "--campaign", "2025", "--out", str(target))
    assert rc == 2 and not target.exists()
    assert "nothing was written" in err
    for key in ("company.contact_name", "company.contact_email", "company.contact_phone", "company.authorizer_name",
                "company.authorizer_email"):  # fmt: skip
        assert f"{key}: required" in err
    rc, _, err = run("--config", config, "rollup", "--campaign", "2019", "--out", str(target))
    assert rc != 0 and "no campaign for reporting year 2019" in err
    rc, _, err = run("--config", config, "rollup", "--out", str(tmp_path / "x.pdf"))
    assert rc == 2 and "must end in .xlsx" in err


def test_product_scope_fills_the_product_list_from_a_file(tmp_path: pathlib.Path) -> None:
    url = f"sqlite:///{tmp_path / 'cmrt-bot.db'}"
    config = setup(url, tmp_path)
    products = tmp_path / "products.csv"
    products.write_text("number,name,comment\nW-100,Widget,\nW-200,Gadget,spare part\n", encoding="utf-8")
    target = tmp_path / "widgets.xlsx"
    rc, out, err = run("--config", config, "rollup", "--campaign", "2025", "--out", str(target), "--scope",
                       "product", "--products", str(products), "--json")  # fmt: skip
    assert rc == 0, err
    assert json.loads(out)["scope"] == "product"
    back = read_workbook(target.read_bytes(), limits=ReadLimits(isolated=False))
    assert back.company.scope_raw == "B. Product (or List of Products)"
    assert [(p.number, p.name, p.comment) for p in back.products] == [("W-100", "Widget", None),
                                                                      ("W-200", "Gadget", "spare part")]  # fmt: skip
    rc, _, err = run("--config", config, "rollup", "--out", str(tmp_path / "p.xlsx"), "--scope", "product")
    assert rc == 2 and "--products: product scope needs the list of products" in err
