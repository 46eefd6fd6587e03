"""Validate layer frames against `redeploy.schemas`: raw frames -> typed, checked frames.

Every problem in a layer is collected and reported together; each names the file, the
feature id (and row), the column, the value and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS as ProjCRS
from pyproj import Transformer
from pyproj.exceptions import ProjError

from redeploy.errors import LayerValidationError, Problem
from redeploy.schemas import CRS, ColumnSpec, LayerKind, LayerSchema, get_schema
from redeploy.validation_cells import EXTRA_ISO3, check_column, is_iso3, is_missing

__all__ = ["EXTRA_ISO3", "is_iso3", "is_missing"]

#: Longest field name a Shapefile (dBase) can hold; longer names are cut.
_DBF_NAME_LENGTH = 10
#: Slack allowed when one column must be at most another (``floor_*`` <= ``us_*``).
_AT_MOST_TOLERANCE = 1e-9


def _fail(path: Path, schema: LayerSchema, message: str) -> LayerValidationError:
    return LayerValidationError(path, schema.kind.value, [Problem(message)])


def crs_label(crs: ProjCRS) -> str:
    """Name a CRS for messages: its authority code and name (``'EPSG:4978' (WGS 84)``)."""
    try:
        authority = crs.to_authority()
    except Exception:  # pyproj.exceptions.CRSError on odd custom definitions
        authority = None
    if authority:
        return f"{':'.join(authority)!r} ({crs.name})"
    return repr(crs.name)


def crs_problem(crs: str | ProjCRS, *, what: str = "CRS") -> str | None:
    """
    Say why coordinates in `crs` cannot be brought to EPSG:4326, or return None.

    The message starts with `what` and the CRS's code and name (``the file's CRS
    'EPSG:4978' (WGS 84) is geocentric ...``).

    Layers need a horizontal CRS of the Earth (geographic or projected, compound with a
    height allowed) that PROJ can transform to EPSG:4326. Refused by name: geocentric
    CRSs (X, Y, Z from the Earth's centre), vertical CRSs (heights only), local
    engineering CRSs, CRSs of other celestial bodies and anything PROJ cannot transform.
    """
    source = crs if isinstance(crs, ProjCRS) else ProjCRS.from_user_input(crs)
    label = f"{what} {crs_label(source)}"
    fix = f"give the file's horizontal CRS on the Earth, e.g. {CRS} or a UTM zone"
    horizontal = source.is_geographic or source.is_projected
    if source.is_geocentric:
        return (
            f"{label} is geocentric (X, Y, Z from the Earth's centre), not longitude/"
            f"latitude or a map projection; {fix}"
        )
    if source.is_vertical and not horizontal:
        return f"{label} is a vertical CRS (heights only, no horizontal position); {fix}"
    if getattr(source, "is_engineering", False) or source.type_name == "Engineering CRS":
        return f"{label} is a local engineering CRS, not tied to a place on the Earth; {fix}"
    if not horizontal:
        return f"{label} is a {source.type_name}, not a geographic or projected CRS; {fix}"
    try:
        Transformer.from_crs(source, CRS, always_xy=True)
    except ProjError as err:
        text = str(err)
        body = re.search(r"\(([^()]+ vs [^()]+)\)", text)
        if "celestial body" in text and body:
            return (
                f"{label} belongs to another celestial body ({body.group(1)}): its "
                f"coordinates have no place on the Earth's map; {fix}"
            )
        reason = text.strip().splitlines()[0] if text.strip() else type(err).__name__
        return f"{label} has no transformation to {CRS} that PROJ knows ({reason}); {fix}"
    return None


def _to_project_crs(
    gdf: gpd.GeoDataFrame, path: Path, schema: LayerSchema, *, crs: str | None
) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        if crs is None:
            raise _fail(
                path,
                schema,
                "declares no CRS; set one in the file or pass --crs (e.g. --crs EPSG:4326)",
            )
        gdf = gdf.set_crs(crs)
        origin = "the CRS given by --crs,"
    else:
        origin = "the file's CRS"
    target = ProjCRS.from_user_input(CRS)
    if gdf.crs.equals(target) or ProjCRS.from_user_input(gdf.crs).equals(target):
        return gdf
    source_crs = ProjCRS.from_user_input(gdf.crs)
    problem = crs_problem(source_crs, what=origin)
    if problem is not None:
        raise _fail(path, schema, problem)
    if source_crs.is_projected and len(gdf) and not gdf.geometry.is_empty.all():
        minx, miny, maxx, maxy = gdf.total_bounds
        if minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90:
            raise _fail(
                path,
                schema,
                f"declares projected CRS {source_crs.to_string()!r} but its coordinates "
                f"(bounds {minx:.3f}, {miny:.3f}, {maxx:.3f}, {maxy:.3f}) look like "
                "longitude/latitude degrees; fix the CRS in the file (layers are "
                f"{CRS}) or reproject it",
            )
    try:
        return gdf.to_crs(CRS)
    except ProjError as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        msg = f"cannot reproject from CRS {crs_label(source_crs)} to {CRS} ({reason})"
        raise _fail(path, schema, msg) from None


def validate_layer(
    gdf: gpd.GeoDataFrame,
    kind: str | LayerKind,
    *,
    source: str | Path,
) -> gpd.GeoDataFrame:
    """
    Check `gdf` against the schema for `kind` and return it typed, in EPSG:4326.

    Parameters
    ----------
    gdf
        Raw layer as read from `source`.
    kind
        Layer kind.
    source
        File the layer came from, named in every message.

    Returns
    -------
    GeoDataFrame
        A new frame: schema columns coerced to their types, extra columns kept.

    Raises
    ------
    LayerValidationError
        With every problem found.
    """
    return _validate(gdf, get_schema(kind), source=Path(source))


def _validate(
    gdf: gpd.GeoDataFrame,
    schema: LayerSchema,
    *,
    source: Path,
    coordinate_problems: Mapping[int, tuple[str, object]] | None = None,
    boolean_cells: Mapping[str, Collection[int]] | None = None,
) -> gpd.GeoDataFrame:
    if gdf.crs is None or not ProjCRS.from_user_input(gdf.crs).equals(ProjCRS(CRS)):
        gdf = _to_project_crs(gdf, source, schema, crs=None)
    if len(gdf) == 0:
        raise _fail(source, schema, "layer is empty: it has no features")
    gdf = gdf.reset_index(drop=True)
    problems: list[Problem] = []
    missing = [c for c in schema.required_columns if c not in gdf.columns]
    for col in missing:
        spec = schema.columns[col]
        cut = col[:_DBF_NAME_LENGTH]
        hint = (
            f"; the file has {cut!r}: Shapefiles cut field names to {_DBF_NAME_LENGTH} "
            "characters, so rename it or use GeoPackage or GeoJSON"
            if len(col) > _DBF_NAME_LENGTH and cut in gdf.columns
            else ""
        )
        problems.append(
            Problem(
                f"required column is missing ({spec.description} Allowed: {spec.allowed()}){hint}",
                column=col,
            )
        )
    problems.extend(_column_name_problems(gdf, schema))
    ids = _feature_ids(gdf, schema)
    out = gdf.copy()
    for col, spec in schema.columns.items():
        if col not in gdf.columns:
            if not spec.required:
                out[col] = _empty_column(spec, len(gdf))
            continue
        booleans = (boolean_cells or {}).get(col, ())
        out[col] = check_column(gdf[col], col, spec, ids, problems, booleans)
    problems.extend(_check_at_most(out, schema, ids))
    if schema.id_column in gdf.columns:
        problems.extend(_duplicate_ids(gdf[schema.id_column], ids))
    problems.extend(_check_geometry(gdf, schema, ids, coordinate_problems or {}))
    if problems:
        raise LayerValidationError(source, schema.kind.value, problems)
    front = [c for c in schema.columns if c in out.columns]
    rest = [c for c in out.columns if c not in schema.columns and c != out.geometry.name]
    return out[[*front, *rest, out.geometry.name]]


#: Column names the GeoPackage outputs use themselves: GDAL's feature id and geometry.
RESERVED_COLUMNS: tuple[str, ...] = ("fid", "geom")


def _column_name_problems(gdf: gpd.GeoDataFrame, schema: LayerSchema) -> list[Problem]:
    """
    Refuse column names the GIS outputs cannot hold, before any work is done.

    GeoPackage (SQLite) field names ignore case, and GDAL keeps ``fid`` and ``geom`` for
    the feature id and the geometry, so an extra ``fid``, ``GEOM`` or ``ID`` (beside
    ``id``) would pass validation and fail only when the outputs are written.
    """
    names = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    problems = []
    for name in names:
        if name.lower() in RESERVED_COLUMNS:
            problems.append(
                Problem(
                    f"the column name {name!r} is reserved: GeoPackage outputs use "
                    f"{' and '.join(repr(r) for r in RESERVED_COLUMNS)} for the feature id "
                    "and the geometry (case does not matter); rename or drop the column",
                    column=name,
                )
            )
    first: dict[str, str] = {}
    # schema columns first, so that the extra column of a clash is the one named
    for name in sorted(names, key=lambda n: n not in schema.columns):
        other = first.setdefault(name.lower(), name)
        if other != name:
            problems.append(
                Problem(
                    f"the column name differs from {other!r} only in case; GeoPackage and "
                    "Shapefile field names ignore case, so the outputs cannot hold both: "
                    "rename or drop one of them",
                    column=name,
                )
            )
    return problems


def _feature_ids(gdf: gpd.GeoDataFrame, schema: LayerSchema) -> list[str | None]:
    if schema.id_column not in gdf.columns:
        return [None] * len(gdf)
    return [None if is_missing(v) else str(v) for v in gdf[schema.id_column].tolist()]


def _empty_column(spec: ColumnSpec, n: int) -> pd.Series:
    if spec.dtype == "float":
        return pd.Series(np.full(n, np.nan), dtype="float64")
    if spec.dtype == "int":
        return pd.Series([pd.NA] * n, dtype="Int64")
    return pd.Series([None] * n, dtype="object")


def _check_at_most(out: pd.DataFrame, schema: LayerSchema, ids: list[str | None]) -> list[Problem]:
    """Check cross-column bounds (``floor_ground`` at most ``us_ground``), feature by feature.

    `out` holds the typed columns, NaN where a value is missing or already reported.
    """
    problems = []
    for col, spec in schema.columns.items():
        other = spec.at_most
        if other is None or col not in out.columns or other not in out.columns:
            continue
        values = out[col].to_numpy(dtype=float)
        bounds = out[other].to_numpy(dtype=float)
        for i in np.flatnonzero(values > bounds + _AT_MOST_TOLERANCE):
            problems.append(
                Problem(
                    f"must be at most {other} = {float(bounds[i])!r} (the feature's own "
                    f"{other}, which it is part of), got {float(values[i])!r}",
                    feature_id=ids[i],
                    row=int(i) + 1,
                    column=col,
                )
            )
    return problems


def _duplicate_ids(values: pd.Series, ids: list[str | None]) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for i, fid in enumerate(ids):
        if fid is None:
            continue
        if fid in seen:
            problems.append(
                Problem(
                    f"duplicate id {fid!r} (first used in row {seen[fid] + 1}); ids must be "
                    "unique within a layer",
                    feature_id=fid,
                    row=i + 1,
                    column="id",
                )
            )
        else:
            seen[fid] = i
    return problems


#: Shapely's geometry type ids and their names.
_GEOMETRY_NAMES: Mapping[int, str] = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def _check_geometry(
    gdf: gpd.GeoDataFrame,
    schema: LayerSchema,
    ids: list[str | None],
    coordinate_problems: Mapping[int, tuple[str, object]],
) -> list[Problem]:
    col = gdf.geometry.name
    geoms = gdf.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = np.asarray(shapely.get_type_id(geoms))
    valid = shapely.is_valid(geoms)
    # Only the features that may have a problem (`_geometry_problem`) are looked at one
    # by one: missing, of a type not allowed, invalid, or not within the CRS's range.
    allowed = [t for t, name in _GEOMETRY_NAMES.items() if name in schema.geometry_types]
    low, high = np.split(shapely.bounds(geoms), 2, axis=1)
    with np.errstate(invalid="ignore"):
        inside = (low >= (-180, -90)).all(axis=1) & (high <= (180, 90)).all(axis=1)
    suspect = missing | ~np.isin(types, allowed) | ~valid | ~inside
    problems = []
    for i in np.flatnonzero(suspect).tolist():
        if missing[i] and i in coordinate_problems:
            name, value = coordinate_problems[i]
            what = "longitude" if name.lower() in ("lon", "longitude", "x") else "latitude"
            got = "is empty" if is_missing(value) else f"got {value!r}"
            message = f"the point's {what} must be a number ({CRS} degrees), {got}"
            problems.append(Problem(message, feature_id=ids[i], row=i + 1, column=name))
            continue
        problem = _geometry_problem(
            geoms[i], schema, missing=bool(missing[i]), type_id=int(types[i]), valid=bool(valid[i])
        )
        if problem:
            problems.append(Problem(problem, feature_id=ids[i], row=i + 1, column=col))
    return problems


def _geometry_problem(
    geom: Any, schema: LayerSchema, *, missing: bool, type_id: int, valid: bool
) -> str | None:
    """What is wrong with one feature's geometry (the first problem found), or None."""
    allowed = ", ".join(sorted(schema.geometry_types))
    if missing:
        return f"geometry is empty; allowed: {allowed}"
    gtype = _GEOMETRY_NAMES.get(type_id, "unknown")
    if gtype not in schema.geometry_types:
        return f"geometry type must be {allowed}, got {gtype}"
    if not valid:
        reason = shapely.is_valid_reason(geom)
        return (
            f"invalid geometry ({reason}); repair it, e.g. with shapely.make_valid "
            "or QGIS 'Fix geometries'"
        )
    minx, miny, maxx, maxy = shapely.bounds(geom)
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        return (
            f"coordinates out of range for {CRS} (bounds {minx:.4f}, {miny:.4f}, "
            f"{maxx:.4f}, {maxy:.4f}); longitude must be -180..180, latitude -90..90"
        )
    return None
