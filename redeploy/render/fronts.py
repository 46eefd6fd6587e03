"""The alliance fronts on a run's map: a filled circle for the U.S. forces that leave, inside a
ring for the U.S. forces there today, both on one area scale (kpe).

Both figures are totals of the result's `allies` frame (``us_baseline``; ``us_withdrawn``:
released to the zones and home, and converted into engagement).
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from redeploy import palette
from redeploy.model.result import AllocationResult
from redeploy.render.columns import LayerColumns
from redeploy.render.features import _marker_style, marker_properties
from redeploy.render.format import fmt_value, plain_text
from redeploy.render.geojson import POINT_PRECISION, compact_geometry, feature, feature_collection
from redeploy.render.layerdata import LayerData
from redeploy.schemas import MILITARY_ASSETS, SCHEMAS, LayerKind

#: Smallest radius (px) of the filled circle and of the ring, so every front stays visible.
_MIN_FILL, _MIN_RING = 3.5, 5.0


def front_forces(result: AllocationResult) -> dict[str, tuple[float, float]]:
    """``{front id: (U.S. forces today, forces that leave)}`` in kpe: totals of the allies'
    side (``us_baseline``, ``us_withdrawn``) over the military classes; empty without it."""
    allies = result.allies
    if allies is None or allies.empty or "us_withdrawn" not in allies:
        return {}
    frame = allies[allies["asset"].isin(MILITARY_ASSETS)]
    sums = (
        pd.DataFrame(
            {
                "id": frame["front_id"].astype(str),
                "today": pd.to_numeric(frame["us_baseline"], errors="coerce").fillna(0.0),
                "leave": pd.to_numeric(frame["us_withdrawn"], errors="coerce").fillna(0.0),
            }
        )
        .groupby("id")[["today", "leave"]]
        .sum()
    )
    return {
        str(i): (float(today), float(leave))
        for i, today, leave in zip(sums.index, sums["today"], sums["leave"], strict=True)
    }


def _radius(value: float, vmax: float, r_max: float, r_min: float) -> float:
    """Radius whose area is proportional to `value` (the largest, `vmax`, at `r_max`)."""
    if vmax <= 0 or value <= 0:
        return r_min
    return round(max(r_min, r_max * math.sqrt(min(1.0, value / vmax))), 1)


def front_layer(gdf: gpd.GeoDataFrame, result: AllocationResult) -> LayerData:
    """
    Return the fronts: per front a ring (U.S. forces there today) and a filled circle (the
    forces that leave) on one area scale; the filled circle carries the popup.
    """
    kind = LayerKind.FRONTS
    schema = SCHEMAS[kind]
    forces = front_forces(result)
    vmax = max((t for t, _ in forces.values()), default=0.0)
    _, r_max = palette.MARKER_RADII.get(schema.role.palette_key, (5.0, 20.0))
    style, _ = _marker_style(schema.role.palette_key)
    rings, fills = [], []
    geoms = gdf.geometry.to_numpy()
    drawn = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    shown = gdf if drawn.all() else gdf[drawn]
    cols = LayerColumns(shown)
    ids = [plain_text(v) for v in cols.get("id")]
    amounts = [forces.get(fid, (0.0, 0.0)) for fid in ids]
    radii = [_radius(leave, vmax, r_max, _MIN_FILL) for _, leave in amounts]
    every = marker_properties(kind, cols, result, radii)
    for geom, (today, leave), props in zip(shown.geometry, amounts, every, strict=True):
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        g = compact_geometry(point, precision=POINT_PRECISION)
        ring: dict[str, Any] = {"ring": 1, "r": _radius(today, vmax, r_max, _MIN_RING)}
        if "e" in props:
            ring["e"] = 1
        rings.append(feature(g, ring))
        name = props["t"]
        props["rows"] = [
            ["U.S. forces there today", fmt_value(today, "kpe") or "0 kpe"],
            ["Leave the front", fmt_value(leave, "kpe") or "0 kpe"],
            *props["rows"],
        ]
        props["tt"] = f"{name} · {fmt_value(leave, 'kpe')} of {fmt_value(today, 'kpe')} leave"
        fills.append(feature(g, props))
    # Rings under every filled circle; small circles on top of large ones.
    rings.sort(key=lambda f: -f["properties"]["r"])
    fills.sort(key=lambda f: -f["properties"]["r"])
    data = LayerData(
        kind=kind,
        title=schema.title,
        collection=feature_collection(rings + fills),
        pane="rdMarkers",
        style=style,
        legend={
            "fronts": True,
            "color": style["fillColor"],
            "r_min": _MIN_FILL,
            "r_max": r_max,
            "key_max": fmt_value(vmax, "kpe") if vmax > 0 else None,
        },
        est={"dashArray": "2.5 2", "fillOpacity": 0.5, "color": style["fillColor"], "weight": 1.4},
    )
    data.legend["estimates"] = data.estimates
    return data
