"""What the campaign figures need from the store: one ``cmrt.figures.RequestFacts`` per request, in four queries.

``campaign_figures(session, campaign, today)`` is what every surface calls; the definitions are in
``cmrt.figures`` (pure), never here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cmrt.declaration import split_families
from cmrt.figures import CampaignFigures, RequestFacts
from cmrt.figures import campaign_figures as compute
from cmrt.outreach.states import RequestState
from store.models import Campaign, Contact, Message, Request, Submission, Supplier
from store.requests import latest_grades
from store.states import ContactState, Direction
from store.suppliers import primary_index

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


def returned_families(
    session: Session, campaign_id: int, request_ids: Sequence[int] | None = None
) -> dict[int, frozenset[str]]:
    """request id -> the template families of its read workbooks (requests with a read workbook only; of
    ``request_ids`` when given)."""
    family = Submission.declaration[("template", "family")].as_string()
    stmt = (
        sa.select(Submission.request_id, family)
        .join(Request, Submission.request_id == Request.id)
        .where(Request.campaign_id == campaign_id, has_declaration())
    )
    if request_ids is not None:
        stmt = stmt.where(Submission.request_id.in_(list(request_ids)))
    out: dict[int, set[str]] = {}
    for request_id, value in session.execute(stmt):
        if request_id is not None:
            out.setdefault(request_id, set()).update([value.upper()] if value else [])
    return {rid: frozenset(names) for rid, names in out.items()}


def first_read_at(session: Session, campaign_id: int) -> dict[int, dt.datetime]:
    """request id -> when its first readable workbook arrived (responded requests only, exempt ones left out)."""
    stmt = (
        sa.select(Submission.request_id, sa.func.min(Submission.created_at))
        .join(Request, Submission.request_id == Request.id)
        .where(Request.campaign_id == campaign_id, Request.state != RequestState.EXEMPT, has_declaration())
        .group_by(Submission.request_id)
    )
    return {int(rid): at for rid, at in session.execute(stmt) if rid is not None and at is not None}


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


def request_facts(
    session: Session, campaign_id: int, request_ids: Sequence[int] | None = None
) -> list[RequestFacts]:
    """One ``RequestFacts`` per request of the campaign (or of ``request_ids`` in it), by request id; column
    queries, no ORM objects."""
    stmt = (
        sa.select(Request.id, Request.state, Request.sent_at, Request.supplier_id, Supplier.tier)
        .join(Supplier, Request.supplier_id == Supplier.id)
        .where(Request.campaign_id == campaign_id)
        .order_by(Request.id)
    )
    if request_ids is not None:
        stmt = stmt.where(Request.id.in_(list(request_ids)))
    requests = session.execute(stmt).all()
    contacts: dict[int, list[ContactState]] = {}
    for supplier_id, contact_state in session.execute(
        sa.select(Contact.supplier_id, Contact.state)
        .join(Request, Request.supplier_id == Contact.supplier_id)
        .where(Request.campaign_id == campaign_id, Contact.cc.is_(False))
        .order_by(Contact.position, Contact.id)  # the order of the addressed contacts (store.suppliers)
    ):
        contacts.setdefault(supplier_id, []).append(ContactState(contact_state))
    grades = latest_grades(session, campaign_id)
    scopes = latest_scopes(session, campaign_id)
    questions = replied_without_workbook(session, campaign_id)
    families = returned_families(session, campaign_id)
    asked = split_families(session.scalar(sa.select(Campaign.template_family).where(Campaign.id == campaign_id)))
    facts = []
    for request_id, state, sent_at, supplier_id, tier in requests:
        states = contacts.get(supplier_id, [])
        primary = primary_index(states)
        facts.append(
            RequestFacts(
                request_id=request_id,
                state=str(getattr(state, "value", state)),
                sent=sent_at is not None,
                workbook_read=request_id in scopes,
                grade=grades.get(request_id),
                scope=scopes.get(request_id),
                replied_without_workbook=request_id in questions,
                contact_bouncing=primary is not None and states[primary] == ContactState.BOUNCING,
                tier=str(getattr(tier, "value", tier)),
                asked=asked,
                returned=families.get(request_id, frozenset()),
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
