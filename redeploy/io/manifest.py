"""The manifest of a set of outputs: which files one command wrote, with their hashes.

Each set a command publishes into an output folder has a manifest
``OUT/.redeploy/sets/NAME.json``: the set's name, its state, the run id when the command has
one, and each file (or folder) with its kind, size and sha256. The state is ``publishing``
while the files are moved into place (the manifest then also names the staging folder and
the process), ``complete`` once they all are, and ``incomplete`` when a command was killed
while publishing and its files could not all be put in place. A complete manifest holds no
time or process, so the same outputs give the same manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redeploy.io.atomic import atomic_path
from redeploy.io.lock import CONTROL

#: Version of the manifest format.
FORMAT = 1
#: States of a set.
PUBLISHING, COMPLETE, INCOMPLETE = "publishing", "complete", "incomplete"
_CHUNK = 1 << 20


def sets_folder(out: Path) -> Path:
    """The folder of the manifests of `out`'s sets."""
    return Path(out) / CONTROL / "sets"


def safe_name(name: str) -> str:
    """`name` usable as a file name: no path separators, no leading dot, not empty."""
    cleaned = re.sub(r"[/\\\x00]", "_", name).lstrip(".")
    return cleaned or "outputs"


def manifest_path(out: Path, name: str) -> Path:
    """Where the manifest of set `name` of `out` lives."""
    return sets_folder(out) / f"{safe_name(name)}.json"


def _hash_file(path: Path, *, sync: bool) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
        if sync:
            with contextlib.suppress(OSError):
                os.fsync(f.fileno())
    return h.hexdigest(), size


def hash_entry(path: Path, *, sync: bool = False) -> dict[str, Any]:
    """
    ``{"kind", "sha256", "bytes"}`` of a file, or of a folder (its files' relative paths and
    hashes, in sorted order). With `sync`, each file is flushed to disk on the way.
    """
    path = Path(path)
    if not path.is_dir():
        digest, size = _hash_file(path, sync=sync)
        return {"kind": "file", "sha256": digest, "bytes": size}
    h = hashlib.sha256()
    total = 0
    for item in sorted(p for p in path.rglob("*") if p.is_file()):
        digest, size = _hash_file(item, sync=sync)
        h.update(f"{item.relative_to(path).as_posix()}\0{digest}\n".encode())
        total += size
    return {"kind": "folder", "sha256": h.hexdigest(), "bytes": total}


@dataclass(frozen=True)
class Manifest:
    """One set's manifest, as read from or written to ``.redeploy/sets/NAME.json``."""

    name: str
    state: str
    files: Mapping[str, Mapping[str, Any]]
    run_id: str | None = None
    #: While publishing: the staging folder (a name in the output folder) and its owner.
    stage: str | None = None
    owner: Mapping[str, Any] | None = None
    #: When incomplete: what is wrong, file by file.
    problems: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The manifest as a JSON object (only the fields its state uses)."""
        data: dict[str, Any] = {
            "format": FORMAT,
            "set": self.name,
            "state": self.state,
            "files": {k: dict(v) for k, v in sorted(self.files.items())},
            **self.extra,
        }
        if self.run_id is not None:
            data["run_id"] = self.run_id
        if self.state == PUBLISHING:
            data["stage"] = self.stage
            data["owner"] = dict(self.owner or {})
        if self.problems:
            data["problems"] = list(self.problems)
        return data

    @classmethod
    def from_json(cls, data: Any) -> Manifest | None:
        """Read a manifest written by `to_json`; None when `data` is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
            return None
        if data.get("state") not in (PUBLISHING, COMPLETE, INCOMPLETE):
            return None
        files = {
            str(k): v
            for k, v in data["files"].items()
            if isinstance(v, dict) and isinstance(v.get("sha256"), str)
        }
        stage = data.get("stage")
        return cls(
            name=str(data.get("set", "")),
            state=str(data["state"]),
            files=files,
            run_id=data.get("run_id") if isinstance(data.get("run_id"), str) else None,
            stage=stage if isinstance(stage, str) and "/" not in stage else None,
            owner=data.get("owner") if isinstance(data.get("owner"), dict) else None,
            problems=tuple(str(p) for p in data.get("problems", []) if isinstance(p, str)),
        )


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (renames) to disk, where the platform allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Replace the manifest at `path` atomically, flushed to disk before and after the move."""
    text = json.dumps(manifest.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    fsync_folder(path.parent)


def read_manifest(path: Path) -> Manifest | None:
    """The manifest at `path`, or None when it is missing or not a manifest."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Manifest.from_json(data)


def list_manifests(out: Path) -> list[tuple[Path, Manifest | None]]:
    """Every ``(path, manifest)`` of `out`'s sets, by name; None for an unreadable one."""
    folder = sets_folder(out)
    if not folder.is_dir():
        return []
    paths = sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))
    return [(p, read_manifest(p)) for p in paths]


def check_files(out: Path, files: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What differs between `out` and the files a manifest lists (empty when nothing)."""
    problems = []
    for name, entry in sorted(files.items()):
        path = Path(out) / name
        if not path.exists():
            problems.append(f"{name} is missing")
            continue
        kind = "folder" if path.is_dir() else "file"
        if kind != entry.get("kind", "file"):
            problems.append(f"{name} is a {kind}, the set has a {entry.get('kind')} there")
            continue
        if hash_entry(path)["sha256"] != entry.get("sha256"):
            problems.append(f"{name} is not the file this set published (its sha256 differs)")
    return problems


@dataclass(frozen=True)
class SetCheck:
    """One set of an output folder checked against its manifest."""

    name: str
    state: str
    files: tuple[str, ...]
    run_id: str | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether the folder holds this set whole and unchanged."""
        return self.state == COMPLETE and not self.problems


def check_sets(out: Path) -> list[SetCheck]:
    """
    Check every set of output folder `out` against its manifest: complete, each file
    present and with the sha256 it was published with. For readers of a folder that a
    command may have been killed while writing.
    """
    checks = []
    for path, manifest in list_manifests(out):
        if manifest is None:
            checks.append(SetCheck(path.stem, "unreadable", (), None, (f"{path}: not a manifest",)))
            continue
        problems = list(manifest.problems) if manifest.state == INCOMPLETE else []
        if manifest.state == PUBLISHING:
            problems.append(
                f"being published by process {dict(manifest.owner or {}).get('pid', '?')}, "
                "or that process was killed: the next redeploy command in this folder "
                "finishes it"
            )
        problems += [p for p in check_files(out, manifest.files) if p not in problems]
        checks.append(
            SetCheck(
                manifest.name,
                manifest.state,
                tuple(sorted(manifest.files)),
                manifest.run_id,
                tuple(problems),
            )
        )
    return checks
