"""A local fake of Slack's Socket Mode WebSocket endpoint, built on ``websockets`` (sync API, in a thread).

Each connecting client gets a ``hello``; the test sends envelopes (``send_envelope``) over the newest connection
and reads the acks the client sends back (``wait_ack``). Give ``url`` to the fake Web API
(``FakeSlackAPI.socket_mode_url``) so that ``apps.connections.open`` hands it out.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
import uuid
from typing import Any

from websockets.sync.server import Server, ServerConnection, serve

HELLO = {
    "type": "hello",
    "num_connections": 1,
    "connection_info": {"app_id": "A1"},
    "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
}


class FakeSocketModeServer:
    def __init__(self) -> None:
        self.connections: list[ServerConnection] = []
        self.received: list[dict[str, Any]] = []
        self.handshakes = 0
        self._new_connection: queue.Queue[ServerConnection] = queue.Queue()
        self._cond = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeSocketModeServer:
        self._server = serve(self._serve, "127.0.0.1", 0, close_timeout=1)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-socket-mode", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                conn.close()
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeSocketModeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "fake Socket Mode server not started"
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link?ticket=fake"

    # ----------------------------------------------------------------------------------------------- serving
    def _serve(self, conn: ServerConnection) -> None:
        with self._cond:
            self.handshakes += 1
            self.connections.append(conn)
        conn.send(json.dumps(HELLO))
        self._new_connection.put(conn)
        try:
            for message in conn:
                data = json.loads(message)
                with self._cond:
                    self.received.append(data)
                    self._cond.notify_all()
        except Exception:
            return

    # ----------------------------------------------------------------------------------------------- test API
    def wait_connection(self, timeout: float = 5.0) -> ServerConnection:
        return self._new_connection.get(timeout=timeout)

    @property
    def current(self) -> ServerConnection:
        with self._cond:
            if not self.connections:
                raise AssertionError("no Socket Mode client connected")
            return self.connections[-1]

    def send_envelope(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        accepts_response_payload: bool | None = None,
    ) -> str:
        """Send one envelope (``slash_commands``, ``interactive`` or ``events_api``); returns its id."""
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": (
                envelope_type == "slash_commands" if accepts_response_payload is None else accepts_response_payload
            ),
        }
        if retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason or "timeout"
        self.current.send(json.dumps(envelope))
        return envelope_id

    def send_disconnect(self, reason: str = "refresh_requested") -> None:
        self.current.send(json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}}))

    def wait_ack(self, envelope_id: str, timeout: float = 3.0) -> dict[str, Any]:
        """The client's ack for ``envelope_id`` (raises AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for message in self.received:
                    if message.get("envelope_id") == envelope_id:
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no ack for envelope {envelope_id} within {timeout} s")
                self._cond.wait(remaining)
