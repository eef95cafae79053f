"""One campaign holding every request state, for the tests that check every surface prints the same figures.

``seed(db)`` stores (on any backend) eleven suppliers of campaign 2025, due 2026-03-31, one per situation:

=====  ==============================  =========================================================================
S01    accepted                        Central Glass's real return (company scope), reviewed accepted
S02    high risk, escalated            JX's real return (product scope), reviewed high_risk
S03    under clarification             Honeywell's real return (user-defined scope), reviewed needs_clarification
S04    question only                   a reply classified ``question``, no workbook
S05    bounced                         sent; the contact address bounces
S06    exempt                          exempted by the team
S07    silent                          sent and reminded, no reply
S08    never sent                      ``not_sent``
S09    unreadable workbook             a reply whose workbook could not be read; clarification requested
S10    closed after review             a fixture workbook without a declared scope, reviewed rejected, closed
S11    escalated for silence           sent, reminded twice, escalated, no reply
=====  ==============================  =========================================================================

``EXPECTED`` holds the figures on ``AFTER_DUE`` (every surface must print exactly these).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from cmrt.outreach.states import RequestState
from cmrt.workbook import read_workbook
from cmrt.workbook.factory import build_cmrt
from store import campaigns, messages
from store.models import Direction
from store.suppliers import SupplierData, mark_contact_bouncing, upsert
from tests.conftest import corpus_path

YEAR = 2025
DUE = dt.date(2026, 3, 31)
AFTER_DUE = dt.date(2026, 9, 1)
SENT_AT = dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC)
REAL = {"S01": "CMRT_6.4_CentralGlass.xlsx", "S02": "CMRT_6.4_JX.xlsx", "S03": "CMRT_6.4_Honeywell.xlsx"}

EXPECTED: dict[str, Any] = {
    "suppliers": 11, "surveyed": 8, "responded": 4, "response_rate": 0.5, "bounced": 1, "exempt": 1,
    "not_yet_sent": 1, "questions": 1, "overdue": 4, "awaiting": 4,
    "grades": {"accepted": 1, "needs_clarification": 1, "high_risk": 1, "rejected": 1},
    "declarations": {"company": 1, "product": 1, "user_defined": 1, "unknown": 1},
}  # fmt: skip
EXPECTED_LINES = [
    "Suppliers surveyed: 8 of 11 (1 bounced, 1 not yet sent, 1 exempt).",
    "Responded: 4 of 8 (50.0 %).",
    "Grades: accepted 1, needs clarification 1, high risk 1, rejected 1.",
    "Declarations: 1 company-level, 1 product-level, 1 user-defined, 1 unknown.",
    "Questions without a workbook: 1. Overdue: 4 (due 2026-03-31).",
]


@functools.cache
def workbooks() -> dict[str, tuple[bytes, dict[str, Any]]]:
    """supplier id -> (workbook bytes, the declaration as the reader stores it)."""
    out = {}
    for key, name in REAL.items():
        data = corpus_path("returned", name).read_bytes()
        out[key] = (data, read_workbook(data, filename=name).to_json())
    unscoped = build_cmrt(scope=None)
    out["S10"] = (unscoped, read_workbook(unscoped).to_json())
    return out


def seed(db: Any) -> dict[str, int]:
    """Store the campaign; returns supplier id -> request id."""
    books = workbooks()
    with db.session() as s:
        suppliers = []
        for n in range(1, 12):
            key = f"S{n:02d}"
            supplier, _ = upsert(s, SupplierData(key, f"Supplier {n} Ltd.", f"cm@s{n}.example.com"))
            suppliers.append(supplier)
        s.flush()
        campaign = campaigns.create(s, year=YEAR, due_date=DUE, suppliers=suppliers)
        s.flush()
        reqs = {r.supplier.external_id: r for r in campaign.requests}

        def sent(key: str, state: RequestState, reminders: int = 0) -> Any:
            req = reqs[key]
            req.state, req.sent_at, req.reminder_count = state, SENT_AT, reminders
            return req

        def reply(key: str, classification: str) -> Any:
            req = reqs[key]
            raw = f"Subject: Re: CMRT {req.token}\r\n\r\nreply from {key}".encode()
            msg, _ = messages.add(s, direction=Direction.IN, message_id=f"<{key}@test>", raw=raw,
                                  from_address=f"cm@s{key[1:].lstrip('0')}.example.com", request_id=req.id,
                                  received_at=SENT_AT + dt.timedelta(days=20))  # fmt: skip
            msg.classification = classification
            return msg

        def returned(key: str, state: RequestState, grade: str) -> None:
            req = sent(key, state)
            req.responded_at = SENT_AT + dt.timedelta(days=20)
            msg = reply(key, "reply_workbook")
            data, declaration = books[key]
            sub, _ = messages.add_submission(s, msg, filename=f"{key}.xlsx", content=data,
                                            keep_bytes=True)  # not inside the reply's e-mail
            sub.declaration = declaration
            messages.add_review(s, sub, grade=grade, catalogue_version="test", findings=[], score=90.0)

        returned("S01", RequestState.ACCEPTED, "accepted")
        returned("S02", RequestState.ESCALATED, "high_risk")
        returned("S03", RequestState.CLARIFICATION_REQUESTED, "needs_clarification")
        sent("S04", RequestState.SENT)
        reply("S04", "question")
        sent("S05", RequestState.SENT)
        mark_contact_bouncing(reqs["S05"].supplier.contacts[0], "550 no such user", SENT_AT)
        reqs["S06"].state = RequestState.EXEMPT
        sent("S07", RequestState.REMINDED, 1)
        unreadable = sent("S09", RequestState.CLARIFICATION_REQUESTED)
        unreadable.responded_at = SENT_AT + dt.timedelta(days=5)
        broken, _ = messages.add_submission(s, reply("S09", "reply_workbook"), filename="S09.xlsx", content=b"PK\x03",
                                         keep_bytes=True)
        broken.parse_error_code, broken.parse_error = "corrupt", "the file is damaged"
        returned("S10", RequestState.CLOSED, "rejected")
        sent("S11", RequestState.ESCALATED, 2)
        return {key: req.id for key, req in reqs.items()}
