"""The bytes of a stored attachment (a submission), for the few uses that need them again: a re-review, the upload
of the original to Slack, an assigned e-mail's workbooks read later.

A submission holds no bytes: a file that came inside an e-mail is taken out of the stored raw e-mail again
(``mail.attachments.find_attachment``, found by its SHA-256), so a returned workbook is stored once, inside its
e-mail. A file that no stored e-mail holds is the blob of the same SHA-256 (``store.blobs``). Either way the bytes
handed back match the submission's ``sha256``.
"""

from __future__ import annotations

from email.message import Message as MimeMessage

from sqlalchemy.orm import Session

from mail.attachments import find_attachment
from mail.classify import parse_inbound
from store import blobs
from store import messages as message_repo
from store.models import Submission


class BytesMissing(LookupError):
    """The submission's bytes can no longer be found (neither in its e-mail nor kept on their own)."""


def attachment_bytes(session: Session, sub: Submission, *, parsed: MimeMessage | None = None) -> bytes:
    """The bytes of ``sub``, checked against its sha256. ``parsed``: its e-mail, already parsed by the caller."""
    kept = blobs.find(session, sub.sha256)
    if kept is not None and blobs.key(kept) == sub.sha256:
        return kept
    if parsed is None:
        parsed = parse_inbound(message_repo.raw_bytes(session, sub.message)).msg
    found = find_attachment(parsed, sub.sha256, sub.size)
    if found is None:
        raise BytesMissing(f"the bytes of {sub.filename} (submission {sub.id}) are no longer stored")
    return found
