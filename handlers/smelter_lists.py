"""Fetching RMI's lists: download every configured list, check each, import them all or none, say what changed.

Used by ``cmrt-bot smelters fetch`` and by the refresh job of ``cmrt-bot run``. A list without a date in its file
or sheet name (RMI's Conformant export has none) is dated the day it was downloaded: it is RMI's list as of that
day. Any problem (offline, an HTTP error, a truncated or foreign file, a list that shrank by more than half) leaves
the stored lists exactly as they were; the report says why, and the caller logs a warning.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cmrt.smelters import ListKind, RmapStatus, RmiImportError, RmiList, load_rmi_file
from cmrt.smelters.changes import MetalChanges, check_download, list_changes
from mail.smtp import Backoff
from store import audit, runtime
from store import smelters as repo
from store.engine import SessionSource

log = logging.getLogger("cmbot.smelters")

FETCH_STATE = "smelter_lists_fetch"  # bot_state: last try, last success, failures in a row, next try, last problem
RETRY_FIRST = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Download:
    name: str  # the file name the server gave (Content-Disposition), else the URL's last part
    data: bytes


class DownloadError(Exception):
    """A list could not be downloaded (offline, timeout, an HTTP error, too large); the message says which."""


class Downloader(Protocol):
    def __call__(self, url: str) -> Download: ...


@dataclass
class FetchReport:
    imported: list[dict[str, Any]] = field(default_factory=list)  # kind, file, list_date, rows, status
    problems: list[str] = field(default_factory=list)
    changes: dict[str, MetalChanges] = field(default_factory=dict)
    list_date: dt.date | None = None  # of the RMAP status lists after the fetch

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def new_lists(self) -> bool:
        """True when at least one list was stored (an unchanged download stores nothing)."""
        return any(item["status"] == "imported" for item in self.imported)

    def lines(self) -> list[str]:
        if not self.ok:
            return ["RMI's lists were NOT updated; the previous lists are kept:", *(f"  {p}" for p in self.problems)]
        out = [
            f"{i['kind']} list of {i['list_date'] or 'undated'}: {i['rows']} rows, {i['status']} ({i['file']})"
            for i in self.imported
        ]
        if self.changes:
            out.append("Changes: " + "; ".join(c.summary() for c in self.changes.values()) + ".")
        elif self.new_lists:
            out.append("No facility changed status.")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "imported": self.imported,
            "problems": self.problems,
            "changes": {metal: c.to_json() for metal, c in self.changes.items()},
            "rmap_list_date": self.list_date.isoformat() if self.list_date else None,
        }


def _status(lists: Sequence[RmiList]) -> RmapStatus | None:
    status_lists = [item for item in lists if item.kind is not ListKind.REFERENCE]
    return RmapStatus.from_lists(status_lists) if status_lists else None


def fetch_lists(
    db: SessionSource,
    urls: Sequence[tuple[str, str]],
    download: Downloader,
    *,
    today: dt.date,
    actor: str = audit.SYSTEM,
) -> FetchReport:
    """Download ``urls`` ((kind, URL) pairs), check and import them in one transaction; never half a set."""
    report = FetchReport()
    if not urls:
        report.problems.append("no list address is configured ([smelters] conformant_url, active_url, ...)")
        return report
    with db.session() as session:  # the reference lists (one per template family) are not compared
        previous: dict[ListKind, RmiList] = {
            item.kind: item for item in repo.latest_rmi_lists(session) if item.kind is not ListKind.REFERENCE
        }
    fetched: list[tuple[RmiList, str]] = []
    for kind, url in urls:
        try:
            got = download(url)
            item = load_rmi_file(got.name, got.data)
        except (DownloadError, RmiImportError) as exc:
            report.problems.append(f"{kind} ({url}): {exc}")
            continue
        if item.list_date is None:
            item = dataclasses.replace(item, list_date=today)
        problems = check_download(ListKind(kind), item, previous.get(item.kind), today)
        report.problems += [f"{kind} ({url}): {p}" for p in problems]
        fetched.append((item, hashlib.sha256(got.data).hexdigest()))
    if report.problems:
        log.warning("RMI's lists were not updated (previous lists kept): %s", "; ".join(report.problems))
        return report
    before = _status(list(previous.values()))
    with db.session() as session:  # one unit of work: every list, or (on any error) none
        stored = repo.import_lists(session, fetched)
        after_lists = repo.latest_rmi_lists(session)
        after = _status(after_lists)
        for item, row, new in stored:
            report.imported.append({
                "kind": item.kind.value, "file": item.source_name, "list_id": row.id, "rows": len(item),
                "list_date": item.list_date.isoformat() if item.list_date else None,
                "status": "imported" if new else "unchanged",
            })  # fmt: skip
        if after is not None:
            report.changes = list_changes(before, after)
            report.list_date = after.list_date
        audit.record(session, actor, "smelter_lists.fetched", "smelter_list", None, {
            "imported": [i for i in report.imported if i["status"] == "imported"],
            "changes": {metal: {k: len(v) for k, v in c.to_json().items()} for metal, c in report.changes.items()},
        })  # fmt: skip
    log.info("RMI's lists fetched: %s", "; ".join(report.lines()))
    return report


def retry_after(failures: int, refresh: dt.timedelta, rnd: random.Random | None = None) -> dt.timedelta:
    """The wait after ``failures`` failed fetches in a row: an hour, doubling, capped at ``refresh``, +-10 % jitter."""
    backoff = Backoff(base=RETRY_FIRST.total_seconds(), cap=refresh.total_seconds(), jitter=(0.9, 1.1))
    return dt.timedelta(seconds=backoff.delay(failures - 1, rnd))


def fetch_when_due(
    db: SessionSource,
    urls: Sequence[tuple[str, str]],
    download: Downloader,
    *,
    refresh: dt.timedelta,
    now: dt.datetime,
    today: dt.date,
) -> FetchReport | None:
    """Fetch when ``refresh`` has passed since the last success, or the capped back-off (with jitter) after a
    failure: never in a tight loop. The try, its outcome and the next try are kept in ``bot_state``
    (``cmrt-bot status`` shows them). None when nothing was due."""
    with db.session() as session:
        state: dict[str, Any] = runtime.get_value(session, FETCH_STATE) or {}
    due = state.get("next_try")
    if due is not None and dt.datetime.fromisoformat(due) > now:
        return None
    report = fetch_lists(db, urls, download, today=today)
    failures = 0 if report.ok else int(state.get("failures", 0)) + 1
    wait = refresh if report.ok else retry_after(failures, refresh)
    state.update(last_try=now.isoformat(), failures=failures, next_try=(now + wait).isoformat(),
                 last_problem="; ".join(report.problems) or None)  # fmt: skip
    if report.ok:
        state["last_success"] = now.isoformat()
        state["last_changes"] = [c.summary() for c in report.changes.values()]
    with db.session() as session:
        runtime.set_value(session, FETCH_STATE, state)
    if not report.ok:
        log.warning("RMI's lists could not be fetched (try %d; next try %s); the previous lists are kept",
                    failures, state["next_try"])  # fmt: skip
    return report
