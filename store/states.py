"""Enumerations the store owns (supplier tiers, contact, campaign, message and outbox states, e-mail and list kinds).

The request life cycle (``RequestState`` and its transitions) is domain vocabulary: it lives in
``cmrt.outreach.states``. Every enum here is stored as its string value (``store.types.StrEnumType``).
"""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    DIRECT = "direct"
    INDIRECT = "indirect"


class ContactState(StrEnum):
    ACTIVE = "active"
    BOUNCING = "bouncing"  # a delivery failed; the team is told and may fix the address
    INACTIVE = "inactive"  # removed by an operator or replaced by a newer import


class CampaignState(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class MessageState(StrEnum):
    RECEIVED = "received"  # stored raw, not yet handled
    PROCESSED = "processed"
    QUARANTINED = "quarantined"  # could not be handled; kept for a person to look at
    SENT = "sent"  # outbound, handed to the SMTP server


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED_TEMPORARY = "failed_temporary"
    FAILED_PERMANENT = "failed_permanent"
    UNCERTAIN = "uncertain"  # the bot stopped during SMTP DATA: not resent automatically, a person decides


class OutboxKind(StrEnum):
    REQUEST = "request"
    REMINDER = "reminder"
    CLARIFICATION = "clarification"
    ACKNOWLEDGMENT = "acknowledgment"
    FOLLOW_UP = "follow_up"
    ANSWER = "answer"  # the team's answer to a supplier's question (in the question's mail thread)
    ACCEPTANCE = "acceptance"
    ALREADY_RECEIVED = "already_received"
    OTHER = "other"


class SmelterListKind(StrEnum):
    CONFORMANT = "conformant"
    ACTIVE = "active"
    REFERENCE = "reference"
    REVISIONS = "revisions"
