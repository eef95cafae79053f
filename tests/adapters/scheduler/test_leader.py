"""The run lock on SQLite (flock) and PostgreSQL (advisory lock): one holder, released on close or death."""

from __future__ import annotations

import subprocess
import sys

from bot.leader import LeaderLock
from store import Database


def test_one_holder_at_a_time(store_url: str) -> None:
    a, b = Database(store_url), Database(store_url)
    try:
        first, second = LeaderLock(a.engine, a.url), LeaderLock(b.engine, b.url)
        assert first.try_acquire()
        assert not second.try_acquire()
        assert first.still_held()
        first.release()
        assert second.try_acquire()
        second.release()
    finally:
        a.dispose()
        b.dispose()


def test_the_lock_goes_when_the_holder_process_dies(store_url: str) -> None:
    code = (
        "import sys, time\n"
        "from store import Database\n"
        "from bot.leader import LeaderLock\n"
        f"db = Database({store_url!r})\n"
        "lock = LeaderLock(db.engine, db.url)\n"
        "assert lock.try_acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    db = Database(store_url)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        lock = LeaderLock(db.engine, db.url)
        assert not lock.try_acquire()
        proc.kill()
        proc.wait(timeout=5)
        import time

        deadline = time.monotonic() + 10
        while not lock.try_acquire():
            assert time.monotonic() < deadline, "the lock was not released when its holder died"
            time.sleep(0.1)
        lock.release()
    finally:
        if proc.poll() is None:
            proc.kill()
        db.dispose()
