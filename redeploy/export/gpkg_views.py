"""Zone polygons stored once in a run's GeoPackage: ``zone_allocations`` as a spatial view.

The ``zone_allocations`` layer has one row per zone with the zone's polygon, the same
polygon the ``peripheral_zones`` layer holds. `share_zone_geometry` keeps its values in
a plain table, ``zone_allocations_values`` (not registered in ``gpkg_contents``, so GIS
clients list no extra layer), and replaces the layer by a view that takes each polygon
from ``peripheral_zones`` by zone id (GeoPackage 1.3 spatial views; GDAL reads the view's
``OGC_FID`` column as the feature id). Clients see the same layer: the same name, fields,
types, rows and geometries, read-only.

It is done only where the polygons are byte-identical in both tables and every zone id
matches at most one zone; otherwise the layer stays a table as written.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from redeploy.export.staging import connect_staged

#: The layer made a view, the layer its geometry comes from, and the key joining them.
VIEW = "zone_allocations"
SOURCE = "peripheral_zones"
KEY = "id"
#: The plain table holding the view's values.
VALUES = f"{VIEW}_values"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _geometry_column(con: sqlite3.Connection, table: str) -> str | None:
    row = con.execute(
        "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
    ).fetchone()
    return str(row[0]) if row else None


def _shareable(con: sqlite3.Connection, geom: str, source_geom: str) -> bool:
    """True when every row's polygon equals the one its zone id finds in the source."""
    v, s, k = _q(VIEW), _q(SOURCE), _q(KEY)
    rows = con.execute(f"SELECT count(*) FROM {v}").fetchone()[0]
    joined, differ = con.execute(
        f"SELECT count(*), coalesce(sum(a.{_q(geom)} IS NOT z.{_q(source_geom)}), 0) "
        f"FROM {v} a LEFT JOIN {s} z ON z.{k} = a.{k}"
    ).fetchone()
    return bool(joined == rows and differ == 0)


def share_zone_geometry(path: Path) -> bool:
    """
    Make ``zone_allocations`` a view on ``peripheral_zones``'s polygons (module docstring).

    Returns True when done, False when the GeoPackage lacks either layer or the polygons
    differ.
    """
    con = connect_staged(path)
    try:
        geom = _geometry_column(con, VIEW)
        source_geom = _geometry_column(con, SOURCE)
        if geom is None or source_geom is None or not _shareable(con, geom, source_geom):
            return False
        columns = con.execute(f"PRAGMA table_info({_q(VIEW)})").fetchall()
        fid = next(c[1] for c in columns if c[5])
        values = [c for c in columns if c[1] != geom]
        with con:
            ddl = ", ".join(
                f"{_q(c[1])} {c[2]}" + (" PRIMARY KEY AUTOINCREMENT NOT NULL" if c[5] else "")
                for c in values
            )
            names = ", ".join(_q(c[1]) for c in values)
            con.execute(f"CREATE TABLE {_q(VALUES)} ({ddl})")
            con.execute(f"INSERT INTO {_q(VALUES)} ({names}) SELECT {names} FROM {_q(VIEW)}")
            con.execute(f"DROP TABLE IF EXISTS {_q(f'rtree_{VIEW}_{geom}')}")
            con.execute(f"DROP TABLE {_q(VIEW)}")
            con.execute(
                "DELETE FROM gpkg_extensions WHERE table_name = ? AND extension_name = "
                "'gpkg_rtree_index'",
                (VIEW,),
            )
            con.execute("DELETE FROM gpkg_ogr_contents WHERE table_name = ?", (VIEW,))
            select = ", ".join(
                f"z.{_q(source_geom)} AS {_q(geom)}"
                if c[1] == geom
                else (f"a.{_q(c[1])} AS OGC_FID" if c[1] == fid else f"a.{_q(c[1])}")
                for c in columns
            )
            con.execute(
                f"CREATE VIEW {_q(VIEW)} AS SELECT {select} FROM {_q(VALUES)} a "
                f"LEFT JOIN {_q(SOURCE)} z ON z.{_q(KEY)} = a.{_q(KEY)}"
            )
        return True
    finally:
        con.close()
