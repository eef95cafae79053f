"""The database schema: typed SQLAlchemy 2.x models.

Every change here needs the same change in an Alembic migration under ``store/migrations/versions``;
``tests/adapters/store/test_migrations.py`` fails when the two disagree (on SQLite and PostgreSQL).

Conventions: integer surrogate keys; datetimes are ``UTCDateTime`` (aware, UTC); enums are stored as their
string value; JSON columns hold plain lists/dicts; e-mail addresses are stored lower-cased.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cmrt.outreach.states import RequestState
from store.states import (
    CampaignState,
    ContactState,
    Direction,
    MessageState,
    OutboxKind,
    OutboxState,
    SmelterListKind,
    Tier,
)
from store.types import StrEnumType, UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONList = list[Any]
JSONDict = dict[str, Any]


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), JSONDict: sa.JSON(), JSONList: sa.JSON()}  # noqa: RUF012


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(sa.String(100), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    tier: Mapped[Tier] = mapped_column(StrEnumType(Tier, 16), default=Tier.DIRECT)
    email_domains: Mapped[JSONList] = mapped_column(default=list)
    tags: Mapped[JSONList] = mapped_column(default=list)
    # BCP 47 tag of the language e-mails are written in (cmrt.languages); None: [outreach] language
    language: Mapped[str | None] = mapped_column(sa.String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # addressed contacts first (the primary is the first active one), then those copied
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="supplier", order_by="(Contact.cc, Contact.position, Contact.id)"
    )


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (sa.UniqueConstraint("supplier_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    name: Mapped[str | None] = mapped_column(sa.String(300))
    role: Mapped[str | None] = mapped_column(sa.String(100))
    state: Mapped[ContactState] = mapped_column(StrEnumType(ContactState, 16), default=ContactState.ACTIVE)
    cc: Mapped[bool] = mapped_column(default=False, server_default=sa.false())  # copied, not addressed
    position: Mapped[int] = mapped_column(default=0, server_default="0")  # order in the import's cell
    last_bounce_at: Mapped[dt.datetime | None]
    bounce_detail: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    supplier: Mapped[Supplier] = relationship(back_populates="contacts")


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)  # the reporting year (calendar year declared)
    template_family: Mapped[str] = mapped_column(sa.String(32), default="CMRT")  # one, or a comma list
    min_template_version: Mapped[str | None] = mapped_column(sa.String(16))
    scope: Mapped[str] = mapped_column(sa.String(16), default="company")  # company | product
    due_date: Mapped[dt.date]
    state: Mapped[CampaignState] = mapped_column(StrEnumType(CampaignState, 16), default=CampaignState.ACTIVE)
    supplier_filter: Mapped[str] = mapped_column(sa.String(100), default="all")  # "all" or a tag
    # this campaign's review overrides, check id -> severity or "disabled" (applied after the config's)
    review_overrides: Mapped[JSONDict] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(sa.String(320), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    requests: Mapped[list[Request]] = relationship(back_populates="campaign")


class Request(Base):
    """One supplier's request within one campaign; ``state`` follows ``cmrt.outreach.states.ALLOWED_TRANSITIONS``."""

    __tablename__ = "requests"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "supplier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id", ondelete="CASCADE"), index=True)
    state: Mapped[RequestState] = mapped_column(
        StrEnumType(RequestState, 32), default=RequestState.NOT_SENT, index=True
    )
    token: Mapped[str] = mapped_column(sa.String(16), unique=True)  # e.g. "R7K2QX9M", shown in the subject
    thread_message_id: Mapped[str | None] = mapped_column(sa.String(998))  # Message-ID of the first request
    sent_at: Mapped[dt.datetime | None]
    reminder_count: Mapped[int] = mapped_column(default=0)
    last_reminder_at: Mapped[dt.datetime | None]
    next_due_at: Mapped[dt.datetime | None] = mapped_column(index=True)  # when the scheduler looks again
    responded_at: Mapped[dt.datetime | None]
    clarification_requested_at: Mapped[dt.datetime | None]
    escalation_count: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[dt.datetime | None]
    accepted_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    snoozed_until: Mapped[dt.datetime | None]
    assignee: Mapped[str | None] = mapped_column(sa.String(32))  # Slack user id
    exception_reason: Mapped[str | None] = mapped_column(sa.Text)
    slack_channel: Mapped[str | None] = mapped_column(sa.String(32))
    slack_ts: Mapped[str | None] = mapped_column(sa.String(32))  # the parent message in the channel
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="requests")
    supplier: Mapped[Supplier] = relationship()


class Blob(Base):
    """Bytes kept once under their SHA-256 (hex): raw e-mails in either direction, and an attachment's bytes when no
    stored e-mail holds them. Inserted once (``store.blobs.put``), never updated: the rows that change state
    (messages, outbox, submissions) name a blob and never carry the bytes themselves."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Message(Base):
    """An e-mail in either direction; its raw bytes are the blob ``raw_blob`` (``store.messages.raw_bytes``).
    Inbound mail is stored before anything else happens."""

    __tablename__ = "messages"
    # keyed by Message-ID *and* the digest of the raw bytes: a different e-mail under an old Message-ID is stored
    # and handled as new; the same bytes again are the same e-mail (a re-delivery)
    __table_args__ = (sa.UniqueConstraint("message_id", "raw_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[Direction] = mapped_column(StrEnumType(Direction, 8))
    # an inbound message without one gets a synthesised "<sha256-of-raw@cmrt-bot.invalid>"
    message_id: Mapped[str] = mapped_column(sa.String(998))
    in_reply_to: Mapped[str | None] = mapped_column(sa.String(998))
    references: Mapped[str | None] = mapped_column(sa.Text)
    subject: Mapped[str | None] = mapped_column(sa.Text)
    from_address: Mapped[str | None] = mapped_column(sa.String(320), index=True)
    to_addresses: Mapped[JSONList] = mapped_column(default=list)
    raw_sha256: Mapped[str] = mapped_column(sa.String(64), index=True)  # store.messages.message_digest(raw)
    raw_blob: Mapped[str] = mapped_column(sa.ForeignKey("blobs.sha256"))  # sha256 of the exact bytes
    classification: Mapped[str | None] = mapped_column(sa.String(32))  # reply, auto_reply, bounce, ...
    state: Mapped[MessageState] = mapped_column(StrEnumType(MessageState, 16), default=MessageState.RECEIVED)
    error: Mapped[str | None] = mapped_column(sa.Text)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("requests.id", ondelete="SET NULL"), index=True)
    imap_folder: Mapped[str | None] = mapped_column(sa.String(255))
    imap_uid: Mapped[int | None] = mapped_column(sa.BigInteger)
    received_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    request: Mapped[Request | None] = relationship()
    submissions: Mapped[list[Submission]] = relationship(back_populates="message", order_by="Submission.id")


class Submission(Base):
    """One attachment of an inbound message (a returned workbook, or another file flagged to the team). Its bytes are
    taken out of the message's raw e-mail again when needed, found by ``sha256`` (``handlers.attachment_bytes``);
    bytes that no stored e-mail holds are the blob of the same ``sha256``."""

    __tablename__ = "submissions"
    __table_args__ = (sa.UniqueConstraint("message_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("requests.id", ondelete="SET NULL"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))  # sanitised
    content_type: Mapped[str | None] = mapped_column(sa.String(255))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    is_workbook: Mapped[bool] = mapped_column(default=True)
    detected_family: Mapped[str | None] = mapped_column(sa.String(16))
    detected_version: Mapped[str | None] = mapped_column(sa.String(16))
    parse_error_code: Mapped[str | None] = mapped_column(sa.String(64))
    parse_error: Mapped[str | None] = mapped_column(sa.Text)
    declaration: Mapped[JSONDict | None]  # Declaration.to_json() when it was read
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    message: Mapped[Message] = relationship(back_populates="submissions")
    request: Mapped[Request | None] = relationship()
    reviews: Mapped[list[Review]] = relationship(back_populates="submission", order_by="Review.id")


class Review(Base):
    """A review of a submission: made when the workbook arrived (``origin`` inbound) or again later, when RMI's
    lists or the campaign's rules changed (``lists``, ``rules``, ``on_demand``). A later review's findings reach the
    supplier only when the team sends them (``supplier_notified_at``)."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("requests.id", ondelete="SET NULL"), index=True)
    grade: Mapped[str] = mapped_column(sa.String(32))  # accepted | needs_clarification | high_risk | rejected
    score: Mapped[float | None] = mapped_column(sa.Float)
    catalogue_version: Mapped[str] = mapped_column(sa.String(32))
    findings: Mapped[JSONList] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    origin: Mapped[str] = mapped_column(sa.String(16), default="inbound", server_default="inbound")
    rmap_date: Mapped[dt.date | None]  # the date of the RMAP status lists the review used
    supplier_notified_at: Mapped[dt.datetime | None]  # a re-review's findings sent to the supplier by the team

    submission: Mapped[Submission] = relationship(back_populates="reviews")


class OutboxItem(Base):
    """An e-mail recorded before it is sent; the idempotency key makes a second enqueue a no-op."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    kind: Mapped[OutboxKind] = mapped_column(StrEnumType(OutboxKind, 32))
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("requests.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(sa.String(320))
    message_id: Mapped[str] = mapped_column(sa.String(998))
    raw_blob: Mapped[str] = mapped_column(sa.ForeignKey("blobs.sha256"))  # the e-mail's bytes
    # the random token of this e-mail's envelope sender (VERP: bounces+<token>@domain); a bounce names it
    envelope_token: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    state: Mapped[OutboxState] = mapped_column(StrEnumType(OutboxState, 32), default=OutboxState.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]


class OutreachAction(Base):
    """A scheduled outreach action (request, reminder, escalation, follow-up, digest), recorded by its
    idempotency key before it runs: ``pending`` until its effects are committed, then ``done``. The key's unique
    constraint makes a second run of the same action (a restart, a second instance) a no-op."""

    __tablename__ = "outreach_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    due_at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    done_at: Mapped[dt.datetime | None]


class AuditEvent(Base):
    """Append-only: ``store.audit.record`` adds rows; the session refuses updates and deletes of this table."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(320))  # "system", a Slack user id, "os:<user>" or an address
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    subject_type: Mapped[str | None] = mapped_column(sa.String(32))
    subject_id: Mapped[str | None] = mapped_column(sa.String(100))
    details: Mapped[JSONDict] = mapped_column(default=dict)


class ImapCheckpoint(Base):
    __tablename__ = "imap_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    folder: Mapped[str] = mapped_column(sa.String(255), unique=True)
    uidvalidity: Mapped[int] = mapped_column(sa.BigInteger)
    last_uid: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Heartbeat(Base):
    __tablename__ = "heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    component: Mapped[str] = mapped_column(sa.String(64), unique=True)
    pid: Mapped[int | None]
    host: Mapped[str | None] = mapped_column(sa.String(255))
    state: Mapped[str] = mapped_column(sa.String(32), default="running")
    detail: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[dt.datetime | None]
    beat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SlackInteraction(Base):
    """One handled Slack interaction; the unique key makes a Slack retry a no-op."""

    __tablename__ = "slack_interactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    kind: Mapped[str | None] = mapped_column(sa.String(64))
    user_id: Mapped[str | None] = mapped_column(sa.String(32))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    result: Mapped[JSONDict | None]


class BotState(Base):
    """Small named values the bot keeps between runs (last digest sent, leader information, ...)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    value: Mapped[JSONDict] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SmelterList(Base):
    __tablename__ = "smelter_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SmelterListKind] = mapped_column(StrEnumType(SmelterListKind, 16), index=True)
    source_file: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    list_date: Mapped[dt.date | None]
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    row_count: Mapped[int] = mapped_column(default=0)

    entries: Mapped[list[SmelterListEntry]] = relationship(back_populates="smelter_list", passive_deletes=True)


class SmelterListEntry(Base):
    __tablename__ = "smelter_list_entries"
    __table_args__ = (sa.Index("ix_smelter_list_entries_list_smelter", "list_id", "smelter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(sa.ForeignKey("smelter_lists.id", ondelete="CASCADE"))
    metal: Mapped[str | None] = mapped_column(sa.String(32))
    smelter_id: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    standard_name: Mapped[str | None] = mapped_column(sa.String(300))
    country: Mapped[str | None] = mapped_column(sa.String(100))
    state: Mapped[str | None] = mapped_column(sa.String(64))
    last_audit_date: Mapped[dt.date | None]
    audit_cycle: Mapped[str | None] = mapped_column(sa.String(32))
    valid_until: Mapped[dt.date | None]
    extra: Mapped[JSONDict] = mapped_column(default=dict)

    smelter_list: Mapped[SmelterList] = relationship(back_populates="entries")
