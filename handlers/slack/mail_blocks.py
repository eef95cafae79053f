"""Block Kit for the alerts the team settles from Slack: an unmatched inbound e-mail and an uncertain delivery.

Action ids start with ``cmrt_`` (the actions listener dispatches them to ``handlers.slack.mail_actions``).
"""

from __future__ import annotations

import json
from typing import Any

from handlers.notify import new_address_text, uncertain_text
from handlers.slack.text import code, confirm_dialog, context, esc, plain_text, section

A_MAIL_ASSIGN = "cmrt_mail_assign"  # value: the message ref
A_OUTBOX_RESEND = "cmrt_outbox_resend"  # value: the outbox key
A_OUTBOX_SENT = "cmrt_outbox_sent"  # value: the outbox key
A_MAIL_RETRY = "cmrt_mail_retry"  # value: the quarantined message's ref
A_CONTACT_ADD = "cmrt_contact_add"  # value: "<supplier id>|<address>"
MAIL_ACTIONS = frozenset({A_MAIL_ASSIGN, A_OUTBOX_RESEND, A_OUTBOX_SENT, A_MAIL_RETRY, A_CONTACT_ADD})
V_MAIL_ASSIGN = "cmrt_mail_assign_modal"
SUPPLIER_BLOCK = "supplier"

Block = dict[str, Any]


def _button(
    text: str, action_id: str, value: str, style: str | None = None, confirm: Block | None = None
) -> Block:
    element: Block = {"type": "button", "text": plain_text(text, 75), "action_id": action_id, "value": value[:2000]}
    if style:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


CONFIRM_RESEND = confirm_dialog(
    "Send the e-mail again?",
    "Only if the supplier did not get it: if they did, they get it twice.",
    "Send again",
    danger=True,
)
CONFIRM_SENT = confirm_dialog(
    "Count the e-mail as sent?",
    "Only if the supplier got it: the bot will not send it again.",
    "Count as sent",
)


def alert_key(ref: int) -> str:
    """``bot_state`` key remembering where the unmatched-mail alert for ``ref`` was posted."""
    return f"slack:unmatched-alert:{ref}"


def unmatched_text(ref: int, kind: str) -> str:
    """The notification text (plain, no supplier-provided parts)."""
    return f"Inbound e-mail #{ref} ({kind.replace('_', ' ')}) could not be matched to a supplier request."


def unmatched_blocks(ref: int, kind: str, subject: str) -> list[Block]:
    return [
        section(
            f":incoming_envelope: A {esc(kind.replace('_', ' '))} e-mail could not be matched to a supplier "
            f"request; please assign it.\n*Subject:* {esc(subject)}"
        ),
        context(f"Reference *#{ref}* · or `/cmrt assign {ref} SUPPLIER`"),
        {
            "type": "actions",
            "block_id": f"mail-{ref}",
            "elements": [_button("Assign to supplier", A_MAIL_ASSIGN, str(ref), "primary")],
        },
    ]


def uncertain_blocks(key: str, kind: str) -> list[Block]:
    return [
        section(f":warning: {esc(uncertain_text(kind))}"),
        context(f"Outbox key `{code(key)}` · or `cmrt-bot mail release KEY --resend|--sent`"),
        {
            "type": "actions",
            "block_id": "outbox-release",
            "elements": [
                _button("Send again", A_OUTBOX_RESEND, key, "danger", CONFIRM_RESEND),
                _button("Count as sent", A_OUTBOX_SENT, key, None, CONFIRM_SENT),
            ],
        },
    ]


def settled_blocks(ref: int, outcome: str, by: str) -> list[Block]:
    """The unmatched-mail alert once it was assigned (``outcome``, ``by``: mrkdwn-safe); the button is gone."""
    return [section(f":white_check_mark: {outcome}"), context(f"Reference *#{ref}* · assigned by {by}")]


def assign_modal(
    ref: int, subject: str, sender_domain: str | None, channel: str | None, proposed: tuple[str, str] | None = None
) -> Block:
    """``proposed``: (supplier id, name) the company name in the workbook points to, pre-filled: one click on
    *Assign* confirms it."""
    meta = json.dumps({"ref": ref, "channel": channel}, separators=(",", ":"))
    origin = f" from {esc(sender_domain)}" if sender_domain else ""
    element: dict[str, object] = {"type": "plain_text_input", "action_id": "text", "max_length": 200}
    note: list[Block] = []
    if proposed is not None:
        element["initial_value"] = proposed[0][:200]
        note = [context(f"Proposed from the company name in the workbook: *{esc(proposed[1])}* — confirm or change.")]
    return {
        "type": "modal",
        "callback_id": V_MAIL_ASSIGN,
        "private_metadata": meta,
        "title": plain_text("Assign e-mail", 24),
        "submit": plain_text("Assign", 24),
        "close": plain_text("Cancel", 24),
        "blocks": [
            section(f"E-mail *#{ref}*{origin}\n*Subject:* {esc(subject)}"),
            *note,
            {
                "type": "input",
                "block_id": SUPPLIER_BLOCK,
                "label": plain_text("Supplier (name or id)", 2000),
                "element": element,
                "hint": plain_text("The workbook is reviewed against this supplier's request in the active campaign."),
            },
        ],
    }


def quarantined_text(ref: int, reason: str) -> str:
    """Plain text (the reason is an exception class name, never supplier text)."""
    return (
        f"Inbound e-mail #{ref} could not be handled ({reason}); it is in quarantine for a person to check. Once the "
        "cause is fixed, handle it again."
    )


def quarantined_blocks(ref: int, reason: str) -> list[Block]:
    return [
        section(f":warning: {esc(quarantined_text(ref, reason))}"),
        context(f"Reference *#{ref}* · or `cmrt-bot mail retry {ref}`, or move it back to the inbox"),
        {
            "type": "actions",
            "block_id": f"retry-{ref}",
            "elements": [_button("Retry", A_MAIL_RETRY, str(ref), "primary")],
        },
    ]


def new_sender_blocks(supplier_id: int, address: str, verified: bool) -> list[Block]:
    """A reply from an address that is not a known contact: *Add as contact* (the address is shown, escaped)."""
    return [
        section(f":bust_in_silhouette: {esc(new_address_text(address, verified))}"),
        {
            "type": "actions",
            "block_id": f"contact-{supplier_id}",
            "elements": [_button("Add as contact", A_CONTACT_ADD, f"{supplier_id}|{address}")],
        },
    ]
