"""``bot.memory.limit_malloc_arenas``: the operator's MALLOC_ARENA_MAX wins; otherwise glibc takes the cap."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.memory import limit_malloc_arenas


def test_an_operators_malloc_arena_max_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_glibc_takes_the_cap_in_a_fresh_process() -> None:
    code = (
        "import os; os.environ.pop('MALLOC_ARENA_MAX', None)\n"
        "from bot.memory import limit_malloc_arenas\n"
        "print(limit_malloc_arenas())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() in ("True", "False")  # False only off glibc (musl): never an error
