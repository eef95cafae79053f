"""Text from outside the company, made safe for each place it is shown: one function per sink.

Every cell of a returned workbook, every e-mail header and file name is written by someone outside the company.
Such text keeps its characters but loses its power in each sink:

* ``cell`` -- a CSV or XLSX cell (``report --smelters``, the roll-up workbook). The OWASP rule for CSV/formula
  injection: a text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``,
  so no spreadsheet reads it as a formula (``=HYPERLINK(...)``, ``=cmd|...``); characters XML cannot hold are
  dropped. Numbers, dates and booleans pass unchanged.
* ``terminal`` -- a line printed on a terminal (``cmrt-bot check``, ``status``, lists). C0 and C1 control
  characters (ESC sequences that recolour, move the cursor or retitle the window; a workbook can carry them as
  Excel's ``_x001B_`` escape, which the reader decodes) and bidi overrides are removed; newlines and tabs stay.
* ``slack`` -- Slack mrkdwn (``handlers.slack.text.esc``). ``&``, ``<``, ``>`` are escaped the way Slack documents
  (no mention, broadcast or ``<link|label>``); the characters that format (``*`` bold, ``_`` italic, ``~`` strike,
  backtick code) and a ``>`` opening a line (quote) are replaced by Unicode look-alikes (``∗`` U+2217, ``ˍ``
  U+02CD, ``∼`` U+223C, ``ˋ`` U+02CB, ``＞`` U+FF1E), so they show but never format; the dots (and ``://``) of a
  bare web address are replaced by look-alikes (``․`` U+2024, ``∶`` U+2236) so Slack does not turn it into a
  link (e-mail addresses are kept as they are); bidi override and isolate characters are removed.
  Look-alikes rather than zero-width characters: Slack's parser is not documented to honour zero-width joiners
  and they would hide inside copied text; a look-alike is visible and stays put.

Pure functions, no imports beyond the standard library: every layer may use them.
"""

from __future__ import annotations

import re

#: Bidi embedding/override (U+202A-U+202E) and isolate (U+2066-U+2069) controls, plus the implicit marks
#: (LRM, RLM, ALM): they reorder what follows them ("Trojan Source" names such as "ACME\u202egnp.exe").
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
#: C0 controls except tab and newline, DEL and the C1 controls (U+0080-U+009F, e.g. U+009B, the 8-bit CSI).
_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: Characters an XLSX (XML 1.0) cell cannot hold; openpyxl refuses them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: What makes a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_SLACK_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MRKDWN = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
_QUOTE_LINE = re.compile(r"(?m)^(\s*)&gt;")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# a web address: with a scheme, starting with www., or a bare host name ending in a common top-level domain
_TLDS = (
    "com|net|org|edu|gov|mil|int|info|biz|io|co|app|dev|ai|me|xyz|online|site|top|shop|store|link|click|club|"
    "tech|live|cloud|email|[a-z]{2}"
)
_URL = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]{1,15}://\S+|www\.\S+|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\."
    rf"(?:{_TLDS})\b(?![.@\w-])(?:/\S*)?)"
)


def without_bidi(text: str) -> str:
    """``text`` without bidi override, isolate and mark characters."""
    return BIDI.sub("", text)


def cell(value: object) -> object:
    """A value for a CSV or XLSX cell: text that a spreadsheet would read as a formula starts with ``'``."""
    if not isinstance(value, str):
        return value
    text = _XML_ILLEGAL.sub("", value)
    return "'" + text if value.startswith(FORMULA_START) or text.startswith(FORMULA_START) else text


def terminal(text: str) -> str:
    """``text`` for a terminal: no C0/C1 control characters (tab and newline stay), no bidi controls."""
    return BIDI.sub("", _TERMINAL_CONTROL.sub("", text))


def _defang_url(match: re.Match[str]) -> str:
    return match.group(0).replace("://", "\u2236//").replace(".", "\u2024")


def _defang_links(text: str) -> str:
    out: list[str] = []
    last = 0
    for email in _EMAIL.finditer(text):  # e-mail addresses stay whole (Slack makes them mailto: at most)
        out.append(_URL.sub(_defang_url, text[last : email.start()]))
        out.append(email.group(0))
        last = email.end()
    out.append(_URL.sub(_defang_url, text[last:]))
    return "".join(out)


def slack(text: str) -> str:
    """Supplier text for Slack mrkdwn: it shows as written but cannot mention, link, quote or format."""
    text = BIDI.sub("", _SLACK_CONTROL.sub("", text))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _defang_links(text)
    text = _QUOTE_LINE.sub("\\1\uff1e", text)
    return text.translate(_MRKDWN)
