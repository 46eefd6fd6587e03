"""Read layer files and validate them against `redeploy.schemas`: files -> validated frames.

Every problem in a layer is collected and reported together; each names the file, the
feature id (and row), the column, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import math
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pycountry
import pyogrio
import shapely
from pyproj import CRS as ProjCRS

from redeploy._shipped import shipped_folder
from redeploy.errors import LayerValidationError, Problem
from redeploy.schemas import CRS, SCHEMAS, ColumnSpec, LayerKind, LayerSchema, get_schema

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
#: ISO 3166-1 alpha-3 user-assigned codes accepted besides pycountry's list.
EXTRA_ISO3: frozenset[str] = frozenset({"XKX"})

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_]*$")
#: Key of ``GeoDataFrame.attrs`` where `_read_csv` leaves {row: (column, value)} of rows
#: whose coordinates are empty or not numbers, so the message names that column.
_COORDINATE_PROBLEMS = "redeploy_coordinate_problems"
#: Longest field name a Shapefile (dBase) can hold; longer names are cut.
_DBF_NAME_LENGTH = 10
#: Slack allowed when one column must be at most another (``floor_*`` <= ``us_*``).
_AT_MOST_TOLERANCE = 1e-9


def default_layers_dir() -> Path:
    """
    Return the folder of the shipped layers.

    The environment variable ``REDEPLOY_GEODATA`` overrides it; otherwise it is the copy
    inside an installed wheel (``redeploy/geodata/``, see ``setup.py``) or, in a checkout,
    the repository's ``geodata/`` beside the package.
    """
    return shipped_folder("geodata", "REDEPLOY_GEODATA")


@lru_cache(maxsize=1)
def _iso3_codes() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.countries) | EXTRA_ISO3


def is_iso3(code: str) -> bool:
    """Return whether `code` is an ISO 3166-1 alpha-3 code (upper case)."""
    return code in _iso3_codes()


def find_layer_file(folder: Path, kind: str | LayerKind) -> Path | None:
    """Return the file holding layer `kind` in `folder` (``<kind>.<ext>``), or None."""
    kind = LayerKind(kind).value
    for ext in LAYER_EXTENSIONS:
        candidate = folder / f"{kind}{ext}"
        if candidate.is_file():
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
    if kind is None:
        kind = path.stem
    if not path.exists():
        raise LayerValidationError(path, str(kind), [Problem("file not found")])
    schema = _schema_for(path, kind)
    if crs is not None:
        _check_crs(crs, path, schema)
    gdf = _read_raw(path, schema, crs=crs)
    coordinates = gdf.attrs.pop(_COORDINATE_PROBLEMS, {})
    return _validate(gdf, schema, source=path, coordinate_problems=coordinates)


def _check_crs(crs: str, path: Path, schema: LayerSchema) -> None:
    try:
        ProjCRS.from_user_input(crs)
    except Exception as err:  # pyproj.exceptions.CRSError, TypeError
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise _fail(
            path,
            schema,
            f"--crs {crs!r} is not a CRS pyproj knows ({reason}); give an authority code "
            "such as EPSG:4326 or EPSG:3857",
        ) from None


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
    frames: dict[str, gpd.GeoDataFrame] = {}
    for kind, path in paths.items():
        frames[kind] = read_layer(path, kind=kind, crs=crs)
    return frames


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
    expected = {f"{kind}{ext}" for kind in kinds for ext in LAYER_EXTENSIONS}
    for path in sorted(folder.iterdir()):
        name = path.name
        suffix = path.suffix.lower()
        if name.startswith(".") or name in expected or suffix not in LAYER_EXTENSIONS:
            continue
        if not path.is_file():
            continue
        match = difflib.get_close_matches(path.stem.lower(), kinds, n=1)
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


def _fail(path: Path, schema: LayerSchema, message: str) -> LayerValidationError:
    return LayerValidationError(path, schema.kind.value, [Problem(message)])


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
            layer = None
            if suffix == ".gpkg":
                names = [row[0] for row in pyogrio.list_layers(path)]
                if schema.kind.value in names:
                    layer = schema.kind.value
                elif len(names) == 1:
                    layer = names[0]
                else:
                    raise _fail(
                        path,
                        schema,
                        f"GeoPackage has no table named "
                        f"'{schema.kind.value}' (tables: {', '.join(names)})",
                    )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                # A GeoJSON column of mixed types ("high" among integers) reaches
                # geopandas as JSON it cannot parse; validation names the bad value.
                warnings.filterwarnings(
                    "ignore", message=r"Could not parse column .* as JSON", category=UserWarning
                )
                gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except LayerValidationError:
        raise
    except Exception as err:  # GDAL/pyarrow raise many types for unreadable files
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
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
    return _to_project_crs(gdf, path, schema, crs=crs)


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
    target = ProjCRS.from_user_input(CRS)
    if gdf.crs.equals(target) or ProjCRS.from_user_input(gdf.crs).equals(target):
        return gdf
    source_crs = ProjCRS.from_user_input(gdf.crs)
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
    return gdf.to_crs(CRS)


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
    ids = _feature_ids(gdf, schema)
    out = gdf.copy()
    for col, spec in schema.columns.items():
        if col not in gdf.columns:
            if not spec.required:
                out[col] = _empty_column(spec, len(gdf))
            continue
        out[col] = _check_column(gdf[col], col, spec, ids, problems)
    problems.extend(_check_at_most(out, schema, ids))
    if schema.id_column in gdf.columns:
        problems.extend(_duplicate_ids(gdf[schema.id_column], ids))
    problems.extend(_check_geometry(gdf, schema, ids, coordinate_problems or {}))
    if problems:
        raise LayerValidationError(source, schema.kind.value, problems)
    front = [c for c in schema.columns if c in out.columns]
    rest = [c for c in out.columns if c not in schema.columns and c != out.geometry.name]
    return out[[*front, *rest, out.geometry.name]]


def _feature_ids(gdf: gpd.GeoDataFrame, schema: LayerSchema) -> list[str | None]:
    if schema.id_column not in gdf.columns:
        return [None] * len(gdf)
    return [None if _is_missing(v) else str(v) for v in gdf[schema.id_column]]


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _empty_column(spec: ColumnSpec, n: int) -> pd.Series:
    if spec.dtype == "float":
        return pd.Series(np.full(n, np.nan), dtype="float64")
    if spec.dtype == "int":
        return pd.Series([pd.NA] * n, dtype="Int64")
    return pd.Series([None] * n, dtype="object")


def _check_column(
    values: pd.Series, col: str, spec: ColumnSpec, ids: list[str | None], problems: list[Problem]
) -> pd.Series:
    def report(i: int, message: str) -> None:
        problems.append(Problem(message, feature_id=ids[i], row=i + 1, column=col))

    raw = list(values)
    if spec.dtype in ("float", "int"):
        nums = np.full(len(raw), np.nan)
        for i, v in enumerate(raw):
            if _is_missing(v):
                if spec.required:
                    report(i, f"is empty (null or NaN) but required; allowed: {spec.allowed()}")
                continue
            try:
                x = float(v)
            except (TypeError, ValueError):
                report(i, f"must be {spec.allowed()}, got {v!r}")
                continue
            if math.isnan(x):
                if spec.required:
                    report(i, f"is NaN but required; allowed: {spec.allowed()}")
                continue
            if (
                math.isinf(x)
                or (spec.minimum is not None and x < spec.minimum)
                or (spec.maximum is not None and x > spec.maximum)
            ):
                report(i, f"must be {spec.allowed()}, got {v!r}")
                continue
            if spec.dtype == "int" and not float(x).is_integer():
                report(i, f"must be {spec.allowed()}, got {v!r}")
                continue
            nums[i] = x
        if spec.dtype == "int":
            series = pd.Series(nums).round()
            return series.astype("Int64") if np.isnan(nums).any() else series.astype("int64")
        return pd.Series(nums, dtype="float64")

    texts: list[str | None] = []
    for i, v in enumerate(raw):
        if _is_missing(v):
            if spec.required:
                report(i, f"is empty (null or NaN) but required; allowed: {spec.allowed()}")
            texts.append(None)
            continue
        text = str(v).strip()
        if spec.dtype == "enum" and text not in spec.choices:
            report(i, f"must be {spec.allowed()}, got {v!r}")
        elif spec.dtype == "slug" and not _SLUG.match(text):
            report(i, f"must be {spec.allowed()}, got {v!r}")
        elif spec.dtype == "iso3" and not is_iso3(text):
            report(i, f"unknown ISO3 code {v!r}; allowed: {spec.allowed()}")
        elif spec.dtype == "iso3_list":
            codes = [c.strip() for c in text.split(";")]
            bad = [c for c in codes if not is_iso3(c)]
            if bad:
                report(
                    i,
                    f"unknown ISO3 code(s) {', '.join(repr(b) for b in bad)} in {v!r}; "
                    f"allowed: {spec.allowed()}",
                )
            text = ";".join(codes)
        texts.append(text)
    return pd.Series(texts, dtype="object")


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


def _check_geometry(
    gdf: gpd.GeoDataFrame,
    schema: LayerSchema,
    ids: list[str | None],
    coordinate_problems: Mapping[int, tuple[str, object]],
) -> list[Problem]:
    col = gdf.geometry.name
    geoms = gdf.geometry.values
    allowed = ", ".join(sorted(schema.geometry_types))
    problems = []
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = np.asarray(shapely.get_type_id(geoms))
    names = {
        0: "Point",
        1: "LineString",
        2: "LinearRing",
        3: "Polygon",
        4: "MultiPoint",
        5: "MultiLineString",
        6: "MultiPolygon",
        7: "GeometryCollection",
    }
    valid = shapely.is_valid(geoms)
    for i in range(len(gdf)):
        if missing[i] and i in coordinate_problems:
            name, value = coordinate_problems[i]
            what = "longitude" if name.lower() in ("lon", "longitude", "x") else "latitude"
            got = "is empty" if _is_missing(value) else f"got {value!r}"
            problems.append(
                Problem(
                    f"the point's {what} must be a number ({CRS} degrees), {got}",
                    feature_id=ids[i],
                    row=i + 1,
                    column=name,
                )
            )
            continue
        if missing[i]:
            problems.append(
                Problem(
                    f"geometry is empty; allowed: {allowed}",
                    feature_id=ids[i],
                    row=i + 1,
                    column=col,
                )
            )
            continue
        gtype = names.get(int(types[i]), "unknown")
        if gtype not in schema.geometry_types:
            problems.append(
                Problem(
                    f"geometry type must be {allowed}, got {gtype}",
                    feature_id=ids[i],
                    row=i + 1,
                    column=col,
                )
            )
            continue
        if not valid[i]:
            reason = shapely.is_valid_reason(geoms[i])
            problems.append(
                Problem(
                    f"invalid geometry ({reason}); repair it, e.g. with shapely.make_valid "
                    "or QGIS 'Fix geometries'",
                    feature_id=ids[i],
                    row=i + 1,
                    column=col,
                )
            )
            continue
        minx, miny, maxx, maxy = shapely.bounds(geoms[i])
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            problems.append(
                Problem(
                    f"coordinates out of range for {CRS} (bounds {minx:.4f}, {miny:.4f}, "
                    f"{maxx:.4f}, {maxy:.4f}); longitude must be -180..180, latitude -90..90",
                    feature_id=ids[i],
                    row=i + 1,
                    column=col,
                )
            )
    return problems


def sourced_share(gdf: gpd.GeoDataFrame) -> float:
    """Return the share of features whose figures are sourced (confidence == 'sourced')."""
    if len(gdf) == 0:
        return 0.0
    return float((gdf["confidence"] == "sourced").mean())
