"""The reader's worker pool: a lean entry point, parallel workers up to [reader] workers, interruptible waits."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import threading
import time

import pytest

from cmrt.workbook import ReadLimits, isolation, read_workbook
from cmrt.workbook.factory import build_cmrt

ROOT = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _fresh_pool() -> object:
    isolation.interrupt()
    yield
    isolation.interrupt()
    isolation.configure(workers=None)


def test_the_worker_does_not_import_the_callers_main_module(tmp_path: pathlib.Path) -> None:
    """A worker started from a script must not run the script's imports again (multiprocessing's spawn does):
    the script counts its own imports in a file; only the parent's is there."""
    marker = tmp_path / "imports.txt"
    script = tmp_path / "bot_script.py"
    script.write_text(
        "import os, sys\n"
        f"open({str(marker)!r}, 'a').write(f'{{os.getpid()}}\\n')\n"
        "from cmrt.workbook import read_workbook\n"
        "from cmrt.workbook.factory import build_cmrt\n"
        "if __name__ == '__main__':\n"
        "    d = read_workbook(build_cmrt())\n"
        "    assert d.company.name, d\n"
        "    import cmrt.workbook.isolation as iso\n"
        "    assert iso._pool.idle, 'read in-process instead of in a worker'\n"
        "    print(iso._pool.idle[0].process.pid)\n"
    )
    out = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    worker_pid = int(out.stdout.strip())
    lines = marker.read_text().split()
    assert len(lines) == 1 and int(lines[0]) != worker_pid


def _read_concurrently(data: bytes, threads: int) -> tuple[list[object], int]:
    results: list[object] = []
    peak = 0
    lock = threading.Lock()

    def one() -> None:
        nonlocal peak
        result = read_workbook(data)
        with lock:
            results.append(result)
            peak = max(peak, len(isolation._pool.busy) + len(isolation._pool.idle))

    pool = [threading.Thread(target=one) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    return results, peak


def test_concurrent_reads_use_a_worker_each_up_to_the_pool_size() -> None:
    data = build_cmrt()
    expected = read_workbook(data, limits=ReadLimits(isolated=False))
    for size, threads in ((2, 4), (1, 3)):
        isolation.interrupt()
        isolation.configure(workers=size)
        results, peak = _read_concurrently(data, threads)
        assert results == [expected] * threads
        assert 1 <= peak <= size
        assert len(isolation._pool.idle) <= size and not isolation._pool.busy


def test_interrupt_ends_a_read_in_progress_at_once() -> None:
    """Shutdown must not wait for a read's time limit (30 s by default): the read raises ReadInterrupted (not a
    WorkbookError: the workbook is not faulty, it was not read), and the next read starts a fresh worker."""
    worker = isolation._pool.acquire(ReadLimits().max_memory_bytes)
    raised: list[BaseException] = []

    def wait() -> None:
        try:
            worker.poll(30.0)  # nothing was sent: only interrupt() ends this
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=wait)
    thread.start()
    began = time.monotonic()
    isolation.interrupt()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - began < 2.0
    assert raised and isinstance(raised[0], isolation.ReadInterrupted)
    isolation._pool.release(worker, keep=True)
    assert not isolation._pool.idle  # an interrupted worker is not reused
    assert read_workbook(build_cmrt()).company.name


def test_interrupt_ends_the_tasks_waiting_for_a_worker_too() -> None:
    """Shutdown while a worker is busy with a long task and another task waits for a worker (the pool is full): both
    raise ReadInterrupted at once. The waiting one used to take a fresh worker after the interrupt and run its whole
    task, holding the shutdown (the bot's read-ahead threads are joined when the process exits)."""
    isolation.configure(workers=1)
    limits = ReadLimits()
    outcomes: dict[str, BaseException | None] = {}

    def task(name: str) -> None:
        try:
            isolation.call_isolated(time.sleep, 60, memory_bytes=limits.max_memory_bytes, timeout_seconds=60)
            outcomes[name] = None
        except BaseException as exc:
            outcomes[name] = exc

    busy = threading.Thread(target=task, args=("busy",))
    busy.start()
    deadline = time.monotonic() + 60
    while not (isolation._pool.busy and all(w.ready for w in isolation._pool.busy)):  # the long task is running
        assert time.monotonic() < deadline and busy.is_alive()
        time.sleep(0.05)
    waiting = threading.Thread(target=task, args=("waiting",))
    waiting.start()
    time.sleep(0.5)  # it waits for the one worker
    began = time.monotonic()
    isolation.interrupt()
    busy.join(5)
    waiting.join(5)
    assert not busy.is_alive() and not waiting.is_alive(), "a task outlived the interrupt"
    assert time.monotonic() - began < 3.0
    assert isinstance(outcomes["busy"], isolation.ReadInterrupted)
    assert isinstance(outcomes["waiting"], isolation.ReadInterrupted)
    assert not isolation._pool.busy and not isolation._pool.starting
    assert isolation.call_isolated(abs, -2, memory_bytes=limits.max_memory_bytes, timeout_seconds=30) == 2  # afresh


def _origin_of(name: str) -> str | None:
    import importlib.util

    spec = importlib.util.find_spec(name)
    return spec.origin if spec is not None else None


def test_a_worker_imports_the_bots_code_not_the_working_directorys(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started in another checkout (a benchmark's --baseline, a shell in a different worktree), the workers still run
    the code the bot was imported from: ``python -c`` would put the working directory first on sys.path."""
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "__init__.py").write_text("")
    monkeypatch.chdir(tmp_path)
    limits = ReadLimits()
    origin = isolation.call_isolated(_origin_of, "mail", memory_bytes=limits.max_memory_bytes, timeout_seconds=30)
    assert origin == str(ROOT / "mail" / "__init__.py")


def test_call_isolated_runs_a_task_in_a_worker_and_raises_what_it_raises() -> None:
    """``call_isolated`` (the inbound pipeline parses e-mails with it): the task runs in a worker process, its
    exception comes back as itself, and a worker that dies is a ``WorkerFailed`` after which the pool still works."""
    import operator
    import os

    limits = ReadLimits()
    pid = isolation.call_isolated(os.getpid, memory_bytes=limits.max_memory_bytes, timeout_seconds=10)
    assert isinstance(pid, int) and pid != os.getpid()
    with pytest.raises(ZeroDivisionError):
        isolation.call_isolated(operator.truediv, 1, 0, memory_bytes=limits.max_memory_bytes, timeout_seconds=10)
    with pytest.raises(isolation.WorkerFailed):
        isolation.call_isolated(os._exit, 3, memory_bytes=limits.max_memory_bytes, timeout_seconds=10)
    assert isolation.call_isolated(operator.add, 2, 3, memory_bytes=limits.max_memory_bytes, timeout_seconds=10) == 5


def test_prestart_launches_a_worker_that_the_first_read_takes() -> None:
    """``prestart`` does not wait for the worker (it boots while the caller imports), and the first read uses that
    worker instead of starting a second one beside it (``check`` on two cores: one process, not two)."""
    isolation.configure(workers=2)
    limits = ReadLimits()
    isolation.prestart(limits)
    launched = list(isolation._pool.idle)
    assert len(launched) == 1 and not launched[0].ready
    isolation.prestart(limits)  # one is there: nothing more
    assert isolation._pool.idle == launched
    assert read_workbook(build_cmrt(), limits=limits).company.name
    assert isolation._pool.idle == launched and launched[0].ready and not isolation._pool.busy


def test_a_read_with_the_lookup_sheet_is_one_pass_in_the_worker() -> None:
    """``check`` reviews against the workbook's own Smelter Look-up: its rows come back with the declaration from
    the worker (the workbook is never opened in the caller's process), the same as the in-process reader's and
    giving the same reference as reading the sheet on its own."""
    from cmrt.smelters.workbook import reference_from_sheet, reference_from_workbook
    from cmrt.workbook.read import read_workbook_and_lookup
    from cmrt.workbook.reader import read_with_lookup

    data = build_cmrt()
    declaration, lookup = read_workbook_and_lookup(data)
    assert isolation._pool.idle  # it went through a worker
    assert (declaration, lookup) == read_with_lookup(data, limits=ReadLimits(isolated=False))
    assert declaration == read_workbook(data)
    assert lookup is not None and lookup[0] == "Smelter Look-up"
    reference, alone = reference_from_sheet(*lookup), reference_from_workbook(data)
    assert reference is not None and alone is not None
    assert reference.entries == alone.entries and len(reference) > 0
