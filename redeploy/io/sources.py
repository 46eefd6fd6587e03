"""Reading input files safely: regular files only, bounded sizes, bounded database reads.

A named pipe, a device or a socket given as a layer or scenario file would make a reader
wait forever (or read without end), and a GeoPackage table that is a view can run a query
that never ends; these helpers refuse such inputs, by name, before the readers open them.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

#: Seconds a GeoPackage table (or view) may take to be counted before it is refused.
DATABASE_READ_SECONDS = 10.0
#: A JSON true or false where a value starts (after a colon, a bracket or a comma).
_JSON_LITERAL = re.compile(rb"[:\[,]\s*(?:true|false)")

#: What a file that is not a regular file is, by `stat` test, for messages.
_SPECIAL_FILES: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def special_file_problem(path: str | os.PathLike[str]) -> str | None:
    """
    Say what `path` is when it is neither a regular file nor a folder, or return None.

    Symbolic links are followed. A missing path is None too: callers say "not found".
    """
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):  # missing, unreadable, or a name with a NUL byte
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    what = next((name for test, name in _SPECIAL_FILES if test(mode)), "not a regular file")
    return (
        f"is {what}, not a regular file; reading it could wait forever or never end, "
        "so save the data to a file and give that file"
    )


def read_limited(path: str | os.PathLike[str], limit: int) -> bytes:
    """
    Return the bytes of the regular file `path`, refusing one larger than `limit` bytes.

    Raises
    ------
    ValueError
        When the file is larger than `limit` (the message gives both sizes).
    OSError
        When the file cannot be read.
    """
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        size = os.stat(path).st_size
        msg = f"the file is {size:,} bytes, more than the {limit:,} bytes allowed"
        raise ValueError(msg)
    return data


def json_boolean_properties(
    path: str | os.PathLike[str], names: Collection[str] | None = None
) -> dict[str, set[int]]:
    """
    Return ``{property: rows}`` of the GeoJSON features whose property is true or false
    (only the properties of `names`, when given).

    GDAL turns a JSON ``true`` among numbers into 1, so a number column cannot tell it
    from a number once read; this reads the file's JSON itself. A file that is not a
    GeoJSON FeatureCollection (or not JSON at all) gives ``{}``: its reader reports it.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        if json.detect_encoding(raw).startswith("utf-8") and not _may_hold_boolean(raw, names):
            return {}
        data = json.loads(raw)
    except (OSError, ValueError, RecursionError):
        return {}
    features = data.get("features") if isinstance(data, Mapping) else None
    if not isinstance(features, list):
        return {}
    out: dict[str, set[int]] = {}
    for row, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, Mapping) else None
        if not isinstance(props, Mapping):
            continue
        for key, value in props.items():
            if isinstance(value, bool) and (names is None or str(key) in names):
                out.setdefault(str(key), set()).add(row)
    return out


def _may_hold_boolean(raw: bytes, names: Collection[str] | None) -> bool:
    """
    Whether UTF-8 JSON text may hold a true or false (as the value of one of `names`).

    A JSON true or false follows a colon, a bracket or a comma; the value of a property
    follows its name, written as it is unless the text escapes characters (``\\u``).
    Text that merely reads like one (``": true"`` in a note) only costs the parse.
    """
    if not ((b"true" in raw or b"false" in raw) and _JSON_LITERAL.search(raw)):
        return False
    if names is None or b"\\u" in raw:
        return True
    if not names:
        return False
    quoted = (json.dumps(str(n), ensure_ascii=False).encode() for n in sorted(names))
    keys = b"|".join(re.escape(q) for q in quoted)
    return re.search(rb"(?:" + keys + rb")\s*:\s*(?:true|false)", raw) is not None


def count_table_rows(
    path: str | os.PathLike[str], table: str, *, seconds: float = DATABASE_READ_SECONDS
) -> int | None:
    """
    Count the rows of `table` in the SQLite database (GeoPackage) `path` within `seconds`.

    Returns
    -------
    int or None
        The count, or None when SQLite alone cannot evaluate the table (a view that calls
        functions only GDAL defines, a file that is not SQLite): the reader reports those.

    Raises
    ------
    TimeoutError
        When counting takes longer than `seconds` (e.g. a recursive view without end).
    """
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    deadline = time.monotonic() + seconds
    try:
        con = sqlite3.connect(uri, uri=True, timeout=seconds)
    except sqlite3.Error:
        return None
    try:
        # SQLite calls the handler every 10,000 virtual-machine steps; non-zero aborts.
        con.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        quoted = '"' + table.replace('"', '""') + '"'
        row = con.execute(f"SELECT count(*) FROM {quoted}").fetchone()
    except sqlite3.Error as err:
        if time.monotonic() > deadline:
            msg = f"counting the rows of table {table!r} took more than {seconds:g} s"
            raise TimeoutError(msg) from err
        return None
    finally:
        con.close()
    return int(row[0])
