"""Safe text for Slack: mrkdwn escaping of supplier-provided text and Slack's size limits.

Slack parses ``<...>`` in mrkdwn as links, user/channel mentions and broadcasts (``<!channel>``, ``<@U1>``,
``<https://evil|click>``); escaping ``&``, ``<`` and ``>`` as ``&amp;``, ``&lt;``, ``&gt;`` is Slack's documented
way to show such text literally. Every piece of text that came from a supplier (company names, comments, cell
values, e-mail subjects, file names) goes through ``esc`` before it is put into mrkdwn: ``cmrt.textsafe.slack``
also neutralises the formatting characters (``*``, ``_``, ``~``, backtick, a ``>`` opening a line) with look-alikes,
keeps bare web addresses from becoming links and removes bidi overrides. ``plain`` (``plain_text`` objects, which
Slack does not format) and ``clean`` (input values) remove control and bidi characters.
"""

from __future__ import annotations

import re
from typing import Any

from cmrt.textsafe import slack, without_bidi

# Slack's documented limits (Block Kit reference, chat.postMessage, views.*).
SECTION_TEXT = 3000
HEADER_TEXT = 150
CONTEXT_TEXT = 2000
BUTTON_TEXT = 75
OPTION_TEXT = 75  # a select option's text
BUTTON_VALUE = 2000
MESSAGE_TEXT = 4000  # Slack truncates the top-level text at 40,000; 4,000 is the recommended maximum
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
INPUT_VALUE = 3000
PRIVATE_METADATA = 3000

TRUNCATION_NOTE = "… (truncated)"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def esc(value: object, *, empty: str = "—") -> str:
    """Escape text for mrkdwn so it can neither mention, broadcast nor link; ``None``/blank gives ``empty``."""
    if value is None:
        return empty
    text = _CONTROL.sub("", str(value)).strip()
    if not text:
        return empty
    return slack(text)


def code(value: object, *, empty: str = "—") -> str:
    """Text for inside a backtick code span (ids, keys, cell references): Slack does not format there, so only the
    entities are escaped and a backtick (which would end the span) becomes a look-alike; no controls, no bidi."""
    text = clean(value, empty="")
    if not text:
        return empty
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "\u02cb")


def clean(value: object, *, empty: str = "—") -> str:
    """Text with control characters removed and no escaping (input values such as an e-mail body)."""
    if value is None:
        return empty
    text = without_bidi(_CONTROL.sub("", str(value))).strip()
    return text or empty


def plain(value: object, *, empty: str = "—") -> str:
    """Text for ``plain_text`` objects: Slack decodes the same three entities there, so escape them too (no
    formatting happens in plain text, so the mrkdwn characters stay as they are)."""
    text = clean(value, empty="")
    if not text:
        return empty
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int, note: str = TRUNCATION_NOTE) -> str:
    """``text`` cut to ``limit`` characters, ending with ``note`` when something was cut."""
    if len(text) <= limit:
        return text
    if limit <= len(note):
        return text[:limit]
    cut = text[: limit - len(note)]
    # never leave a half escape sequence such as "&am" behind
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:] and len(cut) - amp <= 5:
        cut = cut[:amp]
    return cut.rstrip() + note


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT)}


def plain_text(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(plain(text), limit), "emoji": True}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text)}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain_text(text, HEADER_TEXT)}


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(t, CONTEXT_TEXT)} for t in texts[:10]]}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30


def confirm_dialog(
    title: str, text: str, confirm: str, deny: str = "Cancel", *, danger: bool = False
) -> dict[str, Any]:
    """A Block Kit ``confirm`` object: Slack asks before the button's action is sent."""
    dialog: dict[str, Any] = {
        "title": plain_text(title, CONFIRM_TITLE),
        "text": plain_text(text, CONFIRM_TEXT),
        "confirm": plain_text(confirm, CONFIRM_BUTTON),
        "deny": plain_text(deny, CONFIRM_BUTTON),
    }
    if danger:
        dialog["style"] = "danger"
    return dialog


def button(
    text: str, action_id: str, value: str, *, style: str | None = None, confirm: dict[str, Any] | None = None
) -> dict[str, Any]:
    if len(value) > BUTTON_VALUE:
        raise ValueError(f"button value longer than {BUTTON_VALUE} characters")
    element: dict[str, Any] = {
        "type": "button",
        "text": plain_text(text, BUTTON_TEXT),
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def cap_blocks(blocks: list[dict[str, Any]], limit: int = MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """At most ``limit`` blocks; the last one says how many were left out."""
    if len(blocks) <= limit:
        return blocks
    left_out = len(blocks) - (limit - 1)
    return [*blocks[: limit - 1], context(f"_{left_out} more not shown (Slack's size limit)._")]


def bullet_lines(lines: list[str], limit: int = SECTION_TEXT) -> str:
    """Lines joined with newlines, cut at a whole line with a note of how many were left out."""
    out: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        line = truncate(line, limit // 2)
        extra = len(line) + (1 if out else 0)
        rest = len(lines) - index - 1
        tail = len(f"\n… and {rest} more") if rest else 0
        if used + extra + tail > limit:
            out.append(f"… and {len(lines) - index} more")
            break
        out.append(line)
        used += extra
    return "\n".join(out)
