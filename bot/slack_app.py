"""Build and run the Slack app from the settings: Socket Mode (default) or HTTP with signature verification.

* ``build_client``: a ``WebClient`` on ``api_base_url`` (default Slack's) that retries 429 honouring
  ``Retry-After`` (``RateLimitErrorRetryHandler``) as well as connection errors.
* ``build_app``: the Bolt ``App``; request verification is always on (in HTTP mode every request must carry a
  valid ``X-Slack-Signature`` over a timestamp less than 5 minutes old, else 401).
* ``SocketModeRunner``: ``slack_bolt.adapter.socket_mode.SocketModeHandler`` (the builtin client), ``connect()``
  and ``close()``.
* ``HttpRunner``: the WSGI adapter served by ``wsgiref`` in threads on the configured host and port
  (``App.start`` would bind 0.0.0.0).
* ``build_side``: the parts built once per process (client, notifier, executor), shared by the mail loop, the
  scheduler and the app; ``chat_ops``: what the listeners act through.
* ``SlackService``: the Bolt app on the side's client, its listeners and runner; ``start()`` / ``stop()``.

Secrets are read from the environment variables the settings name; they never appear in logs or errors.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from socketserver import BaseServer, ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.config import SlackSettings
from handlers.report import ReportOptions
from handlers.rollup import RollupOrders
from handlers.slack import register_all
from handlers.slack.access import AccessPolicy
from handlers.slack.deps import ChatOps, InboundAssigner, OutboxReleaser, Outreach, utc_now
from handlers.slack.notifier import SlackNotifier
from store.engine import SessionSource

log = logging.getLogger("cmbot.slack.app")

SLACK_API = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"


class SlackConfigError(ValueError):
    """The Slack part of the configuration cannot work (names the key or environment variable to fix)."""


@dataclass(frozen=True)
class SlackSecrets:
    bot_token: str
    app_token: str | None
    signing_secret: str | None

    def __repr__(self) -> str:  # never print secrets
        return "SlackSecrets(<hidden>)"


def read_secrets(settings: SlackSettings, environ: Mapping[str, str] | None = None) -> SlackSecrets:
    env = os.environ if environ is None else environ

    def need(key: str, name: str, why: str) -> str:
        value = env.get(name, "").strip()
        if not value:
            raise SlackConfigError(f"[slack] {key}: environment variable {name} is empty or unset ({why})")
        return value

    bot_token = need("bot_token_env", settings.bot_token_env, "the bot token, xoxb-…")
    if settings.mode == "socket":
        app_token = need("app_token_env", settings.app_token_env, "Socket Mode needs an app-level token, xapp-…")
        return SlackSecrets(bot_token, app_token, env.get(settings.signing_secret_env) or None)
    if settings.mode == "http":
        secret = need("signing_secret_env", settings.signing_secret_env, "HTTP mode verifies every request with it")
        return SlackSecrets(bot_token, env.get(settings.app_token_env) or None, secret)
    raise SlackConfigError(f"[slack] mode: {settings.mode!r} is not one of socket, http")


def build_client(token: str, api_base_url: str | None = None, *, rate_limit_retries: int = 3) -> WebClient:
    base = (api_base_url or SLACK_API).rstrip("/") + "/"
    client = WebClient(token=token, base_url=base, timeout=30)
    client.retry_handlers = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
    ]
    return client


def build_app(
    client: WebClient,
    *,
    signing_secret: str | None,
    executor: ThreadPoolExecutor | None = None,
    verify_token: bool = True,
) -> App:
    return App(
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=True,
        token_verification_enabled=verify_token,
        listener_executor=executor,
        name="cmrt-bot",
        logger=logging.getLogger("cmbot.slack.bolt"),
    )


class SocketModeRunner:
    def __init__(self, app: App, app_token: str) -> None:
        self.app = app
        self.app_token = app_token
        self.handler: SocketModeHandler | None = None

    def start(self) -> None:
        self.app.client.auth_test()  # a revoked or wrong bot token fails here, with Slack's error
        self.handler = SocketModeHandler(self.app, app_token=self.app_token)
        self.handler.connect()

    def stop(self) -> None:
        if self.handler is None:
            return
        client = self.handler.client
        client.auto_reconnect_enabled = False
        self.handler.close()
        self.handler = None

    def connected(self) -> bool:
        return bool(self.handler is not None and self.handler.client.is_connected())


def stop_server(server: BaseServer | None, thread: threading.Thread | None) -> None:
    """Stop a server started with ``serve_forever`` in ``thread`` (either may be None: not started)."""
    if server is not None:
        server.shutdown()
        server.server_close()
    if thread is not None:
        thread.join(timeout=5)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: %s", format % args)


class HttpRunner:
    def __init__(self, app: App, host: str, port: int, path: str = EVENTS_PATH) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.path = path
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.app.client.auth_test()  # a revoked or wrong bot token fails here, with Slack's error
        wsgi = SlackRequestHandler(self.app, path=self.path)
        self._server = make_server(
            self.host, self.port, wsgi, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="slack-http", daemon=True
        )
        self._thread.start()
        log.info("Slack HTTP endpoint listening on %s:%s%s", self.host, self.port, self.path)

    def stop(self) -> None:
        stop_server(self._server, self._thread)
        self._server, self._thread = None, None

    def connected(self) -> bool:
        """The listener thread runs (or was not started yet)."""
        return self._thread is None or self._thread.is_alive()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"


@dataclass
class SlackSide:
    """The Slack parts a process builds once, without a connection: the secrets, one ``WebClient``, one
    ``SlackNotifier`` (the mail loop, the scheduler and the Slack app all post through it, so its per-request locks
    serialise every post) and the listeners' executor. ``SlackService`` puts the Bolt app on the same client."""

    settings: SlackSettings
    secrets: SlackSecrets
    client: WebClient
    notifier: SlackNotifier
    executor: ThreadPoolExecutor

    @property
    def channel(self) -> str:
        return self.notifier.channel

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def build_side(
    settings: SlackSettings,
    db: SessionSource,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    workers: int = 4,
) -> SlackSide:
    """The client and the notifier from ``[slack]``; a missing token or channel is a ``SlackConfigError`` now,
    an unreachable Slack is not (nothing here connects)."""
    secrets = read_secrets(settings, environ)
    if not settings.channel:
        raise SlackConfigError("[slack] channel: set the id of the compliance team's channel (C…)")
    client = build_client(secrets.bot_token, settings.api_base_url)
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack-listener")
    notifier = SlackNotifier(client, db, settings.channel, clock=clock, upload_workbooks=settings.upload_workbooks)
    return SlackSide(settings, secrets, client, notifier, executor)


def chat_ops(
    side: SlackSide,
    db: SessionSource,
    *,
    outreach: Outreach,
    inbound: InboundAssigner | None = None,
    outbox: OutboxReleaser | None = None,
    report: ReportOptions | None = None,
    rollup: RollupOrders | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
) -> ChatOps:
    """What the listeners (and the digest) act through: the side's notifier and executor, the mail loop's outreach,
    inbound handler and outbox, the rollup orders (``/cmrt rollup``)."""
    settings = side.settings
    access = AccessPolicy(channel=side.channel, allowed_users=settings.allowed_users,
                          allowed_group=settings.allowed_group)  # fmt: skip
    return ChatOps(
        db=db,
        outreach=outreach,
        access=access,
        channel=side.channel,
        notifier=side.notifier,
        clock=clock,
        executor=side.executor,
        inbound=inbound,
        outbox=outbox,
        report=report or ReportOptions(),
        rollup=rollup,
    )


class SlackService:
    """The Bolt app on the side's client, with every listener registered over ``ops``, and its runner (Socket Mode
    or HTTP, from ``[slack] mode``); ``start()`` / ``stop()``. Building it does not connect."""

    def __init__(self, side: SlackSide, ops: ChatOps) -> None:
        self.side = side
        self.ops = ops
        settings = side.settings
        # no auth.test here: Slack being unreachable at start-up must not stop the bot; the runner checks the
        # token when it starts (and the supervisor retries with back-off)
        self.app = build_app(
            side.client, signing_secret=side.secrets.signing_secret, executor=side.executor, verify_token=False
        )
        self.home_cache = register_all(self.app, ops)
        self.runner: SocketModeRunner | HttpRunner
        if settings.mode == "http":
            self.runner = HttpRunner(self.app, settings.http_host, settings.http_port)
        else:
            assert side.secrets.app_token is not None
            self.runner = SocketModeRunner(self.app, side.secrets.app_token)

    def start(self) -> None:
        self.runner.start()

    def stop(self) -> None:
        self.runner.stop()
