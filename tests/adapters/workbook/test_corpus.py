"""Every file of the shared corpus (../shared/cmrt) is read; the three real returns give exactly what a careful
person reads in Excel. Expected values were written by hand from the cells (Declaration D8-D22, D26-D71,
G-column comments, D75-D89/G77, the Smelter List from row 5, the Product List from row 6, Checker!D2).
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections import Counter

import pytest

from cmrt.declaration import CompanyTopic, Declaration, Family, QuestionTopic, Scope, SmelterRow
from cmrt.workbook import read_workbook
from tests.conftest import corpus_path

pytestmark = pytest.mark.corpus

METALS = ("Tantalum", "Tin", "Gold", "Tungsten")


def read(*parts: str) -> Declaration:
    path: pathlib.Path = corpus_path(*parts)
    return read_workbook(path.read_bytes(), filename=path.name)


def _all(value: str | None) -> dict[str, str | None]:
    return dict.fromkeys(METALS, value)


# --------------------------------------------------------------------------------------------------- templates
TEMPLATES = [
    ("RMI_CMRT_6.01_zh.xlsx", Family.CMRT, "6.01", "Chinese", METALS, 8),
    ("RMI_CMRT_6.1_zh.xlsx", Family.CMRT, "6.1", "Chinese", METALS, 8),
    ("RMI_CMRT_6.22_zh.xlsx", Family.CMRT, "6.22", "Chinese", METALS, 8),
    ("RMI_CMRT_6.4.xlsx", Family.CMRT, "6.4", "English", METALS, 8),
    ("RMI_CMRT_6.5_zh.xlsx", Family.CMRT, "6.5", "Chinese", METALS, 8),
    ("RMI_EMRT_1.3_zh.xlsx", Family.EMRT, "1.3", "Chinese", ("Cobalt", "Mica"), 7),
    ("RMI_EMRT_2.1_zh.xlsx", Family.EMRT, "2.1", "Chinese",
     ("Cobalt", "Copper", "Graphite", "Lithium", "Mica", "Nickel"), 7),
    ("RMI_CRT_2.2_zh.xlsx", Family.CRT, "2.2", "Chinese", ("Cobalt",), 6),
    ("RMI_AMRT_1.3_zh.xlsx", Family.AMRT, "1.3", "Chinese", (), 2),
]  # fmt: skip


@pytest.mark.parametrize(("name", "family", "version", "language", "minerals", "questions"), TEMPLATES)
def test_blank_templates(
    name: str, family: Family, version: str, language: str, minerals: tuple[str, ...], questions: int
) -> None:
    d = read("templates", name)
    assert d.template.family is family
    assert d.template.version == version
    assert d.language == language
    assert d.minerals == minerals
    assert sorted(d.answers, key=lambda k: int(k[1:])) == [f"Q{n}" for n in range(1, questions + 1)]
    assert all(value is None for per in d.answers.values() for value in per.values())
    assert all(answer.answer is None and answer.comment is None for answer in d.company_questions.values())
    assert d.company.name is None and d.company.scope is None and d.company.effective_date is None
    assert d.smelters == () and d.mines == () and d.products == ()
    assert d.checker_remaining is not None and d.checker_remaining > 0
    assert set(d.question_topics) == set(d.answers)
    assert d.cells["company.name"] == "Declaration!D8"


def test_blank_template_question_layouts() -> None:
    emrt1 = read("templates", "RMI_EMRT_1.3_zh.xlsx")
    assert emrt1.answers["Q4"] == {"Cobalt": None}  # Q4 (100 % recycled) asks about cobalt only
    assert emrt1.cells["answers.Q1.Mica"] == "Declaration!D27"
    assert emrt1.company_questions["C"].per_mineral == {"Cobalt": None, "Mica": None}
    emrt2 = read("templates", "RMI_EMRT_2.1_zh.xlsx")
    assert emrt2.cells["minerals.Cobalt"] == "Declaration!D12"
    assert emrt2.cells["minerals.Nickel"] == "Declaration!G13"
    assert emrt2.cells["answers.Q1.Cobalt"] == "Declaration!D30"
    assert emrt2.question_topics["Q5"] is QuestionTopic.SUPPLIER_RESPONSE
    assert emrt2.cells["company.effective_date"] == "Declaration!D26"
    crt = read("templates", "RMI_CRT_2.2_zh.xlsx")
    assert crt.cells["answers.Q1.Cobalt"] == "Declaration!D26"  # hidden rows 27-29 ("No") are not read
    assert sorted(crt.company_questions) == list("ABCDEFGHI")
    amrt = read("templates", "RMI_AMRT_1.3_zh.xlsx")
    assert amrt.cells["company.effective_date"] == "Declaration!D27"
    assert amrt.company_questions == {}
    cmrt = read("templates", "RMI_CMRT_6.5_zh.xlsx")
    assert cmrt.company_question_topics["H"] is CompanyTopic.DISCLOSURE
    assert cmrt.product_columns["number"] == "B"


# ------------------------------------------------------------------------------------------ real returns
def test_central_glass() -> None:
    d = read("returned", "CMRT_6.4_CentralGlass.xlsx")
    assert (d.template.family, d.template.version, d.language) == (Family.CMRT, "6.4", "English")
    c = d.company
    assert c.name == "Central Glass Co., Ltd."
    assert (c.scope, c.scope_raw, c.scope_description) == (Scope.COMPANY, "A. Company", None)
    assert (c.unique_id, c.unique_id_authority) == (None, None)
    assert c.address == "Kowa-Hitotsubashi Building, 7-1 Kanda-Nishikicho 3-chome, Chiyoda-ku, Tokyo 101-0054, Japan"
    assert (c.contact.name, c.contact.email, c.contact.phone) == (
        "Contact Person 1", "contact,person2@cgco.co.jp", "+1-555-0103"  # the comma is the supplier's
    )  # fmt: skip
    assert (c.authorizer.name, c.authorizer.title, c.authorizer.email, c.authorizer.phone) == (
        "Contact Person 4", "General Manager Purchasing Department", "contact.person5@cgco.co.jp", None
    )  # fmt: skip
    assert (c.effective_date, c.effective_date_raw) == (dt.date(2024, 5, 10), None)
    assert d.minerals == METALS
    only_tungsten = {"Tantalum": None, "Tin": None, "Gold": None}
    assert d.answers == {
        "Q1": {"Tantalum": "No", "Tin": "No", "Gold": "No", "Tungsten": "Yes"},
        "Q2": {**only_tungsten, "Tungsten": "Yes"},
        "Q3": {**only_tungsten, "Tungsten": "No"},
        "Q4": {**only_tungsten, "Tungsten": "No"},
        "Q5": {**only_tungsten, "Tungsten": "No"},
        "Q6": {**only_tungsten, "Tungsten": "100%"},
        "Q7": {**only_tungsten, "Tungsten": "Yes"},
        "Q8": {**only_tungsten, "Tungsten": "Yes"},
    }
    assert all(v is None for per in d.answer_comments.values() for v in per.values())
    assert {k: (v.answer, v.comment) for k, v in d.company_questions.items()} == {
        "A": ("Yes", None),
        "B": ("Yes", "https://www.cgco.co.jp/csr/report"),
        "C": ("Yes", None),
        "D": ("Yes", None),
        "E": ("Yes, in conformance with IPC1755 (e.g., CMRT)", None),
        "F": ("Yes", None),
        "G": ("Yes", None),
        "H": ("No", None),
    }
    assert d.checker_remaining == 0
    assert [s.row for s in d.smelters] == [5, 6, 7, 8]
    assert {s.metal for s in d.smelters} == {"Tungsten"}
    assert d.smelters[0] == SmelterRow(
        row=5, metal="Tungsten", lookup="Ganzhou Seadragon W & Mo Co., Ltd.", name="Ganzhou Seadragon W & Mo Co., Ltd.",
        country="CHINA", smelter_id="CID002494", id_source="RMI", street=None, city="Ganzhou", state="Jiangxi Sheng",
        contact_name="Contact Person 7", contact_email="contact.person8@grand-tungsten.com", next_steps=None,
        mine_names="Ganzhou Grand Metals Minerals Industry Co.,Ltd.", mine_countries="China", recycled="No",
        comments=None, id_input=None, standard_name=d.smelters[0].standard_name,
    )  # fmt: skip
    third = d.smelters[2]
    assert (third.smelter_id, third.street, third.mine_countries) == ("CID002513", "Shizhuyuan, Suxian", "CHINA")
    assert (d.smelters[3].smelter_id, d.smelters[3].mine_names) == ("CID002082", "Xingluokeng, Jinding, Yulu")
    assert d.products == ()
    assert d.warnings == ()


def test_honeywell() -> None:
    d = read("returned", "CMRT_6.4_Honeywell.xlsx")
    assert (d.template.family, d.template.version, d.language) == (Family.CMRT, "6.4", "English")
    c = d.company
    assert c.name == "Honeywell International"  # trailing tabs stripped
    assert c.scope is Scope.USER_DEFINED
    assert c.scope_raw == "C. User defined [Specify in 'Description of scope']"
    assert c.scope_description == (
        "Honeywell Performance Materials and Technologies (PMT) - Electronic Materials (HEM); renamed Energy and"
        " Sustainability Solutions (ESS) - Electronic Materials (HEM) as of January 1, 2024"
    )
    assert (c.unique_id, c.unique_id_authority) == ("139691877 Honeywell International Inc.", None)
    assert c.address == "115 Tabor Road Morris Plains NJ 07950"
    assert (c.contact.name, c.contact.email, c.contact.phone) == (
        "Contact Person 1", "contact.person2@honeywell.com", "+1-555-0103"
    )  # fmt: skip
    assert (c.authorizer.name, c.authorizer.title, c.authorizer.email, c.authorizer.phone) == (
        "Contact Person 4", "Director Product Stewardship & Sustainability", "contact.person5@honeywell.com",
        "+1-555-0106",
    )  # fmt: skip
    assert (c.effective_date, c.effective_date_raw) == (dt.date(2024, 5, 2), "02-May-2024")
    assert d.answers == {
        "Q1": _all("Yes"), "Q2": _all("Yes"), "Q3": _all("Yes"), "Q4": _all("Yes"), "Q5": _all("No"),
        "Q6": _all("100%"), "Q7": _all("Yes"), "Q8": _all("Yes"),
    }  # fmt: skip
    origin = "Data collected through supply chain sources was used to support source of origin determinations."
    assert d.answer_comments["Q3"] == _all(origin) and d.answer_comments["Q4"] == _all(origin)
    assert d.answer_comments["Q7"]["Gold"] == (
        "The entries that appear on the completed CMRT Smelter List tab are only those facilities that are verified"
        " to be legitimate smelters or refiners of 3TGs, and have been reported by at least one of our suppliers."
    )
    assert d.answer_comments["Q1"] == _all(None) and d.answer_comments["Q8"] == _all(None)
    assert {k: (v.answer, v.comment) for k, v in d.company_questions.items()} == {
        "A": ("Yes", None),
        "B": ("Yes", "Honeywell Conflict Minerals Policy"),  # link text, not a URL: what the cell shows
        "C": ("Yes", None),
        "D": ("Yes", None),
        "E": ("Yes, in conformance with IPC1755 (e.g., CMRT)", None),
        "F": ("Yes", None),
        "G": ("Yes", None),
        "H": ("Yes, with the SEC", None),
    }
    assert d.company_questions["B"].link == (
        "https://www.honeywell.com/content/dam/honeywellbt/en/documents/downloads/"
        "Conflict%20Minerals%20Mission%20Statement%20pdf.pdf"
    )
    assert d.checker_remaining == 2
    assert len(d.smelters) == 40 and [s.row for s in d.smelters] == list(range(5, 45))
    assert Counter(s.metal for s in d.smelters) == {"Tantalum": 22, "Tungsten": 18}
    first = d.smelters[0]
    assert (first.id_input, first.metal, first.lookup, first.name, first.country, first.smelter_id) == (
        "CID002044", "Tungsten", "Wolfram Bergbau und Hutten AG", None, "AUSTRIA", "CID002044"
    )  # fmt: skip
    assert (first.id_source, first.street, first.city, first.state) == (None, None, "St. Martin i-S", "Steiermark")
    assert first.mine_countries == "Australia, Austria, Brazil, China, Kazakhstan, Portugal, Rwanda"
    assert (first.recycled, first.contact_name, first.comments) == (None, None, None)
    last = d.smelters[-1]
    assert (last.row, last.smelter_id, last.country, last.state) == (44, "CID002543", "VIET NAM", "Thái Nguyên")
    assert d.products == ()
    assert [(w.code, w.sheet, w.cell) for w in d.warnings] == [("effective_date_text", "Declaration", "D22")]


def test_jx() -> None:
    d = read("returned", "CMRT_6.4_JX.xlsx")
    assert (d.template.family, d.template.version, d.language) == (Family.CMRT, "6.4", "English")
    c = d.company
    assert c.name == "JX Advanced Metals Corporation"
    assert (c.scope, c.scope_raw) == (Scope.PRODUCT, "B. Product (or List of Products)")
    assert c.scope_description is None  # D11 holds link text, not data
    assert (c.unique_id, c.unique_id_authority) == (None, None)
    assert c.address == "10-4, Toranomon 2-Chome, Minato-ku, TOKYO 105-8417, Japan"
    assert (c.contact.name, c.contact.email, c.contact.phone) == (
        "Contact Person 1", "contact.person2@jx-nmm.com", "+1-555-0103"
    )  # fmt: skip
    assert (c.authorizer.name, c.authorizer.title, c.authorizer.email, c.authorizer.phone) == (
        "Contact Person 4", "Manager, Procurement Department", "contact.person5@jx-nmm.com", "+1-555-0106"
    )  # fmt: skip
    assert (c.effective_date, c.effective_date_raw) == (dt.date(2024, 5, 30), None)
    ta_w = {"Tin": None, "Gold": None}
    assert d.answers == {
        "Q1": {"Tantalum": "Yes", "Tin": "No", "Gold": "No", "Tungsten": "Yes"},
        "Q2": {"Tantalum": "Yes", **ta_w, "Tungsten": "Yes"},
        "Q3": {"Tantalum": "Yes", **ta_w, "Tungsten": "Yes"},
        "Q4": {"Tantalum": "Yes", **ta_w, "Tungsten": "Yes"},
        "Q5": {"Tantalum": "No", **ta_w, "Tungsten": "No"},
        "Q6": {"Tantalum": "100%", **ta_w, "Tungsten": "100%"},
        "Q7": {"Tantalum": "Yes", **ta_w, "Tungsten": "Yes"},
        "Q8": {"Tantalum": "Yes", **ta_w, "Tungsten": "Yes"},
    }
    conflict_free = "Only uses approved conflict free material in Dodd-Frank Act and OECD-Guidelines."
    assert d.answer_comments["Q3"]["Tantalum"] == conflict_free
    assert d.answer_comments["Q3"]["Tungsten"] == (
        conflict_free + "\u3000\u3000\u3000        \u3000\u3000\u3000 CID002082, CID002320"
    )
    assert d.answer_comments["Q4"]["Tantalum"] == (
        conflict_free + "\nCID000460,CID000914,CID000917,CID001192,CID001969,CID002506,CID002544,CID002545,"
        "CID002550,CID002557"
    )
    assert d.answer_comments["Q5"] == _all(None)
    questions = {k: v.answer for k, v in d.company_questions.items()}
    assert questions == {
        "A": "Yes", "B": "Yes", "C": "Yes", "D": "Yes", "E": "Yes, in conformance with IPC1755 (e.g., CMRT)",
        "F": "Yes", "G": "Yes", "H": "No",
    }  # fmt: skip
    assert d.company_questions["B"].comment == "https://www.nmm.jx-group.co.jp/english/company/purchase/supply.html"
    assert d.company_questions["A"].comment is not None and d.company_questions["A"].comment.startswith(
        "Our Basic Policy on Procurement provides"
    )
    assert d.company_questions["C"].comment is None
    assert d.company_questions["B"].link == "https://www.nmm.jx-group.co.jp/english/company/purchase/supply.html"
    assert all(q.link is None for letter, q in d.company_questions.items() if letter != "B")  # mailto: left out
    assert d.checker_remaining == 0
    assert len(d.smelters) == 27 and [s.row for s in d.smelters] == list(range(5, 32))
    assert Counter(s.metal for s in d.smelters) == {"Tantalum": 16, "Tungsten": 11}
    rows = {s.row: s for s in d.smelters}
    assert rows[5] == SmelterRow(
        row=5, metal="Tantalum", lookup="TANIOBIS Co., Ltd.", name=None, country="THAILAND", smelter_id="CID002544",
        id_source="RMI", street=None, city="Map Ta Phut", state="Rayong", contact_name="Contact Person 7",
        contact_email="contact.person8@taniobis.com", next_steps=None, mine_names=None,
        mine_countries="Please see RCOI-List, available at the RMI Homepage", recycled="No", comments=None,
        id_input="CID002544", standard_name="TANIOBIS Co., Ltd.",
    )  # fmt: skip
    assert (rows[10].country, rows[10].mine_names, rows[10].mine_countries, rows[10].comments) == (
        None, "Rutsiro, Kamonyi, Ngororero, Rubavu, Muhanga, Nyamasheke, Muhanga", "Ta scrap", "iTSCi tagged material"
    )  # fmt: skip
    assert (rows[9].state, rows[9].contact_name, rows[9].contact_email) == (
        "East Kazakhstan", "Contact Person 15", "contact.person16@ulba.kz"  # trailing spaces stripped
    )  # fmt: skip
    assert (rows[11].name, rows[11].street, rows[11].next_steps, rows[11].recycled) == (
        "Global Advanced Metals Aizu", "Nagayachi, Higashi-Nagahara", "None", "No"
    )  # fmt: skip
    assert (rows[12].recycled, rows[14].name, rows[14].country) == ("Yes", "F&X", "China")
    assert (rows[22].id_source, rows[22].street, rows[22].mine_names) == (
        None, None, "Ning Hua Xingluokeng Tungsten Mining Co.,Ltd"
    )  # fmt: skip
    assert (rows[31].smelter_id, rows[31].street, rows[31].recycled) == ("CID002320", "No.298HAIJING ROAD", None)
    assert [(p.row, p.number, p.name, p.comment) for p in d.products] == [
        (6, "Sputtering Target", "Ta/ Ta alloy Target", None),
        (7, "Sputtering Target", "W/ W alloy Target", None),
        (8, "Tantalum parts", "Other Tantalum parts", None),
    ]
    assert d.warnings == ()
    assert d.cells["company_questions.B.comment"] == "Declaration!G77"
    assert d.smelter_columns["recycled"] == "P" and d.smelter_columns["standard_name"] == "R"


# --------------------------------------------------------------------------------------------------- legacy
def test_legacy_2_02_xlsx_with_1904_dates() -> None:
    d = read("legacy", "CMRT_2.02_synthetic.xlsx")
    assert (d.template.family, d.template.version) == (Family.CMRT, "2.02")
    assert d.company.name == "Green Status Pro"
    assert (d.company.scope, d.company.scope_raw) == (Scope.COMPANY, "A. Company Level")
    assert d.company.unique_id == "A999666333000"
    assert d.company.authorizer.title == "Chief Technology Officer"
    assert d.company.effective_date == dt.date(2014, 5, 31)  # 1904 date system
    assert d.question_topics["Q1"] is QuestionTopic.NECESSARY
    assert d.question_topics["Q6"] is QuestionTopic.SMELTERS_VALIDATED
    assert d.answers["Q1"] == _all("Yes")
    assert d.answers["Q2"] == {"Tantalum": "No", "Tin": "No", "Gold": "Uncertain or Unknown", "Tungsten": "No"}
    assert sorted(d.company_questions) == list("ABCDEFGHIJ")
    assert d.smelters[0].metal == "Gold" and d.smelters[0].country == "GERMANY"
    # the translation table below the list (rows 2507+) is template text, not smelters
    assert [(s.row, s.metal) for s in d.smelters] == [(5, "Gold"), (6, "Tin"), (7, "Tantalum"), (8, "Tungsten")]


def test_legacy_2_03_encrypted_xls() -> None:
    d = read("legacy", "CMRT_2.03_synthetic_encrypted.xls")
    assert (d.template.family, d.template.version) == (Family.CMRT, "2.03")
    assert d.company.name == "Green Status Pro"
    assert d.company.authorizer.name == "Leo de Nevi"
    assert d.company.effective_date == dt.date(2013, 12, 1)  # serial 40147 in the 1904 system
    assert d.answers["Q4"] == {"Tantalum": "Yes", "Tin": "No but > 75%", "Gold": "No but > 50%", "Tungsten": "Yes"}
    assert [(s.metal, s.lookup, s.name, s.country, s.smelter_id) for s in d.smelters] == [
        ("Gold", "Allgemeine Gold", "Allgemeine Gold- und Silberscheideanstalt A.G.", "GERMANY", "1DEU001"),
        ("Tin", "Minsur S.A. Tin Metal", "Minsur", "PERU", "2PER019"),
        ("Tantalum", "F&X", "F&X", "CHINA", "3CHN003"),
        ("Tungsten", "Starck", "HC Starck GmbH", "GERMANY", "4DEU008"),
    ]
    assert d.checker_remaining == 0
    assert any(w.code == "encrypted" for w in d.warnings)


def test_legacy_3_01_encrypted_xls() -> None:
    d = read("legacy", "CMRT_3.01_synthetic_encrypted.xls")
    assert (d.template.family, d.template.version) == (Family.CMRT, "3.01")
    c = d.company
    assert (c.name, c.scope, c.scope_description) == ("Green Status Pro", Scope.COMPANY, "Scope description goes here…")
    assert (c.unique_id, c.unique_id_authority, c.address) == ("123456789066", "555", "1313 Mockingbird Lane")
    assert (c.contact.name, c.authorizer.name, c.authorizer.title) == ("Leo de Nevi", "Leo", "CTO")
    assert c.effective_date is None
    assert d.answers["Q5"] == {
        "Tantalum": "Yes, 100%", "Tin": "No, but greater than 75%", "Gold": "No, but greater than 50%",
        "Tungsten": "No, but less than 25%",
    }  # fmt: skip
    assert d.answer_comments["Q1"]["Tantalum"] == "Tantalum in vibrate motor"
    assert d.question_topics["Q4"] is QuestionTopic.RECYCLED_SCRAP
    assert d.company_question_topics["E"] is CompanyTopic.DUE_DILIGENCE
    assert [(s.metal, s.smelter_id, s.id_source) for s in d.smelters] == [
        ("Tantalum", "CID000211", "CFSI"), ("Tin", "CID001477", "CFSI"), ("Tungsten", "CID002082", "CFSI"),
        ("Gold", "CID001916", "CFSI"),
    ]  # fmt: skip
    assert d.checker_remaining == 2


def test_legacy_3_01_xlsx() -> None:
    d = read("legacy", "CMRT_3.01_synthetic_high_risk.xlsx")
    assert (d.template.family, d.template.version) == (Family.CMRT, "3.01")
    assert d.company.effective_date == dt.date(2014, 5, 31)
    assert d.company.unique_id_authority == "Database"
    assert d.answers["Q3"] == _all("Yes")
    assert len(d.smelters) == 4


def test_every_corpus_workbook_is_read(corpus: pathlib.Path) -> None:
    files = sorted(p for sub in ("returned", "templates", "legacy") for p in (corpus / sub).iterdir())
    assert len(files) >= 16
    for path in files:
        d = read_workbook(path.read_bytes(), filename=path.name)
        assert d.template.family is not None and d.template.version, path.name
