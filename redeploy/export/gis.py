"""Write layers and allocation results as GIS files: GeoPackage, GeoJSON (RFC 7946), GeoParquet.

Every writer is atomic (a temporary file in the target folder, then `os.replace`), so a
failed export leaves earlier outputs intact, and reproducible: rows sorted by id, fixed
timestamps, so the same inputs give a byte-identical GeoPackage. The GeoPackage carries
field descriptions and units (``gpkg_data_columns``, the GeoPackage schema extension),
value constraints (``gpkg_data_column_constraints``) and a default QGIS style per layer
(``layer_styles``). The result layers come from `redeploy.export.results`; nothing here
computes a model quantity.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely

from redeploy._version import __version__
from redeploy.errors import OutputError, RedeployError
from redeploy.export.columns import (
    RESULT_GEOMETRY,
    column_description,
    columns_for,
    title_for,
)
from redeploy.export.gpkg_meta import ExportTable, finish_gpkg, geometry_columns, styles_frame
from redeploy.export.gpkg_views import share_zone_geometry
from redeploy.export.qgis_project import write_project
from redeploy.export.qgis_styles import style_for_layer
from redeploy.export.results import build_result_layers, prepare_layer
from redeploy.export.staging import GDAL_STAGED
from redeploy.export.tables import write_tables
from redeploy.io.atomic import atomic_path
from redeploy.model.result import (
    AllocationResult,
)
from redeploy.schemas import (
    CRS,
)

if TYPE_CHECKING:
    from redeploy.scenario import Scenario

#: Formats `write_layers` writes.
LAYER_FORMATS: tuple[str, ...] = ("gpkg", "geojson", "parquet")
#: Formats `write_results` writes (``csv`` are the model's tables, `redeploy.export.tables`;
#: ``xlsx`` the briefing workbook, `redeploy.export.xlsx`).
RESULT_FORMATS: tuple[str, ...] = ("gpkg", "geojson", "parquet", "csv", "xlsx")

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


#: Shapely's geometry type ids and their names.
_GEOMETRY_NAMES = (
    "Point",
    "LineString",
    "LinearRing",
    "Polygon",
    "MultiPoint",
    "MultiLineString",
    "MultiPolygon",
    "GeometryCollection",
)


def _geometry_type(frame: pd.DataFrame, default: str) -> tuple[str | None, bool]:
    """Return (OGR geometry type, promote_to_multi) for writing `frame`."""
    if not isinstance(frame, gpd.GeoDataFrame):
        return None, False
    # The names `GeoSeries.geom_type` gives, from each distinct type id (-1: missing).
    ids = np.unique(shapely.get_type_id(frame.geometry.to_numpy()))
    types = {_GEOMETRY_NAMES[i] for i in ids.tolist() if i >= 0}
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


_DEFAULT_GEOMETRY = RESULT_GEOMETRY


# --------------------------------------------------------------------------- GeoPackage


def _tables(frames: Mapping[str, pd.DataFrame], *, caption: str = "") -> list[ExportTable]:
    tables = []
    for name, frame in frames.items():
        title, description = title_for(name)
        if caption:
            description = f"{description} {caption}".strip()
        tables.append(ExportTable(name, frame, title, description, columns_for(name)))
    return tables


def _aliases(table: ExportTable) -> dict[str, str]:
    # QGIS shows aliases as column headers: keep the name recognisable, add the unit.
    return {
        col: f"{col} [{spec.unit}]"
        for col, spec in table.columns.items()
        if col in table.frame.columns and spec.unit
    }


def _write_gpkg(
    tables: Sequence[ExportTable],
    path: Path,
    *,
    styled: bool = True,
    run: tuple[str, str] | None = None,
) -> Path:
    stamp = _timestamp()
    types = {
        table.name: _geometry_type(table.frame, _DEFAULT_GEOMETRY.get(table.name, "Unknown"))
        for table in tables
    }
    with _atomic(path) as tmp, _gdal_config({"OGR_CURRENT_DATE": stamp, **GDAL_STAGED}):
        for i, table in enumerate(tables):
            geometry_type, promote = types[table.name]
            # Through Arrow: the same file with less work per feature (an empty table
            # takes other transactions that way, so its file header would differ).
            pyogrio.write_dataframe(
                table.frame,
                tmp,
                layer=table.name,
                driver="GPKG",
                geometry_type=geometry_type,
                promote_to_multi=promote,
                dataset_options={"VERSION": GPKG_VERSION} if i == 0 else None,
                layer_options={"IDENTIFIER": table.title, "DESCRIPTION": table.description},
                use_arrow=len(table.frame) > 0,
            )
        # A run's zone polygons are stored once (zone_allocations reads peripheral_zones').
        share_zone_geometry(tmp)
        if styled:
            geometry = geometry_columns(tmp)
            styles = []
            for table in tables:
                geometry_type, _ = types[table.name]
                style = style_for_layer(
                    table.name, table.frame, aliases=_aliases(table), geometry_type=geometry_type
                )
                if style is not None and table.name in geometry:
                    styles.append((style, geometry[table.name]))
            if styles:
                pyogrio.write_dataframe(
                    styles_frame(styles, stamp),
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
                    {t.name: types[t.name][0] if t.name in geometry else None for t in tables},
                    {s.layer: s.qml for s, _ in styles},
                    file_name=path.name,
                    name=path.stem,
                    stamp=stamp,
                    run=run,
                )
        finish_gpkg(tmp, tables, stamp)
    return path


# --------------------------------------------------------------------------- GeoJSON / Parquet


def _write_geojson(table: ExportTable, path: Path) -> Path:
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


def _as_multi(frame: gpd.GeoDataFrame, geometry_type: str | None) -> gpd.GeoDataFrame:
    """Return `frame` with single lines or polygons made Multi where `geometry_type` is a
    Multi type, as the GeoPackage and GeoJSON writers store them (``promote_to_multi``)."""
    if geometry_type not in ("MultiLineString", "MultiPolygon", "MultiPoint"):
        return frame
    single = geometry_type.removeprefix("Multi")
    geoms = frame.geometry.array
    kinds = np.asarray(frame.geometry.geom_type)
    promote = kinds == single
    if not promote.any():
        return frame
    maker = {
        "LineString": shapely.MultiLineString,
        "Polygon": shapely.MultiPolygon,
        "Point": shapely.MultiPoint,
    }[single]
    values = np.asarray(geoms, dtype=object)
    for i in np.flatnonzero(promote):
        values[i] = maker([values[i]])
    return frame.set_geometry(gpd.GeoSeries(values, index=frame.index, crs=frame.crs))


def _geo_metadata(
    metadata: Mapping[bytes, bytes] | None, geometry_type: str | None
) -> dict[bytes, bytes]:
    """GeoParquet ``geo`` metadata naming the layer's one geometry type even when it has no
    rows (``geometry_types`` would otherwise list what the rows happen to hold)."""
    out = dict(metadata or {})
    if geometry_type is None or geometry_type == "Unknown" or b"geo" not in out:
        return out
    geo = json.loads(out[b"geo"])
    for column in geo.get("columns", {}).values():
        column["geometry_types"] = [geometry_type]
    out[b"geo"] = json.dumps(geo, separators=(",", ":"), sort_keys=True).encode()
    return out


def _write_parquet(table: ExportTable, path: Path) -> Path:
    buffer = io.BytesIO()
    geometry_type: str | None = None
    if isinstance(table.frame, gpd.GeoDataFrame):
        geometry_type, _ = _geometry_type(table.frame, _DEFAULT_GEOMETRY.get(table.name, "Unknown"))
        _as_multi(table.frame, geometry_type).to_parquet(buffer, index=False)
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
    metadata = _geo_metadata(arrow.schema.metadata, geometry_type)
    arrow = arrow.cast(pa.schema(fields, metadata=metadata))
    with _atomic(path) as tmp:
        pq.write_table(arrow, tmp)
    return path


def _write_folder(tables: Sequence[ExportTable], folder: Path, fmt: str) -> list[Path]:
    if folder.exists() and not folder.is_dir():
        msg = (
            f"{folder}: {fmt} export writes one file per layer into a folder, but this "
            "path is a file; pass a folder path"
        )
        raise OutputError(msg)
    writer: Callable[[ExportTable, Path], Path] = (
        _write_geojson if fmt == "geojson" else _write_parquet
    )
    ext = _FORMAT_TO_EXTENSION[fmt]
    return [writer(table, folder / f"{table.name}{ext}") for table in tables]


def _write(
    tables: Sequence[ExportTable], path: Path, fmt: str, *, run: tuple[str, str] | None = None
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
        str(getattr(name, "value", name)): prepare_layer(str(getattr(name, "value", name)), frame)
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
    scenario: Scenario | None = None,
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
        ``zone_allocations``, ``front_release``, ``ledger`` and ``allies``, styled for
        QGIS, with a QGIS project),
        ``geojson`` (``OUT/NAME-geojson/<layer>.geojson``), ``parquet``
        (``OUT/NAME-parquet/<layer>.parquet``) and ``csv`` (the model's tables and JSON
        summary, `redeploy.export.tables.write_tables`: ``OUT/<scenario>-flows.csv`` ...) and
        ``xlsx`` (``OUT/NAME.xlsx``, the briefing workbook, `redeploy.export.xlsx`); a list
        or a comma-separated string.
    scenario
        The run's scenario: its assumptions and settings go into the workbook.

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
        str(getattr(k, "value", k)): prepare_layer(str(getattr(k, "value", k)), frame)
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
        elif key == "xlsx":
            # imported here: openpyxl takes a tenth of a run's imports, for this format only
            from redeploy.export.xlsx import write_workbook

            written.append(
                write_workbook(
                    result,
                    layers,
                    out_dir / f"{base}.xlsx",
                    scenario=scenario,
                    timestamp=_timestamp(),
                    creator=f"redeploy {__version__}",
                )
            )
        else:
            written += _write_csv(result, out_dir)
    return written


def _write_csv(result: AllocationResult, out_dir: Path) -> list[Path]:
    # The model stage owns the tables: NAME-flows.csv ... NAME-summary.json, named by the
    # scenario.
    return [Path(p) for p in write_tables(result, out_dir).values()]
