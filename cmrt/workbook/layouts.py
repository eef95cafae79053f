"""Per-version knowledge: label patterns, question topics and the fixed-cell fallback layouts.

Fields are located by their English label (through the ``L`` sheet); these tables are used when labels are
missing or cached as errors, and to give printed question numbers a stable topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cmrt.declaration import CMRT_METALS, CompanyTopic, Family, QuestionTopic

#: Company-block field (dotted path) → English label pattern.
COMPANY_LABELS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (path, re.compile(pattern, re.IGNORECASE))
    for path, pattern in (
        ("company.name", r"^Company Name"),
        ("company.scope", r"^Declaration Scope"),
        ("company.scope_description", r"^Description of Scope"),
        ("company.unique_id_authority", r"Unique (ID|Identifier) Authority"),
        ("company.unique_id", r"^Company Unique (ID|Identifier)"),
        ("company.address", r"^Address"),
        ("company.contact.name", r"^Contact Name|^\(If different"),
        ("company.contact.email", r"^Email\s*[–—-]\s*Contact|^Contact Email"),
        ("company.contact.phone", r"^Phone\s*[–—-]\s*Contact|^Contact Phone"),
        ("company.authorizer.name", r"^Authorizer|^Authorized (Company|Management) Representative"),
        ("company.authorizer.title", r"^Title\s*[–—-]\s*Authorizer|^Representative Title"),
        ("company.authorizer.email", r"^Email\s*[–—-]\s*Authorizer|^Representative Email"),
        ("company.authorizer.phone", r"^Phone\s*[–—-]\s*Authorizer|^Representative Phone"),
        ("company.effective_date", r"^Effective Date|^Date of Completion"),
        ("minerals", r"^(Select|Enter) Minerals"),
        ("minerals_other", r"^If you selected .?Other"),
    )
)

QUESTION_HEADER = re.compile(r"^\s*(\d{1,2})\s*[)）]")
COMPANY_HEADER = re.compile(r"^\s*([A-K])\s*[.．]\s*\S")

_QUESTION_TOPIC_PATTERNS: tuple[tuple[QuestionTopic, re.Pattern[str]], ...] = tuple(
    (topic, re.compile(pattern, re.IGNORECASE))
    for topic, pattern in (
        (QuestionTopic.RECYCLED_SCRAP, r"recycle|scrap"),
        (QuestionTopic.CAHRA, r"conflict.affected|high.risk|CAHRA"),
        (QuestionTopic.COVERED_COUNTRIES, r"covered countr|DRC|adjoining countr|Congo"),
        (
            QuestionTopic.SUPPLIER_RESPONSE,
            r"percentage|provided a response|from all (of your )?relevant suppliers|"
            r"received (completed|data)",
        ),
        (QuestionTopic.SMELTERS_IDENTIFIED, r"identified all"),
        (QuestionTopic.SMELTER_INFO_REPORTED, r"reported in this declaration|information received"),
        (QuestionTopic.SMELTERS_VALIDATED, r"validated|compliant|CFS"),
        (QuestionTopic.INTENTIONALLY_ADDED, r"intentionally"),
        (QuestionTopic.REMAINS_IN_PRODUCT, r"remain|contained in"),
        (QuestionTopic.NECESSARY, r"necessary"),
    )
)

_COMPANY_TOPIC_PATTERNS: tuple[tuple[CompanyTopic, re.Pattern[str]], ...] = tuple(
    (topic, re.compile(pattern, re.IGNORECASE))
    for topic, pattern in (
        (CompanyTopic.POLICY_PUBLIC, r"publicly available|public\b|website"),
        (CompanyTopic.CORRECTIVE_ACTION, r"corrective action"),
        (CompanyTopic.DISCLOSURE, r"disclosure|\bSEC\b|file an annual"),
        (CompanyTopic.REVIEW, r"\breview|\bverify"),
        (CompanyTopic.REQUEST_SMELTER_NAMES, r"smelter names|request .*smelters?\b.*nam"),
        (CompanyTopic.SURVEY, r"survey|fill out|this template|IPC.?1755"),
        (CompanyTopic.REQUIRE_VALIDATED_SMELTERS, r"validated|audit program|CFS|compliant smelters"),
        (CompanyTopic.REQUIRE_CONFLICT_FREE, r"conflict.free"),
        (CompanyTopic.DUE_DILIGENCE, r"due diligence"),
        (CompanyTopic.POLICY, r"policy"),
    )
)


def question_topic_of(label: str) -> QuestionTopic | None:
    for topic, pattern in _QUESTION_TOPIC_PATTERNS:
        if pattern.search(label):
            return topic
    return None


def company_topic_of(label: str) -> CompanyTopic:
    for topic, pattern in _COMPANY_TOPIC_PATTERNS:
        if pattern.search(label):
            return topic
    return CompanyTopic.OTHER


Q = QuestionTopic
C = CompanyTopic


@dataclass(frozen=True)
class Layout:
    """Fixed cells of one template generation (used when labels are unreadable)."""

    company_rows: dict[str, int]
    question_rows: dict[int, int]  # printed number → header row
    question_topics: dict[int, QuestionTopic]
    company_rows_by_letter: dict[str, int]
    company_topics: dict[str, CompanyTopic]
    minerals: tuple[str, ...] = CMRT_METALS
    mineral_offsets: tuple[int, ...] = (1, 2, 3, 4)
    per_mineral_letters: tuple[str, ...] = ()  # company questions answered per mineral (EMRT C)
    extra: dict[str, int] = field(default_factory=dict)
    date_parts: tuple[int, ...] = ()  # CMRT 1.00: the date is split into day, month and year columns


_COMPANY_3_6 = {
    "company.name": 8, "company.scope": 9, "company.scope_description": 10, "company.unique_id": 12,
    "company.unique_id_authority": 13, "company.address": 14, "company.contact.name": 15,
    "company.contact.email": 16, "company.contact.phone": 17, "company.authorizer.name": 18,
    "company.authorizer.title": 19, "company.authorizer.email": 20, "company.authorizer.phone": 21,
    "company.effective_date": 22,
}  # fmt: skip


def _letters(first_row: int, letters: str) -> dict[str, int]:
    return {letter: first_row + 2 * i for i, letter in enumerate(letters)}


CMRT_6 = Layout(
    company_rows=_COMPANY_3_6,
    question_rows={n: 25 + 6 * (n - 1) for n in range(1, 9)},
    question_topics={1: Q.INTENTIONALLY_ADDED, 2: Q.REMAINS_IN_PRODUCT, 3: Q.COVERED_COUNTRIES, 4: Q.CAHRA,
                     5: Q.RECYCLED_SCRAP, 6: Q.SUPPLIER_RESPONSE, 7: Q.SMELTERS_IDENTIFIED,
                     8: Q.SMELTER_INFO_REPORTED},
    company_rows_by_letter=_letters(75, "ABCDEFGH"),
    company_topics={"A": C.POLICY, "B": C.POLICY_PUBLIC, "C": C.REQUIRE_VALIDATED_SMELTERS, "D": C.DUE_DILIGENCE,
                    "E": C.SURVEY, "F": C.REVIEW, "G": C.CORRECTIVE_ACTION, "H": C.DISCLOSURE},
)  # fmt: skip

CMRT_3 = Layout(
    company_rows=_COMPANY_3_6,
    question_rows={n: 25 + 6 * (n - 1) for n in range(1, 8)},
    question_topics={1: Q.INTENTIONALLY_ADDED, 2: Q.REMAINS_IN_PRODUCT, 3: Q.COVERED_COUNTRIES,
                     4: Q.RECYCLED_SCRAP, 5: Q.SUPPLIER_RESPONSE, 6: Q.SMELTERS_IDENTIFIED,
                     7: Q.SMELTER_INFO_REPORTED},
    company_rows_by_letter=_letters(69, "ABCDEFGHIJ"),
    company_topics={"A": C.POLICY, "B": C.POLICY_PUBLIC, "C": C.REQUIRE_CONFLICT_FREE,
                    "D": C.REQUIRE_VALIDATED_SMELTERS, "E": C.DUE_DILIGENCE, "F": C.SURVEY,
                    "G": C.REQUEST_SMELTER_NAMES, "H": C.REVIEW, "I": C.CORRECTIVE_ACTION, "J": C.DISCLOSURE},
)  # fmt: skip

CMRT_1 = Layout(
    company_rows={
        "company.name": 7, "company.unique_id": 8, "company.address": 9, "company.authorizer.name": 10,
        "company.authorizer.title": 11, "company.authorizer.email": 12, "company.authorizer.phone": 13,
        "company.contact.name": 14, "company.contact.email": 15, "company.contact.phone": 16,
        "company.effective_date": 17,
    },
    question_rows={n: 19 + 6 * (n - 1) for n in range(1, 6)},
    question_topics={1: Q.NECESSARY, 2: Q.COVERED_COUNTRIES, 3: Q.RECYCLED_SCRAP, 4: Q.SMELTERS_IDENTIFIED,
                     5: Q.SMELTERS_VALIDATED},
    company_rows_by_letter=_letters(51, "ABCDEFGHIJK"),
    company_topics={"A": C.POLICY, "B": C.POLICY_PUBLIC, "C": C.REQUIRE_CONFLICT_FREE,
                    "D": C.REQUIRE_VALIDATED_SMELTERS, "E": C.DUE_DILIGENCE, "F": C.OTHER, "G": C.SURVEY,
                    "H": C.REQUEST_SMELTER_NAMES, "I": C.REVIEW, "J": C.CORRECTIVE_ACTION, "K": C.DISCLOSURE},
    date_parts=(5, 8, 10),  # E day, H month name, J year
)  # fmt: skip

CMRT_2 = Layout(
    company_rows={
        "company.name": 8, "company.scope": 9, "company.scope_description": 10, "company.unique_id": 12,
        "company.address": 13, "company.authorizer.name": 14, "company.authorizer.title": 15,
        "company.authorizer.email": 16, "company.authorizer.phone": 17, "company.effective_date": 18,
    },
    question_rows={n: 21 + 6 * (n - 1) for n in range(1, 7)},
    question_topics={1: Q.NECESSARY, 2: Q.COVERED_COUNTRIES, 3: Q.RECYCLED_SCRAP, 4: Q.SUPPLIER_RESPONSE,
                     5: Q.SMELTERS_IDENTIFIED, 6: Q.SMELTERS_VALIDATED},
    company_rows_by_letter=_letters(59, "ABCDEFGHIJ"),
    company_topics={"A": C.POLICY, "B": C.POLICY_PUBLIC, "C": C.REQUIRE_CONFLICT_FREE,
                    "D": C.REQUIRE_VALIDATED_SMELTERS, "E": C.DUE_DILIGENCE, "F": C.SURVEY,
                    "G": C.REQUEST_SMELTER_NAMES, "H": C.REVIEW, "I": C.CORRECTIVE_ACTION, "J": C.DISCLOSURE},
)  # fmt: skip

_EMRT_Q = {1: Q.INTENTIONALLY_ADDED, 2: Q.REMAINS_IN_PRODUCT, 3: Q.CAHRA, 4: Q.RECYCLED_SCRAP,
           5: Q.SUPPLIER_RESPONSE, 6: Q.SMELTERS_IDENTIFIED, 7: Q.SMELTER_INFO_REPORTED}  # fmt: skip
_EMRT_C = {"A": C.POLICY, "B": C.POLICY_PUBLIC, "C": C.REQUIRE_VALIDATED_SMELTERS, "D": C.DUE_DILIGENCE,
           "E": C.SURVEY, "F": C.REVIEW, "G": C.CORRECTIVE_ACTION}  # fmt: skip

EMRT_1 = Layout(
    company_rows=_COMPANY_3_6,
    question_rows={n: 25 + 6 * (n - 1) for n in range(1, 8)},
    question_topics=_EMRT_Q,
    company_rows_by_letter=_letters(69, "ABCDEFG"),
    company_topics=_EMRT_C,
    minerals=("Cobalt", "Mica"),
    mineral_offsets=(1, 2),
    per_mineral_letters=("C",),
)

EMRT_2 = Layout(
    company_rows={
        "company.name": 8, "company.scope": 9, "company.scope_description": 10, "company.unique_id": 16,
        "company.unique_id_authority": 17, "company.address": 18, "company.contact.name": 19,
        "company.contact.email": 20, "company.contact.phone": 21, "company.authorizer.name": 22,
        "company.authorizer.title": 23, "company.authorizer.email": 24, "company.authorizer.phone": 25,
        "company.effective_date": 26, "minerals": 12,
    },
    question_rows={n: 29 + 12 * (n - 1) for n in range(1, 8)},
    question_topics=_EMRT_Q,
    company_rows_by_letter={"A": 115, "B": 117, "C": 119, "D": 131, "E": 133, "F": 135, "G": 137},
    company_topics=_EMRT_C,
    minerals=(),
    mineral_offsets=tuple(range(1, 11)),
    per_mineral_letters=("C",),
)  # fmt: skip

CRT_2 = Layout(
    company_rows=_COMPANY_3_6,
    question_rows={n: 25 + 6 * (n - 1) for n in range(1, 7)},
    question_topics={1: Q.INTENTIONALLY_ADDED, 2: Q.CAHRA, 3: Q.RECYCLED_SCRAP, 4: Q.SUPPLIER_RESPONSE,
                     5: Q.SMELTERS_IDENTIFIED, 6: Q.SMELTER_INFO_REPORTED},
    company_rows_by_letter=_letters(63, "ABCDEFGHI"),
    company_topics={"A": C.POLICY_PUBLIC, "B": C.POLICY, "C": C.DUE_DILIGENCE, "D": C.OTHER,
                    "E": C.REQUIRE_VALIDATED_SMELTERS, "F": C.OTHER, "G": C.SURVEY, "H": C.REVIEW,
                    "I": C.CORRECTIVE_ACTION},
    minerals=("Cobalt",),
    mineral_offsets=(1,),
)  # fmt: skip

AMRT_1 = Layout(
    company_rows={
        "company.name": 8, "company.scope": 9, "company.scope_description": 10, "company.unique_id": 17,
        "company.unique_id_authority": 18, "company.address": 19, "company.contact.name": 20,
        "company.contact.email": 21, "company.contact.phone": 22, "company.authorizer.name": 23,
        "company.authorizer.title": 24, "company.authorizer.email": 25, "company.authorizer.phone": 26,
        "company.effective_date": 27, "minerals": 12, "minerals_other": 15,
    },
    question_rows={1: 30, 2: 42},
    question_topics={1: Q.DECLARING, 2: Q.SUPPLIER_RESPONSE},
    company_rows_by_letter={},
    company_topics={},
    minerals=(),
    mineral_offsets=tuple(range(1, 11)),
)  # fmt: skip


def layout_for(family: Family | None, version: tuple[int, ...]) -> Layout:
    major = version[0] if version else 0
    if family is Family.EMRT:
        return EMRT_2 if major >= 2 else EMRT_1
    if family is Family.CRT:
        return CRT_2
    if family is Family.AMRT:
        return AMRT_1
    if major >= 6 or major == 0:
        return CMRT_6
    if major >= 3:
        return CMRT_3
    if major == 1:
        return CMRT_1
    return CMRT_2


def family_minerals(family: Family | None, major: int) -> tuple[str, ...] | None:
    """The fixed mineral set of a family, or None when the declaration selects it (EMRT 2.x, AMRT)."""
    if family in (None, Family.CMRT):
        return CMRT_METALS
    if family is Family.CRT:
        return ("Cobalt",)
    if family is Family.EMRT and major < 2:
        return ("Cobalt", "Mica")
    return None
