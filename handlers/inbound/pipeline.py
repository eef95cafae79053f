"""The path of one inbound e-mail, top to bottom (after Mailman 3's pipelines): named steps over one
``InboundContext``, each ``step(ctx, deps) -> Flow | None``.

``RECEIVE`` is what the IMAP watcher and the Maildir source run for every e-mail; ``ASSIGN`` is what runs when the
team assigns a stored, unmatched e-mail to a request. The recording steps share one unit of work (``OneUnit``).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from cmrt.workbook.isolation import ReadInterrupted
from handlers.inbound.context import (
    Flow,
    InboundContext,
    InboundDeps,
    InboundOptions,
    Outcome,
    Step,
    Unit,
)
from handlers.inbound.readahead import ReadAhead
from handlers.inbound.receive import classify_message, store_raw
from handlers.inbound.record import (
    bounce,
    label,
    match,
    plan_acknowledgment,
    read,
    record,
    review_workbooks,
    route,
    take_assignment,
)
from handlers.inbound.tell import acknowledge, enqueue_acknowledgment, finish, notify, quarantine, settle
from handlers.notify import Notifier, NullNotifier
from handlers.outreach_mail import MailOutreach
from handlers.review_context import ContextFactory, default_context
from mail.imap import Disposition, FetchedMessage
from mail.smtp import Backoff
from store import messages as message_repo
from store.engine import SessionSource
from store.models import Message

log = logging.getLogger("cmbot.mail.inbound")


def run(steps: tuple[Step, ...], ctx: InboundContext, deps: InboundDeps) -> None:
    """Run ``steps`` in order until one returns ``Flow.STOP``."""
    for step in steps:
        if step(ctx, deps) is Flow.STOP:
            return


@dataclass(frozen=True)
class OneUnit:
    """Steps that record in one unit of work: one session on the stored e-mail, committed when they are done (or
    rolled back, when one raises). ``Flow.STOP`` from one ends them; the ``then`` steps run in any case."""

    steps: tuple[Step, ...]
    then: tuple[Step, ...] = ()

    def __call__(self, ctx: InboundContext, deps: InboundDeps) -> Flow | None:
        with deps.db.session() as s:
            row = stored_row(s, ctx)
            if row is None:
                raise ValueError("no such e-mail or request")
            ctx.unit = Unit(s, row)
            try:
                run(self.steps, ctx, deps)
                run(self.then, ctx, deps)
            finally:
                ctx.unit = None
        return None


#: Every inbound e-mail: stored raw first (committed alone: nothing is lost), then recorded in one unit of work with
#: its acknowledgment in the outbox and its processed state (the second and last commit), then the acknowledgment is
#: sent and the team told; any failure after the first step quarantines it.
RECEIVE: tuple[Step, ...] = (
    store_raw,
    classify_message,
    OneUnit(
        (label, read, match, bounce, route, review_workbooks, record),
        then=(plan_acknowledgment, enqueue_acknowledgment, settle),
    ),
    acknowledge,
    notify,
    finish,
)

#: The team assigned a stored, unmatched e-mail to a request: review its workbooks, acknowledge, tell.
ASSIGN: tuple[Step, ...] = (
    OneUnit((take_assignment, review_workbooks, record), then=(plan_acknowledgment, enqueue_acknowledgment)),
    acknowledge,
    notify,
)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class InboundDeferred(ConnectionError):
    """A passing error outlasted the retries: the e-mail stays in the mailbox (stored, not quarantined) and the
    watcher tries it again after its back-off."""


#: Back-off between the retries of a passing error (seconds: 0.5, 1, 2, 4 ... capped at 15, with jitter).
TRANSIENT_BACKOFF = Backoff(base=0.5, cap=15.0)


def is_transient(exc: BaseException) -> bool:
    """A passing error: the database connection dropped or timed out, the database is restarting or locked."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
                                sa_exc.TimeoutError, TimeoutError, ConnectionError)):  # fmt: skip
            return True
        current = current.__cause__ or current.__context__
    return False


def stored_row(s: Session, ctx: InboundContext) -> Message | None:
    """The ``messages`` row of the e-mail on its way: by row id (Message-ID and digest name an e-mail; a reused
    Message-ID is another e-mail), else the newest with the Message-ID."""
    if ctx.row_id is not None:
        return message_repo.get(s, ctx.row_id)
    return message_repo.get_by_message_id(s, ctx.message_id) if ctx.message_id else None


class InboundProcessor:
    """The inbound handler the IMAP watcher and the Maildir source call (``__call__``), and the team's ``assign``."""

    def __init__(
        self,
        db: SessionSource,
        *,
        outreach: MailOutreach | None = None,
        notifier: Notifier | None = None,
        options: InboundOptions | None = None,
        review_context: ContextFactory = default_context,
        clock: Callable[[], dt.datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.sleep = sleep
        self.rng = random.Random()
        options = options or InboundOptions()
        read_ahead = (
            ReadAhead(
                workers=options.read_ahead_workers,
                attachment_limits=options.attachment_limits,
                read_limits=options.read_limits,
                passwords=options.passwords,
            )
            if options.read_ahead_workers > 0
            else None
        )
        self.deps = InboundDeps(
            db=db,
            outreach=outreach,
            notifier=notifier or NullNotifier(),
            options=options,
            review_context=review_context,
            clock=clock,
            read_ahead=read_ahead,
        )

    @property
    def db(self) -> SessionSource:
        return self.deps.db

    def __call__(self, fetched: FetchedMessage) -> Disposition:
        return self.process(fetched.raw, folder=fetched.folder, uid=fetched.uid).disposition

    def prefetch(self, batch: Sequence[FetchedMessage]) -> None:
        """A batch the watcher just downloaded: parse it and read its workbooks ahead (``[reader] workers``)."""
        if self.deps.read_ahead is not None:
            self.deps.read_ahead.submit(batch)

    def close(self) -> None:
        """Stop reading ahead (shutdown)."""
        if self.deps.read_ahead is not None:
            self.deps.read_ahead.close()

    def process(self, raw: bytes, *, folder: str | None = None, uid: int | None = None) -> Outcome:
        """Handle one e-mail. A passing error (a dropped database connection, ``OperationalError``, a timeout) is
        retried with capped back-off and jitter, and never quarantines: when it lasts, ``InboundDeferred`` (a
        ``ConnectionError``) leaves the e-mail in the mailbox for the watcher's next round. Anything else after the
        e-mail was stored quarantines it."""
        attempts = max(1, self.deps.options.transient_retries + 1)
        for attempt in range(attempts):
            ctx = InboundContext(raw=raw, folder=folder, uid=uid)
            try:
                run(RECEIVE, ctx, self.deps)
            except ReadInterrupted:
                raise  # shutdown stopped the reader: the mailbox keeps the e-mail, the next start handles it
            except Exception as exc:
                if is_transient(exc):
                    log.warning("inbound e-mail: passing error (%s), attempt %d of %d", type(exc).__name__,
                                attempt + 1, attempts)  # fmt: skip
                    if attempt + 1 < attempts:
                        self.sleep(TRANSIENT_BACKOFF.delay(attempt, self.rng))
                        continue
                    raise InboundDeferred(f"the store is unavailable ({type(exc).__name__})") from exc
                if not ctx.message_id:
                    raise  # not stored: the mailbox keeps the e-mail and it comes again
                quarantine(ctx, self.deps, exc)
                return Outcome(ctx.message_id, Disposition.QUARANTINE, problems=[str(exc)])
            return ctx.outcome()
        raise AssertionError("unreachable")  # pragma: no cover

    def assign(self, message_id: str, request_id: int, *, actor: str, ref: int | None = None) -> Outcome:
        """The team assigned an unmatched e-mail (``ref``: its ``messages`` row; else the newest with
        ``message_id``) to a request: review its workbooks, acknowledge, notify."""
        ctx = InboundContext(message_id=message_id, row_id=ref, request_id=request_id, actor=actor)
        run(ASSIGN, ctx, self.deps)
        return ctx.outcome()
