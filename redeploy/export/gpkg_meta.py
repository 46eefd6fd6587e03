"""GeoPackage metadata: field titles and units (``gpkg_data_columns``, the schema extension),
value constraints (``gpkg_data_column_constraints``) and the ``layer_styles`` table QGIS reads.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from redeploy.export.columns import column_description, column_title
from redeploy.export.qgis_styles import LayerStyle
from redeploy.export.staging import connect_staged
from redeploy.schemas import ColumnSpec


@dataclass(frozen=True)
class ExportTable:
    """One table to write: its frame, title, description and documented columns."""

    name: str
    frame: pd.DataFrame
    title: str
    description: str
    columns: Mapping[str, ColumnSpec]


def styles_frame(styles: Sequence[tuple[LayerStyle, str]], stamp: str) -> pd.DataFrame:
    # The schema QGIS creates (QgsOgrProviderMetadata::saveStyle); FID column `id`.
    when = pd.Timestamp(stamp.rstrip("Z")).tz_localize("UTC")
    return pd.DataFrame(
        {
            "f_table_catalog": ["" for _ in styles],
            "f_table_schema": ["" for _ in styles],
            "f_table_name": [s.layer for s, _ in styles],
            "f_geometry_column": [g for _, g in styles],
            "styleName": [s.name for s, _ in styles],
            "styleQML": [s.qml for s, _ in styles],
            "styleSLD": [s.sld for s, _ in styles],
            "useAsDefault": [True for _ in styles],
            "description": [s.description for s, _ in styles],
            "owner": ["" for _ in styles],
            "ui": ["" for _ in styles],
            "update_time": pd.Series([when for _ in styles], dtype="datetime64[ms, UTC]"),
        }
    )


_DATA_COLUMNS_DDL = """
CREATE TABLE IF NOT EXISTS gpkg_data_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  name TEXT,
  title TEXT,
  description TEXT,
  mime_type TEXT,
  constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
  CONSTRAINT gdc_tn UNIQUE (table_name, name)
);
CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
  constraint_name TEXT NOT NULL,
  constraint_type TEXT NOT NULL,
  value TEXT,
  min NUMERIC,
  min_is_inclusive BOOLEAN,
  max NUMERIC,
  max_is_inclusive BOOLEAN,
  description TEXT,
  CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value)
);
CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
);
"""


_SCHEMA_EXTENSION = "http://www.geopackage.org/spec/#extension_schema"


def _constraint(spec: ColumnSpec) -> tuple[str, list[tuple[object, ...]]] | None:
    """Return (constraint name, gpkg_data_column_constraints rows) for a column, if any."""
    if spec.dtype == "enum" and spec.choices:
        name = "enum_" + "_".join(re.sub(r"[^a-z0-9]+", "", c.lower()) for c in spec.choices)
        return name, [
            (name, "enum", c, None, None, None, None, f"Allowed value {c!r}.") for c in spec.choices
        ]
    if (
        spec.dtype in ("int", "float")
        and spec.minimum is not None
        and (spec.maximum is not None and spec.minimum < spec.maximum)
    ):
        name = f"range_{spec.minimum:g}_{spec.maximum:g}"
        return name, [
            (
                name,
                "range",
                None,
                spec.minimum,
                1,
                spec.maximum,
                1,
                f"From {spec.minimum:g} to {spec.maximum:g}.",
            )
        ]
    return None


def finish_gpkg(path: Path, tables: Sequence[ExportTable], stamp: str) -> None:
    """Add field descriptions and constraints (schema extension) and fix every timestamp."""
    con = connect_staged(path)
    try:
        with con:
            con.executescript(_DATA_COLUMNS_DDL)
            constraints: dict[str, list[tuple[object, ...]]] = {}
            rows = []
            for table in tables:
                labels: set[str] = set()
                for col, spec in table.columns.items():
                    if col not in table.frame.columns:
                        continue
                    found = _constraint(spec)
                    if found:
                        constraints.setdefault(found[0], found[1])
                    # `name` is what GDAL (>= 3.7) reads as the field's alternative name;
                    # it must be unique within the table.
                    title = column_title(col, spec)
                    label = title if title not in labels else col
                    labels.add(label)
                    rows.append(
                        (
                            table.name,
                            col,
                            label,
                            title,
                            column_description(spec),
                            None,
                            found[0] if found else None,
                        )
                    )
            con.executemany("INSERT OR REPLACE INTO gpkg_data_columns VALUES (?,?,?,?,?,?,?)", rows)
            for name in sorted(constraints):
                con.executemany(
                    "INSERT OR REPLACE INTO gpkg_data_column_constraints VALUES (?,?,?,?,?,?,?,?)",
                    constraints[name],
                )
            for ext_table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
                con.execute(
                    "INSERT OR REPLACE INTO gpkg_extensions VALUES (?, NULL, "
                    "'gpkg_schema', ?, 'read-write')",
                    (ext_table, _SCHEMA_EXTENSION),
                )
            con.execute("UPDATE gpkg_contents SET last_change = ?", (stamp,))
        con.execute("VACUUM")
    finally:
        con.close()


def geometry_columns(path: Path) -> dict[str, str]:
    con = sqlite3.connect(path)
    try:
        return dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
    finally:
        con.close()
