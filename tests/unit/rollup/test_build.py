"""cmrt.rollup.build on a synthetic campaign: every rule of docs/rollup.md lands in the template's drop-downs,
the Smelter List is filled as a person fills it, problems name their key, and the bot reads it all back."""

from __future__ import annotations

import datetime as dt
import functools
import pathlib

import pytest

from cmrt.review import checker_remaining, review
from cmrt.review.adhoc import context_for
from cmrt.rollup.build import plan_rollup, write_rollup
from cmrt.rollup.form import TemplateForm, load_form
from cmrt.rollup.model import CompanyInfo, PolicyAnswer, Product, RollupInput, RollupInputError
from cmrt.rollup.products import ProductListError, parse_products
from cmrt.rollup.rules import SupplierAnswers
from cmrt.smelters import RmiList, load_rmi_file
from cmrt.smelters.consolidate import Consolidation, SupplierSmelters, consolidate, rows_from_json
from cmrt.workbook import ReadLimits, read_workbook
from cmrt.workbook.factory import ProductSpec, SmelterSpec, build_cmrt, default_answers
from tests.conftest import corpus_path

LIMITS = ReadLimits(isolated=False)
TODAY = dt.date(2026, 9, 1)
METALS = ("Tantalum", "Tin", "Gold", "Tungsten")
COMPANY = CompanyInfo(name="Example Corp.", unique_id="123456789", unique_id_authority="DUNS",
                      address="1 Example Street, Springfield", contact_name="Pat Doe",
                      contact_email="pat@example.com", contact_phone="+1 555 0100", authorizer_name="Sam Roe",
                      authorizer_title="VP Supply Chain", authorizer_email="sam@example.com",
                      authorizer_phone="+1 555 0101")  # fmt: skip
POLICY = {letter: PolicyAnswer("Yes") for letter in "ACDFG"} | {
    "B": PolicyAnswer("Yes", "https://www.example.com/policy"), "H": PolicyAnswer("no")}  # fmt: skip


def answers(**per_question: dict[str, str | None]) -> dict[str, dict[str, str | None]]:
    out: dict[str, dict[str, str | None]] = default_answers()
    for key, values in per_question.items():
        out[key].update(values)
    return out


def _gated(q1: dict[str, str], q2: dict[str, str | None]) -> dict[str, dict[str, str | None]]:
    """Q1/Q2 as given; Q3-Q8 blank where a gate is No (as a well-formed 6.x file has them)."""
    base = answers(Q1=q1, Q2=q2)  # type: ignore[arg-type]
    for metal in METALS:
        if q1.get(metal) == "No":
            base["Q2"][metal] = None
        if q1.get(metal) == "No" or q2.get(metal) == "No":
            for n in range(3, 9):
                base[f"Q{n}"][metal] = None
    return base


@functools.cache
def declarations() -> dict[str, dict]:
    """A: company-level; B: product-level. Tantalum and tin in scope for both; gold used by A but not in its
    product; tungsten used by neither."""
    a = _gated({"Tantalum": "Yes", "Tin": "Yes", "Gold": "Yes", "Tungsten": "No"}, {"Gold": "No"})
    a["Q3"].update(Tantalum="Yes", Tin="No")
    a["Q4"].update(Tantalum="No", Tin="Unknown")
    a["Q5"].update(Tantalum="Yes", Tin="Yes")
    a["Q7"].update(Tantalum="Yes", Tin="No")
    b = _gated({"Tantalum": "Yes", "Tin": "Yes", "Gold": "No", "Tungsten": "No"}, {})
    b["Q3"].update(Tantalum="No", Tin="No")
    b["Q4"].update(Tantalum="No", Tin="No")
    b["Q5"].update(Tantalum="Yes", Tin="No")
    b["Q7"].update(Tantalum="Yes", Tin="Yes")
    company = build_cmrt(answers=a, smelters=[
        SmelterSpec("Tantalum", "F&X Electro-Materials Ltd.", country="CHINA", smelter_id="CID000460"),
        SmelterSpec("Tin", "Minsur", country="PERU", smelter_id="CID001182"),
        SmelterSpec("Gold", "Smelter not listed", name="Gasabo Gold Refinery Ltd", country="RWANDA",
                    smelter_id="CID005006"),
    ])  # fmt: skip
    product = build_cmrt(answers=b, scope="B. Product (or List of Products)",
                         products=[ProductSpec("P-100", "Widget")], smelters=[
        SmelterSpec("Tantalum", "TANIOBIS Co., Ltd.", country="THAILAND", smelter_id="CID002544"),
        SmelterSpec("Tantalum", "Smelter not listed", name="Jiangxi Suns Nonferrous Materials Co. Ltd.",
                    country="CHINA", smelter_id="CID004813"),
        SmelterSpec("Tin", "Smelter not listed", name="Dioconi", country="Venezuela", smelter_id="CID005687"),
        SmelterSpec("Tin", "Smelter not listed", name="Zzyzx Imaginary Tin Works", country="CHINA"),
    ])  # fmt: skip
    return {"A": read_workbook(company, limits=LIMITS).to_json(), "B": read_workbook(product, limits=LIMITS).to_json()}


@functools.cache
def rmi_lists() -> tuple[RmiList, ...]:
    names = ("RMI_conformant_export_2026-08-22.xml", "RMI_active_export_2026-08-22.xml",
             "RMI_smelter_reference_CMRT_export_2026-08-22.xml")  # fmt: skip
    return tuple(load_rmi_file(n, corpus_path("rmap", n).read_bytes()) for n in names)


@functools.cache
def form(name: str = "RMI_CMRT_6.4.xlsx") -> TemplateForm:
    return load_form(corpus_path("templates", name).read_bytes())


def consolidation() -> Consolidation:
    context = context_for(today=TODAY, lists=rmi_lists())
    items = [SupplierSmelters(key, rows_from_json(d["smelters"])) for key, d in declarations().items()]
    return consolidate(items, today=TODAY, reference=context.reference, rmap=context.rmap)


def given(**changes: object) -> RollupInput:
    base = RollupInput(
        company=COMPANY, scope="company", effective_date=TODAY,
        suppliers=[SupplierAnswers.from_declaration(d) for d in declarations().values()],
        surveyed=2, responded=2, smelters=consolidation(), policy=POLICY,
    )  # fmt: skip
    return RollupInput(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def values(plan_answers: dict) -> dict[str, dict[str, str | None]]:
    return {q: {m: (item["value"] if item else None) for m, item in per.items()} for q, per in plan_answers.items()}


EXPECTED = {
    "Q1": {"Tantalum": "Yes", "Tin": "Yes", "Gold": "Yes", "Tungsten": "No"},
    "Q2": {"Tantalum": "Yes", "Tin": "Yes", "Gold": "No", "Tungsten": None},
    "Q3": {"Tantalum": "Yes", "Tin": "No", "Gold": None, "Tungsten": None},
    "Q4": {"Tantalum": "No", "Tin": "Unknown", "Gold": None, "Tungsten": None},
    "Q5": {"Tantalum": "Yes", "Tin": "No", "Gold": None, "Tungsten": None},
    "Q6": {"Tantalum": "100%", "Tin": "100%", "Gold": None, "Tungsten": None},
    "Q7": {"Tantalum": "Yes", "Tin": "No", "Gold": None, "Tungsten": None},
    "Q8": {"Tantalum": "Yes", "Tin": "No", "Gold": None, "Tungsten": None},
}


def test_every_rule_lands_in_the_declaration_and_reads_back() -> None:
    plan, edits = plan_rollup(form(), given())
    assert values(plan.answers) == EXPECTED
    assert plan.answers["Q4"]["Tin"]["reason"] == "1 supplier with Tin in scope answers Unknown or leaves it blank"
    assert plan.answers["Q8"]["Tin"]["reason"].startswith("1 reported entry for Tin could not be identified")
    assert plan.metals_in_scope == ["Tantalum", "Tin"]
    assert plan.policy["E"] == {"answer": "Yes, in conformance with IPC1755 (e.g., CMRT)", "comment": None,
                                "source": "default"}  # fmt: skip
    assert plan.policy["H"]["answer"] == "No"  # the template's spelling, whatever the case in the configuration
    lines = [(s.row, s.metal, s.lookup, s.kind, s.smelter_id) for s in plan.smelters]
    assert lines == [
        (5, "Tantalum", "F&X Electro-Materials Ltd.", "listed", "CID000460"),
        (6, "Tantalum", "Smelter not listed", "not_listed", "CID004813"),
        (7, "Tantalum", "TANIOBIS Co., Ltd.", "listed", "CID002544"),
        (8, "Tin", "Smelter not listed", "not_listed", "CID005687"),
        (9, "Tin", "Minsur", "listed", "CID001182"),
    ]
    left = {(item["reason"], item["metal"]) for item in plan.left_out}
    assert left == {("no_match", "Tin"), ("metal_not_in_scope", "Gold")}

    data = write_rollup(form(), edits)
    back = read_workbook(data, limits=LIMITS)
    assert back.company.name == "Example Corp." and back.company.scope_raw == "A. Company"
    assert back.company.contact.phone == "+1 555 0100" and back.company.authorizer.title == "VP Supply Chain"
    assert back.company.effective_date == TODAY and back.company.unique_id == "123456789"
    assert back.answers == EXPECTED
    assert {k: (v.answer, v.comment) for k, v in back.company_questions.items()} == {
        k: (v["answer"], v["comment"]) for k, v in plan.policy.items()}  # fmt: skip
    rows = [(r.row, r.metal, r.lookup, r.name, r.country, r.smelter_id) for r in back.smelters]
    assert rows == [
        (5, "Tantalum", "F&X Electro-Materials Ltd.", None, "CHINA", "CID000460"),
        (6, "Tantalum", "Smelter not listed", "Jiangxi Suns Nonferrous Materials Co. Ltd.", "CHINA", "CID004813"),
        (7, "Tantalum", "TANIOBIS Co., Ltd.", None, "THAILAND", "CID002544"),
        (8, "Tin", "Smelter not listed", "Dioconi", "VENEZUELA (BOLIVARIAN REPUBLIC OF)", "CID005687"),
        (9, "Tin", "Minsur", None, "PERU", "CID001182"),
    ]
    assert back.smelters[0].standard_name == "F&X Electro-Materials Ltd." and back.smelters[0].city
    assert not [w for w in back.warnings if w.code == "smelter_resolved_from_lookup"]  # cached like Excel's
    result = review(back, context_for(today=TODAY, lists=rmi_lists()))
    assert checker_remaining(result) == 0 and back.checker_remaining == 0


def test_every_written_choice_is_one_of_the_templates_drop_down_values() -> None:
    f = form()
    plan, edits = plan_rollup(f, given())
    for key, per_metal in plan.answers.items():
        for metal, item in per_metal.items():
            if item is not None:
                sheet, ref = item["cell"].split("!")
                assert item["value"] in [c.text for c in f.choices(sheet, ref) or ()], (key, metal)
    smelter_sheet = edits["Smelter List"]
    metals = [c.value for c in f.choices("Smelter List", "B5") or ()]
    countries = [c.value for c in f.choices("Smelter List", "E5") or ()]
    aliases = {(e.metal, e.alias) for e in f.lookup}
    for line in plan.smelters:
        assert smelter_sheet[f"B{line.row}"].value in metals
        assert (line.metal, smelter_sheet[f"C{line.row}"].value) in aliases
        if line.kind == "not_listed":
            assert smelter_sheet[f"E{line.row}"].value in countries


def test_a_metal_in_scope_without_smelters_gets_a_not_yet_identified_row() -> None:
    items = [SupplierSmelters("A", rows_from_json(declarations()["A"]["smelters"][:1]))]  # tantalum only
    plan, _ = plan_rollup(form(), given(smelters=consolidate(items, today=TODAY)))
    assert [(s.metal, s.kind) for s in plan.smelters] == [("Tantalum", "listed"), ("Tin", "not_yet_identified")]
    assert values(plan.answers)["Q7"]["Tin"] == "No"


def test_overrides_replace_rules_and_gate_the_rest() -> None:
    plan, _ = plan_rollup(form(), given(answers={"Q4": {"*": "unknown"}, "Q1": {"Tin": "No"}}))
    got = values(plan.answers)
    assert got["Q4"] == {"Tantalum": "Unknown", "Tin": None, "Gold": None, "Tungsten": None}
    assert got["Q1"]["Tin"] == "No" and got["Q2"]["Tin"] is None
    assert plan.answers["Q4"]["Tantalum"]["rule"] == "override"
    assert {s.metal for s in plan.smelters} == {"Tantalum"}  # tin is out of scope: its smelters are left out


def test_problems_name_their_keys_and_nothing_is_planned() -> None:
    broken = given(
        company=CompanyInfo(name="Example Corp.", contact_name="same", contact_email="pat,doe@example.com",
                            authorizer_name="Sam Roe", authorizer_email="sam@example.com"),
        policy={"A": PolicyAnswer("Yes"), "B": PolicyAnswer("Yes"), "Z": PolicyAnswer("Yes")},
        answers={"Q7": {"Gold": "Maybe"}, "Q3": {"Gold": "Yes"}, "Q9": {"*": "Yes"}},
        scope="product",
    )
    with pytest.raises(RollupInputError) as caught:
        plan_rollup(form(), broken)
    keys = [key for key, _ in caught.value.problems]
    assert keys == [
        "company.contact_name", "company.contact_email", "company.contact_phone", "rollup.answers.Q7.Gold",
        "rollup.answers.Q9", "rollup.answers.Q3.Gold", "rollup.company_questions.Z",
        "rollup.company_questions.B.comment", "rollup.company_questions.C", "rollup.company_questions.D",
        "rollup.company_questions.F", "rollup.company_questions.G", "rollup.company_questions.H", "--products",
    ]  # fmt: skip
    messages = dict(caught.value.problems)
    assert messages["rollup.answers.Q7.Gold"] == "'Maybe' is not one of the template's values ('Yes', 'No')"
    assert "Gold is out of scope" in messages["rollup.answers.Q3.Gold"]
    assert "comma" in messages["company.contact_email"]


def test_product_scope_fills_the_product_list(tmp_path: pathlib.Path) -> None:
    csv = b"Product Number,Product Name,Comments\nP-100,Widget,first\n00123,Gadget,\n"
    products = parse_products(csv)
    assert products == [Product("P-100", "Widget", "first"), Product("00123", "Gadget", None)]
    _plan, edits = plan_rollup(form(), given(scope="product", products=products))
    back = read_workbook(write_rollup(form(), edits), limits=LIMITS)
    assert back.company.scope_raw == "B. Product (or List of Products)"
    assert [(p.row, p.number, p.name, p.comment) for p in back.products] == [
        (6, "P-100", "Widget", "first"), (7, "00123", "Gadget", None)]  # fmt: skip
    with pytest.raises(ProductListError, match="row 3: no product number"):
        parse_products(b"number,name\nP-1,a\n,b\n")
    with pytest.raises(ProductListError, match="no product number column"):
        parse_products(b"foo,bar\n1,2\n")


@pytest.mark.parametrize("name", ["RMI_CMRT_6.01_zh.xlsx", "RMI_CMRT_6.5_zh.xlsx"])
def test_templates_saved_in_chinese_and_older_versions_take_the_same_declaration(name: str) -> None:
    f = form(name)
    _plan, edits = plan_rollup(f, given())
    back = read_workbook(write_rollup(f, edits), limits=LIMITS)
    assert back.template.version == name.split("_")[2] and back.language == "Chinese"
    assert back.answers == EXPECTED and back.company.name == "Example Corp."
    if name.startswith("RMI_CMRT_6.01"):
        assert edits["Declaration"]["D56"].value == 1.0  # the 6.0x list holds the number 1 for "100%"
    assert checker_remaining(review(back, context_for(today=TODAY, lists=rmi_lists()))) == 0
