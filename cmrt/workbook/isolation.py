"""Run the reader in a separate worker process with hard limits on time and memory.

python-calamine is native code: a crafted workbook can make it allocate hundreds of gigabytes (an ``.xlsx`` of
5 KB with one cell at XFD1048576 aborts the whole process) or spin for many seconds on a damaged ``.xls``.
Neither can be interrupted from Python. So by default ``read_workbook`` sends the bytes to a long-lived worker
process (started once, with an address-space limit) and waits at most ``timeout_seconds``; a worker that
crashes or overruns is killed and replaced, and the caller gets a typed ``WorkbookError``. The round trip costs
a few milliseconds (the bytes and the Declaration are pickled through a pipe).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from cmrt.declaration import Declaration
from cmrt.workbook.errors import ReadLimits, WorkbookError

log = logging.getLogger("cmbot.cmrt.workbook")

_GRACE_SECONDS = 2.0  # the worker's own cooperative timeout normally fires first
_START_SECONDS = 30.0  # a fresh worker imports calamine, openpyxl is not needed


def _serve(conn: Connection, memory_bytes: int) -> None:  # pragma: no cover - runs in the worker process

    os.environ["RUST_BACKTRACE"] = "0"
    with contextlib.suppress(OSError):  # native panics and allocation failures would print to the user's terminal
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ImportError, ValueError, OSError):
        pass
    from cmrt.workbook.reader import read_in_process

    conn.send(("ready",))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        data, filename, limits, passwords = request
        try:
            reply: tuple[Any, ...] = (
                "ok",
                read_in_process(data, filename=filename, limits=limits, passwords=passwords),
            )
        except WorkbookError as exc:
            reply = ("error", exc.code, exc.message)
        except MemoryError:
            reply = ("error", "too_large", "Reading the workbook needed more memory than allowed.")
        except BaseException:  # anything else (a Rust panic included) is a damaged file, never a traceback
            reply = ("error", "corrupt", "The workbook is damaged and cannot be read.")
        conn.send(reply)


class _Worker:
    def __init__(self, memory_bytes: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.memory_bytes = memory_bytes
        self.owner = os.getpid()  # a forked child must not share this worker's pipe
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, memory_bytes), daemon=True, name="cmrt-reader")
        self.process.start()
        child.close()
        if not self.conn.poll(_START_SECONDS) or self.conn.recv() != ("ready",):
            self.stop()
            raise RuntimeError("workbook reader process did not start")

    def alive(self) -> bool:
        return self.process.is_alive()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


_lock = threading.Lock()
_worker: _Worker | None = None


def read_isolated(
    data: bytes,
    *,
    filename: str | None,
    limits: ReadLimits,
    passwords: Sequence[str],
    fallback: Callable[[], Declaration],
) -> Declaration:
    """``read_in_process`` in the worker; ``fallback`` (in-process) only if no worker can be started at all."""
    global _worker
    inner = dataclasses.replace(limits, isolated=False)
    with _lock:
        if _worker is not None and _worker.owner != os.getpid():
            _worker = None  # inherited through fork: leave it to the parent, start our own
        if _worker is None or not _worker.alive() or _worker.memory_bytes != limits.max_memory_bytes:
            if _worker is not None:
                _worker.stop()
            try:
                _worker = _Worker(limits.max_memory_bytes)
            except Exception as exc:  # e.g. a daemonic process may not have children
                _worker = None
                log.warning("reading workbooks in-process: no worker process (%s)", exc)
                return fallback()
        worker = _worker
        try:
            worker.conn.send((data, filename, inner, tuple(passwords)))
            if not worker.conn.poll(limits.timeout_seconds + _GRACE_SECONDS):
                worker.stop()
                _worker = None
                raise WorkbookError("timeout", "Reading the workbook took longer than allowed; it was stopped.")
            reply = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            worker.stop()
            _worker = None
            log.info("workbook reader process ended while reading %s", filename or "(unnamed)")
            raise WorkbookError(
                "corrupt",
                "The workbook is damaged or malformed in a way that makes the reader fail (for example a sheet"
                " claiming billions of cells); it was not read.",
            ) from None
    if reply[0] == "ok":
        result: Declaration = reply[1]
        return result
    raise WorkbookError(reply[1], reply[2])


def shutdown() -> None:
    """Stop the worker process (tests, or before forking)."""
    global _worker
    with _lock:
        if _worker is not None:
            _worker.stop()
            _worker = None
