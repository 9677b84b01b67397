"""The cyclic garbage collector, paused while a workbook is read and checked.

Reading and checking allocate hundreds of thousands of small objects (a list per row, a
dict per record) and free none of them until the end: each collection would only walk them
again, about 10 % of the time, and more as the workbook grows. None of them forms a cycle
that only the collector could free. When it resumes, they join the oldest generation at
once (``gc.freeze`` then ``gc.unfreeze``, two list moves): the first young collection would
otherwise walk every row list, cell by cell, only to find them alive (5 % of a check).
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
            if not gc.get_freeze_count():  # nobody froze objects on purpose (before a fork)
                # what was allocated meanwhile joins the oldest generation (both calls move
                # whole lists): no young collection walks it, cell by cell, as it resumes
                gc.freeze()
                gc.unfreeze()
            gc.enable()
