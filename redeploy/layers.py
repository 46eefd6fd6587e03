"""Read layer files into validated frames: find, read and hand each to `redeploy.validation`.

Every problem in a layer is collected and reported together; each names the file, the
feature id (and row), the column, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import json
import math
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS as ProjCRS

from redeploy._shipped import shipped_folder
from redeploy.errors import LayerValidationError, Problem
from redeploy.io import sources
from redeploy.io.ahead import read_ahead
from redeploy.io.sources import count_table_rows, json_boolean_properties, special_file_problem
from redeploy.schemas import CRS, SCHEMAS, LayerKind, LayerSchema, get_schema
from redeploy.validation import (
    _DBF_NAME_LENGTH,
    _fail,
    _to_project_crs,
    _validate,
    crs_problem,
    is_iso3,
    validate_layer,
)

__all__ = [
    "CSV_COORDINATES",
    "LAYER_EXTENSIONS",
    "default_layers_dir",
    "find_layer_file",
    "is_iso3",
    "read_layer",
    "read_layers",
    "resolve_layer_paths",
    "shipped_fallbacks",
    "sourced_share",
    "validate_layer",
]

#: File extensions redeploy reads, in the order they are looked for in a layer folder.
LAYER_EXTENSIONS: tuple[str, ...] = (
    ".geojson",
    ".json",
    ".gpkg",
    ".parquet",
    ".geoparquet",
    ".shp",
    ".csv",
)
#: Column pairs accepted as point coordinates in CSV files.
CSV_COORDINATES: tuple[tuple[str, str], ...] = (
    ("lon", "lat"),
    ("longitude", "latitude"),
    ("x", "y"),
)

#: GDAL's GeoJSON reader refuses a string of this many characters or more ("Too many
#: characters in number", whatever the token).
_GDAL_JSON_MAX_STRING = 10_000_000
#: Largest GeoJSON file read again in Python to name a string GDAL refused.
_EXPLAIN_MAX_BYTES = 256 << 20

#: Key of ``GeoDataFrame.attrs`` where `_read_csv` leaves {row: (column, value)} of rows
#: whose coordinates are empty or not numbers, so the message names that column.
_COORDINATE_PROBLEMS = "redeploy_coordinate_problems"
#: Key of ``GeoDataFrame.attrs`` where `_read_raw` leaves {column: rows} of a GeoJSON's
#: number columns that hold true or false (GDAL reads them as 1 and 0).
_JSON_BOOLEANS = "redeploy_json_booleans"


def default_layers_dir() -> Path:
    """
    Return the folder of the shipped layers.

    The environment variable ``REDEPLOY_GEODATA`` overrides it; otherwise it is the copy
    inside an installed wheel (``redeploy/geodata/``, see ``setup.py``) or, in a checkout,
    the repository's ``geodata/`` beside the package.
    """
    return shipped_folder("geodata", "REDEPLOY_GEODATA")


def find_layer_file(folder: Path, kind: str | LayerKind) -> Path | None:
    """Return the file holding layer `kind` in `folder` (``<kind>.<ext>``), or None."""
    kind = LayerKind(kind).value
    for ext in LAYER_EXTENSIONS:
        candidate = folder / f"{kind}{ext}"
        # a named pipe or device is returned too, for read_layer to refuse it by name
        if candidate.is_file() or special_file_problem(candidate):
            return candidate
    return None


def read_layer(
    path: str | Path,
    *,
    kind: str | LayerKind | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """
    Read one layer file and validate it.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, GeoParquet, Shapefile or CSV (with lon/lat columns) file.
    kind
        Layer kind; by default the file's stem (``chokepoints.geojson`` -> chokepoints).
        For a GeoPackage the table named `kind` is read, or its only table.
    crs
        CRS to assume when the file declares none (CSV files default to EPSG:4326).

    Returns
    -------
    GeoDataFrame
        The validated layer in EPSG:4326, rows in file order, typed per the schema.

    Raises
    ------
    LayerValidationError
        With every problem found in the file.
    """
    path = Path(path)
    return _validated(_read_file(path.stem if kind is None else kind, path, crs=crs))


def _read_file(
    kind: str | LayerKind, path: Path, *, crs: str | None
) -> tuple[gpd.GeoDataFrame, LayerSchema, Path]:
    """The layer of `kind` in `path` as read (GDAL's part of `read_layer`), its schema and
    its path."""
    if not path.exists():
        raise LayerValidationError(path, str(kind), [Problem("file not found")])
    special = special_file_problem(path)
    if special is not None:
        raise LayerValidationError(path, str(kind), [Problem(special)])
    schema = _schema_for(path, kind)
    if crs is not None:
        _check_crs(crs, path, schema)
    return _read_raw(path, schema, crs=crs), schema, path


def _validated(read: tuple[gpd.GeoDataFrame, LayerSchema, Path]) -> gpd.GeoDataFrame:
    """`read_layer`'s validation of a layer `_read_file` read."""
    gdf, schema, path = read
    coordinates = gdf.attrs.pop(_COORDINATE_PROBLEMS, {})
    booleans = gdf.attrs.pop(_JSON_BOOLEANS, {})
    return _validate(
        gdf, schema, source=path, coordinate_problems=coordinates, boolean_cells=booleans
    )


def _check_crs(crs: str, path: Path, schema: LayerSchema) -> None:
    try:
        parsed = ProjCRS.from_user_input(crs)
    except Exception as err:  # pyproj.exceptions.CRSError, TypeError
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise _fail(
            path,
            schema,
            f"--crs {crs!r} is not a CRS pyproj knows ({reason}); give an authority code "
            "such as EPSG:4326 or EPSG:3857",
        ) from None
    problem = crs_problem(parsed, what="the CRS given by --crs,")
    if problem is not None:
        raise _fail(path, schema, problem)


def read_layers(
    layers_dir: str | Path | None = None,
    *,
    overrides: Mapping[str, str | Path] | None = None,
    kinds: Iterable[str | LayerKind] | None = None,
    crs: str | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """
    Read and validate every layer kind.

    Parameters
    ----------
    layers_dir
        Folder of layer files named ``<kind>.<ext>``, or a GeoPackage holding one table per
        kind. A kind missing there falls back to the shipped layer. Default: shipped layers.
    overrides
        ``{kind: path}`` replacing single layers.
    kinds
        Kinds to read; default all of `redeploy.schemas.SCHEMAS`.
    crs
        CRS to assume for files that declare none.

    Returns
    -------
    dict
        ``{kind: GeoDataFrame}`` keyed by kind string.

    Raises
    ------
    LayerValidationError
        For the first layer that breaks its schema (all its problems listed).
    """
    paths = resolve_layer_paths(layers_dir, overrides=overrides, kinds=kinds)
    # GDAL reads the next file on another thread while this one validates (`read_ahead`).
    return read_ahead(paths, partial(_read_file, crs=crs), _validated)


def resolve_layer_paths(
    layers_dir: str | Path | None = None,
    *,
    overrides: Mapping[str, str | Path] | None = None,
    kinds: Iterable[str | LayerKind] | None = None,
) -> dict[str, Path]:
    """Return ``{kind: file}`` for the layers `read_layers` would read."""
    return _resolve(layers_dir, overrides=overrides, kinds=kinds)[0]


def shipped_fallbacks(
    layers_dir: str | Path | None,
    *,
    overrides: Mapping[str, str | Path] | None = None,
    kinds: Iterable[str | LayerKind] | None = None,
) -> list[str]:
    """
    Return the kinds that `read_layers` would take from the shipped layers for want of a file.

    Parameters
    ----------
    layers_dir, overrides, kinds
        As for `read_layers`.

    Returns
    -------
    list of str
        Kinds missing from the folder `layers_dir` (and not replaced by `overrides`), read
        from the shipped folder instead, in schema order; empty when `layers_dir` is None,
        a GeoPackage file or the shipped folder itself.

    Raises
    ------
    LayerValidationError
        As `resolve_layer_paths` does.
    """
    return _resolve(layers_dir, overrides=overrides, kinds=kinds)[1]


def _resolve(
    layers_dir: str | Path | None,
    *,
    overrides: Mapping[str, str | Path] | None,
    kinds: Iterable[str | LayerKind] | None,
) -> tuple[dict[str, Path], list[str]]:
    shipped = default_layers_dir()
    wanted = [LayerKind(k).value for k in (kinds if kinds is not None else SCHEMAS)]
    chosen = {LayerKind(_kind_or_error(k)).value: Path(p) for k, p in (overrides or {}).items()}
    base = Path(layers_dir) if layers_dir is not None else shipped
    if not base.exists():
        hint = (
            "pass --layers DIR, or set REDEPLOY_GEODATA to a folder of layers (the shipped "
            "layers come with the wheel and with a source checkout; reinstall redeploy)"
            if layers_dir is None
            else "check the path given to --layers"
        )
        raise LayerValidationError(
            base, "all", [Problem(f"layer folder or file not found; {hint}")]
        )
    special = special_file_problem(base)
    if special is not None:
        raise LayerValidationError(base, "all", [Problem(special)])
    own_folder = base.is_dir() and base.resolve() != shipped.resolve()
    if layers_dir is not None and own_folder:
        _check_folder_names(base)
        _check_folder_has_layers(base)
    out: dict[str, Path] = {}
    fallbacks: list[str] = []
    for kind in wanted:
        if kind in chosen:
            out[kind] = chosen[kind]
            continue
        if base.is_file():
            out[kind] = base
            continue
        found = find_layer_file(base, kind)
        if found is None:
            found = find_layer_file(shipped, kind)
            if found is not None and own_folder:
                fallbacks.append(kind)
        if found is None:
            problem = Problem(
                f"no file for layer '{kind}' (looked for {kind}"
                f"{{{','.join(LAYER_EXTENSIONS)}}} here and in the shipped {shipped})"
            )
            raise LayerValidationError(base, kind, [problem])
        out[kind] = found
    return out, fallbacks


def _check_folder_names(folder: Path) -> None:
    """
    Refuse a --layers folder whose file names are ambiguous or look like a mistyped kind.

    Two files for one kind (``fronts.geojson`` and ``fronts.gpkg``) would have one of them
    silently ignored; a geodata file named like a kind (``chokepoint.geojson``) would be
    ignored and the shipped layer read instead. Files with unrelated names are left alone.
    """
    kinds = [k.value for k in LayerKind]
    problems: list[Problem] = []
    for kind in kinds:
        files = [folder / f"{kind}{ext}" for ext in LAYER_EXTENSIONS]
        files = [f for f in files if f.is_file()]
        if len(files) > 1:
            names = " and ".join(f.name for f in files)
            problems.append(
                Problem(
                    f"{names} are both layer '{kind}'; keep one of them in the folder, or "
                    f"pass the one you mean with --layer {kind}=PATH"
                )
            )
    for kind in kinds:
        for ext in LAYER_EXTENSIONS:
            entry = folder / f"{kind}{ext}"
            if entry.is_dir():
                problems.append(
                    Problem(
                        f"{entry.name} is a folder, not a layer file; give layer '{kind}' as "
                        f"one file ({kind}.geojson, {kind}.gpkg, ...) or move the folder out"
                    )
                )
    expected = {f"{kind}{ext}" for kind in kinds for ext in LAYER_EXTENSIONS}
    for path in sorted(folder.iterdir()):
        name = path.name
        suffix = path.suffix.lower()
        if name.startswith(".") or name in expected or suffix not in LAYER_EXTENSIONS:
            continue
        if not path.is_file():
            continue
        # 0.7: a misspelt kind (fronts_old, chokepoint, peripheral-zones) is caught, a
        # file of another name is not (notes is 0.6 from sites)
        match = difflib.get_close_matches(path.stem.lower(), kinds, n=1, cutoff=0.7)
        if not match:
            continue
        kind = match[0]
        present = find_layer_file(folder, kind)
        if present is not None and present.samefile(path):  # case-insensitive file system
            continue
        fix = (
            f"the folder already has {present.name}: move {name} out of it, or pass it with "
            f"--layer {kind}=PATH"
            if present is not None
            else f"rename it {kind}{suffix}, or pass it with --layer {kind}=PATH; as it is, "
            f"layer '{kind}' would be read from the shipped set"
        )
        problems.append(
            Problem(
                f"{name} is not named after a layer kind (files must be <kind>.<ext>, "
                f"ext one of {', '.join(LAYER_EXTENSIONS)}); did you mean '{kind}'? {fix}"
            )
        )
    if problems:
        raise LayerValidationError(folder, "all", problems)


def _check_folder_has_layers(folder: Path) -> None:
    """Refuse a --layers folder holding no layer file at all (it would silently mean the
    shipped layers)."""
    if any(find_layer_file(folder, k) for k in SCHEMAS):
        return
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "") if names else "nothing"
    gpkg = [n for n in names if n.lower().endswith(".gpkg")]
    hint = (
        f"; a GeoPackage with a table per kind is passed as the file itself (--layers "
        f"{folder / gpkg[0]})"
        if gpkg
        else ""
    )
    kinds = ", ".join(k.value for k in LayerKind)
    problem = Problem(
        f"no layer file here (found {shown}); name files <kind>.<ext> with kind one of "
        f"{kinds} and ext one of {', '.join(LAYER_EXTENSIONS)}{hint}"
    )
    raise LayerValidationError(folder, "all", [problem])


def _kind_or_error(kind: str) -> str:
    try:
        return get_schema(kind).kind.value
    except ValueError as err:
        raise LayerValidationError(kind, kind, [Problem(str(err))]) from None


def _schema_for(path: Path, kind: str | LayerKind) -> LayerSchema:
    try:
        return get_schema(kind)
    except ValueError:
        known = ", ".join(k.value for k in LayerKind)
        problem = Problem(
            f"cannot tell the layer kind: {str(kind)!r} is not one of {known}; "
            "name the file <kind>.<ext> or pass --kind KIND"
        )
        raise LayerValidationError(path, str(kind), [problem]) from None


def _read_raw(path: Path, schema: LayerSchema, *, crs: str | None) -> gpd.GeoDataFrame:
    if not path.exists():
        raise _fail(path, schema, "file not found")
    if path.is_dir():
        raise _fail(path, schema, "is a folder, not a layer file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, schema, crs=crs)
    try:
        if suffix in (".parquet", ".geoparquet"):
            gdf = gpd.read_parquet(path)
        else:
            layer = _gpkg_table(path, schema) if suffix == ".gpkg" else None
            # A list in one GeoJSON feature would turn the whole column into lists (GDAL's
            # RealList): as JSON text only that cell is a list, and validation names it.
            options = {"ARRAY_AS_STRING": "YES"} if suffix in (".geojson", ".json") else {}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                # A GeoJSON column of mixed types ("high" among integers) reaches
                # geopandas as JSON it cannot parse; validation names the bad value.
                warnings.filterwarnings(
                    "ignore", message=r"Could not parse column .* as JSON", category=UserWarning
                )
                gdf = gpd.read_file(path, layer=layer, engine="pyogrio", use_arrow=True, **options)
    except LayerValidationError:
        raise
    except Exception as err:  # GDAL/pyarrow raise many types for unreadable files
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if "Too many characters" in reason and suffix in (".geojson", ".json"):
            long_strings = _long_strings(path, schema)
            if long_strings is not None:
                raise long_strings from None
        raise _fail(
            path,
            schema,
            f"not a readable geodata file ({reason}); expected GeoJSON, GeoPackage, "
            "GeoParquet, Shapefile or CSV with lon/lat columns",
        ) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise _fail(path, schema, "has no geometry column")
    if suffix in (".shp", ".dbf"):
        gdf = _restore_dbf_names(gdf, schema)
    if len(gdf) == 0:
        raise _fail(path, schema, "layer is empty: it has no features")
    gdf = _to_project_crs(gdf, path, schema, crs=crs)
    if suffix in (".geojson", ".json"):
        numeric = {c for c, spec in schema.columns.items() if spec.dtype in ("float", "int")}
        found = json_boolean_properties(path, numeric)
        gdf.attrs[_JSON_BOOLEANS] = {c: rows for c, rows in found.items() if c in numeric}
    return gdf


def _gpkg_table(path: Path, schema: LayerSchema) -> str:
    """
    Return the GeoPackage table holding layer `schema` (named after the kind, or the only
    one), once SQLite has counted its rows within `DATABASE_READ_SECONDS`: a view whose
    query never ends (a recursive one) is refused instead of read forever.
    """
    names = [row[0] for row in pyogrio.list_layers(path)]
    if schema.kind.value in names:
        layer = str(schema.kind.value)
    elif len(names) == 1:
        layer = str(names[0])
    else:
        raise _fail(
            path,
            schema,
            f"GeoPackage has no table named '{schema.kind.value}' (tables: {', '.join(names)})",
        )
    try:
        count_table_rows(path, layer, seconds=sources.DATABASE_READ_SECONDS)
    except TimeoutError:
        msg = (
            f"table {layer!r} could not be read within {sources.DATABASE_READ_SECONDS:g} s "
            "(a view whose query never ends, such as a recursive one?); store the layer as "
            "a plain table"
        )
        raise _fail(path, schema, msg) from None
    return layer


def _long_strings(path: Path, schema: LayerSchema) -> LayerValidationError | None:
    """
    Name each property of a GeoJSON file that holds a string too long for GDAL's reader,
    feature by feature; None when the file holds none (GDAL failed on something else).
    """
    try:
        if path.stat().st_size > _EXPLAIN_MAX_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    features = data.get("features") if isinstance(data, dict) else None
    problems = []
    for row, feature in enumerate(features if isinstance(features, list) else [], start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            continue
        fid = props.get(schema.id_column)
        for key, value in props.items():
            if isinstance(value, str) and len(value) >= _GDAL_JSON_MAX_STRING:
                message = (
                    f"holds a string of {len(value):,} characters; GDAL's GeoJSON reader "
                    f"takes strings of up to {_GDAL_JSON_MAX_STRING - 1:,}: shorten it (keep "
                    "long text in a separate file) or store the layer as GeoPackage"
                )
                feature_id = fid if isinstance(fid, str) and len(fid) < 200 else None
                problems.append(Problem(message, feature_id=feature_id, row=row, column=key))
    if not problems:
        return None
    return LayerValidationError(path, schema.kind.value, problems)


def _restore_dbf_names(gdf: gpd.GeoDataFrame, schema: LayerSchema) -> gpd.GeoDataFrame:
    """
    Give back the schema names that a Shapefile (dBase) cut to 10 characters.

    A missing schema column longer than 10 characters is taken from the column holding its
    first 10 characters (``source_yea`` -> ``source_year``), unless another schema column of
    the layer starts with the same 10 characters: then the cut name is ambiguous, is left
    as it is, and validation explains the truncation.
    """
    prefixes = Counter(name[:_DBF_NAME_LENGTH] for name in schema.columns)
    renames = {}
    for name in schema.columns:
        cut = name[:_DBF_NAME_LENGTH]
        if (
            len(name) > _DBF_NAME_LENGTH
            and name not in gdf.columns
            and cut in gdf.columns
            and prefixes[cut] == 1
        ):
            renames[cut] = name
    return gdf.rename(columns=renames) if renames else gdf


def _read_csv(path: Path, schema: LayerSchema, *, crs: str | None) -> gpd.GeoDataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise _fail(path, schema, f"not a readable CSV file ({err})") from None
    cols = {c.lower(): c for c in df.columns}
    for xname, yname in CSV_COORDINATES:
        if xname in cols and yname in cols:
            x = pd.to_numeric(df[cols[xname]], errors="coerce")
            y = pd.to_numeric(df[cols[yname]], errors="coerce")
            geom = gpd.points_from_xy(x, y)
            geom = [
                None if (math.isnan(a) or math.isnan(b)) else g
                for g, a, b in zip(geom, x, y, strict=True)
            ]
            bad: dict[int, tuple[str, object]] = {}
            for name, nums in ((cols[yname], y), (cols[xname], x)):
                for i in np.flatnonzero(np.isnan(nums.to_numpy(dtype=float))):
                    bad[int(i)] = (name, df[name].iloc[i])
            df = df.drop(columns=[cols[xname], cols[yname]])
            gdf = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom), crs=crs or CRS)
            gdf = _to_project_crs(gdf, path, schema, crs=crs)
            gdf.attrs[_COORDINATE_PROBLEMS] = bad
            return gdf
    pairs = ", ".join(f"{a}/{b}" for a, b in CSV_COORDINATES)
    raise _fail(path, schema, f"CSV file has no coordinate columns; expected one of {pairs}")


def sourced_share(gdf: gpd.GeoDataFrame) -> float:
    """Return the share of features whose figures are sourced (confidence == 'sourced')."""
    if len(gdf) == 0:
        return 0.0
    return float((gdf["confidence"] == "sourced").mean())


def surface_xy(geoms: Iterable[object]) -> np.ndarray:
    """
    Return the (n, 2) lon/lat at which each feature is placed: a point's own coordinates,
    a point on the surface of any other geometry (GEOS's, as ``representative_point``
    gives it). The geometries handed in are left as they are.
    """
    points = np.array(list(geoms), dtype=object)
    single = shapely.get_type_id(points) == 0
    if not single.all():  # GEOS's point on the surface of a point is the point itself
        points[~single] = shapely.point_on_surface(points[~single])
    return np.asarray(shapely.get_coordinates(points), dtype=float).reshape(-1, 2)
