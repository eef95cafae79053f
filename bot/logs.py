"""Logging for every command: one format on stderr, quiet protocol libraries, nothing from outside in the log.

Protocol libraries log whole conversations at DEBUG: imapclient every FETCH response (a 127 MB log line after one
large e-mail), slack_sdk every request body. They stay at WARNING whatever ``-v`` says, unless ``[log] protocol =
true``; even then each of their records is cut where its payload starts (an IMAP literal, an HTTP body), so a
command or a status line shows but no message content. SQLAlchemy (every statement with its parameters: a stored
message's raw bytes), Alembic and APScheduler stay at WARNING always.
The bot's own loggers never format e-mail or workbook content (subjects, addresses, cell values) into a record.
"""

from __future__ import annotations

import logging
import re
import sys

#: Loggers of the libraries that speak a protocol for the bot: WARNING unless ``[log] protocol = true``.
PROTOCOL_LOGGERS = ("imapclient", "smtplib", "slack_sdk", "slack_bolt", "urllib3", "websocket", "websockets")
#: Loggers that are WARNING always: SQL with its parameters (stored raw messages), schema checks, every tick.
ALWAYS_QUIET = ("sqlalchemy", "psycopg", "alembic", "apscheduler", "flufl")
PROTOCOL_RECORD_CHARS = 100
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# where a protocol record's payload starts: an IMAP literal or response dump; an HTTP request's or response's
# parameters, headers or body (slack_sdk, urllib3)
_IMAP_PAYLOAD = re.compile(r"\{\d+\}|untagged responses dump|\(literal\)")
_HTTP_PAYLOAD = re.compile(r",?\s*\b(query_params|body_params|files|json_body|headers|body|data|payload)\b")


def configure_logging(verbosity: int) -> None:
    """``-v`` INFO, ``-vv`` DEBUG for the bot's own loggers; protocol libraries at WARNING (see module doc)."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format=FORMAT, stream=sys.stderr)
    quiet_protocols(True)


def _is_protocol(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in (*PROTOCOL_LOGGERS, *ALWAYS_QUIET))


class ProtocolRecordFilter(logging.Filter):
    """A protocol library's record keeps its first line up to where the payload starts (an IMAP literal, an HTTP
    body or parameters), at most ``PROTOCOL_RECORD_CHARS`` characters: commands and status lines, no content."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _is_protocol(record.name):
            try:
                text = record.getMessage()
            except Exception:
                text = str(record.msg)
            first = text.splitlines()[0] if text else ""
            payload = _IMAP_PAYLOAD if record.name.startswith("imapclient") else _HTTP_PAYLOAD
            kept = payload.split(first, maxsplit=1)[0][:PROTOCOL_RECORD_CHARS]
            cut = len(text) - len(kept)
            record.msg = kept + (f" [… {cut} characters not logged]" if cut > 0 else "")
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


_FILTER = ProtocolRecordFilter()


def quiet_protocols(quiet: bool) -> None:
    """``quiet``: protocol libraries log at WARNING; otherwise at the root's level, through the record filter."""
    for name in PROTOCOL_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)
    for name in ALWAYS_QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


def apply_log_settings(level: str, protocol: bool, verbosity: int) -> None:
    """``[log] level`` for a daemon (``-vv`` still wins) and ``[log] protocol``."""
    resolved = logging.getLevelName(level)
    if isinstance(resolved, int) and verbosity < 2:
        logging.getLogger().setLevel(resolved)
    quiet_protocols(not protocol)
