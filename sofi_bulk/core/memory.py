"""The cyclic garbage collector, paused while a workbook is read and checked.

Reading and checking allocate hundreds of thousands of small objects (a list per row, a
dict per record) and free none of them until the end: each collection would only walk them
again, about 10 % of the time, and more as the workbook grows. None of them forms a cycle
that only the collector could free.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the collector, and resume it only if it ran before (calls may nest)."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()
