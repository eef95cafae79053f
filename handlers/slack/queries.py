"""Read-side queries for the Slack surfaces (status, supplier cards, App Home, digest); plain data out."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from rapidfuzz import fuzz, process
from sqlalchemy.orm import Session

from cmrt.outreach.states import ANSWERED, CHASED_STATES, RequestState
from handlers.slack.chart import ProgressPoint
from store.models import Campaign, Request, Review, Supplier
from store.states import CampaignState

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

    def overdue(self, today: dt.date) -> bool:
        return self.state in CHASED_STATES and today > self.due_date

    def top_findings(self, limit: int = 5) -> list[dict[str, Any]]:
        ordered = sorted(self.findings, key=lambda f: SEVERITY_ORDER.get(str(f.get("severity")), 9))
        return ordered[:limit]


@dataclass(frozen=True)
class CampaignStats:
    year: int
    due_date: dt.date
    total: int
    sent: int
    answered: int
    accepted: int
    exempt: int
    states: dict[str, int]
    grades: dict[str, int]
    overdue: list[RequestView]
    high_risk: list[RequestView]
    escalated: list[RequestView]

    @property
    def response_rate(self) -> float:
        return self.answered / self.sent if self.sent else 0.0


def find_campaign(session: Session, year: int | None = None) -> Campaign | None:
    query = sa.select(Campaign)
    if year is not None:
        return session.scalars(query.where(Campaign.year == year)).first()
    active = session.scalars(query.where(Campaign.state == CampaignState.ACTIVE).order_by(Campaign.year.desc())).first()
    return active or session.scalars(query.order_by(Campaign.year.desc())).first()


def _latest_reviews(session: Session, request_ids: list[int]) -> dict[int, Review]:
    if not request_ids:
        return {}
    latest = (
        sa.select(Review.request_id, sa.func.max(Review.id).label("rid"))
        .where(Review.request_id.in_(request_ids))
        .group_by(Review.request_id)
        .subquery()
    )
    rows = session.scalars(sa.select(Review).join(latest, Review.id == latest.c.rid)).all()
    return {int(r.request_id): r for r in rows if r.request_id is not None}


def _view(request: Request, review: Review | None) -> RequestView:
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
    )


def request_view(session: Session, request_id: int) -> RequestView | None:
    request = session.get(Request, request_id)
    if request is None:
        return None
    return _view(request, _latest_reviews(session, [request_id]).get(request_id))


def campaign_views(session: Session, campaign: Campaign) -> list[RequestView]:
    requests = session.scalars(
        sa.select(Request).where(Request.campaign_id == campaign.id).join(Request.supplier).order_by(Supplier.name)
    ).all()
    reviews = _latest_reviews(session, [r.id for r in requests])
    return [_view(r, reviews.get(r.id)) for r in requests]


def campaign_stats(session: Session, campaign: Campaign, today: dt.date) -> CampaignStats:
    views = campaign_views(session, campaign)
    states = Counter(v.state.value for v in views)
    sent = sum(1 for v in views if v.sent_at is not None or v.state not in (RequestState.NOT_SENT, RequestState.EXEMPT))
    answered = sum(1 for v in views if v.state in ANSWERED or v.responded_at is not None)
    high_risk = [
        v
        for v in views
        if v.state not in (RequestState.ACCEPTED, RequestState.EXEMPT, RequestState.CLOSED)
        and (v.grade == "high_risk" or any(f.get("severity") == "high_risk" for f in v.findings))
    ]
    return CampaignStats(
        year=campaign.year,
        due_date=campaign.due_date,
        total=len(views),
        sent=sent,
        answered=answered,
        accepted=states.get(RequestState.ACCEPTED.value, 0),
        exempt=states.get(RequestState.EXEMPT.value, 0),
        states=dict(states),
        grades=dict(Counter(v.grade for v in views if v.grade)),
        overdue=[v for v in views if v.overdue(today)],
        high_risk=high_risk,
        escalated=[v for v in views if v.state == RequestState.ESCALATED],
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
    """Suppliers answered (and accepted) by the end of each day, from the first request sent to ``today``."""
    rows = session.execute(
        sa.select(Request.sent_at, Request.responded_at, Request.accepted_at).where(Request.campaign_id == campaign.id)
    ).all()
    sent_days = [r.sent_at.date() for r in rows if r.sent_at is not None]
    if not sent_days:
        return []
    start = min(sent_days)
    responded = sorted(r.responded_at.date() for r in rows if r.responded_at is not None)
    accepted = sorted(r.accepted_at.date() for r in rows if r.accepted_at is not None)
    points: list[ProgressPoint] = []
    day = start
    end = max(today, start)
    while day <= end and len(points) < 800:
        points.append(ProgressPoint(day, sum(1 for d in responded if d <= day), sum(1 for d in accepted if d <= day)))
        day += dt.timedelta(days=1)
    return points


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
