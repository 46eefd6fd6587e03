"""What interrupted commands leave in an output folder, and clearing it.

A command killed while it writes can leave a staging folder (``.redeploy-stage-PID-*``), a
temporary file beside an output (``.NAME.PID-XXXXXXXX.tmp.EXT``) or, from redeploy 0.1's
staging, a ``.redeploy-old-*`` folder. Each names the process that made it (the staging
folder also holds a ``.redeploy-owner.json``). `clean_stale` removes those whose process no
longer runs and keeps those of a live process.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from redeploy.io.lock import CONTROL, Owner, pid_alive

#: Prefix of staging folders.
STAGE_PREFIX = ".redeploy-stage-"
#: File inside a staging folder naming its process.
OWNER_FILE = ".redeploy-owner.json"
#: Folder inside a staging folder holding outputs that a published folder replaced.
OLD_FOLDER = ".redeploy-old"
#: Leftovers without a process id (redeploy 0.1) count as stale after this many seconds.
LEGACY_AGE = 3600.0

_TEMP = re.compile(r"^\..+\.(\d+)-[0-9a-f]{8}\.tmp")
_STAGE_PID = re.compile(rf"^{re.escape(STAGE_PREFIX)}(\d+)-")
_LEGACY = (STAGE_PREFIX, ".redeploy-old-")


@dataclass(frozen=True)
class Leftover:
    """One thing an interrupted command left: its path, who made it and whether it runs."""

    path: Path
    #: True: its process runs; False: it does not; None: cannot tell (another host, no pid).
    alive: bool | None
    who: str
    pid: int | None = None

    def describe(self) -> str:
        """``staging folder .redeploy-stage-1-x (4.6 MB) left by process 1 (...)``."""
        what = "staging folder" if self.path.is_dir() else "temporary file"
        return f"{what} {self.path.name} ({_size(self.path)}) left by {self.who}"


def _size(path: Path) -> str:
    if path.is_dir():
        total = 0
        for p in path.rglob("*"):
            with contextlib.suppress(OSError):
                if p.is_file() and not p.is_symlink():
                    total += p.stat().st_size
    else:
        try:
            total = path.stat().st_size
        except OSError:
            total = 0
    if total >= 1 << 20:
        return f"{total / (1 << 20):.1f} MB"
    return f"{total / 1024:.1f} kB"


def _owner_of_stage(path: Path) -> Owner | None:
    try:
        return Owner.from_json(json.loads((path / OWNER_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def _leftover(path: Path) -> Leftover | None:
    """Whether `path` is something an interrupted command left, and whose."""
    name = path.name
    if name.startswith(STAGE_PREFIX) and path.is_dir():
        owner = _owner_of_stage(path)
        if owner is not None:
            return Leftover(path, owner.alive(), owner.describe(), owner.pid)
        match = _STAGE_PID.match(name)
        if match:
            pid = int(match.group(1))
            return Leftover(path, pid_alive(pid), f"process {pid}", pid)
    if name.startswith(_LEGACY) and path.is_dir():
        try:
            age = time.time() - path.stat().st_mtime
        except OSError:
            return None
        alive = None if age < LEGACY_AGE else False
        return Leftover(path, alive, f"an earlier redeploy ({age / 60:.0f} min ago)")
    match = _TEMP.match(name)
    if match and not path.is_dir():
        pid = int(match.group(1))
        return Leftover(path, pid_alive(pid), f"process {pid}", pid)
    return None


def _mine(item: Leftover | None) -> Leftover | None:
    """This process's own leftovers are stale: under the folder's lock, none is in use."""
    if item is not None and item.alive and item.pid == os.getpid():
        return Leftover(item.path, False, item.who, item.pid)
    return item


def find_leftovers(out: Path, *, keep: Collection[str] = ()) -> list[Leftover]:
    """
    Staging folders and temporary files in `out` (and its control folder) made by
    commands, except the names in `keep`.
    """
    found = []
    for folder in (Path(out), Path(out) / CONTROL, Path(out) / CONTROL / "sets"):
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for path in entries:
            if path.name in keep:
                continue
            item = _mine(_leftover(path))
            if item is not None:
                found.append(item)
    return found


def clean_stale(out: Path, *, keep: Collection[str] = ()) -> list[str]:
    """
    Remove what commands that no longer run left in `out`; return a note for each removed
    or kept leftover. The caller holds the folder's lock.
    """
    notes = []
    for item in find_leftovers(out, keep=keep):
        if item.alive is False:
            what = item.describe()
            if item.path.is_dir() and not item.path.is_symlink():
                shutil.rmtree(item.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    item.path.unlink()
            notes.append(f"{out}: removed the {what}, which no longer runs")
        else:
            why = "still runs" if item.alive else "cannot be checked from here"
            notes.append(f"{out}: kept the {item.describe()}, which {why}")
    return notes
