"""Year over year through the bot: the same supplier answers two campaigns (SQLite and PostgreSQL).

2024: company level, tin sourced from the covered countries (Q3 = Yes), Minsur among its smelters; escalated,
then accepted by the team.
2025: product level, tin Q3 = No, Minsur dropped. The inbound review of the 2025 reply compares it with the 2024
declaration fetched from the store: the flipped Q3, the dropped smelter and the scope change are findings, and the
team's review note shows them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Any

from cmrt.outreach.states import RequestState
from cmrt.workbook.factory import CmrtSpec, ProductSpec, build_cmrt, default_answers
from handlers.inbound import InboundProcessor
from handlers.notify import FindingSummary, NullNotifier
from handlers.review_context import make_context_factory, previous_declaration
from store import Database
from store import messages as message_repo
from store import requests as request_repo
from tests.adapters.mail.support import seed_request


class Recorder(NullNotifier):
    def __init__(self) -> None:
        self.reviews: list[tuple[int, str, list[FindingSummary]]] = []

    def review_result(
        self, request_id: int, *, grade: str, score: int | None, findings: Sequence[FindingSummary]
    ) -> None:
        self.reviews.append((request_id, grade, list(findings)))


def _reply(token: str, workbook: bytes, number: int) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = "cm@acme-metals.test", "bot@example.test"
    msg["Subject"], msg["Message-ID"] = f"Re: Conflict minerals [CMRT-{token}]", f"<yoy-{number}@acme-metals.test>"
    msg.set_content("Please find our declaration attached.")
    msg.add_attachment(workbook, maintype="application", subtype="octet-stream", filename="CMRT.xlsx")
    return msg.as_bytes()


def _workbooks() -> tuple[bytes, bytes]:
    answers = default_answers()
    last = build_cmrt(company_name="Acme Metals Ltd", effective_date=dt.date(2025, 3, 1),
                      answers={**answers, "Q3": {**answers["Q3"], "Tin": "Yes"}})  # fmt: skip
    now = build_cmrt(company_name="Acme Metals Ltd", effective_date=dt.date(2026, 3, 1),
                     scope="B. Product (or List of Products)", products=[ProductSpec("PN-7", "Connector")],
                     smelters=[s for s in CmrtSpec().smelters if s.metal != "Tin"]
                     + [CmrtSpec().smelters[0]])  # fmt: skip
    return last, now


def test_the_2025_review_shows_what_changed_since_the_accepted_2024_declaration(store_db: Database) -> None:
    last_year = seed_request(store_db, "cm@acme-metals.test", name="Acme Metals Ltd", year=2024)
    this_year = seed_request(store_db, "cm@acme-metals.test", name="Acme Metals Ltd", year=2025)
    assert last_year.supplier_id == this_year.supplier_id
    notifier = Recorder()
    inbound = InboundProcessor(store_db, notifier=notifier, review_context=make_context_factory(),
                               clock=lambda: dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC))  # fmt: skip
    last, now = _workbooks()
    first = inbound.process(_reply(last_year.token, last, 1))
    assert first.request_id == last_year.request_id and first.grades == ["high_risk"]  # tin from the DRC region
    with store_db.session() as s:  # the team looked at it and accepted it (Slack "Accept")
        request = request_repo.get(s, last_year.request_id)
        assert request is not None
        assert message_repo.last_accepted_declaration(s, last_year.supplier_id, 2025) is None  # not accepted yet
        request_repo.transition(s, request, RequestState.ACCEPTED, actor="UTEAM", reason="conformant smelters")
    with store_db.session() as s:
        request = request_repo.get(s, this_year.request_id)
        assert request is not None
        previous, label = previous_declaration(s, request)
        assert previous is not None and label == "2024" and previous.answers["Q3"]["Tin"] == "Yes"
        stored = message_repo.last_accepted_declaration(s, this_year.supplier_id, 2025)
        assert stored is not None and stored[1] == 2024
        assert message_repo.last_accepted_declaration(s, this_year.supplier_id, 2024) is None
    second = inbound.process(_reply(this_year.token, now, 2))
    assert second.request_id == this_year.request_id
    with store_db.session() as s:
        review = message_repo.latest_review(s, this_year.request_id)
        assert review is not None
        history = [(f["check"], f["severity"], f.get("mineral")) for f in review.findings
                   if f["check"].startswith("history.")]  # fmt: skip
    assert ("history.origin_flipped", "clarify", "Tin") in history  # Q3 tin: Yes -> No
    assert ("history.smelters_changed", "info", "Tin") in history  # Minsur dropped
    assert ("history.scope_changed", "info", None) in history  # company -> product
    assert second.grades == ["needs_clarification"]
    (_, grade, note), = [r for r in notifier.reviews if r[0] == this_year.request_id]
    assert grade == "needs_clarification"
    shown: dict[str, Any] = {f.check: f for f in note}
    assert {"history.origin_flipped", "history.smelters_changed", "history.scope_changed"} <= set(shown)
    assert shown["history.smelters_changed"].area == "history"
    assert "since the 2024 declaration" in shown["history.smelters_changed"].message
