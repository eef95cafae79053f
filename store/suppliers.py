"""Suppliers and their contacts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from store.models import Contact, Supplier
from store.states import ContactState, Tier
from store.types import utcnow

UpsertOutcome = Literal["added", "updated", "unchanged"]


@dataclass(frozen=True)
class SupplierData:
    """What an import knows about one supplier and its contacts.

    ``contact_email`` is the primary contact; ``contact_emails`` (when given) lists every addressed contact, the
    primary first. ``cc_emails``: None leaves the copied contacts as they are, a tuple replaces them. ``language``:
    None leaves the supplier's language as it is, ``""`` clears it (the configured default applies), a tag of
    ``cmrt.languages.LANGUAGES`` sets it.
    """

    external_id: str
    name: str
    contact_email: str
    contact_name: str | None = None
    tier: Tier = Tier.DIRECT
    tags: tuple[str, ...] = ()
    contact_emails: tuple[str, ...] = ()
    cc_emails: tuple[str, ...] | None = None
    language: str | None = None
    domains: tuple[str, ...] = ()  # more e-mail domains of the supplier (added to those of its contacts)


@dataclass(frozen=True)
class Recipients:
    """Who one e-mail goes to: ``to`` addressed, ``cc`` copied (lower-cased addresses, no repeats)."""

    to: tuple[str, ...]
    cc: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.to + self.cc


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


class ContactFields(Protocol):
    """What comparing and updating a contact reads and writes: an ORM ``Contact`` or a plain ``ContactRow``."""

    email: str
    name: str | None
    state: ContactState
    cc: bool
    position: int


class SupplierFields(Protocol):
    """What comparing and updating a supplier reads and writes: an ORM ``Supplier`` or a plain ``SupplierRow``."""

    name: str
    tier: Tier
    tags: list[Any]
    language: str | None
    email_domains: list[Any]

    @property
    def contacts(self) -> Sequence[ContactFields]: ...


#: Adds a new contact (email, cc, position) to the supplier being updated and returns it.
NewContact = Callable[[str, bool, int], ContactFields]


@dataclass
class ContactRow:
    email: str
    name: str | None
    state: ContactState
    cc: bool
    position: int


@dataclass
class SupplierRow:
    """A stored supplier and its contacts as plain values (``known_rows``): what an import compares its rows with,
    without building ORM objects for the suppliers that do not change."""

    id: int
    external_id: str
    name: str
    tier: Tier
    tags: list[Any]
    language: str | None
    email_domains: list[Any]
    contacts: list[ContactRow] = field(default_factory=list)

    def add_contact(self, email: str, cc: bool, position: int) -> ContactRow:
        contact = ContactRow(email, None, ContactState.ACTIVE, cc, position)
        self.contacts.append(contact)
        return contact


def known_rows(session: Session) -> dict[str, SupplierRow]:
    """Every supplier with its contacts (in the relationship's order), by external id: two Core queries."""
    found: dict[int, SupplierRow] = {}
    suppliers = sa.select(Supplier.id, Supplier.external_id, Supplier.name, Supplier.tier, Supplier.tags,
                          Supplier.language, Supplier.email_domains)  # fmt: skip
    connection = session.connection()  # Core rows: no ORM result machinery for 100,000 of them
    for sid, external_id, name, tier, tags, language, domains in connection.execute(suppliers).all():
        found[sid] = SupplierRow(sid, external_id, name, tier, list(tags or ()), language, list(domains or ()))
    contacts = sa.select(Contact.supplier_id, Contact.email, Contact.name, Contact.state, Contact.cc,
                         Contact.position).order_by(Contact.supplier_id, Contact.cc, Contact.position, Contact.id)
    for sid, email, contact_name, state, cc, position in connection.execute(contacts).all():
        if sid in found:
            found[sid].contacts.append(ContactRow(email, contact_name, state, bool(cc), position or 0))
    return {row.external_id: row for row in found.values()}


def would_change(row: SupplierRow, data: SupplierData) -> bool:
    """Whether ``upsert`` of ``data`` would change the stored supplier ``row`` (the same comparison; ``row`` is
    changed as the supplier would be)."""
    return _update(row, data, row.add_contact)


def load_many(session: Session, ids: Sequence[int]) -> dict[int, Supplier]:
    """The suppliers of ``ids`` as ORM objects with their contacts (to update them), by id."""
    stmt = sa.select(Supplier).options(selectinload(Supplier.contacts)).where(Supplier.id.in_(ids))
    return {s.id: s for s in session.scalars(stmt)}


def _domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def _norm(email: str) -> str:
    return email.strip().lower()


def _addressed(data: SupplierData) -> list[str]:
    """The addressed contacts of ``data``, normalised, the primary first."""
    addressed = list(dict.fromkeys(_norm(e) for e in (data.contact_emails or (data.contact_email,))))
    primary = _norm(data.contact_email)
    if primary in addressed:
        addressed.remove(primary)
    addressed.insert(0, primary)
    return addressed


def _new_supplier(data: SupplierData) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The column values of a supplier the store does not know yet, and of its contacts (``upsert`` makes ORM rows
    of them, ``add_many`` inserts them in bulk: one definition of a new supplier)."""
    addressed = _addressed(data)
    values: dict[str, Any] = dict(
        external_id=data.external_id, name=data.name, tier=data.tier, tags=sorted(set(data.tags)),
        email_domains=list(dict.fromkeys([*(_domain(e) for e in addressed), *(d.lower() for d in data.domains)])),
        language=data.language or None,
    )  # fmt: skip
    contacts = [
        dict(email=email, name=data.contact_name if position == 0 else None, state=ContactState.ACTIVE, cc=False,
             position=position)
        for position, email in enumerate(addressed)
    ]  # fmt: skip
    contacts += [
        dict(email=email, name=None, state=ContactState.ACTIVE, cc=True, position=position)
        for position, email in enumerate(dict.fromkeys(_norm(e) for e in data.cc_emails or ()))
        if email not in addressed
    ]
    return values, contacts


def add_many(session: Session, records: Sequence[SupplierData]) -> None:
    """Add suppliers the store does not know yet (the caller checked their ids), with their contacts, exactly as
    ``upsert`` adds one: two executemany INSERTs (suppliers with RETURNING of their ids, then contacts), no ORM
    objects and no unit-of-work flush. A 100,000-row import spent most of its time building and flushing ORM
    rows one by one (docs/benchmarks.md)."""
    if not records:
        return
    built = [_new_supplier(data) for data in records]
    inserted = session.execute(
        sa.insert(Supplier).returning(Supplier.external_id, Supplier.id), [values for values, _ in built]
    )
    ids = {external_id: supplier_id for external_id, supplier_id in inserted}
    rows = [contact | {"supplier_id": ids[values["external_id"]]} for values, contacts in built for contact in contacts]
    if rows:
        session.execute(sa.insert(Contact), rows)


def upsert(
    session: Session, data: SupplierData, existing: Supplier | None = None, *, lookup: bool = True
) -> tuple[Supplier, UpsertOutcome]:
    """Insert or update one supplier; its addressed contacts become ``data``'s (see ``SupplierData``).

    Addressed contacts the data no longer names become inactive (kept for history: a reply from them still
    matches). Pass ``existing`` (e.g. from ``all_by_external_id``) to skip the lookup in bulk imports. Re-applying
    the same data changes nothing and reports ``unchanged``.
    """
    supplier = existing
    if supplier is None and lookup:
        supplier = get_by_external_id(session, data.external_id)
    if supplier is None:
        values, contacts = _new_supplier(data)
        supplier = Supplier(**values)
        supplier.contacts.extend(Contact(**contact) for contact in contacts)
        session.add(supplier)
        return supplier, "added"

    changed = _update(supplier, data, _orm_contacts(supplier))
    return supplier, "updated" if changed else "unchanged"


def _update(supplier: SupplierFields, data: SupplierData, new_contact: NewContact) -> bool:
    """Bring a known supplier to ``data``; whether anything changed (``upsert`` on ORM rows, ``would_change`` on
    plain ones: one definition of what an import changes)."""
    changed = False
    tags = sorted(set(data.tags))
    if supplier.name != data.name:
        supplier.name = data.name
        changed = True
    if supplier.tier != data.tier:
        supplier.tier = data.tier
        changed = True
    if list(supplier.tags) != tags:
        supplier.tags = tags
        changed = True
    if data.language is not None and supplier.language != (data.language or None):
        supplier.language = data.language or None
        changed = True
    changed |= _set_contacts(supplier, _addressed(data), data.cc_emails, data.contact_name, False, new_contact)
    extra = [d.lower() for d in data.domains if d.lower() not in supplier.email_domains]
    if extra:
        supplier.email_domains = [*supplier.email_domains, *dict.fromkeys(extra)]
        changed = True
    return changed


def _orm_contacts(supplier: Supplier) -> NewContact:
    def add(email: str, cc: bool, position: int) -> Contact:
        contact = Contact(email=email, state=ContactState.ACTIVE, cc=cc, position=position)
        supplier.contacts.append(contact)
        return contact

    return add


def set_contacts(
    supplier: Supplier,
    addressed: Sequence[str],
    cc: Sequence[str] | None = None,
    *,
    contact_name: str | None = None,
    reactivate_bouncing: bool = False,
) -> bool:
    """Make ``addressed`` the supplier's addressed contacts (the first is the primary) and, unless ``cc`` is None,
    ``cc`` its copied ones. Contacts no longer named become inactive; a named inactive one is active again (a
    bouncing one stays bouncing, unless ``reactivate_bouncing``: a person named it, so it was fixed).
    Returns whether anything changed. The e-mail domains of new addresses are added to the supplier's."""
    return _set_contacts(supplier, addressed, cc, contact_name, reactivate_bouncing, _orm_contacts(supplier))


def _set_contacts(
    supplier: SupplierFields,
    addressed: Sequence[str],
    cc: Sequence[str] | None,
    contact_name: str | None,
    reactivate_bouncing: bool,
    new_contact: NewContact,
) -> bool:
    changed = False
    to_list = list(dict.fromkeys(_norm(e) for e in addressed if e.strip()))
    if not to_list:
        raise ValueError("a supplier needs at least one contact address")
    cc_list = None if cc is None else [e for e in dict.fromkeys(_norm(x) for x in cc if x.strip()) if e not in to_list]
    by_email = {c.email: c for c in supplier.contacts}
    for wanted, is_cc in ((to_list, False), (cc_list, True)):
        if wanted is None:
            continue
        for position, email in enumerate(wanted):
            contact = by_email.get(email)
            if contact is None:
                contact = by_email[email] = new_contact(email, is_cc, position)
                changed = True
            else:
                if contact.cc != is_cc or contact.position != position:
                    contact.cc, contact.position = is_cc, position
                    changed = True
                if contact.state == ContactState.INACTIVE or (
                    reactivate_bouncing and contact.state == ContactState.BOUNCING
                ):
                    contact.state = ContactState.ACTIVE
                    changed = True
            if position == 0 and not is_cc and contact_name is not None and contact.name != contact_name:
                contact.name = contact_name
                changed = True
            domain = _domain(email)
            if domain not in supplier.email_domains:
                supplier.email_domains = [*supplier.email_domains, domain]
                changed = True
    for contact in supplier.contacts:
        named = contact.email in to_list or (contact.email in cc_list if cc_list is not None else contact.cc)
        if not named and contact.state != ContactState.INACTIVE:
            contact.state = ContactState.INACTIVE
            changed = True
    return changed


def _order(contact: Contact) -> tuple[bool, int, int]:
    return (bool(contact.cc), contact.position or 0, contact.id or 1 << 62)


def ordered_contacts(supplier: Supplier) -> list[Contact]:
    """The supplier's contacts, addressed ones first (in their order), then copied ones; of every state."""
    return sorted(supplier.contacts, key=_order)


def active_contacts(supplier: Supplier) -> list[Contact]:
    return [c for c in ordered_contacts(supplier) if c.state == ContactState.ACTIVE]


def known_contacts(supplier: Supplier) -> list[Contact]:
    """The contacts the bot writes to: active ones, addressed first (the primary first), then copied ones."""
    return active_contacts(supplier)


def primary_index(states: Sequence[ContactState]) -> int | None:
    """Which of a supplier's addressed contacts (in their order) requests go to: the first active one, else the
    first."""
    for index, state in enumerate(states):
        if state == ContactState.ACTIVE:
            return index
    return 0 if states else None


def primary_contact(supplier: Supplier) -> Contact | None:
    """The contact requests go to first (``primary_index`` over the addressed contacts)."""
    addressed = [c for c in ordered_contacts(supplier) if not c.cc]
    index = primary_index([c.state for c in addressed])
    return addressed[index] if index is not None else None


def request_recipients(supplier: Supplier) -> Recipients:
    """To: the primary contact and the other active addressed contacts; CC: the active copied contacts (a contact
    that bounces or was replaced gets nothing; no active addressed contact: ``to`` is empty)."""
    primary = primary_contact(supplier)
    to = [primary.email] if primary is not None and primary.state == ContactState.ACTIVE else []
    cc: list[str] = []
    for contact in active_contacts(supplier):
        if contact.email in to or contact.email in cc:
            continue
        (cc if contact.cc else to).append(contact.email)
    if not to:
        return Recipients((), ())
    return Recipients(tuple(to), tuple(cc))


def is_known_sender(supplier: Supplier, address: str) -> bool:
    """The address is one of the supplier's contacts (of any state) or on one of its known e-mail domains."""
    email = _norm(address)
    return any(c.email == email for c in supplier.contacts) or _domain(email) in supplier.email_domains


def reply_recipients(supplier: Supplier, sender: str | None) -> Recipients:
    """Who an answer to an e-mail from ``sender`` goes to (acknowledgments, the team's answers).

    A sender the supplier is known by (a contact, or an address on its known domains): To the sender, CC the
    supplier's other known contacts. Anyone else (or no sender): the supplier's known contacts, as for a request,
    so nothing is told to a stranger.
    """
    known = request_recipients(supplier)
    if sender and is_known_sender(supplier, sender):
        email = _norm(sender)
        return Recipients((email,), tuple(a for a in known.all if a != email))
    return known


def set_language(supplier: Supplier, language: str | None) -> bool:
    """Set (a tag of ``cmrt.languages.LANGUAGES``) or clear (None) the supplier's language; whether it changed."""
    if supplier.language == language:
        return False
    supplier.language = language
    return True


def contacts_by_email(session: Session, email: str) -> Sequence[Contact]:
    """Every contact (of any supplier, any state, addressed or copied) with this address."""
    return session.scalars(sa.select(Contact).where(Contact.email == email.strip().lower())).all()


def suppliers_by_domain(session: Session, domain: str) -> list[Supplier]:
    """Suppliers whose known e-mail domains include ``domain`` (case-insensitive)."""
    domain = domain.lower()
    return [s for s in session.scalars(sa.select(Supplier)) if domain in s.email_domains]


def mark_contact_bouncing(contact: Contact, detail: str, at: dt.datetime | None = None) -> None:
    contact.state = ContactState.BOUNCING
    contact.last_bounce_at = at or utcnow()
    contact.bounce_detail = detail


@dataclass(frozen=True)
class ContactChange:
    changed: bool
    before: tuple[str, ...]  # "email (state)" / "cc email (state)" of every contact, before
    after: tuple[str, ...]
    resumed: int = 0  # e-mails refused for the old address that will be sent again


def describe(supplier: Supplier) -> str:
    """One line: the active contacts, the primary first, copied ones marked ``cc``, and the language."""
    to = request_recipients(supplier)
    parts = [", ".join(to.to) or "no active contact"]
    if to.cc:
        parts.append("cc " + ", ".join(to.cc))
    if supplier.language:
        parts.append(f"language {supplier.language}")
    return "; ".join(parts)


def _snapshot(supplier: Supplier) -> tuple[str, ...]:
    return tuple(f"{'cc ' if c.cc else ''}{c.email} ({c.state.value})" for c in ordered_contacts(supplier))


def change_contacts(
    session: Session,
    supplier: Supplier,
    emails: Sequence[str],
    *,
    cc: Sequence[str] | None = None,
    add: bool = False,
    name: str | None = None,
    language: str | None = None,
    actor: str,
) -> ContactChange:
    """A person changes a supplier's contacts (CLI ``suppliers set-contact``, the Slack supplier card).

    ``emails`` become the addressed contacts (the first the primary), or with ``add`` join the active ones. ``cc``
    (None: unchanged) replaces the copied ones. ``language`` as in ``SupplierData``. A named address that bounced
    is taken as fixed. E-mails that were refused for the supplier's open requests are sent again by the next tick
    (``store.actions.release_failed``). Audited as ``supplier.contacts``.
    """
    from store import actions, audit
    from store.models import Request

    before = _snapshot(supplier)
    addressed = list(emails)
    if add:
        current = [c.email for c in ordered_contacts(supplier) if not c.cc and c.state == ContactState.ACTIVE]
        addressed = current + [e for e in addressed if _norm(e) not in current]
    changed = set_contacts(supplier, addressed, cc, contact_name=name, reactivate_bouncing=True)
    if language is not None:
        changed |= set_language(supplier, language or None)
    session.flush()
    resumed = 0
    if changed and primary_contact(supplier) is not None:
        from cmrt.outreach.states import SETTLED_STATES

        open_ids = [
            rid for rid, state in session.execute(
                sa.select(Request.id, Request.state).where(Request.supplier_id == supplier.id)
            ) if state not in SETTLED_STATES
        ]
        resumed = actions.release_failed(session, open_ids, reason="the contact address was changed")
    after = _snapshot(supplier)
    if changed:
        audit.record(session, actor, "supplier.contacts", "supplier", supplier.external_id,
                     {"before": list(before), "after": list(after), "language": supplier.language,
                      "resumed": resumed})  # fmt: skip
    return ContactChange(changed, before, after, resumed)


def count(session: Session) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(Supplier)) or 0)
