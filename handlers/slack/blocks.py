"""Block Kit rendering: supplier cards, status, App Home, digest, modals. Supplier text is always escaped."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cmrt.reporting import Report
from cmrt.reporting.text import cmr_paragraph, report_smelter_lines
from cmrt.review import CHECKS_BY_ID
from cmrt.review.render import POINTS_OUTRO, SECTIONS, points_intro
from handlers.slack.card_actions import (
    A_ACCEPT,
    A_ASSIGN,
    A_CHANGE_ADDRESS,
    A_CLARIFY,
    A_EXEMPT,
    A_FINDINGS,
    A_REMIND,
    A_REPLY,
    A_RESUME,
    A_SEND_NOW,
    A_SNOOZE,
    BUTTONS,
    CARD_ACTIONS,
    CardAction,
    Situation,
    situation,
)
from handlers.slack.queries import CampaignStats, RequestView, SupplierMatch
from handlers.slack.text import (
    INPUT_VALUE,
    MESSAGE_BLOCKS,
    PRIVATE_METADATA,
    VIEW_BLOCKS,
    bullet_lines,
    button,
    cap_blocks,
    clean,
    code,
    confirm_dialog,
    context,
    divider,
    esc,
    header,
    plain_text,
    section,
    truncate,
)

Block = dict[str, Any]

A_PICK = "cmrt_pick_supplier"
V_CLARIFY = "cmrt_clarify_modal"
V_ACCEPT = "cmrt_accept_modal"
V_EXEMPT = "cmrt_exempt_modal"
V_REPLY = "cmrt_reply_modal"
V_ADDRESS = "cmrt_address_modal"
REASON_MAX = 2000

GRADE_ICON = {
    "accepted": ":white_check_mark:",
    "needs_clarification": ":warning:",
    "high_risk": ":red_circle:",
    "rejected": ":x:",
}
STATE_ICON = {
    "not_sent": ":hourglass_flowing_sand:",
    "sent": ":email:",
    "reminded": ":bell:",
    "responded": ":inbox_tray:",
    "accepted": ":white_check_mark:",
    "clarification_requested": ":speech_balloon:",
    "escalated": ":rotating_light:",
    "exempt": ":no_entry_sign:",
    "closed": ":lock:",
    "awaiting_team": ":question:",
}

__all__ = [
    "A_ACCEPT", "A_ASSIGN", "A_CHANGE_ADDRESS", "A_CLARIFY", "A_EXEMPT", "A_FINDINGS", "A_PICK", "A_REMIND",
    "A_REPLY", "A_RESUME", "A_SEND_NOW", "A_SNOOZE",
]  # fmt: skip


def _date(value: dt.datetime | dt.date | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "—"


def _state(view: RequestView) -> str:
    return f"{STATE_ICON.get(view.state.value, '')} {view.state.value.replace('_', ' ')}".strip()


def grade_text(grade: str | None, score: float | None) -> str:
    if not grade:
        return "not reviewed"
    text = f"{GRADE_ICON.get(grade, '')} {grade.replace('_', ' ')}".strip()
    return f"{text} ({score:.0f}/100)" if score is not None else text


def finding_location(finding: dict[str, Any]) -> str:
    """``Declaration D16``, ``Smelter List row 10`` (as the review's own ``Finding.location``), else ``location``."""
    sheet, cell, row = finding.get("sheet"), finding.get("cell"), finding.get("row")
    if sheet and cell:
        return f"{sheet} {cell}"
    if sheet and row:
        return f"{sheet} row {row}"
    return str(sheet or finding.get("location") or "")


def finding_line(finding: dict[str, Any]) -> str:
    where = finding_location(finding)
    prefix = f"`{code(where)}` " if where else ""
    return f"• [{esc(str(finding.get('severity') or '').replace('_', ' '))}] {prefix}{esc(finding.get('message'))}"


def request_fields(view: RequestView, today: dt.date) -> str:
    lines = [
        f"*Status:* {_state(view)}" + ("  :alarm_clock: *overdue*" if view.overdue(today) else ""),
        f"*Review:* {grade_text(view.grade, view.score)}",
        f"*Campaign:* {view.campaign_year} (due {_date(view.due_date)})  *Reminders:* {view.reminder_count}",
        f"*Requested:* {_date(view.sent_at)}  *Answered:* {_date(view.responded_at)}",
    ]
    if view.assignee:
        lines.append(f"*Assigned to:* <@{esc(view.assignee)}>")
    if view.snoozed_until and view.snoozed_until.date() >= today:
        lines.append(f"*Snoozed until:* {_date(view.snoozed_until)}")
    if view.exception_reason:
        lines.append(f"*Exception:* {esc(view.exception_reason)}")
    return "\n".join(lines)


def card_situation(view: RequestView) -> Situation:
    return situation(view.state, reviewed=view.reviewed, findings=bool(view.open_findings()), bouncing=view.bouncing)


def _element(action: CardAction, value: str, snooze_choices: tuple[int, ...]) -> Block:
    spec = BUTTONS[action]
    if action is CardAction.SNOOZE:
        return {
            "type": "static_select",
            "action_id": spec.action_id,
            "placeholder": plain_text(spec.label, 75),
            "options": [{"text": plain_text(f"Snooze {d} days", 75), "value": f"{value}:{d}"} for d in snooze_choices],
        }
    dialog = None
    if spec.confirm is not None:
        c = spec.confirm
        dialog = confirm_dialog(c.title, c.text, c.confirm, c.deny, danger=c.danger)
    return button(spec.label, spec.action_id, value, style=spec.style, confirm=dialog)


def question_buttons(request_id: int) -> list[Block]:
    """*Reply* and *Resume reminders* under a supplier's question."""
    value = str(request_id)
    elements = [_element(a, value, ()) for a in CARD_ACTIONS[Situation.QUESTION] if a is not CardAction.ASSIGN]
    return [{"type": "actions", "block_id": f"cmrt_question_{value}", "elements": elements}]


def action_buttons(view: RequestView, snooze_choices: tuple[int, ...]) -> Block | None:
    """The card's buttons: what ``CARD_ACTIONS`` offers in the request's situation (None: nothing to do)."""
    offered = CARD_ACTIONS[card_situation(view)]
    if not offered:
        return None
    value = str(view.request_id)
    elements = [_element(a, value, snooze_choices) for a in offered]
    return {"type": "actions", "block_id": f"cmrt_req_{value}", "elements": elements}


def request_card(
    view: RequestView, today: dt.date, *, snooze_choices: tuple[int, ...] = (3, 7, 14, 30), actions: bool = True
) -> list[Block]:
    title = f"{clean(view.supplier_name)} ({clean(view.supplier_external_id)})"
    blocks: list[Block] = [header(title), section(request_fields(view, today))]
    top = view.top_findings()
    if top:
        more = len(view.findings) - len(top)
        lines = [finding_line(f) for f in top] + ([f"_… and {more} more findings_"] if more > 0 else [])
        blocks.append(section("*Top findings*\n" + bullet_lines(lines, 2800)))
    buttons = action_buttons(view, snooze_choices) if actions else None
    if buttons is not None:
        blocks.append(buttons)
    return cap_blocks(blocks, MESSAGE_BLOCKS)


def card_text(view: RequestView) -> str:
    """The notification fallback text (no mrkdwn links; escaped)."""
    return f"{esc(view.supplier_name)}: {view.state.value.replace('_', ' ')}, {grade_text(view.grade, view.score)}"


def stats_lines(stats: CampaignStats) -> str:
    """The campaign figures, the very lines ``cmrt-bot status`` and ``report`` print (``CampaignFigures.lines``),
    then the RMAP lists they rest on."""
    lines = [esc(line) for line in stats.figures.lines()]
    lines.append(f"Open high-risk: {len(stats.high_risk)}. Escalated: {len(stats.escalated)}.")
    lines.append(esc(stats.lists.line))
    if stats.lists.warning:
        lines.append(f":warning: {esc(stats.lists.warning)}")
    return "\n".join(lines)


def _request_list(title: str, views: list[RequestView], limit: int = 15) -> Block:
    if not views:
        return section(f"*{title}:* none")
    lines = [
        f"• {esc(v.supplier_name)} ({esc(v.supplier_external_id)}): {_state(v)}, {grade_text(v.grade, v.score)}"
        for v in views[:limit]
    ]
    if len(views) > limit:
        lines.append(f"_… and {len(views) - limit} more_")
    return section(f"*{title}* ({len(views)})\n" + bullet_lines(lines, 2800))


def status_blocks(stats: CampaignStats) -> list[Block]:
    blocks = [
        header(f"CMRT campaign {stats.year}: status"),
        section(stats_lines(stats)),
        context(
            f"Due {_date(stats.due_date)} · states: "
            + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in stats.figures.by_state.items() if v)
        ),
        _request_list("Overdue", stats.overdue),
        _request_list("Open high-risk", stats.high_risk),
    ]
    return cap_blocks(blocks)


HOME_SECTIONS = ("Needs a decision", "Questions waiting", "Overdue", "Bounced")
HOME_ITEMS = 12  # per section; the rest through the pointer to the CLI report
DECISION = frozenset({Situation.REVIEWED, Situation.REVIEWED_CLEAN, Situation.RECEIVED})


def home_lists(stats: CampaignStats, views: list[RequestView]) -> dict[str, list[RequestView]]:
    """The dashboard's sections: requests waiting for a decision (a workbook arrived), for an answer to a question,
    overdue (the figures' list) and bounced."""
    def where(view: RequestView) -> Situation:
        return card_situation(view)

    return {
        "Needs a decision": [v for v in views if where(v) in DECISION],
        "Questions waiting": [v for v in views if where(v) is Situation.QUESTION],
        "Overdue": list(stats.overdue),
        "Bounced": [v for v in views if where(v) is Situation.BOUNCED],
    }


def _home_item(view: RequestView, permalink: str | None, snooze: tuple[int, ...]) -> Block:
    thread = f" · <{permalink}|thread>" if permalink else ""
    text = (f"*{esc(view.supplier_name)}* ({esc(view.supplier_external_id)})\n{_state(view)} · "
            f"{grade_text(view.grade, view.score)}{thread}")  # fmt: skip
    block = section(text)
    offered = [a for a in CARD_ACTIONS[card_situation(view)] if a is not CardAction.SNOOZE]
    if offered:
        block["accessory"] = _element(offered[0], str(view.request_id), snooze)
    return block


def home_view(
    stats: CampaignStats | None,
    assigned: list[RequestView],
    user_id: str,
    now: dt.datetime,
    *,
    views: list[RequestView] | None = None,
    permalinks: dict[int, str] | None = None,
) -> Block:
    """The App Home dashboard: the campaign figures, then each section's requests with their main button and a link
    to their thread; at most ``VIEW_BLOCKS`` blocks, the rest through a pointer to the CLI report."""
    links = permalinks or {}
    if stats is None:
        blocks: list[Block] = [
            header("cmrt-bot"),
            section("No campaign yet. Create one with `cmrt-bot campaign create`."),
        ]
    else:
        blocks = [header(f"CMRT campaign {stats.year}"), section(stats_lines(stats))]
        lists = home_lists(stats, views or [])
        lists["Assigned to you"] = assigned
        for title in (*HOME_SECTIONS, "Assigned to you"):
            items = lists[title]
            blocks += [divider(), section(f"*{title}* ({len(items)})" if items else f"*{title}:* none")]
            blocks += [_home_item(v, links.get(v.request_id), ()) for v in items[:HOME_ITEMS]]
            if len(items) > HOME_ITEMS:
                blocks.append(context(f"… and {len(items) - HOME_ITEMS} more: `cmrt-bot report --campaign "
                                      f"{stats.year}` or `/cmrt status` lists them all."))  # fmt: skip
    footer = context(f"Updated {now.strftime('%Y-%m-%d %H:%M UTC')} · `/cmrt help` for commands")
    if len(blocks) >= VIEW_BLOCKS:
        blocks = [*blocks[: VIEW_BLOCKS - 2], context("_More in `cmrt-bot report` (the App Home holds 100 blocks)._")]
    return {"type": "home", "blocks": [*blocks, footer]}


def home_requests(stats: CampaignStats, views: list[RequestView], assigned: list[RequestView]) -> list[RequestView]:
    """The requests the dashboard shows (whose thread links are looked up)."""
    lists = home_lists(stats, views)
    shown = [v for title in HOME_SECTIONS for v in lists[title][:HOME_ITEMS]] + assigned[:HOME_ITEMS]
    return list({v.request_id: v for v in shown}.values())


def digest_blocks(stats: CampaignStats, period: str, new_answers: int) -> list[Block]:
    return cap_blocks(
        [
            header(f"CMRT {period} digest: campaign {stats.year}"),
            section(
                stats_lines(stats) + f"\n*New responses this {'week' if period == 'weekly' else 'day'}:* {new_answers}"
            ),
            _request_list("Overdue", stats.overdue, 10),
            _request_list("Open high-risk", stats.high_risk, 10),
        ]
    )


LONG_LISTS = ("Countries of the smelters", "Mine countries of origin")  # lines left to the uploaded workbook


def report_blocks(report: Report) -> list[Block]:
    """The Conflict Minerals Report paragraph and the consolidated smelter summary (no supplier names)."""
    out = [divider(), section(f"*For the Conflict Minerals Report:* {esc(cmr_paragraph(report))}")]
    if report.stale_warning:
        out.append(section(f":warning: {esc(report.stale_warning)}"))
    summary = [line for line in report_smelter_lines(report) if not line.startswith(LONG_LISTS)]
    summary.append("Countries, every smelter and every supplier: in the report workbook (XLSX) below.")
    return [*out, section(f"```{bullet_lines([code(line) for line in summary])}```")]


MAX_CHOICES = 10


def supplier_choices(matches: list[SupplierMatch], query: str, action_id: str = A_PICK) -> list[Block]:
    """Up to ``MAX_CHOICES`` buttons, best match first (``action_id``: show the card, or the history)."""
    suffix = ":0" if action_id != A_PICK else ""
    buttons = [
        button(f"{clean(m.supplier_name)} ({clean(m.supplier_external_id)})", action_id, f"{m.request_id}{suffix}")
        for m in matches[:MAX_CHOICES]
    ]
    return [
        section(f"Several suppliers match “{esc(query)}”. Which one?"),
        {"type": "actions", "block_id": "cmrt_pick", "elements": buttons},
    ]


HELP = "\n".join(
    [
        "*`/cmrt` commands*",
        "• `/cmrt status [campaign year]`: response rate, grades, overdue and high-risk suppliers",
        "• `/cmrt supplier NAME|ID`: a supplier's card with the action buttons",
        "• `/cmrt remind SUPPLIER`: send a reminder now",
        "• `/cmrt history SUPPLIER`: the supplier's timeline (e-mails, reviews, decisions, who did what)",
        "• `/cmrt report`: post the campaign figures and progress chart to the channel",
        "• `/cmrt assign REF SUPPLIER`: assign an unmatched inbound e-mail (REF from the alert) to a supplier",
        "• `/cmrt rollup [product] [campaign year]`: build our own CMRT and upload it to the channel"
        " (product: attach the product list in a form)",
        "• `/cmrt help`: this text",
    ]
)


def clarification_text(view: RequestView) -> str:
    """Plain e-mail text listing what the supplier must fix, one numbered line per finding naming its cell.

    Same shape as the review's own clarification e-mail (``cmrt.review.render``); editable in the modal.
    """
    lines: list[str] = []
    number = 0
    for severity, heading in SECTIONS:
        items = [f for f in view.findings if f.get("severity") == severity]
        if not items:
            continue
        if lines:
            lines.append("")
        lines.append(f"{heading}:")
        for finding in items:
            number += 1
            where = finding_location(finding)
            message = str(finding.get("message") or "")
            lines.append(f"{number}. {where}: {message}" if where else f"{number}. {message}")
    if not lines:
        lines = ["(The review recorded no findings: describe what needs to be corrected.)"]
    intro = points_intro(f"your conflict minerals reporting template for {view.campaign_year}", number)
    text = "\n".join(clean(line, empty="") for line in [*intro, *lines, *POINTS_OUTRO])
    return truncate(text, INPUT_VALUE, "\n[… list shortened; the full review has every point]")


def _metadata(data: dict[str, Any]) -> str:
    text = json.dumps(data, separators=(",", ":"))
    if len(text) > PRIVATE_METADATA:
        raise ValueError("private_metadata too long")
    return text


def clarify_modal(view: RequestView) -> Block:
    return {
        "type": "modal",
        "callback_id": V_CLARIFY,
        "private_metadata": _metadata({"request_id": view.request_id}),
        "title": plain_text("Clarification", 24),
        "submit": plain_text("Send e-mail", 24),
        "close": plain_text("Cancel", 24),
        "blocks": [
            section(f"E-mail to *{esc(view.supplier_name)}* ({esc(view.supplier_external_id)}). Edit before sending."),
            {
                "type": "input",
                "block_id": "body",
                "label": plain_text("E-mail text", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": INPUT_VALUE,
                    "initial_value": clarification_text(view),
                },
            },
        ],
    }


def _reason_input(label: str, hint: str) -> Block:
    return {
        "type": "input",
        "block_id": "reason",
        "label": plain_text(label, 2000),
        "hint": plain_text(hint, 2000),
        "element": {
            "type": "plain_text_input",
            "action_id": "text",
            "multiline": True,
            "min_length": 3,
            "max_length": REASON_MAX,
        },
    }


def accept_modal(view: RequestView) -> Block:
    """*Accept*: the reason is required (kept in the audit log, shown in the thread)."""
    return {
        "type": "modal",
        "callback_id": V_ACCEPT,
        "private_metadata": _metadata({"request_id": view.request_id}),
        "title": plain_text("Accept declaration", 24),
        "submit": plain_text("Accept", 24),
        "close": plain_text("Cancel", 24),
        "blocks": [
            section(
                f"Accept the declaration of *{esc(view.supplier_name)}* ({esc(view.supplier_external_id)}), "
                f"currently {grade_text(view.grade, view.score)}."
            ),
            _reason_input("Why is it accepted?", "Kept in the audit log and shown in the supplier's thread."),
        ],
    }


def exempt_modal(view: RequestView) -> Block:
    """*Mark exempt*: the reason is required (kept in the audit log, shown in the thread)."""
    return {
        "type": "modal",
        "callback_id": V_EXEMPT,
        "private_metadata": _metadata({"request_id": view.request_id}),
        "title": plain_text("Mark exempt", 24),
        "submit": plain_text("Mark exempt", 24),
        "close": plain_text("Cancel", 24),
        "blocks": [
            section(f"*{esc(view.supplier_name)}* ({esc(view.supplier_external_id)}) is not asked any more."),
            _reason_input("Why is it exempt?", "Kept in the audit log and shown in the supplier's thread."),
        ],
    }


RESUME_BLOCK = "resume"
RESUME_OPTION = "resume"


def reply_modal(view: RequestView, question: str | None, greeting: str) -> Block:
    """*Reply* to the supplier's question: the answer goes out by e-mail in the same mail thread, as typed."""
    shown = truncate(esc(question), 2500) if question else "_(the question's text is in the thread)_"
    return {
        "type": "modal",
        "callback_id": V_REPLY,
        "private_metadata": _metadata({"request_id": view.request_id}),
        "title": plain_text("Answer the supplier", 24),
        "submit": plain_text("Send e-mail", 24),
        "close": plain_text("Cancel", 24),
        "blocks": [
            section(f"*{esc(view.supplier_name)}* ({esc(view.supplier_external_id)}) asked:\n>{shown}"),
            {
                "type": "input",
                "block_id": "body",
                "label": plain_text("Your answer (sent as typed, in the same e-mail thread)", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": INPUT_VALUE,
                    "initial_value": truncate(clean(greeting, empty=""), 200) + "\n\n",
                },
            },
            {
                "type": "input",
                "block_id": RESUME_BLOCK,
                "optional": True,
                "label": plain_text("Reminders", 2000),
                "element": {
                    "type": "checkboxes",
                    "action_id": "choice",
                    "options": [
                        {
                            "text": plain_text("Resume the reminders after this answer", 75),
                            "value": RESUME_OPTION,
                        }
                    ],
                },
            },
        ],
    }


def address_modal(view: RequestView, current: str | None) -> Block:
    """*Change address*: the contact address requests go to (the bouncing one is replaced)."""
    element: Block = {"type": "email_text_input", "action_id": "text"}
    return {
        "type": "modal",
        "callback_id": V_ADDRESS,
        "private_metadata": _metadata({"request_id": view.request_id}),
        "title": plain_text("Change address", 24),
        "submit": plain_text("Save", 24),
        "close": plain_text("Cancel", 24),
        "blocks": [
            section(
                f"*{esc(view.supplier_name)}* ({esc(view.supplier_external_id)}): the address "
                f"`{code(current)}` bounces."
            ),
            {"type": "input", "block_id": "address", "label": plain_text("New e-mail address", 2000),
             "element": element},
        ],
    }  # fmt: skip


FINDING_GROUPS = ("Supplier must correct", "Supplier must explain", "For us")
_GROUP_OF = {"reject": 0, "clarify": 0, "high_risk": 1}  # anything else (info) is for us


def finding_groups(findings: list[dict[str, Any]]) -> list[tuple[str, list[tuple[str, list[dict[str, Any]]]]]]:
    """Every finding in one of ``FINDING_GROUPS`` (by severity), inside grouped by the check's catalogue section."""
    groups: list[dict[str, list[dict[str, Any]]]] = [{} for _ in FINDING_GROUPS]
    for finding in findings:
        check = str(finding.get("check") or "")
        spec = CHECKS_BY_ID.get(check)
        area = spec.area if spec is not None else (check.split(".")[0] or "other")
        groups[_GROUP_OF.get(str(finding.get("severity")), 2)].setdefault(area, []).append(finding)
    return [(title, sorted(group.items())) for title, group in zip(FINDING_GROUPS, groups, strict=True)]


def _chunks(lines: list[str], limit: int = 2900) -> list[str]:
    """Lines packed into texts of at most ``limit`` characters, none lost (a long line is shortened)."""
    out: list[str] = []
    current = ""
    for line in lines:
        line = truncate(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            out.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        out.append(current)
    return out


def findings_modal(view: RequestView) -> Block:
    """*All findings*: every finding of the latest review, grouped, with sheet and cell."""
    blocks: list[Block] = [
        section(
            f"*{esc(view.supplier_name)}* ({esc(view.supplier_external_id)}): "
            f"{grade_text(view.grade, view.score)}, {len(view.findings)} finding(s)."
        )
    ]
    for title, sections in finding_groups(view.findings):
        count = sum(len(items) for _, items in sections)
        blocks.append(header(f"{title} ({count})"))
        if not sections:
            blocks.append(context("_none_"))
            continue
        lines: list[str] = []
        for area, items in sections:
            lines.append(f"*{esc(area.replace('_', ' ').capitalize())}*")
            lines.extend(finding_line(f) for f in items)
        blocks.extend(section(text) for text in _chunks(lines))
    return {
        "type": "modal",
        "callback_id": "cmrt_findings_modal",
        "title": plain_text("All findings", 24),
        "close": plain_text("Close", 24),
        "blocks": cap_blocks(blocks, VIEW_BLOCKS),
    }
