"""Reviews that follow the lists: after a list import or a change of the campaign's review rules, the latest
workbook of every open request is reviewed again.

``Rereviewer.run`` re-reads each open request's latest workbook (the stored bytes, so reader fixes count too),
reviews it with the current lists and rules, and stores a new review (``origin`` lists, rules or on_demand) only
where the grade or the findings changed. One request at a time, each in its own short unit of work; a workbook
that fails is set aside and the others carry on. Nothing is e-mailed: the team is told once (one summary in the
channel, a note in each affected supplier's thread) and picks the suppliers to send the new findings to.

``Rereviewer.follow`` is what ``cmrt-bot run`` calls: it compares the campaign's *basis* (the current lists, the
effective overrides and campaign requirements, the check catalogue) with the one its reviews were last made on
(``bot_state``) and reviews again when it changed. The first time a campaign is seen its basis is only recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from cmrt.review import CATALOGUE_VERSION, review
from cmrt.smelters.rmap import list_label
from cmrt.workbook import ReadLimits, WorkbookError, read_workbook
from handlers.attachment_bytes import BytesMissing, attachment_bytes
from handlers.findings import finding_key, supplier_facing
from handlers.notify import Notifier
from handlers.review_context import ContextFactory
from store import audit, campaigns, runtime
from store import messages as message_repo
from store import reviews as review_repo
from store import smelters as smelter_repo
from store.engine import SessionSource
from store.models import Campaign, Request

log = logging.getLogger("cmbot.review")

LISTS, RULES, ON_DEMAND = "lists", "rules", "on_demand"
BASIS_KEY = "review_basis:{campaign_id}"
RUN_KEY = "rereview:{campaign_id}:{basis}"  # bot_state: what a re-review changed (the Slack button reads it)


@dataclass
class GradeChange:
    request_id: int
    supplier_key: str
    supplier_name: str
    before: str | None
    after: str
    review_id: int | None  # None in a dry run
    new: list[Mapping[str, Any]] = field(default_factory=list)  # supplier-facing findings the previous review lacked
    resolved: list[Mapping[str, Any]] = field(default_factory=list)  # supplier-facing findings now gone

    @property
    def grade_changed(self) -> bool:
        return self.before != self.after

    def line(self) -> str:
        grade = (f"{(self.before or 'not reviewed').replace('_', ' ')} → {self.after.replace('_', ' ')}"
                 if self.grade_changed else f"still {self.after.replace('_', ' ')}")  # fmt: skip
        counts = [f"{len(self.new)} new finding{'s' if len(self.new) != 1 else ''}" if self.new else "",
                  f"{len(self.resolved)} resolved" if self.resolved else ""]  # fmt: skip
        extra = ", ".join(c for c in counts if c)
        return f"{self.supplier_name} ({self.supplier_key}): {grade}" + (f" ({extra})" if extra else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id, "supplier_id": self.supplier_key, "supplier": self.supplier_name,
            "before": self.before, "after": self.after, "review_id": self.review_id,
            "new_findings": [dict(f) for f in self.new], "resolved_findings": [dict(f) for f in self.resolved],
        }  # fmt: skip


@dataclass
class RereviewResult:
    year: int
    reason: str  # lists | rules | on_demand
    lists: str  # "lists of 2026-09-05" (or "no RMAP list imported")
    reviewed: int = 0
    changes: list[GradeChange] = field(default_factory=list)  # grade or supplier-facing findings changed
    failed: list[str] = field(default_factory=list)
    dry_run: bool = False
    key: str = ""  # the bot_state key of this run (the Slack button's value)

    @property
    def grade_changes(self) -> list[GradeChange]:
        return [c for c in self.changes if c.grade_changed]

    @property
    def with_new_findings(self) -> list[GradeChange]:
        return [c for c in self.changes if c.new]

    def headline(self) -> str:
        why = {LISTS: f"With the {self.lists}", RULES: f"With the campaign's changed review rules ({self.lists})",
               ON_DEMAND: f"Reviewed again with the {self.lists}"}[self.reason]  # fmt: skip
        n = len(self.grade_changes)
        text = f"{why}: {n} supplier{'s' if n != 1 else ''} changed grade (campaign {self.year}"
        text += f", {self.reviewed} open request{'s' if self.reviewed != 1 else ''} reviewed again)"
        others = len(self.changes) - n
        if others:
            text += f"; {others} more with changed findings"
        return text + "."

    def lines(self) -> list[str]:
        out = [("(dry run, nothing stored) " if self.dry_run else "") + self.headline()]
        out += [f"  {c.line()}" for c in self.changes]
        out += [f"  could not review again: {problem}" for problem in self.failed]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": self.year, "reason": self.reason, "lists": self.lists, "reviewed": self.reviewed,
            "grade_changes": len(self.grade_changes), "changes": [c.to_json() for c in self.changes],
            "failed": self.failed, "dry_run": self.dry_run,
        }  # fmt: skip


@dataclass(frozen=True)
class Basis:
    lists: str  # the current lists
    rules: str  # catalogue version, effective overrides, campaign requirements

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.lists}|{self.rules}".encode()).hexdigest()[:16]


class Rereviewer:
    def __init__(
        self,
        db: SessionSource,
        context: ContextFactory,
        *,
        read_limits: ReadLimits | None = None,
        passwords: Sequence[str] = (),
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        today: Callable[[], dt.date] | None = None,
    ) -> None:
        self.db = db
        self.context = context
        self.read_limits = read_limits
        self.passwords = tuple(passwords)
        self.clock = clock
        self.today = today or (lambda: self.clock().date())

    # -- the campaign's basis ------------------------------------------------------------------------------------
    def basis(self, session: Session, campaign: Campaign) -> Basis:
        ctx = self.context(session, campaign.requests[0] if campaign.requests else None, self.today())
        lists = json.dumps(smelter_repo.latest_list_ids(session))
        rules = json.dumps([CATALOGUE_VERSION, sorted(ctx.overrides.items()), campaign.template_family,
                            campaign.min_template_version, campaign.scope, campaign.year])  # fmt: skip
        return Basis(lists, rules)

    def follow(self, notifier: Notifier | None = None) -> list[RereviewResult]:
        """For every active campaign whose lists or rules changed since its reviews were made: review again, record
        the new basis, tell the team (once). A campaign seen for the first time only has its basis recorded."""
        results: list[RereviewResult] = []
        with self.db.session() as session:
            active = [(c.id, c.year) for c in campaigns.active(session)]
        for campaign_id, year in active:
            with self.db.session() as session:
                campaign = session.get(Campaign, campaign_id)
                if campaign is None:
                    continue
                current = self.basis(session, campaign)
                stored = runtime.get_value(session, BASIS_KEY.format(campaign_id=campaign_id))
                if stored is None:
                    runtime.set_value(session, BASIS_KEY.format(campaign_id=campaign_id),
                                      {"lists": current.lists, "rules": current.rules})  # fmt: skip
                    continue
                if stored.get("lists") == current.lists and stored.get("rules") == current.rules:
                    continue
            reason = LISTS if stored.get("lists") != current.lists else RULES
            log.info("campaign %s: %s changed since the last review; reviewing open requests again", year, reason)
            result = self.run(year, reason=reason)
            if notifier is not None:
                announce(self.db, result, notifier)
            results.append(result)
        return results

    # -- one campaign ----------------------------------------------------------------------------------------------
    def run(self, year: int, *, reason: str = ON_DEMAND, dry_run: bool = False) -> RereviewResult:
        today = self.today()
        with self.db.session() as session:
            campaign = campaigns.get_by_year(session, year)
            if campaign is None:
                raise ValueError(f"no campaign for reporting year {year}")
            campaign_id = campaign.id
            current = self.basis(session, campaign)
            ctx = self.context(session, campaign.requests[0] if campaign.requests else None, today)
            lists = ("no RMAP list imported" if ctx.rmap is None or not ctx.rmap.has_status_lists
                     else list_label(ctx.rmap.list_date, today, ctx.max_list_age_days).replace("list of", "lists of"))
            todo = [(o.request.id, o.submission.id) for o in review_repo.open_declarations(session, campaign_id)]
        result = RereviewResult(year, reason, lists, dry_run=dry_run,
                                key=RUN_KEY.format(campaign_id=campaign_id, basis=current.key))  # fmt: skip
        for request_id, submission_id in todo:
            try:
                change = self._one(request_id, submission_id, reason, today, dry_run)
            except Exception as exc:  # one bad workbook must not stop the others
                log.warning("request %s could not be reviewed again: %s", request_id, exc, exc_info=True)
                result.failed.append(f"request {request_id}: {type(exc).__name__}: {exc}")
                continue
            result.reviewed += 1
            if change is not None:
                result.changes.append(change)
        if not dry_run:
            with self.db.session() as session:
                runtime.set_value(session, BASIS_KEY.format(campaign_id=campaign_id),
                                  {"lists": current.lists, "rules": current.rules})  # fmt: skip
                runtime.set_value(session, result.key, result.to_json())
                audit.record(session, audit.SYSTEM, "review.repeated", "campaign", campaign_id,
                             {"reason": reason, "reviewed": result.reviewed, "grade_changes": len(result.grade_changes),
                              "changes": len(result.changes), "failed": len(result.failed)},
                             at=self.clock())  # fmt: skip
        return result

    def _one(self, request_id: int, submission_id: int, reason: str, today: dt.date,
             dry_run: bool) -> GradeChange | None:
        with self.db.session() as session:
            request = session.get(Request, request_id)
            submission = message_repo.get_submission(session, submission_id)
            if request is None or submission is None:
                raise ValueError("the workbook is no longer stored")
            try:
                data, filename = attachment_bytes(session, submission), submission.filename
            except BytesMissing:
                raise ValueError("the workbook is no longer stored") from None
            previous = review_repo.latest_reviews(session, [request_id]).get(request_id)
            before_grade = previous.grade if previous is not None else None
            before = list(previous.findings or []) if previous is not None else []
            ctx = self.context(session, request, today)
            supplier_key, supplier_name = request.supplier.external_id, request.supplier.name
        try:
            declaration = read_workbook(data, filename=filename, limits=self.read_limits, passwords=self.passwords)
        except WorkbookError as exc:
            raise ValueError(f"the workbook can no longer be read ({exc.code})") from None
        result = review(declaration, ctx)
        after = [f.to_json() for f in result.findings]
        if before_grade == result.grade.value and sorted(map(finding_key, after)) == sorted(map(finding_key, before)):
            return None
        old_keys = {finding_key(f) for f in supplier_facing(before)}
        new_keys = {finding_key(f) for f in supplier_facing(after)}
        change = GradeChange(
            request_id, supplier_key, supplier_name, before_grade, result.grade.value, None,
            new=[f for f in supplier_facing(after) if finding_key(f) not in old_keys],
            resolved=[f for f in supplier_facing(before) if finding_key(f) not in new_keys],
        )  # fmt: skip
        if dry_run:
            return change
        with self.db.session() as session:
            submission = message_repo.get_submission(session, submission_id)
            assert submission is not None
            stored = message_repo.add_review(
                session, submission, grade=result.grade.value, catalogue_version=result.catalogue_version,
                findings=after, score=result.score, origin=reason, rmap_date=result.rmap_date,
            )  # fmt: skip
            change.review_id = stored.id
        return change


def announce(db: SessionSource, result: RereviewResult, notifier: Notifier) -> bool:
    """Tell the team once: one summary in the channel, a note in each affected supplier's thread. False when there
    is nothing to say or it was said already (the run's key is claimed before posting: a crash loses the message
    rather than posting it twice)."""
    if not result.changes or result.dry_run:
        return False
    claim = f"{result.key}:posted"
    with db.session() as session:
        if runtime.get_value(session, claim) is not None:
            return False
        runtime.set_value(session, claim, {"at": dt.datetime.now(dt.UTC).isoformat()})
    channel = getattr(notifier, "reviews_changed", None)
    if callable(channel):
        channel(result)
    else:
        notifier.team_alert("\n".join(result.lines()))
    for change in result.changes:
        note = f"Reviewed again ({result.lists}): {change.line().split(': ', 1)[1]}."
        if change.new:
            note += " New: " + "; ".join(str(f.get("message", "")) for f in change.new[:3])
        if change.resolved:
            note += " No longer found: " + "; ".join(str(f.get("message", "")) for f in change.resolved[:3])
        note += " Nothing was sent to the supplier."
        notifier.team_alert(note, request_id=change.request_id)
    return True
