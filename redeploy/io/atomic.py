"""Safe writes: a temporary file beside the target moved into place only on success.

A failed or interrupted write therefore leaves the earlier file intact. Files get the usual
permissions (0666 less the umask), not the owner-only mode of `tempfile.mkstemp`. Sets of
files published together live in `redeploy.io.publish`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from redeploy.errors import OutputError


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_read_umask()


def make_folder(folder: Path) -> None:
    """
    Create `folder` and its parents, or raise OutputError saying why not.

    Raises
    ------
    OutputError
        Naming the folder, or the file that stands where a folder of its path should be.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        blocker = next((p for p in (folder, *folder.parents) if p.is_file()), None)
        why = (
            f"{blocker} is a file, not a folder"
            if blocker is not None
            else err.strerror or str(err)
        )
        msg = f"{folder}: cannot create the output folder: {why}"
        raise OutputError(msg) from err


#: How the C library, SQLite (GDAL's GeoPackage driver) and Arrow say the disk is full.
_DISK_FULL = re.compile(r"no space left on device|database or disk is full|disk quota", re.I)


def write_error_reason(err: BaseException, tmp: Path, path: Path) -> str:
    """
    Say why writing `path` failed: the library's reason, with the temporary file's name
    replaced by the target's, led by what the disk's free space tells when it is (nearly)
    full.
    """
    text = (err.strerror if isinstance(err, OSError) else None) or str(err) or type(err).__name__
    text = text.replace(str(tmp), str(path))
    fix = "free space there or write elsewhere (--out); earlier outputs are unchanged"
    if getattr(err, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or _DISK_FULL.search(text):
        return f"the disk is full ({text}) on the disk that holds {path.parent}; {fix}"
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        return text
    if free < _NEARLY_FULL_BYTES:
        # SQLite may fail for want of room for its journal with GDAL saying only "Failed
        # to commit transaction", while some megabytes are still free
        return (
            f"the disk is nearly full ({free / 1e6:.1f} MB free on the disk that holds "
            f"{path.parent}), the likely cause of: {text}; {fix}"
        )
    return text


#: Free bytes below which a failed write is put down to a nearly full disk.
_NEARLY_FULL_BYTES = 16 << 20


def temp_sibling(path: Path) -> Path:
    """Return a unique temporary path in `path`'s folder with the same suffix."""
    # Same folder (os.replace must not cross file systems), same suffix (GDAL drivers check it).
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    return path.with_name(f".{path.stem}.{token}.tmp{path.suffix}")


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str], *, catch: tuple[type[Exception], ...] = ()
) -> Iterator[Path]:
    """
    Yield a temporary path beside `path`; move it onto `path` only if the block succeeds.

    Parameters
    ----------
    path
        The target file.
    catch
        Exception types of the writing library (GDAL, Arrow, SQLite, ...) to report as
        `OutputError` naming `path`, like an `OSError`.

    Raises
    ------
    OutputError
        When the file cannot be written or moved (the message names the file).
    """
    path = Path(path)
    make_folder(path.parent)
    tmp = temp_sibling(path)
    try:
        yield tmp
        if tmp.exists():
            tmp.chmod(_MODE)
        os.replace(tmp, path)
    except OutputError:
        raise
    except OSError as err:
        msg = f"{path}: could not write the file: {write_error_reason(err, tmp, path)}"
        raise OutputError(msg) from err
    except catch as err:
        msg = f"{path}: could not write the file: {write_error_reason(err, tmp, path)}"
        raise OutputError(msg) from err
    finally:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write text (UTF-8, ``\\n`` line ends) or bytes to `path` atomically; return the path."""
    with atomic_path(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8", newline="\n")
    return Path(path)


def write_all_atomic(files: Mapping[Path, str | bytes]) -> None:
    """
    Write several files so that either all are replaced or none is.

    Every file is first written to a temporary sibling; only when all are written are they
    moved into place.
    """
    with contextlib.ExitStack() as stack:
        temps = [(stack.enter_context(atomic_path(p)), data) for p, data in files.items()]
        for tmp, data in temps:
            if isinstance(data, bytes):
                tmp.write_bytes(data)
            else:
                tmp.write_text(data, encoding="utf-8", newline="\n")


def write_with(
    path: str | os.PathLike[str],
    write: Callable[[Path], object],
    *,
    catch: tuple[type[Exception], ...] = (),
) -> Path:
    """Call ``write(tmp)`` on a temporary sibling of `path`, then move it into place."""
    with atomic_path(path, catch=catch) as tmp:
        write(tmp)
    return Path(path)


# ---------------------------------------------------------------- output folders


def check_out_dir(out: Path) -> None:
    """
    Refuse an output folder that cannot be created or written, before any work is done.

    Raises
    ------
    OutputError
        Naming the path and why: it is a file, a parent is a file, or it is not writable.
    """
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            msg = f"--out {out}: is a file, not a folder; give a folder for the outputs"
            raise OutputError(msg)
        if not os.access(out, os.W_OK | os.X_OK):
            msg = f"--out {out}: the folder is not writable"
            raise OutputError(msg)
        return
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        msg = f"--out {out}: cannot create the folder because {parent} is a file, not a folder"
        raise OutputError(msg)
    if not os.access(parent, os.W_OK | os.X_OK):
        msg = f"--out {out}: cannot create the folder: {parent} is not writable"
        raise OutputError(msg)
