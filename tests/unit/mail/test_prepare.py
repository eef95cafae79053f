"""``mail.prepare.take_apart``: what the reader processes do for the inbound pipeline gives what the pipeline would
have made itself, after the trip back through pickle."""

from __future__ import annotations

import pickle
from email.message import EmailMessage

from cmrt.workbook.factory import build_cmrt
from mail.attachments import AttachmentLimits, extract_attachments
from mail.classify import classify, parse_inbound
from mail.prepare import take_apart, with_raw
from store import blobs
from store import messages as message_repo

XLSX = "vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reply() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Wang Wei <wang@supplier.example>"
    msg["To"] = "cmrt@buyer.example"
    msg["Cc"] = "li@supplier.example"
    msg["Subject"] = "=?utf-8?q?Re:_CMRT_2025_=E2=80=93_request?="
    msg["Message-ID"] = "<reply-1@supplier.example>"
    msg["In-Reply-To"] = "<req-1@buyer.example>"
    msg["References"] = "<root@buyer.example> <req-1@buyer.example>"
    msg.set_content("Please find our CMRT attached.\n\nBest regards")
    msg.add_attachment(build_cmrt(), maintype="application", subtype=XLSX, filename="../CMRT 6.5.xlsx")
    msg.add_attachment(b"%PDF-1.4 policy", maintype="application", subtype="pdf", filename="policy.pdf")
    return msg.as_bytes()


def test_take_apart_after_pickling_gives_what_the_pipeline_makes_itself() -> None:
    raw = _reply()
    message, extracted, keys = pickle.loads(pickle.dumps(take_apart(raw, AttachmentLimits()), protocol=5))
    assert message.raw == b""
    message = with_raw(message, raw)
    direct = parse_inbound(raw)
    own = extract_attachments(direct.msg, AttachmentLimits())
    for field in ("raw", "message_id", "subject", "from_address", "to_addresses", "in_reply_to", "references", "text"):
        assert getattr(message, field) == getattr(direct, field), field
    assert message.msg.as_bytes() == direct.msg.as_bytes()
    assert extracted == own and [w.filename for w in extracted.workbooks] == ["CMRT 6.5.xlsx"]
    assert classify(message, has_workbook=True) == classify(direct, has_workbook=True)
    assert keys.digest == message_repo.message_digest(raw) and keys.sha256 == blobs.key(raw)  # what the store keys by
