"""Run one function in a forked child process while the parent goes on (Linux).

`redeploy run` writes its GeoPackage (GDAL, SQLite and Python work that holds the GIL) in a
child while the parent builds the map: the two use both cores, where threads would take
turns on the GIL. The child is a `fork` of the parent, so it starts with the parent's
objects and no imports or pickling of the inputs; its return value (or its exception) comes
back pickled through a pipe.

A fork is used only where it is safe: on Linux, with no other Python thread running (a
notebook's kernel runs several; the function then runs in the parent, as it would without
this module). Threads outside Python (HiGHS's, OpenBLAS's, Arrow's pools) are idle between
calls and are not used by the child.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from redeploy.errors import OutputError

T = TypeVar("T")

#: Set to "0" to run every such function in the parent (no fork).
ENV_VAR = "REDEPLOY_FORK"


def can_fork() -> bool:
    """Whether `in_child` would fork here: Linux, `REDEPLOY_FORK` not "0", one Python thread."""
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and os.environ.get(ENV_VAR, "1") != "0"
        and threading.active_count() == 1
    )


class Pending(Generic[T]):
    """The result of a function running in a child process (or already run, in this one)."""

    def __init__(self, pid: int | None, read_fd: int | None, value: T | None = None) -> None:
        self._pid = pid
        self._fd = read_fd
        self._value = value

    @property
    def forked(self) -> bool:
        """Whether the function runs in a child process."""
        return self._pid is not None

    def result(self) -> T:
        """Wait for the child; return its value or raise its exception."""
        if self._pid is None:
            return self._value  # type: ignore[return-value]
        fd, self._fd = self._fd, None  # closed by `_read_all` even when interrupted
        payload = _read_all(fd)
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        if not payload:
            how = (
                f"killed by signal {os.WTERMSIG(status)}"
                if os.WIFSIGNALED(status)
                else f"exit status {os.waitstatus_to_exitcode(status)}"
            )
            msg = f"the process writing the files stopped without a result ({how})"
            raise OutputError(msg)
        ok, value = pickle.loads(payload)
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def cancel(self) -> None:
        """Stop the child (when the parent fails before it needs the result)."""
        if self._pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            _read_all(self._fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self._pid, 0)
        self._pid = self._fd = None


def _read_all(fd: int | None) -> bytes:
    if fd is None:
        return b""
    chunks = []
    try:
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _child(fn: Callable[[], Any], write_fd: int) -> None:
    """Run `fn` and send back ``(True, value)`` or ``(False, exception)``; never returns."""
    code = 0
    try:
        try:
            payload = pickle.dumps((True, fn()))
        except BaseException as err:  # every failure goes back to the parent
            try:
                payload = pickle.dumps((False, err))
                pickle.loads(payload)  # an exception whose class cannot be built from its args
            except Exception:  # one that does not pickle: its class and text
                payload = pickle.dumps((False, RuntimeError(f"{type(err).__name__}: {err}")))
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(payload)
    except BaseException:  # the parent reports a child without a result
        code = 1
    finally:
        os._exit(code)


@contextlib.contextmanager
def in_child(fn: Callable[[], T], *, fork: bool = True) -> Iterator[Pending[T]]:
    """
    Start `fn` in a forked child (when `fork` and `can_fork`) or run it here, and yield its
    `Pending`: call ``Pending.result()`` inside the block to wait for it. Leaving the
    block first (an exception in the parent) stops the child.
    """
    if not (fork and can_fork()):
        yield Pending(None, None, fn())
        return
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        os.close(read_fd)
        _child(fn, write_fd)
    os.close(write_fd)
    pending: Pending[T] = Pending(pid, read_fd)
    try:
        yield pending
    finally:
        pending.cancel()  # nothing left to stop once the result was taken
