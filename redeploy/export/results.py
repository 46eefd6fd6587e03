"""Reshape an allocation result and the validated layers into GIS tables, typed per column.

`build_result_layers` gives the result layers (flows along their routes, zone allocations,
front release, the ledger); `prepare_layer` types any table by its documented columns.
Nothing here computes a model quantity or writes a file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from redeploy.errors import OutputError
from redeploy.export.columns import RESULT_COLUMNS, columns_for
from redeploy.model.result import (
    FLOW_COLUMNS,
    FRONT_COLUMNS,
    LEDGER_COLUMNS,
    ZONE_COLUMNS,
    AllocationResult,
)
from redeploy.schemas import ASSET_UNITS, ASSETS, CRS, MILITARY_ASSETS, ColumnSpec


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
    """Coerce columns to their declared type: ints, floats, booleans (nullable) and text."""
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
        elif spec is not None and spec.dtype == "bool":
            # nullable booleans: GeoPackage stores them as integers of subtype Boolean
            flags = series.astype(object).where(series.notna(), None)
            series = pd.array([None if v is None else bool(v) for v in flags], dtype="boolean")
        elif spec is not None:
            series = series.astype(object).where(series.notna(), None)
            series = series.map(lambda v: v if v is None else str(v))
        out[col] = series
    return out


def prepare_layer(name: str, frame: pd.DataFrame) -> pd.DataFrame:
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
    alloc = _wide(zones, "zone_id", "added", "alloc", assets)
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
    return prepare_layer("zone_allocations", gpd.GeoDataFrame(out, crs=zones_layer.crs))


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
    return prepare_layer("front_release", gpd.GeoDataFrame(out[cols], crs=fronts_layer.crs))


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
