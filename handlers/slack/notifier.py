"""``SlackNotifier``: the channel side of chat-ops (implements ``handlers.notify.Notifier``).

One parent message per supplier request (its card, with the action buttons), created on the first event and
remembered in ``requests.slack_channel`` / ``slack_ts``; every later event is a threaded reply, after which the
parent is refreshed with ``chat.update``. Escalations are broadcast to the channel (``reply_broadcast``) with
the buttons. Failures are logged, never raised: Slack being down must not stop the mail loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient

from handlers.attachment_bytes import attachment_bytes
from handlers.notify import NOTE_AREAS, FindingSummary, new_address_text, uncertain_text
from handlers.rereview import RereviewResult
from handlers.slack import blocks, mail_blocks, review_blocks
from handlers.slack.deps import utc_now
from handlers.slack.queries import RequestView, request_view
from handlers.slack.text import MESSAGE_TEXT, bullet_lines, context, esc, section, truncate
from store import runtime
from store.engine import SessionSource
from store.models import Request, Submission

log = logging.getLogger("cmbot.slack.notifier")


def _line(f: FindingSummary) -> str:
    return blocks.finding_line({"severity": f.severity, "message": f.message, "location": f.location,
                                "check": f.check})  # fmt: skip


class SlackNotifier:
    def __init__(
        self,
        client: WebClient,
        db: SessionSource,
        channel: str,
        *,
        clock: Callable[[], Any] = utc_now,
        snooze_choices: tuple[int, ...] = (3, 7, 14, 30),
        upload_workbooks: bool = True,
    ) -> None:
        self.upload_workbooks = upload_workbooks
        self.client = client
        self.db = db
        self.channel = channel
        self.clock = clock
        self.snooze_choices = snooze_choices
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()

    # ------------------------------------------------------------------------------------------- Notifier API
    def request_sent(self, request_id: int) -> None:
        self._update(request_id, ":email: Request sent.")

    def reminder_sent(self, request_id: int, *, number: int) -> None:
        self._update(request_id, f":bell: Reminder {number} sent.")

    def reply_received(self, request_id: int, *, summary: str) -> None:
        self._update(request_id, f":inbox_tray: Reply received: {esc(summary)}")

    def review_result(
        self, request_id: int, *, grade: str, score: int | None, findings: Sequence[FindingSummary]
    ) -> None:
        main = [f for f in findings if f.area not in NOTE_AREAS]
        lines = [_line(f) for f in main[:5]]
        if len(main) > 5:
            lines.append(f"_… and {len(main) - 5} more findings_")
        text = f":mag: Review: {blocks.grade_text(grade, score)}" + ("\n" + bullet_lines(lines, 2500) if lines else "")
        history = [_line(f) for f in findings if f.area == "history"]
        if history:  # what changed since the supplier's last accepted declaration, in full
            text += "\n*Since the last accepted declaration:*\n" + bullet_lines(history, 1200)
        for limit in (f for f in findings if f.area == "limits"):  # what the review could not check
            text += f"\n:warning: {esc(limit.message)}"
        self._update(request_id, text)

    def clarification_sent(self, request_id: int, *, actor: str | None = None) -> None:
        who = f" by <@{esc(actor)}>" if actor else ""
        self._update(request_id, f":speech_balloon: Clarification request sent{who}.")

    def escalation(self, request_id: int, *, reason: str) -> None:
        self._update(request_id, f":rotating_light: *Needs a decision:* {esc(reason)}", escalate=True)

    def team_alert(self, text: str, *, request_id: int | None = None) -> None:
        """Plain text (escaped here: it may quote supplier-provided strings such as an e-mail subject)."""
        safe = esc(text)
        if request_id is not None:
            self._update(request_id, safe)
            return
        try:
            self.client.chat_postMessage(channel=self.channel, text=truncate(safe, MESSAGE_TEXT))
        except Exception:
            log.warning("could not post a team alert to Slack", exc_info=True)

    def unmatched_mail(self, ref: int, *, kind: str, subject: str) -> None:
        """An inbound e-mail matched no request: the alert carries its reference and an *Assign to supplier* button."""
        try:
            posted = self.client.chat_postMessage(
                channel=self.channel,
                text=mail_blocks.unmatched_text(ref, kind),
                blocks=mail_blocks.unmatched_blocks(ref, kind, subject),
            )
            where = {"channel": str(posted.get("channel") or self.channel), "ts": str(posted["ts"])}
            with self.db.session() as session:  # so that an assignment by command can settle the alert too
                runtime.set_value(session, mail_blocks.alert_key(ref), where)
        except Exception:
            log.warning("could not post the unmatched e-mail alert to Slack", exc_info=True)

    def quarantined_mail(self, ref: int, *, reason: str) -> None:
        """An inbound e-mail went to quarantine: the alert carries a *Retry* button (``cmrt-bot mail retry``)."""
        try:
            self.client.chat_postMessage(
                channel=self.channel,
                text=mail_blocks.quarantined_text(ref, reason),
                blocks=mail_blocks.quarantined_blocks(ref, reason),
            )
        except Exception:
            log.warning("could not post the quarantine alert to Slack", exc_info=True)

    def new_sender(self, request_id: int, *, supplier_id: int, address: str, verified: bool) -> None:
        """A reply from an address that is not a known contact, in the request's thread: *Add as contact*."""
        blocks = mail_blocks.new_sender_blocks(supplier_id, address, verified)
        self._update(request_id, esc(new_address_text(address, verified)), extra_blocks=blocks)

    def delivery_uncertain(self, key: str, *, kind: str, request_id: int | None = None) -> None:
        """An e-mail may or may not have gone out: *Send again* / *Count as sent* (in the request's thread)."""
        extra = mail_blocks.uncertain_blocks(key, kind)
        text = esc(uncertain_text(kind))
        if request_id is not None:
            self._update(request_id, text, extra_blocks=extra)
            return
        try:
            self.client.chat_postMessage(channel=self.channel, text=text, blocks=extra)
        except Exception:
            log.warning("could not post the uncertain delivery alert to Slack", exc_info=True)

    def reviews_changed(self, result: RereviewResult) -> None:
        """Reviews made again changed grades or findings: one summary in the channel, with the button that lets the
        team pick the suppliers to send the new findings to (``handlers.rereview.announce`` calls it once)."""
        try:
            self.client.chat_postMessage(channel=self.channel, text=truncate(esc(result.headline()), MESSAGE_TEXT),
                                         blocks=review_blocks.summary_blocks(result))  # fmt: skip
        except Exception:
            log.warning("could not post the re-review summary to Slack", exc_info=True)

    def question(self, request_id: int, *, text: str) -> None:
        """The supplier asked a question: their words (escaped, quoted) in the thread, with *Reply* and *Resume
        reminders*; the card shows the same buttons (the request is waiting for the team)."""
        quoted = "\n".join(f">{esc(line, empty='')}" for line in (text or "(no text)").splitlines())  # escaped
        head = ":question: *The supplier asked a question.* Reminders are paused until you answer or resume them."
        message = truncate(f"{head}\n{quoted}", 2900)
        self._update(request_id, message, extra_blocks=[section(message), *blocks.question_buttons(request_id)])

    def workbook(self, request_id: int, *, submission_id: int) -> None:
        """Upload a returned workbook into the supplier's thread (files upload v2), unless ``upload_workbooks`` is
        off (``[slack] upload_workbooks = false``: the workspace must not hold supplier files)."""
        if not self.upload_workbooks:
            return
        try:
            with self.db.session() as session:
                sub = session.get(Submission, submission_id)
                request = session.get(Request, request_id)
                if sub is None or request is None or not request.slack_ts or not request.slack_channel:
                    return
                content = attachment_bytes(session, sub)
                channel, ts, name = request.slack_channel, request.slack_ts, sub.filename
            if not content:
                return
            self.client.files_upload_v2(channel=channel, thread_ts=ts, content=content, filename=name,
                                        title=f"Returned workbook: {name}")  # fmt: skip
        except Exception:
            log.warning("could not upload the workbook of request %s to Slack", request_id, exc_info=True)

    def note(self, request_id: int, mrkdwn: str) -> None:
        """A threaded update in mrkdwn composed by the caller, who escaped every supplier-provided part."""
        self._update(request_id, mrkdwn)

    # ------------------------------------------------------------------------------------------- internals
    def _lock(self, request_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(request_id, threading.Lock())

    def _update(
        self, request_id: int, text: str, *, escalate: bool = False, extra_blocks: list[dict[str, Any]] | None = None
    ) -> None:
        try:
            with self._lock(request_id):
                self._post(request_id, text, escalate, extra_blocks)
        except Exception:
            log.warning("could not post a Slack update for request %s", request_id, exc_info=True)

    def _view(self, request_id: int) -> RequestView | None:
        with self.db.session() as session:
            return request_view(session, request_id)

    def _post(
        self, request_id: int, text: str, escalate: bool, extra_blocks: list[dict[str, Any]] | None = None
    ) -> None:
        view = self._view(request_id)
        if view is None:
            log.warning("no request %s to post about", request_id)
            return
        today = self.clock().date()
        card = blocks.request_card(view, today, snooze_choices=self.snooze_choices)
        channel, ts = view.slack_channel, view.slack_ts
        created = not ts or not channel
        if created:
            channel = self.channel
            parent = self.client.chat_postMessage(channel=channel, text=blocks.card_text(view), blocks=card)
            ts = str(parent["ts"])
            channel = str(parent.get("channel") or channel)
            with self.db.session() as session:
                request = session.get(Request, request_id)
                if request is not None:
                    request.slack_channel, request.slack_ts = channel, ts
        text = truncate(text, 2900)
        reply: dict[str, Any] = {"channel": channel, "thread_ts": ts, "text": text}
        if escalate:
            reply["reply_broadcast"] = True
            reply["blocks"] = [
                section(f"*{esc(view.supplier_name)}* ({esc(view.supplier_external_id)})\n{text}"),
                context(blocks.request_fields(view, today).replace("\n", " · ")),
            ]
            buttons = blocks.action_buttons(view, self.snooze_choices)
            if buttons is not None:
                reply["blocks"].append(buttons)
        elif extra_blocks:
            reply["blocks"] = extra_blocks
        self.client.chat_postMessage(**reply)
        if not created and channel and ts:
            self.client.chat_update(channel=channel, ts=ts, text=blocks.card_text(view), blocks=card)
