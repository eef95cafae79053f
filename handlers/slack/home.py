"""App Home: the campaign dashboard: the figures (``cmrt.figures``), then "needs a decision", "questions waiting",
"overdue", "bounced" and what is assigned to the viewer, each request with its main button and a link to its
thread (``chat.getPermalink``).

``views.publish`` is tightly rate limited, so an identical view is not published again within
``ops.home_cache_seconds`` for the same user.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from handlers.slack import blocks
from handlers.slack.access import REFUSAL
from handlers.slack.deps import ChatOps
from handlers.slack.guard import claim, dedupe_key
from handlers.slack.queries import RequestView, campaign_stats, campaign_views, find_campaign
from handlers.slack.text import header, section

log = logging.getLogger("cmbot.slack.home")


class PublishCache:
    """Remembers the last view published per user, to skip identical re-publishes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def fresh(self, user_id: str, digest: str) -> bool:
        with self._lock:
            last = self._last.get(user_id)
            return last is not None and last[0] == digest and time.monotonic() - last[1] < self.seconds

    def remember(self, user_id: str, digest: str) -> None:
        with self._lock:
            self._last[user_id] = (digest, time.monotonic())


def build_home(ops: ChatOps, user_id: str, client: WebClient | None = None) -> dict[str, Any]:
    now = ops.clock()
    with ops.db.read_session() as session:
        campaign = find_campaign(session)
        if campaign is None:
            return blocks.home_view(None, [], user_id, now)
        stats = campaign_stats(session, campaign, ops.report, now)
        views = campaign_views(session, campaign)
        mine = [v for v in views if v.assignee == user_id]
    links = permalinks(client, blocks.home_requests(stats, views, mine)) if client is not None else {}
    return blocks.home_view(stats, mine, user_id, now, views=views, permalinks=links)


def permalinks(client: WebClient, views: list[RequestView]) -> dict[int, str]:
    """request id -> the link to its thread (``chat.getPermalink``); requests without a thread have none."""
    out: dict[int, str] = {}
    for view in views:
        if not view.slack_channel or not view.slack_ts:
            continue
        try:
            answer = client.chat_getPermalink(channel=view.slack_channel, message_ts=view.slack_ts)
            link = str(answer.get("permalink") or "")
        except Exception:
            log.warning("no permalink for request %s", view.request_id, exc_info=True)
            continue
        if link.startswith("https://"):
            out[view.request_id] = link
    return out


def publish_home(ops: ChatOps, client: WebClient, user_id: str, cache: PublishCache) -> bool:
    """Publish the dashboard for ``user_id``; False when the cached identical view was still fresh."""
    if ops.access.is_allowed(user_id, client):
        view = build_home(ops, user_id, client)
    else:
        view = {"type": "home", "blocks": [header("cmrt-bot"), section(REFUSAL)]}
    # the timestamp line changes every minute; compare the view without it
    digest = hashlib.sha256(json.dumps(view["blocks"][:-1], sort_keys=True).encode()).hexdigest()
    if cache.fresh(user_id, digest):
        return False
    client.views_publish(user_id=user_id, view=view)
    cache.remember(user_id, digest)
    return True


def register(app: App, ops: ChatOps) -> PublishCache:
    cache = PublishCache(ops.home_cache_seconds)

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") != "home" or not event.get("user"):
            return
        key = dedupe_key(body)
        if key is not None and not claim(ops, key, kind="app_home_opened", user_id=event.get("user")):
            return
        try:
            publish_home(ops, client, str(event["user"]), cache)
        except Exception:
            log.exception("publishing the App Home failed")

    return cache
