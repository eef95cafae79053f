"""What names one inbound e-mail, whoever delivered it: the digest that, with the Message-ID, keys it
(``messages.raw_sha256``).

Pure (``hashlib`` and ``re`` only), so the store (``store.messages``) and the reader processes that take an e-mail
apart (``mail.prepare.take_apart``) compute the same value with the same code.
"""

from __future__ import annotations

import hashlib
import re

# header fields the servers on the way add (or rewrite) when they deliver a message: the same e-mail delivered twice
# (two routes, a copy moved back) differs only in these
TRACE = re.compile(
    rb"^(received|return-path|delivered-to|x-original-to|envelope-to|x-envelope-to|authentication-results|"
    rb"received-spf|arc-[a-z-]+|x-spam[a-z-]*|x-virus[a-z-]*|x-rspamd[a-z-]*|x-ms-exchange-[a-z-]*|x-uid|status|"
    rb"x-status|x-keywords|content-length|lines)\s*:",
    re.IGNORECASE,
)

_LF = 10


def message_digest(raw: bytes) -> str:
    """SHA-256 of the raw bytes with line endings made LF, without the trace fields delivering servers add
    (Received, Return-Path, ...) and without trailing empty lines.

    The body is hashed where it lies (no joined copy of a multi-MB e-mail): only CRLF is made LF (a lone CR stays),
    in one ``translate`` pass when every CR is part of a CRLF."""
    if b"\r" in raw:
        crs = raw.count(b"\r")
        data = raw.translate(None, b"\r") if crs == raw.count(b"\r\n") else raw.replace(b"\r\n", b"\n")
    else:
        data = raw
    end = data.find(b"\n\n")
    head = data if end < 0 else data[:end]
    kept: list[bytes] = []
    dropping = False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                kept.append(line)
            continue
        dropping = bool(TRACE.match(line))
        if not dropping:
            kept.append(line)
    digest = hashlib.sha256(b"\n".join(kept))
    if end >= 0:
        stop = len(data)
        while stop > end + 2 and data[stop - 1] == _LF:
            stop -= 1
        digest.update(b"\n\n")
        digest.update(memoryview(data)[end + 2 : stop])
    return digest.hexdigest()
