"""Build test declarations directly from the dataclasses: a clean CMRT 6.4 return and small edits to it.

The base declaration has no finding at all (Tantalum and Tungsten in scope, Tin and Gold not used), with
the cell references the reader records for CMRT 6.x.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from cmrt.declaration import (
    Company,
    CompanyAnswer,
    CompanyTopic,
    Declaration,
    Family,
    Person,
    ProductRow,
    QuestionTopic,
    Scope,
    SmelterRow,
    Template,
)
from cmrt.review import ReviewContext
from cmrt.smelters import ReferenceEntry, SmelterReference
from cmrt.smelters.rmap import ListKind, Revision, RmapEntry, RmapStatus, RmiList

TODAY = dt.date(2026, 9, 1)
MINERALS = ("Tantalum", "Tin", "Gold", "Tungsten")
TOPICS = {
    "Q1": QuestionTopic.INTENTIONALLY_ADDED,
    "Q2": QuestionTopic.REMAINS_IN_PRODUCT,
    "Q3": QuestionTopic.COVERED_COUNTRIES,
    "Q4": QuestionTopic.CAHRA,
    "Q5": QuestionTopic.RECYCLED_SCRAP,
    "Q6": QuestionTopic.SUPPLIER_RESPONSE,
    "Q7": QuestionTopic.SMELTERS_IDENTIFIED,
    "Q8": QuestionTopic.SMELTER_INFO_REPORTED,
}
COMPANY_TOPICS = {
    "A": CompanyTopic.POLICY,
    "B": CompanyTopic.POLICY_PUBLIC,
    "C": CompanyTopic.REQUIRE_VALIDATED_SMELTERS,
    "D": CompanyTopic.DUE_DILIGENCE,
    "E": CompanyTopic.SURVEY,
    "F": CompanyTopic.REVIEW,
    "G": CompanyTopic.CORRECTIVE_ACTION,
    "H": CompanyTopic.DISCLOSURE,
}
IN_SCOPE_ANSWERS = {"Q1": "Yes", "Q2": "Yes", "Q3": "No", "Q4": "No", "Q5": "No", "Q6": "100%", "Q7": "Yes",
                    "Q8": "Yes"}
COLUMNS = {"id_input": "A", "metal": "B", "lookup": "C", "name": "D", "country": "E", "smelter_id": "F",
           "id_source": "G", "street": "H", "city": "I", "state": "J", "recycled": "P", "comments": "Q"}


def _cells() -> dict[str, str]:
    cells = {
        "company.name": "Declaration!D8",
        "company.scope": "Declaration!D9",
        "company.scope_description": "Declaration!D10",
        "company.contact.name": "Declaration!D15",
        "company.contact.email": "Declaration!D16",
        "company.contact.phone": "Declaration!D17",
        "company.authorizer.name": "Declaration!D18",
        "company.authorizer.title": "Declaration!D19",
        "company.authorizer.email": "Declaration!D20",
        "company.authorizer.phone": "Declaration!D21",
        "company.effective_date": "Declaration!D22",
    }
    for q_index, key in enumerate(TOPICS):
        for m_index, mineral in enumerate(MINERALS):
            row = 26 + 6 * q_index + m_index
            cells[f"answers.{key}.{mineral}"] = f"Declaration!D{row}"
            cells[f"answer_comments.{key}.{mineral}"] = f"Declaration!G{row}"
    for index, letter in enumerate(COMPANY_TOPICS):
        cells[f"company_questions.{letter}.answer"] = f"Declaration!D{75 + 2 * index}"
        cells[f"company_questions.{letter}.comment"] = f"Declaration!G{75 + 2 * index}"
    return cells


def smelter(row: int, metal: str | None, lookup: str | None, cid: str | None, country: str | None = None,
            name: str | None = None, **kw: Any) -> SmelterRow:
    return SmelterRow(row=row, metal=metal, lookup=lookup, name=name, country=country, smelter_id=cid,
                      id_input=kw.pop("id_input", cid), id_source="RMI" if cid else None, **kw)


BASE_SMELTERS = (
    smelter(5, "Tantalum", "TANIOBIS Co., Ltd.", "CID002544", "THAILAND"),
    smelter(6, "Tungsten", "A.L.M.T. Corp.", "CID000004", "JAPAN"),
)


def base() -> Declaration:
    answers: dict[str, dict[str, str | None]] = {key: {} for key in TOPICS}
    for mineral in MINERALS:
        used = mineral in ("Tantalum", "Tungsten")
        for key in TOPICS:
            answers[key][mineral] = IN_SCOPE_ANSWERS[key] if used else ("No" if key == "Q1" else None)
    company_questions = {letter: CompanyAnswer("Yes") for letter in COMPANY_TOPICS}
    company_questions["B"] = CompanyAnswer("Yes", "https://www.example.com/cm-policy")
    company_questions["E"] = CompanyAnswer("Yes, in conformance with IPC1755 (e.g., CMRT)")
    company_questions["H"] = CompanyAnswer("No")
    return Declaration(
        template=Template(Family.CMRT, "6.4"),
        language="English",
        company=Company(
            name="Example Metals Co., Ltd.",
            scope=Scope.COMPANY,
            scope_raw="A. Company",
            contact=Person("Contact Person", None, "contact.person@example.com", "+1-555-0100"),
            authorizer=Person("Authorizer Person", "Purchasing Manager", "auth.person@example.com", "+1-555-0101"),
            effective_date=dt.date(2024, 5, 10),
        ),
        minerals=MINERALS,
        answers=answers,
        answer_comments={key: dict.fromkeys(MINERALS) for key in TOPICS},
        question_topics=dict(TOPICS),
        company_questions=company_questions,
        company_question_topics=dict(COMPANY_TOPICS),
        smelters=BASE_SMELTERS,
        checker_remaining=0,
        cells=_cells(),
        smelter_columns=dict(COLUMNS),
        product_columns={"number": "B", "name": "C", "comment": "D"},
    )


def with_answer(d: Declaration, key: str, mineral: str, value: str | None) -> Declaration:
    answers = {k: dict(v) for k, v in d.answers.items()}
    answers[key][mineral] = value
    return replace(d, answers=answers)


def with_company(d: Declaration, **changes: Any) -> Declaration:
    return replace(d, company=replace(d.company, **changes))


def with_contact(d: Declaration, **changes: Any) -> Declaration:
    return with_company(d, contact=replace(d.company.contact, **changes))


def with_authorizer(d: Declaration, **changes: Any) -> Declaration:
    return with_company(d, authorizer=replace(d.company.authorizer, **changes))


def with_company_question(d: Declaration, letter: str, answer: str | None, comment: str | None = None) -> Declaration:
    questions = dict(d.company_questions)
    questions[letter] = CompanyAnswer(answer, comment)
    return replace(d, company_questions=questions)


def with_smelters(d: Declaration, *rows: SmelterRow) -> Declaration:
    return replace(d, smelters=tuple(rows))


def add_smelters(d: Declaration, *rows: SmelterRow) -> Declaration:
    return replace(d, smelters=(*d.smelters, *rows))


def with_products(d: Declaration, *names: str) -> Declaration:
    return replace(d, products=tuple(ProductRow(row=6 + i, number=n) for i, n in enumerate(names)))


def not_in_scope(d: Declaration, mineral: str) -> Declaration:
    for key in TOPICS:
        d = with_answer(d, key, mineral, "No" if key == "Q1" else None)
    return d


def in_scope(d: Declaration, mineral: str) -> Declaration:
    for key, value in IN_SCOPE_ANSWERS.items():
        d = with_answer(d, key, mineral, value)
    return d


# ---------------------------------------------------------------- reference and RMAP fixtures


def reference() -> SmelterReference:
    rows = [
        ("Tantalum", "TANIOBIS Co., Ltd.", "TANIOBIS Co., Ltd.", "THAILAND", "CID002544"),
        ("Tantalum", "H.C. Starck Co., Ltd.", "TANIOBIS Co., Ltd.", "THAILAND", "CID002544"),
        ("Tantalum", "Ulba Metallurgical Plant JSC", "Ulba Metallurgical Plant JSC", "KAZAKHSTAN", "CID001969"),
        ("Tungsten", "A.L.M.T. Corp.", "A.L.M.T. Corp.", "JAPAN", "CID000004"),
        ("Tungsten", "Xiamen Tungsten Co., Ltd.", "Xiamen Tungsten Co., Ltd.", "CHINA", "CID002082"),
        ("Tungsten", "Hunan Chenzhou Mining Co., Ltd.", "Hunan Chenzhou Mining Co., Ltd.", "CHINA", "CID000766"),
        ("Tungsten", "Ganzhou Jiangwu Ferrotungsten Co., Ltd.", "Ganzhou Jiangwu Ferrotungsten Co., Ltd.", "CHINA",
         "CID002315"),
        ("Tin", "Thaisarco", "Thaisarco", "THAILAND", "CID001898"),
        ("Gold", "Asahi Pretec Corp.", "Asahi Pretec Corp.", "JAPAN", "CID000082"),
    ]
    return SmelterReference((ReferenceEntry(m, a, s, c, i, "RMI") for m, a, s, c, i in rows),
                            source="test reference", date=dt.date(2026, 8, 22))


def rmap() -> RmapStatus:
    def conformant(metal: str, cid: str, name: str, audit: dt.date, cycle: str, reaudit: bool = False) -> RmapEntry:
        return RmapEntry(ListKind.CONFORMANT, metal, cid, name, last_audit_date=audit, audit_cycle_raw=cycle,
                         reaudit_in_progress=reaudit)

    lists = [
        RmiList(ListKind.CONFORMANT, dt.date(2026, 8, 22), "conformant.xml", entries=(
            conformant("Tantalum", "CID002544", "TANIOBIS Co., Ltd.", dt.date(2025, 10, 1), "1 Year"),
            conformant("Tungsten", "CID000004", "A.L.M.T. Corp.", dt.date(2024, 10, 18), "3 Years"),
            conformant("Tungsten", "CID002082", "Xiamen Tungsten Co., Ltd.", dt.date(2023, 5, 29), "3 YearS"),
            conformant("Tantalum", "CID001969", "Ulba Metallurgical Plant JSC", dt.date(2025, 7, 2), "1 Year", True),
        )),
        RmiList(ListKind.ACTIVE, dt.date(2026, 8, 22), "active.xml", entries=(
            RmapEntry(ListKind.ACTIVE, "Tungsten", "CID002315", "Ganzhou Jiangwu Ferrotungsten Co., Ltd."),
        )),
        RmiList(ListKind.REVISIONS, dt.date(2026, 8, 22), "revisions.xml", revisions=(
            Revision("Tin", "CID000572", "Gold Bell Group", "CHINA", "Removed",
                     "No longer an operating smelter / refiner", dt.date(2014, 4, 9), None),
        )),
    ]
    return RmapStatus.from_lists(lists)


def context(**kw: Any) -> ReviewContext:
    kw.setdefault("today", TODAY)
    return ReviewContext(**kw)


def full_context(**kw: Any) -> ReviewContext:
    kw.setdefault("reference", reference())
    kw.setdefault("rmap", rmap())
    return context(**kw)
