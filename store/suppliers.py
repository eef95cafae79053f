"""Suppliers and their contacts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from store.models import Contact, Supplier
from store.states import ContactState, Tier
from store.types import utcnow

UpsertOutcome = Literal["added", "updated", "unchanged"]


@dataclass(frozen=True)
class SupplierData:
    """What an import knows about one supplier and its primary contact."""

    external_id: str
    name: str
    contact_email: str
    contact_name: str | None = None
    tier: Tier = Tier.DIRECT
    tags: tuple[str, ...] = ()


def get_by_external_id(session: Session, external_id: str) -> Supplier | None:
    return session.scalars(sa.select(Supplier).where(Supplier.external_id == external_id)).one_or_none()


def get(session: Session, supplier_id: int) -> Supplier | None:
    return session.get(Supplier, supplier_id)


def list_suppliers(session: Session, tag: str | None = None) -> list[Supplier]:
    """All suppliers ordered by external id (with contacts loaded); only those carrying ``tag`` if given."""
    stmt = sa.select(Supplier).options(selectinload(Supplier.contacts)).order_by(Supplier.external_id)
    rows = list(session.scalars(stmt))
    if tag is None:
        return rows
    wanted = tag.casefold()
    return [s for s in rows if any(t.casefold() == wanted for t in s.tags)]


def all_by_external_id(session: Session) -> dict[str, Supplier]:
    stmt = sa.select(Supplier).options(selectinload(Supplier.contacts))
    return {s.external_id: s for s in session.scalars(stmt)}


def _domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def upsert(
    session: Session, data: SupplierData, existing: Supplier | None = None, *, lookup: bool = True
) -> tuple[Supplier, UpsertOutcome]:
    """Insert or update one supplier and make ``contact_email`` its primary (first active) contact.

    Pass ``existing`` (e.g. from ``all_by_external_id``) to skip the lookup in bulk imports. Re-applying the
    same data changes nothing and reports ``unchanged``.
    """
    supplier = existing
    if supplier is None and lookup:
        supplier = get_by_external_id(session, data.external_id)
    email = data.contact_email.strip().lower()
    tags = sorted(set(data.tags))
    if supplier is None:
        supplier = Supplier(
            external_id=data.external_id, name=data.name, tier=data.tier, tags=tags, email_domains=[_domain(email)]
        )
        supplier.contacts.append(Contact(email=email, name=data.contact_name, state=ContactState.ACTIVE))
        session.add(supplier)
        return supplier, "added"

    changed = False
    if supplier.name != data.name:
        supplier.name = data.name
        changed = True
    if supplier.tier != data.tier:
        supplier.tier = data.tier
        changed = True
    if list(supplier.tags) != tags:
        supplier.tags = tags
        changed = True
    domain = _domain(email)
    if domain not in supplier.email_domains:
        supplier.email_domains = [*supplier.email_domains, domain]
        changed = True
    contact = next((c for c in supplier.contacts if c.email == email), None)
    if contact is None:
        for other in supplier.contacts:
            if other.state == ContactState.ACTIVE:
                other.state = ContactState.INACTIVE
        supplier.contacts.append(Contact(email=email, name=data.contact_name, state=ContactState.ACTIVE))
        changed = True
    else:
        if data.contact_name is not None and contact.name != data.contact_name:
            contact.name = data.contact_name
            changed = True
        if contact.state == ContactState.INACTIVE:
            contact.state = ContactState.ACTIVE
            changed = True
    return supplier, "updated" if changed else "unchanged"


def active_contacts(supplier: Supplier) -> list[Contact]:
    return [c for c in supplier.contacts if c.state == ContactState.ACTIVE]


def primary_index(states: Sequence[ContactState]) -> int | None:
    """Which of a supplier's contacts (in their order) requests go to: the first active one, else the first."""
    for index, state in enumerate(states):
        if state == ContactState.ACTIVE:
            return index
    return 0 if states else None


def primary_contact(supplier: Supplier) -> Contact | None:
    """The contact requests go to (``primary_index``)."""
    index = primary_index([c.state for c in supplier.contacts])
    return supplier.contacts[index] if index is not None else None


def contacts_by_email(session: Session, email: str) -> Sequence[Contact]:
    return session.scalars(sa.select(Contact).where(Contact.email == email.strip().lower())).all()


def suppliers_by_domain(session: Session, domain: str) -> list[Supplier]:
    """Suppliers whose known e-mail domains include ``domain`` (case-insensitive)."""
    domain = domain.lower()
    return [s for s in session.scalars(sa.select(Supplier)) if domain in s.email_domains]


def mark_contact_bouncing(contact: Contact, detail: str, at: dt.datetime | None = None) -> None:
    contact.state = ContactState.BOUNCING
    contact.last_bounce_at = at or utcnow()
    contact.bounce_detail = detail


def count(session: Session) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(Supplier)) or 0)
