"""Block Kit for reviews made again after a list import or a rule change: the one channel summary with its
*Send new findings…* button, and the modal where the team picks the suppliers to send them to.

Supplier names are escaped (``esc``/``plain``); nothing here names a finding's supplier-provided text unescaped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from handlers.rereview import RereviewResult
from handlers.slack.text import (
    OPTION_TEXT,
    PRIVATE_METADATA,
    bullet_lines,
    button,
    cap_blocks,
    context,
    esc,
    plain,
    plain_text,
    section,
    truncate,
)

Block = dict[str, Any]

A_SEND_FINDINGS = "cmrt_send_findings"
V_SEND_FINDINGS = "cmrt_send_findings_modal"
PICK_BLOCK = "suppliers"
MAX_OPTIONS = 100  # Slack's limit for a multi-select's options


def summary_blocks(result: RereviewResult) -> list[Block]:
    """The channel summary: the headline, one line per affected supplier, and the button when there is anything a
    supplier could be told."""
    lines = [esc(change.line()) for change in result.changes[:40]]
    if len(result.changes) > 40:
        lines.append(f"_… and {len(result.changes) - 40} more_")
    out: list[Block] = [section(f":mag: *{esc(result.headline())}*"), section(bullet_lines(lines, 2800))]
    if result.failed:
        out.append(context(f"{len(result.failed)} workbook(s) could not be reviewed again; see the bot's log."))
    out.append(context("Nothing was sent to the suppliers."))
    if result.with_new_findings:
        out.append({"type": "actions", "block_id": "cmrt_rereview",
                    "elements": [button("Send new findings to suppliers…", A_SEND_FINDINGS, result.key)]})  # fmt: skip
    return cap_blocks(out)


def _option(change: Mapping[str, Any]) -> dict[str, Any]:
    grade = f"{(change.get('before') or 'not reviewed').replace('_', ' ')} → {str(change['after']).replace('_', ' ')}"
    label = f"{change['supplier']} ({change['supplier_id']}): {grade}, {len(change['new_findings'])} new"
    return {"text": plain_text(truncate(plain(label), OPTION_TEXT), OPTION_TEXT), "value": str(change["request_id"])}


def pick_modal(key: str, run: Mapping[str, Any], channel: str | None) -> Block:
    """Pick the suppliers to send their new findings to (only those with new findings are offered)."""
    offered: Sequence[Mapping[str, Any]] = [c for c in run.get("changes", []) if c.get("new_findings")]
    meta = json.dumps({"key": key, "channel": channel}, separators=(",", ":"))[:PRIVATE_METADATA]
    blocks: list[Block] = [
        section(f"{esc(run.get('lists'))}: pick the suppliers to e-mail their new findings to. Each gets one "
                "clarification e-mail listing the new points with their sheet and cell."),
        {
            "type": "input",
            "block_id": PICK_BLOCK,
            "label": plain_text("Suppliers", 2000),
            "element": {"type": "multi_static_select", "action_id": "picked",
                        "placeholder": plain_text("Choose suppliers", 150),
                        "options": [_option(c) for c in offered[:MAX_OPTIONS]]},
        },
    ]
    if len(offered) > MAX_OPTIONS:
        blocks.append(context(f"Only the first {MAX_OPTIONS} of {len(offered)} are listed; send again for the rest."))
    return {
        "type": "modal",
        "callback_id": V_SEND_FINDINGS,
        "title": plain_text("Send new findings", 24),
        "submit": plain_text("Send", 24),
        "close": plain_text("Cancel", 24),
        "private_metadata": meta,
        "blocks": blocks,
    }


def picked(view: Mapping[str, Any]) -> list[int]:
    state = ((view.get("state") or {}).get("values") or {}).get(PICK_BLOCK) or {}
    options = (state.get("picked") or {}).get("selected_options") or []
    out = []
    for option in options:
        value = str(option.get("value") or "")
        if value.isdigit():
            out.append(int(value))
    return out
