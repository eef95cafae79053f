"""Campaigns (one per reporting year) and the creation of their requests."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cmrt.outreach.states import RequestState
from store import requests as request_repo
from store.models import Campaign, Request, Supplier
from store.states import CampaignState

TOKEN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: survives being read aloud or retyped
TOKEN_LENGTH = 8


class CampaignExists(ValueError):
    pass


def new_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def get_by_year(session: Session, year: int) -> Campaign | None:
    return session.scalars(sa.select(Campaign).where(Campaign.year == year)).one_or_none()


def latest(session: Session) -> Campaign | None:
    """The campaign with the highest reporting year."""
    return session.scalars(sa.select(Campaign).order_by(Campaign.year.desc()).limit(1)).first()


def current(session: Session) -> Campaign | None:
    """The campaign every surface shows when none is named: the active one with the highest reporting year, else
    the campaign with the highest year (all closed or drafts), else None."""
    active_first = sa.select(Campaign).order_by((Campaign.state == CampaignState.ACTIVE).desc(), Campaign.year.desc())
    return session.scalars(active_first.limit(1)).first()


def list_campaigns(session: Session, state: CampaignState | None = None) -> list[Campaign]:
    stmt = sa.select(Campaign).order_by(Campaign.year)
    if state is not None:
        stmt = stmt.where(Campaign.state == state)
    return list(session.scalars(stmt))


def active(session: Session) -> list[Campaign]:
    """The active campaigns, newest reporting year first."""
    return list_campaigns(session, CampaignState.ACTIVE)[::-1]


def create(
    session: Session,
    *,
    year: int,
    due_date: dt.date,
    suppliers: Iterable[Supplier],
    scope: str = "company",
    template_family: str = "CMRT",
    min_template_version: str | None = None,
    supplier_filter: str = "all",
    created_by: str = "system",
    review_overrides: Mapping[str, str] | None = None,
) -> Campaign:
    """A new active campaign with one ``not_sent`` request per supplier. Refuses a second campaign per year.

    ``review_overrides`` (check id -> severity or "disabled") must already be validated by the caller
    (``cmrt.review.parse_overrides``); the store keeps them as given."""
    if get_by_year(session, year) is not None:
        raise CampaignExists(f"a campaign for reporting year {year} already exists")
    campaign = Campaign(
        year=year,
        due_date=due_date,
        scope=scope,
        template_family=template_family,
        min_template_version=min_template_version,
        supplier_filter=supplier_filter,
        created_by=created_by,
        state=CampaignState.ACTIVE,
        review_overrides=dict(review_overrides or {}),
    )
    session.add(campaign)
    session.flush()
    add_requests(session, campaign, suppliers)
    return campaign


def set_review_override(campaign: Campaign, check_id: str, value: str | None) -> str | None:
    """Set (or with ``value=None`` remove) one of the campaign's review overrides; returns the previous value.

    The caller validates ``check_id`` and ``value``. A new dict is assigned so the JSON column is saved."""
    current = dict(campaign.review_overrides or {})
    previous = current.get(check_id)
    if value is None:
        current.pop(check_id, None)
    else:
        current[check_id] = value
    campaign.review_overrides = current
    return previous


def add_requests(session: Session, campaign: Campaign, suppliers: Iterable[Supplier]) -> list[Request]:
    """Add a ``not_sent`` request for each supplier that has none in this campaign yet."""
    have = set(session.scalars(sa.select(Request.supplier_id).where(Request.campaign_id == campaign.id)))
    used = set(session.scalars(sa.select(Request.token)))
    created: list[Request] = []
    for supplier in suppliers:
        if supplier.id in have:
            continue
        token = new_token()
        while token in used:
            token = new_token()
        used.add(token)
        req = Request(campaign_id=campaign.id, supplier_id=supplier.id, token=token, state=RequestState.NOT_SENT)
        session.add(req)
        created.append(req)
        have.add(supplier.id)
    session.flush()
    return created


@dataclass(frozen=True)
class CarriedOver:
    """What ``carry_over`` took from the earlier campaign."""

    exempt: int  # requests that start exempt, as they ended there
    assigned: int  # requests that keep the team member they were assigned to
    review_overrides: dict[str, str]  # the new campaign's own overrides after the carry-over


def carry_over(
    session: Session, source: Campaign, target: Campaign, *, overrides: Mapping[str, str], actor: str = "system"
) -> CarriedOver:
    """Carry an earlier campaign's per-supplier decisions over to a new one, for the suppliers both cover: an
    exemption (the new request becomes exempt, with the old reason and year), the team member a request was
    assigned to, and the campaign's own review overrides (``overrides``: the source's, already validated by the
    caller; the target's own win over them)."""
    earlier = {r.supplier_id: r for r in source.requests}
    exempt = assigned = 0
    for request in target.requests:
        old = earlier.get(request.supplier_id)
        if old is None:
            continue
        if old.assignee and not request.assignee:
            request.assignee = old.assignee
            assigned += 1
        if old.state == RequestState.EXEMPT and request.state == RequestState.NOT_SENT:
            reason = f"exempt in {source.year}" + (f": {old.exception_reason}" if old.exception_reason else "")
            request_repo.transition(session, request, RequestState.EXEMPT, actor=actor, reason=reason,
                                    details={"carried_from": source.year})  # fmt: skip
            exempt += 1
    merged = {**dict(overrides), **dict(target.review_overrides or {})}
    target.review_overrides = merged
    return CarriedOver(exempt, assigned, merged)
