"""Run the reader in separate worker processes with hard limits on time and memory.

python-calamine is native code: a crafted workbook can make it allocate hundreds of gigabytes (an ``.xlsx`` of
5 KB with one cell at XFD1048576 aborts the whole process) or spin for many seconds on a damaged ``.xls``.
Neither can be interrupted from Python. So by default ``read_workbook`` sends the bytes to a long-lived worker
process (with an address-space limit) and waits at most ``timeout_seconds``; a worker that crashes or overruns is
killed and replaced, and the caller gets a typed ``WorkbookError``. The round trip costs a few milliseconds (the
bytes and the Declaration are pickled through a socket).

``call_isolated(fn, *args, ...)`` runs another task in the same workers (the inbound pipeline parses e-mails there:
the parse then holds neither the caller's interpreter lock nor its memory).

Workers form a pool of at most ``configure(workers=N)`` processes (default: the CPU count), started when first
needed (or launched ahead by ``prestart``, booting while the caller imports what it needs): concurrent callers
(threads) read in parallel, each on a worker of its own. A worker is a fresh interpreter started from the lean
entry point ``cmrt.workbook.worker`` (it imports the reader only, never the caller's ``__main__``); ``ask`` sends
it any of the requests it serves (a read; a read with the workbook's smelter look-up rows). ``interrupt()``
(shutdown) kills the workers; a read in progress then raises ``ReadInterrupted`` -- not a ``WorkbookError``: the
workbook was not found faulty, it was not read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import pathlib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, Pipe
from typing import TYPE_CHECKING, Any

from cmrt.workbook.errors import ReadLimits, WorkbookError

if TYPE_CHECKING:  # unpickling a reply imports it; launching a worker (``prestart``) does not need it
    from cmrt.declaration import Declaration

log = logging.getLogger("cmbot.cmrt.workbook")

_GRACE_SECONDS = 2.0  # the worker's own cooperative timeout normally fires first
_START_SECONDS = 30.0  # a fresh worker imports calamine, openpyxl is not needed
_SLICE_SECONDS = 0.2  # waits are cut in slices so that interrupt() is noticed at once
_REAP_SECONDS = 2.0  # at most this long to collect killed workers (in all, not each)
_ENTRY = "from cmrt.workbook.worker import main; main()"
_ROOT = str(pathlib.Path(__file__).resolve().parents[2])  # the directory holding the cmrt package


class ReadInterrupted(RuntimeError):
    """The reader pool was stopped (shutdown) while this workbook was being read; nothing is known about it."""


class _Worker:
    def __init__(self, memory_bytes: int) -> None:
        self.memory_bytes = memory_bytes
        self.owner = os.getpid()  # a forked child must not share this worker's socket
        self.interrupted = False
        parent, child = Pipe(duplex=True)  # a socket pair: the child's end is inherited as a file descriptor
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH", "")) if p)
        try:
            self.process = subprocess.Popen(
                # -P: the working directory is not put first on sys.path (``-c`` would), so the worker imports the
                # bot's code from _ROOT, never a same-named package where the bot was started (another checkout)
                [sys.executable, "-P", "-c", _ENTRY, str(child.fileno()), str(memory_bytes)],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # a terminal's Ctrl-C goes to the bot, which stops its workers itself
            )
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        self.conn: Connection = parent
        self.ready = False  # the process is booting; ``wait_ready`` waits for its "ready"

    def wait_ready(self) -> None:
        """Wait until the worker has imported the reader; stops it and raises when it does not come up."""
        if self.ready:
            return
        try:
            started = self.poll(_START_SECONDS) and self.conn.recv() == ("ready",)
        except (EOFError, OSError):
            started = False
        if not started:
            self.stop()
            raise RuntimeError("workbook reader process did not start")
        self.ready = True

    def poll(self, seconds: float) -> bool:
        """Wait for a reply up to ``seconds``; raises ``ReadInterrupted`` when ``interrupt()`` stopped the pool."""
        end = time.monotonic() + seconds
        while True:
            if self.interrupted:
                raise ReadInterrupted("the workbook reader was stopped")
            try:
                ready = self.conn.poll(max(0.0, min(_SLICE_SECONDS, end - time.monotonic())))
            except (OSError, ValueError):  # closed by interrupt() meanwhile
                if self.interrupted:
                    raise ReadInterrupted("the workbook reader was stopped") from None
                raise
            if self.interrupted:  # the kill woke the wait: the end of the socket is no reply
                raise ReadInterrupted("the workbook reader was stopped")
            if ready:
                return True
            if time.monotonic() >= end:
                return False

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """Close the socket and kill the process, without waiting for it (a killed worker ends at once)."""
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.process.kill()

    def reap(self, seconds: float) -> None:
        """Wait up to ``seconds`` for the killed process to end (collecting it, so no zombie is left)."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=max(0.0, seconds))

    def stop(self) -> None:
        self.kill()
        self.reap(_REAP_SECONDS)


class _Pool:
    def __init__(self, size: int) -> None:
        self.size = size
        self.idle: list[_Worker] = []
        self.busy: set[_Worker] = set()
        self.starting = 0
        self.generation = 0  # one more at each interrupt(): a caller waiting since before it is interrupted too
        self.cond = threading.Condition()

    def acquire(self, memory_bytes: int) -> _Worker:
        """An idle worker with this memory limit (one ``prestart`` launched may still be booting: it is waited
        for), or a new one while the pool has room; else wait for one."""
        worker = self._take(memory_bytes)
        try:
            worker.wait_ready()  # ReadInterrupted when interrupt() came meanwhile
        except BaseException:
            self.release(worker, keep=False)
            raise
        return worker

    def _take(self, memory_bytes: int) -> _Worker:
        with self.cond:
            generation = self.generation
            while True:
                if self.generation != generation:  # interrupt() while waiting for a worker: this task stops too
                    raise ReadInterrupted("the workbook reader was stopped")
                self._forget_foreign()
                while self.idle:
                    worker = self.idle.pop()
                    if worker.alive() and worker.memory_bytes == memory_bytes:
                        self.busy.add(worker)
                        return worker
                    worker.stop()
                if len(self.busy) + self.starting < self.size:
                    self.starting += 1  # start it outside the lock: others may use idle workers meanwhile
                    break
                self.cond.wait(_SLICE_SECONDS)
        try:
            worker = _Worker(memory_bytes)
        except BaseException:
            with self.cond:
                self.starting -= 1
                self.cond.notify()
            raise
        with self.cond:  # one step: the pool never counts this worker neither starting nor busy
            self.starting -= 1
            self.busy.add(worker)
            # started while interrupt() ran: it was not among the workers stopped, so it is stopped as it comes up
            worker.interrupted = self.generation != generation
        return worker

    def launch(self, memory_bytes: int) -> None:
        """Start one worker without waiting for it (it boots while the caller goes on), unless one is there."""
        with self.cond:
            self._forget_foreign()
            if self.idle or self.busy or self.starting:
                return
            self.idle.append(_Worker(memory_bytes))

    def release(self, worker: _Worker, *, keep: bool) -> None:
        with self.cond:
            self.busy.discard(worker)
            if keep and not worker.interrupted and worker.alive():
                self.idle.append(worker)
            else:
                worker.stop()
            self.cond.notify()

    def _forget_foreign(self) -> None:
        """Workers inherited through fork belong to the parent: leave them alone and start our own."""
        self.idle = [w for w in self.idle if w.owner == os.getpid()]
        self.busy = {w for w in self.busy if w.owner == os.getpid()}

    def stop_all(self, *, interrupt: bool) -> None:
        """Kill the idle workers (and with ``interrupt`` the busy ones, and end every wait for a worker), then
        collect them within ``_REAP_SECONDS`` in all: never a wait per worker, none while holding the lock."""
        with self.cond:
            workers = [*self.idle, *self.busy] if interrupt else list(self.idle)
            workers = [w for w in workers if w.owner == os.getpid()]
            self.idle = []
            if interrupt:
                self.generation += 1
            for worker in workers:
                worker.interrupted = interrupt or worker.interrupted
                worker.kill()
            self.cond.notify_all()
        end = time.monotonic() + _REAP_SECONDS
        for worker in workers:
            worker.reap(end - time.monotonic())


_pool = _Pool(max(1, os.cpu_count() or 1))


def configure(*, workers: int | None) -> None:
    """At most ``workers`` reader processes at once (None or 0: the CPU count)."""
    size = workers if workers and workers > 0 else max(1, os.cpu_count() or 1)
    with _pool.cond:
        _pool.size = size
        _pool.cond.notify_all()


def pool_size() -> int:
    return _pool.size


def prestart(limits: ReadLimits) -> None:
    """Launch one worker now, without waiting for it: it imports the reader while the caller imports what it
    needs, and the first read takes it. Does nothing when the reader runs in-process, a worker is already there,
    or none can be started (the read then says why)."""
    if not limits.isolated:
        return
    with contextlib.suppress(Exception):
        _pool.launch(limits.max_memory_bytes)


def read_isolated(
    data: bytes,
    *,
    filename: str | None,
    limits: ReadLimits,
    passwords: Sequence[str],
    fallback: Callable[[], Declaration],
) -> Declaration:
    """``read_in_process`` in a worker; ``fallback`` (in-process) only if no worker can be started at all."""
    inner = dataclasses.replace(limits, isolated=False)
    result: Declaration = ask((data, filename, inner, tuple(passwords)), filename=filename, limits=limits,
                              fallback=fallback)  # fmt: skip
    return result


def ask(request: tuple[Any, ...], *, filename: str | None, limits: ReadLimits, fallback: Callable[[], Any]) -> Any:
    """One request to a worker (``cmrt.workbook.worker.serve`` names them) under ``limits``' time and memory caps:
    its answer, or ``WorkbookError`` (the worker's own, a timeout, or a worker that died on the file);
    ``fallback`` (in-process) only if no worker can be started at all."""
    try:
        worker = _pool.acquire(limits.max_memory_bytes)
    except ReadInterrupted:  # stopped while the worker was starting: not read, and not in this process either
        raise
    except Exception as exc:
        log.warning("reading workbooks in-process: no worker process (%s)", exc)
        return fallback()
    keep = False
    try:
        worker.conn.send(request)
        if not worker.poll(limits.timeout_seconds + _GRACE_SECONDS):
            raise WorkbookError("timeout", "Reading the workbook took longer than allowed; it was stopped.")
        reply: tuple[Any, ...] = worker.conn.recv()
        keep = True
    except (EOFError, OSError, BrokenPipeError):
        if worker.interrupted:
            raise ReadInterrupted("the workbook reader was stopped") from None
        log.info("workbook reader process ended while reading %s", filename or "(unnamed)")
        raise WorkbookError(
            "corrupt",
            "The workbook is damaged or malformed in a way that makes the reader fail (for example a sheet"
            " claiming billions of cells); it was not read.",
        ) from None
    finally:
        _pool.release(worker, keep=keep)
    if reply[0] == "ok":
        return reply[1]
    raise WorkbookError(reply[1], reply[2])


class WorkerFailed(RuntimeError):
    """A task run with ``call_isolated`` did not come back: the worker process ended (a crash, the memory cap) or
    overran its time and was stopped."""


def call_isolated(fn: Callable[..., Any], *args: Any, memory_bytes: int, timeout_seconds: float) -> Any:
    """``fn(*args)`` in a reader worker (the same pool, caps and shutdown as ``read_isolated``) and its result.

    ``fn`` is sent by reference (pickled as module and name): the worker imports its module on first use, so a
    task from another package costs the worker that package's imports, never the caller's ``__main__``. What ``fn``
    raises is raised here; ``WorkerFailed`` when the worker ended or overran ``timeout_seconds``,
    ``ReadInterrupted`` when ``interrupt()`` stopped the pool meanwhile."""
    worker = _pool.acquire(memory_bytes)
    keep = False
    try:
        worker.conn.send(("call", fn, args))
        if not worker.poll(timeout_seconds + _GRACE_SECONDS):
            raise WorkerFailed(f"{getattr(fn, '__name__', fn)} took longer than {timeout_seconds:.0f} s; stopped")
        reply: tuple[Any, ...] = worker.conn.recv()
        keep = True
    except (EOFError, OSError, BrokenPipeError):
        if worker.interrupted:
            raise ReadInterrupted("the worker was stopped") from None
        raise WorkerFailed(f"the worker process ended while running {getattr(fn, '__name__', fn)}") from None
    finally:
        _pool.release(worker, keep=keep)
    if reply[0] == "ok":
        return reply[1]
    raise reply[1]


def interrupt() -> None:
    """Stop every worker now (shutdown): reads in progress raise ``ReadInterrupted``; later reads start afresh."""
    _pool.stop_all(interrupt=True)


def shutdown() -> None:
    """Stop the idle workers (tests, or before forking)."""
    _pool.stop_all(interrupt=False)
