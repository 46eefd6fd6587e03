"""Publishing a command's outputs as one set: all of them or none, one writer per folder.

A command writes its files into a staging folder inside ``--out`` (`staged_output`), then
publishes them in three steps:

1. the set's manifest (``OUT/.redeploy/sets/NAME.json``, `redeploy.io.manifest`) is
   replaced, in one atomic move, by one in state ``publishing`` that lists every staged file
   with its sha256 and names the staging folder: the commit point;
2. each file is moved from the staging folder into ``--out`` (`os.replace`);
3. the manifest is replaced by one in state ``complete``.

A command killed before step 1 leaves the earlier set untouched (and a staging folder,
removed by the next command); killed during step 2 or 3, it leaves a manifest in state
``publishing`` whose staging folder holds the files not yet moved: the next command in the
folder finishes the moves and reports it (`recover`). All of this happens under the folder's
lock (`redeploy.io.lock`), which `claim_output` takes for a whole command.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from redeploy.errors import OutputError
from redeploy.io.atomic import check_out_dir
from redeploy.io.lock import CONTROL, Owner, drop_lock_file, folder_lock
from redeploy.io.manifest import (
    COMPLETE,
    INCOMPLETE,
    PUBLISHING,
    Manifest,
    check_files,
    fsync_folder,
    hash_entry,
    list_manifests,
    manifest_path,
    read_manifest,
    sets_folder,
    write_manifest,
)
from redeploy.io.stale import OLD_FOLDER, OWNER_FILE, STAGE_PREFIX, clean_stale


def _print_note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr, flush=True)


@dataclass
class Claim:
    """An output folder held by this process for one command: what it reported and published."""

    out: Path
    report: Callable[[str], None] = _print_note
    notes: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        """Record `message` and report it (on stderr by default)."""
        self.notes.append(message)
        self.report(message)


#: The claims this process holds, by thread and folder (a claim is re-entrant in its thread).
_CLAIMS: dict[tuple[int, Path], Claim] = {}


def _make_out(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"--out {out}: cannot create the output folder: {err.strerror or err}"
        raise OutputError(msg) from err


def _drop_control(out: Path) -> None:
    """Remove the control folder when it holds no manifest (nothing was ever published)."""
    if list_manifests(out):
        return
    drop_lock_file(out)
    for folder in (sets_folder(out), out / CONTROL):
        with contextlib.suppress(OSError):
            folder.rmdir()


@contextlib.contextmanager
def claim_output(
    out: str | os.PathLike[str],
    *,
    wait: float | None = None,
    report: Callable[[str], None] | None = None,
) -> Iterator[Claim]:
    """
    Hold output folder `out` for a command: check it, create it, take its lock, finish or
    report what an interrupted command left there, and clear stale staging.

    Re-entrant within a thread (the inner call yields the outer `Claim`). When the outermost
    block publishes nothing, the folders it created are removed again, and so is the
    control folder ``.redeploy/`` if no set was ever published there.

    Parameters
    ----------
    out
        The output folder.
    wait
        Seconds to wait for another command's lock (default ``REDEPLOY_LOCK_WAIT``, or 0).
    report
        Called with each note (a finished or removed leftover); default: print on stderr.

    Raises
    ------
    OutputError
        When `out` cannot be created or written.
    OutputBusyError
        When another command holds the folder longer than `wait`; names that process.
    """
    out = Path(out)
    thread = threading.get_ident()
    outer = _CLAIMS.get((thread, out.resolve() if out.exists() else out.absolute()))
    if outer is not None:
        with folder_lock(out, wait=wait):
            yield outer
        return
    check_out_dir(out)
    created = [p for p in (out, *out.parents) if not p.exists()]
    _make_out(out)
    key = (thread, out.resolve())
    claim = Claim(out, report or _print_note)
    try:
        with folder_lock(out, wait=wait):
            _CLAIMS[key] = claim
            try:
                notes, keep = recover(out)
                notes += clean_stale(out, keep=keep)
                for message in notes:
                    claim.note(message)
                yield claim
            finally:
                _CLAIMS.pop(key, None)
                _drop_control(out)
    finally:
        if not claim.published:
            for folder in created:  # innermost first; only the empty ones this call made
                with contextlib.suppress(OSError):
                    folder.rmdir()


def _new_stage(out: Path) -> Path:
    try:
        stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}-", dir=out))
        owner = json.dumps(Owner.me().to_json(), sort_keys=True) + "\n"
        (stage / OWNER_FILE).write_text(owner, encoding="utf-8")
    except OSError as err:
        msg = f"--out {out}: cannot create a staging folder there: {err.strerror or err}"
        raise OutputError(msg) from err
    return stage


@contextlib.contextmanager
def staged_output(
    out: str | os.PathLike[str], *, name: str | None = None, run_id: str | None = None
) -> Iterator[Path]:
    """
    Yield a staging folder inside `out`; when the block succeeds, publish what was written
    there into `out` as one set (all files or none), so a failed or killed command leaves
    the earlier set whole or, killed while publishing, a set the next command finishes.

    A folder output (``NAME-geojson/``) replaces the earlier folder of that name whole.

    Parameters
    ----------
    out
        The output folder (held with `claim_output` for the block).
    name
        The set's name, its manifest ``OUT/.redeploy/sets/NAME.json``; by default the
        files' common prefix (``baseline`` for ``baseline.html``, ``baseline-flows.csv``).
    run_id
        Recorded in the manifest when given.

    Raises
    ------
    OutputError
        When `out` cannot be created or written, or an output cannot be moved into place.
    OutputBusyError
        When another command is writing into `out`.
    """
    out = Path(out)
    with claim_output(out) as claim:
        stage = _new_stage(out)
        try:
            try:
                yield stage
            except OutputError as err:  # name the output, not its staging copy
                text = str(err).replace(str(stage), str(out))
                if text == str(err):
                    raise
                raise type(err)(text) from err
            published_name, notes = publish_set(stage, out, name=name, run_id=run_id)
            if published_name is not None:
                claim.published.append(published_name)
            for message in notes:
                claim.note(message)
        finally:
            if not _committed(out, stage):
                shutil.rmtree(stage, ignore_errors=True)


def published(paths: list[Path], stage: Path, out: Path) -> list[Path]:
    """Return where the files written under `stage` are once published into `out`."""
    return [Path(out) / Path(p).relative_to(stage) for p in paths]


def set_name(names: Sequence[str]) -> str:
    """A set's default name: the common prefix of its file names, without a trailing
    ``-``, ``_`` or ``.`` (``baseline-frontier`` for ``baseline-frontier.csv`` and
    ``.png``); the stem of a single file."""
    if not names:
        return "outputs"
    if len(names) == 1:
        return Path(names[0]).stem or names[0]
    first, last = min(names), max(names)  # the common prefix of all is theirs
    pairs = zip(first, last, strict=False)
    size = next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(first), len(last)))
    prefix = first[:size].rstrip("-_.")
    return prefix or Path(first).stem


def _entries(stage: Path) -> list[Path]:
    return sorted(p for p in stage.iterdir() if not p.name.startswith(".redeploy-"))


def _check_targets(entries: list[Path], out: Path) -> None:
    """Refuse before anything moves when a target is a folder and the output a file, or
    the reverse."""
    for entry in entries:
        target = out / entry.name
        if target.exists() and target.is_dir() != entry.is_dir():
            kind = "folder" if target.is_dir() else "file"
            msg = (
                f"{target}: is a {kind} in the way of this run's output; move it "
                "away and run again (earlier outputs are unchanged)"
            )
            raise OutputError(msg)


def _move(stage: Path, out: Path, name: str) -> bool:
    """Move ``stage/name`` onto ``out/name`` (a folder replaces the folder there whole);
    False when it was moved already."""
    src, dst = stage / name, out / name
    if not os.path.lexists(src):
        return False
    try:
        if src.is_dir() and dst.is_dir():
            old = stage / OLD_FOLDER
            old.mkdir(exist_ok=True)
            gone = old / name
            if os.path.lexists(gone):
                shutil.rmtree(gone, ignore_errors=True)
            os.replace(dst, gone)
        os.replace(src, dst)
    except OSError as err:
        msg = f"{dst}: could not move the output into place: {err.strerror or err}"
        raise OutputError(msg) from err
    return True


def _finish(out: Path, manifest: Manifest) -> None:
    """Mark `manifest` complete; other sets give up the files it now holds."""
    own = manifest_path(out, manifest.name)
    for path, other in list_manifests(out):
        if other is None or path == own or other.state == PUBLISHING:
            continue
        rest = {k: v for k, v in other.files.items() if k not in manifest.files}
        if len(rest) == len(other.files):
            continue
        if rest:
            write_manifest(path, dataclasses.replace(other, files=rest))
        else:
            with contextlib.suppress(OSError):
                path.unlink()
    write_manifest(own, manifest)


def _move_all(stage: Path, out: Path, manifest: Manifest) -> None:
    """Steps 2 and 3: move every staged file of `manifest` into `out`, mark it complete."""
    for name in sorted(manifest.files):
        _move(stage, out, name)
    fsync_folder(out)
    _finish(out, manifest)


def _committed(out: Path, stage: Path) -> bool:
    """Whether a manifest being published names `stage`: its files must wait there for the
    next command (the command failed between its moves)."""
    return any(
        m is not None and m.state == PUBLISHING and m.stage == stage.name
        for _, m in list_manifests(out)
    )


def publish_set(
    stage: Path, out: Path, *, name: str | None = None, run_id: str | None = None
) -> tuple[str | None, list[str]]:
    """
    Publish every entry of `stage` into `out` as set `name` (see the module's three steps).

    Returns
    -------
    tuple
        The set's name (None when `stage` held nothing) and notes: files of the set's
        earlier manifest that this one does not rewrite.
    """
    entries = _entries(stage)
    if not entries:
        return None, []
    _check_targets(entries, out)
    name = name or set_name([e.name for e in entries])
    files = {e.name: hash_entry(e, sync=True) for e in entries}
    path = manifest_path(out, name)
    previous = read_manifest(path)
    owner = Owner.me().to_json()
    write_manifest(path, Manifest(name, PUBLISHING, files, run_id, stage=stage.name, owner=owner))
    try:  # committed: from here on the new set wins
        _move_all(stage, out, Manifest(name, COMPLETE, files, run_id))
    except KeyboardInterrupt:
        # Ctrl-C between two moves: finish them (milliseconds) rather than leave a mix
        # until the next command; the interrupt is still reported.
        with contextlib.suppress(Exception):
            _move_all(stage, out, Manifest(name, COMPLETE, files, run_id))
        raise
    notes = []
    if previous is not None:
        left = sorted(n for n in previous.files if n not in files and (out / n).exists())
        if left:
            one = len(left) == 1
            notes.append(
                f"{out}: {', '.join(left)} {'is' if one else 'are'} left from an earlier run "
                f"of {name!r} that this run did not rewrite; {'it is' if one else 'they are'} "
                f"not part of its set (.redeploy/sets/{path.name})"
            )
    return name, notes


def recover(out: Path) -> tuple[list[str], set[str]]:
    """
    Finish the sets that a command killed while publishing left in `out` (the caller holds
    the folder's lock).

    Returns
    -------
    tuple
        Notes, one per set finished or found incomplete, and the staging folders to keep
        (those of a process that may still run).
    """
    notes: list[str] = []
    keep: set[str] = set()
    for path, manifest in list_manifests(out):
        if manifest is None or manifest.state != PUBLISHING:
            continue
        owner = Owner.from_json(manifest.owner)
        # this process's own earlier attempt is not running: it holds the lock now
        mine = owner is not None and owner.pid == os.getpid() and owner.alive() is True
        alive = owner.alive() if owner is not None and not mine else False
        who = owner.describe() if owner is not None else "a process"
        if alive is not False:
            if manifest.stage:
                keep.add(manifest.stage)
            state = "still runs" if alive else "cannot be checked from here"
            notes.append(f"{out}: set {manifest.name!r} is being published by {who}, which {state}")
            continue
        notes.append(_roll_forward(out, path, manifest, who))
    return notes, keep


def _roll_forward(out: Path, path: Path, manifest: Manifest, who: str) -> str:
    """Move what the staging folder still holds and mark the set complete (or incomplete)."""
    stage = out / manifest.stage if manifest.stage else None
    moved = 0
    if stage is not None and stage.is_dir():
        moved = sum(_move(stage, out, name) for name in manifest.files)
    problems = check_files(out, manifest.files)
    run = f" (run id {manifest.run_id[:12]})" if manifest.run_id else ""
    if stage is not None:
        shutil.rmtree(stage, ignore_errors=True)
    if not problems:
        done = dataclasses.replace(manifest, state=COMPLETE, stage=None, owner=None)
        _finish(out, done)
        n = len(manifest.files)
        what = (
            f"moved the last {moved} of its {n} files"
            if moved
            else f"its {n} files were all in place"
        )
        return (
            f"{out}: finished publishing set {manifest.name!r}{run}, which {who} left "
            f"half-done when it stopped: {what}, so the folder holds that set whole"
        )
    bad = dataclasses.replace(
        manifest, state=INCOMPLETE, stage=None, owner=None, problems=tuple(problems)
    )
    write_manifest(path, bad)
    return (
        f"{out}: set {manifest.name!r}{run} is incomplete: {who} stopped while publishing "
        f"it and its staging folder is gone; {'; '.join(problems)}. Run that command "
        "again to write the set whole."
    )
