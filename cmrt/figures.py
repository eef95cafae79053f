"""The campaign figures: the one definition every surface uses (``status``, ``report``, Slack, digest, App Home).

Pure: one ``RequestFacts`` per supplier request (what the store knows about it) and ``today`` in, figures out.
``DEFINITIONS`` holds one sentence per figure; ``docs/figures.md`` is generated from it
(``python -m cmrt.figures > docs/figures.md``) and the XLSX export's "Read me" sheet quotes it.

Every request falls in exactly one of four groups, so ``suppliers = surveyed + bounced + not_sent + exempt``:

- *exempt*: the team exempted it;
- *surveyed*: the request reached the supplier (it was sent and its address does not bounce), or a workbook came
  back anyway;
- *bounced*: the supplier's address bounces and no workbook came back;
- *not sent*: not (yet) sent, no workbook.

*Responded* counts surveyed requests whose workbook arrived and was read, whatever happened next (under
clarification, accepted, escalated after the review, closed). Grades and declaration scopes are counted over the
responded requests, from the latest review and the latest read declaration.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cmrt.outreach.families import still_missing
from cmrt.outreach.states import CONTACTED_STATES, DECIDED_STATES, RequestState

STATES = tuple(state.value for state in RequestState)
GRADES = ("accepted", "needs_clarification", "high_risk", "rejected")
SCOPES = ("company", "product", "user_defined")
FAMILIES = ("CMRT", "EMRT", "CRT", "AMRT")  # the RMI reporting templates, in the order figures list them

DEFINITIONS: dict[str, str] = {
    "suppliers": "Suppliers in the campaign: one request each; surveyed + bounced + not sent + exempt.",
    "surveyed": "Requests that reached the supplier: sent to an address that does not bounce, or answered with a "
    "workbook; exempt requests and requests never sent are not counted.",
    "responded": "Surveyed requests whose workbook arrived and was read, whatever happened next (responded, under "
    "clarification, accepted, escalated after the review, or closed after the review).",
    "response_rate": "Responded divided by surveyed (0 when nobody has been surveyed yet).",
    "grades": "The grade of the latest review of each responded request: accepted, needs clarification, high "
    "risk (escalated to the team) or rejected.",
    "declarations": "The scope each responded supplier declared in its latest read workbook: company-level, "
    "product-level, user-defined, or unknown when the workbook does not say.",
    "questions": "Requests whose supplier replied without a workbook (a question, or a link to a published "
    "declaration) and has not returned a readable workbook.",
    "bounced": "Requests that cannot reach the supplier because its contact address bounces, and no workbook came "
    "back.",
    "exempt": "Requests the team exempted from the campaign.",
    "not_sent": "Requests not sent yet (and not answered): the outreach has not reached them.",
    "overdue": "Surveyed requests still without a response, not settled by the team (accepted or closed), after "
    "the campaign's due date.",
    "awaiting": "Surveyed requests without a response yet (overdue ones included).",
    "families": "Per template family (CMRT, EMRT, CRT, AMRT): `asked` = requests (exempt ones left out) whose "
    "campaign asks for that template, `surveyed` = those of them surveyed, `responded` = those of them whose read "
    "workbook of that family arrived, `response_rate` = responded divided by surveyed, `overdue` = surveyed "
    "requests still without that template after the due date that the bot still chases for it (overdue as above, "
    "or partly returned: another asked template came back, the request is neither closed nor exempt); a family a "
    "supplier returned without being asked for it is listed with `asked` 0 and its returns under `unasked`.",
}


@dataclass(frozen=True)
class RequestFacts:
    """What the figures need to know about one supplier request (built from the store)."""

    request_id: int
    state: str  # one of STATES
    sent: bool = False  # the request e-mail went out (``sent_at`` recorded)
    workbook_read: bool = False  # a returned workbook was read (a declaration exists)
    grade: str | None = None  # the latest review's grade
    scope: str | None = None  # company | product | user_defined, from the latest read declaration
    replied_without_workbook: bool = False  # a question or a link, no workbook
    contact_bouncing: bool = False  # the address requests go to bounces
    tier: str | None = None  # direct | indirect
    asked: tuple[str, ...] = ("CMRT",)  # the template families the campaign asks for
    returned: frozenset[str] = frozenset()  # the families of the read workbooks the request received



def group(facts: RequestFacts) -> str:
    """The one group a request belongs to: ``exempt``, ``surveyed``, ``bounced`` or ``not_sent``."""
    if facts.state == "exempt":
        return "exempt"
    if facts.workbook_read:
        return "surveyed"
    if facts.contact_bouncing:
        return "bounced"
    if facts.sent or facts.state in CONTACTED_STATES:
        return "surveyed"
    return "not_sent"


def responded(facts: RequestFacts) -> bool:
    return facts.state != "exempt" and facts.workbook_read


def overdue(facts: RequestFacts, due_date: dt.date, today: dt.date) -> bool:
    return (
        today > due_date and group(facts) == "surveyed" and not responded(facts) and facts.state not in DECIDED_STATES
    )


@dataclass(frozen=True)
class CampaignFigures:
    year: int
    due_date: dt.date
    today: dt.date  # the day "overdue" is measured on
    suppliers: int
    surveyed: int
    responded: int
    bounced: int
    exempt: int
    not_sent: int
    questions: int
    overdue: int
    grades: dict[str, int]  # every key of GRADES (0 when unused), then any other grade seen
    declarations: dict[str, int]  # company, product, user_defined, unknown
    by_state: dict[str, int]  # every key of STATES
    overdue_ids: tuple[int, ...] = ()
    open_high_risk_ids: tuple[int, ...] = ()  # responded, latest grade high_risk, not settled
    escalated_ids: tuple[int, ...] = ()  # in state escalated
    surveyed_ids: tuple[int, ...] = ()  # the surveyed requests (the roll-up's suppliers)
    families: dict[str, dict[str, Any]] = field(default_factory=dict)  # family -> asked/surveyed/responded/...
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def response_rate(self) -> float:
        return self.responded / self.surveyed if self.surveyed else 0.0

    @property
    def awaiting(self) -> int:
        return self.surveyed - self.responded

    @property
    def high_risk(self) -> int:
        return self.grades.get("high_risk", 0)

    def to_json(self) -> dict[str, Any]:
        """The ``figures`` object of ``report --json`` and ``status --json`` (keys documented in the README)."""
        return {
            "year": self.year,
            "due_date": self.due_date.isoformat(),
            "as_of": self.today.isoformat(),
            "suppliers": self.suppliers,
            "surveyed": self.surveyed,
            "responded": self.responded,
            "response_rate": round(self.response_rate, 4),
            "awaiting": self.awaiting,
            "bounced": self.bounced,
            "exempt": self.exempt,
            "not_yet_sent": self.not_sent,
            "questions": self.questions,
            "overdue": self.overdue,
            "grades": dict(self.grades),
            "declarations": dict(self.declarations),
            "company_level": self.declarations["company"],
            "product_level": self.declarations["product"],
            "user_defined": self.declarations["user_defined"],
            "scope_unknown": self.declarations["unknown"],
            "by_state": dict(self.by_state),
            "families": {name: dict(counts) for name, counts in self.families.items()},
        }

    def lines(self) -> list[str]:
        """The figures as plain text, the same lines on every surface."""
        grades = ", ".join(f"{g.replace('_', ' ')} {n}" for g, n in self.grades.items())
        d = self.declarations
        others = [f"{n} {label}" for n, label in ((self.bounced, "bounced"), (self.not_sent, "not yet sent"),
                                                   (self.exempt, "exempt")) if n]  # fmt: skip
        return [
            f"Suppliers surveyed: {self.surveyed} of {self.suppliers}"
            + (f" ({', '.join(others)})" if others else "") + ".",
            f"Responded: {self.responded} of {self.surveyed} ({percent(self.response_rate)}).",
            f"Grades: {grades}.",
            f"Declarations: {d['company']} company-level, {d['product']} product-level, {d['user_defined']} "
            f"user-defined, {d['unknown']} unknown.",
            f"Questions without a workbook: {self.questions}. Overdue: {self.overdue} (due "
            f"{self.due_date.isoformat()}).",
            *self.family_lines(),
        ]

    def family_lines(self) -> list[str]:
        """One line per template family, only when the campaign involves another family than the CMRT alone."""
        if list(self.families) in ([], ["CMRT"]):
            return []
        parts = []
        for name, c in self.families.items():
            text = f"{name} {c['responded']} of {c['surveyed']} ({percent(c['response_rate'])})"
            text += f", {c['unasked']} not asked for" if c["unasked"] else ""
            parts.append(text + (f", {c['overdue']} overdue" if c.get("overdue") else ""))
        return [f"Responded per template: {'; '.join(parts)}."]


def percent(share: float | None, digits: int = 1) -> str:
    return "unknown" if share is None else f"{share * 100:.{digits}f} %"


def family_figures(
    items: Iterable[RequestFacts], due_date: dt.date | None = None, today: dt.date | None = None
) -> dict[str, dict[str, Any]]:
    """The per-family counts (DEFINITIONS["families"]) of the requests, families in FAMILIES order; ``overdue``
    needs ``due_date`` and ``today``."""
    late = (due_date, today) if due_date is not None and today is not None and today > due_date else None
    counts: dict[str, Counter[str]] = {}
    for f in items:
        if f.state == "exempt":
            continue
        missing = still_missing(f.asked, f.returned) if late else ()
        for name in f.asked:
            c = counts.setdefault(name, Counter())
            c["asked"] += 1
            if group(f) == "surveyed":
                c["surveyed"] += 1
                c["responded"] += name in f.returned
                if late and name not in f.returned and (  # still chased for it: partly returned, or no response
                        (name in missing and f.state != "closed") or overdue(f, *late)):
                    c["overdue"] += 1
        for name in f.returned - set(f.asked):
            counts.setdefault(name, Counter())["unasked"] += 1
    order = sorted(counts, key=lambda n: (FAMILIES.index(n) if n in FAMILIES else len(FAMILIES), n))
    out: dict[str, dict[str, Any]] = {}
    for name in order:
        c = counts[name]
        rate = c["responded"] / c["surveyed"] if c["surveyed"] else 0.0
        out[name] = {"asked": c["asked"], "surveyed": c["surveyed"], "responded": c["responded"],
                     "response_rate": round(rate, 4), "unasked": c["unasked"], "overdue": c["overdue"]}  # fmt: skip
    return out


def campaign_figures(
    year: int, due_date: dt.date, today: dt.date, requests: Iterable[RequestFacts]
) -> CampaignFigures:
    items = list(requests)
    groups = Counter(group(f) for f in items)
    answered = [f for f in items if responded(f)]
    grades = Counter(f.grade for f in answered if f.grade)
    scopes = Counter(f.scope if f.scope in SCOPES else "unknown" for f in answered)
    states = Counter(f.state for f in items)
    late = [f.request_id for f in items if overdue(f, due_date, today)]
    return CampaignFigures(
        year=year,
        due_date=due_date,
        today=today,
        suppliers=len(items),
        surveyed=groups["surveyed"],
        responded=len(answered),
        bounced=groups["bounced"],
        exempt=groups["exempt"],
        not_sent=groups["not_sent"],
        questions=sum(1 for f in items if f.replied_without_workbook and not responded(f) and f.state != "exempt"),
        overdue=len(late),
        grades={g: grades.get(g, 0) for g in GRADES} | {g: n for g, n in sorted(grades.items()) if g not in GRADES},
        declarations={s: scopes.get(s, 0) for s in (*SCOPES, "unknown")},
        by_state={s: states.get(s, 0) for s in STATES} | {s: n for s, n in states.items() if s not in STATES},
        overdue_ids=tuple(late),
        open_high_risk_ids=tuple(
            f.request_id for f in answered if f.grade == "high_risk" and f.state not in DECIDED_STATES
        ),
        escalated_ids=tuple(f.request_id for f in items if f.state == "escalated"),
        surveyed_ids=tuple(f.request_id for f in items if group(f) == "surveyed"),
        families=family_figures(items, due_date, today),
    )


def render_markdown() -> str:
    """``docs/figures.md`` (tests/unit/reports/test_figures.py fails when the committed file differs)."""
    lines = [
        "# Campaign figures",
        "",
        "<!-- Generated by `python -m cmrt.figures > docs/figures.md`; do not edit by hand. -->",
        "",
        "Every surface (`cmrt-bot status`, `cmrt-bot report`, Slack `/cmrt status` and `/cmrt report`, the digest "
        "and the App Home) takes these figures from one definition, `cmrt.figures`. Each figure in one sentence:",
        "",
        "| figure | definition |",
        "| --- | --- |",
    ]
    lines += [f"| `{key}` | {text} |" for key, text in DEFINITIONS.items()]
    lines += [
        "",
        "A request is in exactly one of the groups *surveyed*, *bounced*, *not sent* and *exempt*; *responded* is "
        "part of *surveyed*. The RMAP figures of the report (smelters conformant or active) are taken from RMI's "
        "lists as published, and always name the lists' date.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
