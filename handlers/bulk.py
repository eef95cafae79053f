"""Building many objects at once (100,000 request views and their action keys, a plan's actions, a report's facts).

CPython's cyclic garbage collector runs a pass every few hundred new container objects, and its older generations
walk every object built so far: loading and planning 100,000 requests spent a third of its time there, finding
nothing (the objects are plain data, freed by reference counting). ``no_cyclic_gc`` switches the collector off for
such a block; it runs again, and catches up, when the block ends (process-wide: other threads get it back then).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
