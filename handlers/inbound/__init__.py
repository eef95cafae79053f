"""The reaction to one inbound e-mail, as a pipeline of named steps (``handlers.inbound.pipeline.RECEIVE``):

1. ``store_raw``: the raw bytes are stored first (``messages``, unique Message-ID), committed: nothing is ever lost.
   An e-mail already PROCESSED or QUARANTINED returns that disposition at once (idempotent re-delivery).
2. ``classify_message``: attachments taken apart, the e-mail classified (no database).
3. One unit of work records it: ``label`` (the classification), ``read`` (each attachment a ``submission``, once
   per sha256; each workbook read), ``match`` (the request), ``bounce`` (contacts marked bouncing), ``route``
   (unmatched, auto-reply, question: the way ends here), ``review_workbooks`` (``cmrt.review``) and ``record`` (the
   request moved: responded, then where ``cmrt.outreach.replies`` leads), then ``plan_acknowledgment`` and ``settle``
   (PROCESSED in the same commit when there is nothing to send).
4. ``acknowledge``: the acknowledgment goes back in the same thread through the outbox under ``ack:<Message-ID>``;
   a replay after a crash never sends it twice.
5. ``notify``: the team is told through the injected ``Notifier``; ``finish`` marks the e-mail PROCESSED (unless
   ``settle`` did).

Anything that goes wrong after step 1 quarantines the e-mail (state QUARANTINED with the error, the team told), and
the watcher moves it to the quarantine folder. A replay of an e-mail whose step 3 had committed (crash before
PROCESSED) records nothing again and finishes steps 4-5.
"""

from handlers.inbound.context import InboundContext, InboundDeps, InboundOptions, Outcome
from handlers.inbound.pipeline import ASSIGN, RECEIVE, InboundProcessor

__all__ = ["ASSIGN", "RECEIVE", "InboundContext", "InboundDeps", "InboundOptions", "InboundProcessor", "Outcome"]
