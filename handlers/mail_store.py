"""The store behind the mail adapters: outbox repository, IMAP checkpoints and the request directory for matching.

``mail/`` defines small protocols (``OutboxRepository``, ``Checkpoints``, ``RequestDirectory``) so it stays free of
the database; these classes implement them over ``store``. Each outbox/checkpoint call is its own committed unit of
work -- the outbox protocol depends on "recorded" and "sending" being durable before the next step -- except
``StoreOutboxRepository.add_in``/``get_in``, which record in the caller's unit of work (sent only after it commits).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cmrt.outreach.states import RequestState
from mail.bounces import SentMail, new_envelope_token, verp_address, verp_token
from mail.matching import Candidate, SupplierIdentity, is_freemail
from mail.outbox import READY, OutboxRecord
from store import messages as message_repo
from store import outbox as outbox_repo
from store import requests as request_repo
from store import runtime
from store import suppliers as supplier_repo
from store.engine import SessionSource
from store.models import Blob, Campaign, Contact, OutboxItem, Request, Supplier
from store.states import Direction, OutboxKind, OutboxState

CLOSED_STATES = (RequestState.CLOSED, RequestState.EXEMPT)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


class StoreOutboxRepository:
    """``mail_from``: the envelope sender's base (``[mail] bounce_address``, else ``[outreach] from_address``). Each
    e-mail gets a random token when it is recorded and goes out as ``local+token@domain`` (VERP,
    ``mail.bounces``), so a bounce names the e-mail it is about."""

    def __init__(self, db: SessionSource, *, mail_from: str) -> None:
        self.db = db
        self.mail_from = mail_from

    def _record(self, item: OutboxItem, raw: bytes) -> OutboxRecord:
        return OutboxRecord(
            key=item.idempotency_key,
            kind=item.kind,
            to_address=item.to_address,
            mail_from=verp_address(self.mail_from, item.envelope_token),
            message_id=item.message_id,
            raw=raw,
            request_id=item.request_id,
            state=item.state,
            attempts=item.attempts,
            next_attempt_at=_aware(item.next_attempt_at),
            last_error=item.last_error,
            sent_at=_aware(item.sent_at),
        )

    def add(self, record: OutboxRecord) -> tuple[OutboxRecord, bool]:
        with self.db.session() as s:
            return self.add_in(s, record)

    def add_in(self, s: Session, record: OutboxRecord) -> tuple[OutboxRecord, bool]:
        """``add`` inside the caller's unit of work (the transactional outbox: the e-mail is recorded in the same
        commit as the state change that causes it); committed when the caller commits."""
        item, created = outbox_repo.enqueue(
            s,
            key=record.key,
            kind=OutboxKind(record.kind),
            to_address=record.to_address,
            message_id=record.message_id,
            message_bytes=record.raw,
            request_id=record.request_id,
            envelope_token=new_envelope_token() if "@" in self.mail_from else None,
        )
        s.flush()
        return self._record(item, record.raw if created else outbox_repo.raw_bytes(s, item)), created

    def get(self, key: str) -> OutboxRecord | None:
        with self.db.session() as s:
            return self.get_in(s, key)

    def get_in(self, s: Session, key: str) -> OutboxRecord | None:
        """``get`` inside the caller's unit of work."""
        item = outbox_repo.get_by_key(s, key)
        return self._record(item, outbox_repo.raw_bytes(s, item)) if item is not None else None

    def _records(self, stmt: sa.Select[OutboxItem]) -> list[OutboxRecord]:
        """The items ``stmt`` selects, with their bytes (one query)."""
        joined = stmt.add_columns(Blob.data).join(Blob, OutboxItem.raw_blob == Blob.sha256)
        with self.db.session() as s:
            return [self._record(item, bytes(raw)) for item, raw in s.execute(joined)]

    def due(self, now: dt.datetime, limit: int) -> list[OutboxRecord]:
        stmt = (
            sa.select(OutboxItem)
            .where(OutboxItem.state.in_(list(READY)))
            .where(sa.or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= now))
            .order_by(OutboxItem.id)
            .limit(limit)
        )
        return self._records(stmt)

    def in_state(self, state: OutboxState) -> list[OutboxRecord]:
        return self._records(sa.select(OutboxItem).where(OutboxItem.state == state).order_by(OutboxItem.id))

    def transition(
        self, key: str, from_states: Sequence[OutboxState], to_state: OutboxState, *, attempts: int | None = None,
        next_attempt_at: dt.datetime | None = None, last_error: str | None = None, sent_at: dt.datetime | None = None,
    ) -> bool:
        values: dict[str, object] = {"state": to_state}
        if attempts is not None:
            values["attempts"] = attempts
        if to_state in (OutboxState.FAILED_TEMPORARY, OutboxState.PENDING):
            values["next_attempt_at"] = next_attempt_at
        elif to_state is not OutboxState.SENDING:
            values["next_attempt_at"] = None
        if last_error is not None:
            values["last_error"] = last_error or None
        if sent_at is not None:
            values["sent_at"] = sent_at
        stmt = (
            sa.update(OutboxItem)
            .where(OutboxItem.idempotency_key == key)
            .where(OutboxItem.state.in_(list(from_states)))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        with self.db.session() as s:
            result = s.execute(stmt)
            return bool(getattr(result, "rowcount", 0) == 1)


class StoreSentLookup:
    """``mail.bounces.SentLookup`` over the outbox: the e-mails the bot recorded for sending, by VERP token or
    Message-ID."""

    def __init__(self, session: Session, *, bounce_base: str | None = None) -> None:
        self.session = session
        self.bounce_base = bounce_base

    @staticmethod
    def _sent(item: OutboxItem | None) -> SentMail | None:
        return None if item is None else SentMail(item.message_id, item.to_address, item.request_id)

    def by_envelope_token(self, token: str) -> SentMail | None:
        stmt = sa.select(OutboxItem).where(OutboxItem.envelope_token == token).limit(1)
        return self._sent(self.session.scalars(stmt).first())

    def by_envelope_address(self, address: str) -> SentMail | None:
        token = verp_token(address, self.bounce_base) if self.bounce_base else None
        return self.by_envelope_token(token) if token else None

    def by_message_id(self, message_id: str) -> SentMail | None:
        stmt = sa.select(OutboxItem).where(OutboxItem.message_id == message_id).order_by(OutboxItem.id).limit(1)
        return self._sent(self.session.scalars(stmt).first())


class StoreCheckpoints:
    def __init__(self, db: SessionSource, *, prefix: str = "") -> None:
        self.db = db
        self.prefix = prefix  # e.g. the account, when one store serves several mailboxes

    def load(self, folder: str) -> tuple[int, int] | None:
        with self.db.session() as s:
            cp = runtime.get_checkpoint(s, self.prefix + folder)
            return (int(cp.uidvalidity), int(cp.last_uid)) if cp is not None else None

    def save(self, folder: str, uidvalidity: int, last_uid: int) -> None:
        with self.db.session() as s:
            runtime.set_checkpoint(s, self.prefix + folder, uidvalidity, last_uid)


class StoreDirectory:
    """``mail.matching.RequestDirectory`` over one session (open requests, newest campaign first)."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def open_for_suppliers(self, supplier_ids: Sequence[int]) -> list[int]:
        """The open requests of these suppliers, newest campaign first."""
        if not supplier_ids:
            return []
        stmt = (
            sa.select(Request.id)
            .join(Campaign, Request.campaign_id == Campaign.id)
            .where(Request.supplier_id.in_(list(supplier_ids)))
            .where(Request.state.not_in(list(CLOSED_STATES)))
            .order_by(Campaign.year.desc(), Request.id.desc())
        )
        return list(self.s.scalars(stmt))

    def by_token(self, token: str) -> int | None:
        req = request_repo.get_by_token(self.s, token)
        return req.id if req is not None else None

    def by_thread(self, message_ids: Sequence[str]) -> int | None:
        """The request a message *the bot sent* belongs to (its first request, a sent e-mail, an outbox record):
        naming an inbound e-mail someone else sent proves nothing."""
        req = request_repo.by_thread_message_id(self.s, message_ids)
        if req is not None:
            return req.id
        for msg in reversed(message_repo.find_by_message_ids(self.s, message_ids)):
            if msg.request_id is not None and msg.direction == Direction.OUT:
                return msg.request_id
        stmt = sa.select(OutboxItem.request_id).where(OutboxItem.message_id.in_(list(message_ids)))
        found = [r for r in self.s.scalars(stmt) if r is not None]
        return found[0] if found else None

    def by_address(self, address: str) -> list[int]:
        contacts: Sequence[Contact] = supplier_repo.contacts_by_email(self.s, address)
        return self.open_for_suppliers(sorted({c.supplier_id for c in contacts}))

    def by_domain(self, domain: str) -> list[int]:
        suppliers = supplier_repo.suppliers_by_domain(self.s, domain)
        if not suppliers:  # fall back to contacts' domains
            stmt = sa.select(Contact.supplier_id).where(Contact.email.like(f"%@{domain.lower()}"))
            return self.open_for_suppliers(sorted(set(self.s.scalars(stmt))))
        return self.open_for_suppliers([s.id for s in suppliers])

    def identity(self, request_id: int) -> SupplierIdentity | None:
        """What the store knows of the supplier of ``request_id``: every contact address (of any state: a bouncing
        or replaced one is still the supplier's), its known domains (imported and the contacts'; never free-mail),
        and the active contacts an acknowledgment goes to (the addressed ones, the primary first)."""
        request = request_repo.get(self.s, request_id)
        if request is None:
            return None
        supplier = request.supplier
        contacts = tuple(dict.fromkeys(c.email.lower() for c in supplier_repo.ordered_contacts(supplier)))
        domains = [d.lower() for d in supplier.email_domains or []]
        domains += [c.rpartition("@")[2] for c in contacts]
        recipients = supplier_repo.request_recipients(supplier)
        return SupplierIdentity(
            supplier_id=supplier.id,
            name=supplier.name,
            contacts=contacts,
            domains=tuple(d for d in dict.fromkeys(domains) if d and not is_freemail(d)),
            ack_contacts=tuple(recipients.to),
        )

    def company_candidates(self) -> list[Candidate]:
        stmt = (
            sa.select(Request.id, Supplier.name)
            .join(Supplier, Request.supplier_id == Supplier.id)
            .join(Campaign, Request.campaign_id == Campaign.id)
            .where(Request.state.not_in(list(CLOSED_STATES)))
            .order_by(Campaign.year.desc(), Request.id.desc())
        )
        return [Candidate(rid, name) for rid, name in self.s.execute(stmt)]
