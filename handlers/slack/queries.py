"""Read-side queries for the Slack surfaces (status, supplier cards, App Home, digest); plain data out.

Every figure (surveyed, responded, grades, overdue ...) comes from ``cmrt.figures`` through ``store.figures``, the
definition ``cmrt-bot status`` and ``report`` use too; this module only adds the lists of requests to show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from rapidfuzz import fuzz, process
from sqlalchemy.orm import Session

from cmrt.figures import CampaignFigures, RequestFacts
from cmrt.figures import campaign_figures as compute
from cmrt.figures import overdue as figures_overdue
from cmrt.outreach.states import RequestState
from handlers.report import ListsState, ReportOptions, lists_state
from handlers.slack.chart import ProgressPoint
from mail.classify import parse_inbound
from mail.question import question_text
from store import campaigns
from store import figures as figure_repo
from store import messages as message_repo
from store import suppliers as supplier_repo
from store.models import Campaign, Request, Review, Supplier
from store.reviews import latest_reviews

FUZZY_SURE = 90.0  # a single match at or above this score is taken without asking
FUZZY_FLOOR = 60.0  # below this a name is not offered at all
SEVERITY_ORDER = {"reject": 0, "high_risk": 1, "clarify": 2, "info": 3}


@dataclass(frozen=True)
class RequestView:
    request_id: int
    supplier_id: int
    supplier_external_id: str
    supplier_name: str
    campaign_year: int
    due_date: dt.date
    state: RequestState
    reminder_count: int
    sent_at: dt.datetime | None
    responded_at: dt.datetime | None
    assignee: str | None
    snoozed_until: dt.datetime | None
    exception_reason: str | None
    grade: str | None = None
    score: float | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    slack_channel: str | None = None
    slack_ts: str | None = None
    facts: RequestFacts | None = None  # what the campaign figures know about it (overdue is theirs to say)

    def overdue(self, today: dt.date) -> bool:
        return self.facts is not None and figures_overdue(self.facts, self.due_date, today)

    @property
    def reviewed(self) -> bool:
        """A returned workbook was reviewed (what *Accept* needs)."""
        return self.grade is not None

    @property
    def bouncing(self) -> bool:
        return self.facts is not None and self.facts.contact_bouncing

    def open_findings(self) -> list[dict[str, Any]]:
        """The latest review's findings that are not for information only."""
        return [f for f in self.findings if f.get("severity") != "info"]

    def top_findings(self, limit: int = 5) -> list[dict[str, Any]]:
        ordered = sorted(self.findings, key=lambda f: SEVERITY_ORDER.get(str(f.get("severity")), 9))
        return ordered[:limit]


@dataclass(frozen=True)
class CampaignStats:
    """The campaign figures (``cmrt.figures``) with the requests behind the lists a surface shows."""

    figures: CampaignFigures
    lists: ListsState
    overdue: list[RequestView]
    high_risk: list[RequestView]  # responded, latest grade high_risk, not decided yet
    escalated: list[RequestView]

    @property
    def year(self) -> int:
        return self.figures.year

    @property
    def due_date(self) -> dt.date:
        return self.figures.due_date

    @property
    def total(self) -> int:
        return self.figures.suppliers


def find_campaign(session: Session, year: int | None = None) -> Campaign | None:
    """The campaign of ``year``, else the current one (``store.campaigns.current``, as every surface)."""
    if year is not None:
        return campaigns.get_by_year(session, year)
    return campaigns.current(session)


def _view(request: Request, review: Review | None, facts: RequestFacts | None = None) -> RequestView:
    return RequestView(
        request_id=request.id,
        supplier_id=request.supplier_id,
        supplier_external_id=request.supplier.external_id,
        supplier_name=request.supplier.name,
        campaign_year=request.campaign.year,
        due_date=request.campaign.due_date,
        state=RequestState(request.state),
        reminder_count=request.reminder_count,
        sent_at=request.sent_at,
        responded_at=request.responded_at,
        assignee=request.assignee,
        snoozed_until=request.snoozed_until,
        exception_reason=request.exception_reason,
        grade=review.grade if review else None,
        score=review.score if review else None,
        findings=list(review.findings or []) if review else [],
        slack_channel=request.slack_channel,
        slack_ts=request.slack_ts,
        facts=facts,
    )


def request_view(session: Session, request_id: int) -> RequestView | None:
    request = session.get(Request, request_id)
    if request is None:
        return None
    facts = figure_repo.request_facts(session, request.campaign_id, [request_id])
    return _view(request, latest_reviews(session, [request_id]).get(request_id), facts[0] if facts else None)


def campaign_views(session: Session, campaign: Campaign) -> list[RequestView]:
    requests = session.scalars(
        sa.select(Request).where(Request.campaign_id == campaign.id).join(Request.supplier).order_by(Supplier.name)
    ).all()
    reviews = latest_reviews(session, [r.id for r in requests])
    facts = {f.request_id: f for f in figure_repo.request_facts(session, campaign.id)}
    return [_view(r, reviews.get(r.id), facts.get(r.id)) for r in requests]


def campaign_stats(session: Session, campaign: Campaign, options: ReportOptions, now: dt.datetime) -> CampaignStats:
    """The figures on ``options.today(now)`` and the requests behind the overdue, open high-risk and escalated
    lists (the same ids the figures count)."""
    today = options.today(now)
    figures = compute(campaign.year, campaign.due_date, today, figure_repo.request_facts(session, campaign.id))
    views = {v.request_id: v for v in campaign_views(session, campaign)}

    def pick(ids: tuple[int, ...]) -> list[RequestView]:
        return sorted((views[i] for i in ids if i in views), key=lambda v: v.supplier_name.casefold())

    return CampaignStats(
        figures=figures,
        lists=lists_state(session, today, options.max_list_age_days),
        overdue=pick(figures.overdue_ids),
        high_risk=pick(figures.open_high_risk_ids),
        escalated=pick(figures.escalated_ids),
    )


def assigned_to(session: Session, campaign: Campaign, user_id: str) -> list[RequestView]:
    return [v for v in campaign_views(session, campaign) if v.assignee == user_id]


@dataclass(frozen=True)
class SupplierMatch:
    request_id: int
    supplier_name: str
    supplier_external_id: str
    score: float


def find_supplier_requests(session: Session, campaign: Campaign, query: str) -> list[SupplierMatch]:
    """The campaign's requests whose supplier matches ``query`` (exact id first, then fuzzy name), best first.

    One exact hit (id, or name ignoring case) is returned alone; otherwise every name scoring at least
    ``FUZZY_FLOOR``; the caller treats a single result at or above ``FUZZY_SURE`` as certain.
    """
    query = query.strip()
    rows = session.execute(
        sa.select(Request.id, Supplier.name, Supplier.external_id)
        .join(Supplier, Request.supplier_id == Supplier.id)
        .where(Request.campaign_id == campaign.id)
    ).all()
    if not query or not rows:
        return []
    folded = query.casefold()
    exact = [r for r in rows if r.external_id.casefold() == folded or r.name.casefold() == folded]
    if len(exact) == 1:
        r = exact[0]
        return [SupplierMatch(r.id, r.name, r.external_id, 100.0)]
    names = {r.id: r.name for r in rows}
    scored = process.extract(query, names, scorer=fuzz.WRatio, processor=str.casefold, limit=10)
    by_id = {r.id: r for r in rows}
    return [
        SupplierMatch(int(key), by_id[key].name, by_id[key].external_id, float(score))
        for _name, score, key in scored
        if score >= FUZZY_FLOOR
    ]


def progress_points(session: Session, campaign: Campaign, today: dt.date) -> list[ProgressPoint]:
    """Suppliers responded (a workbook read, as ``cmrt.figures`` counts them) and accepted by the end of each day,
    from the first request sent to ``today``; the last point's responded count is the figures' ``responded``."""
    rows = session.execute(
        sa.select(Request.id, Request.sent_at, Request.responded_at, Request.accepted_at)
        .where(Request.campaign_id == campaign.id)
    ).all()
    sent_days = [r.sent_at.date() for r in rows if r.sent_at is not None]
    if not sent_days:
        return []
    start = min(sent_days)
    read = figure_repo.first_read_at(session, campaign.id)  # the responded requests, by the figures' definition
    responded = sorted((r.responded_at or read[r.id]).date() for r in rows if r.id in read)
    accepted = sorted(r.accepted_at.date() for r in rows if r.accepted_at is not None)
    points: list[ProgressPoint] = []
    day = start
    end = max(today, start)
    while day <= end and len(points) < 800:
        points.append(ProgressPoint(day, sum(1 for d in responded if d <= day), sum(1 for d in accepted if d <= day)))
        day += dt.timedelta(days=1)
    return points


@dataclass(frozen=True)
class QuestionView:
    """The supplier's latest question: their own words (``mail.question.question_text``) and who to greet."""

    text: str
    contact_name: str | None


def latest_question(session: Session, request_id: int) -> QuestionView | None:
    request = session.get(Request, request_id)
    if request is None:
        return None
    message = message_repo.latest_question(session, request_id)
    text = question_text(parse_inbound(message_repo.raw_bytes(session, message)).text) if message is not None else ""
    contact = supplier_repo.primary_contact(request.supplier)
    return QuestionView(text, contact.name if contact is not None else None)


def sure_match(matches: list[SupplierMatch]) -> SupplierMatch | None:
    """The one match that can be taken without asking (an exact id or name, or a clear fuzzy winner)."""
    if not matches:
        return None
    best = matches[0]
    if best.score >= 100.0 and (len(matches) == 1 or matches[1].score < 100.0):
        return best
    if best.score >= FUZZY_SURE and (len(matches) == 1 or matches[1].score < best.score - 10):
        return best
    return None
