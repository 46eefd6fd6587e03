"""Reading an AllocationResult's frames for maps: records per asset, names, sums to display.

Nothing here computes a model quantity: the helpers look values up in the result's frames
(and in the layers, for names) and add up rows only to show a total of what the frames hold.
The U.S. home pool (`redeploy.model.base.HOME_ID`) has no feature in any layer; it is named
`HOME_NAME` wherever a front or zone name is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from redeploy.model.base import HOME_ID, HOME_LONLAT, HOME_REGION
from redeploy.model.result import AllocationResult
from redeploy.render.columns import each
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


#: Lookups of result frames built once per frame (`_lookup`), newest last: a map reads a
#: result's frames for each of its features, so each frame is indexed once per map, not
#: once per feature (1,300 fronts once made that quadratic).
_LOOKUPS: dict[tuple[int, str, Any], tuple[pd.DataFrame, Any]] = {}
_LOOKUPS_KEPT = 16


def _lookup(frame: pd.DataFrame, key: str, what: Any, build: Callable[[], Any]) -> Any:
    """`build()` for (`frame`, `key`, `what`), computed once while `frame` is in use."""
    slot = (id(frame), key, what)
    hit = _LOOKUPS.get(slot)
    # The entry holds the frame, so its id cannot be reused by another frame meanwhile.
    if hit is not None and hit[0] is frame:
        return hit[1]
    value = build()
    _LOOKUPS.pop(slot, None)
    while len(_LOOKUPS) >= _LOOKUPS_KEPT:
        _LOOKUPS.pop(next(iter(_LOOKUPS)))
    _LOOKUPS[slot] = (frame, value)
    return value


def asset_frame(frame: pd.DataFrame | None, key: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Return ``{id: {asset: row}}`` of a result frame keyed by `key` and ``asset`` (read
    only: the same dict is handed to every caller of the same frame)."""
    if frame is None or frame.empty or key not in frame:
        return {}
    result: dict[str, dict[str, dict[str, Any]]] = _lookup(
        frame, key, "asset", lambda: _asset_frame(frame, key)
    )
    return result


def _asset_frame(frame: pd.DataFrame, key: str) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for rec in frame.to_dict("records"):
        out.setdefault(str(rec[key]), {})[str(rec.get("asset"))] = {
            str(k): v for k, v in rec.items()
        }
    return out


class FrameCells:
    """
    A result frame's rows by key and asset (``{id: {asset: row}}``, the last row of a pair
    kept, as `asset_frame`) and the rows of each id, with each column's values read once
    and each distinct value formatted once per format (`redeploy.render.columns.each`): a
    page of 1,300 fronts reads its tables from lists instead of formatting every cell of
    every front.
    """

    def __init__(self, frame: pd.DataFrame, key: str) -> None:
        self.frame = frame
        self.columns = set(frame.columns)
        self.rows: dict[str, dict[str, int]] = {}
        #: The rows of each id, ids and rows in order of appearance.
        self.groups: dict[str, list[int]] = {}
        keys = frame[key].astype(str).tolist()
        assets = frame["asset"].tolist() if "asset" in frame else [None] * len(keys)
        for i, (k, a) in enumerate(zip(keys, assets, strict=True)):
            self.rows.setdefault(k, {})[str(a)] = i
            self.groups.setdefault(k, []).append(i)
        self._values: dict[str, list[Any]] = {}
        self._texts: dict[tuple[str, Callable[[Any], Any]], list[Any]] = {}
        self._sums: dict[tuple[str, ...], dict[str, dict[str, float]]] = {}

    def has(self, column: str) -> bool:
        """Whether the frame has `column`."""
        return column in self.columns

    def _column(self, column: str) -> list[Any]:
        values = self._values.get(column)
        if values is None:
            values = self._values[column] = self.frame[column].tolist()
        return values

    def value(self, column: str, row: int | None) -> Any:
        """The value of `column` in `row` (None for no row or no such column)."""
        if row is None or column not in self.columns:
            return None
        return self._column(column)[row]

    def text(self, column: str, row: int | None, fmt: Callable[[Any], Any]) -> Any:
        """`fmt` of `value(column, row)`, each distinct value of the column formatted once
        (`fmt(None)` for no row or no such column)."""
        if row is None or column not in self.columns:
            return fmt(None)
        texts = self._texts.get((column, fmt))
        if texts is None:
            texts = self._texts[(column, fmt)] = each(self._column(column), fmt)
        return texts[row]

    def sums(self, key: str, columns: Sequence[str]) -> dict[str, float]:
        """The sums of `columns` (those the frame has) over the rows of id `key`, each as
        ``float(rows[column].sum())`` would give it (0 for an id without rows); worked out
        for every id at once, once per frame (a page of 1,300 fronts summed their risk
        channels 11,700 times)."""
        cols = tuple(c for c in columns if c in self.columns)
        table = self._sums.get(cols)
        if table is None:
            values = {c: self.frame[c].to_numpy(dtype=float) for c in cols}
            table = self._sums[cols] = {
                k: {c: float(np.nansum(values[c][rows])) for c in cols}
                for k, rows in self.groups.items()
            }
        return table.get(key, dict.fromkeys(cols, 0.0))


def frame_cells(frame: pd.DataFrame | None, key: str) -> FrameCells | None:
    """The `FrameCells` of a result frame keyed by `key` (None when it has no such rows),
    built once per frame and handed to every caller (read only)."""
    if frame is None:
        return None
    cells: FrameCells | None = _lookup(
        frame,
        key,
        "cells",
        lambda: None if frame.empty or key not in frame else FrameCells(frame, key),
    )
    return cells


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
