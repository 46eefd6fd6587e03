"""Write layers and allocation results as GIS files: GeoPackage, GeoJSON (RFC 7946), GeoParquet.

Every writer is atomic (a temporary file in the target folder, then `os.replace`), so a
failed export leaves earlier outputs intact, and reproducible: rows sorted by id, fixed
timestamps, so the same inputs give a byte-identical GeoPackage. The GeoPackage carries
field descriptions and units (``gpkg_data_columns``, the GeoPackage schema extension),
value constraints (``gpkg_data_column_constraints``) and a default QGIS style per layer
(``layer_styles``). Export only reshapes the model's result frames; it computes nothing.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio

from redeploy.errors import OutputError, RedeployError
from redeploy.export.columns import (
    RESULT_COLUMNS,
    column_description,
    column_title,
    columns_for,
    title_for,
)
from redeploy.export.qgis_project import write_project
from redeploy.export.qgis_styles import LayerStyle, style_for_layer
from redeploy.export.tables import write_tables
from redeploy.io.atomic import atomic_path
from redeploy.model.result import (
    FLOW_COLUMNS,
    FRONT_COLUMNS,
    LEDGER_COLUMNS,
    ZONE_COLUMNS,
    AllocationResult,
)
from redeploy.schemas import (
    ASSET_UNITS,
    ASSETS,
    CRS,
    MILITARY_ASSETS,
    ColumnSpec,
)

#: Formats `write_layers` writes.
LAYER_FORMATS: tuple[str, ...] = ("gpkg", "geojson", "parquet")
#: Formats `write_results` writes (``csv`` are the model's tables, `redeploy.export.tables`).
RESULT_FORMATS: tuple[str, ...] = ("gpkg", "geojson", "parquet", "csv")

_EXTENSION_TO_DRIVER: Mapping[str, str] = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".parquet": "Parquet",  # written with pyarrow (GeoParquet): no GDAL here has the driver
}
_FORMAT_TO_EXTENSION: Mapping[str, str] = {
    "gpkg": ".gpkg",
    "geojson": ".geojson",
    "parquet": ".parquet",
}

#: Timestamp stored wherever a GeoPackage wants "now", so exports are reproducible.
#: The environment variable ``SOURCE_DATE_EPOCH`` (reproducible-builds convention) overrides it.
FIXED_TIMESTAMP = "2024-01-01T00:00:00.000Z"
#: GeoPackage version written: 1.3, which GDAL 3.6's validate_gpkg.py (Debian 12) accepts.
GPKG_VERSION = "1.3"
#: Decimal places of GeoJSON coordinates (about 0.1 m).
GEOJSON_PRECISION = 6


class ExportFormatError(RedeployError, ValueError):
    """An export format or file extension redeploy cannot write."""


# --------------------------------------------------------------------------- formats


def _check_format(fmt: str, allowed: Sequence[str]) -> str:
    key = fmt.strip().lower().lstrip(".")
    if key not in allowed:
        msg = f"unknown export format {fmt!r}; supported formats: {', '.join(allowed)}"
        raise ExportFormatError(msg)
    return key


def parse_formats(
    value: str | Sequence[str], *, allowed: Sequence[str] = RESULT_FORMATS
) -> tuple[str, ...]:
    """
    Parse ``"gpkg,csv"`` (or a sequence of names) into a tuple of known formats.

    Raises
    ------
    ExportFormatError
        Naming the unknown format and listing the supported ones.
    """
    items = value.split(",") if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        if item.strip():
            key = _check_format(item, allowed)
            if key not in out:
                out.append(key)
    if not out:
        msg = f"no export format given; supported formats: {', '.join(allowed)}"
        raise ExportFormatError(msg)
    return tuple(out)


def _format_from_path(path: Path) -> str:
    driver = _EXTENSION_TO_DRIVER.get(path.suffix.lower())
    if driver is None:
        supported = ", ".join(_EXTENSION_TO_DRIVER)
        msg = (
            f"{path}: cannot tell the export format from extension {path.suffix!r}; "
            f"supported extensions: {supported} (or pass fmt=)"
        )
        raise ExportFormatError(msg)
    return path.suffix.lower().lstrip(".")


# --------------------------------------------------------------------------- frames


def _is_listlike(value: object) -> bool:
    return isinstance(value, list | tuple | set | frozenset | np.ndarray)


def _join_lists(series: pd.Series) -> pd.Series:
    if series.dtype != object or not series.map(_is_listlike).any():
        return series
    return series.map(
        lambda v: (
            ";".join(str(x) for x in (sorted(v) if isinstance(v, set | frozenset) else v))
            if _is_listlike(v)
            else v
        )
    )


def _typed(frame: pd.DataFrame, columns: Mapping[str, ColumnSpec]) -> pd.DataFrame:
    """Coerce columns to their declared type: ints as integers, floats as reals, text as text."""
    out = frame.copy()
    geometry = out.geometry.name if isinstance(out, gpd.GeoDataFrame) else None
    for col in out.columns:
        if col == geometry:
            continue
        spec = columns.get(col)
        series = _join_lists(out[col])
        if spec is not None and spec.dtype == "int":
            numbers = pd.to_numeric(series, errors="raise")
            series = numbers.astype("Int64") if numbers.isna().any() else numbers.astype("int64")
        elif spec is not None and spec.dtype == "float":
            series = pd.to_numeric(series, errors="raise").astype("float64")
        elif spec is not None:
            series = series.astype(object).where(series.notna(), None)
            series = series.map(lambda v: v if v is None else str(v))
        out[col] = series
    return out


def _prepare_layer(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `frame` typed per its schema, in EPSG:4326, rows sorted by id."""
    out = _typed(frame, columns_for(name))
    if isinstance(out, gpd.GeoDataFrame):
        if out.crs is None:
            out = out.set_crs(CRS)
        elif not out.crs.equals(CRS):
            out = out.to_crs(CRS)
    if "id" in out.columns:
        out = out.sort_values("id", kind="stable")
    return out.reset_index(drop=True)


def _asset_order(*frames: pd.DataFrame) -> list[str]:
    present: set[str] = set()
    for frame in frames:
        if "asset" in frame.columns:
            present |= {str(a) for a in frame["asset"].dropna()}
    return [a for a in ASSETS if a in present] + sorted(present - set(ASSETS))


def _wide(
    table: pd.DataFrame, key: str, column: str, prefix: str, assets: Sequence[str]
) -> pd.DataFrame:
    """Pivot one per-asset column of a long (key, asset) table to ``prefix_<asset>`` columns."""
    if len(table) == 0:
        return pd.DataFrame(columns=[f"{prefix}_{a}" for a in assets], dtype="float64")
    wide = table.pivot(index=key, columns="asset", values=column)
    wide = wide.reindex(columns=list(assets)).astype("float64")
    wide.columns = [f"{prefix}_{a}" for a in wide.columns]
    return wide


def _flows_layer(result: AllocationResult) -> gpd.GeoDataFrame:
    keys = ["front_id", "zone_id", "asset"]
    flows = pd.DataFrame(result.flows).loc[:, list(FLOW_COLUMNS)]
    routes = result.routes
    geom = routes.geometry.name
    extra = ["mode"] if "mode" in routes.columns else []
    attrs = pd.DataFrame(routes[keys + extra]).assign(**{geom: routes.geometry.array})
    merged = flows.merge(attrs, on=keys, how="left", validate="one_to_one")
    if "mode" not in merged.columns:
        merged["mode"] = None
    rank = {a: i for i, a in enumerate(_asset_order(flows))}
    merged = (
        merged.assign(_rank=merged["asset"].map(rank))
        .sort_values(["front_id", "zone_id", "_rank"], kind="stable")
        .reset_index(drop=True)
    )
    merged.insert(
        0,
        "id",
        merged["front_id"].astype(str)
        + "__"
        + merged["zone_id"].astype(str)
        + "__"
        + merged["asset"].astype(str),
    )
    merged.insert(5, "unit", merged["asset"].map(lambda a: ASSET_UNITS.get(a, "")))
    cols = list(RESULT_COLUMNS["flows"])
    geometry = gpd.GeoSeries(merged[geom].array, crs=routes.crs or CRS)
    out = gpd.GeoDataFrame(merged[cols], geometry=geometry)
    if not out.crs.equals(CRS):
        out = out.to_crs(CRS)
    return _typed(out, RESULT_COLUMNS["flows"])


def _zone_layer(zones_layer: gpd.GeoDataFrame, result: AllocationResult) -> gpd.GeoDataFrame:
    zones = pd.DataFrame(result.zones).loc[:, list(ZONE_COLUMNS)]
    assets = _asset_order(zones) or list(ASSETS)
    keep = [c for c in ("id", "name", "iso3", "region", "access") if c in zones_layer.columns]
    base = zones_layer[[*keep, zones_layer.geometry.name]].copy()
    alloc = _wide(zones, "zone_id", "allocated", "alloc", assets)
    mv = _wide(zones, "zone_id", "marginal_value", "mv", assets)
    value = zones.groupby("zone_id")["value"].sum(min_count=1).rename("value")
    out = base.join(alloc, on="id").join(value, on="id").join(mv, on="id")
    alloc_cols = list(alloc.columns)
    out[alloc_cols] = out[alloc_cols].fillna(0.0)  # a zone without rows received nothing
    military = [f"alloc_{a}" for a in MILITARY_ASSETS if f"alloc_{a}" in alloc_cols]
    out["alloc_military"] = out[military].sum(axis=1)
    out["alloc_total"] = out[alloc_cols].sum(axis=1)
    out = out[
        [
            *keep,
            *alloc_cols,
            "alloc_military",
            "alloc_total",
            "value",
            *mv.columns,
            base.geometry.name,
        ]
    ]
    return _prepare_layer("zone_allocations", gpd.GeoDataFrame(out, crs=zones_layer.crs))


def _front_layer(fronts_layer: gpd.GeoDataFrame, result: AllocationResult) -> gpd.GeoDataFrame:
    fronts = pd.DataFrame(result.fronts).loc[:, list(FRONT_COLUMNS)]
    assets = _asset_order(fronts) or list(ASSETS)
    keep = [c for c in ("id", "name", "theater") if c in fronts_layer.columns]
    base = fronts_layer[[*keep, fronts_layer.geometry.name]].copy()
    freed = _wide(fronts, "front_id", "freed", "freed", assets)
    released = _wide(fronts, "front_id", "released", "released", assets)
    mv = _wide(fronts, "front_id", "marginal_value", "mv", assets)
    risk = fronts.groupby("front_id")["risk"].sum(min_count=1).rename("risk")
    out = base.join(freed, on="id").join(released, on="id").join(risk, on="id").join(mv, on="id")
    cols = [*keep, *freed.columns, *released.columns, "risk", *mv.columns, base.geometry.name]
    return _prepare_layer("front_release", gpd.GeoDataFrame(out[cols], crs=fronts_layer.crs))


def _ledger_table(result: AllocationResult) -> pd.DataFrame:
    ledger = pd.DataFrame(result.ledger).loc[:, list(LEDGER_COLUMNS)]
    ledger = ledger.sort_values("front_id", kind="stable").reset_index(drop=True)
    return _typed(ledger, RESULT_COLUMNS["ledger"])


def build_result_layers(
    layers: Mapping[str, gpd.GeoDataFrame], result: AllocationResult
) -> dict[str, pd.DataFrame]:
    """
    Reshape an allocation result into GIS layers.

    Parameters
    ----------
    layers
        Validated input layers keyed by kind (``read_layers``); ``fronts`` and
        ``peripheral_zones`` give the result layers their geometry.
    result
        The solve to export.

    Returns
    -------
    dict
        ``flows`` (MultiLineStrings along the routes), ``zone_allocations`` (zone polygons,
        one ``alloc_<asset>``/``mv_<asset>`` column per asset class), ``front_release``
        (front points, ``freed_``/``released_``/``mv_<asset>``) and ``ledger`` (a table
        without geometry). Columns are documented in `RESULT_COLUMNS`.

    Raises
    ------
    OutputError
        When a layer the result needs is missing.
    """
    missing = [k for k in ("fronts", "peripheral_zones") if k not in layers]
    if missing:
        msg = (
            f"cannot export results: layer(s) {', '.join(missing)} missing from the input "
            "layers; pass the layers the result was solved with"
        )
        raise OutputError(msg)
    return {
        "flows": _flows_layer(result),
        "zone_allocations": _zone_layer(layers["peripheral_zones"], result),
        "front_release": _front_layer(layers["fronts"], result),
        "ledger": _ledger_table(result),
    }


# --------------------------------------------------------------------------- atomic files


#: Errors of the writing libraries, reported as `OutputError` naming the target file.
_WRITER_ERRORS: tuple[type[Exception], ...] = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    sqlite3.Error,
    pa.ArrowException,
)


def _atomic(path: Path) -> contextlib.AbstractContextManager[Path]:
    """Yield a temporary path beside `path`; move it onto `path` only if the block succeeds."""
    return atomic_path(path, catch=_WRITER_ERRORS)


def _timestamp() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        stamp = pd.Timestamp(int(epoch), unit="s", tz="UTC")
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return FIXED_TIMESTAMP


@contextlib.contextmanager
def _gdal_config(options: Mapping[str, str]) -> Iterator[None]:
    old = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(dict(options))
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)


def _geometry_type(frame: pd.DataFrame, default: str) -> tuple[str | None, bool]:
    """Return (OGR geometry type, promote_to_multi) for writing `frame`."""
    if not isinstance(frame, gpd.GeoDataFrame):
        return None, False
    types = set(frame.geometry.dropna().geom_type)
    if not types:
        return default, False
    families = {t.removeprefix("Multi") for t in types}
    if len(families) > 1:
        return "Unknown", False
    family = families.pop()
    if family in ("LineString", "Polygon") or any(t.startswith("Multi") for t in types):
        # Always multi for lines and polygons: the layer keeps one type from run to run
        # (a flow that crosses the antimeridian is a MultiLineString).
        return f"Multi{family}", True
    return family, False


_DEFAULT_GEOMETRY = {
    "flows": "MultiLineString",
    "zone_allocations": "MultiPolygon",
    "front_release": "Point",
}


# --------------------------------------------------------------------------- GeoPackage


@dataclass(frozen=True)
class _Table:
    name: str
    frame: pd.DataFrame
    title: str
    description: str
    columns: Mapping[str, ColumnSpec]


def _tables(frames: Mapping[str, pd.DataFrame], *, caption: str = "") -> list[_Table]:
    tables = []
    for name, frame in frames.items():
        title, description = title_for(name)
        if caption:
            description = f"{description} {caption}".strip()
        tables.append(_Table(name, frame, title, description, columns_for(name)))
    return tables


def _aliases(table: _Table) -> dict[str, str]:
    # QGIS shows aliases as column headers: keep the name recognisable, add the unit.
    return {
        col: f"{col} [{spec.unit}]"
        for col, spec in table.columns.items()
        if col in table.frame.columns and spec.unit
    }


def _styles_frame(styles: Sequence[tuple[LayerStyle, str]], stamp: str) -> pd.DataFrame:
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


def _finish_gpkg(path: Path, tables: Sequence[_Table], stamp: str) -> None:
    """Add field descriptions and constraints (schema extension) and fix every timestamp."""
    con = sqlite3.connect(path)
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


def _geometry_columns(path: Path) -> dict[str, str]:
    con = sqlite3.connect(path)
    try:
        return dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
    finally:
        con.close()


def _write_gpkg(
    tables: Sequence[_Table], path: Path, *, styled: bool = True, run: tuple[str, str] | None = None
) -> Path:
    stamp = _timestamp()
    with _atomic(path) as tmp, _gdal_config({"OGR_CURRENT_DATE": stamp}):
        for i, table in enumerate(tables):
            geometry_type, promote = _geometry_type(
                table.frame, _DEFAULT_GEOMETRY.get(table.name, "Unknown")
            )
            pyogrio.write_dataframe(
                table.frame,
                tmp,
                layer=table.name,
                driver="GPKG",
                geometry_type=geometry_type,
                promote_to_multi=promote,
                dataset_options={"VERSION": GPKG_VERSION} if i == 0 else None,
                layer_options={"IDENTIFIER": table.title, "DESCRIPTION": table.description},
            )
        if styled:
            geometry_columns = _geometry_columns(tmp)
            styles = []
            for table in tables:
                geometry_type, _ = _geometry_type(
                    table.frame, _DEFAULT_GEOMETRY.get(table.name, "Unknown")
                )
                style = style_for_layer(
                    table.name, table.frame, aliases=_aliases(table), geometry_type=geometry_type
                )
                if style is not None and table.name in geometry_columns:
                    styles.append((style, geometry_columns[table.name]))
            if styles:
                pyogrio.write_dataframe(
                    _styles_frame(styles, stamp),
                    tmp,
                    layer="layer_styles",
                    driver="GPKG",
                    layer_options={
                        "FID": "id",
                        "IDENTIFIER": "layer_styles",
                        "DESCRIPTION": "Default QGIS style of each layer.",
                    },
                )
            if run is not None:
                # A run's package holds a QGIS project (order, titles, labels, map tips,
                # layout). Not a layers export: the project's layer sources name the file,
                # and layers exports stay byte-identical under any file name.
                write_project(
                    tmp,
                    {t.name: t.frame for t in tables},
                    {
                        t.name: _geometry_type(t.frame, _DEFAULT_GEOMETRY.get(t.name, "Unknown"))[0]
                        if t.name in geometry_columns
                        else None
                        for t in tables
                    },
                    {s.layer: s.qml for s, _ in styles},
                    file_name=path.name,
                    name=path.stem,
                    stamp=stamp,
                    run=run,
                )
        _finish_gpkg(tmp, tables, stamp)
    return path


# --------------------------------------------------------------------------- GeoJSON / Parquet


def _write_geojson(table: _Table, path: Path) -> Path:
    frame = table.frame
    if not isinstance(frame, gpd.GeoDataFrame):  # a table: features with null geometry
        frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame)), crs=CRS)
    geometry_type, promote = _geometry_type(frame, "Unknown")
    with _atomic(path) as tmp:
        pyogrio.write_dataframe(
            frame,
            tmp,
            driver="GeoJSON",
            layer=table.name,
            geometry_type=geometry_type,
            promote_to_multi=promote,
            layer_options={
                "RFC7946": "YES",
                "COORDINATE_PRECISION": str(GEOJSON_PRECISION),
                "DESCRIPTION": table.description,
                "WRITE_NAME": "YES",
            },
        )
    return path


def _write_parquet(table: _Table, path: Path) -> Path:
    buffer = io.BytesIO()
    if isinstance(table.frame, gpd.GeoDataFrame):
        table.frame.to_parquet(buffer, index=False)
    else:
        pd.DataFrame(table.frame).to_parquet(buffer, index=False, engine="pyarrow")
    arrow = pq.read_table(io.BytesIO(buffer.getvalue()))
    fields = []
    for f in arrow.schema:
        spec = table.columns.get(f.name)
        if spec is not None:
            meta = {b"description": column_description(spec).encode()}
            if spec.unit:
                meta[b"unit"] = spec.unit.encode()
            f = f.with_metadata(meta)
        fields.append(f)
    arrow = arrow.cast(pa.schema(fields, metadata=arrow.schema.metadata))
    with _atomic(path) as tmp:
        pq.write_table(arrow, tmp)
    return path


def _write_folder(tables: Sequence[_Table], folder: Path, fmt: str) -> list[Path]:
    if folder.exists() and not folder.is_dir():
        msg = (
            f"{folder}: {fmt} export writes one file per layer into a folder, but this "
            "path is a file; pass a folder path"
        )
        raise OutputError(msg)
    writer: Callable[[_Table, Path], Path] = _write_geojson if fmt == "geojson" else _write_parquet
    ext = _FORMAT_TO_EXTENSION[fmt]
    return [writer(table, folder / f"{table.name}{ext}") for table in tables]


def _write(
    tables: Sequence[_Table], path: Path, fmt: str, *, run: tuple[str, str] | None = None
) -> list[Path]:
    if fmt == "gpkg":
        if path.is_dir():
            msg = f"{path}: is a folder; gpkg export needs a file path ending in .gpkg"
            raise OutputError(msg)
        if path.suffix.lower() != ".gpkg":
            msg = f"{path}: a GeoPackage path must end in .gpkg, got {path.suffix!r}"
            raise ExportFormatError(msg)
        return [_write_gpkg(tables, path, run=run)]
    return _write_folder(tables, path, fmt)


# --------------------------------------------------------------------------- public API


def write_layers(
    frames: Mapping[str, pd.DataFrame], path: str | Path, *, fmt: str | None = None
) -> list[Path]:
    """
    Write validated layers as one GeoPackage, or one GeoJSON / GeoParquet file per layer.

    Parameters
    ----------
    frames
        Layers keyed by kind (``read_layers``); any other name is written as given.
    path
        The ``.gpkg`` file for ``gpkg``; the folder receiving ``<layer>.geojson`` or
        ``<layer>.parquet`` otherwise.
    fmt
        ``gpkg``, ``geojson`` or ``parquet``; by default taken from `path`'s extension.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ExportFormatError
        For an unknown format (the message lists the supported ones).
    OutputError
        When a file cannot be written; files written before are left intact.

    Notes
    -----
    GeoPackage 1.3 in EPSG:4326 with field descriptions, units and a default QGIS style
    per layer; GeoJSON per RFC 7946 (WGS 84 lon/lat, split at the antimeridian, 6
    decimals); GeoParquet with descriptions and units as Arrow field metadata.
    """
    path = Path(path)
    key = _format_from_path(path) if fmt is None else _check_format(fmt, LAYER_FORMATS)
    prepared = {
        str(getattr(name, "value", name)): _prepare_layer(str(getattr(name, "value", name)), frame)
        for name, frame in frames.items()
    }
    return _write(_tables(prepared), path, key)


def write_results(
    layers: Mapping[str, gpd.GeoDataFrame],
    result: AllocationResult,
    out_dir: str | Path,
    *,
    name: str | None = None,
    formats: str | Sequence[str] = ("gpkg", "csv"),
) -> list[Path]:
    """
    Write input layers and result layers of one run.

    Parameters
    ----------
    layers
        Validated input layers keyed by kind.
    result
        The solve to export.
    out_dir
        Output folder (``maps/`` by default in the CLI).
    name
        Base name of the outputs; default the scenario name.
    formats
        Any of ``gpkg`` (``OUT/NAME.gpkg``: every input layer plus ``flows``,
        ``zone_allocations``, ``front_release`` and ``ledger``, styled for QGIS),
        ``geojson`` (``OUT/NAME-geojson/<layer>.geojson``), ``parquet``
        (``OUT/NAME-parquet/<layer>.parquet``) and ``csv`` (the model's tables and JSON
        summary, `redeploy.export.tables.write_tables`: ``OUT/<scenario>-flows.csv`` ...); a list
        or a comma-separated string.

    Returns
    -------
    list of Path
        Every file written.

    Raises
    ------
    ExportFormatError
        For an unknown format.
    OutputError
        When a file cannot be written.
    """
    keys = parse_formats(formats)
    out_dir = Path(out_dir)
    base = name or result.scenario
    inputs = {
        str(getattr(k, "value", k)): _prepare_layer(str(getattr(k, "value", k)), frame)
        for k, frame in layers.items()
    }
    results = build_result_layers(inputs, result)
    caption = f"Scenario {result.scenario!r}, run {result.run_id}."
    tables = _tables(inputs) + _tables(results, caption=caption)
    written: list[Path] = []
    for key in keys:
        if key == "gpkg":
            written += _write(
                tables, out_dir / f"{base}.gpkg", key, run=(result.scenario, result.run_id)
            )
        elif key in ("geojson", "parquet"):
            written += _write(tables, out_dir / f"{base}-{key}", key)
        else:
            written += _write_csv(result, out_dir)
    return written


def _write_csv(result: AllocationResult, out_dir: Path) -> list[Path]:
    # The model stage owns the tables: NAME-flows.csv ... NAME-summary.json, named by the
    # scenario.
    return [Path(p) for p in write_tables(result, out_dir).values()]
