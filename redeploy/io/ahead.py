"""Reading files on a thread ahead of the one that checks them.

GDAL parses a file with Python's global lock released, so one thread can parse the next
layer file while the caller's thread validates the last one (Python work): reading a
folder of large layers then takes about the longer of the two instead of their sum.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TypeVar

K = TypeVar("K")
R = TypeVar("R")
T = TypeVar("T")


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:  # missing or unreadable: its reader reports it
        return 0


def read_ahead(
    paths: Mapping[K, Path],
    read: Callable[[K, Path], R],
    finish: Callable[[R], T],
) -> dict[K, T]:
    """
    Return ``{key: finish(read(key, path))}`` for every item of `paths`, in its order.

    `read` runs on one other thread, the largest file first; this thread calls `finish`
    on each file as soon as it is read. When a call raises, the exception of the first
    item (in `paths`' order) that failed is raised once every file is done, as reading
    them one after the other would have raised it (the later files are read in vain).
    An interrupt (or any exception not an `Exception`) stops at once: files not yet
    started are not read.
    """
    if len(paths) < 2:
        return {key: finish(read(key, path)) for key, path in paths.items()}
    order = sorted(paths, key=lambda key: -_size(paths[key]))
    outcome: dict[K, T | Exception] = {}
    pool = ThreadPoolExecutor(1, thread_name_prefix="redeploy-read")
    try:
        futures: dict[Future[R], K] = {pool.submit(read, key, paths[key]): key for key in order}
        for future in as_completed(futures):
            key = futures[future]
            try:
                outcome[key] = finish(future.result())
            except Exception as err:  # kept for its place in the order, raised below
                outcome[key] = err
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for key in paths:
        value = outcome[key]
        if isinstance(value, Exception):
            raise value
    return {key: outcome[key] for key in paths}  # type: ignore[misc]
