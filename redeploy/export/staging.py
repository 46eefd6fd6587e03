"""SQLite connections to a GeoPackage being written in its staging folder.

A GeoPackage is written to a temporary path and published by a rename once complete
(`redeploy.io.atomic`), so the writes need not reach the disk one commit at a time:
with SQLite's default ``synchronous = FULL`` every commit waits for the disk, which on a
busy machine cost a second per package. The same bytes are written either way.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

#: GDAL configuration for the same (its SQLite-based drivers' ``PRAGMA synchronous``).
GDAL_STAGED = {"OGR_SQLITE_SYNCHRONOUS": "OFF"}


def connect_staged(path: str | Path) -> sqlite3.Connection:
    """Open `path` (a staged GeoPackage) with ``PRAGMA synchronous = OFF``."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous = OFF")
    return con
