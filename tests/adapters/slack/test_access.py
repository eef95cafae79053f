"""Who may act: listed users, user-group members, channel members (paged); cached; fails closed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.slack_app import build_client
from handlers.slack.access import AccessPolicy
from tests.fakes.slack_api import Call, FakeSlackAPI


@pytest.fixture
def api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def client(api: FakeSlackAPI) -> WebClient:
    return build_client("xoxb-test", api.base_url, rate_limit_retries=1)


def test_listed_users_need_no_slack_call(api: FakeSlackAPI, client: WebClient) -> None:
    policy = AccessPolicy(channel="C1", allowed_users=["UBOSS"])
    assert policy.is_allowed("UBOSS", client)
    assert not policy.is_allowed(None, client)
    assert api.calls == []


def test_group_members_may_act_and_membership_is_cached(api: FakeSlackAPI, client: WebClient) -> None:
    api.usergroups["S1"] = ["UG1", "UG2"]
    clock = [0.0]
    policy = AccessPolicy(allowed_group="S1", ttl=60, monotonic=lambda: clock[0])
    assert policy.is_allowed("UG1", client) and policy.is_allowed("UG2", client)
    assert not policy.is_allowed("UX", client)
    assert len(api.calls_to("usergroups.users.list")) == 1
    clock[0] = 61.0
    api.usergroups["S1"] = ["UG2"]
    assert not policy.is_allowed("UG1", client)
    assert len(api.calls_to("usergroups.users.list")) == 2


def test_channel_members_are_read_across_pages(api: FakeSlackAPI, client: WebClient) -> None:
    def paged(call: Call) -> dict[str, Any]:
        if not call.args.get("cursor"):
            return {"ok": True, "members": ["U1"], "response_metadata": {"next_cursor": "page2"}}
        return {"ok": True, "members": ["U2"], "response_metadata": {"next_cursor": ""}}

    with api.answering("conversations.members", paged):
        policy = AccessPolicy(channel="C1")
        assert policy.is_allowed("U2", client)
    assert [c.args.get("cursor") for c in api.calls_to("conversations.members")] == [None, "page2"]


def test_slack_errors_fail_closed(api: FakeSlackAPI, client: WebClient) -> None:
    api.channel_members["C1"] = ["U1"]
    with api.answering("conversations.members", lambda _c: {"ok": False, "error": "channel_not_found"}):
        assert not AccessPolicy(channel="C1").is_allowed("U1", client)
    api.fail_next("conversations.members", status=429, retry_after=0, times=5)
    assert not AccessPolicy(channel="C1", allowed_users=["UBOSS"]).is_allowed("U1", client)
