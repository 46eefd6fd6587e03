"""Reading an AllocationResult's frames for maps: records per asset, names, sums to display.

Nothing here computes a model quantity: the helpers look values up in the result's frames
(and in the layers, for names) and add up rows only to show a total of what the frames hold.
The U.S. home pool (`redeploy.model.base.HOME_ID`) has no feature in any layer; it is named
`HOME_NAME` wherever a front or zone name is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from redeploy.model.base import HOME_ID, HOME_LONLAT, HOME_REGION
from redeploy.model.result import AllocationResult
from redeploy.render.format import finite, plain_text
from redeploy.schemas import ASSET_UNITS, ASSETS, MILITARY_ASSETS

__all__ = ["HOME_ID", "HOME_LONLAT", "HOME_NAME", "HOME_REGION"]

#: How maps name the U.S. home pool in titles, tooltips and tables.
HOME_NAME = "United States (home pool)"


def unit_of(asset: str) -> str:
    """Return the unit of asset class `asset` (``kpe`` or ``$bn/yr``; ``""`` if unknown)."""
    return ASSET_UNITS.get(asset, "")


def asset_order(asset: str) -> tuple[int, str]:
    """Sort key of asset classes: the model's order, unknown classes last by name."""
    return (ASSETS.index(asset) if asset in ASSETS else len(ASSETS), asset)


def assets_in(per_asset: Mapping[str, Any]) -> list[str]:
    """The model's asset classes, then any other class `per_asset` holds (by name)."""
    extra = sorted(a for a in per_asset if a not in ASSETS)
    return [*ASSETS, *extra]


def records(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The rows of a layer as dicts, without the geometry."""
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    return [{str(k): v for k, v in rec.items()} for rec in gdf[cols].to_dict("records")]


def asset_frame(frame: pd.DataFrame | None, key: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Return ``{id: {asset: row}}`` of a result frame keyed by `key` and ``asset``."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    if frame is None or frame.empty or key not in frame:
        return out
    for rec in frame.to_dict("records"):
        out.setdefault(str(rec[key]), {})[str(rec.get("asset"))] = {
            str(k): v for k, v in rec.items()
        }
    return out


def names(layers: Mapping[str, gpd.GeoDataFrame], kind: str) -> dict[str, str]:
    """Return ``{id: name}`` of a layer; fronts and zones also name the home pool."""
    out: dict[str, str] = {}
    if kind in ("fronts", "peripheral_zones"):
        out[HOME_ID] = HOME_NAME
    gdf = layers.get(kind)
    if gdf is None or "id" not in gdf:
        return out
    col = gdf["name"] if "name" in gdf else gdf["id"]
    out.update({str(i): plain_text(n) or str(i) for i, n in zip(gdf["id"], col, strict=True)})
    return out


def column_by_zone(result: AllocationResult, metric: str, column: str) -> dict[str, float]:
    """
    Sum `column` of `result.zones` per peripheral zone over `metric`'s classes.

    `metric` is ``"military"`` (the `MILITARY_ASSETS`, in kpe), ``"all"`` (every class: for
    a column in one unit across classes, such as ``value``) or one asset class. The home
    pool is not a peripheral zone and is left out.
    """
    zones = result.zones
    if zones is None or zones.empty or column not in zones:
        return {}
    if metric == "all":
        assets: tuple[str, ...] = tuple(str(a) for a in zones["asset"].unique())
    else:
        assets = MILITARY_ASSETS if metric == "military" else (metric,)
    sel = zones[zones["asset"].isin(assets) & (zones["zone_id"].astype(str) != HOME_ID)]
    sums = pd.to_numeric(sel[column], errors="coerce").fillna(0).groupby(sel["zone_id"]).sum()
    return {str(k): float(v) for k, v in sums.items()}


def allocation_by_zone(result: AllocationResult, metric: str) -> dict[str, float]:
    """
    Return what colours each zone: capacity this run adds (``added``), military or one class.

    Parameters
    ----------
    result
        The allocation result (its `zones` frame is read; the home pool left out).
    metric
        ``"military"`` (sum of `MILITARY_ASSETS`, in kpe) or an asset class name.
    """
    return column_by_zone(result, metric, "added")


def total(frame: pd.DataFrame | None, column: str, **equal: str) -> float:
    """Sum `column` over the rows of `frame` whose columns equal the given values."""
    if frame is None or frame.empty or column not in frame:
        return 0.0
    mask = pd.Series(True, index=frame.index)
    for col, value in equal.items():
        if col not in frame:
            return 0.0
        mask &= frame[col].astype(str) == value
    return float(pd.to_numeric(frame.loc[mask, column], errors="coerce").fillna(0).sum())


def military_total(frame: pd.DataFrame | None, column: str, **equal: str) -> float:
    """`total` over the military classes only."""
    if frame is None or frame.empty or "asset" not in frame:
        return 0.0
    return total(frame[frame["asset"].isin(MILITARY_ASSETS)], column, **equal)


def home_totals(result: AllocationResult) -> dict[str, float] | None:
    """The model's home-pool totals (received, reserve, sent abroad, kept; kpe), if any."""
    home = result.totals.get("home") if isinstance(result.totals, dict) else None
    if not isinstance(home, dict):
        return None
    return {str(k): finite(v) or 0.0 for k, v in home.items()}


def has_home(result: AllocationResult) -> bool:
    """Whether the result holds a home pool (front or zone rows ``us-home``, or its totals)."""
    for frame, key in ((result.fronts, "front_id"), (result.zones, "zone_id")):
        if frame is None or frame.empty or key not in frame:
            continue
        if (frame[key].astype(str) == HOME_ID).any():
            return True
    return home_totals(result) is not None
