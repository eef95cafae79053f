"""Process-wide memory tuning for ``cmrt-bot run``.

glibc's malloc gives threads that allocate at the same time arenas of their own (up to eight per core), and memory
freed in one arena is not reused for another. The inbox's helper threads (the IMAP download, the read-ahead's
threads talking to the reader processes) each handle e-mails and attachments of several MB, so draining a backlog
left the process 50-70 MB higher than the bytes it held (benchmarks/ingest_backlog.py: peak RSS 304-331 MB with
the default, 259-266 MB with two arenas, at the same speed). ``limit_malloc_arenas`` caps them, as the environment
variable ``MALLOC_ARENA_MAX`` would.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

log = logging.getLogger("cmbot.run")

M_ARENA_MAX = -8  # glibc <malloc.h>


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """At most ``arenas`` malloc arenas from now on (threads started later share them). Does nothing (False) when
    ``MALLOC_ARENA_MAX`` is set (the operator's choice wins) or the C library is not glibc."""
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        done = bool(libc.mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # musl and others: no such library or no mallopt
        return False
    log.debug("malloc arenas limited to %d: %s", arenas, done)
    return done
