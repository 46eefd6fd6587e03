"""Reshape an allocation result and the validated layers into GIS tables, typed per column.

`build_result_layers` gives the result layers (flows along their routes, zone allocations,
front release, the ledger, the allies' table); `prepare_layer` types any table by its
documented columns. Nothing here computes a model quantity or writes a file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from redeploy.errors import OutputError
from redeploy.export.columns import RESULT_COLUMNS, columns_for
from redeploy.model.digits import rounded_frame
from redeploy.model.result import (
    ALLY_COLUMNS,
    FLOW_COLUMNS,
    FRONT_COLUMNS,
    HOME_ID,
    HOME_LONLAT,
    HOME_REGION,
    LEDGER_COLUMNS,
    ZONE_COLUMNS,
    AllocationResult,
)
from redeploy.schemas import ASSET_UNITS, ASSETS, CRS, MILITARY_ASSETS, RISK_CHANNELS, ColumnSpec

#: Name of the U.S. home pool (`HOME_ID`) in the result layers.
HOME_NAME = "United States (home pool)"
#: Columns of the peripheral zones layer that zone_allocations carries.
_ZONE_LAYER_COLUMNS = ("id", "name", "iso3", "region", "access", "access_basis", "port_calls")


_LISTLIKE = (list, tuple, set, frozenset, np.ndarray)


def _is_listlike(value: object) -> bool:
    return isinstance(value, _LISTLIKE)


def _join_lists(series: pd.Series) -> pd.Series:
    # Whether any cell holds a list: one look at each type of value the column holds.
    if series.dtype != object or not any(
        issubclass(kind, _LISTLIKE) for kind in set(map(type, series.tolist()))
    ):
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
            values = [None if v is None else bool(v) for v in flags]
            series = pd.Series(pd.array(values, dtype="boolean"), index=series.index)
        elif spec is not None:
            series = series.astype(object).where(series.notna(), None)
            if not all(v is None or type(v) is str for v in series.tolist()):
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
    front, zone = merged["front_id"].astype(str), merged["zone_id"].astype(str)
    merged["id"] = front + "__" + zone + "__" + merged["asset"].astype(str)
    merged["leg"] = np.select(
        [front == HOME_ID, zone == HOME_ID], ["home_to_zone", "front_to_home"], "front_to_zone"
    )
    merged["unit"] = merged["asset"].map(lambda a: ASSET_UNITS.get(a, ""))
    cols = list(RESULT_COLUMNS["flows"])
    geometry = gpd.GeoSeries(merged[geom].array, crs=routes.crs or CRS)
    out = gpd.GeoDataFrame(merged[cols], geometry=geometry)
    if not out.crs.equals(CRS):
        out = out.to_crs(CRS)
    return _typed(out, RESULT_COLUMNS["flows"])


def _join_on_id(base: pd.DataFrame, tables: Sequence[pd.DataFrame | pd.Series]) -> pd.DataFrame:
    """Left-join every table (indexed by layer id) onto `base` by its ``id`` column."""
    out = base
    for table in tables:
        out = out.join(table, on="id")
    return out


def _with_missing_rows(
    base: gpd.GeoDataFrame, ids: pd.Series, extra: Mapping[str, object], point: bool
) -> gpd.GeoDataFrame:
    """
    Append a row for every id of the result that the layer lacks, so none is dropped.

    The home pool (`HOME_ID`) gets its name and region (``extra`` names the region column)
    and, where `point`, the home point (`HOME_LONLAT`); any other id a row with its id as
    name and no geometry.
    """
    missing = sorted(set(ids.dropna().astype(str)) - set(base["id"].astype(str)))
    if not missing:
        return base
    geom = base.geometry.name
    rows = []
    for fid in missing:
        home = fid == HOME_ID
        row: dict[str, object] = {"id": fid, "name": HOME_NAME if home else fid}
        if home:
            row.update({k: v for k, v in extra.items() if k in base.columns})
        row[geom] = Point(HOME_LONLAT) if home and point else None
        rows.append(row)
    added = gpd.GeoDataFrame(rows, geometry=geom, crs=base.crs)
    return gpd.GeoDataFrame(pd.concat([base, added], ignore_index=True), crs=base.crs)


def _zone_layer(zones_layer: gpd.GeoDataFrame, result: AllocationResult) -> gpd.GeoDataFrame:
    zones = pd.DataFrame(result.zones).loc[:, list(ZONE_COLUMNS)]
    assets = _asset_order(zones) or list(ASSETS)
    keep = [c for c in _ZONE_LAYER_COLUMNS if c in zones_layer.columns]
    base = zones_layer[[*keep, zones_layer.geometry.name]].copy()
    # the home pool has no polygon: a row without geometry (docs/gis.md)
    base = _with_missing_rows(base, zones["zone_id"], {"region": HOME_REGION}, point=False)
    wide = [_wide(zones, "zone_id", c, c, assets) for c in ("existing", "added", "capacity")]
    mv = _wide(zones, "zone_id", "marginal_value", "mv", assets)
    value = zones.groupby("zone_id")["value"].sum(min_count=1).rename("value")
    dollars = zones.groupby("zone_id")["added_bn"].sum(min_count=1).rename("added_bn")
    held = zones.groupby("zone_id")["floor_held"].any().rename("floor_held")
    out = _join_on_id(base, [*wide, dollars, value, mv, held])
    amounts = [c for w in wide for c in w.columns]
    out[amounts] = out[amounts].fillna(0.0)  # a zone without rows has and receives nothing
    for prefix in ("existing", "added"):
        military = [f"{prefix}_{a}" for a in MILITARY_ASSETS if f"{prefix}_{a}" in amounts]
        out[f"{prefix}_military"] = out[military].sum(axis=1)
    out["added_total"] = out[list(wide[1].columns)].sum(axis=1)
    out["added_bn"] = out["added_bn"].fillna(0.0)
    out["floor_held"] = out["floor_held"].eq(True)  # a zone without rows is held by none
    cols = [c for c in RESULT_COLUMNS["zone_allocations"] if c in out.columns]
    out = gpd.GeoDataFrame(out[[*cols, base.geometry.name]], crs=zones_layer.crs)
    return prepare_layer("zone_allocations", out)


def _front_layer(fronts_layer: gpd.GeoDataFrame, result: AllocationResult) -> gpd.GeoDataFrame:
    fronts = pd.DataFrame(result.fronts).loc[:, list(FRONT_COLUMNS)]
    assets = _asset_order(fronts) or list(ASSETS)
    military = [a for a in assets if a in MILITARY_ASSETS]
    keep = [c for c in ("id", "name", "theater") if c in fronts_layer.columns]
    base = fronts_layer[[*keep, fronts_layer.geometry.name]].copy()
    # the home pool sends capacity abroad: a point in the United States (docs/gis.md)
    base = _with_missing_rows(base, fronts["front_id"], {"theater": HOME_REGION}, point=True)
    wide = [
        _wide(fronts, "front_id", "freed", "freed", assets),
        _wide(fronts, "front_id", "released", "released", assets),
        *(_wide(fronts, "front_id", c, c, military) for c in ("to_home", "converted", "retained")),
    ]
    risk_cols = [f"risk_{c}" for c in RISK_CHANNELS] + ["risk"]
    risk = fronts.groupby("front_id")[risk_cols].sum(min_count=1)
    mv = _wide(fronts, "front_id", "marginal_value", "mv", assets)
    out = _join_on_id(base, [*wide, risk, mv])
    cols = [c for c in RESULT_COLUMNS["front_release"] if c in out.columns]
    out = gpd.GeoDataFrame(out[[*cols, base.geometry.name]], crs=fronts_layer.crs)
    return prepare_layer("front_release", out)


def _ledger_table(result: AllocationResult) -> pd.DataFrame:
    ledger = pd.DataFrame(result.ledger).loc[:, list(LEDGER_COLUMNS)]
    ledger = ledger.sort_values("front_id", kind="stable").reset_index(drop=True)
    return _typed(ledger, RESULT_COLUMNS["ledger"])


def _allies_table(result: AllocationResult) -> pd.DataFrame:
    allies = pd.DataFrame(result.allies).loc[:, list(ALLY_COLUMNS)]
    rank = {a: i for i, a in enumerate(_asset_order(allies))}
    allies = (
        allies.assign(_rank=allies["asset"].map(rank))
        .sort_values(["front_id", "_rank"], kind="stable")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )
    return _typed(allies, RESULT_COLUMNS["allies"])


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
        ``flows`` (MultiLineStrings along the routes, home legs included),
        ``zone_allocations`` (zone polygons, one ``existing_``/``added_``/``capacity_``/
        ``mv_<asset>`` column per asset class; the home pool a row without geometry),
        ``front_release`` (front points, ``freed_``/``released_``/``mv_<asset>``,
        ``to_home_``/``converted_``/``retained_<military class>``, ``risk_<channel>``; the
        home pool a point in the United States), and ``ledger`` and ``allies`` (tables
        without geometry). Columns are documented in `RESULT_COLUMNS`; numbers are rounded
        to `redeploy.model.digits.RESULT_DIGITS` significant digits.

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
    tables = {
        "flows": _flows_layer(result),
        "zone_allocations": _zone_layer(layers["peripheral_zones"], result),
        "front_release": _front_layer(layers["fronts"], result),
        "ledger": _ledger_table(result),
        "allies": _allies_table(result),
    }
    return {name: rounded_frame(table) for name, table in tables.items()}
