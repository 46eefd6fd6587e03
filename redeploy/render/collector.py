"""Building a page without Python's cyclic garbage collector running meanwhile.

A page of a large layer is built from millions of small dicts and lists (each feature's
properties, rows and tables), none of them in a reference cycle: they are freed by their
reference counts as soon as they are dropped. The cyclic collector still walks every live
one each time enough have been allocated, and on a page of 28,000 points those walks took
as long as building the page itself. `paused_collection` pauses it while a page is built
and written; the few cycles made meanwhile (the page's elements point to their parents)
are collected once it runs again.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def paused_collection(fn: Callable[P, R]) -> Callable[P, R]:
    """Run `fn` with the cyclic garbage collector paused (as it was before, afterwards)."""

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()

    return run
