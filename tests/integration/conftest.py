"""Fixtures of the integration tests that run ``cmrt-bot run`` as a process (helpers: tests/integration/bot_process)."""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Iterator

import pytest

from tests.fakes.slack_api import FakeSlackAPI
from tests.integration.bot_process import BotRun, bot_env


@pytest.fixture
def slack_api() -> Iterator[FakeSlackAPI]:
    """The fake Slack Web API a bot process talks to."""
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def bot_run(tmp_path: pathlib.Path) -> Iterator[Callable[..., BotRun]]:
    """Makes a ``BotRun`` (``bot_run(config, env=..., verbosity=("-vv",), log_name=...)``); at teardown every bot
    process still running is killed and the end of each log is written to stderr."""
    runs: list[BotRun] = []

    def make(
        config: pathlib.Path,
        *,
        env: dict[str, str] | None = None,
        verbosity: tuple[str, ...] = ("-v",),
        log_name: str = "bot.log",
        tail: int = 4000,
    ) -> BotRun:
        run = BotRun(config, tmp_path / log_name, env if env is not None else bot_env(), verbosity, tail)
        runs.append(run)
        return run

    yield make
    for run in runs:
        run.close()
