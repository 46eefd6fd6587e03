"""Memory the model's largest arrays need, checked against what the machine has free.

A layer of 100,000 features and a thousand zones makes the zone-item pairs gigabytes;
allocating them would end in a MemoryError, or in the operating system killing the
process. The model asks `require_memory` first and stops with a message naming the layer,
its size, the memory needed and the memory available.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from redeploy.errors import RedeployError


class NotEnoughMemory(RedeployError, MemoryError):
    """The inputs need more memory than the machine has free."""


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_available() -> int | None:
    """Room left under this process's cgroup (v2) memory limit, if it has one."""
    try:
        relative = Path("/proc/self/cgroup").read_text().splitlines()[0].split(":", 2)[2]
        folder = Path("/sys/fs/cgroup") / relative.lstrip("/")
        limit = (folder / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return int(limit) - int((folder / "memory.current").read_text())
    except (OSError, ValueError, IndexError):
        return None


def _address_space_available() -> int | None:
    """Room left under this process's address-space limit (ulimit -v), if it has one."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY:
            return None
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(soft) - int(line.split()[1]) * 1024
    except (ImportError, OSError, ValueError, IndexError):
        return None
    return None


def available_bytes() -> int | None:
    """
    Return the bytes this process can still allocate without being refused or killed: the
    least of the machine's available memory, its cgroup's room and its address-space
    limit; None where none of them can be read.
    """
    found = [
        n
        for n in (_meminfo_available(), _cgroup_available(), _address_space_available())
        if n is not None
    ]
    if not found and hasattr(os, "sysconf"):
        with contextlib.suppress(OSError, ValueError):
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    return max(0, min(found)) if found else None


def require_memory(need: int, what: str, fix: str) -> None:
    """
    Refuse to go on when `need` bytes are more than `available_bytes`.

    Parameters
    ----------
    need
        Bytes the next step allocates at its peak.
    what
        The step and the inputs that make it large, for the message.
    fix
        What the user can do.

    Raises
    ------
    NotEnoughMemory
        Naming the step, the memory needed and the memory available.
    """
    free = available_bytes()
    if free is None or need <= free:
        return
    msg = (
        f"{what} needs about {need / 1e9:,.1f} GB of memory, more than the "
        f"{free / 1e9:,.1f} GB this machine has available; {fix}"
    )
    raise NotEnoughMemory(msg)
