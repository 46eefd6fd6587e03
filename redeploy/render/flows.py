"""Flow layers: forces (kpe) and engagement ($bn/yr) drawn apart, each with its own width scale.

Forces are solid lines coloured by class; engagement, money bought by converting forces
freed at a front, is a gold chain of dots on a narrower scale of its own, so the two never
read as one quantity. Flows into a region held up by a binding scenario floor say so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from redeploy import palette
from redeploy.model.result import AllocationResult
from redeploy.render.format import finite, fmt_value, model_source, plain_text
from redeploy.render.frames import HOME_ID, asset_order, names, unit_of
from redeploy.render.geojson import SHAPE_PRECISION, compact_geometry, feature, feature_collection
from redeploy.render.layerdata import LayerData
from redeploy.render.story import FLOOR_MARK, bounds_for

_MODE_LABELS = {"sea": "along a sea lane", "great_circle": "along a great circle"}

#: Titles of the two flow layers of a run's map (layer control and legend).
FORCES_TITLE = "Forces moved (kpe)"
ENGAGEMENT_TITLE = "Engagement funded ($bn/yr)"
ENGAGEMENT_NOTE = (
    "Money, not forces: engagement bought by converting forces freed at the front it starts from."
)


def _flow_rows(
    flow: Mapping[Any, Any], unit: str, extra: list[list[str]] | None
) -> list[list[str]]:
    """A flow popup's rows: its amount (or the `extra` rows given), distance, transit cost."""
    if extra is not None:
        rows = list(extra)
    else:
        what = "of forces" if unit == "kpe" else "of engagement (money, not forces)"
        amount = fmt_value(flow["amount"], unit)
        rows = [["Amount", f"{amount} {what}" if amount else "–"]]
    for text, col, u in (("Distance", "distance_km", "km"), ("Transit cost", "cost", "$bn-eq/yr")):
        value = fmt_value(flow.get(col), u)
        if value is not None:
            rows.append([text, value])
    return rows


def _flow_kind(asset: str, front: str, zone: str, mode: str) -> str:
    """A flow's kind line: its class, whether it goes home or leaves home, its route."""
    if asset == "engagement":
        what = "engagement funded from forces freed at the front"
    else:
        what = f"{asset} flow"
    if zone == HOME_ID:
        what += " home"
    elif front == HOME_ID:
        what += " from home"
    route = _MODE_LABELS.get(mode, mode)
    return f"{what} · drawn {route}" if route else what


def _floor_notes(result: AllocationResult) -> dict[tuple[str, str], str]:
    """``{(zone id, asset): text}`` of flows into a region held up by a binding floor."""
    zones = result.zones
    out: dict[tuple[str, str], str] = {}
    if zones is None or zones.empty or "region" not in zones:
        return out
    regions = dict(
        zip(
            zones["zone_id"].astype(str).tolist(),
            zones["region"].astype(str).tolist(),
            strict=False,
        )
    )
    assets = sorted({str(a) for a in zones["asset"].tolist()})
    # one look at the bounds per region and class, not per zone (9,800 zones: 50 regions)
    notes: dict[tuple[str, str], str | None] = {}
    for region in set(regions.values()):
        for asset in assets:
            held = [b for b in bounds_for(result, region, asset) if b.floor_binds]
            notes[(region, asset)] = held[0].text() if held else None
    for zid, region in regions.items():
        for asset in assets:
            text = notes[(region, asset)]
            if text is not None:
                out[(zid, asset)] = text
    return out


def flow_layer(
    layers: Mapping[str, gpd.GeoDataFrame],
    result: AllocationResult,
    *,
    styles: list[dict[str, Any]] | None = None,
    amounts: list[float] | None = None,
    extra_rows: list[list[list[str]]] | None = None,
    title: str = "Flows of freed capacity",
    kind: str = "flows",
    weights: tuple[float, float] = palette.FLOW_WEIGHTS,
    dotted: bool = False,
) -> LayerData:
    """
    Return the flows drawn along `result.routes`, width by amount and colour by asset class.

    The routes are already split at the antimeridian (MultiLineStrings), so each flow is
    one path that crosses the map edge instead of the whole map. Widths are relative to the
    largest flow in the same unit (kpe or $bn/yr). Larger flows are drawn first, so the
    thinner ones stay visible on top of them.

    Parameters
    ----------
    layers
        Input layers, for front and zone names.
    result
        The allocation result; `routes` row ``i`` is the route of `flows` row ``i``.
    styles, amounts, extra_rows, title
        Overrides used by comparison maps: per-route style keys, the amount that sets each
        route's width and sort order, popup rows, and the layer title.
    kind, weights, dotted
        The layer's kind, its width range in px, and whether lines are chains of dots
        (engagement).
    """
    fronts = names(layers, "fronts")
    zones = names(layers, "peripheral_zones")
    flows = result.flows.reset_index(drop=True)
    routes = result.routes.reset_index(drop=True)
    n = min(len(flows), len(routes))
    if amounts is not None:
        amt = amounts
    else:
        amt = [finite(a) or 0.0 for a in flows["amount"].iloc[:n]] if n else []
    units = [unit_of(str(a)) for a in flows["asset"].iloc[:n]] if n else []
    amax: dict[str, float] = {}
    for a, u in zip(amt, units, strict=True):
        amax[u] = max(amax.get(u, 0.0), abs(a))
    floors = _floor_notes(result)
    feats = []
    # Row by row as dicts (not one pandas row at a time): the same values.
    records = flows.iloc[:n].to_dict("records")
    modes = routes["mode"].iloc[:n].tolist() if "mode" in routes else [""] * n
    paths = routes.geometry.iloc[:n].tolist()
    for i, f in enumerate(records):
        asset = str(f["asset"])
        unit = units[i]
        mode = plain_text(modes[i])
        fname = fronts.get(str(f["front_id"]), str(f["front_id"]))
        zname = zones.get(str(f["zone_id"]), str(f["zone_id"]))
        rows = _flow_rows(f, unit, extra_rows[i] if extra_rows is not None else None)
        w = palette.flow_weight(abs(amt[i]), amax.get(unit, 0.0), weights)
        props: dict[str, Any] = {
            "t": f"{fname} → {zname}",
            "k": _flow_kind(asset, str(f["front_id"]), str(f["zone_id"]), mode),
            "rows": rows,
            "src": model_source(result),
            "tt": f"{asset} {rows[0][1]}: {fname} → {zname}",
            "c": palette.asset_color(asset),
            "w": w,
        }
        if dotted:
            props["d"] = f"0.1 {max(5.0, 1.9 * w):.1f}"
        held = floors.get((str(f["zone_id"]), asset))
        if held and extra_rows is None:
            props["fl"] = held
            props["tt"] = f"{FLOOR_MARK} {props['tt']}"
        if styles is not None:
            props.update(styles[i])
        g = compact_geometry(paths[i], precision=SHAPE_PRECISION)
        feats.append((props["w"], i, feature(g, props)))
    # Wide lines first, so thinner ones on the same route stay visible on top.
    feats.sort(key=lambda t: (-t[0], t[1]))
    assets = sorted({str(a) for a in flows["asset"].iloc[:n]}, key=asset_order) if n else []
    legend = {
        "assets": assets,
        "max": {u: fmt_value(v, u) for u, v in sorted(amax.items()) if v > 0},
        "amax": {u: v for u, v in sorted(amax.items()) if v > 0},
        "weights": weights,
        "heading": title,
    }
    if dotted:
        legend["dash"] = "0.1 7"
    return LayerData(
        kind=kind,
        title=title,
        collection=feature_collection([f for _, _, f in feats]),
        pane="rdFlows",
        style={"opacity": 0.85, "lineCap": "round", "lineJoin": "round", "fill": False},
        legend=legend,
    )


def _subset(result: AllocationResult, keep: pd.Series) -> AllocationResult:
    """`result` with only the flows (and their routes) where `keep` is true."""
    flows = result.flows.reset_index(drop=True)
    routes = result.routes.reset_index(drop=True)
    n = min(len(flows), len(routes))
    mask = keep.reset_index(drop=True).iloc[:n].to_numpy(dtype=bool)
    return dataclasses.replace(
        result,
        flows=flows.iloc[:n][mask].reset_index(drop=True),
        routes=routes.iloc[:n][mask].reset_index(drop=True),
    )


def flow_layers(
    layers: Mapping[str, gpd.GeoDataFrame], result: AllocationResult
) -> list[LayerData]:
    """
    Return a run's two flow layers: forces (kpe, solid, by class) and engagement ($bn/yr,
    dotted gold), each with its own width scale and legend. Both are listed even when
    empty, so every run's map has the same layers.
    """
    is_money = result.flows["asset"].astype(str) == "engagement"
    forces = flow_layer(layers, _subset(result, ~is_money), title=FORCES_TITLE)
    money = flow_layer(
        layers,
        _subset(result, is_money),
        title=ENGAGEMENT_TITLE,
        kind="flows_engagement",
        weights=palette.ENGAGEMENT_WEIGHTS,
        dotted=True,
    )
    money.legend["note"] = ENGAGEMENT_NOTE
    money.style["opacity"] = 0.9
    return [forces, money]
