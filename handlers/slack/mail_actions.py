"""Settling mail problems from Slack: assign an unmatched inbound e-mail, resend or count an uncertain e-mail.

* *Assign to supplier* (on the unmatched-mail alert) opens a modal; the supplier typed there is resolved like
  ``/cmrt supplier`` (exact id or name, else a clear fuzzy winner); an unknown or ambiguous name is shown as an
  error in the modal. ``/cmrt assign REF SUPPLIER`` does the same from the command line of Slack.
* *Send again* / *Count as sent* (on the uncertain-delivery alert) call ``Outbox.release``.

Every path is acknowledged first, then authorised, deduplicated and audited by ``guard.admit``; the work itself
is ``handlers.mailroom`` (which refuses a second assignment of the same e-mail).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers import mailroom
from handlers.slack import mail_blocks
from handlers.slack.deps import ChatOps
from handlers.slack.guard import Respond, admit, modal_submission
from handlers.slack.queries import find_campaign, find_supplier_requests, sure_match
from handlers.slack.text import code, esc
from store import runtime
from store.engine import SessionSource

log = logging.getLogger("cmbot.slack.mail")

NO_INBOUND = "Assigning e-mails is not available in this process; use `cmrt-bot mail assign REF SUPPLIER_ID`."
NO_OUTBOX = "The outbox is not available in this process; use `cmrt-bot mail release KEY --resend|--sent`."


def resolve(ops: ChatOps, query: str) -> tuple[int | None, str]:
    """(request id, "") for a sure match in the active campaign; (None, why) otherwise (plain text: escape it
    for mrkdwn; a modal's error is plain text)."""
    with ops.db.session() as session:
        campaign = find_campaign(session)
        if campaign is None:
            return None, "There is no campaign yet."
        matches = find_supplier_requests(session, campaign, query)
    if not matches:
        return None, f"No supplier in campaign {campaign.year} matches “{query}”."
    chosen = sure_match(matches)
    if chosen is None:
        names = ", ".join(f"{m.supplier_name} ({m.supplier_external_id})" for m in matches[:5])
        return None, f"Several suppliers match: {names}. Type the supplier id."
    return chosen.request_id, ""


def assign(ops: ChatOps, ref: int, request_id: int, actor: str) -> mailroom.Result:
    if ops.inbound is None:
        return mailroom.Result(False, NO_INBOUND)
    return mailroom.assign(ops.db, ops.inbound, ref, request_id, actor=actor)


def settle_alert(db: SessionSource, client: WebClient, ref: int, text: str, by: str) -> None:
    """Replace the alert's button by who (``by``, mrkdwn) assigned the e-mail to whom (``text``, mrkdwn); best
    effort: the work is done. Also used by ``cmrt-bot mail assign``."""
    try:
        with db.session() as session:
            where = runtime.get_value(session, mail_blocks.alert_key(ref)) or {}
        channel, ts = where.get("channel"), where.get("ts")
        if not channel or not ts:
            return
        client.chat_update(channel=channel, ts=ts, text=text, blocks=mail_blocks.settled_blocks(ref, text, by))
    except Exception:
        log.warning("could not update the unmatched e-mail alert", exc_info=True)


# -- /cmrt assign REF SUPPLIER -----------------------------------------------------------------------------------
def command(ops: ChatOps, user_id: str, arg: str, respond: Respond, client: WebClient) -> None:
    ref_text, _, query = arg.partition(" ")
    if not ref_text or not query.strip():
        respond(text="Usage: `/cmrt assign REF SUPPLIER` (REF: the number in the alert, e.g. 42)",
                response_type="ephemeral")  # fmt: skip
        return
    try:
        ref = mailroom.parse_ref(ref_text)
    except mailroom.BadReference as exc:
        respond(text=esc(str(exc)), response_type="ephemeral")
        return
    request_id, why = resolve(ops, query.strip())
    if request_id is None:
        respond(text=esc(why), response_type="ephemeral")
        return
    result = assign(ops, ref, request_id, user_id)
    text = result.text if ops.inbound is None else esc(result.text)
    respond(text=text, response_type="ephemeral")
    if result.ok:
        settle_alert(ops.db, client, ref, text, f"<@{user_id}>")


# -- buttons -------------------------------------------------------------------------------------------------------
def handle_action(ops: ChatOps, user_id: str, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
    action = (body.get("actions") or [{}])[0]
    action_id, value = str(action.get("action_id")), str(action.get("value") or "")
    if action_id == mail_blocks.A_MAIL_ASSIGN:
        ref = _inbound_ref(ops, value, respond, "an assign")
        if ref is None:
            return
        with ops.db.session() as session:
            item = mailroom.get_unmatched(session, ref)
            proposed = mailroom.proposal(session, ref)
        if item is None:
            respond(text=f"E-mail #{ref} is already assigned (or no longer exists).", response_type="ephemeral",
                    replace_original=False)  # fmt: skip
            return
        channel = (body.get("channel") or {}).get("id")
        modal = mail_blocks.assign_modal(ref, item.subject, item.sender_domain, channel, proposed)
        client.views_open(trigger_id=body["trigger_id"], view=modal)
        return
    if action_id == mail_blocks.A_MAIL_RETRY:
        retry(ops, user_id, value, respond)
        return
    if action_id == mail_blocks.A_CONTACT_ADD:
        add_contact(ops, user_id, value, respond)
        return
    if ops.outbox is None:
        respond(text=NO_OUTBOX, response_type="ephemeral", replace_original=False)
        return
    resend = action_id == mail_blocks.A_OUTBOX_RESEND
    result = mailroom.release(ops.db, ops.outbox, value, resend=resend, actor=user_id)
    if not result.ok:
        respond(text=esc(result.text), response_type="ephemeral", replace_original=False)
        return
    what = "sent again" if resend else "counted as sent"
    respond(
        text=f"E-mail `{code(value)}` {what} by <@{user_id}>. {esc(result.text)}",
        response_type="in_channel",
        replace_original=True,
    )


def _inbound_ref(ops: ChatOps, value: str, respond: Respond, button: str) -> int | None:
    """The stored e-mail a button names, or None (the user told) when inbound mail is off or the value is bad."""
    if ops.inbound is None:
        respond(text=NO_INBOUND, response_type="ephemeral", replace_original=False)
        return None
    try:
        return mailroom.parse_ref(value)
    except mailroom.BadReference:
        log.warning("ignoring %s button with a malformed reference", button)
        return None


def retry(ops: ChatOps, user_id: str, value: str, respond: Respond) -> None:
    """*Retry* on a quarantine alert: the e-mail is handled again from its stored bytes (``mailroom.retry``)."""
    ref = _inbound_ref(ops, value, respond, "a retry")
    if ref is None or ops.inbound is None:
        return
    result = mailroom.retry(ops.db, ops.inbound, ref, actor=user_id)
    if not result.ok:
        respond(text=esc(result.text), response_type="ephemeral", replace_original=False)
        return
    respond(text=f"{esc(result.text)} (retried by <@{user_id}>)", response_type="in_channel", replace_original=True)


def add_contact(ops: ChatOps, user_id: str, value: str, respond: Respond) -> None:
    """*Add as contact*: the address becomes a contact of the supplier (``store.suppliers.change_contacts``,
    audited as ``supplier.contacts``)."""
    from mail.headers import HeaderInjectionError, parse_address
    from store import suppliers as supplier_repo

    supplier_id, _, address = value.partition("|")
    try:
        clean = parse_address(address).addr_spec.lower()
    except HeaderInjectionError:
        respond(text="That is not an e-mail address.", response_type="ephemeral", replace_original=False)
        return
    with ops.db.session() as session:
        supplier = supplier_repo.get(session, int(supplier_id)) if supplier_id.isdigit() else None
        if supplier is None:
            respond(text="That supplier no longer exists.", response_type="ephemeral", replace_original=False)
            return
        if any(c.email == clean for c in supplier.contacts):
            respond(text=f"{esc(clean)} is already a contact of {esc(supplier.name)}.", response_type="ephemeral",
                    replace_original=False)  # fmt: skip
            return
        supplier_repo.change_contacts(session, supplier, [clean], add=True, actor=user_id)
        name = supplier.name
    respond(text=f"{esc(clean)} is now a contact of {esc(name)} (added by <@{user_id}>).", response_type="in_channel",
            replace_original=True)  # fmt: skip


# -- the modal -----------------------------------------------------------------------------------------------------
def register(app: App, ops: ChatOps) -> None:
    @app.view_submission(mail_blocks.V_MAIL_ASSIGN)
    def on_assign(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = ((view.get("state") or {}).get("values") or {}).get(mail_blocks.SUPPLIER_BLOCK) or {}
        query = str((values.get("text") or {}).get("value") or "").strip()
        if not query:
            ack(response_action="errors", errors={mail_blocks.SUPPLIER_BLOCK: "Type a supplier name or id."})
            return
        request_id, why = resolve(ops, query)
        if request_id is None:
            ack(response_action="errors", errors={mail_blocks.SUPPLIER_BLOCK: why[:150]})
            return
        ack()
        ref, tell = modal_submission(client, body, view, "ref")
        if ref is None:
            log.warning("ignoring an assign modal without a message reference")
            return
        user_id = admit(ops, body, client, tell, "view")
        if user_id is None:
            return
        try:
            result = assign(ops, ref, request_id, user_id)
            text = result.text if ops.inbound is None else esc(result.text)
            tell(text)
            if result.ok:
                settle_alert(ops.db, client, ref, text, f"<@{user_id}>")
        except Exception:
            log.exception("assigning an e-mail from Slack failed")
            tell("Something went wrong; the error is in the bot's log.")
