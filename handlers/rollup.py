"""Our own CMRT: the campaign's declarations rolled up into the company's declaration to its customers.

The use case behind ``cmrt-bot rollup`` and Slack's ``/cmrt rollup``: load the campaign's figures and the
consolidated smelter list (``handlers.report.build_report``, the same numbers and the same consolidation as
``cmrt-bot report``) and each surveyed supplier's latest declaration, let ``cmrt.rollup`` plan and write the
declaration into the blank template, then read the result back with the bot's own reader and review it. A
roll-up whose own review still finds a field the template's Checker requires is refused, never handed out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from cmrt.declaration import Declaration
from cmrt.review import CHECKS_BY_ID, checker_remaining, review
from cmrt.review.adhoc import context_for
from cmrt.review.model import ReviewResult
from cmrt.rollup.build import plan_rollup, write_rollup
from cmrt.rollup.form import TemplateFormError, load_form
from cmrt.rollup.model import CompanyInfo, PolicyAnswer, Product, RollupInput, RollupPlan
from cmrt.rollup.rules import SupplierAnswers
from cmrt.workbook import ReadLimits, read_workbook
from handlers.report import build_report, stream_declarations
from store import campaigns
from store import smelters as smelter_repo
from store.models import Campaign

#: What the roll-up reads of each supplier's declaration besides the smelters and mines the report's consolidation
#: streams: the answers (and their topics) for questions 1-8. Nothing else of the stored declarations leaves the
#: database.
DECLARATION_KEYS = ("answers", "question_topics")


class RollupError(Exception):
    """The roll-up cannot be made (no such campaign, an unusable template, an incomplete result)."""


@dataclass(frozen=True)
class RollupOrder:
    """What to roll up, and with which of our own answers; ``year`` None means the latest campaign."""

    template: bytes
    company: CompanyInfo
    as_of: dt.date  # the day the RMAP status and the smelter lists are taken on
    effective_date: dt.date  # the declaration's date
    year: int | None = None
    scope: str | None = None  # company | product; None: the campaign's own scope
    products: Sequence[Product] = ()
    answers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    policy: Mapping[str, PolicyAnswer] = field(default_factory=dict)


class RollupOrders(Protocol):
    """Makes the order for a roll-up asked for outside the CLI (Slack's ``/cmrt rollup``) from the configuration:
    template, ``[company]``, ``[rollup.answers]`` and ``[rollup.company_questions]``. Raises ``RollupError`` when
    the configuration cannot give one (no template, an unreadable file). ``bot.commands.rollup.orders_from``."""

    def __call__(self, *, today: dt.date, year: int | None, scope: str | None,
                 products: Sequence[Product]) -> RollupOrder: ...  # fmt: skip


@dataclass(frozen=True)
class Rollup:
    data: bytes  # the filled workbook
    plan: RollupPlan
    campaign: dict[str, Any]  # year, due_date, state, scope
    declaration: Declaration  # the workbook as the bot's reader reads it back
    review: ReviewResult  # the bot's own review of it
    rmap_list_date: dt.date | None
    reference_list_date: dt.date | None

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": dict(self.campaign),
            "rmap_list_date": self.rmap_list_date.isoformat() if self.rmap_list_date else None,
            "reference_list_date": self.reference_list_date.isoformat() if self.reference_list_date else None,
            **self.plan.to_json(),
            "review": {
                "grade": self.review.grade.value,
                "checker_remaining": checker_remaining(self.review),
                "findings": [f.to_json() for f in self.review.findings],
            },
        }


def _campaign(session: Session, year: int | None) -> Campaign:
    campaign = campaigns.get_by_year(session, year) if year is not None else campaigns.latest(session)
    if campaign is None:
        raise RollupError(f"no campaign for reporting year {year}" if year is not None else "no campaign yet")
    return campaign


def build_rollup(session: Session, order: RollupOrder) -> Rollup:
    """Plan, write and check our declaration; ``RollupInputError`` names missing values, ``RollupError`` the rest."""
    campaign = _campaign(session, order.year)
    try:
        form = load_form(order.template)
    except TemplateFormError as exc:
        raise RollupError(f"the roll-up template cannot be used: {exc}") from None
    lists = smelter_repo.latest_rmi_lists(session)
    report = build_report(session, campaign, today=order.as_of, lists=lists)  # the smelters streamed
    figures, consolidation = report.figures, report.smelters
    # answers streamed too, kept as SupplierAnswers sharing equal answer sets (memory stays flat at 100,000)
    shared: dict[tuple[tuple[str, str | None], ...], Mapping[str, str | None]] = {}
    answers = {rid: SupplierAnswers.from_declaration(data, shared)
               for rid, data in stream_declarations(session, campaign.id, keys=DECLARATION_KEYS)}  # fmt: skip
    # the surveyed requests as the campaign figures count them (cmrt.figures: one definition)
    silent = SupplierAnswers(None)
    suppliers = [answers.get(rid, silent) for rid in figures.surveyed_ids]
    given = RollupInput(
        company=order.company,
        scope=order.scope or campaign.scope or "company",
        effective_date=order.effective_date,
        suppliers=suppliers,
        surveyed=figures.surveyed,
        responded=figures.responded,
        smelters=consolidation,
        answers=order.answers,
        policy=order.policy,
        products=order.products,
    )
    plan, edits = plan_rollup(form, given)
    data = write_rollup(form, edits)
    declaration = read_workbook(data, filename="rollup.xlsx", limits=ReadLimits(isolated=False))
    result = review(
        declaration,
        context_for(today=order.as_of, lists=lists, requested_scope=given.scope, reporting_year=campaign.year),
    )
    missing = checker_remaining(result)
    if missing:  # the plan fills every field the Checker requires: this is a bug, and the file is not handed out
        texts = "; ".join(f.text for f in result.findings if getattr(CHECKS_BY_ID.get(f.check), "checker", False))
        raise RollupError(f"the roll-up would leave {missing} required field(s) empty ({texts}); nothing was written")
    return Rollup(
        data=data,
        plan=plan,
        campaign={"year": campaign.year, "due_date": campaign.due_date.isoformat(),
                  "state": campaign.state.value, "scope": campaign.scope},
        declaration=declaration,
        review=result,
        rmap_list_date=report.rmap_date,
        reference_list_date=consolidation.reference_date,
    )
