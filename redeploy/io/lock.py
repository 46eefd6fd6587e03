"""One writer per output folder: an advisory lock on ``OUT/.redeploy/lock``, and who holds it.

The lock is `fcntl.flock` on a file in the folder's control folder ``.redeploy/``: the kernel
drops it when its process ends, however it ends (``kill -9`` included), so a lock is never
left behind. Whoever holds it writes who they are into the file (`Owner`), so a second
command can name the process it waits for. Within one thread the lock is re-entrant: the CLI
takes it for a whole command and the staging inside takes it again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from redeploy.errors import OutputBusyError, OutputError

if sys.platform != "win32":  # Windows has no flock: there redeploy writes without a lock
    import fcntl

#: The control folder redeploy keeps in every output folder (the lock, the sets' manifests).
CONTROL = ".redeploy"
#: Environment variable: seconds a command waits for the folder's lock (default 0).
WAIT_ENV = "REDEPLOY_LOCK_WAIT"
#: How often a waiting command retries the lock.
_POLL_SECONDS = 0.1


def _proc_start(pid: int) -> int | None:
    """Start time of process `pid` in clock ticks since boot (Linux), None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # after the command name, which may hold spaces
    try:
        return int(fields[19])  # field 22 of proc(5), the 20th after the name
    except (IndexError, ValueError):
        return None


def _proc_state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[0] if fields else None


def command_line() -> str:
    """The command this process runs, as a shell would show it (``redeploy run -s x``)."""
    argv = list(sys.argv) or ["python"]
    name = Path(argv[0]).name
    if name == "__main__.py":  # python -m redeploy
        name = Path(argv[0]).parent.name or "python"
    elif name in ("-c", "-m") or not name:
        name = "python"
    return shlex.join([name, *argv[1:]])


@dataclass(frozen=True)
class Owner:
    """A process that writes into an output folder: enough to name it and tell if it lives."""

    pid: int
    host: str
    command: str
    since: str
    #: Start time in clock ticks since boot (Linux), to tell a reused pid from its owner.
    start: int | None = None

    @classmethod
    def me(cls) -> Owner:
        """This process."""
        pid = os.getpid()
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
        return cls(pid, socket.gethostname(), command_line(), since, _proc_start(pid))

    @classmethod
    def from_json(cls, data: Any) -> Owner | None:
        """Read an owner written by `to_json`; None when `data` is not one."""
        if not isinstance(data, dict):
            return None
        try:
            start = data.get("start")
            return cls(
                int(data["pid"]),
                str(data.get("host", "")),
                str(data.get("command", "")),
                str(data.get("since", "")),
                int(start) if start is not None else None,
            )
        except (KeyError, TypeError, ValueError):
            return None

    def to_json(self) -> dict[str, Any]:
        """The owner as a JSON object."""
        return asdict(self)

    def alive(self) -> bool | None:
        """
        Whether the process still runs: True, False, or None when it cannot be told (it ran
        on another host).
        """
        if self.host and self.host != socket.gethostname():
            return None
        return pid_alive(self.pid, self.start)

    def describe(self) -> str:
        """``process 1234 on host (`redeploy run`, started 2025-01-01 12:00:00)``."""
        where = f" on {self.host}" if self.host and self.host != socket.gethostname() else ""
        what = f"`{self.command}`, " if self.command else ""
        return f"process {self.pid}{where} ({what}started {self.since})"


def pid_alive(pid: int, start: int | None = None) -> bool:
    """
    Whether process `pid` runs on this machine (a zombie does not); when `start` is given,
    a process with that pid but another start time is a different process.
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    except OSError:
        return False
    if _proc_state(pid) == "Z":
        return False
    now = _proc_start(pid)
    return not (start is not None and now is not None and now != start)


def lock_wait() -> float:
    """
    Seconds to wait for a folder's lock: `WAIT_ENV` (``REDEPLOY_LOCK_WAIT``), default 0.

    Raises
    ------
    OutputError
        When the variable is not a number of seconds >= 0.
    """
    raw = os.environ.get(WAIT_ENV, "").strip()
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        msg = f"{WAIT_ENV}={raw!r}: must be a number of seconds >= 0 (e.g. 60)"
        raise OutputError(msg)
    return value


@dataclass
class _Held:
    fd: int
    thread: int
    depth: int


_HELD: dict[Path, _Held] = {}
_HELD_GUARD = threading.Lock()


def _read_owner(path: Path) -> Owner | None:
    try:
        return Owner.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def _busy(path: Path, out: Path, waited: float) -> OutputBusyError:
    owner = _read_owner(path)
    who = owner.describe() if owner is not None else "another process"
    after = f" (waited {waited:g} s)" if waited else ""
    msg = (
        f"{out}: another redeploy command is writing into this folder{after}: {who} holds "
        f"its lock {path}. Wait for it to finish, give another --out, or set "
        f"{WAIT_ENV}=SECONDS to wait for it."
    )
    return OutputBusyError(msg)


def _open_locked(path: Path, out: Path, wait: float) -> int:
    """Open `path` and take its lock within `wait` seconds; return the descriptor."""
    deadline = time.monotonic() + wait
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as err:
            msg = f"{path}: cannot open the output folder's lock: {err.strerror or err}"
            raise OutputError(msg) from err
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise _busy(path, out, wait) from None
                    time.sleep(_POLL_SECONDS)
            # A holder that found the folder empty of outputs may have removed the lock
            # file before letting go: then this descriptor locks a file nobody else sees.
            if os.path.exists(path) and os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


@contextlib.contextmanager
def folder_lock(out: Path, *, wait: float | None = None) -> Iterator[bool]:
    """
    Hold the lock of output folder `out` (which must exist) for the block.

    Yields True when this call took the lock, False when this thread already held it (the
    lock is re-entrant within a thread; the outer holder releases it).

    Raises
    ------
    OutputBusyError
        When another process (or thread) holds it for longer than `wait` seconds (default
        `lock_wait`), naming that process and the lock file.
    """
    key = Path(out).resolve()
    me = threading.get_ident()
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is not None and held.thread == me:
            held.depth += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield False
        finally:
            with _HELD_GUARD:
                _HELD[key].depth -= 1
        return
    control = Path(out) / CONTROL
    try:
        control.mkdir(exist_ok=True)
    except OSError as err:
        msg = f"{control}: cannot create redeploy's control folder: {err.strerror or err}"
        raise OutputError(msg) from err
    path = control / "lock"
    if sys.platform == "win32":  # pragma: no cover
        yield True
        return
    fd = _open_locked(path, Path(out), lock_wait() if wait is None else wait)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(Owner.me().to_json(), sort_keys=True) + "\n").encode(), 0)
        with _HELD_GUARD:
            _HELD[key] = _Held(fd, me, 1)
        yield True
    finally:
        with _HELD_GUARD:
            _HELD.pop(key, None)
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # no stale owner left to read
        os.close(fd)


def holds_lock(out: Path) -> bool:
    """Whether this thread holds the lock of `out`."""
    with _HELD_GUARD:
        held = _HELD.get(Path(out).resolve())
    return held is not None and held.thread == threading.get_ident()


def drop_lock_file(out: Path) -> None:
    """Remove the lock file (the caller holds the lock; waiters notice and retry)."""
    with contextlib.suppress(OSError):
        (Path(out) / CONTROL / "lock").unlink()
