"""What a roll-up takes (our company, our policy answers, the campaign's facts) and what it wrote, and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cmrt.rollup.company import CompanyInfo
from cmrt.rollup.rules import Decision, SupplierAnswers
from cmrt.smelters.consolidate import Consolidation

#: Our company's fields, as the ``[company]`` configuration names them, and the template field each fills.
COMPANY_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "company.name"),
    ("unique_id", "company.unique_id"),
    ("unique_id_authority", "company.unique_id_authority"),
    ("address", "company.address"),
    ("contact_name", "company.contact.name"),
    ("contact_email", "company.contact.email"),
    ("contact_phone", "company.contact.phone"),
    ("authorizer_name", "company.authorizer.name"),
    ("authorizer_title", "company.authorizer.title"),
    ("authorizer_email", "company.authorizer.email"),
    ("authorizer_phone", "company.authorizer.phone"),
)
#: The fields the template's Checker requires (the e-mail addresses must also be addresses).
REQUIRED_COMPANY_FIELDS = ("name", "contact_name", "contact_email", "contact_phone", "authorizer_name",
                           "authorizer_email")  # fmt: skip


@dataclass(frozen=True)
class PolicyAnswer:
    """Our answer to one lettered company question (``[rollup.company_questions]``)."""

    answer: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class Product:
    number: str
    name: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class RollupInput:
    """Everything one roll-up depends on; ``effective_date`` is the declaration's date (today by default)."""

    company: CompanyInfo
    scope: str  # "company" | "product"
    effective_date: dt.date
    suppliers: Sequence[SupplierAnswers]  # one per surveyed supplier
    surveyed: int
    responded: int
    smelters: Consolidation
    answers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # [rollup.answers]: Q -> metal|* -> value
    policy: Mapping[str, PolicyAnswer] = field(default_factory=dict)  # [rollup.company_questions]
    products: Sequence[Product] = ()


class RollupInputError(ValueError):
    """What is missing or wrong, one ``(key, message)`` per problem; nothing was written."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{key}: {message}" for key, message in self.problems))


@dataclass(frozen=True)
class SmelterLine:
    """One Smelter List row of our declaration."""

    row: int
    metal: str
    lookup: str
    kind: str  # listed | not_listed | not_yet_identified
    name: str | None = None
    country: str | None = None
    smelter_id: str | None = None
    suppliers: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "metal": self.metal, "lookup": self.lookup, "kind": self.kind, "name": self.name,
                "country": self.country, "smelter_id": self.smelter_id, "suppliers": self.suppliers}  # fmt: skip


@dataclass
class RollupPlan:
    """The declaration as it will be written: every value with its cell, and what was left out and why."""

    template_version: str | None
    scope: str
    effective_date: dt.date
    company: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {"value", "cell"}
    answers: dict[str, dict[str, dict[str, Any] | None]] = field(default_factory=dict)  # Q -> metal -> decision
    policy: dict[str, dict[str, Any]] = field(default_factory=dict)  # letter -> {"answer", "comment", "source"}
    smelters: list[SmelterLine] = field(default_factory=list)
    left_out: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    metals_in_scope: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def answer(self, key: str, metal: str) -> Decision | None:
        item = self.answers.get(key, {}).get(metal)
        return None if item is None else Decision(item["value"], item["rule"], item["reason"])

    def to_json(self) -> dict[str, Any]:
        return {
            "template_version": self.template_version,
            "scope": self.scope,
            "effective_date": self.effective_date.isoformat(),
            "figures": self.figures,
            "company": self.company,
            "metals_in_scope": self.metals_in_scope,
            "answers": self.answers,
            "company_questions": self.policy,
            "smelters": [line.to_json() for line in self.smelters],
            "left_out": self.left_out,
            "products": self.products,
        }
