"""One active ``cmrt-bot run`` per database: the others stand by and take over when it dies.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a dedicated connection for the
life of the process. When the process dies its connection closes, the server releases the lock, and a standby
polling ``pg_try_advisory_lock`` gets it. SQLite (one machine): an exclusive ``flock`` on ``<database>.run.lock``,
released by the kernel when the process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pathlib
from typing import Any

from sqlalchemy.engine import Engine, make_url

log = logging.getLogger("cmbot.leader")

ADVISORY_LOCK_CLASS = 0x434D5254  # "CMRT"; the second key is a hash of database and schema, so bots that share
# a server but not a schema do not block each other
_KEYS = f"{ADVISORY_LOCK_CLASS}, hashtext(current_database() || '.' || current_schema())"


class LeaderLock:
    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self.dialect = engine.dialect.name
        self._conn: Any = None
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self.dialect == "postgresql":
            return self._try_pg()
        if self.dialect == "sqlite":
            return self._try_file()
        return True

    def _try_pg(self) -> bool:
        if self._conn is None:
            self._conn = self.engine.raw_connection()
            self._conn.detach()  # never back into the pool: closing it must end the session and free the lock
        try:
            cur = self._conn.cursor()
            cur.execute(f"SELECT pg_try_advisory_lock({_KEYS})")
            got = bool(cur.fetchone()[0])
            cur.close()
            self._conn.commit()
        except Exception:
            self._drop_conn()
            raise
        return got

    def _try_file(self) -> bool:
        database = make_url(self.url).database
        if not database or database == ":memory:":
            return True
        path = pathlib.Path(database).expanduser()
        lock_path = path.with_name(path.name + ".run.lock")
        if self._fd is None:
            self._fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        os.ftruncate(self._fd, 0)
        os.write(self._fd, f"{os.getpid()}\n".encode())
        return True

    def still_held(self) -> bool:
        """False when the PostgreSQL connection that holds the lock is gone (the lock went with it)."""
        if self.dialect != "postgresql":
            return True
        if self._conn is None:
            return False
        try:
            cur = self._conn.cursor()
            cur.execute("SELECT 1")
            cur.fetchone()
            cur.close()
            self._conn.commit()
        except Exception as exc:
            log.error("lost the connection that holds the run lock: %s", exc)
            self._drop_conn()
            return False
        return True

    def _drop_conn(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                cur = self._conn.cursor()
                cur.execute(f"SELECT pg_advisory_unlock({_KEYS})")
                cur.close()
                self._conn.commit()
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
            self._fd = None
