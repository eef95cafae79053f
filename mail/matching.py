"""Match an inbound reply to the supplier request it answers.

Order (first hit wins): the token in the subject (``[CMRT-XXXXXXXX]``) or in our own Message-IDs quoted back in
In-Reply-To/References, then the thread ids looked up in the store, then a "Reference: XXXXXXXX" in the body,
then the sender's address (a known contact), then the sender's domain (a supplier's e-mail domain; free-mail
domains never match), then the company name inside the workbook (fuzzy, rapidfuzz). Otherwise: unmatched, and the
team is asked to assign it.

The lookups go through ``RequestDirectory`` (implemented over the store in ``handlers.mail_store``), so this
module has no database code and is tested with a small in-memory directory.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from rapidfuzz import fuzz, process, utils

from mail.classify import InboundMessage
from mail.headers import domain_of, find_body_token, find_token, token_from_message_ids

FREEMAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
        "yahoo.co.jp", "icloud.com", "me.com", "aol.com", "gmx.de", "gmx.net", "web.de", "qq.com", "163.com",
        "126.com", "naver.com", "mail.ru", "yandex.ru", "proton.me", "protonmail.com", "t-online.de",
    }
)  # fmt: skip
_LEGAL_SUFFIX = re.compile(
    r"\b(inc|incorporated|corp|corporation|co|company|ltd|limited|llc|plc|gmbh|ag|kg|sa|sas|srl|spa|bv|nv|ab|oy|as|"
    r"kk|k\.k|pte|pty|sdn bhd|bhd|co ltd|group|holdings?)\b\.?",
    re.IGNORECASE,
)


class Method(StrEnum):
    TOKEN = "token"
    THREAD = "thread"
    BODY_TOKEN = "body_token"
    ADDRESS = "address"
    DOMAIN = "domain"
    COMPANY = "company"
    NONE = "unmatched"


@dataclass(frozen=True)
class Candidate:
    request_id: int
    supplier_name: str


@dataclass(frozen=True)
class Match:
    request_id: int | None
    method: Method
    score: float = 100.0
    ambiguous: bool = False  # several open requests fit; the first (newest open) was taken

    @property
    def matched(self) -> bool:
        return self.request_id is not None


UNMATCHED = Match(None, Method.NONE, 0.0)


class RequestDirectory(Protocol):
    def by_token(self, token: str) -> int | None:
        """The request with this token, or None."""

    def by_thread(self, message_ids: Sequence[str]) -> int | None:
        """The request one of these Message-IDs (ours or a stored inbound one) belongs to."""

    def by_address(self, address: str) -> list[int]:
        """Open requests of suppliers that have this contact address, most relevant first."""

    def by_domain(self, domain: str) -> list[int]:
        """Open requests of suppliers with this e-mail domain, most relevant first."""

    def company_candidates(self) -> list[Candidate]:
        """Open requests with their supplier names, for fuzzy matching by the company name in the workbook."""


def normalise_company(name: str) -> str:
    text = utils.default_process(name or "")
    text = _LEGAL_SUFFIX.sub(" ", text)
    return " ".join(text.split())


def match_headers(message: InboundMessage, directory: RequestDirectory) -> Match:
    """Everything but the workbook: token, thread, body token, address, domain."""
    for token in (find_token(message.subject), token_from_message_ids(message.thread_ids)):
        if token:
            found = directory.by_token(token)
            if found is not None:
                return Match(found, Method.TOKEN)
    if message.thread_ids:
        found = directory.by_thread(message.thread_ids)
        if found is not None:
            return Match(found, Method.THREAD)
    token = find_body_token(message.text)
    if token:
        found = directory.by_token(token)
        if found is not None:
            return Match(found, Method.BODY_TOKEN)
    if message.from_address:
        hits = directory.by_address(message.from_address)
        if hits:
            return Match(hits[0], Method.ADDRESS, ambiguous=len(hits) > 1)
        domain = domain_of(message.from_address)
        if domain and domain not in FREEMAIL_DOMAINS:
            hits = directory.by_domain(domain)
            if hits:
                return Match(hits[0], Method.DOMAIN, 90.0, ambiguous=len(hits) > 1)
    return UNMATCHED


def match_company(company_name: str | None, directory: RequestDirectory, *, threshold: float = 88.0) -> Match:
    """Fuzzy match of the workbook's company name against open requests' supplier names."""
    wanted = normalise_company(company_name or "")
    if len(wanted) < 3:
        return UNMATCHED
    candidates = directory.company_candidates()
    if not candidates:
        return UNMATCHED
    choices = [normalise_company(c.supplier_name) for c in candidates]
    results = process.extract(wanted, choices, scorer=fuzz.token_sort_ratio, limit=2, processor=None)
    if not results or results[0][1] < threshold:
        return UNMATCHED
    best_score, best_index = results[0][1], results[0][2]
    ambiguous = len(results) > 1 and results[1][1] >= threshold and results[1][1] >= best_score - 2
    return Match(candidates[best_index].request_id, Method.COMPANY, float(best_score), ambiguous=ambiguous)


def match_reply(
    message: InboundMessage, directory: RequestDirectory, company_names: Sequence[str | None] = ()
) -> Match:
    found = match_headers(message, directory)
    if found.matched:
        return found
    for name in company_names:
        found = match_company(name, directory)
        if found.matched:
            return found
    return UNMATCHED
