"""Who may act through Slack: listed user ids, members of a user group, or members of the team's channel.

Membership is read from Slack (``usergroups.users.list``, ``conversations.members`` with paging) and cached for
``ttl`` seconds. The policy fails closed: when Slack cannot be asked, only the listed user ids may act.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger("cmbot.slack.access")

REFUSAL = (
    "Sorry, you are not allowed to use cmrt-bot. Ask the compliance team to add you to their channel "
    "or to the bot's list of allowed users."
)


class AccessPolicy:
    def __init__(
        self,
        *,
        channel: str | None = None,
        allowed_users: Iterable[str] = (),
        allowed_group: str | None = None,
        ttl: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.channel = channel
        self.allowed_users = frozenset(allowed_users)
        self.allowed_group = allowed_group
        self.ttl = ttl
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def is_allowed(self, user_id: str | None, client: WebClient) -> bool:
        if not user_id:
            return False
        if user_id in self.allowed_users:
            return True
        if self.allowed_group and user_id in self._members(f"group:{self.allowed_group}", client, self._group):
            return True
        return bool(self.channel and user_id in self._members(f"channel:{self.channel}", client, self._channel))

    def _members(self, key: str, client: WebClient, fetch: Callable[[WebClient], frozenset[str]]) -> frozenset[str]:
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and now - cached[0] < self.ttl:
                return cached[1]
        try:
            members = fetch(client)
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("cannot read %s members from Slack (%s); refusing all but listed users", key, exc)
            return frozenset()
        with self._lock:
            self._cache[key] = (now, members)
        return members

    def _group(self, client: WebClient) -> frozenset[str]:
        response = client.usergroups_users_list(usergroup=str(self.allowed_group))
        return frozenset(response.get("users") or [])

    def _channel(self, client: WebClient) -> frozenset[str]:
        members: set[str] = set()
        cursor: str | None = None
        for _page in range(100):  # 100 pages of 1,000 members is far beyond any compliance team's channel
            response = client.conversations_members(channel=str(self.channel), limit=1000, cursor=cursor)
            members.update(response.get("members") or [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return frozenset(members)
