"""How the mail loop and the scheduler tell the compliance team what happened: the ``Notifier`` protocol.

Producers (the mail handlers, the workflow ticks) call these methods after the fact has been committed to the
store; they pass the store id of the supplier request and the few facts the store does not hold. A notifier
never raises into the caller: a Slack outage must not stop e-mail processing (implementations log and carry on).

``NullNotifier`` does nothing (Slack not configured, CLI runs, tests of other areas). ``handlers.slack.notifier.
SlackNotifier`` posts one parent message per request to the team's channel and threads every update under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from cmrt.review import CHECKS_BY_ID, Finding, Severity

#: Catalogue areas whose findings the team always sees in the review note, info or not: what changed since the
#: supplier's last accepted declaration, and what the review could not check.
NOTE_AREAS = ("history", "limits")


@dataclass(frozen=True)
class FindingSummary:
    """One review finding as the team sees it (supplier-provided text inside is escaped by the renderer)."""

    check: str
    severity: str  # reject | clarify | high_risk | info
    message: str
    location: str | None = None  # "Declaration!D16", "Smelter List row 12"
    area: str = ""  # the check's catalogue area ("history", "limits", "smelter", ...)


def review_note(findings: Sequence[Finding]) -> list[FindingSummary]:
    """The findings a review note shows the team: every one that is not ``info``, and those of ``NOTE_AREAS``."""
    out: list[FindingSummary] = []
    for f in findings:
        spec = CHECKS_BY_ID.get(f.check)
        area = spec.area if spec is not None else ""
        if f.severity is not Severity.INFO or area in NOTE_AREAS:
            out.append(FindingSummary(f.check, f.severity.value, f.message, f.location or None, area))
    return out


@runtime_checkable
class Notifier(Protocol):
    def request_sent(self, request_id: int) -> None:
        """The initial request e-mail went out."""

    def reminder_sent(self, request_id: int, *, number: int) -> None:
        """Reminder ``number`` (1-based) went out."""

    def reply_received(self, request_id: int, *, summary: str) -> None:
        """A reply arrived (``summary``: e.g. "1 workbook: CMRT 6.4", "no workbook, a question")."""

    def review_result(
        self, request_id: int, *, grade: str, score: int | None, findings: Sequence[FindingSummary]
    ) -> None:
        """A returned workbook was reviewed."""

    def clarification_sent(self, request_id: int, *, actor: str | None = None) -> None:
        """A clarification request went to the supplier (``actor``: Slack user id, or None for the system)."""

    def escalation(self, request_id: int, *, reason: str) -> None:
        """The request needs a human decision; shown in the channel with the action buttons."""

    def team_alert(self, text: str, *, request_id: int | None = None) -> None:
        """Anything else the team must see (bounce, unmatched reply, a component that stays down).

        ``text`` is plain text and may contain supplier-provided strings: the notifier escapes it.
        """


class NullNotifier:
    """A notifier that tells nobody."""

    def request_sent(self, request_id: int) -> None:
        return None

    def reminder_sent(self, request_id: int, *, number: int) -> None:
        return None

    def reply_received(self, request_id: int, *, summary: str) -> None:
        return None

    def review_result(
        self, request_id: int, *, grade: str, score: int | None, findings: Sequence[FindingSummary]
    ) -> None:
        return None

    def clarification_sent(self, request_id: int, *, actor: str | None = None) -> None:
        return None

    def escalation(self, request_id: int, *, reason: str) -> None:
        return None

    def team_alert(self, text: str, *, request_id: int | None = None) -> None:
        return None


# -- alerts the team can act on --------------------------------------------------------------------------------
# A notifier may offer ``unmatched_mail`` and ``delivery_uncertain`` (``SlackNotifier`` does: the alert carries the
# buttons to settle it). Others get the same facts as a plain ``team_alert``; the helpers below choose.


def tell_question(notifier: Notifier, request_id: int, text: str) -> None:
    """The supplier asked a question (``text``: their own words, ``mail.question.question_text``): the Slack notifier
    shows it in the thread with *Reply* and *Resume reminders*; others get a plain alert."""
    question = getattr(notifier, "question", None)
    if callable(question):
        question(request_id, text=text)
        return
    notifier.team_alert(f"The supplier asked a question (reminders are paused until the team answers): {text}",
                        request_id=request_id)  # fmt: skip


def share_workbook(notifier: Notifier, request_id: int, submission_id: int) -> None:
    """A returned workbook arrived: the Slack notifier uploads it into the supplier's thread (unless
    ``[slack] upload_workbooks = false``); other notifiers have nothing to do (the reply was announced)."""
    workbook = getattr(notifier, "workbook", None)
    if callable(workbook):
        workbook(request_id, submission_id=submission_id)


def unmatched_text(ref: int, kind: str, subject: str) -> str:
    return (
        f"A {kind.replace('_', ' ')} e-mail (ref #{ref}) could not be matched to a supplier request "
        f"(subject: {subject!r}); please assign it (`/cmrt assign {ref} SUPPLIER` or `cmrt-bot mail assign`)."
    )


def uncertain_text(kind: str) -> str:
    return (
        f"The bot stopped while handing an e-mail ({kind}) to the mail server; it was not resent automatically. "
        "Check whether the supplier got it, then send it again or count it as sent."
    )


def alert_unmatched(
    notifier: Notifier, ref: int, *, kind: str, subject: str, proposed_request_id: int | None = None
) -> None:
    """An inbound e-mail (stored as ``messages`` row ``ref``) matched no supplier request. ``proposed_request_id``:
    the company name in its workbook points to that request (the Assign flow offers it; the team confirms)."""
    actionable = getattr(notifier, "unmatched_mail", None)
    if callable(actionable):
        actionable(ref, kind=kind, subject=subject)
    else:
        hint = (
            " The company name in the workbook points to a supplier: check it, then assign."
            if proposed_request_id
            else ""
        )
        notifier.team_alert(unmatched_text(ref, kind, subject) + hint, request_id=proposed_request_id)


def new_address_text(address: str, verified: bool) -> str:
    where = "on a known domain of the supplier" if verified else "NOT a known contact or domain of the supplier"
    return (
        f"A reply came from {address}, {where}. The acknowledgment went to the supplier's known contacts"
        f"{' and to this address' if verified else ' only'}. If this person answers for the supplier, add the address "
        "as a contact (`cmrt-bot suppliers set-contact ID EMAIL --add`)."
    )


def alert_new_address(notifier: Notifier, request_id: int, *, supplier_id: int, address: str, verified: bool) -> None:
    """A sender who is not a known contact of the supplier wrote for this request (an *Add as contact* button in
    Slack)."""
    actionable = getattr(type(notifier), "new_sender", None)
    if callable(actionable):
        actionable(notifier, request_id, supplier_id=supplier_id, address=address, verified=verified)
    else:
        notifier.team_alert(new_address_text(address, verified), request_id=request_id)


def alert_uncertain(notifier: Notifier, key: str, *, kind: str, request_id: int | None) -> None:
    """Outbox e-mail ``key`` may or may not have gone out (the bot stopped during SMTP DATA)."""
    actionable = getattr(notifier, "delivery_uncertain", None)
    if callable(actionable):
        actionable(key, kind=kind, request_id=request_id)
    else:
        notifier.team_alert(uncertain_text(kind) + f" (outbox key {key})", request_id=request_id)


def alert_quarantined(notifier: Notifier, ref: int | None, *, reason: str) -> None:
    """Inbound e-mail ``ref`` went to quarantine (``reason``: the exception's class name): a *Retry* button in Slack,
    else the command to handle it again."""
    actionable = getattr(type(notifier), "quarantined_mail", None)
    if callable(actionable) and ref is not None:
        actionable(notifier, ref, reason=reason)
        return
    retry = f" Once the cause is fixed: `cmrt-bot mail retry {ref}` (or move it back to the inbox)." if ref else ""
    notifier.team_alert(
        f"An inbound e-mail could not be handled ({reason}); it is in quarantine for a person to check." + retry
    )
