"""The typed declaration read from a returned reporting template.

This is the contract between the workbook reader (which fills it) and the review engine, the store and the
report figures (which read it). It is plain data: frozen dataclasses, JSON-serialisable with ``to_json()``.

Cell references: every field the reader fills records where it came from in ``Declaration.cells``, keyed by a
dotted path (``company.name``, ``company.contact.email``, ``answers.Q1.Tantalum``,
``answer_comments.Q1.Tantalum``, ``company_questions.B.answer``, ``company_questions.B.comment``,
``minerals.Cobalt``) and valued ``"Sheet!A1"``. Smelter, mine and product rows carry their row number; the
column of each field is in ``smelter_columns`` / ``mine_columns`` / ``product_columns``
(field name -> column letter), and the row of each list's column headers in ``cells`` under
``smelters.header``, ``mines.header`` and ``products.header`` (valued ``"Sheet!row"``, e.g. ``"Smelter List!4"``).

Question semantics: the printed question numbers changed between template versions (CMRT 3.x had seven
questions, 6.x has eight, EMRT numbers differently). ``question_topics`` maps the printed number
(``"Q3"``) to a stable topic from ``QuestionTopic``; ``company_question_topics`` does the same for the
lettered company questions. Rules should look questions up by topic, never by number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, TypeVar

_T = TypeVar("_T")


def _build(cls: type[_T], data: Any, **extra: Any) -> _T:
    """``cls(**data)`` keeping only the fields ``cls`` knows (stored JSON may be older or newer than the code)."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in dict(data or {}).items() if k in names and k not in extra}, **extra)


class Family(StrEnum):
    CMRT = "CMRT"
    EMRT = "EMRT"
    CRT = "CRT"
    AMRT = "AMRT"


# The four conflict minerals ("3TG") a CMRT declares, in the template's order.
CMRT_METALS: tuple[str, ...] = ("Tantalum", "Tin", "Gold", "Tungsten")


class Scope(StrEnum):
    COMPANY = "company"
    PRODUCT = "product"
    USER_DEFINED = "user_defined"


class QuestionTopic(StrEnum):
    """What a per-mineral question asks, whatever its printed number."""

    INTENTIONALLY_ADDED = "intentionally_added"  # CMRT 3+/6.x Q1; EMRT 1.x Q1
    REMAINS_IN_PRODUCT = "remains_in_product"  # CMRT 6.x Q2 ("necessary ... contained" in 3.x)
    NECESSARY = "necessary"  # CMRT 2.x Q1 (necessary to functionality or production)
    COVERED_COUNTRIES = "covered_countries"  # DRC or adjoining countries
    CAHRA = "cahra"  # conflict-affected and high-risk areas
    RECYCLED_SCRAP = "recycled_scrap"  # 100 % from recycled or scrap sources
    SUPPLIER_RESPONSE = "supplier_response"  # share of relevant suppliers that responded
    SMELTERS_IDENTIFIED = "smelters_identified"  # all smelters identified
    SMELTER_INFO_REPORTED = "smelter_info_reported"  # all smelter information reported
    SMELTERS_VALIDATED = "smelters_validated"  # CMRT 2.x Q6 (all smelters on the CFS list)
    DECLARING = "declaring"  # AMRT Q1 style gating ("Not declaring")


class CompanyTopic(StrEnum):
    """What a lettered company question asks, whatever its letter."""

    POLICY = "policy"
    POLICY_PUBLIC = "policy_public"  # URL expected in the comment
    REQUIRE_CONFLICT_FREE = "require_conflict_free"
    REQUIRE_VALIDATED_SMELTERS = "require_validated_smelters"
    DUE_DILIGENCE = "due_diligence"
    SURVEY = "survey"  # do you survey your suppliers (IPC-1755 / CMRT / other format)
    REQUEST_SMELTER_NAMES = "request_smelter_names"
    REVIEW = "review"  # review due-diligence information against expectations
    CORRECTIVE_ACTION = "corrective_action"
    DISCLOSURE = "disclosure"  # SEC / EU filing
    OTHER = "other"


@dataclass(frozen=True)
class Template:
    family: Family | None
    version: str | None  # as printed, e.g. "6.4", "2.03a", "2.1"

    @property
    def version_tuple(self) -> tuple[int, ...]:
        """Numeric version for comparisons: "6.22" -> (6, 22), "2.03a" -> (2, 3)."""
        if not self.version:
            return ()
        parts: list[int] = []
        for piece in self.version.split("."):
            digits = "".join(ch for ch in piece if ch.isdigit())
            if not digits:
                break
            parts.append(int(digits))
        return tuple(parts)


@dataclass(frozen=True)
class Person:
    name: str | None = None
    title: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Company:
    name: str | None = None
    scope: Scope | None = None
    scope_raw: str | None = None  # the text as selected, e.g. "B. Product (or List of Products)"
    # the level as the template names it: "company", "product", "user_defined", and in CMRT 2.x also "division"
    # and "product_category" (both counted as user_defined in ``scope``: they need a description of scope)
    scope_level: str | None = None
    scope_description: str | None = None
    unique_id: str | None = None
    unique_id_authority: str | None = None
    address: str | None = None
    contact: Person = field(default_factory=Person)
    authorizer: Person = field(default_factory=Person)
    effective_date: dt.date | None = None
    effective_date_raw: str | None = None  # the cell as found, when it was not a real date


@dataclass(frozen=True)
class CompanyAnswer:
    answer: str | None
    comment: str | None = None
    # per-mineral sub-answers (EMRT company question C): {"Cobalt": "Yes", ...}
    per_mineral: dict[str, str | None] = field(default_factory=dict)
    # the web address behind the comment cell when it is a hyperlink (e.g. policy text linked to the policy URL)
    link: str | None = None


@dataclass(frozen=True)
class SmelterRow:
    row: int
    metal: str | None = None
    lookup: str | None = None  # the Smelter Look-up (reference list) value, or "Smelter not listed" ...
    name: str | None = None
    country: str | None = None
    smelter_id: str | None = None
    id_source: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    next_steps: str | None = None
    mine_names: str | None = None
    mine_countries: str | None = None
    recycled: str | None = None  # Yes / No / Unknown
    comments: str | None = None
    id_input: str | None = None  # CMRT 6.x column A, the smelter id the user typed
    standard_name: str | None = None  # CMRT 5+ hidden column R (the look-up's standard name), when present


@dataclass(frozen=True)
class MineRow:
    row: int
    metal: str | None = None
    smelter_name: str | None = None
    mine_name: str | None = None
    mine_id: str | None = None
    id_source: str | None = None
    country: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    next_steps: str | None = None
    comments: str | None = None


@dataclass(frozen=True)
class ProductRow:
    row: int
    number: str | None = None
    name: str | None = None
    comment: str | None = None
    requester_number: str | None = None
    requester_name: str | None = None


@dataclass(frozen=True)
class Warning_:
    """Something the reader noticed but could work around; names sheet and cell."""

    code: str
    message: str
    sheet: str | None = None
    cell: str | None = None


@dataclass(frozen=True)
class Declaration:
    template: Template
    language: str | None = None
    company: Company = field(default_factory=Company)
    minerals: tuple[str, ...] = ()
    # {"Q1": {"Tantalum": "Yes", ...}, ...}: normalised values, None when empty
    answers: dict[str, dict[str, str | None]] = field(default_factory=dict)
    answer_comments: dict[str, dict[str, str | None]] = field(default_factory=dict)
    question_topics: dict[str, QuestionTopic] = field(default_factory=dict)
    company_questions: dict[str, CompanyAnswer] = field(default_factory=dict)
    company_question_topics: dict[str, CompanyTopic] = field(default_factory=dict)
    smelters: tuple[SmelterRow, ...] = ()
    mines: tuple[MineRow, ...] = ()
    products: tuple[ProductRow, ...] = ()
    checker_remaining: int | None = None
    # the kind of each required field the Checker counts as missing ("company", "question", "company_question",
    # "product", "smelter"), from its rows' "incomplete" flags (CMRT 2.03+, EMRT, CRT, AMRT); () when unknown
    checker_open: tuple[str, ...] = ()
    warnings: tuple[Warning_, ...] = ()
    cells: dict[str, str] = field(default_factory=dict)
    smelter_columns: dict[str, str] = field(default_factory=dict)
    mine_columns: dict[str, str] = field(default_factory=dict)
    product_columns: dict[str, str] = field(default_factory=dict)

    def question(self, topic: QuestionTopic) -> str | None:
        """The printed question key ("Q3") that asks ``topic`` in this version, if any."""
        for key, value in self.question_topics.items():
            if value == topic:
                return key
        return None

    def answer(self, topic: QuestionTopic, mineral: str) -> str | None:
        key = self.question(topic)
        if key is None:
            return None
        return self.answers.get(key, {}).get(mineral)

    def company_question(self, topic: CompanyTopic) -> str | None:
        for key, value in self.company_question_topics.items():
            if value == topic:
                return key
        return None

    def cell(self, path: str) -> tuple[str | None, str | None]:
        """(sheet, cell) for a dotted field path, or (None, None) when unknown."""
        ref = self.cells.get(path)
        if not ref or "!" not in ref:
            return None, None
        sheet, _, addr = ref.rpartition("!")
        return sheet, addr

    def to_json(self) -> dict[str, Any]:
        """The JSON shape documented in the README (``cmrt-bot check --json``), minus ``file``/``error``."""
        company = asdict(self.company)
        company["scope"] = self.company.scope.value if self.company.scope else None
        company["effective_date"] = (
            self.company.effective_date.isoformat() if self.company.effective_date else None
        )
        company["contact"] = {k: company["contact"][k] for k in ("name", "email", "phone")}
        return {
            "template": {
                "family": self.template.family.value if self.template.family else None,
                "version": self.template.version,
            },
            "language": self.language,
            "company": company,
            "minerals": list(self.minerals),
            "answers": self.answers,
            "answer_comments": self.answer_comments,
            "question_topics": {k: v.value for k, v in self.question_topics.items()},
            "company_questions": {k: asdict(v) for k, v in self.company_questions.items()},
            "company_question_topics": {k: v.value for k, v in self.company_question_topics.items()},
            "smelters": [asdict(s) for s in self.smelters],
            "mines": [asdict(m) for m in self.mines],
            "products": [asdict(p) for p in self.products],
            "checker_remaining": self.checker_remaining,
            "checker_open": list(self.checker_open),
            "warnings": [asdict(w) for w in self.warnings],
            "cells": self.cells,
            "smelter_columns": self.smelter_columns,
            "mine_columns": self.mine_columns,
            "product_columns": self.product_columns,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Declaration:
        """The declaration ``to_json()`` wrote (as stored with a submission); unknown keys are ignored, missing ones
        take their defaults, so declarations stored by an older version still load."""
        template = data.get("template") or {}
        company = dict(data.get("company") or {})
        effective = company.get("effective_date")
        scope = company.get("scope")
        return cls(
            template=Template(Family(template["family"]) if template.get("family") else None, template.get("version")),
            language=data.get("language"),
            company=_build(
                Company, company,
                scope=Scope(scope) if scope in {s.value for s in Scope} else None,
                effective_date=dt.date.fromisoformat(effective) if effective else None,
                contact=_build(Person, company.get("contact")),
                authorizer=_build(Person, company.get("authorizer")),
            ),
            minerals=tuple(data.get("minerals") or ()),
            answers={k: dict(v) for k, v in (data.get("answers") or {}).items()},
            answer_comments={k: dict(v) for k, v in (data.get("answer_comments") or {}).items()},
            question_topics={k: QuestionTopic(v) for k, v in (data.get("question_topics") or {}).items()
                             if v in {t.value for t in QuestionTopic}},
            company_questions={k: _build(CompanyAnswer, v) for k, v in (data.get("company_questions") or {}).items()},
            company_question_topics={k: CompanyTopic(v) for k, v in (data.get("company_question_topics") or {}).items()
                                     if v in {t.value for t in CompanyTopic}},
            smelters=tuple(_build(SmelterRow, row) for row in data.get("smelters") or ()),
            mines=tuple(_build(MineRow, row) for row in data.get("mines") or ()),
            products=tuple(_build(ProductRow, row) for row in data.get("products") or ()),
            checker_remaining=data.get("checker_remaining"),
            checker_open=tuple(data.get("checker_open") or ()),
            warnings=tuple(_build(Warning_, w) for w in data.get("warnings") or ()),
            cells=dict(data.get("cells") or {}),
            smelter_columns=dict(data.get("smelter_columns") or {}),
            mine_columns=dict(data.get("mine_columns") or {}),
            product_columns=dict(data.get("product_columns") or {}),
        )


def split_families(value: str | None) -> tuple[str, ...]:
    """A campaign's ``template_family`` ("CMRT", or several as "CMRT,EMRT") as a tuple, upper case, in order;
    ("CMRT",) when unset."""
    names = (part.strip().upper() for part in (value or "").replace(";", ",").replace("+", ",").split(","))
    return tuple(dict.fromkeys(name for name in names if name)) or ("CMRT",)
