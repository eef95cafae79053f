"""A local fake of the Slack Web API that records every call.

It serves ``http://127.0.0.1:<port>/api/<method>`` from a ``ThreadingHTTPServer`` in a thread. Point a
``slack_sdk.WebClient(base_url=fake.base_url)`` at it (the trailing slash matters). Every request is recorded as a
``Call`` (method, parsed arguments, headers), whether it is answered normally or with an injected failure.

What it answers: ``auth.test``, ``chat.postMessage`` / ``chat.update`` / ``chat.postEphemeral``, ``views.open`` /
``views.update`` / ``views.publish``, ``conversations.members``, ``usergroups.users.list``, the three steps of
``files_upload_v2`` (``files.getUploadURLExternal``, an upload URL on this server, ``files.completeUploadExternal``),
``apps.connections.open`` (with the ``ws://127.0.0.1`` URL of a fake Socket Mode server), ``response_url``
posts (``http://127.0.0.1:<port>/respond/<id>``, recorded as method ``response_url``), and files a user attached
(``fake.add_file(name, data)``): ``files.info`` gives their ``url_private_download`` on this server, where a GET
with a bearer token (recorded as method ``download``) returns the bytes. Any other method gets ``{"ok": true}`` and
is recorded too.

Failures on demand: ``fake.fail_next("chat.postMessage", status=429, retry_after=1)`` answers the next call of
that method with HTTP 429 and ``Retry-After``; ``times=`` repeats it.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.slack_app import stop_server

Answer = Callable[["Call"], dict[str, Any]]


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    status: int = 200
    at: float = field(default_factory=time.monotonic)
    body: bytes = b""

    def json_arg(self, name: str) -> Any:
        """An argument that slack_sdk may have sent JSON-encoded inside a form (blocks, view, files)."""
        value = self.args.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    times: int
    body: dict[str, Any]


class FakeSlackAPI:
    """The fake server; use as a context manager or call ``start()`` / ``stop()``."""

    def __init__(self, *, bot_user_id: str = "UBOT", team_id: str = "T1") -> None:
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.calls: list[Call] = []
        self.uploads: dict[str, bytes] = {}
        self.files: dict[str, tuple[str, bytes]] = {}  # attached by a user: id -> (name, bytes)
        self.channel_members: dict[str, list[str]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.socket_mode_url: str | None = None
        self.answers: dict[str, Answer] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------------------------------------- lifecycle
    def start(self) -> FakeSlackAPI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:  # Web API methods slack_sdk calls with GET (files.info), or a download
                if self.path.startswith("/api/"):
                    fake._handle(self)
                else:
                    fake._download(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        stop_server(self._server, self._thread)
        self._server, self._thread = None, None

    def __enter__(self) -> FakeSlackAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "fake Slack API not started"
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.root_url}respond/{name}"

    # ----------------------------------------------------------------------------------------------- control
    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with ``status`` (and ``Retry-After`` when given)."""
        default = {"ok": False, "error": "ratelimited" if status == 429 else "fatal_error"}
        with self._lock:
            self._failures.setdefault(method, []).append(_Failure(status, retry_after, times, body or default))

    def add_file(self, name: str, data: bytes) -> str:
        """A file a user attached (a modal's file input); returns its id."""
        file_id = f"F{next(self._ids)}"
        with self._lock:
            self.files[file_id] = (name, data)
        return file_id

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        with self._lock:
            return [c.method for c in self.calls]

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``method`` was called at least ``count`` times; returns those calls."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self.calls if c.method == method]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"{method} called {len(found)} time(s), expected {count}; calls: {seen}")
                self._lock.wait(remaining)

    @contextmanager
    def answering(self, method: str, answer: Answer) -> Iterator[None]:
        """Temporarily answer ``method`` with ``answer(call)``."""
        self.answers[method] = answer
        try:
            yield
        finally:
            self.answers.pop(method, None)

    # ----------------------------------------------------------------------------------------------- serving
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        path = urllib.parse.urlsplit(request.path).path
        headers = {k.lower(): v for k, v in request.headers.items()}
        if path.startswith("/upload/"):
            file_id = path.rsplit("/", 1)[-1]
            call = Call("upload", {"file_id": file_id, "length": len(raw)}, headers, body=raw)
            with self._lock:
                self.uploads[file_id] = raw
            self._record(call)
            self._reply(request, 200, "OK", content_type="text/plain")
            return
        if path.startswith("/respond/"):
            args = _parse_body(raw, headers.get("content-type", ""))
            self._record(Call("response_url", {**args, "_name": path.rsplit("/", 1)[-1]}, headers, body=raw))
            self._reply(request, 200, "ok", content_type="text/plain")
            return
        method = path.rsplit("/", 1)[-1]
        args = _parse_body(raw, headers.get("content-type", ""))
        if request.path.count("?"):
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query)
            args.update({k: v[0] for k, v in query.items()})
        call = Call(method, args, headers, body=raw)
        failure = self._take_failure(method)
        if failure is not None:
            call.status = failure.status
            self._record(call)
            extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            self._reply(request, failure.status, json.dumps(failure.body), extra_headers=extra)
            return
        self._record(call)
        answer = self.answers.get(method)
        payload = answer(call) if answer is not None else self._default_answer(call)
        self._reply(request, 200, json.dumps(payload))

    def _download(self, request: BaseHTTPRequestHandler) -> None:
        """GET ``/files/<id>/<name>``: an attached file, only with a bearer token (as Slack's private URLs)."""
        path = urllib.parse.urlsplit(request.path).path
        headers = {k.lower(): v for k, v in request.headers.items()}
        parts = path.split("/")
        file_id = parts[2] if len(parts) > 2 and parts[1] == "files" else ""
        self._record(Call("download", {"file_id": file_id}, headers))
        with self._lock:
            found = self.files.get(file_id)
        if found is None or not headers.get("authorization", "").startswith("Bearer "):
            self._reply(request, 404 if found is None else 403, "not found", content_type="text/plain")
            return
        request.send_response(200)
        request.send_header("Content-Type", "application/octet-stream")
        request.send_header("Content-Length", str(len(found[1])))
        request.end_headers()
        request.wfile.write(found[1])

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            queue = self._failures.get(method)
            if not queue:
                return None
            failure = queue[0]
            failure.times -= 1
            if failure.times <= 0:
                queue.pop(0)
            return failure

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    @staticmethod
    def _reply(
        request: BaseHTTPRequestHandler,
        status: int,
        body: str,
        *,
        content_type: str = "application/json; charset=utf-8",
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode("utf-8")
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(data)))
        for name, value in (extra_headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _default_answer(self, call: Call) -> dict[str, Any]:
        method, args = call.method, call.args
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.test/",
                "team": "Fake",
                "user": "cmrt-bot",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": "B1",
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open":
            if self.socket_mode_url is None:
                return {"ok": False, "error": "no_socket_mode_server"}
            return {"ok": True, "url": self.socket_mode_url}
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            ts = args.get("ts") if method == "chat.update" else self._next_ts()
            message = {"text": args.get("text"), "blocks": call.json_arg("blocks"), "ts": ts}
            answer: dict[str, Any] = {"ok": True, "channel": args.get("channel"), "ts": ts, "message": message}
            if method == "chat.postEphemeral":
                answer = {"ok": True, "message_ts": ts}
            return answer
        if method in ("views.open", "views.update", "views.publish", "views.push"):
            view = call.json_arg("view") or {}
            return {"ok": True, "view": {**view, "id": f"V{next(self._ids)}"}}
        if method == "conversations.members":
            members = self.channel_members.get(str(args.get("channel")), [])
            return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.usergroups.get(str(args.get("usergroup")), [])}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids)}"
            return {"ok": True, "upload_url": f"{self.root_url}upload/{file_id}", "file_id": file_id}
        if method == "files.info":
            with self._lock:
                found = self.files.get(str(args.get("file")))
            if found is None:
                return {"ok": False, "error": "file_not_found"}
            name, data = found
            url = f"{self.root_url}files/{args.get('file')}/{urllib.parse.quote(name)}"
            return {"ok": True, "file": {"id": args.get("file"), "name": name, "size": len(data),
                                         "url_private": url, "url_private_download": url}}  # fmt: skip
        if method == "chat.getPermalink":
            channel, ts = str(args.get("channel")), str(args.get("message_ts") or "")
            return {"ok": True, "channel": channel,
                    "permalink": f"https://fake.slack.test/archives/{channel}/p{ts.replace('.', '')}"}  # fmt: skip
        if method == "files.completeUploadExternal":
            files = call.json_arg("files") or []
            return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        return {"ok": True}


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    text = raw.decode("utf-8", errors="replace")
    if content_type.startswith("application/json"):
        loaded = json.loads(text)
        return loaded if isinstance(loaded, dict) else {"_json": loaded}
    return {k: v[0] if len(v) == 1 else v for k, v in urllib.parse.parse_qs(text, keep_blank_values=True).items()}
