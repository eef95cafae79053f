"""The figures a Conflict Minerals Report states about the supplier survey (SEC Form SD, OECD step 5).

Pure: plain records in, figures out. "Surveyed" counts the suppliers the request went to (exempt ones excluded);
"responded" counts those whose workbook arrived (responded, under clarification, accepted, or closed after a
review); the response rate is responded / surveyed. Declarations are split by the scope the supplier declared
(company-level, product-level, user-defined), and graded by the latest review.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

ANSWERED_STATES = frozenset({"responded", "accepted", "clarification_requested"})
GRADES = ("accepted", "needs_clarification", "high_risk", "rejected")


@dataclass(frozen=True)
class RequestFigure:
    """One supplier request as the report sees it."""

    state: str
    scope: str | None = None  # company | product | user_defined, from the latest declaration
    grade: str | None = None  # from the latest review
    tier: str | None = None  # direct | indirect


@dataclass(frozen=True)
class ReportFigures:
    year: int
    suppliers: int  # requests in the campaign
    exempt: int
    surveyed: int
    not_yet_sent: int
    responded: int
    response_rate: float  # 0..1; 0 when nobody was surveyed
    company_level: int
    product_level: int
    user_defined: int
    scope_unknown: int
    grades: dict[str, int] = field(default_factory=dict)
    by_state: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "year": self.year,
            "suppliers": self.suppliers,
            "exempt": self.exempt,
            "surveyed": self.surveyed,
            "not_yet_sent": self.not_yet_sent,
            "responded": self.responded,
            "response_rate": round(self.response_rate, 4),
            "declarations": {
                "company": self.company_level,
                "product": self.product_level,
                "user_defined": self.user_defined,
                "unknown": self.scope_unknown,
            },
            "grades": dict(self.grades),
            "by_state": dict(self.by_state),
        }

    def lines(self) -> list[str]:
        pct = f"{self.response_rate * 100:.1f} %"
        grades = ", ".join(f"{g.replace('_', ' ')} {self.grades.get(g, 0)}" for g in GRADES)
        return [
            f"Reporting year {self.year}: {self.surveyed} supplier(s) surveyed"
            f"{f', {self.exempt} exempt' if self.exempt else ''}"
            f"{f', {self.not_yet_sent} not yet contacted' if self.not_yet_sent else ''}.",
            f"Responses: {self.responded} of {self.surveyed} ({pct}).",
            f"Declarations: {self.company_level} company-level, {self.product_level} product-level, "
            f"{self.user_defined} user-defined"
            + (f", {self.scope_unknown} unknown" if self.scope_unknown else "")
            + ".",
            f"Grades: {grades}.",
        ]


def _answered(item: RequestFigure) -> bool:
    return item.state in ANSWERED_STATES or (item.state == "closed" and item.grade is not None)


def report_figures(year: int, requests: Iterable[RequestFigure]) -> ReportFigures:
    items = list(requests)
    states = Counter(i.state for i in items)
    exempt = states.get("exempt", 0)
    not_sent = states.get("not_sent", 0)
    surveyed = len(items) - exempt - not_sent
    answered = [i for i in items if _answered(i)]
    scopes = Counter(i.scope for i in answered)
    grades = Counter(i.grade for i in answered if i.grade)
    known = {"company", "product", "user_defined"}
    return ReportFigures(
        year=year,
        suppliers=len(items),
        exempt=exempt,
        surveyed=surveyed,
        not_yet_sent=not_sent,
        responded=len(answered),
        response_rate=(len(answered) / surveyed) if surveyed else 0.0,
        company_level=scopes.get("company", 0),
        product_level=scopes.get("product", 0),
        user_defined=scopes.get("user_defined", 0),
        scope_unknown=sum(n for s, n in scopes.items() if s not in known),
        grades={g: grades.get(g, 0) for g in GRADES} | {g: n for g, n in grades.items() if g not in GRADES},
        by_state=dict(sorted(states.items())),
    )
