"""Map features: layers and result frames turned into compact GeoJSON with popup and style data.

Each feature's ``properties`` hold only what the page's script needs: ``t`` (title), ``k``
(kind line), ``rows`` ([label, value] pairs, values already formatted with their units),
``tab`` (a per-asset table), ``tabs`` (further tables, each with a title ``t``; without a
header ``h`` a [label, value] table), ``more`` (rows folded under a title), ``src``
(sources), ``tt`` (tooltip), ``sh`` (a marker shape other than a circle: ``"home"``), and
style keys ``r`` (radius), ``fc`` (fill colour), ``c`` (line colour), ``w`` (line width),
``d`` (dash pattern). Text is plain: the page inserts it with ``textContent``, never as HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from redeploy import palette
from redeploy.model.result import AllocationResult
from redeploy.render.basemap import basemap_geometries
from redeploy.render.format import (
    finite,
    fmt_value,
    model_source,
    plain_text,
    source_line,
)
from redeploy.render.frames import (
    HOME_ID,
    allocation_by_zone,
    asset_frame,
    asset_order,
    column_by_zone,
    names,
    records,
    unit_of,
)
from redeploy.render.geojson import (
    POINT_PRECISION,
    POLYGON_SIMPLIFY,
    SHAPE_PRECISION,
    compact_geometry,
    feature,
    feature_collection,
    marker_points,
)
from redeploy.render.popups import (
    LEDGER_LABELS,
    ZONE_TABLE_HEAD,
    class_table,
    front_popup,
    label,
    presence_rows,
    scalar_rows,
    zone_note,
    zone_table,
)
from redeploy.schemas import SCHEMAS, LayerKind

# Kept under their former names for callers of this module.
_names = names
_asset_order = asset_order
__all__ = ["LEDGER_LABELS", "allocation_by_zone"]

#: Leaflet panes (created by the page) and their z-index: basemap under data, markers on top.
PANES: Mapping[str, int] = {
    "rdBasemap": 250,
    "rdZones": 300,
    "rdMinerals": 350,
    "rdFlows": 420,
    "rdMarkers": 450,
}

#: Style of markers: filled, white outline.
_MARKER_STYLE: Mapping[str, Any] = {"color": "#ffffff", "weight": 1.2, "fillOpacity": 0.85}
#: Marker styles by palette key that differ from `_MARKER_STYLE`. The existing U.S.
#: presence is a ring in its own colour, so it never reads as what a run adds (flows,
#: zone fill).
_RING_STYLE: Mapping[str, Any] = {"weight": 2.4, "fillOpacity": 0.18}
_RING_KEYS = frozenset({"posture"})


@dataclass(frozen=True)
class LayerData:
    """One map layer ready to draw: its GeoJSON, pane, base style and legend facts."""

    kind: str
    title: str
    collection: dict[str, Any]
    pane: str
    style: dict[str, Any]
    interactive: bool = True
    show: bool = True
    legend: dict[str, Any] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """Number of features drawn."""
        return len(self.collection["features"])


def _key_max(gdf: gpd.GeoDataFrame, column: str | None) -> float:
    if column is None or column not in gdf or gdf.empty:
        return 0.0
    values = pd.to_numeric(gdf[column], errors="coerce")
    vmax = values.max()
    return float(vmax) if pd.notna(vmax) else 0.0


def metric_label(metric: str) -> tuple[str, str]:
    """Return the legend label and unit of a zone colour metric (what this run adds)."""
    if metric == "military":
        return "Military capacity added by this run", "kpe"
    return f"{metric.capitalize()} added by this run", unit_of(metric)


# ---------------------------------------------------------------------------- layers


def basemap_layer(gdf: gpd.GeoDataFrame, *, show: bool = True) -> LayerData:
    """Return the vector basemap: simplified countries, no popups (encoded once,
    `redeploy.render.basemap`)."""
    feats = [feature(g, {}) for g in basemap_geometries(gdf)]
    return LayerData(
        kind="basemap",
        title="Countries (basemap)",
        collection=feature_collection(feats),
        pane="rdBasemap",
        style={
            "color": palette.LAND_OUTLINE,
            "weight": 0.6,
            "fillColor": palette.LAND_COLOR,
            "fillOpacity": 1,
            "opacity": 1,
        },
        interactive=False,
        show=show,
    )


def _lower_first(text: str) -> str:
    """Lower-case a label's first letter unless it starts an abbreviation (``U.S.``)."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _marker_properties(
    kind: str, rec: Mapping[str, Any], result: AllocationResult, radius: float
) -> dict[str, Any]:
    """The popup, tooltip and radius properties of one feature of a marker layer."""
    schema = SCHEMAS[LayerKind(kind)]
    key = schema.key_figure
    key_spec = schema.columns.get(key) if key else None
    name = plain_text(rec.get("name")) or plain_text(rec.get("id"))
    rows = scalar_rows(kind, rec)
    tab = class_table(kind, rec)
    tabs: list[dict[str, Any]] = []
    model_note = ""
    more = None
    if kind == LayerKind.FRONTS:
        # The model's figures first; the front's own (input) figures folded away.
        tab, tabs, model_note = front_popup(rec, result)
        more, rows = {"t": f"{schema.role.noun} figures (layer)", "r": rows}, []
    key_text = fmt_value(rec.get(key), key_spec.unit) if key and key_spec else None
    tip = name
    if key_text is not None and key is not None:
        tip += f" · {_lower_first(label(kind, key))} {key_text}"
    if model_note:
        tip += f" · {model_note}"
    src = source_line(rec)
    props: dict[str, Any] = {
        "t": name,
        "k": f"{schema.role.noun} · {plain_text(rec.get('id'))}",
        "rows": rows,
        "src": src if kind != LayerKind.FRONTS else f"{src}; model figures: {model_source(result)}",
        "tt": tip,
        "r": radius,
    }
    if tab:
        props["tab"] = tab
    if tabs:
        props["tabs"] = tabs
    if more:
        props["more"] = more
    notes = plain_text(rec.get("notes"))
    if notes:
        props["n"] = notes
    return props


def _marker_style(palette_key: str) -> tuple[dict[str, Any], bool]:
    """The layer's marker style and whether it is a ring (see `_RING_STYLE`)."""
    color = palette.LAYER_COLORS.get(palette_key, "#333333")
    ring = palette_key in _RING_KEYS
    style = {**_MARKER_STYLE, **(_RING_STYLE if ring else {}), "fillColor": color, "opacity": 1}
    if ring:
        style["color"] = color
    return style, ring


def point_layer(kind: str, gdf: gpd.GeoDataFrame, result: AllocationResult) -> LayerData:
    """
    Return a point layer (fronts, chokepoints, minerals, nodes, sites, posture) as markers.

    Markers are sized by the layer's key figure (`LayerSchema.key_figure`) with
    `palette.marker_radius`; polygon features (mineral zones may be polygons) are drawn
    lightly with their sized marker at a point inside them. The existing U.S. presence
    (posture) is drawn as rings, apart from what the run adds.
    """
    schema = SCHEMAS[LayerKind(kind)]
    key = schema.key_figure
    key_spec = schema.columns.get(key) if key else None
    vmax = _key_max(gdf, key)
    r_min, r_max = palette.MARKER_RADII.get(schema.role.palette_key, (4.0, 12.0))
    style, ring = _marker_style(schema.role.palette_key)
    feats_poly, feats_pt = [], []
    drawn = [
        (rec, geom)
        for rec, geom in zip(records(gdf), gdf.geometry, strict=True)
        if geom is not None and not geom.is_empty
    ]
    # Every marker's point at once (a polygon's at a point inside it).
    points = marker_points([geom for _, geom in drawn], precision=POINT_PRECISION)
    for (rec, geom), point in zip(drawn, points, strict=True):
        radius = palette.marker_radius(
            finite(rec.get(key) if key else None) or 0.0, vmax, r_min=r_min, r_max=r_max
        )
        props = _marker_properties(kind, rec, result, radius)
        if geom.geom_type != "Point":
            feats_poly.append(
                feature(
                    compact_geometry(geom, precision=SHAPE_PRECISION, simplify=POLYGON_SIMPLIFY),
                    {**props, "r": None},
                )
            )
        feats_pt.append(feature(point, props))
    # Small markers on top of large ones, so every one stays clickable.
    feats_pt.sort(key=lambda f: -f["properties"]["r"])
    for f in feats_poly:
        del f["properties"]["r"]
    legend = {
        "color": style["fillColor"],
        "ring": ring,
        "label": schema.title,
        "key_label": label(kind, key) if key else "",
        "key_max": fmt_value(vmax, key_spec.unit) if key_spec and vmax > 0 else None,
        "r_min": r_min,
        "r_max": r_max,
    }
    return LayerData(
        kind=kind,
        title=schema.title,
        collection=feature_collection(feats_poly + feats_pt),
        pane="rdMarkers" if not feats_poly else "rdMinerals",
        style=style,
        legend=legend,
    )


def _zone_tip(name: str, amount: float, unit: str, metric: str, per: Mapping[str, Any]) -> str:
    """A zone's tooltip: what this run adds (and engagement), and the existing presence."""
    tip = f"{name} · {fmt_value(amount, unit)}"
    eng = finite(per.get("engagement", {}).get("added")) or 0.0
    if metric == "military" and eng > 0:
        tip += f", {fmt_value(eng, unit_of('engagement'))}"
    tip += " added by this run"
    rows = presence_rows(per)
    if rows and rows[0][1] not in ("0 kpe", ""):
        tip += f" · existing U.S. presence {rows[0][1]}"
    return tip


def zone_layer(
    gdf: gpd.GeoDataFrame,
    result: AllocationResult,
    *,
    metric: str = "military",
    values: Mapping[str, float] | None = None,
    colors: Mapping[str, str] | None = None,
    extra_rows: Mapping[str, list[list[str]]] | None = None,
    title: str | None = None,
) -> LayerData:
    """
    Return the peripheral zones coloured by the capacity this run adds to them.

    Popups show the existing U.S. presence apart from what the run adds, the zone's
    access and its basis, and per asset its capacity, existing, added, value and dual.

    Parameters
    ----------
    gdf
        The `peripheral_zones` layer.
    result
        The allocation result (`zones` frame: existing, added, capacity, value, dual).
    metric
        ``"military"`` (kpe summed over the military assets) or an asset class.
    values, colors, extra_rows, title
        Overrides used by comparison maps: the value shown per zone, its fill colour,
        rows added to the popup, and the layer title.
    """
    schema = SCHEMAS[LayerKind.PERIPHERAL_ZONES]
    by_zone = asset_frame(result.zones, "zone_id")
    amounts = dict(values) if values is not None else allocation_by_zone(result, metric)
    edges = palette.allocation_bins(amounts.values())
    label_text, unit = metric_label(metric)
    note = zone_note(result)
    feats = []
    for rec, geom in zip(records(gdf), gdf.geometry, strict=True):
        zid = plain_text(rec.get("id"))
        name = plain_text(rec.get("name")) or zid
        per_asset = by_zone.get(zid, {})
        body = zone_table(per_asset)
        own = presence_rows(per_asset) if per_asset else []
        rows = [*(extra_rows or {}).get(zid, []), *own, *scalar_rows("peripheral_zones", rec)]
        if colors is not None:
            fill = colors.get(zid, palette.ZONE_EMPTY_COLOR)
            tip = f"{name} · " + (rows[0][1] if rows else "")
        else:
            fill = palette.allocation_color(amounts.get(zid, 0.0), edges)
            tip = _zone_tip(name, amounts.get(zid, 0.0), unit, metric, per_asset)
        props: dict[str, Any] = {
            "t": name,
            "k": f"{schema.role.noun} · {plain_text(rec.get('region'))} · {zid}",
            "rows": rows,
            "src": f"{source_line(rec)}; model figures: {model_source(result)}",
            "tt": tip,
            "fc": fill,
        }
        if body:
            props["tab"] = {"h": ZONE_TABLE_HEAD, "r": body, "f": note}
        notes = plain_text(rec.get("notes"))
        if notes:
            props["n"] = notes
        feats.append(
            feature(
                compact_geometry(geom, precision=SHAPE_PRECISION, simplify=POLYGON_SIMPLIFY), props
            )
        )
    existing = column_by_zone(result, "military", "existing")
    return LayerData(
        kind="peripheral_zones",
        title=title or f"{schema.title} by capacity added",
        collection=feature_collection(feats),
        pane="rdZones",
        style={"color": palette.ZONE_OUTLINE, "weight": 0.8, "fillOpacity": 0.9, "opacity": 0.9},
        legend={
            "label": label_text,
            "unit": unit,
            "edges": edges,
            "existing": fmt_value(sum(existing.values()), "kpe") if existing else None,
        },
    )


_MODE_LABELS = {"sea": "sea lane", "great_circle": "great circle"}


def _flow_rows(flow: pd.Series, unit: str, extra: list[list[str]] | None) -> list[list[str]]:
    """A flow popup's rows: its amount (or the `extra` rows given), distance, transit cost."""
    rows = (
        list(extra) if extra is not None else [["Amount", fmt_value(flow["amount"], unit) or "–"]]
    )
    for text, col, u in (("Distance", "distance_km", "km"), ("Transit cost", "cost", "")):
        value = fmt_value(flow.get(col), u)
        if value is not None:
            rows.append([text, value])
    return rows


def _flow_kind(asset: str, front: str, zone: str, mode: str) -> str:
    """A flow's kind line: its class, whether it goes home or leaves home, its route."""
    what = f"{asset} flow"
    if zone == HOME_ID:
        what += " home"
    elif front == HOME_ID:
        what += " from home"
    return f"{what} · {_MODE_LABELS.get(mode, mode)}".rstrip(" ·")


def flow_layer(
    layers: Mapping[str, gpd.GeoDataFrame],
    result: AllocationResult,
    *,
    styles: list[dict[str, Any]] | None = None,
    amounts: list[float] | None = None,
    extra_rows: list[list[list[str]]] | None = None,
    title: str = "Flows of freed capacity",
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
        amax[u] = max(amax.get(u, 0.0), a)
    feats = []
    for i in range(n):
        f = flows.iloc[i]
        geom = routes.geometry.iloc[i]
        asset = str(f["asset"])
        unit = units[i]
        mode = plain_text(routes["mode"].iloc[i]) if "mode" in routes else ""
        fname = fronts.get(str(f["front_id"]), str(f["front_id"]))
        zname = zones.get(str(f["zone_id"]), str(f["zone_id"]))
        rows = _flow_rows(f, unit, extra_rows[i] if extra_rows is not None else None)
        props: dict[str, Any] = {
            "t": f"{fname} → {zname}",
            "k": _flow_kind(asset, str(f["front_id"]), str(f["zone_id"]), mode),
            "rows": rows,
            "src": model_source(result),
            "tt": f"{asset} {rows[0][1]}: {fname} → {zname}",
            "c": palette.asset_color(asset),
            "w": palette.flow_weight(amt[i], amax.get(unit, 0.0)),
        }
        if styles is not None:
            props.update(styles[i])
        g = compact_geometry(geom, precision=SHAPE_PRECISION)
        feats.append((props["w"], i, feature(g, props)))
    # Wide lines first, so thinner ones on the same route stay visible on top.
    feats.sort(key=lambda t: (-t[0], t[1]))
    collection = feature_collection([f for _, _, f in feats])
    legend = {
        "assets": sorted({str(a) for a in flows["asset"]}, key=asset_order) if n else [],
        "max": {u: fmt_value(v, u) for u, v in sorted(amax.items()) if v > 0},
    }
    return LayerData(
        kind="flows",
        title=title,
        collection=collection,
        pane="rdFlows",
        style={"opacity": 0.85, "lineCap": "round", "lineJoin": "round", "fill": False},
        legend=legend,
    )
