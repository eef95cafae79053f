"""A supplier's question as the team reads it: their own words, without the quoted e-mail and the signature.

``question_text`` keeps the newest reply of an e-mail body (``mail-parser-reply`` splits off quoted replies,
forwarded headers and signatures, in the languages it knows), also drops ``>`` quoted lines and everything from an
"On ... wrote:" line on (``mail.classify.strip_quoted``), squeezes blank lines and cuts the text to ``limit``
characters. The result is plain text: whoever shows it escapes it (Slack's ``esc``).
"""

from __future__ import annotations

import functools
import logging
import re

from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES

from mail.classify import strip_quoted

log = logging.getLogger("cmbot.mail.question")

QUESTION_CHARS = 1000
PARSED_CHARS = 20_000  # the newest reply is at the top: the parser never needs more (it is regex-heavy)
_SIGNATURE = re.compile(r"^(-- ?|__+|Sent from my .*|Von meinem .* gesendet.*)$", re.IGNORECASE)
_BLANKS = re.compile(r"\n{3,}")


@functools.cache
def _parser() -> EmailReplyParser:
    return EmailReplyParser(languages=sorted(MAIL_LANGUAGES))


def question_text(body: str, limit: int = QUESTION_CHARS) -> str:
    """The supplier's own words from an e-mail ``body``, at most ``limit`` characters (``…`` when cut)."""
    text = body[:PARSED_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    try:
        newest = _parser().read(text).replies
        if newest and newest[0].body.strip():
            text = newest[0].body
    except Exception:  # a parser failure must not lose the question: fall back to the plain rules
        log.warning("the reply parser failed; using the plain quote rules", exc_info=True)
    kept: list[str] = []
    for line in strip_quoted(text).split("\n"):
        if _SIGNATURE.match(line.strip()):
            break
        kept.append(line.rstrip())
    text = _BLANKS.sub("\n\n", "\n".join(kept)).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
