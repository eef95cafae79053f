"""What the campaign figures need from the store: one ``cmrt.figures.RequestFacts`` per request, in four queries.

``campaign_figures(session, campaign, today)`` is what every surface calls; the definitions are in
``cmrt.figures`` (pure), never here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from cmrt.figures import CampaignFigures, RequestFacts
from cmrt.figures import campaign_figures as compute
from store.models import Campaign, Message, Request, Submission, Supplier
from store.requests import latest_grades
from store.states import ContactState, Direction
from store.suppliers import primary_contact

NO_WORKBOOK_REPLIES = ("question", "reply_link")  # mail.classify.Kind values of a reply without a workbook


def has_declaration() -> sa.ColumnElement[bool]:
    """A submission whose workbook was read: its declaration is neither SQL NULL nor JSON null (what the ORM stores
    for a submission that was never read)."""
    return sa.and_(Submission.declaration.is_not(None), sa.cast(Submission.declaration, sa.Text) != "null")


def latest_scopes(session: Session, campaign_id: int) -> dict[int, str | None]:
    """request id -> the declared scope of its latest read submission (requests with a read workbook only)."""
    scope = Submission.declaration[("company", "scope")].as_string()
    stmt = (
        sa.select(Submission.request_id, scope)
        .join(Request, Submission.request_id == Request.id)
        .where(Request.campaign_id == campaign_id, has_declaration())
        .order_by(Submission.id)
    )
    out: dict[int, str | None] = {}
    for request_id, value in session.execute(stmt):
        if request_id is not None:
            out[request_id] = value or None
    return out


def replied_without_workbook(session: Session, campaign_id: int) -> set[int]:
    stmt = (
        sa.select(Message.request_id)
        .join(Request, Message.request_id == Request.id)
        .where(
            Request.campaign_id == campaign_id,
            Message.direction == Direction.IN,
            Message.classification.in_(NO_WORKBOOK_REPLIES),
        )
        .distinct()
    )
    return {int(rid) for rid in session.scalars(stmt) if rid is not None}


def request_facts(session: Session, campaign_id: int) -> list[RequestFacts]:
    requests = session.scalars(
        sa.select(Request)
        .where(Request.campaign_id == campaign_id)
        .options(selectinload(Request.supplier).selectinload(Supplier.contacts))
        .order_by(Request.id)
    ).all()
    grades = latest_grades(session, campaign_id)
    scopes = latest_scopes(session, campaign_id)
    questions = replied_without_workbook(session, campaign_id)
    facts = []
    for r in requests:
        contact = primary_contact(r.supplier)
        facts.append(
            RequestFacts(
                request_id=r.id,
                state=r.state.value,
                sent=r.sent_at is not None,
                workbook_read=r.id in scopes,
                grade=grades.get(r.id),
                scope=scopes.get(r.id),
                replied_without_workbook=r.id in questions,
                contact_bouncing=contact is not None and contact.state == ContactState.BOUNCING,
                tier=r.supplier.tier.value,
            )
        )
    return facts


def campaign_figures(session: Session, campaign: Campaign, today: dt.date) -> CampaignFigures:
    """The campaign's figures on ``today`` (the local date in the configured time zone: it decides "overdue")."""
    return compute(campaign.year, campaign.due_date, today, request_facts(session, campaign.id))


def campaign_json(campaign: Campaign) -> dict[str, Any]:
    return {
        "year": campaign.year,
        "due_date": campaign.due_date.isoformat(),
        "state": campaign.state.value,
        "scope": campaign.scope,
    }
