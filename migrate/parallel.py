"""Both cores for per-object work that shares no state: validation and writing files.

Workers are forked, so they inherit the objects and the compiled validator: only
index ranges go to them and only results come back (for validation: the few
objects that fail). The parent works on the first range meanwhile. Small runs stay in one process, where a pool would cost more
than it saves; so do platforms without fork.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from typing import Any, Callable, Sequence, TypeVar

T = TypeVar("T")
Work = Callable[[Sequence[Any], int, int], list[T]]

#: below this many items a pool costs more than it saves
MIN_ITEMS = 2000
_shared: tuple[Work, Sequence[Any]] | None = None


def map_ranges(work: Work, items: Sequence[Any], *, workers: int | None = None, min_items: int = MIN_ITEMS) -> list[T]:
    """``work(items, start, end)`` over ranges of ``items``; results in order."""
    global _shared
    workers = workers or min(os.cpu_count() or 1, 4)
    if len(items) < min_items or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return work(items, 0, len(items))
    step = -(-len(items) // workers)
    ranges = [(start, min(start + step, len(items))) for start in range(0, len(items), step)]
    _shared = (work, items)
    gc.freeze()  # the children's collector would touch every inherited object: copy-on-write for all pages
    try:
        # the parent takes the first range itself: one fork fewer, and its share of the
        # results is never pickled (for loading, unpickling documents was a second each)
        with multiprocessing.get_context("fork").Pool(len(ranges) - 1, initializer=gc.disable) as pool:
            pending = pool.starmap_async(_run, ranges[1:])
            first = work(items, *ranges[0])
            parts = [first, *pending.get()]
    finally:
        gc.unfreeze()
        _shared = None
    return [result for part in parts for result in part]


def _run(start: int, end: int) -> list[Any]:
    assert _shared is not None
    work, items = _shared
    return work(items, start, end)
