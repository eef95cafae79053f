"""What the inbound steps share: ``InboundContext`` (the one message on its way through the pipeline),
``InboundDeps`` (what the steps are given), ``Unit`` (the open unit of work of the recording steps), the
``Notice`` values the team is told after the commit, and ``Outcome`` (what ``process`` and ``assign`` return).

Every step has the same signature, ``step(ctx, deps) -> Flow | None``: it reads and writes the context, and returns
``Flow.STOP`` to end the sequence it is part of (see ``handlers.inbound.pipeline``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from sqlalchemy.orm import Session

from cmrt.declaration import Declaration
from cmrt.review import Grade
from cmrt.workbook.errors import ReadLimits
from handlers.acknowledgment import Acknowledgment
from handlers.inbound.readahead import Prepared, ReadAhead
from handlers.notify import FindingSummary, Notifier, NullNotifier
from handlers.outreach_mail import MailOutreach, Queued
from handlers.review_context import ContextFactory, default_context
from mail.attachments import AttachmentLimits, Extracted
from mail.classify import Classification, InboundMessage
from mail.imap import Disposition
from mail.matching import Decision, Match
from store.engine import SessionSource
from store.models import Message, Request, Submission


class Flow(Enum):
    STOP = "stop"  # end the sequence this step is part of


@dataclass(frozen=True)
class InboundOptions:
    """How inbound mail is handled: the bot's own addresses, size limits, workbook passwords (``bot/`` fills it)."""

    own_addresses: tuple[str, ...] = ()  # the bot's own addresses: mail from them is never answered
    attachment_limits: AttachmentLimits = field(default_factory=AttachmentLimits)
    read_limits: ReadLimits | None = None
    passwords: tuple[str, ...] = ()  # extra workbook passwords to try (VelvetSweatshop is always tried)
    acknowledge: bool = True
    bounce_address: str | None = None  # the VERP base ([mail] bounce_address, else [outreach] from_address)
    read_ahead_workers: int = 0  # > 0: batches handed to ``InboundProcessor.prefetch`` are read ahead (threads)
    trusted_authserv_id: str | None = None  # [mail] trusted_authserv_id: whose Authentication-Results count
    max_acks_per_request: int = 3  # [outreach] max_acks_per_request: acknowledgments per request and day
    transient_retries: int = 4  # a passing database error is retried this often (capped back-off, jitter)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class InboundDeps:
    """What the steps may use; nothing else reaches them."""

    db: SessionSource
    outreach: MailOutreach | None = None  # records and sends the acknowledgment (None: nothing is sent)
    notifier: Notifier = field(default_factory=NullNotifier)
    options: InboundOptions = field(default_factory=InboundOptions)
    review_context: ContextFactory = default_context
    clock: Callable[[], dt.datetime] = _utcnow
    read_ahead: ReadAhead | None = None  # the watcher's batches, parsed and read ahead (None: each step does it)

    def is_own(self, address: str | None) -> bool:
        return bool(address) and (address or "").lower() in {a.lower() for a in self.options.own_addresses}


# -- what the team is told, once the recording is committed -------------------------------------------------------
@dataclass(frozen=True)
class ReplyReceived:
    request_id: int
    summary: str


@dataclass(frozen=True)
class ReviewResult:
    request_id: int
    grade: str
    score: int | None
    findings: tuple[FindingSummary, ...]


@dataclass(frozen=True)
class Escalation:
    request_id: int
    reason: str


@dataclass(frozen=True)
class TeamAlert:
    text: str  # plain text; may quote the supplier (the notifier escapes)
    request_id: int | None = None


@dataclass(frozen=True)
class UnmatchedMail:
    ref: int  # the ``messages`` row id
    kind: str
    subject: str
    proposed_request_id: int | None = None  # the company name in the workbook points there: the team confirms


@dataclass(frozen=True)
class Question:
    """The supplier asked a question (``text``: their own words, ``mail.question.question_text``); the request waits
    for the team."""

    request_id: int
    text: str


@dataclass(frozen=True)
class WorkbookFile:
    """A returned workbook (a stored submission) the team may open in the supplier's thread."""

    request_id: int
    submission_id: int


@dataclass(frozen=True)
class NewAddress:
    """A sender who is not a known contact of the matched supplier (a colleague, a forward, a stranger)."""

    request_id: int
    supplier_id: int
    address: str  # shown to the team only (never logged)
    verified: bool  # on a known domain of the supplier (authenticated, or unchecked)


Notice = ReplyReceived | ReviewResult | Escalation | TeamAlert | UnmatchedMail | Question | WorkbookFile | NewAddress


@dataclass
class Unit:
    """The unit of work the recording steps share: one session, committed when they are done."""

    session: Session
    row: Message  # the stored inbound e-mail
    request: Request | None = None  # the matched (or assigned) supplier request


@dataclass
class Reading:
    """One workbook attachment as stored, and what the reader made of it (None: unreadable, or read before)."""

    submission: Submission
    declaration: Declaration | None


@dataclass
class InboundContext:
    """One inbound e-mail on its way through the steps. Each field is written by one step (named) and read by later
    ones; ``notices`` and ``problems`` are appended to."""

    raw: bytes = b""
    folder: str | None = None
    uid: int | None = None
    actor: str | None = None  # who assigned the e-mail to a request (``take_assignment``)
    message: InboundMessage | None = None  # store_raw (None: the bytes could not be parsed)
    prepared: Prepared | None = None  # store_raw: parsed and taken apart ahead (``ReadAhead``), for classify
    message_id: str = ""  # store_raw: the stored Message-ID (synthetic when the e-mail has none)
    row_id: int | None = None  # store_raw / take_assignment: the ``messages`` row (Message-ID + digest name it)
    replay: bool = False  # store_raw: recorded by an earlier run that stopped before the end
    disposition: Disposition = Disposition.PROCESSED  # what the mailbox does with it
    extracted: Extracted = field(default_factory=Extracted)  # classify
    classification: Classification | None = None  # classify
    own: bool = False  # classify: sent from the bot's own address (a loop, a copy)
    kind: str | None = None  # classify / replayed: the stored classification
    unit: Unit | None = None  # the open unit of work, while the recording steps run
    readings: list[Reading] = field(default_factory=list)  # read / take_assignment
    names: list[str] = field(default_factory=list)  # read / take_assignment: the workbook file names
    match: Match | None = None  # match
    decision: Decision | None = None  # match: the evidence, the sender's standing, who may be answered
    held: bool = False  # match: an unverified sender wrote for an accepted request; nothing changes
    request_id: int | None = None  # match / bounce / take_assignment
    grades: list[Grade] = field(default_factory=list)  # review: one per reviewed workbook
    worst: Grade | None = None  # review
    score: int | None = None  # review: the lowest score of the new reviews
    summaries: list[FindingSummary] = field(default_factory=list)  # review: findings for the team's note
    acknowledgment: Acknowledgment | None = None  # plan_acknowledgment
    queued: Queued | None = None  # enqueue_acknowledgment: recorded in the outbox, sent by acknowledge after the commit
    notices: list[Notice] = field(default_factory=list)  # told to the team by notify, after the commit
    problems: list[str] = field(default_factory=list)
    replayed: bool = False  # store_raw: handled before; nothing was done again
    processed: bool = False  # settle / finish: the e-mail's state PROCESSED is recorded

    @property
    def work(self) -> Unit:
        """The open unit of work (only recording steps run inside one)."""
        if self.unit is None:
            raise RuntimeError("this step runs inside the unit of work of the recording steps")
        return self.unit

    def outcome(self) -> Outcome:
        return Outcome(
            message_id=self.message_id,
            disposition=self.disposition,
            kind=self.kind,
            request_id=self.request_id,
            match_method=self.match.method.value if self.match is not None else None,
            grades=[g.value for g in self.grades],
            problems=list(self.problems),
            replayed=self.replayed,
        )


@dataclass
class Outcome:
    """What became of one inbound e-mail (``InboundProcessor.process`` and ``assign`` return it)."""

    message_id: str
    disposition: Disposition
    kind: str | None = None
    request_id: int | None = None
    match_method: str | None = None
    grades: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    replayed: bool = False


Step = Callable[[InboundContext, InboundDeps], Flow | None]
