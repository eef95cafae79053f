"""Every message kind rendered with extreme data keeps to Block Kit's limits: 50 blocks a message, 100 in a modal
or the Home tab, 3,000 characters a text, 150 a header, 75 a button label or option, 2,000 a button value."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cmrt.figures import RequestFacts, campaign_figures
from cmrt.outreach.states import RequestState
from handlers.report import ListsState
from handlers.slack import blocks, history, mail_blocks
from handlers.slack.queries import CampaignStats, RequestView, SupplierMatch

NAME = ("Ünïcode <!channel> & Söhne Metallverarbeitung " * 8)[:300]
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
DUE = dt.date(2026, 3, 31)
STATES = list(RequestState)
SEVERITIES = ("reject", "clarify", "high_risk", "info")


def _findings(n: int = 100) -> list[dict[str, Any]]:
    return [{"check": f"smelter.check_{i % 7}", "severity": SEVERITIES[i % 4], "sheet": "Smelter List",
             "cell": f"D{i + 5}", "message": f"finding {i}: " + "the smelter name <@U1> is not on the list " * 8}
            for i in range(n)]  # fmt: skip


def _view(i: int, state: RequestState, *, grade: str | None = "high_risk") -> RequestView:
    return RequestView(
        request_id=100_000 + i, supplier_id=i, supplier_external_id=f"S-{i:05d}-" + "X" * 60,
        supplier_name=f"{NAME[:290]} {i}", campaign_year=2025, due_date=DUE, state=state, reminder_count=3,
        sent_at=NOW - dt.timedelta(days=90), responded_at=NOW - dt.timedelta(days=9), assignee="UMEMBER",
        snoozed_until=NOW + dt.timedelta(days=3), exception_reason="because " * 300, grade=grade, score=12.0,
        findings=_findings(), slack_channel="C1", slack_ts=f"1700000000.{i:06d}",
        facts=RequestFacts(100_000 + i, state.value, sent=True, workbook_read=grade is not None,
                           contact_bouncing=i % 9 == 0),
    )  # fmt: skip


def _stats(views: list[RequestView]) -> CampaignStats:
    facts = [v.facts for v in views if v.facts is not None]
    figures = campaign_figures(2025, DUE, NOW.date(), facts)
    lists = ListsState(True, dt.date(2026, 1, 1), 328, "The RMAP lists are 328 days old " * 20)
    return CampaignStats(figures=figures, lists=lists, overdue=views, high_risk=views, escalated=views)


def _check(node: Any, path: str = "") -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _check(item, f"{path}[{i}]")
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "button":
        assert len(node["text"]["text"]) <= 75, path
        assert len(node.get("value", "")) <= 2000, path
    if kind == "header":
        assert len(node["text"]["text"]) <= 150, path
    if kind in ("mrkdwn", "plain_text"):
        assert len(node["text"]) <= 3000, path
    if "options" in node:
        assert len(node["options"]) <= 100 and all(len(o["text"]["text"]) <= 75 for o in node["options"]), path
    if kind == "actions":
        assert len(node["elements"]) <= 25, path
    if kind == "context":
        assert len(node["elements"]) <= 10, path
    if "initial_value" in node:
        assert len(node["initial_value"]) <= 3000, path
    if kind in ("button", "static_select") and "confirm" in node:
        dialog = node["confirm"]
        assert len(dialog["title"]["text"]) <= 100 and len(dialog["text"]["text"]) <= 300, path
        assert len(dialog["confirm"]["text"]) <= 30 and len(dialog["deny"]["text"]) <= 30, path
    for key, value in node.items():
        _check(value, f"{path}.{key}")


def _message(rendered: list[dict[str, Any]]) -> None:
    assert 0 < len(rendered) <= 50
    _check(rendered)


def _surface(view: dict[str, Any]) -> None:
    assert 0 < len(view["blocks"]) <= 100
    for key in ("title", "submit", "close"):
        if key in view:
            assert len(view[key]["text"]) <= 24, key
    assert len(view.get("private_metadata", "")) <= 3000
    _check(view["blocks"])


def test_every_message_kind_keeps_to_the_limits_with_extreme_data() -> None:
    views = [_view(i, STATES[i % len(STATES)], grade=None if i % 3 == 0 else "high_risk") for i in range(500)]
    stats = _stats(views)
    for view in views[: len(STATES) * 3]:  # every state, with and without a review, bouncing or not
        _message(blocks.request_card(view, NOW.date()))
        buttons = blocks.action_buttons(view, (3, 7, 14, 30))
        if buttons is not None:
            _check(buttons)
    _message(blocks.status_blocks(stats))
    _message(blocks.digest_blocks(stats, "weekly", 500))
    _message(blocks.question_buttons(views[0].request_id))
    _message(blocks.supplier_choices([SupplierMatch(v.request_id, v.supplier_name, v.supplier_external_id, 95.0)
                                      for v in views], "Mueller"))  # fmt: skip
    _message(mail_blocks.unmatched_blocks(123456789, "reply_with_workbook", NAME * 4))
    _message(mail_blocks.uncertain_blocks("k" * 400, "reminder"))
    entries = [history.Entry(NOW - dt.timedelta(hours=i), ":memo:", NAME, "UMEMBER") for i in range(500)]
    _message(history.history_blocks(views[1], entries, 3))
    home = blocks.home_view(stats, views, "UMEMBER", NOW, views=views,
                            permalinks={v.request_id: "https://x.slack.com/archives/C1/p1" for v in views})  # fmt: skip
    _surface(home)
    reviewed = _view(1, RequestState.RESPONDED)
    for modal in (blocks.findings_modal(reviewed), blocks.clarify_modal(reviewed), blocks.accept_modal(reviewed),
                  blocks.exempt_modal(reviewed), blocks.reply_modal(reviewed, NAME * 20, f"Dear {NAME},"),
                  blocks.address_modal(reviewed, "x" * 300 + "@example.com")):  # fmt: skip
        _surface(modal)
    every = json.dumps(blocks.findings_modal(reviewed))
    assert "Supplier must correct" in every and "Supplier must explain" in every and "For us" in every
    assert "<!channel>" not in json.dumps(home) and "<@U1>" not in every  # supplier text stays escaped
