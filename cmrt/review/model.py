"""Data types of the review engine: severities, findings, checks, the context and the result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cmrt.declaration import Declaration
from cmrt.review.texts import Text
from cmrt.smelters.reference import SmelterReference
from cmrt.smelters.rmap import DEFAULT_MAX_LIST_AGE_DAYS, RmapStatus


class Severity(StrEnum):
    REJECT = "reject"  # resend: the file cannot be used as it is
    HIGH_RISK = "high_risk"  # escalate to a human reviewer
    CLARIFY = "clarify"  # ask the supplier to correct or explain
    INFO = "info"  # recorded, no action needed


class Grade(StrEnum):
    ACCEPTED = "accepted"
    NEEDS_CLARIFICATION = "needs_clarification"
    HIGH_RISK = "high_risk"
    REJECTED = "rejected"


DISABLED = "disabled"
SUPPLIER = "supplier"  # a finding the supplier may be told (by its severity)
TEAM = "team"  # information for the team only: always ``info``, never in a supplier e-mail


class ReviewConfigError(ValueError):
    """A campaign's review overrides name an unknown check or an unknown severity."""


@dataclass(frozen=True)
class ReviewContext:
    """What a review depends on besides the declaration. ``today`` is passed in, never read from the clock."""

    today: dt.date
    reference: SmelterReference | None = None
    rmap: RmapStatus | None = None
    required_family: str | None = None  # e.g. "CMRT"
    min_version: str | None = None  # e.g. "6.4"
    requested_scope: str | None = None  # "company" | "product"
    reporting_year: int | None = None
    overrides: Mapping[str, str] = field(default_factory=dict)  # check id -> severity or "disabled"
    max_list_age_days: int = DEFAULT_MAX_LIST_AGE_DAYS  # older RMAP lists are named with their age
    # the supplier's last accepted declaration, for the year-over-year checks, and how to name it ("2025")
    previous: Declaration | None = None
    previous_label: str | None = None
    # the findings of every other check; the engine fills it for the checks that run last (``Check.after``)
    prior: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    message: str  # supplier-facing, without the location prefix
    sheet: str | None = None
    cell: str | None = None
    row: int | None = None
    mineral: str | None = None
    title: str = ""
    # machine-readable facts behind the message, e.g. {"candidate_id": "CID002082", "confidence": 0.92}
    detail: Mapping[str, Any] | None = field(default=None, compare=False)
    audience: str = SUPPLIER  # TEAM: information for the compliance team, never sent to a supplier
    # the message as a key and parameters (``cmrt.review.texts``): what a supplier reads in their language
    phrase: Text | None = field(default=None, compare=False)

    @property
    def location(self) -> str:
        """``"Declaration D16"``, ``"Smelter List E10"``, ``"Smelter List row 10"`` or ``""``."""
        if self.sheet and self.cell:
            return f"{self.sheet} {self.cell}"
        if self.sheet and self.row:
            return f"{self.sheet} row {self.row}"
        return self.sheet or ""

    @property
    def text(self) -> str:
        """The message with its location: ``"Declaration D16: the contact e-mail ... is not a valid address"``."""
        return f"{self.location}: {self.message}" if self.location else self.message[:1].upper() + self.message[1:]

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity.value,
            "title": self.title,
            "message": self.message,
            "sheet": self.sheet,
            "cell": self.cell,
            "row": self.row,
            "mineral": self.mineral,
        } | ({"detail": dict(self.detail)} if self.detail else {}) | (
            {"audience": self.audience} if self.audience != SUPPLIER else {}
        ) | ({"phrase": self.phrase.to_json()} if self.phrase is not None else {})


CheckFunc = Callable[[Declaration, ReviewContext], list[Finding]]


@dataclass(frozen=True)
class Check:
    """One entry of the published catalogue."""

    id: str
    title: str
    severity: Severity
    area: str  # template, company, scope, mineral, company_questions, smelter
    rationale: str
    message: str  # the supplier-facing message pattern, as documented
    func: CheckFunc
    sources: str = ""  # where the rule comes from (ddm, Checker, cirscn, reviewers)
    # the kind of required field when the check mirrors rows of the template's own Checker sheet ("company",
    # "question", "company_question", "product", "smelter", as cmrt.workbook.checker.KINDS); "" otherwise
    checker: str = ""
    needs: str = ""  # "reference", "rmap", "campaign", "previous" when it only runs with that context
    audience: str = SUPPLIER  # TEAM: findings stay ``info`` whatever the overrides say
    after: bool = False  # runs after every other check, with their findings in ``ReviewContext.prior``
    # checks whose finding on the same smelter row (or the same cell) says the same problem less precisely: when
    # this check reports a place, theirs for that place are dropped (one finding per problem per row)
    supersedes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewResult:
    grade: Grade
    score: int
    catalogue_version: str
    findings: tuple[Finding, ...]
    reference_source: str | None = None
    reference_date: dt.date | None = None
    rmap_date: dt.date | None = None
    checks_run: int = 0
    failed_checks: tuple[str, ...] = ()  # checks that raised (a bug): skipped, logged, listed here

    def by_severity(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity is severity]

    def to_json(self) -> dict[str, Any]:
        return {
            "grade": self.grade.value,
            "score": self.score,
            "catalogue_version": self.catalogue_version,
            "reference": self.reference_source,
            "reference_date": self.reference_date.isoformat() if self.reference_date else None,
            "rmap_date": self.rmap_date.isoformat() if self.rmap_date else None,
            "findings": [f.to_json() for f in self.findings],
        } | ({"failed_checks": list(self.failed_checks)} if self.failed_checks else {})
