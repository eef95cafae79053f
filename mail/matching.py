"""Match an inbound reply to the supplier request it answers, with levels of evidence (docs/mail.md).

Evidence, strongest first (first hit wins):

1. Our reference token: in the subject (``[CMRT-XXXXXXXX]``), in our own Message-IDs quoted back in
   In-Reply-To/References, or as "Reference: XXXXXXXX" in the body; or In-Reply-To/References naming a message
   we sent for that request.
2. ``From:`` is a known contact of the supplier.
3. ``From:`` is on a known domain of the supplier (its contacts' domains plus the import's ``domains``; the
   free-mail domains in ``freemail_domains.txt`` never count).
4. The company name inside the workbook (fuzzy, rapidfuzz): never enough alone -- a *proposal* the team confirms.

Domain and company-name evidence count only when the message passes authentication: the receiving server's
``Authentication-Results`` (RFC 8601), trusted only for ``[mail] trusted_authserv_id``. With that key set,
``dmarc=fail`` (or ``spf=fail`` with no ``dkim=pass``) makes the sender unknown; unset, the headers are taken as
they are (``AuthStatus.UNCHECKED``). ``decide`` turns the evidence into what the bot does: who the sender is for
the matched supplier (``Standing``), who gets the acknowledgment, whether the sender may change an accepted
request, and whether the team should see a new address.

The lookups go through ``RequestDirectory`` (implemented over the store in ``handlers.mail_store``), so this
module has no database code and is tested with a small in-memory directory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from enum import StrEnum
from importlib import resources
from typing import Protocol

from rapidfuzz import fuzz, process, utils

from mail.classify import InboundMessage
from mail.headers import address_only, domain_of, find_body_token, find_token, token_from_message_ids


def _load_freemail() -> frozenset[str]:
    text = resources.files("mail").joinpath("freemail_domains.txt").read_text(encoding="utf-8")
    return frozenset(
        line.split("#", 1)[0].strip().lower() for line in text.splitlines() if line.split("#", 1)[0].strip()
    )


FREEMAIL_DOMAINS = _load_freemail()


def is_freemail(domain: str | None) -> bool:
    """A free-mail domain (or a subdomain of one): never evidence of who is writing."""
    if not domain:
        return True
    domain = domain.strip().lower().rstrip(".")
    parts = domain.split(".")
    return any(".".join(parts[i:]) in FREEMAIL_DOMAINS for i in range(len(parts) - 1))


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
    """Everything but the workbook (token, thread, body token, address, domain), authentication unchecked."""
    return match_evidence(message, directory, UNCHECKED)


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


# -- authentication (RFC 8601 Authentication-Results) -----------------------------------------------------------
class AuthStatus(StrEnum):
    UNCHECKED = "unchecked"  # no [mail] trusted_authserv_id: headers are taken as they are
    PASS = "pass"  # the trusted server saw dmarc, dkim or spf pass, and nothing that fails
    NONE = "none"  # the trusted server said nothing usable (no header from it, or only none/neutral results)
    FAIL = "fail"  # dmarc=fail, or spf=fail without dkim=pass: the sender is unknown


@dataclass(frozen=True)
class AuthVerdict:
    status: AuthStatus
    results: tuple[tuple[str, str], ...] = ()  # (method, result) from the trusted header, e.g. ("dmarc", "pass")

    @property
    def failed(self) -> bool:
        return self.status is AuthStatus.FAIL

    @property
    def domain_counts(self) -> bool:
        """Domain and company-name evidence count: authenticated, or not checked at all (key unset)."""
        return self.status in (AuthStatus.PASS, AuthStatus.UNCHECKED)


UNCHECKED = AuthVerdict(AuthStatus.UNCHECKED)
_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([A-Za-z0-9_.-]+)(?:/[0-9]+)?\s*=\s*([A-Za-z]+)")


def _strip_comments(value: str) -> str:
    for _ in range(5):  # nested comments
        stripped = _COMMENT.sub(" ", value)
        if stripped == value:
            break
        value = stripped
    return value


def parse_authentication_results(value: str) -> tuple[str, list[tuple[str, str]]]:
    """One ``Authentication-Results`` value -> (authserv-id lower-cased, [(method, result)])."""
    parts = _strip_comments(" ".join(str(value).split())).split(";")
    head = parts[0].split()
    authserv_id = head[0].strip().lower() if head else ""
    results: list[tuple[str, str]] = []
    for clause in parts[1:]:
        found = _RESULT.match(clause)
        if found:
            results.append((found.group(1).lower(), found.group(2).lower()))
    return authserv_id, results


def authentication_values(msg: EmailMessage) -> list[str]:
    """The raw ``Authentication-Results`` values of a message, top (added last, by our server) first."""
    out: list[str] = []
    for key, value in msg.raw_items():
        if key.lower() == "authentication-results":
            out.append(" ".join(str(value).split()))
    return out


def authenticate(values: Iterable[str], trusted_authserv_id: str | None) -> AuthVerdict:
    """The verdict of the trusted receiving server. Only the topmost header carrying ``trusted_authserv_id`` counts
    (our server adds it last; anything below it came with the message and may be forged)."""
    if not trusted_authserv_id:
        return UNCHECKED
    wanted = trusted_authserv_id.strip().lower()
    for value in values:
        authserv_id, results = parse_authentication_results(value)
        if authserv_id != wanted:
            continue
        by_method: dict[str, set[str]] = {}
        for method, result in results:
            by_method.setdefault(method, set()).add(result)
        dmarc, spf, dkim = by_method.get("dmarc", set()), by_method.get("spf", set()), by_method.get("dkim", set())
        if "fail" in dmarc or ({"fail", "softfail"} & spf and "pass" not in dkim and "pass" not in dmarc):
            return AuthVerdict(AuthStatus.FAIL, tuple(results))
        if "pass" in dmarc or "pass" in dkim or "pass" in spf:
            return AuthVerdict(AuthStatus.PASS, tuple(results))
        return AuthVerdict(AuthStatus.NONE, tuple(results))
    return AuthVerdict(AuthStatus.NONE)


# -- the policy -----------------------------------------------------------------------------------------------
class Evidence(StrEnum):
    TOKEN = "token"  # 1: our token, or a thread naming a message we sent for the request
    CONTACT = "contact"  # 2: From is a known contact
    DOMAIN = "domain"  # 3: From is on a known domain (authenticated, or unchecked)
    COMPANY = "company"  # 4: the workbook's company name: a proposal only
    NONE = "none"


class Standing(StrEnum):
    """Who the sender is for the matched supplier."""

    CONTACT = "contact"
    DOMAIN = "domain"
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class SupplierIdentity:
    """What the store knows about the supplier a request belongs to."""

    supplier_id: int
    name: str
    contacts: tuple[str, ...]  # known contact addresses, lower case, the one requests go to first
    domains: tuple[str, ...]  # known domains (contacts' and imported), lower case; free-mail ones are ignored
    ack_contacts: tuple[str, ...] = ()  # the active contact(s) acknowledgments go to; default: contacts[:1]

    def knows_domain(self, domain: str | None) -> bool:
        return bool(domain) and not is_freemail(domain) and domain in self.domains

    @property
    def ack_addresses(self) -> tuple[str, ...]:
        return self.ack_contacts or self.contacts[:1]


@dataclass(frozen=True)
class Decision:
    match: Match
    evidence: Evidence
    standing: Standing = Standing.UNVERIFIED
    auth: AuthVerdict = UNCHECKED
    supplier: SupplierIdentity | None = None
    proposal: Match | None = None  # company-name evidence alone: the team confirms (Assign, pre-selected)
    ack_to: tuple[str, ...] = ()  # who the acknowledgment goes to (never anyone outside contacts / known domains)
    new_address: str | None = None  # the sender is not a known contact: the team sees it (Add as contact)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def verified(self) -> bool:
        """A known contact, or on a known domain: may change an accepted request."""
        return self.standing is not Standing.UNVERIFIED


def match_evidence(message: InboundMessage, directory: RequestDirectory, auth: AuthVerdict = UNCHECKED) -> Match:
    """Evidence levels 1-3 (token / our thread, known contact, known domain); the sender's address and domain do
    not count when authentication failed, the domain only when it passed (or is unchecked)."""
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
    if message.from_address and not auth.failed:
        hits = directory.by_address(message.from_address)
        if hits:
            return Match(hits[0], Method.ADDRESS, ambiguous=len(hits) > 1)
        domain = domain_of(message.from_address)
        if auth.domain_counts and domain and not is_freemail(domain):
            hits = directory.by_domain(domain)
            if hits:
                return Match(hits[0], Method.DOMAIN, 90.0, ambiguous=len(hits) > 1)
    return UNMATCHED


_EVIDENCE = {
    Method.TOKEN: Evidence.TOKEN,
    Method.THREAD: Evidence.TOKEN,
    Method.BODY_TOKEN: Evidence.TOKEN,
    Method.ADDRESS: Evidence.CONTACT,
    Method.DOMAIN: Evidence.DOMAIN,
    Method.COMPANY: Evidence.COMPANY,
    Method.NONE: Evidence.NONE,
}


def standing(address: str | None, supplier: SupplierIdentity, auth: AuthVerdict) -> Standing:
    if not address or auth.failed:
        return Standing.UNVERIFIED
    address = address.lower()
    if address in supplier.contacts:
        return Standing.CONTACT
    if auth.domain_counts and supplier.knows_domain(domain_of(address)):
        return Standing.DOMAIN
    return Standing.UNVERIFIED


def reply_to_addresses(msg: EmailMessage) -> list[str]:
    try:
        header = msg.get("Reply-To")
    except Exception:  # a malformed Reply-To is ignored
        return []
    if header is None:
        return []
    found = [address_only(str(a.addr_spec)) for a in getattr(header, "addresses", ()) or ()]
    return [a for a in found if a]


def decide(
    message: InboundMessage,
    directory: RequestDirectory,
    identity: Callable[[int], SupplierIdentity | None],
    *,
    auth: AuthVerdict = UNCHECKED,
    company_names: Sequence[str | None] = (),
    own_addresses: Iterable[str] = (),
) -> Decision:
    """The whole policy for one message: the match, the sender's standing and who may be answered."""
    found = match_evidence(message, directory, auth)
    if not found.matched:
        proposal = None
        if auth.domain_counts:
            for name in company_names:
                candidate = match_company(name, directory)
                if candidate.matched:
                    proposal = candidate
                    break
        evidence = Evidence.COMPANY if proposal is not None else Evidence.NONE
        return Decision(UNMATCHED, evidence, auth=auth, proposal=proposal)
    assert found.request_id is not None
    supplier = identity(found.request_id)
    if supplier is None:
        return Decision(found, _EVIDENCE[found.method], auth=auth)
    rank, ack_to, new_address = answer_to(message, supplier, auth, own_addresses)
    return Decision(
        found, _EVIDENCE[found.method], rank, auth, supplier, None, ack_to, new_address,
        ("authentication failed: the sender is unknown",) if auth.failed else (),
    )  # fmt: skip


def answer_to(
    message: InboundMessage,
    supplier: SupplierIdentity,
    auth: AuthVerdict = UNCHECKED,
    own_addresses: Iterable[str] = (),
) -> tuple[Standing, tuple[str, ...], str | None]:
    """For a message counted for ``supplier``: the sender's standing, who an answer goes to (the sender -- or its
    ``Reply-To`` when that is inside the supplier's contacts or domains -- only when the sender is a known contact
    or on a known domain; the supplier's contact otherwise, and also for a domain sender), and the sender's address
    when it is not a known contact (for the team)."""
    sender = message.from_address.lower() if message.from_address else None
    rank = standing(sender, supplier, auth)
    own = {a.lower() for a in own_addresses}
    ack: list[str] = []
    if rank is not Standing.UNVERIFIED and sender:
        chosen = sender
        for other in reply_to_addresses(message.msg):  # honoured only inside contacts / known domains
            if standing(other, supplier, auth) is not Standing.UNVERIFIED:
                chosen = other
                break
        ack.append(chosen)
    if rank is not Standing.CONTACT:
        ack += list(supplier.ack_addresses)
    ack_to = tuple(dict.fromkeys(a for a in ack if a and a not in own))
    new_address = sender if sender and rank is not Standing.CONTACT and sender not in own else None
    return rank, ack_to, new_address


def company_differs(workbook_company: str | None, supplier_name: str, *, threshold: float = 60.0) -> bool:
    """The workbook's company name clearly differs from the supplier record (an info finding for the team)."""
    wanted, known = normalise_company(workbook_company or ""), normalise_company(supplier_name)
    if len(wanted) < 3 or len(known) < 3:
        return False
    return max(fuzz.token_set_ratio(wanted, known), fuzz.partial_ratio(wanted, known)) < threshold
