"""The path of one inbound e-mail, top to bottom (after Mailman 3's pipelines): named steps over one
``InboundContext``, each ``step(ctx, deps) -> Flow | None``.

``RECEIVE`` is what the IMAP watcher and the Maildir source run for every e-mail; ``ASSIGN`` is what runs when the
team assigns a stored, unmatched e-mail to a request. The recording steps share one unit of work (``OneUnit``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
from handlers.inbound.tell import acknowledge, finish, notify, quarantine
from handlers.notify import Notifier, NullNotifier
from handlers.outreach_mail import MailOutreach
from handlers.review_context import ContextFactory, default_context
from mail.imap import Disposition, FetchedMessage
from store import messages as message_repo
from store.engine import SessionSource


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
            row = message_repo.get_by_message_id(s, ctx.message_id)
            if row is None:
                raise ValueError("no such e-mail or request")
            ctx.unit = Unit(s, row)
            try:
                run(self.steps, ctx, deps)
                run(self.then, ctx, deps)
            finally:
                ctx.unit = None
        return None


#: Every inbound e-mail: stored raw first (committed alone: nothing is lost), then recorded in one unit of work,
#: then acknowledged and told; any failure after the first step quarantines it.
RECEIVE: tuple[Step, ...] = (
    store_raw,
    classify_message,
    OneUnit((label, read, match, bounce, route, review_workbooks, record), then=(plan_acknowledgment,)),
    acknowledge,
    notify,
    finish,
)

#: The team assigned a stored, unmatched e-mail to a request: review its workbooks, acknowledge, tell.
ASSIGN: tuple[Step, ...] = (
    OneUnit((take_assignment, review_workbooks, record), then=(plan_acknowledgment,)),
    acknowledge,
    notify,
)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    ) -> None:
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
        ctx = InboundContext(raw=raw, folder=folder, uid=uid)
        try:
            run(RECEIVE, ctx, self.deps)
        except ReadInterrupted:
            raise  # shutdown stopped the reader: the mailbox keeps the e-mail, the next start handles it
        except Exception as exc:
            if not ctx.message_id:
                raise  # not stored: the mailbox keeps the e-mail and it comes again
            quarantine(ctx, self.deps, exc)
            return Outcome(ctx.message_id, Disposition.QUARANTINE, problems=[str(exc)])
        return ctx.outcome()

    def assign(self, message_id: str, request_id: int, *, actor: str) -> Outcome:
        """The team assigned an unmatched e-mail to a request: review its workbooks, acknowledge, notify."""
        ctx = InboundContext(message_id=message_id, request_id=request_id, actor=actor)
        run(ASSIGN, ctx, self.deps)
        return ctx.outcome()
