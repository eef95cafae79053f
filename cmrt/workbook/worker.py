"""The reader worker's entry point: a fresh interpreter that imports the reader and nothing else.

``cmrt.workbook.isolation`` starts it as ``python -c "from cmrt.workbook.worker import main; main()" FD BYTES``
(not ``multiprocessing``'s ``spawn``, which re-imports the parent's ``__main__`` module -- the whole CLI and its
store -- in every worker). ``FD`` is the worker's end of a socket pair, spoken to with
``multiprocessing.connection.Connection`` (pickled requests and replies); ``BYTES`` the address-space limit.
"""

from __future__ import annotations

import contextlib
import os
import sys
from multiprocessing.connection import Connection
from typing import Any


def serve(conn: Connection, memory_bytes: int) -> None:  # pragma: no cover - runs in the worker process
    """Answer read requests (``_answer``) and task requests ``("call", fn, args)`` (``isolation.call_isolated``)
    until the parent closes its end."""
    os.environ["RUST_BACKTRACE"] = "0"
    with contextlib.suppress(OSError):  # native panics and allocation failures would print to the user's terminal
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ImportError, ValueError, OSError):
        pass
    from cmrt.workbook.errors import WorkbookError
    from cmrt.workbook.reader import read_in_process  # noqa: F401 - imported before "ready": reads start at once

    conn.send(("ready",))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        is_call = len(request) == 3 and request[0] == "call"
        if is_call:  # call_isolated: another task, its result or its exception
            reply: tuple[Any, ...] = _call(request[1], request[2])
        else:
            try:
                reply = ("ok", _answer(request))
            except WorkbookError as exc:
                reply = ("error", exc.code, exc.message)
            except MemoryError:
                reply = ("error", "too_large", "Reading the workbook needed more memory than allowed.")
            except BaseException:  # anything else (a Rust panic included) is a damaged file, never a traceback
                reply = ("error", "corrupt", "The workbook is damaged and cannot be read.")
        del request
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
        except Exception as exc:  # the result or exception does not pickle: an answer of the shape the caller reads
            why = f"the worker's answer could not be sent back ({type(exc).__name__})"
            unsent = "The reading of the workbook could not be passed back; it was not read."
            conn.send(("raised", RuntimeError(why)) if is_call else ("error", "corrupt", unsent))


def _call(fn: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:  # pragma: no cover - runs in the worker process
    try:
        return ("ok", fn(*args))
    except MemoryError:
        return ("raised", MemoryError("the task needed more memory than allowed"))
    except Exception as exc:
        return ("raised", exc)


def _answer(request: tuple[Any, ...]) -> Any:  # pragma: no cover - runs in the worker process
    """A read ``(data, filename, limits, passwords)`` -> ``Declaration``; ``("read+lookup", data, filename, limits,
    passwords)`` -> the ``Declaration`` and the rows of the workbook's own smelter look-up sheet
    (``cmrt.workbook.reader.read_with_lookup``)."""
    from cmrt.workbook.reader import read_in_process, read_with_lookup

    if request[0] == "read+lookup":
        _, data, filename, limits, passwords = request
        return read_with_lookup(data, filename=filename, limits=limits, passwords=passwords)
    data, filename, limits, passwords = request
    return read_in_process(data, filename=filename, limits=limits, passwords=passwords)


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - runs in the worker process
    args = sys.argv[1:] if argv is None else argv
    fd, memory_bytes = int(args[0]), int(args[1])
    serve(Connection(fd), memory_bytes)
