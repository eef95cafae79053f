"""The mail adapters: SMTP out, IMAP/Maildir in, building and classifying messages. Never imports bot/handlers/store.

- ``compose``: Jinja2 templates (text + autoescaped HTML, overridable) -> ``EmailMessage`` with token, stable
  Message-ID, threading headers and ``Auto-Submitted``; ``headers``: tokens, Message-IDs, header hygiene.
- ``smtp``: ``SmtpSender`` (STARTTLS / TLS / login) with a typed ``SendResult``, ``send_with_retry``, ``RateLimiter``.
- ``outbox``: record-before-send protocol (``Outbox`` over an ``OutboxRepository``): nothing is sent twice.
- ``imap``: ``ImapWatcher`` (IDLE + polling, reconnect back-off, UIDVALIDITY/last-UID checkpoints, move to
  processed/quarantine); ``maildir``: ``MaildirSource`` with the same handler contract.
- ``attachments``: workbooks (.xlsx/.xlsm/.xls, also zipped) and other files, limits, sanitised names.
- ``classify``: parse inbound mail; bounce / auto-reply / workbook / link / question. ``matching``: reply -> request.

The database side of the protocols lives in ``handlers.mail_store``; the reactions in ``handlers.inbound`` and
``handlers.outreach_mail``.
"""
