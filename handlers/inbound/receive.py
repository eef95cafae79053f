"""The first two steps, before anything is recorded about the e-mail: store it raw (committed on its own), then
classify it (no database)."""

from __future__ import annotations

import logging

from handlers.inbound.context import Flow, InboundContext, InboundDeps
from mail.attachments import extract_attachments
from mail.classify import InboundMessage, classify, parse_inbound
from mail.imap import Disposition
from store import messages as message_repo
from store.states import Direction, MessageState

log = logging.getLogger("cmbot.mail.inbound")


def store_raw(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """Store the raw bytes (keyed by Message-ID and the digest of the bytes) and commit: nothing is ever lost.

    Needs ``ctx.raw`` (``folder``, ``uid``); gives ``message``, ``message_id``, ``replay``. Stops with the
    disposition at hand when the bytes cannot be parsed (kept in quarantine, the team told) and when the e-mail was
    handled before (processed: a re-delivery). A quarantined e-mail that comes again (moved back to the inbox by a
    person) is handled again."""
    ctx.prepared = deps.read_ahead.take(ctx.raw, ctx.folder, ctx.uid) if deps.read_ahead is not None else None
    try:
        message: InboundMessage | None = ctx.prepared.message if ctx.prepared else parse_inbound(ctx.raw)
    except Exception:  # unparseable bytes are still stored, then quarantined
        log.exception("inbound message could not be parsed")
        message = None
    keys = ctx.prepared.keys if ctx.prepared is not None else None  # hashed ahead, in the reader process
    with deps.db.session() as s:
        stored, created = message_repo.add(
            s,
            digest=keys.digest if keys is not None else None,
            blob_key=keys.sha256 if keys is not None else None,
            direction=Direction.IN,
            message_id=message.message_id if message else None,
            raw=ctx.raw,
            subject=message.subject[:998] if message else None,
            from_address=message.from_address if message else None,
            to_addresses=message.to_addresses if message else [],
            in_reply_to=" ".join(message.in_reply_to) or None if message else None,
            references=" ".join(message.references) or None if message else None,
            received_at=deps.clock(),
            imap_folder=ctx.folder,
            imap_uid=ctx.uid,
            state=MessageState.RECEIVED if message else MessageState.QUARANTINED,
        )
        ctx.message_id, ctx.row_id, state = stored.message_id, stored.id, MessageState(stored.state)
        ctx.replay = stored.classification is not None
        if state == MessageState.QUARANTINED and message is not None and not created:
            # it came again (a person moved it back to the inbox, or ``mail retry``): handle it again
            stored.state, stored.error, state = MessageState.RECEIVED, None, MessageState.RECEIVED
    ctx.message = message
    if message is None:
        deps.notifier.team_alert("An inbound e-mail could not be parsed at all; it is kept in quarantine.")
        ctx.disposition = Disposition.QUARANTINE
        return Flow.STOP
    if state == MessageState.PROCESSED:
        ctx.disposition = Disposition.PROCESSED
        ctx.replayed = True
        return Flow.STOP
    return None


def classify_message(ctx: InboundContext, deps: InboundDeps) -> Flow | None:
    """Take the attachments apart (size limits, zip files) and classify the e-mail (bounce, auto-reply, reply with a
    workbook or a link, question); an e-mail from the bot's own address is ``own``.

    Needs ``ctx.message``; gives ``extracted``, ``classification``, ``own``, ``kind`` and the attachments'
    ``problems``."""
    message = _parsed(ctx)
    if ctx.prepared is not None and ctx.prepared.message is message:
        ctx.extracted = ctx.prepared.extracted
    else:
        ctx.extracted = extract_attachments(message.msg, deps.options.attachment_limits)
    ctx.classification = classify(message, has_workbook=ctx.extracted.has_workbook)
    ctx.own = deps.is_own(message.from_address)
    ctx.kind = "own" if ctx.own and not ctx.replay else ctx.classification.kind.value
    ctx.problems.extend(ctx.extracted.problems)
    return None


def _parsed(ctx: InboundContext) -> InboundMessage:
    if ctx.message is None:
        raise RuntimeError("the e-mail was not parsed (store_raw runs first)")
    return ctx.message
