"""Reviews made again (after a list import or a rule change) and which review the supplier has been told about."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from cmrt.outreach.states import RequestState
from store.figures import has_declaration
from store.models import Request, Review, Submission

INBOUND = "inbound"  # made when the workbook arrived: the acknowledgment told the supplier
REOPENED = frozenset({RequestState.CLOSED, RequestState.EXEMPT})  # not reviewed again


@dataclass(frozen=True)
class OpenDeclaration:
    """An open request's latest read workbook and its latest review (if any)."""

    request: Request
    submission: Submission
    review: Review | None


def open_declarations(session: Session, campaign_id: int) -> list[OpenDeclaration]:
    """Every open request of the campaign (not closed, not exempt) with a read workbook, by request id."""
    latest_sub = (
        sa.select(Submission.request_id, sa.func.max(Submission.id).label("sid"))
        .join(Request, Submission.request_id == Request.id)
        .where(Request.campaign_id == campaign_id, has_declaration(), Submission.is_workbook.is_(True))
        .group_by(Submission.request_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(Request, Submission)
        .join(latest_sub, latest_sub.c.request_id == Request.id)
        .join(Submission, Submission.id == latest_sub.c.sid)
        .options(joinedload(Request.supplier))
        .where(Request.state.not_in([s.value for s in REOPENED]))
        .order_by(Request.id)
    ).all()
    reviews = latest_reviews(session, [request.id for request, _ in rows])
    return [OpenDeclaration(request, submission, reviews.get(request.id)) for request, submission in rows]


def latest_reviews(session: Session, request_ids: Sequence[int]) -> dict[int, Review]:
    if not request_ids:
        return {}
    latest = (
        sa.select(Review.request_id, sa.func.max(Review.id).label("rid"))
        .where(Review.request_id.in_(list(request_ids)))
        .group_by(Review.request_id)
        .subquery()
    )
    found = session.scalars(sa.select(Review).join(latest, Review.id == latest.c.rid)).all()
    return {int(r.request_id): r for r in found if r.request_id is not None}


def latest_told(session: Session, request_id: int) -> Review | None:
    """The latest review the supplier was told about: made on arrival, or sent later by the team."""
    stmt = (
        sa.select(Review)
        .where(Review.request_id == request_id)
        .where(sa.or_(Review.origin == INBOUND, Review.supplier_notified_at.is_not(None)))
        .order_by(Review.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def mark_told(review: Review, at: dt.datetime) -> None:
    if review.supplier_notified_at is None:
        review.supplier_notified_at = at
