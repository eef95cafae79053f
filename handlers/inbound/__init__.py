"""The reaction to one inbound e-mail, as a pipeline of named steps (``handlers.inbound.pipeline.RECEIVE``):

1. ``store_raw``: the raw bytes are stored first (``messages``, unique Message-ID), committed: nothing is ever lost.
   An e-mail already PROCESSED or QUARANTINED returns that disposition at once (idempotent re-delivery).
2. ``classify_message``: attachments taken apart, the e-mail classified (no database).
3. One unit of work records it: ``label`` (the classification), ``read`` (each attachment a ``submission``, once
   per sha256; each workbook read), ``match`` (the request), ``bounce`` (contacts marked bouncing), ``route``
   (unmatched, auto-reply, question: the way ends here), ``review_workbooks`` (``cmrt.review``) and ``record`` (the
   request moved: responded, then where ``cmrt.outreach.replies`` leads), then ``plan_acknowledgment``,
   ``enqueue_acknowledgment`` (the acknowledgment recorded in the outbox under ``ack:<Message-ID>``: the
   transactional outbox) and ``settle`` (PROCESSED): the second and last commit of the e-mail.
4. ``acknowledge``: after the commit, the recorded acknowledgment is sent in the same thread (or left to the outbox
   loop: rate limit, passing errors); a replay never sends it twice.
5. ``notify``: the team is told through the injected ``Notifier``; ``finish`` marks the e-mail PROCESSED where no
   ``settle`` ran.

Anything that goes wrong after step 1 quarantines the e-mail (state QUARANTINED with the error, the team told), and
the watcher moves it to the quarantine folder. A crash before step 3 committed leaves the raw e-mail and nothing
else: the replay records it and acknowledges it once. After step 3 committed the e-mail is PROCESSED and its
acknowledgment is in the outbox, which sends it (``run_outbox``) if the crash came first.
"""

from handlers.inbound.context import InboundContext, InboundDeps, InboundOptions, Outcome
from handlers.inbound.pipeline import ASSIGN, RECEIVE, InboundProcessor

__all__ = ["ASSIGN", "RECEIVE", "InboundContext", "InboundDeps", "InboundOptions", "InboundProcessor", "Outcome"]
