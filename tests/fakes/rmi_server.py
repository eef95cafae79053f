"""A local stand-in for RMI's facilities-list export addresses: serves files (or failures) over real HTTP.

``with rmi_server() as rmi:`` starts a ``ThreadingHTTPServer`` on 127.0.0.1; ``rmi.serve(path, body, filename=...)``
answers ``GET path`` with the bytes (and a ``Content-Disposition`` file name when given), ``rmi.fail(path, 500)``
with an HTTP error, ``rmi.truncate(path, body)`` with a body cut in the middle while ``Content-Length`` promises
all of it (the connection closes early, as on a dropped download). ``rmi.url(path)`` is the full address and
``rmi.hits`` counts the requests per path.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class _Route:
    status: int = 200
    body: bytes = b""
    filename: str | None = None
    cut_at: int | None = None  # send only this many bytes of ``body`` (Content-Length says all of it)


@dataclass
class FakeRmi:
    port: int = 0
    routes: dict[str, _Route] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes, *, filename: str | None = None) -> str:
        self.routes[path] = _Route(200, body, filename)
        return self.url(path)

    def fail(self, path: str, status: int = 500) -> str:
        self.routes[path] = _Route(status, b"Internal Server Error")
        return self.url(path)

    def truncate(self, path: str, body: bytes, *, filename: str | None = None) -> str:
        self.routes[path] = _Route(200, body, filename, cut_at=len(body) // 2)
        return self.url(path)


@contextmanager
def rmi_server() -> Iterator[FakeRmi]:
    fake = FakeRmi()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.hits[self.path] += 1
            route = fake.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.status != 200:
                self.send_response(route.status)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.ms-excel")
            self.send_header("Content-Length", str(len(route.body)))
            if route.filename:
                self.send_header("Content-Disposition", f'attachment; filename="{route.filename}"')
            self.end_headers()
            self.wfile.write(route.body if route.cut_at is None else route.body[: route.cut_at])
            if route.cut_at is not None:
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
